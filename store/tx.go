package store

import (
	"errors"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// maxConflictRetries bounds the retries of a transaction that lost an optimistic
// concurrency conflict. Writers within one Store are serialised by Store.writeMu (every
// mutating transaction appends to the one audit chain, so they could not run in parallel
// anyway, and optimistic retries starve under synchronous commits), so conflicts only arise
// from outside that lock.
const maxConflictRetries = 8

// tx is one read-write Badger transaction plus the audit state it appends to.
type tx struct {
	s    *Store
	txn  *badger.Txn
	now  time.Time
	head *auditHead // loaded on first audit append
}

// update runs fn in a read-write transaction and commits it synchronously, retrying on
// conflicts. fn must be safe to run more than once.
func (s *Store) update(fn func(t *tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for i := 0; ; i++ {
		txn := s.db.NewTransaction(true)
		t := &tx{s: s, txn: txn, now: s.now()}
		err := fn(t)
		if err == nil {
			err = txn.Commit()
		}
		txn.Discard()
		if errors.Is(err, badger.ErrConflict) && i < maxConflictRetries {
			continue
		}
		return err
	}
}

// view runs fn in a read-only transaction.
func (s *Store) view(fn func(txn *badger.Txn) error) error { return s.db.View(fn) }

// getValue returns a copy of the value at key or ErrNotFound.
func getValue(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// exists reports whether key is present.
func exists(txn *badger.Txn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// scan calls fn with each key (a copy) and value (valid only during the call) under prefix,
// in key order.
func scan(txn *badger.Txn, prefix []byte, fn func(key, val []byte) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.KeyCopy(nil)
		if err := item.Value(func(v []byte) error { return fn(k, v) }); err != nil {
			return err
		}
	}
	return nil
}

// scanKeys returns copies of all keys under prefix, in order.
func scanKeys(txn *badger.Txn, prefix []byte) ([][]byte, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var keys [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys, nil
}
