package server

import (
	"testing"

	"github.com/gorilla/websocket"
	"github.com/voxguard/voxguard/dsp/audio"
)

// L16 forks as three platforms announce them; each streams the same caller and gets the same
// final verdict back as text frames.
func TestForkPlatforms(t *testing.T) {
	env := newEnv(t, Config{})
	x8 := speech(t, aliceCall)[:8000*8]
	x16, _ := audio.Resample(x8, 8000, 16000)
	for _, tc := range []struct {
		name string
		meta map[string]any
		pcm  []byte
	}{
		{"vonage", map[string]any{"event": "websocket:connected", "content-type": "audio/l16;rate=16000", "uuid": "v-1", "subject_id": "alice"}, pcm16(x16, false)},
		{"freeswitch", map[string]any{"call_id": "fs-1", "sample_rate": 8000, "channels": 2, "subject_id": "alice"},
			interleave2(pcm16(x8, false), pcm16(make([]float32, len(x8)), false), 2)},
		{"jambonz", map[string]any{"callSid": "j-1", "sampleRate": 8000, "mixType": "mono", "from": "+15550001111", "subjectId": "alice"}, pcm16(x8, false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := env.dial(t, "/v1/fork", bearer(ingestToken))
			if err != nil {
				t.Fatal(err)
			}
			c.WriteJSON(tc.meta)
			for p := 0; p < len(tc.pcm); p += 640 {
				c.WriteMessage(websocket.BinaryMessage, tc.pcm[p:min(p+640, len(tc.pcm))])
			}
			c.WriteJSON(map[string]any{"event": "websocket:dtmf", "digit": "5"}) // ignored
			c.WriteJSON(map[string]any{"type": "stop"})
			msgs, err := readAllUntilFinal(t, c)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			last := msgs[len(msgs)-1]
			if len(msgs) < 3 || last["verification"].(map[string]any)["subject_id"] != "alice" {
				t.Errorf("%d assessments, final %v", len(msgs), last)
			}
		})
	}
}
