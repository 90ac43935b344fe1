package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"

	badger "github.com/dgraph-io/badger/v4"
)

// SchemaVersion is the layout version this code writes. History:
//
//	1  voiceprints stored as JSON documents (floats as JSON numbers)
//	2  voiceprints stored in the compact binary encoding (see encodeVoiceprint)
const SchemaVersion = 2

// migration upgrades a store from schema version from to from+1. It must be idempotent
// (safe to re-run after a crash part-way), may use several transactions, and must not
// write the schema version itself: runMigrations does that, with an audit entry, once
// run returns.
type migration struct {
	from int
	name string
	run  func(s *Store) error
}

// migrations, indexed by the version they upgrade from.
var migrations = map[int]migration{
	1: {from: 1, name: "voiceprints JSON -> binary", run: migrateVoiceprintsToBinary},
}

// SchemaVersionOf returns the schema version recorded in the open store.
func (s *Store) SchemaVersionOf() (int, error) {
	var v int
	err := s.view(func(txn *badger.Txn) error {
		var err error
		v, err = readSchema(txn)
		return err
	})
	return v, err
}

func readSchema(txn *badger.Txn) (int, error) {
	b, err := getValue(txn, []byte(keySchema))
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(string(b))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("store: bad schema version %q", b)
	}
	return v, nil
}

// initSchema initialises an empty store or upgrades an old one, and loads the pseudonym key.
func (s *Store) initSchema() error {
	var ver int
	err := s.view(func(txn *badger.Txn) error {
		var err error
		ver, err = readSchema(txn)
		if errors.Is(err, ErrNotFound) {
			ks, kerr := scanKeys(txn, nil)
			if kerr != nil {
				return kerr
			}
			if len(ks) > 0 {
				return fmt.Errorf("%w: %d keys but no schema version", ErrNoStore, len(ks))
			}
			ver = 0
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if ver == 0 {
		if err := s.initEmpty(); err != nil {
			return err
		}
		ver = SchemaVersion
	}
	if ver > SchemaVersion {
		return fmt.Errorf("%w: store has %d, this build supports %d", ErrSchemaTooNew, ver, SchemaVersion)
	}
	if err := s.loadPseudoKey(); err != nil {
		return err
	}
	return s.runMigrations(ver)
}

func (s *Store) initEmpty() error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	return s.update(func(t *tx) error {
		if err := t.txn.Set([]byte(keySchema), []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
		if err := t.txn.Set([]byte(keyPseudonym), key); err != nil {
			return err
		}
		_, err := t.audit(SystemActor, "store.init", "schema:"+strconv.Itoa(SchemaVersion), OutcomeOK)
		return err
	})
}

func (s *Store) loadPseudoKey() error {
	return s.view(func(txn *badger.Txn) error {
		k, err := getValue(txn, []byte(keyPseudonym))
		if err != nil {
			return fmt.Errorf("store: pseudonym key: %w", err)
		}
		s.pseudoKey = k
		return nil
	})
}

// runMigrations upgrades the store from version ver to SchemaVersion, one step at a time,
// recording each step in the audit log together with the new version.
func (s *Store) runMigrations(ver int) error {
	for ; ver < SchemaVersion; ver++ {
		m, ok := migrations[ver]
		if !ok {
			return fmt.Errorf("store: no migration from schema %d", ver)
		}
		if err := m.run(s); err != nil {
			return fmt.Errorf("store: migration %d->%d (%s): %w", ver, ver+1, m.name, err)
		}
		next := ver + 1
		err := s.update(func(t *tx) error {
			if err := t.txn.Set([]byte(keySchema), []byte(strconv.Itoa(next))); err != nil {
				return err
			}
			_, err := t.audit(SystemActor, "schema.migrate", fmt.Sprintf("schema:%d->%d", next-1, next), OutcomeOK)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// migrateVoiceprintsToBinary rewrites every voiceprint stored as JSON (schema 1) in the
// binary encoding, 256 per transaction.
func migrateVoiceprintsToBinary(s *Store) error {
	for {
		n := 0
		err := s.update(func(t *tx) error {
			n = 0
			it := t.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxVoiceprint), PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid() && n < 256; it.Next() {
				item := it.Item()
				v, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				if isBinaryVoiceprint(v) {
					continue
				}
				vp, err := decodeVoiceprint(v)
				if err != nil {
					return fmt.Errorf("voiceprint %q: %w", item.Key(), err)
				}
				if err := t.txn.Set(item.KeyCopy(nil), encodeVoiceprint(vp)); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil || n == 0 {
			return err
		}
	}
}
