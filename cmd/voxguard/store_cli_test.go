package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/voxguard/voxguard/store"
)

// newCLIStore creates a store with a few audited changes and returns its directory and
// key file.
func newCLIStore(t *testing.T) (dir, keyFile string) {
	t.Helper()
	t.Setenv(store.KeyEnv, "")
	base := t.TempDir()
	dir, keyFile = filepath.Join(base, "data"), filepath.Join(base, "k")
	key, _, err := store.LoadOrCreateKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(store.Options{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sub, err := s.CreateSubject("vk_t", store.Subject{Name: "Cli Person"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GrantConsent("vk_t", store.Consent{SubjectID: sub.ID, Purpose: store.PurposeVoiceVerification,
		Method: "web-form", EvidenceRef: "f1", PolicyVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddVoiceprint("vk_t", store.Voiceprint{SubjectID: sub.ID, BundleVersion: "b", Embedding: []float32{1, 2, 3},
		Source: "upload"}); err != nil {
		t.Fatal(err)
	}
	return dir, keyFile
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestAuditVerifyCLI(t *testing.T) {
	dir, kf := newCLIStore(t)
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte(strings.Repeat("ab", 32)), 0o600)

	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"ok", []string{"audit", "verify", "--data", dir, "--key-file", kf}, 0, "audit chain OK: 4 entries", ""},
		{"no subcommand", []string{"audit"}, 2, "", "expected subcommand verify"},
		{"no data", []string{"audit", "verify"}, 2, "", "--data is required"},
		{"wrong key", []string{"audit", "verify", "--data", dir, "--key-file", wrong}, 1, "", "wrong encryption key"},
		{"no store", []string{"audit", "verify", "--data", t.TempDir(), "--key-file", kf}, 1, "", "no voxguard store"},
		{"no key", []string{"audit", "verify", "--data", dir}, 1, "", "no encryption key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errs, tc.err) {
				t.Fatalf("code %d stdout %q stderr %q", code, out, errs)
			}
		})
	}

	// Remove entry 3 behind the store's back: verify names it and exits 1.
	key, _ := store.LoadKeyFile(kf)
	db, err := badger.Open(badger.DefaultOptions(dir).WithEncryptionKey(key).WithIndexCacheSize(1 << 20).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	k := binary.BigEndian.AppendUint64([]byte("a/"), 3)
	if err := db.Update(func(txn *badger.Txn) error { return txn.Delete(k) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs := runCLI("audit", "verify", "--data", dir, "--key-file", kf)
	if code != 1 || !strings.Contains(errs, "audit chain broken at entry 3: removed") {
		t.Fatalf("tampered: code %d stdout %q stderr %q", code, out, errs)
	}
}

func TestBackupRestoreCLI(t *testing.T) {
	dir, kf := newCLIStore(t)
	out := filepath.Join(t.TempDir(), "store.bak")
	code, stdout, stderr := runCLI("backup", "--data", dir, "--out", out, "--key-file", kf)
	if code != 0 || !strings.Contains(stdout, "backup written") {
		t.Fatalf("backup: %d %q %q", code, stdout, stderr)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode %v %v", fi.Mode().Perm(), err)
	}
	if b, _ := os.ReadFile(out); bytes.Contains(b, []byte("Cli Person")) {
		t.Fatal("backup holds plaintext")
	}
	restored := filepath.Join(t.TempDir(), "restored")
	code, stdout, stderr = runCLI("restore", "--data", restored, "--in", out, "--key-file", kf)
	if code != 0 || !strings.Contains(stdout, "audit chain OK: 5 entries") {
		t.Fatalf("restore: %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI("audit", "verify", "--data", restored, "--key-file", kf)
	if code != 0 || !strings.Contains(stdout, "5 entries") {
		t.Fatalf("verify restored: %d %q", code, stdout)
	}
	// Key from the environment, restore refuses a non-empty directory.
	key, _ := os.ReadFile(kf)
	t.Setenv(store.KeyEnv, strings.TrimSpace(string(key)))
	code, _, stderr = runCLI("restore", "--data", restored, "--in", out)
	if code != 1 || !strings.Contains(stderr, "not empty") {
		t.Fatalf("restore over existing: %d %q", code, stderr)
	}
	code, _, stderr = runCLI("backup", "--data", dir)
	if code != 2 || !strings.Contains(stderr, "--out is required") {
		t.Fatalf("missing --out: %d %q", code, stderr)
	}
}

// TestAuditTailOfflineCLI tails a stopped server's audit log with --data, as a table and JSON.
func TestAuditTailOfflineCLI(t *testing.T) {
	dir, kf := newCLIStore(t)
	t.Setenv(serverEnv, "http://127.0.0.1:1") // --data wins over the environment's server
	code, out, errs := runCLI("audit", "tail", "--data", dir, "--key-file", kf, "--limit", "2")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "voiceprint.add") || strings.Contains(out, "store.init") {
		t.Fatalf("tail: %d %q %q", code, out, errs)
	}
	code, out, _ = runCLI("audit", "tail", "--data", dir, "--key-file", kf, "--from", "1", "--json")
	var es []store.AuditEntry
	if err := json.Unmarshal([]byte(out), &es); code != 0 || err != nil || len(es) != 4 || es[0].Action != "store.init" {
		t.Fatalf("tail --json: %d %v %+v", code, err, es)
	}
	code, out, _ = runCLI("audit", "verify", "--data", dir, "--key-file", kf, "--json")
	if code != 0 || !strings.Contains(out, `"ok": true`) {
		t.Fatalf("verify --json: %d %q", code, out)
	}
}
