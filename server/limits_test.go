package server

import (
	"net/http"
	"testing"
)

// A key streaming its limit of calls gets 429 for one more until a call ends; /v1/events takes
// browser origins from the allowlist and refuses others.
func TestCallsPerKeyAndOrigins(t *testing.T) {
	env := newEnv(t, Config{MaxCallsPerKey: 1, EventOrigins: []string{"https://console.example.com"}})
	c1, _, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second call: %v %v, want 429", res, err)
	}
	c1.Close()
	env.redial(t, "/v1/stream", bearer(ingestToken))
	for _, tc := range []struct {
		origin string
		ok     bool
	}{{"https://console.example.com", true}, {"https://evil.example.com", false}} {
		h := bearer(agentToken)
		h.Set("Origin", tc.origin)
		c, res, err := env.dial(t, "/v1/events", h)
		if tc.ok != (err == nil) {
			t.Errorf("origin %s: %v %v", tc.origin, res, err)
		}
		if c != nil {
			c.Close()
		}
	}
}
