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

// An AudioHook connection probe (nil conversation id) is not a call: once its open is answered
// it holds no call slot, so a key at its limit of one call can still stream while a probe is
// open, and the live-calls gauge does not count it.
func TestAudioHookProbeTakesNoCallSlot(t *testing.T) {
	env := newEnv(t, Config{MaxCallsPerKey: 1})
	a := dialAudioHook(t, env, "aaaaaaaa-bbbb-cccc-dddd-000000000001")
	a.send("open", 1, `{"organizationId":"o","conversationId":"00000000-0000-0000-0000-000000000000","participant":{"id":"p"},`+
		`"media":[{"type":"audio","format":"PCMU","channels":["external","internal"],"rate":8000}]}`)
	if r := a.next(); r.Type != "opened" {
		t.Fatalf("reply to the probe's open: %+v", r)
	}
	if n := env.srv.prom.liveCalls.Load(); n != 0 {
		t.Errorf("live calls with a probe open: %d, want 0", n)
	}
	c, res, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatalf("a call while a probe is open: %v %v, want it admitted", res, err)
	}
	if n := env.srv.prom.liveCalls.Load(); n != 1 {
		t.Errorf("live calls: %d, want 1", n)
	}
	// The key is now at its limit: a second AudioHook session is refused before its upgrade.
	_, res, err = env.dial(t, "/v1/audiohook", http.Header{"X-API-KEY": {ingestToken}, "Audiohook-Session-Id": {"aaaaaaaa-bbbb-cccc-dddd-000000000002"}})
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a second session at the key's limit: %v %v, want 429", res, err)
	}
	// The probe ends normally; the call's slot stays taken until the call ends.
	a.send("close", 2, `{"reason":"end"}`)
	if r := a.next(); r.Type != "closed" {
		t.Fatalf("reply to the probe's close: %+v", r)
	}
	a.c.Close()
	c.Close()
	env.redial(t, "/v1/stream", bearer(ingestToken))
}
