// Package devcorpora locates the development corpora (../shared/corpora beside the repository)
// for tests.
package devcorpora

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns ../shared/corpora beside the repository, skipping the test when it is absent —
// or failing it when CI=true, where the corpora must be present.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpora")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the development corpora are missing at %s", dir)
		}
		t.Skipf("development corpora not found at %s; skipping", dir)
	}
	return dir
}
