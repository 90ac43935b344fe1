package models

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestChannelDetector trains the detector on two clouds of synthetic "i-vectors" that differ
// along a channel direction, checks it separates fresh draws, and that a bundle round trip keeps
// its estimates (to float32 rounding).
func TestChannelDetector(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const R = 20
	dir := make([]float64, R)
	dir[3], dir[7] = 4, -3 // the channel offset: 5 standard deviations
	draw := func(n int, shift float64) [][]float64 {
		out := make([][]float64, n)
		for i := range out {
			x := make([]float64, R)
			for k := range x {
				x[k] = r.NormFloat64() + shift*dir[k]
			}
			out[i] = x
		}
		return out
	}
	d, err := TrainChannelDetector(draw(400, 0), draw(400, 1), 0.01)
	if err != nil {
		t.Fatal(err)
	}
	clean, deg := draw(200, 0), draw(200, 1)
	right := 0
	for i := range clean {
		if d.Degraded(clean[i], nil) < 0.5 {
			right++
		}
		if d.Degraded(deg[i], nil) > 0.5 {
			right++
		}
	}
	if right < 380 { // the classes overlap a little: the Bayes rate is 0.6%
		t.Errorf("%d of 400 fresh draws classified right, want at least 380", right)
	}
	for _, x := range clean[:5] {
		if p := d.Degraded(x, make([]float64, R)); !(p >= 0 && p <= 1) {
			t.Fatalf("probability %g", p)
		}
	}

	// Round trip through a bundle with an extractor of the same dimension.
	ubm := &GMM{C: 2, D: 2, Weights: []float64{0.5, 0.5}, Means: []float64{0, 0, 1, 1}, Vars: []float64{1, 1, 1, 1}}
	if err := ubm.Precompute(); err != nil {
		t.Fatal(err)
	}
	T := make([]float64, 2*2*R)
	for i := range T {
		T[i] = r.NormFloat64()
	}
	e, err := NewIVectorExtractor(ubm, T, R)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := (&Bundle{UBM: ubm, Extractor: e, Channel: d}).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := ReadBundle(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range append(clean[:5:5], deg[:5]...) {
		if got, want := b.Channel.Degraded(x, nil), d.Degraded(x, nil); math.Abs(got-want) > 1e-4 {
			t.Errorf("after the round trip %g, before %g", got, want)
		}
	}

	// A detector for another i-vector dimension is refused, as is one without an extractor.
	short := &ChannelDetector{Linear: &LinearScorer{Mean: make([]float64, R-1), Scale: ones(R - 1), W: make([]float64, R-1)}}
	for _, bad := range []*Bundle{{UBM: ubm, Extractor: e, Channel: short}, {Channel: d}} {
		buf.Reset()
		if _, err := bad.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadBundle(bytes.NewReader(buf.Bytes()), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("mismatched detector: %v, want ErrMalformed", err)
		}
	}
}
