package store

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// DefaultCallRetention is how long call records are kept when Options.CallRetention is
// zero: 90 days.
const DefaultCallRetention = 90 * 24 * time.Hour

// SystemActor is the actor recorded for changes the store makes on its own (initialisation,
// migrations).
const SystemActor = "system"

// Options configures Open.
type Options struct {
	// Dir is the data directory; it is created if missing (unless MustExist).
	Dir string
	// Key is the 32-byte AES-256 encryption key (see ResolveKey). Required.
	Key []byte
	// MustExist makes Open fail with ErrNoStore instead of creating a new store, for tools
	// that only read an existing one (audit verify, backup).
	MustExist bool
	// CallRetention is the time-to-live of call records; zero means DefaultCallRetention.
	CallRetention time.Duration
	// Clock returns the current time; nil means time.Now. Tests use it for determinism.
	Clock func() time.Time
	// Logger receives Badger's warnings and errors; nil means the standard logger.
	// Badger's informational messages are dropped.
	Logger *log.Logger
	// MemTableSize is Badger's memtable size in bytes; zero means 64 MiB.
	MemTableSize int64
	// ValueLogFileSize is the size of each Badger value log file in bytes; zero means 1 GiB.
	ValueLogFileSize int64
}

// Store is an open voxguard store. Its methods are safe for concurrent use.
type Store struct {
	db            *badger.DB
	dir           string
	clock         func() time.Time
	callRetention time.Duration
	pseudoKey     []byte
	key           []byte     // master key, for deriving backup keys
	writeMu       sync.Mutex // serialises read-write transactions (see update)
}

// Open opens (or creates) the encrypted store in opts.Dir, checks the encryption key,
// and brings the schema up to date by running the registered migrations.
// A wrong key yields an error wrapping ErrWrongKey; a missing key ErrNoKey.
func Open(opts Options) (*Store, error) {
	if len(opts.Key) == 0 {
		return nil, ErrNoKey
	}
	if len(opts.Key) != KeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBadKey, len(opts.Key), KeySize)
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("%w: empty data directory", ErrInvalid)
	}
	if opts.MustExist && !isStoreDir(opts.Dir) {
		return nil, fmt.Errorf("%w: %s", ErrNoStore, opts.Dir)
	}
	db, err := openBadger(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, dir: opts.Dir, clock: opts.Clock, callRetention: opts.CallRetention,
		key: append([]byte(nil), opts.Key...)}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.callRetention <= 0 {
		s.callRetention = DefaultCallRetention
	}
	if err := s.initSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// openBadger opens the raw Badger database with encryption and synchronous writes.
func openBadger(opts Options) (*badger.DB, error) {
	bo := badger.DefaultOptions(opts.Dir).
		WithEncryptionKey(opts.Key).
		WithIndexCacheSize(64 << 20).
		WithBlockCacheSize(64 << 20).
		WithSyncWrites(true).
		WithLogger(quietLogger{opts.Logger})
	if opts.MemTableSize > 0 {
		bo = bo.WithMemTableSize(opts.MemTableSize)
	}
	if opts.ValueLogFileSize > 0 {
		bo = bo.WithValueLogFileSize(opts.ValueLogFileSize)
	}
	db, err := badger.Open(bo)
	if err != nil {
		if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
			return nil, fmt.Errorf("%w (%s)", ErrWrongKey, opts.Dir)
		}
		return nil, fmt.Errorf("store: opening %s: %w", opts.Dir, err)
	}
	return db, nil
}

// isStoreDir reports whether dir looks like a Badger data directory.
func isStoreDir(dir string) bool {
	for _, f := range []string{"MANIFEST", "KEYREGISTRY"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// Close flushes and closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// now returns the store clock's time in UTC without monotonic reading.
func (s *Store) now() time.Time { return s.clock().UTC().Round(0) }

// quietLogger drops Badger's info and debug messages.
type quietLogger struct{ l *log.Logger }

func (q quietLogger) logf(f string, a ...any) {
	if q.l != nil {
		q.l.Printf("badger: "+f, a...)
		return
	}
	log.Printf("badger: "+f, a...)
}
func (q quietLogger) Errorf(f string, a ...any)   { q.logf(f, a...) }
func (q quietLogger) Warningf(f string, a ...any) { q.logf(f, a...) }
func (q quietLogger) Infof(string, ...any)        {}
func (q quietLogger) Debugf(string, ...any)       {}
