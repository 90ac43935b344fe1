package audio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// wavSeeds are valid and nearly valid WAV files covering every format variant.
func wavSeeds() [][]byte {
	pcm := fmtChunk(1, 1, 8000, 2, 16, nil)
	return [][]byte{
		buildWAV(fmtChunk(1, 1, 8000, 1, 8, nil), chunk{id: "data", data: []byte{0, 128, 255}}, list()),
		buildWAV(fmtChunk(1, 2, 16000, 4, 16, nil), chunk{id: "data", data: le([]int16{-32768, 32767, 1, -1})}),
		buildWAV(fmtChunk(1, 1, 8000, 2, 16, []byte{}), list(), fact(2), chunk{id: "junk", data: []byte{1, 2, 3}}, chunk{id: "data", data: le([]int16{100, -200})}),
		buildWAV(fmtChunk(1, 1, 48000, 3, 24, nil), chunk{id: "data", data: s24(-8388608, 8388607)}),
		buildWAV(fmtChunk(1, 1, 44100, 4, 32, nil), chunk{id: "data", data: le([]int32{1 << 30, -1 << 29})}),
		buildWAV(fmtChunk(3, 1, 16000, 4, 32, []byte{}), fact(2), chunk{id: "data", data: le([]float32{0.25, -3})}),
		buildWAV(fmtChunk(3, 2, 22050, 16, 64, nil), chunk{id: "data", data: le([]float64{0.125, -0.75})}),
		buildWAV(fmtChunk(7, 1, 8000, 1, 8, []byte{}), fact(4), chunk{id: "data", data: []byte{0xFF, 0x80, 0x00, 0x7F}}),
		buildWAV(fmtChunk(6, 1, 8000, 1, 8, []byte{}), fact(4), chunk{id: "data", data: []byte{0xD5, 0x55, 0xAA, 0x2A}}),
		buildWAV(fmtChunk(0xFFFE, 3, 16000, 6, 16, extensible(1, 16, 7)), chunk{id: "data", data: le([]int16{1, 2, 3, -1, -2, -3})}),
		buildWAV(fmtChunk(0xFFFE, 1, 48000, 4, 32, extensible(1, 24, 4)), chunk{id: "data", data: le([]int32{1 << 30})}),
		buildWAV(fmtChunk(0xFFFE, 2, 8000, 2, 8, extensible(7, 8, 3)), chunk{id: "data", data: []byte{1, 2, 3, 4}}),
		buildWAV(pcm, chunk{id: "data", data: le([]int16{5, 6, 7}), size: sz(0xFFFFFFFF)}),
		buildWAV(pcm, chunk{id: "data", data: le([]int16{1, 2}), size: sz(1 << 30)}),
		buildWAV(chunk{id: "fmt ", data: pcm.data, size: sz(0xFFFFFFF0)}),
	}
}

// FuzzReadWAV: any input gives either audio satisfying the invariants or a *FormatError;
// never a panic, and never more samples than the input has bytes.
func FuzzReadWAV(f *testing.F) {
	for _, s := range wavSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range []io.Reader{bytes.NewReader(data), struct{ io.Reader }{bytes.NewReader(data)}} {
			a, err := ReadWAV(r)
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Problem == "" || fe.Field == "" {
					t.Fatalf("error %v (%T) is not a descriptive *FormatError", err, err)
				}
				if a != nil && !errors.Is(err, ErrTruncated) {
					t.Fatalf("audio returned with non-truncation error %v", err)
				}
			}
			if a == nil {
				continue
			}
			if a.Channels < 1 || a.Channels > MaxChannels || a.SampleRate < MinSampleRate || a.SampleRate > MaxSampleRate {
				t.Fatalf("implausible info %+v", a.Info)
			}
			if int64(len(a.Samples)) != a.Frames*int64(a.Channels) || len(a.Samples) > len(data) {
				t.Fatalf("%d samples for %d frames x %d channels from %d bytes", len(a.Samples), a.Frames, a.Channels, len(data))
			}
			for i, v := range a.Samples {
				if !(v >= -1 && v <= 1) {
					t.Fatalf("sample %d = %v outside [-1, 1]", i, v)
				}
			}
		}
	})
}

// FuzzStreamDecoder: decoding in two pieces split anywhere equals the reference decoding of
// the whole stream, for every encoding, channel count and channel.
func FuzzStreamDecoder(f *testing.F) {
	f.Add([]byte{0x00, 0x80, 0xff, 0x7f, 0x01}, uint8(0), uint8(1), uint8(0), uint16(1))
	f.Add([]byte{0x01, 0x00, 0x00, 0x40, 0x02, 0x00, 0x00, 0xc0, 0x07}, uint8(1), uint8(2), uint8(1), uint16(3))
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80, 0x12}, uint8(2), uint8(2), uint8(1), uint16(1))
	f.Add([]byte{0xd5, 0x55, 0xaa}, uint8(3), uint8(3), uint8(2), uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, enc, channels, channel uint8, split uint16) {
		e := StreamEncoding(enc % 5) // includes one invalid encoding
		d, err := NewStreamDecoder(e, int(channels), int(channel))
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("constructor error %v does not wrap ErrInvalidArgument", err)
			}
			return
		}
		k := int(split) % (len(data) + 1)
		got := d.Decode(d.Decode(nil, data[:k]), data[k:])
		want := refDecode(e, int(channels), int(channel), data)
		if len(got) != len(want) {
			t.Fatalf("%d samples, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("sample %d = %v, want %v", i, got[i], want[i])
			}
		}
		if d.Pending() != len(data)%(int(channels)*e.BytesPerSample()) {
			t.Fatalf("Pending() = %d", d.Pending())
		}
	})
}

// FuzzResampler: any float input and split gives finite output equal to the batch result.
func FuzzResampler(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(0), uint16(3))
	f.Add(make([]byte, 400), uint8(5), uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, pair uint8, split uint16) {
		pr := resamplePairs[int(pair)%len(resamplePairs)]
		x := make([]float32, len(data))
		for i, b := range data {
			x[i] = float32(int8(b)) / 128
		}
		want, err := Resample(x, pr[0], pr[1])
		if err != nil {
			t.Fatal(err)
		}
		r, _ := NewResampler(pr[0], pr[1])
		k := int(split) % (len(x) + 1)
		got := r.Flush(r.Process(r.Process(nil, x[:k]), x[k:]))
		if len(got) != len(want) {
			t.Fatalf("%d samples, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] || math.IsNaN(float64(got[i])) || math.Abs(float64(got[i])) > 2 {
				t.Fatalf("sample %d = %v, batch %v", i, got[i], want[i])
			}
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzReadWAV seed files from wavSeeds when
// VOXGUARD_WRITE_FUZZ_SEEDS=1 (go test -run TestWriteFuzzSeeds ./dsp/audio).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VOXGUARD_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set VOXGUARD_WRITE_FUZZ_SEEDS=1 to regenerate the committed fuzz seed corpus")
	}
	write := func(target, name string, args ...string) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := "go test fuzz v1\n"
		for _, a := range args {
			body += a + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bs := func(b []byte) string { return "[]byte(" + strconv.Quote(string(b)) + ")" }
	for i, s := range wavSeeds() {
		write("FuzzReadWAV", fmt.Sprintf("seed-%02d", i), bs(s))
	}
	if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audio", "digits_mulaw.wav")); err == nil {
		write("FuzzReadWAV", "seed-real-mulaw", bs(b[:min(len(b), 2048)]))
	}
	streams := []struct {
		data                   []byte
		enc, channels, channel uint8
		split                  uint16
	}{
		{[]byte{0x00, 0x80, 0xff, 0x7f, 0x01}, 0, 1, 0, 1},
		{[]byte{0x01, 0x00, 0x00, 0x40, 0x02, 0x00, 0x00, 0xc0, 0x07}, 1, 2, 1, 3},
		{[]byte{0xff, 0x7f, 0x00, 0x80, 0x12}, 2, 2, 1, 1},
		{[]byte{0xd5, 0x55, 0xaa}, 3, 3, 2, 2},
	}
	for i, s := range streams {
		write("FuzzStreamDecoder", fmt.Sprintf("seed-%02d", i), bs(s.data),
			fmt.Sprintf("byte(%d)", s.enc), fmt.Sprintf("byte(%d)", s.channels), fmt.Sprintf("byte(%d)", s.channel), fmt.Sprintf("uint16(%d)", s.split))
	}
	write("FuzzResampler", "seed-00", bs([]byte{1, 2, 3, 4, 5, 6, 7, 8}), "byte(0)", "uint16(3)")
	write("FuzzResampler", "seed-01", bs(make([]byte, 400)), "byte(5)", "uint16(100)")
}
