package store

import (
	"encoding/json"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// What the REST API needs beyond the issue-4 store: the audit head (to tail the log), a list
// of recent calls, and the AudioHook client secrets of ingest keys.
//
//	ks/<key id>   the key's AudioHook client secret (raw bytes; encrypted at rest like all values)
const pfxKeySecret = "ks/"

// AuditHead returns the sequence number of the last audit entry (0 for an empty log).
func (s *Store) AuditHead() (uint64, error) {
	var h auditHead
	err := s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, []byte(keyAuditHead))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return json.Unmarshal(v, &h)
	})
	return h.Seq, err
}

// ListCalls returns up to limit unexpired call records in call-id order, starting after the
// call id after ("" from the start); limit <= 0 means 100.
func (s *Store) ListCalls(after string, limit int) ([]CallRecord, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []CallRecord
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxCall), PrefetchValues: false})
		defer it.Close()
		start := []byte(pfxCall + after)
		for it.Seek(start); it.Valid() && len(out) < limit; it.Next() {
			k := it.Item().Key()
			id := string(k[len(pfxCall):])
			if after != "" && id == after {
				continue
			}
			rec, err := getCallTxn(txn, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}

// SetKeySecret stores the AudioHook client secret of an existing API key (the key's id is the
// audit target; the secret never appears in the log).
func (s *Store) SetKeySecret(actor, keyID string, secret []byte) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: empty client secret", ErrInvalid)
	}
	return s.update(func(t *tx) error {
		if ok, err := exists(t.txn, apiKeyKey(keyID)); err != nil || !ok {
			return errors.Join(err, notFound("API key"))
		}
		if err := t.txn.Set([]byte(pfxKeySecret+keyID), secret); err != nil {
			return err
		}
		_, err := t.audit(actor, "apikey.client_secret", "apikey:"+keyID, OutcomeOK)
		return err
	})
}

// KeySecret returns the AudioHook client secret of a key, or nil when it has none.
func (s *Store) KeySecret(keyID string) ([]byte, error) {
	var out []byte
	err := s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, []byte(pfxKeySecret+keyID))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		out = v
		return err
	})
	return out, err
}
