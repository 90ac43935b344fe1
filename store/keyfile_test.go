package store

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	k := bytes.Repeat([]byte{0xAB}, 32)
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"hex", hex.EncodeToString(k), nil},
		{"hex upper with newline", strings.ToUpper(hex.EncodeToString(k)) + "\n", nil},
		{"base64 std", base64.StdEncoding.EncodeToString(k), nil},
		{"base64 url raw", base64.RawURLEncoding.EncodeToString(k), nil},
		{"empty", "  ", ErrNoKey},
		{"short hex", hex.EncodeToString(k[:16]), ErrBadKey},
		{"garbage", "not a key!!", ErrBadKey},
		{"base64 of 16 bytes", base64.StdEncoding.EncodeToString(k[:16]), ErrBadKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err == nil && !bytes.Equal(got, k) {
				t.Fatalf("key %x", got)
			}
			if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) && len(strings.TrimSpace(tc.in)) > 12 {
				t.Fatalf("error echoes the key: %v", err)
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "dev.key")
	k1, created, err := LoadOrCreateKeyFile(p)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("first call: %v created=%v len=%d", err, created, len(k1))
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v err %v, want 0600", fi.Mode().Perm(), err)
	}
	k2, created, err := LoadOrCreateKeyFile(p)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second call: %v created=%v same=%v", err, created, bytes.Equal(k1, k2))
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("xyz"), 0o600)
	if _, _, err := LoadOrCreateKeyFile(bad); !errors.Is(err, ErrBadKey) {
		t.Fatalf("malformed key file: %v", err)
	}
}

func TestResolveKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	fileKey := bytes.Repeat([]byte{1}, 32)
	envKey := bytes.Repeat([]byte{2}, 32)
	devKey := bytes.Repeat([]byte{3}, 32)
	kf := filepath.Join(t.TempDir(), "k")
	os.WriteFile(kf, []byte(hex.EncodeToString(fileKey)), 0o600)

	t.Setenv(KeyEnv, "")
	if _, err := ResolveKey(dir, ""); !errors.Is(err, ErrNoKey) {
		t.Fatalf("nothing: %v", err)
	}
	os.WriteFile(DevKeyPath(dir), []byte(hex.EncodeToString(devKey)), 0o600)
	if k, err := ResolveKey(dir, ""); err != nil || !bytes.Equal(k, devKey) {
		t.Fatalf("dev key: %x %v", k, err)
	}
	t.Setenv(KeyEnv, base64.StdEncoding.EncodeToString(envKey))
	if k, err := ResolveKey(dir, ""); err != nil || !bytes.Equal(k, envKey) {
		t.Fatalf("env key: %x %v", k, err)
	}
	if k, err := ResolveKey(dir, kf); err != nil || !bytes.Equal(k, fileKey) {
		t.Fatalf("file key: %x %v", k, err)
	}
	t.Setenv(KeyEnv, "nonsense")
	if _, err := ResolveKey(dir, ""); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), KeyEnv) {
		t.Fatalf("bad env: %v", err)
	}
}
