package store

import (
	"encoding/json"

	badger "github.com/dgraph-io/badger/v4"
)

// ListSubjects returns up to limit subjects (unmasked: mask before showing them) in id order,
// starting after the subject id after ("" from the start); limit <= 0 means 100. Page through
// all subjects by passing the last id of one page as after of the next.
func (s *Store) ListSubjects(after string, limit int) ([]Subject, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []Subject
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxSubject), PrefetchValues: true, PrefetchSize: min(limit, 100)})
		defer it.Close()
		for it.Seek(subjectKey(after)); it.Valid() && len(out) < limit; it.Next() {
			item := it.Item()
			if after != "" && string(item.Key()[len(pfxSubject):]) == after {
				continue
			}
			var sub Subject
			if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &sub) }); err != nil {
				return err
			}
			out = append(out, sub)
		}
		return nil
	})
	return out, err
}
