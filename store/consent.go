package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// PurposeVoiceVerification is the consent purpose that allows voiceprints to be stored
// and used to verify a caller.
const PurposeVoiceVerification = "voice-verification"

// Consent records a subject's informed consent to one purpose: how it was obtained, where
// the evidence is, which policy text it was given against, and who recorded it. A consent is
// never deleted while its subject exists; withdrawing it sets Withdrawn.
type Consent struct {
	ID            string    `json:"id"`                     // record id; GrantConsent fills it in when empty
	SubjectID     string    `json:"subject_id"`             // subject who consented
	Purpose       string    `json:"purpose"`                // e.g. PurposeVoiceVerification
	Method        string    `json:"method"`                 // how it was obtained, e.g. "ivr-recorded", "web-form", "agent-verbal"
	EvidenceRef   string    `json:"evidence_ref"`           // where the evidence is, e.g. a recording id or form submission id
	PolicyVersion string    `json:"policy_version"`         // version of the privacy notice the subject was shown
	Granted       time.Time `json:"granted"`                // when consent was given, UTC
	Withdrawn     time.Time `json:"withdrawn,omitzero"`     // when it was withdrawn, UTC; zero while active
	Actor         string    `json:"actor"`                  // API key id that recorded the grant
	WithdrawnBy   string    `json:"withdrawn_by,omitempty"` // API key id that recorded the withdrawal
}

// Active reports whether the consent has not been withdrawn.
func (c Consent) Active() bool { return c.Withdrawn.IsZero() }

func (s *Store) consentTarget(subjectID, id string) string {
	return s.SubjectTarget(subjectID) + "/consent:" + id
}

// GrantConsent records a consent for an existing subject. Purpose, Method, EvidenceRef and
// PolicyVersion are required; Granted defaults to now; Actor is set to actor.
func (s *Store) GrantConsent(actor string, c Consent) (Consent, error) {
	if err := checkID("subject", c.SubjectID); err != nil {
		return c, err
	}
	if c.ID == "" {
		c.ID = NewID("con_")
	}
	if err := checkID("consent", c.ID); err != nil {
		return c, err
	}
	if c.Purpose == "" || c.Method == "" || c.EvidenceRef == "" || c.PolicyVersion == "" {
		return c, fmt.Errorf("%w: consent needs purpose, method, evidence reference and policy version", ErrInvalid)
	}
	if c.Granted.IsZero() {
		c.Granted = s.now()
	}
	c.Granted, c.Withdrawn, c.Actor, c.WithdrawnBy = c.Granted.UTC(), time.Time{}, actor, ""
	val, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	err = s.update(func(t *tx) error {
		if ok, err := exists(t.txn, subjectKey(c.SubjectID)); err != nil || !ok {
			return errors.Join(err, notFound("subject"))
		}
		k := consentKey(c.SubjectID, c.ID)
		if ok, err := exists(t.txn, k); err != nil || ok {
			return errors.Join(err, fmt.Errorf("%w: consent %s", ErrExists, c.ID))
		}
		if err := t.txn.Set(k, val); err != nil {
			return err
		}
		_, err := t.audit(actor, "consent.grant:"+c.Purpose, s.consentTarget(c.SubjectID, c.ID), OutcomeOK)
		return err
	})
	return c, err
}

// WithdrawConsent marks a consent withdrawn. When it was the subject's last active consent
// for PurposeVoiceVerification, all the subject's voiceprints are deleted in the same
// transaction; deleted is how many.
func (s *Store) WithdrawConsent(actor, subjectID, consentID string) (deleted int, err error) {
	err = s.update(func(t *tx) error {
		deleted = 0
		k := consentKey(subjectID, consentID)
		v, err := getValue(t.txn, k)
		if errors.Is(err, ErrNotFound) {
			return notFound("consent")
		}
		if err != nil {
			return err
		}
		var c Consent
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		if !c.Active() {
			return fmt.Errorf("%w: consent already withdrawn", ErrInvalid)
		}
		c.Withdrawn, c.WithdrawnBy = t.now, actor
		nv, _ := json.Marshal(c)
		if err := t.txn.Set(k, nv); err != nil {
			return err
		}
		if _, err := t.audit(actor, "consent.withdraw:"+c.Purpose, s.consentTarget(subjectID, consentID), OutcomeOK); err != nil {
			return err
		}
		if c.Purpose != PurposeVoiceVerification {
			return nil
		}
		if _, still, err := activeConsentTxn(t.txn, subjectID, PurposeVoiceVerification); err != nil || still {
			return err
		}
		deleted, err = t.deleteVoiceprints(subjectID, actor, OutcomeOK+":consent-withdrawn")
		return err
	})
	return deleted, err
}

// ListConsents returns every consent of a subject, active or withdrawn, oldest grant first.
func (s *Store) ListConsents(subjectID string) ([]Consent, error) {
	var out []Consent
	err := s.view(func(txn *badger.Txn) error {
		var err error
		out, err = consentsTxn(txn, subjectID)
		return err
	})
	return out, err
}

// ActiveConsent returns the subject's most recent active consent for purpose; ok is false
// when there is none.
func (s *Store) ActiveConsent(subjectID, purpose string) (c Consent, ok bool, err error) {
	err = s.view(func(txn *badger.Txn) error {
		c, ok, err = activeConsentTxn(txn, subjectID, purpose)
		return err
	})
	return c, ok, err
}

func consentsTxn(txn *badger.Txn, subjectID string) ([]Consent, error) {
	var out []Consent
	err := scan(txn, consentPrefix(subjectID), func(_, v []byte) error {
		var c Consent
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Granted.Before(out[j].Granted) })
	return out, err
}

func activeConsentTxn(txn *badger.Txn, subjectID, purpose string) (Consent, bool, error) {
	cs, err := consentsTxn(txn, subjectID)
	if err != nil {
		return Consent{}, false, err
	}
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i].Purpose == purpose && cs[i].Active() {
			return cs[i], true, nil
		}
	}
	return Consent{}, false, nil
}
