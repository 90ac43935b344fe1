package store

import (
	"errors"
	"fmt"
	"math"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Voiceprint is a speaker model of one subject (or the voice data of a watchlist entry).
// The statistics are opaque to the store.
type Voiceprint struct {
	ID            string    `json:"id"`                   // record id; Add fills it in when empty
	SubjectID     string    `json:"subject_id,omitempty"` // owner; empty inside a watchlist entry
	BundleVersion string    `json:"bundle_version"`       // model bundle the statistics belong to
	N             []float32 `json:"n"`                    // zeroth-order Baum-Welch statistics, one per UBM component
	F             []float32 `json:"f"`                    // first-order statistics, components x feature dim, component-major
	Embedding     []float32 `json:"embedding"`            // i-vector or other embedding
	// AugN and AugF are the statistics of degraded copies of the enrollment audio (a bundle's
	// enrollment augmentation), laid out as N and F; empty when the bundle has none or the
	// enrollment came from a call's statistics.
	AugN []float32 `json:"aug_n,omitempty"`
	AugF []float32 `json:"aug_f,omitempty"`
	// SecondVersion, SecondN and SecondF are, with a bundle that fuses a second speaker system,
	// the same audio's statistics in that system's space (its own UBM), laid out as N and F;
	// empty otherwise, and in voiceprints made before the bundle had one.
	SecondVersion string             `json:"second_bundle_version,omitempty"`
	SecondN       []float32          `json:"second_n,omitempty"`
	SecondF       []float32          `json:"second_f,omitempty"`
	SpeechSeconds float64            `json:"speech_seconds"`    // net speech in the enrollment audio, seconds
	Quality       map[string]float64 `json:"quality,omitempty"` // named quality measures, e.g. "snr_db", "clipping"
	Source        string             `json:"source"`            // e.g. "upload", "call:<id>"
	Created       time.Time          `json:"created"`           // when the voiceprint was made, UTC
}

// FeatureDim returns the feature dimension implied by the statistics, len(F)/len(N),
// or 0 when there are none.
func (vp Voiceprint) FeatureDim() int {
	if len(vp.N) == 0 {
		return 0
	}
	return len(vp.F) / len(vp.N)
}

func finite(fs []float32) bool {
	for _, f := range fs {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return false
		}
	}
	return true
}

// validate checks the voice data shared by voiceprints and watchlist entries.
func (vp Voiceprint) validate() error {
	switch {
	case vp.BundleVersion == "":
		return fmt.Errorf("%w: voiceprint needs a bundle version", ErrInvalid)
	case len(vp.N) == 0 && len(vp.Embedding) == 0:
		return fmt.Errorf("%w: voiceprint holds neither statistics nor an embedding", ErrInvalid)
	case len(vp.N) > 0 && (len(vp.F) == 0 || len(vp.F)%len(vp.N) != 0):
		return fmt.Errorf("%w: len(F)=%d is not a positive multiple of len(N)=%d", ErrInvalid, len(vp.F), len(vp.N))
	case len(vp.N) == 0 && len(vp.F) > 0:
		return fmt.Errorf("%w: first-order statistics without zeroth-order", ErrInvalid)
	case (len(vp.AugN) > 0 || len(vp.AugF) > 0) && (len(vp.AugN) != len(vp.N) || len(vp.AugF) != len(vp.F)):
		return fmt.Errorf("%w: augmented statistics of %d+%d values do not match the statistics' %d+%d", ErrInvalid, len(vp.AugN), len(vp.AugF), len(vp.N), len(vp.F))
	case (len(vp.SecondN) > 0 || len(vp.SecondF) > 0 || vp.SecondVersion != "") &&
		(vp.SecondVersion == "" || len(vp.SecondN) == 0 || len(vp.SecondF) == 0 || len(vp.SecondF)%len(vp.SecondN) != 0):
		return fmt.Errorf("%w: second system's statistics need a version and len(SecondF)=%d a positive multiple of len(SecondN)=%d", ErrInvalid, len(vp.SecondF), len(vp.SecondN))
	case !finite(vp.N) || !finite(vp.F) || !finite(vp.Embedding) || !finite(vp.AugN) || !finite(vp.AugF) || !finite(vp.SecondN) || !finite(vp.SecondF):
		return fmt.Errorf("%w: voiceprint holds NaN or Inf", ErrInvalid)
	case vp.SpeechSeconds < 0 || math.IsNaN(vp.SpeechSeconds):
		return fmt.Errorf("%w: negative speech seconds", ErrInvalid)
	case vp.Source == "":
		return fmt.Errorf("%w: voiceprint needs a source", ErrInvalid)
	}
	return nil
}

func (s *Store) voiceprintTarget(subjectID, id string) string {
	return s.SubjectTarget(subjectID) + "/voiceprint:" + id
}

// AddVoiceprint stores a voiceprint for vp.SubjectID. It fails with ErrNotFound when the
// subject does not exist and with ErrNoConsent (recorded in the audit log as denied) when
// the subject has no active consent for PurposeVoiceVerification; the consent check and
// the write are one transaction. It returns the stored voiceprint with ID and Created set.
func (s *Store) AddVoiceprint(actor string, vp Voiceprint) (Voiceprint, error) {
	if err := checkID("subject", vp.SubjectID); err != nil {
		return vp, err
	}
	if vp.ID == "" {
		vp.ID = NewID("vp_")
	}
	if err := checkID("voiceprint", vp.ID); err != nil {
		return vp, err
	}
	if err := vp.validate(); err != nil {
		return vp, err
	}
	if vp.Created.IsZero() {
		vp.Created = s.now()
	}
	vp.Created = vp.Created.UTC()
	val := encodeVoiceprint(vp)
	err := s.update(func(t *tx) error {
		if ok, err := exists(t.txn, subjectKey(vp.SubjectID)); err != nil || !ok {
			return errors.Join(err, notFound("subject"))
		}
		if _, ok, err := activeConsentTxn(t.txn, vp.SubjectID, PurposeVoiceVerification); err != nil || !ok {
			return errors.Join(err, ErrNoConsent)
		}
		k := voiceprintKey(vp.SubjectID, vp.ID)
		if ok, err := exists(t.txn, k); err != nil || ok {
			return errors.Join(err, fmt.Errorf("%w: voiceprint %s", ErrExists, vp.ID))
		}
		if err := t.txn.Set(k, val); err != nil {
			return err
		}
		_, err := t.audit(actor, "voiceprint.add", s.voiceprintTarget(vp.SubjectID, vp.ID), OutcomeOK)
		return err
	})
	if errors.Is(err, ErrNoConsent) {
		return vp, s.deny(actor, "voiceprint.add", s.voiceprintTarget(vp.SubjectID, vp.ID), "no-consent", err)
	}
	return vp, err
}

// notFound returns ErrNotFound wrapped with the kind of record missing.
func notFound(kind string) error { return fmt.Errorf("%w: %s", ErrNotFound, kind) }

// GetVoiceprint returns one voiceprint of a subject.
func (s *Store) GetVoiceprint(subjectID, id string) (Voiceprint, error) {
	var vp Voiceprint
	err := s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, voiceprintKey(subjectID, id))
		if err != nil {
			return err
		}
		vp, err = decodeVoiceprint(v)
		return err
	})
	return vp, err
}

// ListVoiceprints returns all voiceprints of a subject, ordered by id.
func (s *Store) ListVoiceprints(subjectID string) ([]Voiceprint, error) {
	var out []Voiceprint
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, voiceprintPrefix(subjectID), func(_, v []byte) error {
			vp, err := decodeVoiceprint(v)
			out = append(out, vp)
			return err
		})
	})
	return out, err
}

// DeleteVoiceprint removes one voiceprint of a subject.
func (s *Store) DeleteVoiceprint(actor, subjectID, id string) error {
	return s.update(func(t *tx) error {
		k := voiceprintKey(subjectID, id)
		if ok, err := exists(t.txn, k); err != nil || !ok {
			return errors.Join(err, notFound("voiceprint"))
		}
		if err := t.txn.Delete(k); err != nil {
			return err
		}
		_, err := t.audit(actor, "voiceprint.delete", s.voiceprintTarget(subjectID, id), OutcomeOK)
		return err
	})
}

// deleteVoiceprintsTxn deletes every voiceprint of a subject inside t, auditing each with
// the given outcome, and returns how many there were.
func (t *tx) deleteVoiceprints(subjectID, actor, outcome string) (int, error) {
	keys, err := scanKeys(t.txn, voiceprintPrefix(subjectID))
	if err != nil {
		return 0, err
	}
	pfx := len(voiceprintPrefix(subjectID))
	for _, k := range keys {
		if err := t.txn.Delete(k); err != nil {
			return 0, err
		}
		if _, err := t.audit(actor, "voiceprint.delete", t.s.voiceprintTarget(subjectID, string(k[pfx:])), outcome); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
