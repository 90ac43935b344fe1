package store

import (
	"encoding/json"
	"errors"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// CallRecord is what is kept of one call: who it claimed to be, the masked caller number
// and the engine's assessments. It expires after the store's call retention (TTL).
type CallRecord struct {
	CallID         string            `json:"call_id"`                   // platform call id
	Platform       string            `json:"platform"`                  // e.g. "twilio", "genesys"
	ANI            string            `json:"ani,omitempty"`             // caller number, always stored masked (PutCall masks it)
	ClaimedSubject string            `json:"claimed_subject,omitempty"` // subject id the caller claimed to be
	Started        time.Time         `json:"started"`                   // UTC
	Ended          time.Time         `json:"ended,omitzero"`            // UTC; zero while in progress
	Assessments    []json.RawMessage `json:"assessments,omitempty"`     // engine assessment events, opaque to the store
	ExpiresAt      time.Time         `json:"-"`                         // when the record expires (filled in on read)
}

// CallRetention returns the time-to-live given to call records.
func (s *Store) CallRetention() time.Duration { return s.callRetention }

// PutCall creates or replaces a call record, masking its ANI, with a fresh time-to-live
// of CallRetention. The record is indexed under its claimed subject so that erasure and
// export find it.
func (s *Store) PutCall(actor string, rec CallRecord) error {
	if err := checkID("call", rec.CallID); err != nil {
		return err
	}
	if rec.ClaimedSubject != "" {
		if err := checkID("subject", rec.ClaimedSubject); err != nil {
			return err
		}
	}
	rec.ANI = MaskPhone(rec.ANI)
	rec.Started, rec.Ended = rec.Started.UTC(), rec.Ended.UTC()
	val, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.update(func(t *tx) error {
		if v, err := getValue(t.txn, callKey(rec.CallID)); err == nil {
			var old CallRecord
			if json.Unmarshal(v, &old) == nil && old.ClaimedSubject != "" && old.ClaimedSubject != rec.ClaimedSubject {
				if err := t.txn.Delete(callSubjectKey(old.ClaimedSubject, rec.CallID)); err != nil {
					return err
				}
			}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := t.txn.SetEntry(badger.NewEntry(callKey(rec.CallID), val).WithTTL(s.callRetention)); err != nil {
			return err
		}
		if rec.ClaimedSubject != "" {
			e := badger.NewEntry(callSubjectKey(rec.ClaimedSubject, rec.CallID), nil).WithTTL(s.callRetention)
			if err := t.txn.SetEntry(e); err != nil {
				return err
			}
		}
		_, err := t.audit(actor, "call.put", "call:"+rec.CallID, OutcomeOK)
		return err
	})
}

// GetCall returns a call record, or ErrNotFound once it has expired.
func (s *Store) GetCall(callID string) (CallRecord, error) {
	var rec CallRecord
	err := s.view(func(txn *badger.Txn) error {
		var err error
		rec, err = getCallTxn(txn, callID)
		return err
	})
	return rec, err
}

func getCallTxn(txn *badger.Txn, callID string) (CallRecord, error) {
	var rec CallRecord
	item, err := txn.Get(callKey(callID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return rec, notFound("call")
	}
	if err != nil {
		return rec, err
	}
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
		return rec, err
	}
	if ea := item.ExpiresAt(); ea > 0 {
		rec.ExpiresAt = time.Unix(int64(ea), 0).UTC()
	}
	return rec, nil
}

// ListCallsForSubject returns the unexpired call records that claimed a subject.
func (s *Store) ListCallsForSubject(subjectID string) ([]CallRecord, error) {
	var out []CallRecord
	err := s.view(func(txn *badger.Txn) error {
		var err error
		out, err = callsForSubjectTxn(txn, subjectID)
		return err
	})
	return out, err
}

func callsForSubjectTxn(txn *badger.Txn, subjectID string) ([]CallRecord, error) {
	pfx := callSubjectPrefix(subjectID)
	keys, err := scanKeys(txn, pfx)
	if err != nil {
		return nil, err
	}
	var out []CallRecord
	for _, k := range keys {
		rec, err := getCallTxn(txn, string(k[len(pfx):]))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}
