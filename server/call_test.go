package server

import (
	"math"
	"testing"

	"github.com/voxguard/voxguard/dsp/audio"
)

// Decoding and pushing a 20 ms frame allocates nothing in steady state (16 kHz stereo L16, the
// heaviest path: de-interleave, resample, engine).
func TestCallPushAllocs(t *testing.T) {
	env := newEnv(t, Config{})
	cl, err := env.srv.newCall(nil, "test", "c-allocs", "", media{enc: audio.L16LE, rate: 16000, channels: 2, caller: 1})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 16000/50*2*2)
	for range 100 { // warm up: buffers grow
		cl.push(frame)
	}
	// AllocsPerRun counts every goroutine's allocations, and goroutines left by earlier tests
	// (connections being torn down) sometimes allocate meanwhile: the least of three runs is
	// the call's own count.
	least := math.Inf(1)
	for range 3 {
		least = min(least, testing.AllocsPerRun(1, func() {
			for range 500 {
				cl.push(frame)
			}
		}))
	}
	if least != 0 && !raceEnabled {
		t.Errorf("%.0f allocations over 500 frames of silence, want 0", least)
	}
}
