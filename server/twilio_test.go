package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// twilioCall plays a Twilio Media Streams session: connected, start (claiming subject), mu-law
// media in 20 ms messages on the inbound track (and outbound silence), a dtmf and a mark, stop.
func twilioCall(t *testing.T, c *websocket.Conn, x []float32, params map[string]string) {
	send := func(v any) {
		if err := c.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"event": "connected", "protocol": "Call", "version": "1.0.0"})
	send(map[string]any{"event": "start", "sequenceNumber": "1", "streamSid": "MZ01",
		"start": map[string]any{"accountSid": "AC01", "streamSid": "MZ01", "callSid": "CA-twilio-1",
			"tracks": []string{"inbound", "outbound"}, "customParameters": params,
			"mediaFormat": map[string]any{"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
	b := mulaw(x)
	silence := base64.StdEncoding.EncodeToString(make([]byte, 160))
	for i, seq := 0, 2; i < len(b); i += 160 {
		p := base64.StdEncoding.EncodeToString(b[i:min(i+160, len(b))])
		// As Twilio sends them: sequence numbers, chunks and timestamps are strings.
		send(map[string]any{"event": "media", "sequenceNumber": strconv.Itoa(seq), "streamSid": "MZ01",
			"media": map[string]any{"track": "inbound", "chunk": strconv.Itoa(seq - 1), "timestamp": strconv.Itoa(i / 8), "payload": p}})
		send(map[string]any{"event": "media", "sequenceNumber": strconv.Itoa(seq + 1), "streamSid": "MZ01",
			"media": map[string]any{"track": "outbound", "chunk": strconv.Itoa(seq - 1), "timestamp": strconv.Itoa(i / 8), "payload": silence}})
		seq += 2
		if i == 160*50 {
			send(map[string]any{"event": "dtmf", "streamSid": "MZ01", "dtmf": map[string]any{"track": "inbound_track", "digit": "1"}})
			send(map[string]any{"event": "mark", "streamSid": "MZ01", "mark": map[string]any{"name": "greeting"}})
		}
	}
	send(map[string]any{"event": "stop", "streamSid": "MZ01", "stop": map[string]any{"accountSid": "AC01", "callSid": "CA-twilio-1"}})
}

// A PublicURL written as https:// still matches the wss:// URL Twilio signs.
func TestTwilioSignedPublicURL(t *testing.T) {
	for _, pub := range []string{"https://voice.example.com/", "wss://voice.example.com"} {
		env := newEnv(t, Config{TwilioAuthToken: "12345", PublicURL: pub})
		sig := TwilioSignature("12345", "wss://voice.example.com/v1/twilio")
		c, resp, err := env.dial(t, "/v1/twilio", http.Header{"X-Twilio-Signature": {sig}})
		if err != nil {
			t.Fatalf("PublicURL %s: %v, %v", pub, err, resp)
		}
		c.Close()
		if _, resp, err := env.dial(t, "/v1/twilio", http.Header{"X-Twilio-Signature": {TwilioSignature("12345", "https://voice.example.com/v1/twilio")}}); err == nil || resp.StatusCode != 403 {
			t.Errorf("PublicURL %s: a signature over the https URL was accepted", pub)
		}
	}
}

func TestTwilioSigned(t *testing.T) {
	env := newEnv(t, Config{TwilioAuthToken: "12345"})
	ev, _, err := env.dial(t, "/v1/events", bearer(agentToken))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	time.Sleep(20 * time.Millisecond)
	// Twilio signs the URL it calls; behind a TLS proxy that is wss:// even if we see ws://.
	url := "wss://" + env.http.Listener.Addr().String() + "/v1/twilio?tenant=a"
	if _, resp, err := env.dial(t, "/v1/twilio?tenant=a", http.Header{"X-Twilio-Signature": {TwilioSignature("wrong", url)}}); err == nil || resp.StatusCode != 403 {
		t.Fatalf("bad signature: %v, %v", err, resp)
	}
	c, _, err := env.dial(t, "/v1/twilio?tenant=a", http.Header{"X-Twilio-Signature": {TwilioSignature("12345", url)}})
	if err != nil {
		t.Fatal(err)
	}
	twilioCall(t, c, speech(t, otherCall), map[string]string{"subject_id": "alice", "ani": "+44 20 7946 0000"})
	ev.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, b, err := ev.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var e Event
		json.Unmarshal(b, &e)
		if e.Platform != "twilio" || e.Assessment.CallID != "CA-twilio-1" || e.ANI != "**********00" {
			t.Errorf("event %s", b)
		}
		if e.Assessment.Final {
			if e.Assessment.Verification.Decision != "mismatch" || e.Assessment.Band != "high" {
				t.Errorf("an impostor claiming alice: %s", b)
			}
			break
		}
	}
	c.Close()
}

// Without a Twilio auth token, the stream authenticates with customParameters.api_key.
func TestTwilioKeyInParameters(t *testing.T) {
	env := newEnv(t, Config{})
	for _, tc := range []struct {
		key  string
		code int
	}{{ingestToken, 0}, {"nope", 1008}, {agentToken, 1008}} {
		c, _, err := env.dial(t, "/v1/twilio", nil)
		if err != nil {
			t.Fatal(err)
		}
		twilioCallShort(c, tc.key)
		_, err = readAll(t, c)
		if tc.code != 0 && closeCode(err) != tc.code {
			t.Errorf("key %q: %v, want close %d", tc.key, err, tc.code)
		}
		if tc.code == 0 && closeCode(err) != 0 && closeCode(err) != 1000 && closeCode(err) != 1006 {
			t.Errorf("key %q: %v", tc.key, err)
		}
		c.Close()
	}
}

func twilioCallShort(c *websocket.Conn, key string) {
	c.WriteJSON(map[string]any{"event": "connected"})
	c.WriteJSON(map[string]any{"event": "start", "start": map[string]any{"callSid": "CA2", "customParameters": map[string]string{"api_key": key},
		"mediaFormat": map[string]any{"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
	c.WriteJSON(map[string]any{"event": "media", "media": map[string]any{"track": "inbound", "payload": base64.StdEncoding.EncodeToString(make([]byte, 160))}})
	c.WriteJSON(map[string]any{"event": "stop"})
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
}
