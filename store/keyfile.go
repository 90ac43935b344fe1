package store

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyEnv is the environment variable holding the 256-bit encryption key, as 64 hex
// characters or as base64 (standard or URL alphabet, padded or not) of 32 bytes.
const KeyEnv = "VOXGUARD_ENCRYPTION_KEY"

// KeySize is the size of the encryption key in bytes (AES-256).
const KeySize = 32

// ParseKey decodes a 256-bit key written as 64 hex characters or base64 of 32 bytes.
// Surrounding white space is ignored. The error never echoes the key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrNoKey
	}
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) == KeySize {
				return k, nil
			}
			return nil, fmt.Errorf("%w: base64 decodes to %d bytes, want %d", ErrBadKey, len(k), KeySize)
		}
	}
	return nil, fmt.Errorf("%w: %d characters, neither hex nor base64", ErrBadKey, len(s))
}

// KeyFromEnv returns the key in VOXGUARD_ENCRYPTION_KEY; ok is false when the variable is
// unset or empty.
func KeyFromEnv() (key []byte, ok bool, err error) {
	v := os.Getenv(KeyEnv)
	if strings.TrimSpace(v) == "" {
		return nil, false, nil
	}
	k, err := ParseKey(v)
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", KeyEnv, err)
	}
	return k, true, nil
}

// LoadKeyFile reads a key file holding the key as hex or base64 text.
func LoadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: reading key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateKeyFile loads the key in path, or, when path does not exist, generates a
// random 256-bit key and writes it there as hex with mode 0600 (created is then true).
// It is meant for development: `voxguard serve` calls it on first run and says so.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	key, err = LoadKeyFile(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process created it first
		key, err = LoadKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: creating key file: %w", err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(path)
		return nil, false, fmt.Errorf("store: writing key file: %w", err)
	}
	return key, true, nil
}

// DevKeyPath is the conventional development key file for a data directory: a sibling
// file named after it with the suffix ".key" (data/ -> data.key), kept outside the data
// directory so that copying the directory does not copy its key.
func DevKeyPath(dataDir string) string {
	return filepath.Clean(dataDir) + ".key"
}

// ResolveKey finds the encryption key for dataDir: the key file if keyFile is not empty,
// else VOXGUARD_ENCRYPTION_KEY, else DevKeyPath(dataDir) if that file exists; otherwise
// ErrNoKey. It never creates a key.
func ResolveKey(dataDir, keyFile string) ([]byte, error) {
	if keyFile != "" {
		return LoadKeyFile(keyFile)
	}
	if k, ok, err := KeyFromEnv(); ok || err != nil {
		return k, err
	}
	if dataDir != "" {
		p := DevKeyPath(dataDir)
		if _, err := os.Stat(p); err == nil {
			return LoadKeyFile(p)
		}
	}
	return nil, ErrNoKey
}
