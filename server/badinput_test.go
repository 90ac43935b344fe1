package server

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// frame is one client message: text, or binary when bin is non-nil.
type frame struct {
	text string
	bin  []byte
}

func txt(s string) frame          { return frame{text: s} }
func bin(n int) frame             { return frame{bin: make([]byte, n)} }
func js(f string, a ...any) frame { return txt(fmt.Sprintf(f, a...)) }

const (
	nativeStart = `{"type":"start","call_id":"bad-1","encoding":"mulaw","sample_rate":8000,"channels":1}`
	forkMetaOK  = `{"call_id":"fork-bad","sample_rate":8000}`
	ahSessionID = "11111111-2222-3333-4444-555555555555"
)

func ahMsgJSON(typ string, seq int, params string) frame {
	return js(`{"version":"2","type":%q,"id":%q,"seq":%d,"serverseq":0,"position":"PT0S","parameters":%s}`, typ, ahSessionID, seq, params)
}

var ahOpenOK = ahMsgJSON("open", 1, `{"organizationId":"o","conversationId":"c-ah-bad","participant":{"id":"p","ani":"+15551234567"},"media":[{"type":"audio","format":"PCMU","channels":["external","internal"],"rate":8000}]}`)

func twStart(enc, key string) frame {
	return js(`{"event":"start","start":{"callSid":"CA-bad","customParameters":{"api_key":%q},"mediaFormat":{"encoding":%q,"sampleRate":8000,"channels":1}}}`, key, enc)
}

// Malformed and hostile inputs across the protocols each get a clear HTTP status (before the
// upgrade) or close code (after), while a healthy call streams alongside and ends unharmed.
func TestBadInput(t *testing.T) {
	env := newEnv(t, Config{MaxMessageBytes: 8 << 10, IdleTimeout: 700 * time.Millisecond})
	ingest := bearer(ingestToken)
	ahHdr := func(key string) http.Header {
		h := http.Header{"Audiohook-Session-Id": {ahSessionID}}
		if key != "" {
			h.Set("X-API-KEY", key)
		}
		return h
	}
	cases := []struct {
		name   string
		path   string
		hdr    http.Header
		send   []frame
		status int    // HTTP status of a refused upgrade
		close  int    // close code expected
		reply  string // or a substring of a reply expected
	}{
		{"stream: no key", "/v1/stream", nil, nil, 401, 0, ""},
		{"stream: unknown key", "/v1/stream", bearer("nope"), nil, 401, 0, ""},
		{"stream: agent key", "/v1/stream", bearer(agentToken), nil, 403, 0, ""},
		{"stream: bad JSON", "/v1/stream", ingest, []frame{txt(`{"type":"start",`)}, 0, 1007, ""},
		{"stream: unknown encoding", "/v1/stream", ingest, []frame{txt(strings.Replace(nativeStart, "mulaw", "opus", 1))}, 0, 1003, ""},
		{"stream: wrong rate", "/v1/stream", ingest, []frame{txt(strings.Replace(nativeStart, "8000", "44100", 1))}, 0, 1003, ""},
		{"stream: 3 channels", "/v1/stream", ingest, []frame{txt(strings.Replace(nativeStart, `"channels":1`, `"channels":3`, 1))}, 0, 1003, ""},
		{"stream: caller channel out of range", "/v1/stream", ingest, []frame{txt(strings.Replace(nativeStart, `"channels":1`, `"channels":2,"caller_channel":2`, 1))}, 0, 1003, ""},
		{"stream: no call id", "/v1/stream", ingest, []frame{txt(strings.Replace(nativeStart, `"bad-1"`, `""`, 1))}, 0, 1007, ""},
		{"stream: audio before start", "/v1/stream", ingest, []frame{bin(160)}, 0, 1002, ""},
		{"stream: claim before start", "/v1/stream", ingest, []frame{txt(`{"type":"claim","subject_id":"alice"}`)}, 0, 1002, ""},
		{"stream: stop before start", "/v1/stream", ingest, []frame{txt(`{"type":"stop"}`)}, 0, 1002, ""},
		{"stream: second start", "/v1/stream", ingest, []frame{txt(nativeStart), txt(nativeStart)}, 0, 1002, ""},
		{"stream: unknown type", "/v1/stream", ingest, []frame{txt(nativeStart), txt(`{"type":"hello"}`)}, 0, 1007, ""},
		{"stream: empty claim", "/v1/stream", ingest, []frame{txt(nativeStart), txt(`{"type":"claim"}`)}, 0, 1007, ""},
		{"stream: oversized frame", "/v1/stream", ingest, []frame{txt(nativeStart), bin(8<<10 + 1)}, 0, 1009, ""},
		{"stream: idle", "/v1/stream", ingest, []frame{txt(nativeStart)}, 0, 1001, ""},
		{"stream: audio after stop", "/v1/stream", ingest, []frame{txt(nativeStart), bin(1600), txt(`{"type":"stop"}`), bin(160)}, 0, 1002, ""},
		{"twilio: bad api key", "/v1/twilio", nil, []frame{twStart("audio/x-mulaw", "nope")}, 0, 1008, ""},
		{"twilio: agent api key", "/v1/twilio", nil, []frame{twStart("audio/x-mulaw", agentToken)}, 0, 1008, ""},
		{"twilio: no inbound track", "/v1/twilio", nil, []frame{txt(`{"event":"start","start":{"callSid":"CA-out","tracks":["outbound"],"customParameters":{"api_key":"` + ingestToken + `"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}`)}, 0, 1003, ""},
		{"twilio: unknown encoding", "/v1/twilio", nil, []frame{twStart("audio/x-opus", ingestToken)}, 0, 1003, ""},
		{"twilio: media before start", "/v1/twilio", nil, []frame{txt(`{"event":"media","media":{"track":"inbound","payload":"AAAA"}}`)}, 0, 1002, ""},
		{"twilio: binary frame", "/v1/twilio", nil, []frame{bin(10)}, 0, 1003, ""},
		{"twilio: bad base64", "/v1/twilio", nil, []frame{twStart("audio/x-mulaw", ingestToken), txt(`{"event":"media","media":{"track":"inbound","payload":"@@@"}}`)}, 0, 1007, ""},
		{"twilio: media after stop", "/v1/twilio", nil, []frame{twStart("audio/x-mulaw", ingestToken), txt(`{"event":"stop"}`), txt(`{"event":"media","media":{"track":"inbound","payload":"AAAA"}}`)}, 0, 1002, ""},
		{"twilio: unknown event", "/v1/twilio", nil, []frame{txt(`{"event":"hello"}`)}, 0, 1007, ""},
		{"audiohook: no key", "/v1/audiohook", ahHdr(""), nil, 401, 0, ""},
		{"audiohook: unknown key", "/v1/audiohook", ahHdr("nope"), nil, 401, 0, ""},
		{"audiohook: key with secret, unsigned", "/v1/audiohook", ahHdr(ahAPIKey), nil, 401, 0, ""},
		{"audiohook: no session id", "/v1/audiohook", http.Header{"X-API-KEY": {ingestToken}}, nil, 400, 0, ""},
		{"audiohook: bad JSON", "/v1/audiohook", ahHdr(ingestToken), []frame{txt(`{"version":`)}, 0, 1007, ""},
		{"audiohook: audio before open", "/v1/audiohook", ahHdr(ingestToken), []frame{bin(3200)}, 0, 1002, ""},
		{"audiohook: ping before open", "/v1/audiohook", ahHdr(ingestToken), []frame{ahMsgJSON("ping", 1, `{}`)}, 0, 1002, ""},
		{"audiohook: seq skipped", "/v1/audiohook", ahHdr(ingestToken), []frame{ahOpenOK, ahMsgJSON("ping", 3, `{}`)}, 0, 1002, ""},
		{"audiohook: wrong session id", "/v1/audiohook", ahHdr(ingestToken), []frame{txt(strings.Replace(ahOpenOK.text, ahSessionID, "other", 1))}, 0, 1002, ""},
		{"audiohook: another organization", "/v1/audiohook", func() http.Header {
			h := ahHdr(ingestToken)
			h.Set("Audiohook-Organization-Id", "not-o")
			return h
		}(), []frame{ahOpenOK}, 0, 1008, ""},
		{"audiohook: only internal media", "/v1/audiohook", ahHdr(ingestToken), []frame{ahMsgJSON("open", 1, `{"conversationId":"c","media":[{"type":"audio","format":"PCMU","channels":["internal"],"rate":8000}]}`)}, 0, 0, `"type":"disconnect"`},
		{"audiohook: audio after close", "/v1/audiohook", ahHdr(ingestToken), []frame{ahOpenOK, bin(3200), ahMsgJSON("close", 2, `{"reason":"end"}`), bin(3200)}, 0, 1002, ""},
		{"audiohook: unknown type", "/v1/audiohook", ahHdr(ingestToken), []frame{ahOpenOK, ahMsgJSON("hello", 2, `{}`)}, 0, 1002, ""},
		{"fork: no key", "/v1/fork", nil, nil, 401, 0, ""},
		{"fork: audio before metadata", "/v1/fork", ingest, []frame{bin(320)}, 0, 1002, ""},
		{"fork: bad JSON", "/v1/fork", ingest, []frame{txt(`not json`)}, 0, 1007, ""},
		{"fork: wrong rate", "/v1/fork", ingest, []frame{txt(`{"call_id":"f","sample_rate":11025}`)}, 0, 1003, ""},
		{"fork: call id too long", "/v1/fork", ingest, []frame{txt(`{"sample_rate":8000,"call_id":"` + strings.Repeat("x", 129) + `"}`)}, 0, 1007, ""},
		{"fork: mixed parties", "/v1/fork", ingest, []frame{txt(`{"callSid":"j","sampleRate":8000,"mixType":"mixed"}`)}, 0, 1003, ""},
		{"fork: bad query rate", "/v1/fork?sample_rate=fast", ingest, []frame{bin(320)}, 0, 1007, ""},
		{"fork: audio after stop", "/v1/fork", ingest, []frame{txt(forkMetaOK), bin(320), txt(`{"type":"stop"}`), bin(320)}, 0, 1002, ""},
		{"events: ingest key", "/v1/events", ingest, nil, 403, 0, ""},
		{"events: no key", "/v1/events", nil, nil, 401, 0, ""},
		{"events: cross-origin", "/v1/events", http.Header{"Authorization": {"Bearer " + agentToken}, "Origin": {"https://evil.example"}}, nil, 403, 0, ""},
	}
	if len(cases) < 30 {
		t.Fatalf("%d cases, want at least 30", len(cases))
	}

	// A healthy call streams throughout.
	var wg sync.WaitGroup
	var healthy []map[string]any
	var healthyErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, _, err := env.dial(t, "/v1/stream", ingest)
		if err != nil {
			healthyErr = err
			return
		}
		defer c.Close()
		x := mulaw(speech(t, aliceCall))
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"start","call_id":"healthy","subject_id":"alice","encoding":"mulaw","sample_rate":8000,"channels":1}`))
		for p := 0; p < len(x); p += 160 {
			c.WriteMessage(websocket.BinaryMessage, x[p:min(p+160, len(x))])
			if p%8000 == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"stop"}`))
		healthy, healthyErr = readAllUntilFinal(t, c)
	}()

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, resp, err := env.dial(t, tc.path, tc.hdr)
			if tc.status != 0 {
				if err == nil {
					c.Close()
					t.Fatalf("upgrade accepted, want HTTP %d", tc.status)
				}
				if resp == nil || resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
					t.Fatalf("got %v %v, want HTTP %d problem+json", err, resp, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			defer c.Close()
			for _, f := range tc.send {
				if f.bin != nil {
					err = c.WriteMessage(websocket.BinaryMessage, f.bin)
				} else {
					err = c.WriteMessage(websocket.TextMessage, []byte(f.text))
				}
				if err != nil {
					break // the server may have closed already
				}
				time.Sleep(2 * time.Millisecond) // keep the frames' order observable
			}
			var replies [][]byte
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				_, b, err := c.ReadMessage()
				if err != nil {
					if tc.close != 0 && closeCode(err) != tc.close {
						t.Errorf("closed with %v, want code %d", err, tc.close)
					}
					if tc.close != 0 {
						if ce, ok := err.(*websocket.CloseError); ok && ce.Text == "" {
							t.Errorf("close %d without a reason", ce.Code)
						}
					}
					break
				}
				replies = append(replies, b)
				if tc.reply != "" && bytes.Contains(b, []byte(tc.reply)) {
					return
				}
			}
			if tc.reply != "" {
				t.Errorf("no reply containing %s in %q", tc.reply, replies)
			}
		})
	}
	wg.Wait()
	if healthyErr != nil {
		t.Fatalf("healthy call: %v", healthyErr)
	}
	last := healthy[len(healthy)-1]
	if last["final"] != true || last["verification"].(map[string]any)["decision"] != "match" {
		t.Errorf("healthy call ended with %v", last)
	}
}

// A subscriber that does not keep up is dropped instead of blocking publication.
func TestHubDropsSlowSubscriber(t *testing.T) {
	h := NewHub()
	slow := h.Subscribe("", 1)
	other := h.Subscribe("c2", 4)
	for range 3 {
		h.Publish(Event{Type: "assessment"})
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != 1 {
		t.Errorf("slow subscriber got %d events before being dropped, want 1", n)
	}
	if len(other.C) != 0 {
		t.Error("a call filter let another call's events through")
	}
	h.Unsubscribe(slow) // idempotent after a drop
	h.Unsubscribe(other)
}
