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
	x24, _ := audio.Resample(x8, 8000, 24000)
	stereo := interleave2(pcm16(x8, false), pcm16(make([]float32, len(x8)), false), 2)
	for _, tc := range []struct {
		name, path string
		meta       map[string]any // nil: no metadata frame, the query's defaults start the call
		pcm        []byte
	}{
		// Vonage sends no call id unless the NCCO's headers add one.
		{"vonage", "/v1/fork", map[string]any{"event": "websocket:connected", "content-type": "audio/l16;rate=16000", "subject_id": "alice"}, pcm16(x16, false)},
		{"freeswitch", "/v1/fork", map[string]any{"call_id": "fs-1", "sample_rate": 8000, "channels": 2, "subject_id": "alice"}, stereo},
		// mod_audio_fork with its README's example metadata: the format comes from the URL.
		{"mod_audio_fork", "/v1/fork?sample_rate=8000&channels=2&subject_id=alice", map[string]any{"to": "+15550002222", "from": "+15550001111", "callid": "abc"}, stereo},
		{"mod_audio_fork without metadata", "/v1/fork?sample_rate=8000&channels=2&call_id=fs-2&subject_id=alice", nil, stereo},
		{"jambonz", "/v1/fork", map[string]any{"callSid": "j-1", "sampleRate": 8000, "mixType": "mono", "from": "+15550001111", "subjectId": "alice",
			"sipStatus": 200, "customerData": map[string]any{"tier": 1}}, pcm16(x8, false)},
		{"jambonz 24 kHz", "/v1/fork", map[string]any{"callSid": "j-3", "sampleRate": 24000, "mixType": "mono", "subjectId": "alice"}, pcm16(x24, false)},
		{"jambonz stereo", "/v1/fork", map[string]any{"callSid": "j-2", "sampleRate": 8000, "mixType": "stereo", "subjectId": "alice"}, stereo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := env.dial(t, tc.path, bearer(ingestToken))
			if err != nil {
				t.Fatal(err)
			}
			if tc.meta != nil {
				c.WriteJSON(tc.meta)
			}
			for p := 0; p < len(tc.pcm); p += 640 {
				c.WriteMessage(websocket.BinaryMessage, tc.pcm[p:min(p+640, len(tc.pcm))])
			}
			c.WriteJSON(map[string]any{"event": "websocket:dtmf", "digit": "5"}) // ignored
			c.WriteMessage(websocket.TextMessage, []byte("DTMF 5"))              // mod_audio_fork send_text: ignored
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
			// Only the caller's channel counts: stereo read as mono would double the speech.
			if sp := last["speech_seconds"].(float64); sp < 3 || sp > 8 {
				t.Errorf("speech_seconds %.2f of 8 s of audio", sp)
			}
		})
	}
}
