package server

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Shutdown closes live streams with 1001 and each call still ends with its final assessment,
// published to the agents; new upgrades are refused.
func TestShutdownEndsCalls(t *testing.T) {
	env := newEnv(t, Config{})
	sub := env.srv.Hub().Subscribe("c-shutdown", 64)
	c, _, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatal(err)
	}
	c.WriteJSON(map[string]any{"type": "start", "call_id": "c-shutdown", "encoding": "mulaw", "sample_rate": 8000, "channels": 1})
	x := mulaw(speech(t, aliceCall))[:8000*6]
	for p := 0; p < len(x); p += 160 {
		c.WriteMessage(websocket.BinaryMessage, x[p:p+160])
	}
	// Wait until the server has seen the audio (the first assessment comes back).
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if json.Valid(b) && string(b[:20]) == `{"type":"assessment"` {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := env.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, c); closeCode(err) != websocket.CloseGoingAway {
		t.Errorf("stream closed with %v, want 1001", err)
	}
	final := false
	for len(sub.C) > 0 {
		var e Event
		json.Unmarshal(<-sub.C, &e)
		final = final || e.Assessment.Final
	}
	if !final {
		t.Error("no final assessment published at shutdown")
	}
	if _, resp, err := env.dial(t, "/v1/stream", bearer(ingestToken)); err == nil || resp.StatusCode != 503 {
		t.Errorf("upgrade after shutdown: %v %v", err, resp)
	}
}

// At shutdown an AudioHook session ends the protocol's way: disconnect (reason "completed"), the
// client's close answered with the final assessment and closed; then Shutdown returns.
func TestShutdownAudioHookDisconnects(t *testing.T) {
	env := newEnv(t, Config{})
	a := dialAudioHook(t, env, "aaaaaaaa-bbbb-cccc-dddd-000000000001")
	a.send("open", 1, `{"organizationId":"o","conversationId":"conv-sd","participant":{"id":"p","ani":"+15551234567"},`+
		`"media":[{"type":"audio","format":"PCMU","channels":["external"],"rate":8000}],"customConfig":{"subject_id":"alice"}}`)
	x := mulaw(speech(t, aliceCall))[:8000*5]
	for p := 0; p < len(x); p += 1600 {
		a.c.WriteMessage(websocket.BinaryMessage, x[p:min(p+1600, len(x))])
	}
	for r := a.next(); r.Type != "event"; r = a.next() { // the server has seen the audio
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- env.srv.Shutdown(ctx)
	}()
	var r ahReply
	for r.Type != "disconnect" {
		r = a.next()
	}
	if r.Parameters["reason"] != "completed" {
		t.Errorf("disconnect %v", r.Parameters)
	}
	a.send("close", 2, `{"reason":"disconnect"}`)
	final := false
	for r = a.next(); r.Type != "closed"; r = a.next() {
		final = final || r.finalData() != nil
	}
	if !final {
		t.Error("no final assessment before closed")
	}
	a.c.Close()
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Shutdown did not return after the session closed")
	}
}
