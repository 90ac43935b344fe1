package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// chunk is one RIFF chunk of a synthetic test file; size overrides the declared size.
type chunk struct {
	id   string
	data []byte
	size *uint32
}

func sz(n uint32) *uint32 { return &n }

// buildWAV assembles a RIFF/WAVE file from chunks, adding pad bytes after odd-sized ones.
func buildWAV(chunks ...chunk) []byte {
	var body bytes.Buffer
	body.WriteString("WAVE")
	for _, c := range chunks {
		body.WriteString(c.id)
		n := uint32(len(c.data))
		if c.size != nil {
			n = *c.size
		}
		binary.Write(&body, binary.LittleEndian, n)
		body.Write(c.data)
		if len(c.data)%2 == 1 {
			body.WriteByte(0)
		}
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

// fmtChunk returns a fmt chunk: 16 bytes if extra is nil, else 18 + len(extra) with cbSize.
func fmtChunk(tag, channels uint16, rate uint32, blockAlign, bits uint16, extra []byte) chunk {
	var b bytes.Buffer
	b.Write(le(tag, channels, rate, rate*uint32(blockAlign), blockAlign, bits))
	if extra != nil {
		binary.Write(&b, binary.LittleEndian, uint16(len(extra)))
		b.Write(extra)
	}
	return chunk{id: "fmt ", data: b.Bytes()}
}

// extensible returns the 22 bytes after cbSize of a WAVE_FORMAT_EXTENSIBLE fmt chunk.
func extensible(subTag, validBits uint16, mask uint32) []byte {
	var b bytes.Buffer
	b.Write(le(validBits, mask, subTag))
	b.Write(ksdataformatTail[:])
	return b.Bytes()
}

func le(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func s24(vals ...int32) []byte {
	var b []byte
	for _, v := range vals {
		b = append(b, byte(v), byte(v>>8), byte(v>>16))
	}
	return b
}

func fact(frames uint32) chunk { return chunk{id: "fact", data: le(frames)} }
func list() chunk {
	return chunk{id: "LIST", data: append([]byte("INFOISFT"), le(uint32(5), []byte("sox\x00\x00"))...)}
}

func TestReadWAVFormats(t *testing.T) {
	mu := []byte{0xFF, 0x80, 0x00, 0x7F, 0xA5}
	al := []byte{0xD5, 0x55, 0xAA, 0x2A, 0x80}
	muWant := make([]float32, len(mu))
	alWant := make([]float32, len(al))
	for i := range mu {
		muWant[i] = float32(MulawDecode(mu[i])) / 32768
		alWant[i] = float32(AlawDecode(al[i])) / 32768
	}
	tests := []struct {
		name string
		file []byte
		info Info
		want []float32
	}{
		{"pcm8 mono fmt16",
			buildWAV(fmtChunk(1, 1, 8000, 1, 8, nil), chunk{id: "data", data: []byte{0, 128, 255, 64}}),
			Info{8000, 1, 8, PCM, 4}, []float32{-1, 0, 127.0 / 128, -0.5}},
		{"pcm8 odd-size data followed by LIST",
			buildWAV(fmtChunk(1, 1, 8000, 1, 8, nil), chunk{id: "data", data: []byte{0, 128, 255}}, list()),
			Info{8000, 1, 8, PCM, 3}, []float32{-1, 0, 127.0 / 128}},
		{"pcm16 stereo",
			buildWAV(fmtChunk(1, 2, 16000, 4, 16, nil), chunk{id: "data", data: le([]int16{-32768, 32767, 1, -1, 16384, 0})}),
			Info{16000, 2, 16, PCM, 3}, []float32{-1, 32767.0 / 32768, 1.0 / 32768, -1.0 / 32768, 0.5, 0}},
		{"pcm16 fmt18 with LIST, fact and odd-sized unknown chunk before data",
			buildWAV(fmtChunk(1, 1, 8000, 2, 16, []byte{}), list(), fact(2), chunk{id: "junk", data: []byte{1, 2, 3}}, chunk{id: "data", data: le([]int16{100, -200})}),
			Info{8000, 1, 16, PCM, 2}, []float32{100.0 / 32768, -200.0 / 32768}},
		{"pcm16 chunks before fmt",
			buildWAV(chunk{id: "bext", data: []byte{9}}, fmtChunk(1, 1, 8000, 2, 16, nil), chunk{id: "data", data: le([]int16{7})}),
			Info{8000, 1, 16, PCM, 1}, []float32{7.0 / 32768}},
		{"pcm24 mono",
			buildWAV(fmtChunk(1, 1, 48000, 3, 24, nil), chunk{id: "data", data: s24(-8388608, 8388607, 1, -1)}),
			Info{48000, 1, 24, PCM, 4}, []float32{-1, 8388607.0 / 8388608, 1.0 / 8388608, -1.0 / 8388608}},
		{"pcm32 mono",
			buildWAV(fmtChunk(1, 1, 44100, 4, 32, nil), chunk{id: "data", data: le([]int32{math.MinInt32, 1 << 30, -1 << 29})}),
			Info{44100, 1, 32, PCM, 3}, []float32{-1, 0.5, -0.25}},
		{"pcm12 in 16-bit container",
			buildWAV(fmtChunk(1, 1, 8000, 2, 12, nil), chunk{id: "data", data: le([]int16{-32768, 0x10})}),
			Info{8000, 1, 16, PCM, 2}, []float32{-1, 16.0 / 32768}},
		{"float32 with clamping and NaN",
			buildWAV(fmtChunk(3, 1, 16000, 4, 32, []byte{}), fact(5), chunk{id: "data", data: le([]float32{0.25, -0.5, 2, -3, float32(math.NaN())})}),
			Info{16000, 1, 32, Float, 5}, []float32{0.25, -0.5, 1, -1, 0}},
		{"float64 stereo",
			buildWAV(fmtChunk(3, 2, 22050, 16, 64, nil), chunk{id: "data", data: le([]float64{0.125, -0.75})}),
			Info{22050, 2, 64, Float, 1}, []float32{0.125, -0.75}},
		{"mulaw fmt18 + fact (like the corpora)",
			buildWAV(fmtChunk(7, 1, 8000, 1, 8, []byte{}), fact(5), chunk{id: "data", data: mu}),
			Info{8000, 1, 8, Mulaw, 5}, muWant},
		{"alaw fmt18 + fact",
			buildWAV(fmtChunk(6, 1, 8000, 1, 8, []byte{}), fact(5), chunk{id: "data", data: al}),
			Info{8000, 1, 8, Alaw, 5}, alWant},
		{"extensible pcm16 3 channels fmt40",
			buildWAV(fmtChunk(0xFFFE, 3, 16000, 6, 16, extensible(1, 16, 7)), chunk{id: "data", data: le([]int16{1, 2, 3, -1, -2, -3})}),
			Info{16000, 3, 16, PCM, 2}, []float32{1.0 / 32768, 2.0 / 32768, 3.0 / 32768, -1.0 / 32768, -2.0 / 32768, -3.0 / 32768}},
		{"extensible 24 valid bits in 32-bit container",
			buildWAV(fmtChunk(0xFFFE, 1, 48000, 4, 32, extensible(1, 24, 4)), chunk{id: "data", data: le([]int32{1 << 30, -1 << 31})}),
			Info{48000, 1, 32, PCM, 2}, []float32{0.5, -1}},
		{"extensible float32",
			buildWAV(fmtChunk(0xFFFE, 1, 8000, 4, 32, extensible(3, 32, 4)), fact(1), chunk{id: "data", data: le([]float32{-0.125})}),
			Info{8000, 1, 32, Float, 1}, []float32{-0.125}},
		{"extensible mulaw stereo",
			buildWAV(fmtChunk(0xFFFE, 2, 8000, 2, 8, extensible(7, 8, 3)), chunk{id: "data", data: mu[:4]}),
			Info{8000, 2, 8, Mulaw, 2}, muWant[:4]},
		{"extensible alaw",
			buildWAV(fmtChunk(0xFFFE, 1, 8000, 1, 8, extensible(6, 8, 4)), chunk{id: "data", data: al}),
			Info{8000, 1, 8, Alaw, 5}, alWant},
		{"fmt chunk larger than 40 bytes",
			buildWAV(fmtChunk(1, 1, 8000, 2, 16, make([]byte, 31)), chunk{id: "data", data: le([]int16{5})}),
			Info{8000, 1, 16, PCM, 1}, []float32{5.0 / 32768}},
		{"data size 0xFFFFFFFF means to end of input",
			buildWAV(fmtChunk(1, 1, 8000, 2, 16, nil), chunk{id: "data", data: le([]int16{5, 6, 7}), size: sz(0xFFFFFFFF)}),
			Info{8000, 1, 16, PCM, 3}, []float32{5.0 / 32768, 6.0 / 32768, 7.0 / 32768}},
		{"partial trailing frame ignored",
			buildWAV(fmtChunk(1, 2, 8000, 4, 16, nil), chunk{id: "data", data: le([]int16{1, 2, 3})}),
			Info{8000, 2, 16, PCM, 1}, []float32{1.0 / 32768, 2.0 / 32768}},
		{"empty data",
			buildWAV(fmtChunk(1, 1, 8000, 2, 16, nil), chunk{id: "data", data: []byte{}}),
			Info{8000, 1, 16, PCM, 0}, []float32{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Both with a reader that reports its size and one that does not.
			for _, r := range []io.Reader{bytes.NewReader(tc.file), struct{ io.Reader }{bytes.NewReader(tc.file)}} {
				a, err := ReadWAV(r)
				if err != nil {
					t.Fatalf("ReadWAV: %v", err)
				}
				if a.Info != tc.info {
					t.Errorf("Info = %+v, want %+v", a.Info, tc.info)
				}
				if len(a.Samples) != len(tc.want) {
					t.Fatalf("got %d samples %v, want %v", len(a.Samples), a.Samples, tc.want)
				}
				for i := range tc.want {
					if a.Samples[i] != tc.want[i] {
						t.Errorf("sample %d = %v, want %v", i, a.Samples[i], tc.want[i])
					}
				}
			}
		})
	}
}

func TestChannel(t *testing.T) {
	a := &Audio{Info: Info{SampleRate: 8000, Channels: 3, Frames: 2}, Samples: []float32{1, 2, 3, 4, 5, 6}}
	for ch, want := range [][]float32{{1, 4}, {2, 5}, {3, 6}} {
		got, err := a.Channel(ch)
		if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("Channel(%d) = %v, %v; want %v", ch, got, err, want)
		}
	}
	for _, ch := range []int{-1, 3} {
		var fe *FormatError
		if _, err := a.Channel(ch); !errors.As(err, &fe) || !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Channel(%d) error = %v, want *FormatError wrapping ErrInvalidArgument", ch, err)
		}
	}
	mono := &Audio{Info: Info{Channels: 1}, Samples: []float32{1, 2}}
	if got, _ := mono.Channel(0); len(got) != 2 || &got[0] == &mono.Samples[0] {
		t.Errorf("mono Channel(0) must be a copy")
	}
}

func TestReadWAVMalformed(t *testing.T) {
	pcm := fmtChunk(1, 1, 8000, 2, 16, nil)
	data := chunk{id: "data", data: le([]int16{1, 2, 3, 4})}
	tests := []struct {
		name  string
		file  []byte
		kind  error
		field string
	}{
		{"empty", nil, ErrTruncated, "RIFF header"},
		{"short header", []byte("RIFF\x00\x00"), ErrTruncated, "RIFF header"},
		{"not RIFF", []byte("ID3\x03aaaaWAVEfmt "), ErrMalformed, "RIFF header"},
		{"big-endian RIFX", []byte("RIFX\x00\x00\x00\x00WAVE"), ErrUnsupported, "RIFF header"},
		{"RF64", []byte("RF64\xff\xff\xff\xffWAVE"), ErrUnsupported, "RIFF header"},
		{"not WAVE", []byte("RIFF\x04\x00\x00\x00AVI "), ErrMalformed, "RIFF header"},
		{"no chunks", buildWAV(), ErrTruncated, "chunk header"},
		{"no data chunk", buildWAV(pcm, list()), ErrTruncated, "chunk header"},
		{"data before fmt", buildWAV(data, pcm), ErrMalformed, "data"},
		{"two fmt chunks", buildWAV(pcm, pcm, data), ErrMalformed, "fmt"},
		{"fmt too small", buildWAV(chunk{id: "fmt ", data: make([]byte, 14)}, data), ErrMalformed, "fmt"},
		{"fmt size lies (huge)", buildWAV(chunk{id: "fmt ", data: pcm.data, size: sz(0xFFFFFFF0)}, data), ErrTruncated, "fmt"},
		{"unknown chunk size lies (huge)", buildWAV(pcm, chunk{id: "junk", data: []byte{1, 2}, size: sz(0xFFFFFFF0)}, data), ErrTruncated, "chunk \"junk\""},
		{"zero channels", buildWAV(fmtChunk(1, 0, 8000, 2, 16, nil), data), ErrMalformed, "fmt.channels"},
		{"absurd channels", buildWAV(fmtChunk(1, 65535, 8000, 2, 16, nil), data), ErrUnsupported, "fmt.channels"},
		{"zero rate", buildWAV(fmtChunk(1, 1, 0, 2, 16, nil), data), ErrMalformed, "fmt.sample_rate"},
		{"absurd rate", buildWAV(fmtChunk(1, 1, 4_000_000_000, 2, 16, nil), data), ErrUnsupported, "fmt.sample_rate"},
		{"tiny rate", buildWAV(fmtChunk(1, 1, 10, 2, 16, nil), data), ErrUnsupported, "fmt.sample_rate"},
		{"zero bits", buildWAV(fmtChunk(1, 1, 8000, 2, 0, nil), data), ErrUnsupported, "fmt.bits_per_sample"},
		{"48-bit pcm", buildWAV(fmtChunk(1, 1, 8000, 6, 48, nil), data), ErrUnsupported, "fmt.bits_per_sample"},
		{"16-bit float", buildWAV(fmtChunk(3, 1, 8000, 2, 16, nil), data), ErrUnsupported, "fmt.bits_per_sample"},
		{"16-bit mulaw", buildWAV(fmtChunk(7, 1, 8000, 2, 16, nil), data), ErrUnsupported, "fmt.bits_per_sample"},
		{"ADPCM", buildWAV(fmtChunk(2, 1, 8000, 256, 4, []byte{}), data), ErrUnsupported, "fmt.format_tag"},
		{"block align lies", buildWAV(fmtChunk(1, 2, 8000, 2, 16, nil), data), ErrMalformed, "fmt.block_align"},
		{"zero block align", buildWAV(fmtChunk(1, 1, 8000, 0, 16, nil), data), ErrMalformed, "fmt.block_align"},
		{"extensible in 18-byte fmt", buildWAV(fmtChunk(0xFFFE, 1, 8000, 2, 16, []byte{}), data), ErrMalformed, "fmt"},
		{"extensible cbSize too small", buildWAV(chunk{id: "fmt ", data: append(fmtChunk(0xFFFE, 1, 8000, 2, 16, extensible(1, 16, 4)).data[:16], append(le(uint16(0)), extensible(1, 16, 4)...)...)}, data), ErrMalformed, "fmt.cbSize"},
		{"extensible unknown GUID", buildWAV(fmtChunk(0xFFFE, 1, 8000, 2, 16, append(extensible(1, 16, 4)[:8], make([]byte, 14)...)), data), ErrUnsupported, "fmt.SubFormat"},
		{"extensible valid bits above container", buildWAV(fmtChunk(0xFFFE, 1, 8000, 2, 16, extensible(1, 20, 4)), data), ErrUnsupported, "fmt.bits_per_sample"},
		{"data size lies", buildWAV(pcm, chunk{id: "data", data: le([]int16{1, 2}), size: sz(1 << 30)}), ErrTruncated, "data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{bytes.NewReader(tc.file), struct{ io.Reader }{bytes.NewReader(tc.file)}} {
				_, err := ReadWAV(r)
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v (%T), want *FormatError", err, err)
				}
				if !errors.Is(err, tc.kind) || fe.Field != tc.field {
					t.Errorf("error %q: kind/field = %v/%q, want %v/%q", err, fe.Err, fe.Field, tc.kind, tc.field)
				}
			}
		})
	}
}

// TestReadWAVLyingDataSizeKeepsPartial checks that a data chunk shorter than declared yields
// the frames present plus ErrTruncated, with memory bounded by the actual input.
func TestReadWAVLyingDataSizeKeepsPartial(t *testing.T) {
	f := buildWAV(fmtChunk(1, 2, 8000, 4, 16, nil), chunk{id: "data", data: le([]int16{1, 2, 3, 4, 5}), size: sz(0xFFFFFFF0)})
	for _, r := range []io.Reader{bytes.NewReader(f), struct{ io.Reader }{bytes.NewReader(f)}} {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		a, err := ReadWAV(r)
		runtime.ReadMemStats(&m1)
		if !errors.Is(err, ErrTruncated) || a == nil || a.Frames != 2 || len(a.Samples) != 4 || a.Samples[3] != 4.0/32768 {
			t.Fatalf("got %+v, %v; want 2 frames and ErrTruncated", a, err)
		}
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16<<20 {
			t.Errorf("allocated %d bytes for a %d-byte file declaring 4 GiB of data", alloc, len(f))
		}
	}
}

// TestReadWAVTruncatedEverywhere cuts a valid file at every byte offset: each prefix must give
// a *FormatError, never a panic.
func TestReadWAVTruncatedEverywhere(t *testing.T) {
	files := map[string][]byte{
		"pcm16 fmt16":         buildWAV(fmtChunk(1, 2, 8000, 4, 16, nil), list(), chunk{id: "data", data: le([]int16{1, 2, 3, 4})}),
		"mulaw fmt18 fact":    buildWAV(fmtChunk(7, 1, 8000, 1, 8, []byte{}), fact(4), chunk{id: "data", data: []byte{1, 2, 3, 4}}),
		"extensible 24 fmt40": buildWAV(fmtChunk(0xFFFE, 1, 8000, 3, 24, extensible(1, 24, 4)), chunk{id: "odd!", data: []byte{1}}, chunk{id: "data", data: s24(1, 2)}),
	}
	for name, f := range files {
		if _, err := ReadWAV(bytes.NewReader(f)); err != nil {
			t.Fatalf("%s: full file: %v", name, err)
		}
		for n := 0; n < len(f); n++ {
			_, err := ReadWAV(bytes.NewReader(f[:n]))
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrTruncated) {
				t.Errorf("%s cut at %d/%d: error %v, want *FormatError wrapping ErrTruncated", name, n, len(f), err)
			}
		}
	}
}

// TestReadWAVHugeHeaderSmallAlloc: declared sizes must not drive allocations.
func TestReadWAVHugeHeaderSmallAlloc(t *testing.T) {
	f := buildWAV(fmtChunk(1, 64, 768000, 256, 32, nil), chunk{id: "data", data: make([]byte, 256), size: sz(0xFFFFFF00)})
	allocs := testing.AllocsPerRun(3, func() {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		ReadWAV(struct{ io.Reader }{bytes.NewReader(f)})
		runtime.ReadMemStats(&m1)
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 8<<20 {
			t.Errorf("allocated %d bytes for a %d-byte file", alloc, len(f))
		}
	})
	if allocs > 20 {
		t.Errorf("%v allocations per read", allocs)
	}
}

func TestReadWAVFileErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.wav")
	if err := os.WriteFile(path, buildWAV(fmtChunk(1, 0, 8000, 2, 16, nil)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadWAVFile(path)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Field != "fmt.channels" || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q: want a *FormatError about fmt.channels naming %s", err, path)
	}
	if _, err := ReadWAVFile(filepath.Join(dir, "missing.wav")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist", err)
	}
}
