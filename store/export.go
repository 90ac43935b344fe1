package store

import (
	"encoding/json"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// SubjectExport is everything the store holds about one subject (right of access).
type SubjectExport struct {
	Generated     time.Time    `json:"generated"`      // UTC
	SchemaVersion int          `json:"schema_version"` // store layout version
	Subject       Subject      `json:"subject"`        // unmasked: this is the subject's own data
	Pseudonym     string       `json:"pseudonym"`      // how the audit log refers to the subject
	Consents      []Consent    `json:"consents"`
	Voiceprints   []Voiceprint `json:"voiceprints"`
	Calls         []CallRecord `json:"calls"`
	Audit         []AuditEntry `json:"audit"` // entries about the subject, including this export
}

// Export returns everything held about a subject as one JSON document, and records the
// export in the audit log (its entry is part of the document).
func (s *Store) Export(actor, subjectID string) ([]byte, error) {
	target := s.SubjectTarget(subjectID)
	if _, err := s.GetSubject(subjectID); err != nil {
		return nil, err
	}
	if _, err := s.Audit(actor, "subject.export", target, OutcomeOK); err != nil {
		return nil, err
	}
	doc := SubjectExport{Generated: s.now(), SchemaVersion: SchemaVersion, Pseudonym: s.Pseudonym(subjectID),
		Consents: []Consent{}, Voiceprints: []Voiceprint{}, Calls: []CallRecord{}, Audit: []AuditEntry{}}
	err := s.view(func(txn *badger.Txn) error {
		var err error
		if doc.Subject, err = getSubjectTxn(txn, subjectID); err != nil {
			return err
		}
		if doc.Consents, err = consentsTxn(txn, subjectID); err != nil {
			return err
		}
		if err := scan(txn, voiceprintPrefix(subjectID), func(_, v []byte) error {
			vp, err := decodeVoiceprint(v)
			doc.Voiceprints = append(doc.Voiceprints, vp)
			return err
		}); err != nil {
			return err
		}
		if doc.Calls, err = callsForSubjectTxn(txn, subjectID); err != nil {
			return err
		}
		return scan(txn, []byte(pfxAudit), func(_, v []byte) error {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if e.Target == target || strings.HasPrefix(e.Target, target+"/") {
				doc.Audit = append(doc.Audit, e)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if doc.Consents == nil {
		doc.Consents = []Consent{}
	}
	if doc.Calls == nil {
		doc.Calls = []CallRecord{}
	}
	return json.MarshalIndent(doc, "", "  ")
}
