package audio

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// refDecode decodes a whole byte stream the obvious way, for comparison.
func refDecode(enc StreamEncoding, channels, channel int, src []byte) []float32 {
	bps := enc.BytesPerSample()
	var out []float32
	for f := 0; (f+1)*channels*bps <= len(src); f++ {
		p := src[(f*channels+channel)*bps:]
		var v int16
		switch enc {
		case L16LE:
			v = int16(uint16(p[0]) | uint16(p[1])<<8)
		case L16BE:
			v = int16(uint16(p[1]) | uint16(p[0])<<8)
		case StreamMulaw:
			v = MulawDecode(p[0])
		case StreamAlaw:
			v = AlawDecode(p[0])
		}
		out = append(out, float32(v)/32768)
	}
	return out
}

func TestStreamDecoderChunkings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 4001)
	for i := range src {
		src[i] = byte(rng.IntN(256))
	}
	for _, enc := range []StreamEncoding{L16LE, L16BE, StreamMulaw, StreamAlaw} {
		for _, cc := range [][2]int{{1, 0}, {2, 0}, {2, 1}, {3, 2}} {
			want := refDecode(enc, cc[0], cc[1], src)
			d, err := NewStreamDecoder(enc, cc[0], cc[1])
			if err != nil {
				t.Fatal(err)
			}
			for trial := 0; trial < 20; trial++ {
				d.Reset()
				var got []float32
				for rest := src; len(rest) > 0; {
					n := min(len(rest), rng.IntN(13)) // includes empty and 1-byte chunks
					got = d.Decode(got, rest[:n])
					rest = rest[n:]
				}
				if len(got) != len(want) {
					t.Fatalf("%v %v: %d samples, want %d", enc, cc, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%v %v trial %d: sample %d = %v, want %v", enc, cc, trial, i, got[i], want[i])
					}
				}
				if wantPend := len(src) % (cc[0] * enc.BytesPerSample()); d.Pending() != wantPend {
					t.Errorf("%v %v: Pending() = %d, want %d", enc, cc, d.Pending(), wantPend)
				}
			}
		}
	}
}

func TestStreamDecoderKnownValues(t *testing.T) {
	tests := []struct {
		enc      StreamEncoding
		channels int
		channel  int
		in       []byte
		want     []float32
	}{
		{L16LE, 1, 0, []byte{0x00, 0x80, 0xff, 0x7f, 0x01, 0x00}, []float32{-1, 32767.0 / 32768, 1.0 / 32768}},
		{L16BE, 1, 0, []byte{0x80, 0x00, 0x7f, 0xff, 0x00, 0x01}, []float32{-1, 32767.0 / 32768, 1.0 / 32768}},
		{L16LE, 2, 1, []byte{0x01, 0x00, 0x00, 0x40, 0x02, 0x00, 0x00, 0xc0}, []float32{0.5, -0.5}},
		{L16BE, 2, 0, []byte{0x40, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x00, 0x02}, []float32{0.5, -0.5}},
		{StreamMulaw, 1, 0, []byte{0xff, 0x7f, 0x00, 0x80}, []float32{0, 0, -32124.0 / 32768, 32124.0 / 32768}},
		{StreamAlaw, 2, 1, []byte{0x00, 0xd5, 0x00, 0x2a, 0x00}, []float32{8.0 / 32768, -32256.0 / 32768}},
	}
	for _, tc := range tests {
		d, err := NewStreamDecoder(tc.enc, tc.channels, tc.channel)
		if err != nil {
			t.Fatal(err)
		}
		got := d.Decode(nil, tc.in)
		if len(got) != len(tc.want) {
			t.Fatalf("%v: got %v, want %v", tc.enc, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%v ch %d/%d: sample %d = %v, want %v", tc.enc, tc.channel, tc.channels, i, got[i], tc.want[i])
			}
		}
	}
}

func TestStreamDecoderArgs(t *testing.T) {
	for _, tc := range []struct {
		enc               StreamEncoding
		channels, channel int
	}{{StreamEncoding(9), 1, 0}, {L16LE, 0, 0}, {L16LE, MaxChannels + 1, 0}, {L16LE, 2, 2}, {StreamMulaw, 1, -1}} {
		if _, err := NewStreamDecoder(tc.enc, tc.channels, tc.channel); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewStreamDecoder(%v, %d, %d) error = %v, want ErrInvalidArgument", tc.enc, tc.channels, tc.channel, err)
		}
	}
}

func TestStreamDecoderNoAlloc(t *testing.T) {
	d, _ := NewStreamDecoder(L16LE, 2, 1)
	src := make([]byte, 641)
	dst := make([]float32, 0, 1024)
	if a := testing.AllocsPerRun(100, func() { dst = d.Decode(dst[:0], src) }); a != 0 {
		t.Errorf("Decode allocates %v times per call with room in dst", a)
	}
}
