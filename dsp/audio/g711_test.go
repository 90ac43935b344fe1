package audio

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

func readFixture(t *testing.T, name string, size int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture %s (regenerate with testdata/make_g711.sh): %v", name, err)
	}
	if len(b) != size {
		t.Fatalf("fixture %s: %d bytes, want %d", name, len(b), size)
	}
	return b
}

func TestG711DecodeAllCodesMatchSox(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fixture string
		decode  func(byte) int16
	}{
		{"mulaw", "ulaw_decode.s16le", MulawDecode},
		{"alaw", "alaw_decode.s16le", AlawDecode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := readFixture(t, tc.fixture, 512)
			for c := 0; c < 256; c++ {
				w := int16(binary.LittleEndian.Uint16(want[2*c:]))
				if got := tc.decode(byte(c)); got != w {
					t.Errorf("decode(0x%02x) = %d, sox says %d", c, got, w)
				}
			}
		})
	}
}

func TestG711EncodeAllInputsMatchSox(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fixture string
		encode  func(int16) byte
		decode  func(byte) int16
	}{
		{"mulaw", "ulaw_encode.u8", MulawEncode, MulawDecode},
		{"alaw", "alaw_encode.u8", AlawEncode, AlawDecode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := readFixture(t, tc.fixture, 65536)
			bad := 0
			for i := 0; i < 65536; i++ {
				s := int16(i - 32768)
				if got := tc.encode(s); got != want[i] {
					if bad++; bad < 10 {
						t.Errorf("encode(%d) = 0x%02x, sox says 0x%02x", s, got, want[i])
					}
				}
			}
			// Every code's own linear value encodes back to that code (both zeros of
			// mu-law, 0x7F and 0xFF, decode to 0, which encodes as 0xFF).
			for c := 0; c < 256; c++ {
				got := tc.encode(tc.decode(byte(c)))
				if got != byte(c) && !(tc.name == "mulaw" && c == 0x7F && got == 0xFF) {
					t.Errorf("encode(decode(0x%02x)) = 0x%02x", c, got)
				}
			}
		})
	}
}
