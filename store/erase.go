package store

import "fmt"

// ErasureReport counts what EraseSubject removed.
type ErasureReport struct {
	Pseudonym   string `json:"pseudonym"`   // the subject's audit pseudonym, for the erasure record
	Consents    int    `json:"consents"`    // consent records removed
	Voiceprints int    `json:"voiceprints"` // voiceprints removed
	Calls       int    `json:"calls"`       // call records that claimed the subject, removed
}

// EraseSubject removes every record naming a subject — the subject, its phone index,
// consents, voiceprints, and call records that claimed it — in one transaction, with one
// audit entry that names only the subject's pseudonym. Earlier audit entries already name
// only the pseudonym, so the chain stays intact and verifiable.
func (s *Store) EraseSubject(actor, subjectID string) (ErasureReport, error) {
	rep := ErasureReport{Pseudonym: s.Pseudonym(subjectID)}
	err := s.update(func(t *tx) error {
		rep.Consents, rep.Voiceprints, rep.Calls = 0, 0, 0
		sub, err := getSubjectTxn(t.txn, subjectID)
		if err != nil {
			return err
		}
		dels := [][]byte{subjectKey(subjectID)}
		if sub.Phone != "" {
			dels = append(dels, s.phoneIndexKey(sub.Phone, subjectID))
		}
		ck, err := scanKeys(t.txn, consentPrefix(subjectID))
		if err != nil {
			return err
		}
		vk, err := scanKeys(t.txn, voiceprintPrefix(subjectID))
		if err != nil {
			return err
		}
		rk, err := scanKeys(t.txn, callSubjectPrefix(subjectID))
		if err != nil {
			return err
		}
		rep.Consents, rep.Voiceprints, rep.Calls = len(ck), len(vk), len(rk)
		dels = append(append(append(dels, ck...), vk...), rk...)
		pfx := len(callSubjectPrefix(subjectID))
		for _, k := range rk {
			dels = append(dels, callKey(string(k[pfx:])))
		}
		for _, k := range dels {
			if err := t.txn.Delete(k); err != nil {
				return err
			}
		}
		_, err = t.audit(actor, "subject.erase", s.SubjectTarget(subjectID),
			fmt.Sprintf("%s:consents=%d,voiceprints=%d,calls=%d", OutcomeOK, rep.Consents, rep.Voiceprints, rep.Calls))
		return err
	})
	return rep, err
}
