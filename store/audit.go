package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// AuditEntry is one link of the append-only audit log. Hash is the hex SHA-256 of the
// entry's other fields (see hashEntry), and PrevHash is the Hash of the entry before it
// (64 zeros for the first), so that modifying, removing or reordering any entry breaks
// the chain.
type AuditEntry struct {
	Seq      uint64    `json:"seq"`       // 1, 2, 3, ... without gaps
	Time     time.Time `json:"time"`      // UTC, nanosecond precision
	Actor    string    `json:"actor"`     // API key id of whoever acted, or "system"
	Action   string    `json:"action"`    // e.g. "voiceprint.add"
	Target   string    `json:"target"`    // e.g. "subject:p_…/voiceprint:vp_…" (pseudonymised)
	Outcome  string    `json:"outcome"`   // "ok", or "denied:<reason>"
	PrevHash string    `json:"prev_hash"` // hex SHA-256 of the previous entry
	Hash     string    `json:"hash"`      // hex SHA-256 of this entry
}

// Audit outcomes.
const (
	OutcomeOK = "ok"
	// OutcomeDeniedPrefix starts the outcome of a refused operation, e.g. "denied:no-consent".
	OutcomeDeniedPrefix = "denied:"
)

var zeroHash = strings.Repeat("0", 64)

type auditHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// hashEntry computes the hex SHA-256 over a length-prefixed encoding of every field of e
// except Hash.
func hashEntry(e AuditEntry) string {
	h := sha256.New()
	var b [8]byte
	h.Write([]byte("voxguard-audit-v1\x00"))
	binary.BigEndian.PutUint64(b[:], e.Seq)
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], uint64(e.Time.UnixNano()))
	h.Write(b[:])
	for _, f := range []string{e.Actor, e.Action, e.Target, e.Outcome, e.PrevHash} {
		binary.BigEndian.PutUint64(b[:], uint64(len(f)))
		h.Write(b[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func auditKey(seq uint64) []byte {
	k := make([]byte, len(pfxAudit)+8)
	copy(k, pfxAudit)
	binary.BigEndian.PutUint64(k[len(pfxAudit):], seq)
	return k
}

// audit appends an entry to the log inside the transaction t.
func (t *tx) audit(actor, action, target, outcome string) (AuditEntry, error) {
	if actor == "" {
		return AuditEntry{}, fmt.Errorf("%w: empty actor", ErrInvalid)
	}
	if t.head == nil {
		h := auditHead{Hash: zeroHash}
		v, err := getValue(t.txn, []byte(keyAuditHead))
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return AuditEntry{}, err
		default:
			if err := json.Unmarshal(v, &h); err != nil {
				return AuditEntry{}, fmt.Errorf("store: audit head: %w", err)
			}
		}
		t.head = &h
	}
	e := AuditEntry{Seq: t.head.Seq + 1, Time: t.now, Actor: actor, Action: action,
		Target: target, Outcome: outcome, PrevHash: t.head.Hash}
	e.Hash = hashEntry(e)
	v, err := json.Marshal(e)
	if err != nil {
		return AuditEntry{}, err
	}
	if err := t.txn.Set(auditKey(e.Seq), v); err != nil {
		return AuditEntry{}, err
	}
	*t.head = auditHead{Seq: e.Seq, Hash: e.Hash}
	hv, _ := json.Marshal(t.head)
	if err := t.txn.Set([]byte(keyAuditHead), hv); err != nil {
		return AuditEntry{}, err
	}
	return e, nil
}

// Audit appends a standalone entry, for events the store does not see itself (a staff
// member viewing a subject, a failed login). Target must not contain personal data; use
// SubjectTarget for subjects.
func (s *Store) Audit(actor, action, target, outcome string) (AuditEntry, error) {
	var e AuditEntry
	err := s.update(func(t *tx) error {
		var err error
		e, err = t.audit(actor, action, target, outcome)
		return err
	})
	return e, err
}

// deny records a refused operation in its own transaction and returns cause.
func (s *Store) deny(actor, action, target, reason string, cause error) error {
	if _, err := s.Audit(actor, action, target, OutcomeDeniedPrefix+reason); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// Pseudonym returns the keyed pseudonym of a subject id: "p_" and the first 128 bits of
// HMAC-SHA-256(store pseudonym key, id) in hex. It is stable for the life of the store and
// reveals nothing about the id without the key.
func (s *Store) Pseudonym(subjectID string) string {
	m := hmac.New(sha256.New, s.pseudoKey)
	m.Write([]byte("subject\x00" + subjectID))
	return "p_" + hex.EncodeToString(m.Sum(nil)[:16])
}

// SubjectTarget returns the audit target naming a subject: "subject:" + its pseudonym.
func (s *Store) SubjectTarget(subjectID string) string {
	return "subject:" + s.Pseudonym(subjectID)
}

// AuditEntries returns the audit entries with from <= Seq, in order, at most limit of them
// (limit <= 0: all).
func (s *Store) AuditEntries(from uint64, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxAudit), PrefetchValues: true})
		defer it.Close()
		for it.Seek(auditKey(from)); it.Valid(); it.Next() {
			var e AuditEntry
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &e) }); err != nil {
				return err
			}
			out = append(out, e)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	return out, err
}
