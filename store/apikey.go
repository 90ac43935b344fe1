package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Role is what an API key may do.
type Role string

// Roles, from least to most privileged in their own domain.
const (
	RoleIngest  Role = "ingest"  // stream endpoints only
	RoleAgent   Role = "agent"   // events and console; personal data masked
	RoleAnalyst Role = "analyst" // subjects, consent, enrollment, watchlist, calls, export
	RoleAuditor Role = "auditor" // audit log
	RoleAdmin   Role = "admin"   // keys, erasure, everything
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	switch r {
	case RoleIngest, RoleAgent, RoleAnalyst, RoleAuditor, RoleAdmin:
		return true
	}
	return false
}

// APIKey is an API credential. Only the SHA-256 of its secret is stored.
type APIKey struct {
	ID         string    `json:"id"`               // public key id, used as the audit actor
	Role       Role      `json:"role"`             // what it may do
	Label      string    `json:"label,omitempty"`  // free text, e.g. "genesys prod"
	SecretHash [32]byte  `json:"secret_sha256"`    // SHA-256 of the secret
	Created    time.Time `json:"created"`          // UTC
	Revoked    time.Time `json:"revoked,omitzero"` // UTC; zero while valid
	RevokedBy  string    `json:"revoked_by,omitempty"`
}

// Active reports whether the key has not been revoked.
func (k APIKey) Active() bool { return k.Revoked.IsZero() }

// CheckSecret reports, in constant time, whether secret is the key's secret.
func (k APIKey) CheckSecret(secret string) bool {
	h := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(h[:], k.SecretHash[:]) == 1
}

// CreateAPIKey makes a key with a random id ("vk_…") and a random 256-bit secret (base64url),
// stores its hash, and returns the key and the secret; the secret cannot be recovered later.
func (s *Store) CreateAPIKey(actor string, role Role, label string) (APIKey, string, error) {
	if !role.Valid() {
		return APIKey{}, "", fmt.Errorf("%w: unknown role %q", ErrInvalid, role)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return APIKey{}, "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	k := APIKey{ID: NewID("vk_"), Role: role, Label: label, SecretHash: sha256.Sum256([]byte(secret)), Created: s.now()}
	val, err := json.Marshal(k)
	if err != nil {
		return APIKey{}, "", err
	}
	err = s.update(func(t *tx) error {
		if err := t.txn.Set(apiKeyKey(k.ID), val); err != nil {
			return err
		}
		_, err := t.audit(actor, "apikey.create:"+string(role), "apikey:"+k.ID, OutcomeOK)
		return err
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, secret, nil
}

// GetAPIKey returns a key by id.
func (s *Store) GetAPIKey(id string) (APIKey, error) {
	var k APIKey
	err := s.view(func(txn *badger.Txn) error {
		v, err := getValue(txn, apiKeyKey(id))
		if errors.Is(err, ErrNotFound) {
			return notFound("API key")
		}
		if err != nil {
			return err
		}
		return json.Unmarshal(v, &k)
	})
	return k, err
}

// Authenticate returns the key with the given id when secret matches and the key is not
// revoked; otherwise ErrNotFound, ErrBadSecret or ErrRevoked. It does not audit: the
// caller records failures with Audit.
func (s *Store) Authenticate(id, secret string) (APIKey, error) {
	k, err := s.GetAPIKey(id)
	if err != nil {
		return APIKey{}, err
	}
	if !k.CheckSecret(secret) {
		return APIKey{}, ErrBadSecret
	}
	if !k.Active() {
		return APIKey{}, ErrRevoked
	}
	return k, nil
}

// ListAPIKeys returns all keys (hashes only), ordered by id.
func (s *Store) ListAPIKeys() ([]APIKey, error) {
	var out []APIKey
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, []byte(pfxAPIKey), func(_, v []byte) error {
			var k APIKey
			err := json.Unmarshal(v, &k)
			out = append(out, k)
			return err
		})
	})
	return out, err
}

// RevokeAPIKey marks a key revoked; Authenticate refuses it from then on.
func (s *Store) RevokeAPIKey(actor, id string) error {
	return s.update(func(t *tx) error {
		v, err := getValue(t.txn, apiKeyKey(id))
		if errors.Is(err, ErrNotFound) {
			return notFound("API key")
		}
		if err != nil {
			return err
		}
		var k APIKey
		if err := json.Unmarshal(v, &k); err != nil {
			return err
		}
		if !k.Active() {
			return fmt.Errorf("%w: key already revoked", ErrInvalid)
		}
		k.Revoked, k.RevokedBy = t.now, actor
		nv, _ := json.Marshal(k)
		if err := t.txn.Set(apiKeyKey(id), nv); err != nil {
			return err
		}
		_, err = t.audit(actor, "apikey.revoke", "apikey:"+id, OutcomeOK)
		return err
	})
}
