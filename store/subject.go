package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Subject is a customer who may be enrolled. Its ID is opaque (never a phone number or
// account number); Name, Phone and AccountRef are optional personal data, kept only when the
// engine needs them, encrypted at rest with the rest of the store, and shown masked
// (String, LogValue, Masked).
type Subject struct {
	ID         string    `json:"id"`                    // opaque id; CreateSubject fills it in when empty
	Name       string    `json:"name,omitempty"`        // full name
	Phone      string    `json:"phone,omitempty"`       // phone number as given (E.164 preferred)
	AccountRef string    `json:"account_ref,omitempty"` // the bank's account or customer number
	Created    time.Time `json:"created"`               // UTC
	Updated    time.Time `json:"updated"`               // UTC
}

// Masked returns a copy with Name, Phone and AccountRef masked for display.
func (s Subject) Masked() Subject {
	s.Name, s.Phone, s.AccountRef = MaskName(s.Name), MaskPhone(s.Phone), MaskAccount(s.AccountRef)
	return s
}

// String formats the subject with personal data masked, so that printing or logging a
// Subject by accident never reveals it.
func (s Subject) String() string {
	m := s.Masked()
	return fmt.Sprintf("Subject{%s %q %q %q}", m.ID, m.Name, m.Phone, m.AccountRef)
}

// GoString is String: %#v is masked too.
func (s Subject) GoString() string { return s.String() }

// LogValue makes slog log the subject masked.
func (s Subject) LogValue() slog.Value {
	m := s.Masked()
	return slog.GroupValue(slog.String("id", m.ID), slog.String("name", m.Name),
		slog.String("phone", m.Phone), slog.String("account_ref", m.AccountRef))
}

// phoneIndexKey is the index entry of a subject's phone number, keyed by an HMAC of the
// normalised number (no number appears in keys).
func (s *Store) phoneIndexKey(phone, subjectID string) []byte {
	return []byte(s.phonePrefix(phone) + subjectID)
}

func (s *Store) phonePrefix(phone string) string {
	m := hmac.New(sha256.New, s.pseudoKey)
	m.Write([]byte("phone\x00" + NormalizePhone(phone)))
	return pfxPhone + hex.EncodeToString(m.Sum(nil)[:16]) + "/"
}

// CreateSubject stores a new subject (ID generated when empty; ErrExists if taken).
func (s *Store) CreateSubject(actor string, sub Subject) (Subject, error) {
	if sub.ID == "" {
		sub.ID = NewID("sub_")
	}
	if err := checkID("subject", sub.ID); err != nil {
		return sub, err
	}
	sub.Created = s.now()
	sub.Updated = sub.Created
	err := s.update(func(t *tx) error {
		if ok, err := exists(t.txn, subjectKey(sub.ID)); err != nil || ok {
			return errors.Join(err, fmt.Errorf("%w: subject", ErrExists))
		}
		return t.putSubject(actor, "subject.create", sub, "")
	})
	return sub, err
}

// UpdateSubject replaces the personal data (Name, Phone, AccountRef) of an existing subject.
func (s *Store) UpdateSubject(actor string, sub Subject) (Subject, error) {
	err := s.update(func(t *tx) error {
		old, err := getSubjectTxn(t.txn, sub.ID)
		if err != nil {
			return err
		}
		sub.Created, sub.Updated = old.Created, t.now
		return t.putSubject(actor, "subject.update", sub, old.Phone)
	})
	return sub, err
}

func (t *tx) putSubject(actor, action string, sub Subject, oldPhone string) error {
	v, err := json.Marshal(sub)
	if err != nil {
		return err
	}
	if err := t.txn.Set(subjectKey(sub.ID), v); err != nil {
		return err
	}
	if oldPhone != "" {
		if err := t.txn.Delete(t.s.phoneIndexKey(oldPhone, sub.ID)); err != nil {
			return err
		}
	}
	if sub.Phone != "" {
		if err := t.txn.Set(t.s.phoneIndexKey(sub.Phone, sub.ID), nil); err != nil {
			return err
		}
	}
	_, err = t.audit(actor, action, t.s.SubjectTarget(sub.ID), OutcomeOK)
	return err
}

// GetSubject returns a subject (unmasked: mask before showing it).
func (s *Store) GetSubject(id string) (Subject, error) {
	var sub Subject
	err := s.view(func(txn *badger.Txn) error {
		var err error
		sub, err = getSubjectTxn(txn, id)
		return err
	})
	return sub, err
}

func getSubjectTxn(txn *badger.Txn, id string) (Subject, error) {
	var sub Subject
	v, err := getValue(txn, subjectKey(id))
	if errors.Is(err, ErrNotFound) {
		return sub, notFound("subject")
	}
	if err != nil {
		return sub, err
	}
	err = json.Unmarshal(v, &sub)
	return sub, err
}

// FindSubjectsByPhone returns the ids of subjects whose phone number equals phone after
// normalisation (NormalizePhone), e.g. to find the claimed subject from a caller's ANI.
func (s *Store) FindSubjectsByPhone(phone string) ([]string, error) {
	if NormalizePhone(phone) == "" {
		return nil, nil
	}
	pfx := []byte(s.phonePrefix(phone))
	var ids []string
	err := s.view(func(txn *badger.Txn) error {
		keys, err := scanKeys(txn, pfx)
		for _, k := range keys {
			ids = append(ids, string(k[len(pfx):]))
		}
		return err
	})
	return ids, err
}

// ViewSubject returns a subject for a person to look at and records the access in the
// audit log ("subject.view"), so staff access to personal data is traceable. Use GetSubject
// for machine reads that show nobody the data.
func (s *Store) ViewSubject(actor, id string) (Subject, error) {
	var sub Subject
	err := s.update(func(t *tx) error {
		var err error
		if sub, err = getSubjectTxn(t.txn, id); err != nil {
			return err
		}
		_, err = t.audit(actor, "subject.view", s.SubjectTarget(id), OutcomeOK)
		return err
	})
	return sub, err
}
