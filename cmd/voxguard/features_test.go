package main

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/kaldiio"
)

const demoWAV = "../../testdata/audio/demo_en.wav"

func TestFeaturesCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		dim     int
		binary  bool
		wantErr string
	}{
		{"text mfcc", []string{"--wav", demoWAV}, 0, 20, false, ""},
		{"full pipeline binary", []string{"--wav", demoWAV, "--vad", "--cmn", "--deltas", "--binary"}, 0, 60, true, ""},
		{"warp", []string{"--wav", demoWAV, "--warp", "--deltas"}, 0, 60, false, ""},
		{"wideband resamples", []string{"--wav", demoWAV, "--config", "wideband"}, 0, 30, false, ""},
		{"mu-law copy", []string{"--wav", "../../testdata/audio/demo_en_mulaw.wav", "--key", "k"}, 0, 20, false, ""},
		{"no wav", nil, 2, 0, false, "--wav is required"},
		{"bad config", []string{"--wav", demoWAV, "--config", "hifi"}, 2, 0, false, "telephone or wideband"},
		{"cmn and warp", []string{"--wav", demoWAV, "--cmn", "--warp"}, 2, 0, false, "alternatives"},
		{"missing file", []string{"--wav", "nope.wav"}, 1, 0, false, "nope.wav"},
		{"bad channel", []string{"--wav", demoWAV, "--channel", "3"}, 1, 0, false, "channel"},
		{"not a wav", []string{"--wav", "features.go"}, 1, 0, false, "RIFF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"features"}, tc.args...), &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, errb.String())
			}
			if tc.wantErr != "" && !strings.Contains(errb.String(), tc.wantErr) {
				t.Fatalf("stderr %q does not mention %q", errb.String(), tc.wantErr)
			}
			if code != 0 {
				return
			}
			if tc.binary != strings.Contains(out.String(), "\x00BFM ") {
				t.Fatalf("binary=%v but output starts %q", tc.binary, out.String()[:20])
			}
			key, m, err := kaldiio.ReadMatrix(bufio.NewReader(&out))
			if err != nil {
				t.Fatal(err)
			}
			if len(m) < 100 || len(m[0]) != tc.dim {
				t.Fatalf("%s: %d frames of %d, want >=100 of %d", key, len(m), len(m[0]), tc.dim)
			}
		})
	}
}

// TestFeaturesCommandMatchesLibrary checks that the command prints exactly what the library
// computes (text values read back to the same float32).
func TestFeaturesCommandMatchesLibrary(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"features", "--wav", demoWAV, "--vad", "--cmn", "--deltas"}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	_, got, err := kaldiio.ReadMatrix(bufio.NewReader(&out))
	if err != nil {
		t.Fatal(err)
	}
	a, err := audio.ReadWAVFile(demoWAV)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := a.Channel(0)
	cfg := dsp.FrontendConfig{MFCC: dsp.TelephoneMFCC(), DeltaOrder: 2, Norm: dsp.NormCMN, NormWindow: 300}
	v := dsp.KaldiVAD()
	cfg.VAD = &v
	frames, voiced, err := dsp.Process(x, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]float32
	for i, f := range frames {
		if voiced[i] {
			want = append(want, f)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d voiced frames printed, library gives %d", len(got), len(want))
	}
	for i := range want {
		for k := range want[i] {
			if got[i][k] != want[i][k] {
				t.Fatalf("frame %d coef %d: printed %g, library %g", i, k, got[i][k], want[i][k])
			}
		}
	}
}
