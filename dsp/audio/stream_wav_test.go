package audio

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// TestStreamWAVMatchesReadWAV: the blocks StreamWAV delivers concatenate to ReadWAV's samples,
// for every project recording, and truncation and callback errors come through.
func TestStreamWAVMatchesReadWAV(t *testing.T) {
	for _, name := range []string{"demo_en.wav", "demo_en_mulaw.wav", "demo_en_alaw.wav", "stereo_agent_caller.wav", "silence.wav"} {
		data, err := os.ReadFile("../../testdata/audio/" + name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ReadWAV(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var got []float32
		info, err := StreamWAV(bytes.NewReader(data), func(i Info, b []float32) error {
			if i.SampleRate != want.SampleRate || i.Channels != want.Channels || len(b)%i.Channels != 0 {
				t.Fatalf("%s: block with info %+v, %d samples", name, i, len(b))
			}
			got = append(got, b...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if info.Frames != want.Frames || len(got) != len(want.Samples) {
			t.Fatalf("%s: %d frames / %d samples, want %d / %d", name, info.Frames, len(got), want.Frames, len(want.Samples))
		}
		for i := range got {
			if got[i] != want.Samples[i] {
				t.Fatalf("%s: sample %d = %g, want %g", name, i, got[i], want.Samples[i])
			}
		}
		// Truncated: the frames read are delivered, then ErrTruncated.
		if _, err := StreamWAV(bytes.NewReader(data[:len(data)*2/3]), func(Info, []float32) error { return nil }); name != "silence.wav" && !errors.Is(err, ErrTruncated) {
			t.Errorf("%s truncated: %v, want ErrTruncated", name, err)
		}
		stop := errors.New("stop")
		if _, err := StreamWAV(bytes.NewReader(data), func(Info, []float32) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("%s: callback error not returned: %v", name, err)
		}
	}
	if _, err := StreamWAV(bytes.NewReader([]byte("RIFX....")), func(Info, []float32) error { return nil }); err == nil {
		t.Error("a non-WAV stream was accepted")
	}
}
