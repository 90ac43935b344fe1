package models

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// TestFrameNetLogitKnown checks the forward pass against a hand-worked case: D = 2, one frame of
// context, a hidden layer of two ReLU units and the output.
func TestFrameNetLogitKnown(t *testing.T) {
	n := &FrameNet{Context: 1, Sizes: []int{6, 2, 1},
		Mean: []float32{1, 0}, Std: []float32{2, 1},
		W: [][]float32{
			{1, 0, 0, 1, 0, 0, // unit 0 reads the previous frame
				0, 0, 0, 0, 1, -1}, // unit 1: the next frame's first dimension minus its second
			{2, -3},
		},
		B: [][]float32{{0.5, -1}, {0.25}},
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	frames := [][]float32{{3, 1}, {5, -2}, {-1, 4}}
	// Standardised: (1, 1), (2, -2), (-1, 4). Unit 0 reads the previous frame's first dimension
	// plus the centre's second, unit 1 the next frame's first minus its second.
	// Centre 0 (previous clamped to frame 0): unit 0 = 0.5 + 1 + 1 = 2.5, unit 1 = -1 + 2 + 2 = 3,
	// output 0.25 + 2·2.5 − 3·3 = -3.75.
	// Centre 1: unit 0 = 0.5 + 1 − 2 → 0, unit 1 = -1 − 1 − 4 → 0, output 0.25.
	// Centre 2 (next clamped to frame 2): unit 0 = 0.5 + 2 + 4 = 6.5, unit 1 → 0, output 13.25.
	want := []float64{-3.75, 0.25, 13.25}
	s := n.newScratch()
	std := make([][]float32, len(frames))
	for i, f := range frames {
		std[i] = make([]float32, 2)
		n.standardise(std[i], f)
	}
	for c, w := range want {
		got := n.logit(func(j int) []float32 { return std[min(max(c+j, 0), len(std)-1)] }, s)
		if math.Abs(got-w) > 1e-6 {
			t.Errorf("frame %d: logit %v, want %v", c, got, w)
		}
	}
	if got, w := n.FrameNetScore(frames, 1), (-3.75+0.25+13.25)/3; math.Abs(got-w) > 1e-6 {
		t.Errorf("score %v, want %v", got, w)
	}
	if got, w := n.FrameNetScore(frames, 2), (-3.75+13.25)/2; math.Abs(got-w) > 1e-6 {
		t.Errorf("score at step 2 %v, want %v", got, w)
	}
	if n.FrameNetScore(nil, 1) != 0 {
		t.Error("score of no frames is not 0")
	}
}

func TestFrameNetValidate(t *testing.T) {
	good := func() *FrameNet {
		return &FrameNet{Context: 0, Sizes: []int{2, 1}, Mean: []float32{0, 0}, Std: []float32{1, 1},
			W: [][]float32{{1, 1}}, B: [][]float32{{0}}}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(n *FrameNet){
		"two outputs":     func(n *FrameNet) { n.Sizes[1] = 2 },
		"input mismatch":  func(n *FrameNet) { n.Context = 1 },
		"zero std":        func(n *FrameNet) { n.Std[0] = 0 },
		"NaN weight":      func(n *FrameNet) { n.W[0][1] = float32(math.NaN()) },
		"short bias":      func(n *FrameNet) { n.B[0] = nil },
		"negative ctx":    func(n *FrameNet) { n.Context = -1 },
		"missing layer":   func(n *FrameNet) { n.W = nil },
		"infinite mean":   func(n *FrameNet) { n.Mean[1] = float32(math.Inf(1)) },
		"no standardiser": func(n *FrameNet) { n.Mean, n.Std = nil, nil },
	} {
		n := good()
		mut(n)
		if n.Validate() == nil {
			t.Errorf("%s: validated", name)
		}
	}
}

// TestTrainFrameNet trains on two classes told apart only by how consecutive frames move (the
// same marginal distribution): the network must use its context to separate them, and the same
// seed must give the same network.
func TestTrainFrameNet(t *testing.T) {
	const D = 3
	gen := func(class, recs int, seed uint64) [][][]float32 {
		r := newRand(seed)
		out := make([][][]float32, recs)
		for i := range out {
			x := make([]float64, D)
			for t := range 60 {
				f := make([]float32, D)
				for d := range x {
					if class == 0 || t%2 == 0 {
						x[d] = r.NormFloat64() // independent frames
					} // class 1: every odd frame repeats the previous one
					f[d] = float32(x[d])
				}
				out[i] = append(out[i], f)
			}
		}
		return out
	}
	cfg := FrameNetConfig{Context: 1, Hidden: []int{16}, Epochs: 12, Seed: 3}
	n, err := TrainFrameNet(gen(0, 40, 1), gen(1, 40, 2), cfg)
	if err != nil {
		t.Fatal(err)
	}
	bona, spoof := n.FrameNetScores(gen(0, 20, 5), 1, 2), n.FrameNetScores(gen(1, 20, 6), 1, 2)
	if mx, mn := slices.Max(bona), slices.Min(spoof); !(mn > mx) {
		t.Errorf("held-out recordings not separated: bona fide up to %.3f, spoof down to %.3f", mx, mn)
	}
	m, err := TrainFrameNet(gen(0, 40, 1), gen(1, 40, 2), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.W[0], n.W[0]) || !slices.Equal(m.W[1], n.W[1]) {
		t.Error("the same seed gave different networks")
	}
	if _, err := TrainFrameNet(nil, gen(1, 2, 2), cfg); err == nil {
		t.Error("no bona fide frames accepted")
	}
}

// testNet is a random network over D-dimensional frames.
func testNet(D, ctx int, hidden []int, seed uint64) *FrameNet {
	r := newRand(seed)
	n := &FrameNet{Context: ctx, Sizes: append(append([]int{(2*ctx + 1) * D}, hidden...), 1),
		Mean: make([]float32, D), Std: make([]float32, D)}
	for d := range D {
		n.Mean[d], n.Std[d] = float32(r.NormFloat64()*0.1), float32(1+r.Float64())
	}
	for l := 0; l+1 < len(n.Sizes); l++ {
		w := make([]float32, n.Sizes[l]*n.Sizes[l+1])
		for i := range w {
			w[i] = float32(r.NormFloat64() / math.Sqrt(float64(n.Sizes[l])))
		}
		b := make([]float32, n.Sizes[l+1])
		for i := range b {
			b[i] = float32(r.NormFloat64() * 0.1)
		}
		n.W, n.B = append(n.W, w), append(n.B, b)
	}
	return n
}

// TestSpoofScorerNetStreaming checks that a SpoofScorer's running frame-network score, after
// every prefix of a recording (quiet frames skipped, causal CMN, frame steps), is bit for bit
// FrameNetScore of that prefix's admitted, normalised frames, through Add and AddFrames alike.
func TestSpoofScorerNetStreaming(t *testing.T) {
	const D = 8
	bona, sp, gen := gmmPair(t, D, 23, 2000, 4, 4, 2, 0.5)
	frames := gen(37, 0.2)
	levels := make([]float64, len(frames))
	flat := make([]float32, 0, len(frames)*D)
	for i, f := range frames {
		flat = append(flat, f...)
		if i%9 == 4 {
			levels[i] = -80
		}
	}
	for _, step := range []int{1, 2, 3} {
		for _, cmn := range []int{0, 3} {
			for _, tc := range []struct{ ctx, netStep int }{{0, 0}, {1, 0}, {3, 0}, {3, 4}} {
				ctx := tc.ctx
				cm := &Countermeasure{FrontEnd: []byte(`{}`), MinLevelDB: -50, Bonafide: bona, Spoof: sp,
					FrameStep: step, StaticCMN: cmn, Net: testNet(D, ctx, []int{8, 4}, uint64(ctx+1))}
				cm.Net.Step = tc.netStep
				eff := step
				if tc.netStep > 0 {
					eff = tc.netStep
				}
				if err := cm.Bonafide.Precompute(); err != nil {
					t.Fatal(err)
				}
				if err := cm.Spoof.Precompute(); err != nil {
					t.Fatal(err)
				}
				add, batch := NewSpoofScorer(cm), NewSpoofScorer(cm)
				var admitted [][]float32
				for n := range len(frames) + 1 {
					if n > 0 {
						add.Add(frames[n-1], levels[n-1])
						if levels[n-1] >= cm.MinLevelDB {
							admitted = append(admitted, frames[n-1])
						}
					}
					in := admitted
					if cmn > 0 {
						in = CausalCMN(admitted, cmn)
					}
					want := cm.Net.FrameNetScore(in, eff)
					if got := add.NetScore(); math.Float64bits(got) != math.Float64bits(want) {
						t.Fatalf("step %d cmn %d context %d, %d frames: streaming %v, batch %v", step, cmn, ctx, n, got, want)
					}
				}
				h := len(frames) / 2
				batch.AddFrames(flat[:h*D], levels[:h])
				batch.AddFrames(flat[h*D:], levels[h:])
				if a, b := add.NetScore(), batch.NetScore(); math.Float64bits(a) != math.Float64bits(b) {
					t.Errorf("step %d cmn %d context %d: Add %v, AddFrames %v", step, cmn, ctx, a, b)
				}
				add.Reset()
				if add.NetScore() != 0 {
					t.Error("score after Reset is not 0")
				}
			}
		}
	}
}

// netCM is synthCM's countermeasure with a two-statistic linear scorer, a frame network and
// their fusion (GMM weight 0.5, network weight 0.3, both standardised on hand-picked scores);
// beforeNet, if not nil, sees it with the network but before the network's fusion is set.
func netCM(t *testing.T, shift float64, beforeNet func(*Countermeasure)) (*Countermeasure, func(class int, n int, seed uint64) [][]float32) {
	t.Helper()
	cm, gen := synthCM(t, shift)
	cm.LTSS = &LinearScorer{Mean: []float64{0, 1}, Scale: []float64{1, 2}, W: []float64{1, -1}, B: 0.5}
	var err error
	if cm.Fusion, err = NewSpoofFusion([]float64{1, 3}, []float64{10, 14}, 0.5); err != nil {
		t.Fatal(err)
	}
	cm.Net = testNet(cm.Bonafide.D, 2, []int{5}, 9)
	if beforeNet != nil {
		beforeNet(cm)
	}
	if err := cm.Fusion.SetNet([]float64{-1, 0, 2}, []float64{0.5, 1, 3}, 0.3); err != nil {
		t.Fatal(err)
	}
	return cm, gen
}

// roundTripVersion writes b, checks its format version is want (what: the section that needs
// it), and reads it back.
func roundTripVersion(t *testing.T, b *Bundle, want uint32, what string) *Bundle {
	t.Helper()
	raw := encode(t, b)
	if v := binary.LittleEndian.Uint32(raw[4:]); v != want {
		t.Errorf("bundle with %s written as version %d, want %d", what, v, want)
	}
	got, err := ReadBundle(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSpoofNetBundleRoundTrip: a countermeasure with a frame network survives the bundle, its
// combined score unchanged, and one whose fusion lacks the network's weight is refused.
func TestSpoofNetBundleRoundTrip(t *testing.T) {
	cm, gen := netCM(t, 1, func(cm *Countermeasure) {
		if cm.Validate() == nil {
			t.Error("frame network without its fusion weight validated")
		}
	})
	cm.FARThresholds = []FARPoint{{FAR: 0.01, LLR: 1}}
	got := roundTripVersion(t, &Bundle{Spoof: cm}, 5, "a frame network")
	frames := gen(1, 50, 4)
	a, b := NewSpoofScorer(cm), NewSpoofScorer(got.Spoof)
	for _, f := range frames {
		a.Add(f, 0)
		b.Add(f, 0)
	}
	x := []float64{2, 3}
	sa, sb := cm.Combine(a.LLR(), x, a.NetScore()), got.Spoof.Combine(b.LLR(), x, b.NetScore())
	// The GMMs are stored in single precision, the network already is: its score is exact.
	if math.Float64bits(a.NetScore()) != math.Float64bits(b.NetScore()) || math.Abs(sa-sb) > 1e-6 || got.Spoof.Net == nil {
		t.Errorf("combined score %v after round trip, %v before; network %v, %v", sb, sa, b.NetScore(), a.NetScore())
	}
	// FuseNet by hand: the held-out fused scores have mean 1/3 and sample sd √(7/3), the network
	// scores mean 1.5 and sd √(7/4).
	f := cm.Fusion
	fu := f.Fuse(a.LLR(), cm.StatsScore(x))
	want := 0.7*(fu-1.0/3)/math.Sqrt(7.0/3) + 0.3*(a.NetScore()-1.5)/math.Sqrt(7.0/4)
	if math.Abs(sa-want) > 1e-9 {
		t.Errorf("combined %v, want %v", sa, want)
	}
	if cm.Fusion.SetNet([]float64{1, 2}, []float64{1, 2}, 0) == nil {
		t.Error("net weight 0 accepted")
	}
}

// A voice-source scorer reads the last statistics, the long-term scorer the ones before them;
// the total is FuseVQ's weighted sum, worked by hand; the bundle is version 7 and round-trips.
func TestSpoofVQScorer(t *testing.T) {
	cm, gen := netCM(t, 2, nil)
	cm.VQ = &MLPScorer{Mean: []float64{0}, Scale: []float64{1}, W1: []float64{2}, B1: []float64{0}, W2: []float64{1}, B2: -1}
	if cm.Validate() == nil {
		t.Error("voice-source scorer without its fusion weight validated")
	}
	if cm.Fusion.SetVQ([]float64{1, 2}, 0.7) == nil {
		t.Error("voice-source weight leaving the fused score nothing accepted")
	}
	// Held-out voice-source scores 1, 2, 6: mean 3, sample sd √7.
	if err := cm.Fusion.SetVQ([]float64{1, 2, 6}, 0.2); err != nil {
		t.Fatal(err)
	}
	cm.FARThresholds = []FARPoint{{FAR: 0.01, LLR: 1}}
	if err := cm.Validate(); err != nil {
		t.Fatal(err)
	}
	if cm.StatsDim() != 3 {
		t.Fatalf("statistics width %d, want 2 + 1", cm.StatsDim())
	}
	x := []float64{2, 3, 1.5}
	if got, want := cm.StatsScore(x), cm.LTSS.Score(x[:2]); got != want {
		t.Errorf("long-term score %v, want %v on the first two", got, want)
	}
	// The perceptron: tanh(2·1.5) · 1 − 1.
	vq := math.Tanh(3) - 1
	if got := cm.VQScore(x); math.Abs(got-vq) > 1e-12 {
		t.Errorf("voice-source score %v, want tanh 3 − 1 = %v", got, vq)
	}
	a := NewSpoofScorer(cm)
	for _, f := range gen(1, 50, 4) {
		a.Add(f, 0)
	}
	fu := cm.Fusion.Fuse(a.LLR(), cm.StatsScore(x))
	want := 0.5*(fu-1.0/3)/math.Sqrt(7.0/3) + 0.3*(a.NetScore()-1.5)/math.Sqrt(7.0/4) + 0.2*(vq-3)/math.Sqrt(7)
	if got := cm.Combine(a.LLR(), x, a.NetScore()); math.Abs(got-want) > 1e-9 {
		t.Errorf("combined %v, want %v", got, want)
	}
	got := roundTripVersion(t, &Bundle{Spoof: cm}, 7, "a voice-source scorer")
	if got.Spoof.VQ == nil || got.Spoof.Fusion.VQWeight != 0.2 || got.Spoof.StatsDim() != 3 {
		t.Errorf("after the round trip: scorer %v, fusion %+v", got.Spoof.VQ != nil, got.Spoof.Fusion)
	}
	cm.Net = nil
	if cm.Validate() == nil {
		t.Error("voice-source scorer without a frame network validated")
	}
}
