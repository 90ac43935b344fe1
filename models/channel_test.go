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
		if d.Degraded(clean[i], 300, nil) < 0.5 {
			right++
		}
		if d.Degraded(deg[i], 300, nil) > 0.5 {
			right++
		}
	}
	if right < 380 { // the classes overlap a little: the Bayes rate is 0.6%
		t.Errorf("%d of 400 fresh draws classified right, want at least 380", right)
	}
	for _, x := range clean[:5] {
		if p := d.Degraded(x, 300, make([]float64, 2*R)); !(p >= 0 && p <= 1) {
			t.Fatalf("probability %g", p)
		}
	}

	// Round trip through a bundle with an extractor of the same dimension.
	ubm, e := tinyExtractor(t, r, R)
	var buf bytes.Buffer
	if _, err := (&Bundle{UBM: ubm, Extractor: e, Channel: d}).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := ReadBundle(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range append(clean[:5:5], deg[:5]...) {
		if got, want := b.Channel.Degraded(x, 300, nil), d.Degraded(x, 300, nil); math.Abs(got-want) > 1e-4 {
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

// TestChannelNoveltyDistance checks the squared Mahalanobis distance against a hand-worked case:
// covariance diag(4, 1) (no shrinkage) from the four points (±2·√(3/4)·…), here built so that
// the sample covariance is exactly diag(4, 1) and the mean (1, −1).
func TestChannelNoveltyDistance(t *testing.T) {
	// Four points with mean (1, −1) and sample covariance (n−1 denominator) diag(4, 1):
	// deviations (±a, 0) and (0, ±b) with 2a²/3 = 4 and 2b²/3 = 1.
	a, b := math.Sqrt(6), math.Sqrt(1.5)
	pts := [][]float64{{1 + a, -1}, {1 - a, -1}, {1, -1 + b}, {1, -1 - b}}
	g, err := cleanGaussian(pts, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ x, y, want float64 }{
		{1, -1, 0},      // the mean itself (floored at 1e-12)
		{3, -1, 1},      // 2 along the first axis: 2²/4
		{1, 1, 4},       // 2 along the second: 2²/1
		{3, 0, 1 + 1},   // both
		{-1, -3, 1 + 4}, // both, the other way
	} {
		if got := g.Distance([]float64{c.x, c.y}, nil); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("distance of (%g, %g) = %g, want %g", c.x, c.y, got, c.want)
		}
	}
	// Shrinkage ½ towards (trace/R)·I = 2.5·I: covariance diag(3.25, 1.75).
	g, err = cleanGaussian(pts, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Distance([]float64{3, 0}, nil), 4/3.25+1/1.75; math.Abs(got-want) > 1e-9 {
		t.Errorf("shrunk distance %g, want %g", got, want)
	}
}

// TestChannelNovelty: clean synthetic i-vectors, copies moved along a channel direction the
// linear classifier is trained on, and copies moved along another (a channel never trained
// on). The linear classifier misses most of the second kind; with the novelty score the
// detector catches them, while clean recordings stay clean. Shorter recordings carry more
// extraction noise, so the fitted clean distance falls with duration (LogDist1 < 0). The
// novelty survives a bundle round trip.
func TestChannelNovelty(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const R = 24
	sd := make([]float64, R) // speaker variability: large in the first half, small in the rest
	for k := range sd {
		sd[k] = 1
		if k >= R/2 {
			sd[k] = 0.25
		}
	}
	seen, unseen := make([]float64, R), make([]float64, R)
	seen[R/2], seen[R/2+1] = 1.6, -1.2 // a channel offset in low-variance directions
	unseen[R-1], unseen[R-3] = 1.5, 1.2
	frameSet := []float64{40, 80, 160, 320, 640}
	draw := func(shift []float64, frames float64) []float64 {
		x := make([]float64, R)
		for k := range x {
			x[k] = 3 + sd[k]*r.NormFloat64() + r.NormFloat64()*math.Sqrt(8/frames)
			if shift != nil {
				x[k] += shift[k]
			}
		}
		return x
	}
	var clean, deg [][]float64
	var samples []NoveltySample
	for i := range 1600 {
		f := frameSet[i%len(frameSet)]
		fold := (i / 5) % 4
		c, d := draw(nil, f), draw(seen, f)
		clean, deg = append(clean, c), append(deg, d)
		samples = append(samples,
			NoveltySample{X: LengthNorm(append([]float64(nil), c...)), Frames: f, Fit: true, Fold: fold},
			NoveltySample{X: LengthNorm(append([]float64(nil), d...)), Frames: f, Degraded: true, Fold: fold})
	}
	det, err := TrainChannelDetector(clean, deg, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	nov, err := TrainChannelNovelty(samples, NoveltyTrainConfig{Folds: 4, Shrink: 0.01, MinFrames: 30, MaxFrames: 500, L2: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if !(nov.LogDist1 < 0) {
		t.Errorf("LogDist1 = %g: shorter clean recordings should lie farther out", nov.LogDist1)
	}
	withNov := &ChannelDetector{Linear: det.Linear, Novelty: nov}
	rate := func(d *ChannelDetector, shift []float64) float64 {
		n := 0
		for i := range 400 {
			if d.Degraded(draw(shift, 320+float64(i%2)*320), 320, nil) > 0.5 {
				n++
			}
		}
		return float64(n) / 400
	}
	for _, c := range []struct {
		name     string
		d        *ChannelDetector
		shift    []float64
		min, max float64
	}{
		{"linear, clean", det, nil, 0, 0.05},
		{"linear, seen channel", det, seen, 0.95, 1},
		{"linear, unseen channel", det, unseen, 0, 0.3},
		{"with novelty, clean", withNov, nil, 0, 0.08},
		{"with novelty, seen channel", withNov, seen, 0.95, 1},
		{"with novelty, unseen channel", withNov, unseen, 0.75, 1},
	} {
		got := rate(c.d, c.shift)
		t.Logf("%s: %.3f", c.name, got)
		if got < c.min || got > c.max {
			t.Errorf("%s: %.3f judged degraded, want [%g, %g]", c.name, got, c.min, c.max)
		}
	}

	// Round trip through a bundle.
	ubm, e := tinyExtractor(t, r, R)
	var buf bytes.Buffer
	if _, err := (&Bundle{UBM: ubm, Extractor: e, Channel: withNov}).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := ReadBundle(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Channel.Novelty == nil {
		t.Fatal("the novelty score was lost in the round trip")
	}
	for _, f := range []float64{20, 100, 1000} {
		x := draw(unseen, f)
		if got, want := b.Channel.Degraded(x, f, nil), withNov.Degraded(x, f, nil); math.Abs(got-want) > 1e-3 {
			t.Errorf("after the round trip %g, before %g", got, want)
		}
	}
	// Bad configurations are refused.
	for _, c := range []NoveltyTrainConfig{{Folds: 1, MinFrames: 30, MaxFrames: 500, L2: 0.01},
		{Folds: 4, Shrink: 1, MinFrames: 30, MaxFrames: 500, L2: 0.01}} {
		if _, err := TrainChannelNovelty(samples, c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// tinyExtractor returns a two-component UBM on two dimensions and a random i-vector extractor
// of dimension R on it: what a bundle needs around a channel detector of that dimension.
func tinyExtractor(t *testing.T, r *rand.Rand, R int) (*GMM, *IVectorExtractor) {
	t.Helper()
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
	return ubm, e
}
