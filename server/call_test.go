package server

import (
	"testing"

	"github.com/voxguard/voxguard/dsp/audio"
)

// Decoding and pushing a 20 ms frame allocates nothing in steady state (16 kHz stereo L16, the
// heaviest path: de-interleave, resample, engine).
func TestCallPushAllocs(t *testing.T) {
	env := newEnv(t, Config{})
	cl, err := env.srv.newCall("test", "c-allocs", "", media{audio.L16LE, 16000, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 16000/50*2*2)
	for range 100 { // warm up: buffers grow
		cl.push(frame)
	}
	allocs := testing.AllocsPerRun(1, func() {
		for range 500 {
			cl.push(frame)
		}
	})
	if allocs != 0 {
		t.Errorf("%.0f allocations over 500 frames of silence, want 0", allocs)
	}
}
