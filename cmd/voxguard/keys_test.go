package main

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/voxguard/voxguard/server"
	"github.com/voxguard/voxguard/store"
)

// TestKeysCreateListRevoke bootstraps keys in a fresh store: the key is printed once and
// authenticates with its role; an ingest key has a 32-byte base64 AudioHook client secret that
// the store authenticator hands to the AudioHook signature check; a revoked key fails.
func TestKeysCreateListRevoke(t *testing.T) {
	dir := t.TempDir() + "/data"
	t.Setenv(store.KeyEnv, strings.Repeat("ab", 32))
	keyRe := regexp.MustCompile(`key:\s+(vk_\S+)`)
	secRe := regexp.MustCompile(`audiohook client secret: (\S+)`)
	tokens := map[string]string{}
	for _, role := range []string{"admin", "ingest"} {
		var out, errb bytes.Buffer
		if code := run([]string{"keys", "create", "--data", dir, "--role", role, "--label", "l-" + role}, &out, &errb); code != 0 {
			t.Fatalf("keys create %s: exit %d: %s", role, code, errb.String())
		}
		m := keyRe.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no key printed: %q", out.String())
		}
		tokens[role] = m[1]
		sm := secRe.FindStringSubmatch(out.String())
		if (role == "ingest") != (sm != nil) {
			t.Errorf("%s: client secret printed: %v", role, sm)
		}
		if sm != nil {
			if b, err := base64.StdEncoding.DecodeString(sm[1]); err != nil || len(b) != 32 {
				t.Errorf("client secret %q: %v", sm[1], err)
			}
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"keys", "create", "--data", dir, "--role", "boss"}, &out, &errb); code != 2 {
		t.Errorf("bad role: exit %d", code)
	}
	out.Reset()
	if code := run([]string{"keys", "list", "--data", dir}, &out, &errb); code != 0 || strings.Count(out.String(), "vk_") != 2 {
		t.Fatalf("keys list: %d %q", code, out.String())
	}
	st, err := store.Open(store.Options{Dir: dir, Key: bytes.Repeat([]byte{0xab}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	a := server.StoreAuth{S: st}
	if k, ok := a.Authenticate(tokens["ingest"]); !ok || k.Role != server.RoleIngest || len(k.Secret) != 32 {
		t.Errorf("ingest key: %+v %v", k, ok)
	}
	if k, ok := a.Authenticate(tokens["admin"]); !ok || k.Role != server.RoleAdmin || k.Secret != nil {
		t.Errorf("admin key: %+v %v", k, ok)
	}
	st.Close()
	id, _, _ := strings.Cut(tokens["ingest"], ".")
	if code := run([]string{"keys", "revoke", id, "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("revoke: %d %s", code, errb.String())
	}
	st, _ = store.Open(store.Options{Dir: dir, Key: bytes.Repeat([]byte{0xab}, 32)})
	defer st.Close()
	if _, ok := (server.StoreAuth{S: st}).Authenticate(tokens["ingest"]); ok {
		t.Error("revoked key accepted")
	}
}
