package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/voxguard/voxguard/server"
	"github.com/voxguard/voxguard/store"
)

func TestServeUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"serve", "--model", "/nonexistent.vxgb"}, 1, "no such file"},
		{[]string{"serve", "--tail-stride", "0"}, 2, "--tail-stride 0: want 1 or more"},
		{[]string{"serve", "--spec-shed-delay", "-1ms"}, 2, "--spec-shed-delay -1ms: want 0 (never) or more"},
		{[]string{"serve", "--spec-view-shed-delay", "30ms"}, 2, "--spec-view-shed-delay 30ms is above --spec-shed-delay 20ms"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
	// -h never prints secrets taken from the environment.
	t.Setenv("VOXGUARD_INGEST_KEY", "s3cret-key")
	var out, errb bytes.Buffer
	run([]string{"serve", "-h"}, &out, &errb)
	if strings.Contains(errb.String(), "s3cret-key") {
		t.Error("serve -h printed the ingest key")
	}
}

func TestStoreAuth(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir(), Key: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, secret, err := st.CreateAPIKey("test", store.RoleIngest, "pbx")
	if err != nil {
		t.Fatal(err)
	}
	a := chainAuth{server.NewMemoryAuth(), storeAuth{S: st}}
	if got, ok := a.Authenticate(k.ID + "." + secret); !ok || got.Role != server.RoleIngest || got.ID != k.ID {
		t.Fatalf("store key: %v %v", got, ok)
	}
	for _, bad := range []string{k.ID + ".wrong", k.ID, secret, "", "vk_nobody.x"} {
		if _, ok := a.Authenticate(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := st.RevokeAPIKey("test", k.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Authenticate(k.ID + "." + secret); ok {
		t.Error("revoked key accepted")
	}
	es, _ := st.AuditEntries(0, 100)
	denied := 0
	for _, e := range es {
		if strings.HasPrefix(e.Outcome, store.OutcomeDeniedPrefix) {
			denied++
		}
	}
	if denied != 2 {
		t.Errorf("%d denied authentications audited, want 2 (wrong secret, revoked)", denied)
	}
}

// TestServeCreatesDevKey: on first run with no key, serve's store options create a 0600 key
// file beside the data directory and say so; the second run reuses it silently; a wrong key is
// a clear error rather than an empty store.
func TestServeCreatesDevKey(t *testing.T) {
	t.Setenv(store.KeyEnv, "")
	dir := t.TempDir() + "/data"
	sf := storeFlags{data: dir}
	var errb bytes.Buffer
	opts, err := sf.serveOptions(&errb)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "created a development encryption key") {
		t.Fatalf("first run did not say it created a key: %q", errb.String())
	}
	st, err := os.Stat(store.DevKeyPath(dir))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	s, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	errb.Reset()
	if _, err := sf.serveOptions(&errb); err != nil || errb.Len() != 0 {
		t.Fatalf("second run: %v, %q; want the existing key reused silently", err, errb.String())
	}
	wrong := storeFlags{data: dir, keyFile: t.TempDir() + "/other.key"}
	if _, _, err := store.LoadOrCreateKeyFile(wrong.keyFile); err != nil {
		t.Fatal(err)
	}
	o, err := wrong.serveOptions(&errb)
	if err == nil {
		_, err = store.Open(o)
	}
	if !errors.Is(err, store.ErrWrongKey) {
		t.Fatalf("wrong key gave %v, want ErrWrongKey", err)
	}
}
