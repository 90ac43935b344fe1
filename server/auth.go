package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
)

// Role is what an API key may do (DESIGN.md): ingest streams calls, agent watches assessments,
// analyst, auditor and admin use the REST API; admin may do everything.
type Role string

const (
	RoleIngest  Role = "ingest"
	RoleAgent   Role = "agent"
	RoleAnalyst Role = "analyst"
	RoleAuditor Role = "auditor"
	RoleAdmin   Role = "admin"
)

// Key is an authenticated API key.
type Key struct {
	ID   string // key id, safe to log
	Role Role
	// Secret is the key's client secret (raw bytes), used to check Genesys AudioHook request
	// signatures; nil when the key has none.
	Secret []byte
}

// Authenticator resolves a presented API key (a bearer token, or AudioHook's X-API-KEY) to its
// Key. ok is false for an unknown key. Implementations must compare in constant time and be
// safe for concurrent use.
type Authenticator interface {
	Authenticate(token string) (k Key, ok bool)
}

// MemoryAuth is an in-memory Authenticator, keyed by the SHA-256 of each token.
type MemoryAuth struct {
	mu   sync.RWMutex
	keys map[[32]byte]Key
}

// NewMemoryAuth returns an empty MemoryAuth.
func NewMemoryAuth() *MemoryAuth { return &MemoryAuth{keys: map[[32]byte]Key{}} }

// Add registers token as k.
func (m *MemoryAuth) Add(token string, k Key) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[sha256.Sum256([]byte(token))] = k
}

// Authenticate implements Authenticator. Lookup is by hash, so timing reveals nothing about the
// token; the hash comparison itself is constant-time.
func (m *MemoryAuth) Authenticate(token string) (Key, bool) {
	if token == "" {
		return Key{}, false
	}
	h := sha256.Sum256([]byte(token))
	m.mu.RLock()
	defer m.mu.RUnlock()
	for kh, k := range m.keys {
		if subtle.ConstantTimeCompare(kh[:], h[:]) == 1 {
			return k, true
		}
	}
	return Key{}, false
}

// allows reports whether role may use an endpoint meant for want.
func allows(role, want Role) bool { return role == want || role == RoleAdmin }

// tokenFrom returns the API key a request presents: Authorization Bearer, the password of Basic
// authorization (for forks that only speak Basic), or the access_token query parameter (for
// browsers and platforms that cannot set headers).
func tokenFrom(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	if _, p, ok := r.BasicAuth(); ok {
		return p
	}
	return r.URL.Query().Get("access_token")
}
