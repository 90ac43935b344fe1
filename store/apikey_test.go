package store

import (
	"bytes"
	"testing"
)

func TestAPIKeys(t *testing.T) {
	s := openTest(t)
	k, secret, err := s.CreateAPIKey(SystemActor, RoleAdmin, "bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.CreateAPIKey(k.ID, Role("root"), "")
	wantErr(t, err, ErrInvalid)
	tests := []struct {
		name, id, secret string
		want             error
	}{
		{"good", k.ID, secret, nil},
		{"bad secret", k.ID, secret + "x", ErrBadSecret},
		{"unknown id", "vk_nope", secret, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Authenticate(tc.id, tc.secret)
			if tc.want == nil && (err != nil || got.Role != RoleAdmin) {
				t.Fatalf("%+v %v", got, err)
			}
			if tc.want != nil {
				wantErr(t, err, tc.want)
			}
		})
	}
	// Only the hash is stored.
	raw, _ := s.ListAPIKeys()
	if len(raw) != 1 || bytes.Contains([]byte(raw[0].Label+raw[0].ID), []byte(secret)) {
		t.Fatal("unexpected listing")
	}
	if err := s.RevokeAPIKey(k.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Authenticate(k.ID, secret)
	wantErr(t, err, ErrRevoked)
	wantErr(t, s.RevokeAPIKey(k.ID, k.ID), ErrInvalid)
	mustVerify(t, s)
}
