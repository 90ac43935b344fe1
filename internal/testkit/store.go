package testkit

import (
	"testing"

	"github.com/voxguard/voxguard/store"
)

// Store opens a new encrypted store in a temporary directory with small Badger tables (tests
// open many), closed when the test ends.
func Store(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir(), Key: []byte("0123456789abcdef0123456789abcdef"),
		MemTableSize: 8 << 20, ValueLogFileSize: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
