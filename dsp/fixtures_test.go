package dsp

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// readS16 reads a raw little-endian int16 fixture and returns samples in [-1, 1).
func readS16(t testing.TB, name string) []float32 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/2)
	for i := range out {
		out[i] = float32(int16(binary.LittleEndian.Uint16(b[2*i:]))) / 32768
	}
	return out
}

// readMatrix reads a fixture matrix: int32 rows, int32 cols, rows*cols float32, little-endian.
func readMatrix(t testing.TB, name string) [][]float32 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	rows, cols := int(binary.LittleEndian.Uint32(b)), int(binary.LittleEndian.Uint32(b[4:]))
	if len(b) != 8+4*rows*cols {
		t.Fatalf("%s: size %d does not match %dx%d", name, len(b), rows, cols)
	}
	m := make([][]float32, rows)
	for r := range m {
		m[r] = make([]float32, cols)
		for c := range m[r] {
			m[r][c] = math.Float32frombits(binary.LittleEndian.Uint32(b[8+4*(r*cols+c):]))
		}
	}
	return m
}

// agreement compares matrices element-wise and returns the share within tol and the worst error.
func agreement(t testing.TB, got, want [][]float32, tol float64) (share, worst float64, where string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	var n, ok int
	for r := range want {
		if len(got[r]) != len(want[r]) {
			t.Fatalf("frame %d: %d coefficients, want %d", r, len(got[r]), len(want[r]))
		}
		for c := range want[r] {
			d := math.Abs(float64(got[r][c]) - float64(want[r][c]))
			n++
			if d <= tol {
				ok++
			}
			if d > worst {
				worst, where = d, fmt.Sprintf("frame %d coef %d: got %g want %g", r, c, got[r][c], want[r][c])
			}
		}
	}
	return float64(ok) / float64(n), worst, where
}

var fixtureUtterances = []string{"so762", "libri", "fsdd"}

// TestMFCCMatchesTorchaudio compares ComputeMFCC with torchaudio.compliance.kaldi.mfcc on real
// utterances (dsp/testdata/make_mfcc_fixtures.py): at least 99.9% of coefficients within 1e-3.
func TestMFCCMatchesTorchaudio(t *testing.T) {
	for _, tc := range []struct {
		config string
		cfg    MFCCConfig
		khz    int
	}{{"telephone", TelephoneMFCC(), 8}, {"wideband", WidebandMFCC(), 16}} {
		for _, utt := range fixtureUtterances {
			t.Run(tc.config+"/"+utt, func(t *testing.T) {
				base := fmt.Sprintf("%s_%d", utt, tc.khz)
				got, err := ComputeMFCC(readS16(t, base+".s16"), tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				share, worst, where := agreement(t, got, readMatrix(t, base+"."+tc.config+".mfcc"), 1e-3)
				t.Logf("%.4f%% within 1e-3; worst %.3g at %s", 100*share, worst, where)
				if share < 0.999 {
					t.Errorf("only %.4f%% of coefficients within 1e-3 (worst %s)", 100*share, where)
				}
			})
		}
	}
}
