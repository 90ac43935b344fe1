package models

import (
	"bytes"
	"math"
	"runtime"
	"testing"

	"github.com/voxguard/voxguard/internal/vec"
)

// TestGMMLinearHandWorked checks the vectors on a one-component, two-dimensional case:
// μ = (1, -1), σ² = (4, 1), N = 3, F = (9, 0), r = 1 gives f = ((9-3)/2, (0+3)/1) = (3, 3),
// o = f/(N+r) = (0.75, 0.75), t = f/N = (1, 1) and the score o·t = 1.5.
func TestGMMLinearHandWorked(t *testing.T) {
	ubm := &GMM{C: 1, D: 2, Weights: []float64{1}, Means: []float64{1, -1}, Vars: []float64{4, 1}}
	if err := ubm.Precompute(); err != nil {
		t.Fatal(err)
	}
	s := NewStats(1, 2)
	s.N[0], s.F[0], s.F[1] = 3, 9, 0
	f := WhitenedCentred(ubm, s)
	if f[0] != 3 || f[1] != 3 {
		t.Fatalf("whitened centred stats %v, want [3 3]", f)
	}
	g := &GMMLinear{Relevance: 1}
	o, tv := g.ModelVector(s.N, f), TestVector(s.N, f)
	if o[0] != 0.75 || tv[0] != 1 || Dot(o, tv) != 1.5 {
		t.Fatalf("o=%v t=%v score=%g, want 0.75, 1, 1.5", o, tv, Dot(o, tv))
	}
	// As the relevance factor grows, the model stays at the UBM: the score goes to 0.
	g.Relevance = 1e12
	if sc := Dot(g.ModelVector(s.N, f), tv); math.Abs(sc) > 1e-9 {
		t.Fatalf("score with infinite relevance = %g, want 0", sc)
	}
	// No frames: a zero test vector, not NaN.
	if v := TestVector([]float64{0}, []float64{0, 0}); v[0] != 0 || v[1] != 0 {
		t.Fatalf("empty test vector %v", v)
	}
}

// TestGMMLinearSeparatesSpeakers scores synthetic speakers: own-speaker scores beat others'.
func TestGMMLinearSeparatesSpeakers(t *testing.T) {
	w := newSpeakerWorld(3, 8, 4, 3, 6, 0.6, 0.1)
	sc := w.ubm.NewScratch(8, 0)
	g := &GMMLinear{Relevance: 16}
	stats := func(s, n int) *Stats {
		st := NewStats(w.ubm.C, w.ubm.D)
		w.ubm.AccumulateUtterance(st, w.utterance(s, n), sc)
		return st
	}
	var wins, total int
	for a := range 6 {
		e := stats(a, 2000)
		o := g.ModelVector(e.N, WhitenedCentred(w.ubm, e))
		for b := range 6 {
			if a == b {
				continue
			}
			same, other := stats(a, 300), stats(b, 300)
			if Dot(o, TestVector(same.N, WhitenedCentred(w.ubm, same))) > Dot(o, TestVector(other.N, WhitenedCentred(w.ubm, other))) {
				wins++
			}
			total++
		}
	}
	if wins < total*9/10 {
		t.Fatalf("own speaker scored higher in only %d of %d comparisons", wins, total)
	}
}

func TestBundleGMMSectionRoundTrip(t *testing.T) {
	b := fullBundle(t)
	C, D := b.UBM.C, b.UBM.D
	g := &GMMLinear{Relevance: 16}
	for i := range 3 {
		n := make([]float64, C)
		f := make([]float64, C*D)
		for j := range n {
			n[j] = float64(i + j)
		}
		for j := range f {
			f[j] = float64(i*j) / 7
		}
		g.CohortN, g.CohortF = append(g.CohortN, n), append(g.CohortF, f)
	}
	b.GMM = g
	got, err := ReadBundle(bytes.NewReader(encode(t, b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.GMM == nil || got.GMM.Relevance != 16 || len(got.GMM.CohortN) != 3 {
		t.Fatalf("GMM section lost: %+v", got.GMM)
	}
	for i := range 3 {
		if !closeSlices(got.GMM.CohortN[i], g.CohortN[i]) || !closeSlices(got.GMM.CohortF[i], g.CohortF[i]) {
			t.Fatalf("cohort entry %d differs after the round trip", i)
		}
	}
	if got.GMM.cohModel.Rows()*C*D != 3*C*D {
		t.Fatal("cohort vectors not prepared on load")
	}
	// A cohort entry of the wrong shape is refused on write.
	b.GMM.CohortF[0] = b.GMM.CohortF[0][:1]
	if _, err := b.WriteTo(&bytes.Buffer{}); err == nil {
		t.Fatal("malformed GMM cohort written")
	}
}

func TestThresholdAtFAR(t *testing.T) {
	v := &Verifier{b: &Bundle{Meta: Metadata{FARThresholds: []FARPoint{{0.001, 6}, {0.01, 4}, {0.1, 1}}}}}
	tests := []struct {
		far, want float64
		err       bool
	}{
		{0.01, 4, false}, {0.001, 6, false}, {0.1, 1, false},
		{math.Sqrt(0.001 * 0.01), 5, false}, // halfway in log FAR
		{0.0001, 0, true}, {0.5, 0, true},
	}
	for _, tc := range tests {
		got, err := v.ThresholdAtFAR(tc.far)
		if (err != nil) != tc.err || (!tc.err && math.Abs(got-tc.want) > 1e-9) {
			t.Errorf("ThresholdAtFAR(%g) = %g, %v; want %g (error %v)", tc.far, got, err, tc.want, tc.err)
		}
	}
	if _, err := (&Verifier{b: &Bundle{}}).ThresholdAtFAR(0.01); err == nil {
		t.Error("a bundle without operating points gave a threshold")
	}
}

// TestPrepareTestMatchesPrepare: a test-only probe scores exactly like a full one as a test,
// and is refused as an enrollment.
func TestPrepareTestMatchesPrepare(t *testing.T) {
	b, v := defaultVerifier(t)
	w := newSpeakerWorld(9, b.UBM.C, b.UBM.D, 2, 2, 0.5, 0.1)
	w.ubm = b.UBM
	sc := b.UBM.NewScratch(b.Meta.TopC, b.Meta.SelectDims)
	stats := func(s int) *Stats {
		st := NewStats(b.UBM.C, b.UBM.D)
		b.UBM.AccumulateUtterance(st, sampleGMM(w.r, b.UBM, w.speakers[s], 400), sc)
		return st
	}
	ws := v.NewScratch()
	e, _ := v.Prepare(stats(0), ws)
	ts := stats(1)
	full, _ := v.Prepare(ts, ws)
	test, err := v.PrepareTest(ts, ws)
	if err != nil {
		t.Fatal(err)
	}
	a, okA := v.Score(e, full)
	b2, okB := v.Score(e, test)
	if !okA || !okB || a != b2 {
		t.Fatalf("Score with Prepare %g (%v), with PrepareTest %g (%v)", a, okA, b2, okB)
	}
	if llr, ok := v.Score(test, e); ok || llr != 0 {
		t.Fatalf("a test-only probe enrolled: %g %v", llr, ok)
	}
	// Its GMM test vector lives in the scratch: no C·D allocation per assessment.
	if len(ws.gtest) == 0 || &test.GTest[0] != &ws.gtest[0] {
		t.Error("the test vector was allocated, not written into the scratch")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 5 {
		if _, err := v.PrepareTest(ts, ws); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 5; per >= uint64(4*b.UBM.C*b.UBM.D) {
		t.Errorf("PrepareTest allocates %d bytes per call, at least a C·D float32 vector", per)
	}
	// PrepareTestOwned's probe keeps its score after the scratch is reused for another test.
	owned, err := v.PrepareTestOwned(ts, ws)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.PrepareTest(stats(0), ws); err != nil {
		t.Fatal(err)
	}
	if c, ok := v.Score(e, owned); !ok || c != a {
		t.Fatalf("Score with PrepareTestOwned after the scratch's reuse %g (%v), with Prepare %g", c, ok, a)
	}
}

// TestGMMScoreSkipsZeroBlocks checks that a short test's GMM vector is zero over blocks that the
// scorer then skips (vec.DotRuns) and that the raw scores are bit for bit those of the plain dot.
func TestGMMScoreSkipsZeroBlocks(t *testing.T) {
	b, v := defaultVerifier(t)
	r := newRand(91)
	sc := b.NewStatsScratch()
	stats := func(n int) *Stats {
		s := NewStats(b.UBM.C, b.UBM.D)
		for _, x := range sampleGMM(r, b.UBM, nil, n) {
			b.UBM.Accumulate(s, x, sc)
		}
		return s
	}
	enroll, err := v.Prepare(stats(3000), v.NewScratch())
	if err != nil {
		t.Fatal(err)
	}
	test, err := v.PrepareTest(stats(150), v.NewScratch())
	if err != nil {
		t.Fatal(err)
	}
	if test.gRuns == nil {
		t.Fatal("test probe has no run list")
	}
	_, zero := vec.NonzeroRuns(nil, test.GTest, vec.DotBlock)
	if zero == 0 {
		t.Fatal("1.5 s of frames left no GMM block zero: nothing to skip")
	}
	plain := *test
	plain.gRuns = nil
	got, want := v.RawScores(nil, enroll, test), v.RawScores(nil, enroll, &plain)
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("raw score %d: %v skipping zero blocks, %v with the plain dot", i, got[i], want[i])
		}
	}
	t.Logf("%d of %d blocks zero", zero, len(test.GTest)/vec.DotBlock)
}

// defaultVerifier returns the embedded default bundle and a verifier on it.
func defaultVerifier(t *testing.T) (*Bundle, *Verifier) {
	t.Helper()
	b, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, v
}
