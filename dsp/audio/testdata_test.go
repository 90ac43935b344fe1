package audio

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	gowav "github.com/go-audio/wav"
)

// projectAudio is the repository's own test audio folder (made by testdata/audio/make.sh).
var projectAudio = filepath.Join("..", "..", "testdata", "audio")

func readProjectAudio(t *testing.T, name string) *Audio {
	t.Helper()
	a, err := ReadWAVFile(filepath.Join(projectAudio, name))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestProjectAudioFiles(t *testing.T) {
	tests := []struct {
		name           string
		channels, bits int
		enc            Encoding
		minSec, maxSec float64
	}{
		{"demo_en.wav", 1, 16, PCM, 10, 20},
		{"demo_en_mulaw.wav", 1, 8, Mulaw, 10, 20},
		{"demo_en_alaw.wav", 1, 8, Alaw, 10, 20},
		{"voice_us_male.wav", 1, 16, PCM, 2, 5},
		{"voice_gb_female.wav", 1, 16, PCM, 2, 5},
		{"voice_scot_male.wav", 1, 16, PCM, 2, 5},
		{"digits_mulaw.wav", 1, 8, Mulaw, 2, 6},
		{"stereo_agent_caller.wav", 2, 16, PCM, 3, 6},
		{"tone_1khz.wav", 1, 16, PCM, 1, 1},
		{"silence.wav", 1, 16, PCM, 1, 1},
	}
	for _, tc := range tests {
		a := readProjectAudio(t, tc.name)
		if a.SampleRate != 8000 || a.Channels != tc.channels || a.BitsPerSample != tc.bits || a.Encoding != tc.enc {
			t.Errorf("%s: %+v, want 8000 Hz, %d ch, %d bits, %v", tc.name, a.Info, tc.channels, tc.bits, tc.enc)
		}
		if d := a.Duration(); d < tc.minSec || d > tc.maxSec {
			t.Errorf("%s: %.2f s, want %.0f..%.0f s", tc.name, d, tc.minSec, tc.maxSec)
		}
	}
}

// TestProjectAudioG711Copies: the mu-law and A-law copies are exactly our encoding of the PCM
// original (sox encoded them; our encoder is bit-exact to sox).
func TestProjectAudioG711Copies(t *testing.T) {
	pcm := readProjectAudio(t, "demo_en.wav")
	for _, tc := range []struct {
		name string
		enc  func(int16) byte
		dec  func(byte) int16
	}{{"demo_en_mulaw.wav", MulawEncode, MulawDecode}, {"demo_en_alaw.wav", AlawEncode, AlawDecode}} {
		g := readProjectAudio(t, tc.name)
		if g.Frames != pcm.Frames {
			t.Fatalf("%s: %d frames, PCM has %d", tc.name, g.Frames, pcm.Frames)
		}
		for i, v := range pcm.Samples {
			want := float32(tc.dec(tc.enc(int16(v*32768)))) / 32768
			if g.Samples[i] != want {
				t.Fatalf("%s: sample %d = %v, want %v", tc.name, i, g.Samples[i], want)
			}
		}
	}
}

func TestProjectAudioStereoChannelsDiffer(t *testing.T) {
	a := readProjectAudio(t, "stereo_agent_caller.wav")
	l, _ := a.Channel(0)
	r, _ := a.Channel(1)
	var el, er, c float64
	for i := range l {
		el += float64(l[i]) * float64(l[i])
		er += float64(r[i]) * float64(r[i])
		c += float64(l[i]) * float64(r[i])
	}
	if el < 1 || er < 1 {
		t.Fatalf("channel energies %.1f, %.1f: a channel is (nearly) silent", el, er)
	}
	if corr := c / math.Sqrt(el*er); math.Abs(corr) > 0.2 {
		t.Errorf("channels correlate at %.2f; they should carry different speech", corr)
	}
}

func TestProjectAudioToneAndSilence(t *testing.T) {
	tone := readProjectAudio(t, "tone_1khz.wav")
	y := make([]float64, len(tone.Samples))
	for i, v := range tone.Samples {
		y[i] = float64(v)
	}
	amp, resid := fitSine(y, 2*math.Pi*1000/8000)
	if math.Abs(amp-0.5) > 0.001 || resid > 1e-3 {
		t.Errorf("tone: amplitude %.4f (want 0.5), residual RMS %.2e", amp, resid)
	}
	for i, v := range readProjectAudio(t, "silence.wav").Samples {
		if v != 0 {
			t.Fatalf("silence: sample %d = %v", i, v)
		}
	}
}

// TestAgainstGoAudioWav cross-checks 16-bit PCM decoding with go-audio/wav, which serves as an
// independent reference for integer PCM (it is not used for decoding: see the package doc).
func TestAgainstGoAudioWav(t *testing.T) {
	for _, name := range []string{"demo_en.wav", "stereo_agent_caller.wav", "tone_1khz.wav"} {
		f, err := os.Open(filepath.Join(projectAudio, name))
		if err != nil {
			t.Fatal(err)
		}
		buf, err := gowav.NewDecoder(f).FullPCMBuffer()
		f.Close()
		if err != nil {
			t.Fatalf("%s: go-audio/wav: %v", name, err)
		}
		a := readProjectAudio(t, name)
		if len(buf.Data) != len(a.Samples) || buf.Format.NumChannels != a.Channels || buf.Format.SampleRate != a.SampleRate {
			t.Fatalf("%s: go-audio/wav gives %d samples (%d ch, %d Hz), we %d (%d ch, %d Hz)", name, len(buf.Data), buf.Format.NumChannels, buf.Format.SampleRate, len(a.Samples), a.Channels, a.SampleRate)
		}
		for i, v := range buf.Data {
			if float32(v)/32768 != a.Samples[i] {
				t.Fatalf("%s: sample %d: go-audio/wav %d, we %v", name, i, v, a.Samples[i]*32768)
			}
		}
	}
}

// TestWriteWAVFileRoundTrip: samples written by WriteWAVFile read back through ReadWAVFile at
// their rate within half a 16-bit step; values beyond full scale are clipped.
func TestWriteWAVFileRoundTrip(t *testing.T) {
	x := []float32{0, 0.5, -0.5, 0.25, -1, 0.999, 2, -2}
	path := filepath.Join(t.TempDir(), "x.wav")
	if err := WriteWAVFile(path, x, 16000); err != nil {
		t.Fatal(err)
	}
	a, err := ReadWAVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Channel(0)
	if err != nil {
		t.Fatal(err)
	}
	if a.SampleRate != 16000 || len(got) != len(x) {
		t.Fatalf("rate %d, %d samples; want 16000, %d", a.SampleRate, len(got), len(x))
	}
	for i, v := range x {
		want := max(-1, min(32767.0/32768, float64(v)))
		if math.Abs(float64(got[i])-want) > 0.5/32768+1e-9 {
			t.Errorf("sample %d: %g, want %g", i, got[i], want)
		}
	}
	if err := WriteWAVFile(path, x, 0); err == nil {
		t.Error("a zero sample rate was accepted")
	}
}
