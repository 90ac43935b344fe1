package server

import (
	"testing"

	"github.com/gorilla/websocket"
)

// BenchmarkNativeCall streams a 16 s call over loopback in 20 ms mu-law frames, as fast as the
// server takes them, and reports the real-time factor of the whole path (WebSocket, decoding,
// engine, replies; client included, one call at a time).
func BenchmarkNativeCall(b *testing.B) {
	env := newEnv(b, Config{})
	x := mulaw(speech(b, aliceCall))
	b.ResetTimer()
	for range b.N {
		c, _, err := env.dial(b, "/v1/stream", bearer(ingestToken))
		if err != nil {
			b.Fatal(err)
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"start","call_id":"bench","subject_id":"alice","encoding":"mulaw","sample_rate":8000,"channels":1}`))
		for p := 0; p < len(x); p += 160 {
			c.WriteMessage(websocket.BinaryMessage, x[p:min(p+160, len(x))])
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"stop"}`))
		if _, err := readAllUntilFinal(b, c); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.ReportMetric(b.Elapsed().Seconds()/(float64(len(x))/8000*float64(b.N)), "rtf")
}
