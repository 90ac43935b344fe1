package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// synthCM trains a countermeasure on two synthetic classes: bona fide frames around 0, spoof
// frames shifted by +shift in every dimension.
func synthCM(t *testing.T, shift float64) (*Countermeasure, func(class int, n int, seed uint64) [][]float32) {
	t.Helper()
	const D = 4
	gen := func(class, n int, seed uint64) [][]float32 {
		r := newRand(seed)
		out := make([][]float32, n)
		for i := range out {
			x := make([]float32, D)
			for d := range x {
				x[d] = float32(r.NormFloat64() + shift*float64(class))
			}
			out[i] = x
		}
		return out
	}
	bona, _, err := TrainUBM(gen(0, 2000, 1), UBMConfig{Components: 2, Iters: 4})
	if err != nil {
		t.Fatal(err)
	}
	sp, _, err := TrainUBM(gen(1, 2000, 2), UBMConfig{Components: 2, Iters: 4})
	if err != nil {
		t.Fatal(err)
	}
	cm := &Countermeasure{FrontEnd: json.RawMessage(`{"sample_rate":8000}`), MinLevelDB: -50, Bonafide: bona, Spoof: sp}
	if err := cm.Prepare(); err != nil {
		t.Fatal(err)
	}
	return cm, gen
}

func TestSpoofLLRSign(t *testing.T) {
	cm, gen := synthCM(t, 1.5)
	s := NewSpoofScorer(cm)
	for _, tc := range []struct {
		name  string
		class int
		pos   bool
	}{{"bona fide", 0, false}, {"spoof", 1, true}} {
		s.Reset()
		for _, x := range gen(tc.class, 300, 99+uint64(tc.class)) {
			s.Add(x, 0)
		}
		if got := s.LLR() > 0; got != tc.pos || s.Frames() != 300 {
			t.Errorf("%s: mean LLR %v over %d frames, want positive=%v", tc.name, s.LLR(), s.Frames(), tc.pos)
		}
	}
	// FrameLLR agrees with the exact GMM log-likelihoods (to single precision).
	x := []float32{0.3, -1, 2, 0.5}
	want := cm.Spoof.LogLikelihood(x) - cm.Bonafide.LogLikelihood(x)
	if got := s.FrameLLR(x); math.Abs(got-want) > 1e-5 {
		t.Errorf("FrameLLR %v, want %v", got, want)
	}
	// Quiet frames are skipped.
	s.Reset()
	if s.Add(x, -60) || s.Frames() != 0 || s.LLR() != 0 {
		t.Error("frame below MinLevelDB was counted")
	}
}

func TestSpoofOperatingPoints(t *testing.T) {
	bona := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	pts := OperatingPoints(bona, []float64{0.2, 0.0, 0.1})
	want := []struct{ far, above float64 }{{0, 9}, {0.1, 8}, {0.2, 7}}
	for i, w := range want {
		if pts[i].FAR != w.far || pts[i].LLR <= w.above || pts[i].LLR > w.above+1e-9 {
			t.Errorf("point %d = %+v, want FAR %v just above %v", i, pts[i], w.far, w.above)
		}
		flagged := 0
		for _, s := range bona {
			if s > pts[i].LLR {
				flagged++
			}
		}
		if float64(flagged) > w.far*float64(len(bona))+1e-9 {
			t.Errorf("FAR %v: %d of %d flagged", w.far, flagged, len(bona))
		}
	}
	cm := &Countermeasure{FARThresholds: pts}
	for _, tc := range []struct{ far, want float64 }{{0.01, pts[0].LLR}, {0.1, pts[1].LLR}, {0.5, pts[2].LLR}, {0.0001, pts[0].LLR}} {
		if got, ok := cm.Threshold(tc.far); !ok || got != tc.want {
			t.Errorf("Threshold(%v) = %v, want %v", tc.far, got, tc.want)
		}
	}
	if _, ok := (&Countermeasure{}).Threshold(0.01); ok {
		t.Error("threshold without points")
	}
}

func TestSpoofBundleRoundTrip(t *testing.T) {
	cm, _ := synthCM(t, 1)
	cm.FARThresholds = []FARPoint{{FAR: 0.01, LLR: 0.25}}
	cm.Info = map[string]string{"k": "v"}
	for _, b := range []*Bundle{fullBundle(t), {}} {
		b.Spoof = cm
		data := encode(t, b)
		got, err := ReadBundle(bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		g := got.Spoof
		if g == nil {
			t.Fatal("SPOF section lost")
		}
		if string(g.FrontEnd) != string(cm.FrontEnd) || g.MinLevelDB != cm.MinLevelDB || len(g.FARThresholds) != 1 ||
			g.FARThresholds[0] != cm.FARThresholds[0] || g.Info["k"] != "v" {
			t.Errorf("metadata changed: %+v", g)
		}
		x := []float32{0.5, 0.5, 0.5, 0.5}
		a, c := NewSpoofScorer(cm).FrameLLR(x), NewSpoofScorer(g).FrameLLR(x)
		if math.Abs(a-c) > 1e-4 {
			t.Errorf("frame LLR %v after round trip, %v before", c, a)
		}
		// A truncated SPOF payload is malformed, not a panic.
		p, _ := marshalSpoof(cm)
		if _, err := parseSpoof(&reader{b: p[:len(p)-3], tag: "SPOF"}); !errors.Is(err, ErrMalformed) {
			t.Errorf("truncated SPOF: %v", err)
		}
		if _, err := parseSpoof(&reader{b: []byte{255, 255, 0, 0, '{'}, tag: "SPOF"}); !errors.Is(err, ErrMalformed) {
			t.Errorf("oversized JSON length: %v", err)
		}
	}
	if err := (&Countermeasure{}).Validate(); err == nil {
		t.Error("countermeasure without GMMs validated")
	}
}

func TestTrainLogistic(t *testing.T) {
	r := newRand(5)
	gen := func(n int, shift float64) [][]float64 {
		out := make([][]float64, n)
		for i := range out {
			// Dimension 0 separates the classes, dimension 1 is noise, dimension 2 is constant.
			out[i] = []float64{r.NormFloat64() + shift, 5 * r.NormFloat64(), 3}
		}
		return out
	}
	pos, neg := gen(300, 2), gen(500, -2)
	l, err := TrainLogistic(pos, neg, 0.01, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !(l.W[0] > 1 && math.Abs(l.W[1]) < 0.3*l.W[0] && math.Abs(l.W[2]) < 1e-6) {
		t.Errorf("weights %v: want a large positive weight on dimension 0 only", l.W)
	}
	for _, tc := range []struct {
		x    []float64
		want bool
	}{{[]float64{3, 0, 3}, true}, {[]float64{-3, 0, 3}, false}, {[]float64{0.3, 0, 3}, true}, {[]float64{-0.3, 0, 3}, false}} {
		if got := l.Score(tc.x) > 0; got != tc.want {
			t.Errorf("score(%v) = %v", tc.x, l.Score(tc.x))
		}
	}
	// A stronger penalty shrinks the weights.
	l2, _ := TrainLogistic(pos, neg, 1, 0)
	if !(math.Abs(l2.W[0]) < math.Abs(l.W[0])) {
		t.Errorf("L2 1: weight %v not below %v", l2.W[0], l.W[0])
	}
	for _, bad := range []struct {
		pos, neg [][]float64
		l2       float64
	}{{nil, neg, 1}, {pos, nil, 1}, {pos, neg, 0}, {[][]float64{{1, 2}}, neg, 1}} {
		if _, err := TrainLogistic(bad.pos, bad.neg, bad.l2, 0); err == nil {
			t.Error("bad input accepted")
		}
	}
}

func TestSpoofFusion(t *testing.T) {
	f, err := NewSpoofFusion([]float64{1, 3}, []float64{10, 14}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// Means 2 and 12, standard deviations sqrt(2) and sqrt(8).
	want := 0.5 * (4 - 2) / math.Sqrt(2) // + 0.5·(12−12)/√8 = 0
	if got := f.Fuse(4, 12); math.Abs(got-want) > 1e-6 {
		t.Errorf("Fuse = %v, want %v", got, want)
	}
	if _, err := NewSpoofFusion([]float64{1}, []float64{1}, 0.5); err == nil {
		t.Error("one score accepted")
	}
	if _, err := NewSpoofFusion([]float64{1, 2}, []float64{1, 2}, 1.5); err == nil {
		t.Error("weight 1.5 accepted")
	}
	g, _ := NewSpoofFusion([]float64{1, 3}, []float64{10, 14}, 0.25)
	if got, want := g.Fuse(4, 14), 0.25*2/math.Sqrt(2)+0.75*2/math.Sqrt(8); math.Abs(got-want) > 1e-6 {
		t.Errorf("weighted Fuse = %v, want %v", got, want)
	}
	// A countermeasure with a linear scorer round-trips through the bundle and combines.
	cm, _ := synthCM(t, 1)
	cm.LTSS = &LinearScorer{Mean: []float64{0, 1}, Scale: []float64{1, 2}, W: []float64{1, -1}, B: 0.5}
	cm.Fusion = f
	cm.FARThresholds = []FARPoint{{FAR: 0.01, LLR: 1}}
	got, err := ReadBundle(bytes.NewReader(encode(t, &Bundle{Spoof: cm})), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{2, 3}
	if a, b := cm.Combine(0.5, x, 0), got.Spoof.Combine(0.5, x, 0); math.Abs(a-b) > 1e-12 || got.Spoof.StatsDim() != 2 {
		t.Errorf("combined score %v after round trip, %v before", b, a)
	}
	cm.Fusion = nil
	if cm.Validate() == nil {
		t.Error("linear scorer without fusion validated")
	}
}

// TestGMMLogLikSinglePrecision checks the single-precision log-likelihood of the shipped
// countermeasure's GMMs against the double-precision reference, on frames drawn from each GMM
// and on frames far from both: within 2e-3 nats per frame, and the frame LLRs within 3e-3.
func TestGMMLogLikSinglePrecision(t *testing.T) {
	b, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	cm := b.Spoof
	if cm == nil {
		t.Skip("the default bundle has no countermeasure")
	}
	r := rand.New(rand.NewPCG(3, 4))
	xx, ll := make([]float32, 2*cm.Bonafide.D), make([]float32, cm.Bonafide.C)
	sc := NewSpoofScorer(cm)
	worst, worstLLR := 0.0, 0.0
	for _, g := range []*GMM{cm.Bonafide, cm.Spoof} {
		frames := sampleGMM(r, g, nil, 300)
		far := make([]float32, g.D) // 20 standard deviations out on every dimension
		for d := range far {
			far[d] = float32(g.Means[d] + 20*math.Sqrt(g.Vars[d]))
		}
		for _, x := range append(frames, far) {
			for _, h := range []*GMM{cm.Bonafide, cm.Spoof} {
				got, want := gmmLogLik(h, x, xx, ll), h.LogLikelihood(x)
				worst = max(worst, math.Abs(got-want))
			}
			want := cm.Spoof.LogLikelihood(x) - cm.Bonafide.LogLikelihood(x)
			worstLLR = max(worstLLR, math.Abs(sc.FrameLLR(x)-want))
		}
	}
	t.Logf("largest difference: %.2g nats (log-likelihood), %.2g nats (frame LLR)", worst, worstLLR)
	if worst > 2e-3 || worstLLR > 3e-3 {
		t.Errorf("single precision off by %g nats (log-likelihood), %g (frame LLR)", worst, worstLLR)
	}
}

// TestSpoofFrameSelection: with every group selected the selected log-likelihood is the exact
// one; with few groups it stays close on frames drawn near the components (the best ones are
// nearly always in the best groups); the selection survives a bundle round trip; malformed
// selections are refused when the countermeasure is prepared.
func TestSpoofFrameSelection(t *testing.T) {
	const D, C = 6, 64
	gen := func(n int, seed uint64, shift float64) [][]float32 {
		r := newRand(seed)
		out := make([][]float32, n)
		for i := range out {
			x := make([]float32, D)
			c := r.IntN(8)
			for d := range x {
				x[d] = float32(float64(c%4)*1.5 - float64(c/4)*2 + 0.6*r.NormFloat64() + shift)
			}
			out[i] = x
		}
		return out
	}
	train := func(seed uint64, shift float64) *GMM {
		g, _, err := TrainUBM(gen(6000, seed, shift), UBMConfig{Components: C, Iters: 3})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	bona, sp := train(1, 0), train(2, 0.3)
	test := gen(300, 3, 0.15)
	exact := &Countermeasure{FrontEnd: json.RawMessage(`{}`), MinLevelDB: -50, Bonafide: bona, Spoof: sp}
	if err := exact.Prepare(); err != nil {
		t.Fatal(err)
	}
	ref := NewSpoofScorer(exact)
	want := make([]float64, len(test))
	for i, x := range test {
		want[i] = ref.FrameLLR(x)
	}
	for _, tc := range []struct {
		sel             string
		maxErr, meanErr float64
	}{
		{"8/8", 1e-4, 1e-5}, // every group: exact up to single precision
		{"16/16", 1e-4, 1e-5},
		{"8/2", 0.5, 0.02},
		{"16/4", 0.2, 0.01},
	} {
		cm := &Countermeasure{FrontEnd: json.RawMessage(`{}`), MinLevelDB: -50, Bonafide: bona.Clone(), Spoof: sp.Clone(), FrameSelection: tc.sel}
		if err := cm.Prepare(); err != nil {
			t.Fatalf("%s: %v", tc.sel, err)
		}
		sc := NewSpoofScorer(cm)
		worst, sum := 0.0, 0.0
		for i, x := range test {
			e := math.Abs(sc.FrameLLR(x) - want[i])
			worst, sum = max(worst, e), sum+e
		}
		if worst > tc.maxErr || sum/float64(len(test)) > tc.meanErr {
			t.Errorf("%s: frame LLR error max %.3g mean %.3g, want <= %g and %g", tc.sel, worst, sum/float64(len(test)), tc.maxErr, tc.meanErr)
		}
		// Round trip keeps the selection (and so the scores).
		got, err := ReadBundle(bytes.NewReader(encode(t, &Bundle{Spoof: cm})), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: frame LLR error max %.3g mean %.3g", tc.sel, worst, sum/float64(len(test)))
		if got.Spoof.FrameSelection != tc.sel || math.Abs(NewSpoofScorer(got.Spoof).FrameLLR(test[0])-sc.FrameLLR(test[0])) > 1e-3 {
			t.Errorf("%s: round trip gave selection %q", tc.sel, got.Spoof.FrameSelection)
		}
	}
	for _, bad := range []string{"x", "0/1", "8/9", "65/4", "4"} {
		cm := &Countermeasure{FrontEnd: json.RawMessage(`{}`), MinLevelDB: -50, Bonafide: bona.Clone(), Spoof: sp.Clone(), FrameSelection: bad}
		if err := cm.Prepare(); err == nil {
			t.Errorf("selection %q accepted", bad)
		}
	}
}

// TestSpoofFrameStep: with FrameStep 2 the score is the mean frame LLR of the 1st, 3rd, …
// frames that reach the level (quiet frames neither count nor advance the step), and every
// frame reaching the level still counts as speech.
func TestSpoofFrameStep(t *testing.T) {
	cm, gen := synthCM(t, 1.5)
	frames := gen(1, 9, 5)
	levels := []float64{0, -60, 0, 0, -70, 0, 0, 0, 0} // 7 frames reach the level
	for _, tc := range []struct {
		step   int
		scored []int // indices into frames
	}{
		{0, []int{0, 2, 3, 5, 6, 7, 8}},
		{1, []int{0, 2, 3, 5, 6, 7, 8}},
		{2, []int{0, 3, 6, 8}},
		{3, []int{0, 5, 8}},
	} {
		c := *cm
		c.FrameStep = tc.step
		s := NewSpoofScorer(&c)
		for i, x := range frames {
			s.Add(x, levels[i])
		}
		want := 0.0
		for _, i := range tc.scored {
			want += s.FrameLLR(frames[i])
		}
		want /= float64(len(tc.scored))
		if s.Frames() != 7 || math.Abs(s.LLR()-want) > 1e-12 {
			t.Errorf("step %d: %d frames, LLR %v; want 7 and %v", tc.step, s.Frames(), s.LLR(), want)
		}
		s.Reset()
		if s.Frames() != 0 || s.LLR() != 0 {
			t.Errorf("step %d: Reset left %d frames", tc.step, s.Frames())
		}
	}
	bad := *cm
	bad.FrameStep = -1
	if bad.Validate() == nil {
		t.Error("negative frame step accepted")
	}
}

// TestSpoofAddFramesBitExact checks that AddFrames leaves the scorer exactly as Add frame by
// frame does (the same mean LLR bits and counts), with frames below the level, every frame step,
// causal CMN, a frame that is not finite, and GMMs whose component counts take the three-frame
// kernel's four-row blocks and its remainder.
// gmmPair trains a bona fide and a spoof GMM (bc and sc components, iters EM iterations) on n
// Gaussian frames of dimension D each, the spoof ones shifted by shift; gen draws more frames
// from the same source.
func gmmPair(t *testing.T, D int, seed uint64, n, bc, sc, iters int, shift float64) (bona, sp *GMM, gen func(n int, shift float64) [][]float32) {
	t.Helper()
	r := newRand(seed)
	gen = func(n int, shift float64) [][]float32 {
		out := make([][]float32, n)
		for i := range out {
			out[i] = make([]float32, D)
			for d := range out[i] {
				out[i][d] = float32(r.NormFloat64() + shift)
			}
		}
		return out
	}
	var err error
	if bona, _, err = TrainUBM(gen(n, 0), UBMConfig{Components: bc, Iters: iters}); err != nil {
		t.Fatal(err)
	}
	if sp, _, err = TrainUBM(gen(n, shift), UBMConfig{Components: sc, Iters: iters}); err != nil {
		t.Fatal(err)
	}
	return bona, sp, gen
}

func TestSpoofAddFramesBitExact(t *testing.T) {
	const D = 8
	bona, sp, gen := gmmPair(t, D, 17, 3000, 9, 6, 3, 0.7)
	frames := gen(41, 0.3)
	frames[10][3] = float32(math.NaN())
	flat := make([]float32, 0, len(frames)*D)
	levels := make([]float64, len(frames))
	for i, f := range frames {
		flat = append(flat, f...)
		if i%7 == 3 {
			levels[i] = -70
		}
	}
	for _, step := range []int{1, 2, 3} {
		for _, cmn := range []int{0, 5} {
			cm := &Countermeasure{FrontEnd: json.RawMessage(`{}`), MinLevelDB: -50, Bonafide: bona, Spoof: sp,
				FrameStep: step, StaticCMN: cmn}
			if err := cm.Prepare(); err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 41} {
				want, got := NewSpoofScorer(cm), NewSpoofScorer(cm)
				for i := range n {
					want.Add(frames[i], levels[i])
				}
				// In two calls, as a stream's bursts arrive.
				h := n / 2
				got.AddFrames(flat[:h*D], levels[:h])
				got.AddFrames(flat[h*D:n*D], levels[h:n])
				if math.Float64bits(got.LLR()) != math.Float64bits(want.LLR()) || got.Frames() != want.Frames() ||
					got.scored != want.scored || got.seen != want.seen {
					t.Errorf("step %d cmn %d n %d: AddFrames LLR %v over %d frames (%d scored), Add %v over %d (%d)",
						step, cmn, n, got.LLR(), got.Frames(), got.scored, want.LLR(), want.Frames(), want.scored)
				}
			}
		}
	}
}
