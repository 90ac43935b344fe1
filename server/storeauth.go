package server

import (
	"errors"
	"strings"

	"github.com/voxguard/voxguard/store"
)

// StoreAuth authenticates API keys held in the store, presented as "ID.SECRET" (the id and the
// secret store.CreateAPIKey returns, joined by a dot). The store compares the secret's hash in
// constant time. A wrong secret or a revoked key is audited as denied. An ingest key's
// AudioHook client secret, when the store holds one, comes back in Key.Secret so that
// AudioHook requests made with it must be signed.
type StoreAuth struct{ S *store.Store }

// Authenticate implements Authenticator.
func (a StoreAuth) Authenticate(token string) (Key, bool) {
	id, secret, ok := strings.Cut(token, ".")
	if !ok || !strings.HasPrefix(id, "vk_") || len(id) > 64 {
		return Key{}, false
	}
	k, err := a.S.Authenticate(id, secret)
	if err != nil {
		if errors.Is(err, store.ErrBadSecret) || errors.Is(err, store.ErrRevoked) {
			reason := "bad-secret"
			if errors.Is(err, store.ErrRevoked) {
				reason = "revoked"
			}
			a.S.Audit(id, "auth", "apikey:"+id, store.OutcomeDeniedPrefix+reason)
		}
		return Key{}, false
	}
	out := Key{ID: k.ID, Role: Role(k.Role)}
	if k.Role == store.RoleIngest {
		out.Secret, _ = a.S.KeySecret(k.ID)
	}
	return out, true
}

// ChainAuth tries each Authenticator in turn.
type ChainAuth []Authenticator

// Authenticate implements Authenticator.
func (c ChainAuth) Authenticate(token string) (Key, bool) {
	for _, a := range c {
		if k, ok := a.Authenticate(token); ok {
			return k, true
		}
	}
	return Key{}, false
}
