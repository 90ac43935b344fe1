package models

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"
)

// TestTrainMLP: the perceptron separates classes no linear scorer can (spoof inside a ring of
// bona fide points: |x| < 1 against 2 < |x| < 3 in two dimensions), training is deterministic,
// and bad input is refused.
func TestTrainMLP(t *testing.T) {
	r := newRand(9)
	ring := func(n int, lo, hi float64) [][]float64 {
		out := make([][]float64, n)
		for i := range out {
			a := 2 * math.Pi * r.Float64()
			rad := lo + (hi-lo)*r.Float64()
			out[i] = []float64{rad * math.Cos(a), rad * math.Sin(a), 7} // dimension 2 is constant
		}
		return out
	}
	pos, neg := ring(300, 0, 1), ring(500, 2, 3)
	m, err := TrainMLP(pos, neg, MLPConfig{Hidden: 8, L2: 1e-4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if errs := misclassified(m.Score, pos, neg); errs > 8 {
		t.Errorf("%d of 800 training points misclassified", errs)
	}
	for _, tc := range []struct {
		x    []float64
		want bool
	}{{[]float64{0, 0, 7}, true}, {[]float64{0.5, -0.3, 7}, true}, {[]float64{2.5, 0, 7}, false}, {[]float64{0, -2.5, 7}, false}, {[]float64{-1.8, 1.8, 7}, false}} {
		if got := m.Score(tc.x) > 0; got != tc.want {
			t.Errorf("score(%v) = %v", tc.x, m.Score(tc.x))
		}
	}
	// A logistic regression cannot: its best line leaves the ring on both sides.
	l, err := TrainLogistic(pos, neg, 1e-4, 0)
	if err != nil {
		t.Fatal(err)
	}
	if lerrs := misclassified(l.Score, pos, neg); lerrs < 100 {
		t.Errorf("logistic regression misclassified only %d of 800: the test does not need a hidden layer", lerrs)
	}
	// Deterministic whatever the number of workers.
	m2, err := TrainMLP(pos, neg, MLPConfig{Hidden: 8, L2: 1e-4, Seed: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.W1, m2.W1) || m.B2 != m2.B2 {
		t.Error("training depends on the number of workers")
	}
	for _, bad := range []struct {
		pos, neg [][]float64
		l2       float64
	}{{nil, neg, 1}, {pos, nil, 1}, {pos, neg, 0}, {[][]float64{{1, 2}}, neg, 1}} {
		if _, err := TrainMLP(bad.pos, bad.neg, MLPConfig{L2: bad.l2}); err == nil {
			t.Error("bad input accepted")
		}
	}
	// An ensemble scores the mean of its members' log-odds (seeds 1, 2, 3).
	ens, err := TrainMLP(pos, neg, MLPConfig{Hidden: 8, L2: 1e-4, Seed: 1, Ensemble: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ens.Hidden() != 24 {
		t.Errorf("ensemble of 3 x 8 has %d hidden units", ens.Hidden())
	}
	members := []*MLPScorer{m}
	for _, seed := range []uint64{2, 3} {
		mi, err := TrainMLP(pos, neg, MLPConfig{Hidden: 8, L2: 1e-4, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, mi)
	}
	if slices.Equal(members[1].W1, m.W1) {
		t.Fatal("seeds 1 and 2 gave the same perceptron")
	}
	for _, x := range append(pos[:20:20], neg[:20]...) {
		want := 0.0
		for _, mi := range members {
			want += mi.Score(x) / 3
		}
		if got := ens.Score(x); math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
			t.Fatalf("ensemble score %v, mean of its members %v", got, want)
		}
	}
	m.W2[0] = math.NaN()
	if m.Validate() == nil {
		t.Error("NaN weight validated")
	}
}

// misclassified counts the positives scored at or below 0 and the negatives at or above.
func misclassified(score func([]float64) float64, pos, neg [][]float64) int {
	n := 0
	for _, x := range pos {
		if score(x) <= 0 {
			n++
		}
	}
	for _, x := range neg {
		if score(x) >= 0 {
			n++
		}
	}
	return n
}

// TestSpoofMLPBundle: a countermeasure whose long-term statistics go through a perceptron round
// trips through a bundle written as format version 2 (a version-1 reader would ignore the
// perceptron and misread the scores); bundles without one stay version 1; versions outside 1-2
// are refused.
func TestSpoofMLPBundle(t *testing.T) {
	cm, _ := synthCM(t, 1)
	r := newRand(3)
	var pos, neg [][]float64
	for i := range 40 {
		x := []float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		if i%2 == 0 {
			x[0] += 2
			pos = append(pos, x)
		} else {
			neg = append(neg, x)
		}
	}
	net, err := TrainMLP(pos, neg, MLPConfig{Hidden: 4, L2: 0.01, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	cm.LTSSNet = net
	cm.Fusion = &SpoofFusion{GMMWeight: 0.5, GMMMean: 0.1, GMMStd: 2, LinMean: -1, LinStd: 3}
	if cm.StatsDim() != 3 {
		t.Fatalf("StatsDim %d, want 3", cm.StatsDim())
	}
	plain, _ := synthCM(t, 1)
	for _, tc := range []struct {
		cm      *Countermeasure
		version uint32
	}{{cm, 2}, {plain, 1}, {nil, 1}} {
		b := fullBundle(t)
		b.Spoof = tc.cm
		data := encode(t, b)
		if v := binary.LittleEndian.Uint32(data[4:]); v != tc.version {
			t.Errorf("written as version %d, want %d", v, tc.version)
		}
		got, err := ReadBundle(bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.cm == cm {
			x := []float64{1.5, -0.5, 0.2}
			if a, b := cm.Combine(0.7, x, 0), got.Spoof.Combine(0.7, x, 0); math.Abs(a-b) > 1e-12 || got.Spoof.LTSS != nil {
				t.Errorf("fused score %v after the round trip, %v before", b, a)
			}
		}
		for _, v := range []uint32{0, BundleVersion + 1} {
			bad := append([]byte(nil), data...)
			binary.LittleEndian.PutUint32(bad[4:], v)
			if _, err := ReadBundle(bytes.NewReader(bad), nil); !errors.Is(err, ErrUnsupportedVersion) {
				t.Errorf("version %d: %v", v, err)
			}
		}
	}
	both := *cm
	both.LTSS = &LinearScorer{Mean: []float64{0, 0, 0}, Scale: []float64{1, 1, 1}, W: []float64{1, 0, 0}}
	if both.Validate() == nil {
		t.Error("a countermeasure with both scorers validated")
	}
}

// TestStaticCMN: CausalCMN on hand-worked frames; a scorer with StaticCMN scores exactly the
// causally normalised frames (every frame, stepped or not, enters the running mean); a bundle
// with it is format version 2 and keeps it; an out-of-range count is refused.
func TestStaticCMN(t *testing.T) {
	got := CausalCMN([][]float32{{1, 10}, {3, 20}, {5, 30}, {-9, 40}}, 1)
	want := [][]float32{{0, 10}, {1, 20}, {2, 30}, {-9 - (1+3+5-9)/4.0, 40}}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("frame %d: %v, want %v", i, got[i], want[i])
		}
	}
	for _, step := range []int{1, 2} {
		cm, gen := synthCM(t, 1)
		cm.StaticCMN, cm.FrameStep = 2, step
		frames := gen(1, 9, 5)
		for _, f := range frames {
			f[0] += 3 // a channel offset the normalisation removes
		}
		s := NewSpoofScorer(cm)
		for _, f := range frames {
			s.Add(f, 0)
		}
		norm := CausalCMN(frames, 2)
		ref := NewSpoofScorer(cm)
		var sum float64
		n := 0
		for i := 0; i < len(norm); i += step {
			sum += ref.FrameLLR(norm[i])
			n++
		}
		if math.Abs(s.LLR()-sum/float64(n)) > 1e-9 || s.Frames() != len(frames) {
			t.Errorf("step %d: LLR %v over %d frames, want %v over %d", step, s.LLR(), s.Frames(), sum/float64(n), len(frames))
		}
		s.Reset()
		s.Add(frames[3], 0)
		if want := ref.FrameLLR(CausalCMN(frames[3:4], 2)[0]); math.Abs(s.LLR()-want) > 1e-9 {
			t.Errorf("after Reset the running mean starts again: %v, want %v", s.LLR(), want)
		}
		if step == 1 {
			b := fullBundle(t)
			b.Spoof = cm
			data := encode(t, b)
			if v := binary.LittleEndian.Uint32(data[4:]); v != 2 {
				t.Errorf("written as version %d, want 2", v)
			}
			back, err := ReadBundle(bytes.NewReader(data), nil)
			if err != nil || back.Spoof.StaticCMN != 2 {
				t.Errorf("round trip: %v, static_cmn %v", err, back.Spoof)
			}
		}
		cm.StaticCMN = cm.Bonafide.D + 1
		if cm.Validate() == nil {
			t.Error("static_cmn beyond the frame dimension validated")
		}
	}
}
