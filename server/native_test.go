package server

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
)

// A native stream at 16 kHz, stereo pcm16le with the caller on channel 1: started, progressive
// assessments, a mid-call claim scored at once, and the final assessment; an agent following the
// call on /v1/events sees the same assessments with the ANI masked.
func TestNativeStream(t *testing.T) {
	for _, batch := range []time.Duration{envReadBatch, 0} {
		t.Run(fmt.Sprintf("read-batch=%v", batch), func(t *testing.T) {
			defer func(b time.Duration) { envReadBatch = b }(envReadBatch)
			envReadBatch = batch
			testNativeStream(t)
		})
	}
}

func testNativeStream(t *testing.T) {
	env := newEnv(t, Config{})
	ev, _, err := env.dial(t, "/v1/events?call_id=c-native", bearer(agentToken))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	time.Sleep(20 * time.Millisecond) // let the subscription register

	c, _, err := env.dial(t, "/v1/stream", bearer(ingestToken))
	if err != nil {
		t.Fatal(err)
	}
	x8 := speech(t, aliceCall)
	x16, _ := audio.Resample(x8, 8000, 16000)
	stream := interleave2(pcm16(make([]float32, len(x16)), false), pcm16(x16, false), 2)
	c.WriteJSON(map[string]any{"type": "start", "call_id": "c-native", "ani": "+1-555-555-1234",
		"encoding": "pcm16le", "sample_rate": 16000, "channels": 2, "caller_channel": 1})
	frame := 16000 * 2 * 2 / 50 // 20 ms
	half := len(stream) / 2 / frame * frame
	for p := 0; p < half; p += frame {
		c.WriteMessage(websocket.BinaryMessage, stream[p:p+frame])
	}
	c.WriteJSON(map[string]any{"type": "claim", "subject_id": "alice"})
	for p := half; p < len(stream); p += frame {
		c.WriteMessage(websocket.BinaryMessage, stream[p:min(p+frame, len(stream))])
	}
	c.WriteJSON(map[string]any{"type": "stop"})
	msgs, err := readAllUntilFinal(t, c)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	if msgs[0]["type"] != "started" {
		t.Fatalf("first reply %v, want started", msgs[0])
	}
	as := msgs[1:]
	if len(as) < 4 {
		t.Fatalf("%d assessments, want at least 4", len(as))
	}
	claimed := false
	for i, a := range as {
		if a["type"] != "assessment" || a["seq"].(float64) != float64(i+1) {
			t.Errorf("assessment %d: %v", i, a)
		}
		v := a["verification"].(map[string]any)
		if v["subject_id"] == "alice" && !claimed {
			claimed = true
			if sp := a["speech_seconds"].(float64); sp > 9 {
				t.Errorf("claim first scored at %.1f s of speech: not at once", sp)
			}
		}
	}
	last := as[len(as)-1]
	if last["final"] != true || last["verification"].(map[string]any)["decision"] != "match" || last["band"] != "low" {
		t.Errorf("final assessment %v, want a low-risk match", last)
	}
	// The agent's feed.
	ev.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range as {
		_, b, err := ev.ReadMessage()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		var e Event
		json.Unmarshal(b, &e)
		if e.Assessment.Seq != i+1 || e.Platform != "stream" || e.ANI != "*********34" {
			t.Errorf("event %d: %s", i, b)
		}
	}
}

// readAllUntilFinal reads text messages up to and including the final assessment.
func readAllUntilFinal(t testing.TB, c *websocket.Conn) ([]map[string]any, error) {
	var out []map[string]any
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			return out, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("invalid JSON %q", b)
		}
		out = append(out, m)
		if m["final"] == true {
			return out, nil
		}
	}
}

func TestMaskANI(t *testing.T) {
	for in, want := range map[string]string{"+1-555-555-1234": "*********34", "": "", "1234": "****", "anonymous": ""} {
		if got := MaskANI(in); got != want {
			t.Errorf("MaskANI(%q) = %q, want %q", in, got, want)
		}
	}
}
