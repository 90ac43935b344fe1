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
	ws400 := worldStats(b, w)
	stats := func(s int) *Stats { return ws400(s, 400) }
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

// worldStats returns a function giving the bundle's statistics (its selection) of n frames
// sampled from speaker s of w against the bundle's UBM.
func worldStats(b *Bundle, w *speakerWorld) func(s, n int) *Stats {
	sc := b.UBM.NewScratch(b.Meta.TopC, b.Meta.SelectDims)
	return func(s, n int) *Stats {
		st := NewStats(b.UBM.C, b.UBM.D)
		b.UBM.AccumulateUtterance(st, sampleGMM(w.r, b.UBM, w.speakers[s], n), sc)
		return st
	}
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

// TestGMMLinearQuadratic checks the quadratic term: by hand on the one-component case of
// TestGMMLinearHandWorked (q = ‖o‖² = 1.125, n̄ = 1, score 1.5 − ½·1.125 = 0.9375), and on single
// Gaussians, where the fixed-posterior expansion is exact: the score equals the mean per-frame
// log-likelihood ratio of the MAP-adapted Gaussian against the UBM's, computed directly.
func TestGMMLinearQuadratic(t *testing.T) {
	ubm := &GMM{C: 1, D: 2, Weights: []float64{1}, Means: []float64{1, -1}, Vars: []float64{4, 1}}
	if err := ubm.Precompute(); err != nil {
		t.Fatal(err)
	}
	g := &GMMLinear{Relevance: 1, Quadratic: true}
	if err := g.Prepare(ubm); err != nil {
		t.Fatal(err)
	}
	s := NewStats(1, 2)
	s.N[0], s.F[0], s.F[1] = 3, 9, 0
	f := WhitenedCentred(ubm, s)
	o, tv := g.ModelVector(s.N, f), TestVector(s.N, f)
	q, nb := g.Quad(o), g.Occupancy(s.N)
	if q[0] != 1.125 || nb[0] != 1 || g.Raw(o, q, tv, nb) != 0.9375 {
		t.Fatalf("q=%v n̄=%v score=%g, want 1.125, 1, 0.9375", q, nb, g.Raw(o, q, tv, nb))
	}
	if (&GMMLinear{Relevance: 1}).Quad(o) != nil {
		t.Fatal("a scorer without the quadratic term returned one")
	}

	for _, tc := range []struct {
		d         int
		r         float64
		shift     float64 // the speaker's mean offset from the UBM's, in standard deviations
		enr, test int     // frames
	}{{1, 16, 0.5, 300, 50}, {3, 16, 1, 1000, 200}, {8, 4, -0.3, 200, 400}, {5, 0.5, 2, 50, 20}} {
		r := newRand(uint64(tc.d*100 + tc.enr))
		ubm := &GMM{C: 1, D: tc.d, Weights: []float64{1}, Means: make([]float64, tc.d), Vars: make([]float64, tc.d)}
		for d := range tc.d {
			ubm.Means[d], ubm.Vars[d] = r.NormFloat64(), 0.5+r.Float64()
		}
		if err := ubm.Precompute(); err != nil {
			t.Fatal(err)
		}
		sample := func(n int, shift float64) [][]float32 {
			out := make([][]float32, n)
			for i := range out {
				out[i] = make([]float32, tc.d)
				for d := range tc.d {
					out[i][d] = float32(ubm.Means[d] + math.Sqrt(ubm.Vars[d])*(shift+r.NormFloat64()))
				}
			}
			return out
		}
		stats := func(fr [][]float32) *Stats {
			s := NewStats(1, tc.d)
			for _, x := range fr {
				s.N[0]++
				for d, v := range x {
					s.F[d] += float64(v)
				}
			}
			return s
		}
		g := &GMMLinear{Relevance: tc.r, Quadratic: true}
		if err := g.Prepare(ubm); err != nil {
			t.Fatal(err)
		}
		es, testFrames := stats(sample(tc.enr, tc.shift)), sample(tc.test, tc.shift)
		ts := stats(testFrames)
		o := g.ModelVector(es.N, WhitenedCentred(ubm, es))
		got := g.Raw(o, g.Quad(o), TestVector(ts.N, WhitenedCentred(ubm, ts)), g.Occupancy(ts.N))
		// Direct: the MAP mean μ' = μ + (F − Nμ)/(N + r), then log N(x; μ', σ²) − log N(x; μ, σ²).
		var want float64
		for _, x := range testFrames {
			for d, v := range x {
				mu, va := ubm.Means[d], ubm.Vars[d]
				mp := mu + (es.F[d]-es.N[0]*mu)/(es.N[0]+tc.r)
				want += (-(float64(v)-mp)*(float64(v)-mp) + (float64(v)-mu)*(float64(v)-mu)) / (2 * va)
			}
		}
		want /= float64(tc.test)
		if math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
			t.Errorf("D=%d r=%g: quadratic linear score %.6f, exact mean frame LLR %.6f", tc.d, tc.r, got, want)
		}
	}
}

// TestBundleGMMQuadraticRoundTrip checks that the quadratic term survives a round trip as format
// version 6, that a bundle without it keeps an older version, and that the scores a verifier
// gives use it: the GMM scorer's raw score of a trial is GMMLinear.Raw, S-normalised with the
// moments of BundleCohortScores.
func TestBundleGMMQuadraticRoundTrip(t *testing.T) {
	def, _ := defaultVerifier(t)
	var buf bytes.Buffer
	if _, err := def.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	b, err := ReadBundle(bytes.NewReader(plain), nil) // a copy: the embedded bundle is shared
	if err != nil {
		t.Fatal(err)
	}
	if b.GMM == nil {
		t.Fatal("the default bundle has no GMM scorer")
	}
	// Its voice-source scorer (since c31) needs version 7 and its extractor's full whitening
	// (since c32) version 8, whatever the GMM term; a second system (since c43) version 9; T in
	// half precision (since c44) version 10.
	b.Spoof, b.Second, b.Meta.Fusion, b.Meta.HalfPrecisionT = nil, nil, nil, false
	if err := b.Extractor.SetFullWhitening(nil); err != nil {
		t.Fatal(err)
	}
	b.GMM.Quadratic = false
	if v := b.formatVersion(); v >= 6 {
		t.Fatalf("a bundle without the quadratic term written as version %d", v)
	}
	b.GMM.Quadratic = true
	if err := b.GMM.Prepare(b.UBM); err != nil {
		t.Fatal(err)
	}
	data := encode(t, b)
	if v := data[4]; v != 6 {
		t.Fatalf("format version %d, want 6", v)
	}
	got, err := ReadBundle(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.GMM.Quadratic || len(got.GMM.cohModelQ) != len(got.GMM.CohortN)*got.UBM.C {
		t.Fatal("the quadratic term or its cohort values were lost on the round trip")
	}
	v, err := NewVerifier(got)
	if err != nil {
		t.Fatal(err)
	}
	stats := worldStats(got, newSpeakerWorld(5, got.UBM.C, got.UBM.D, 2, 2, 0.5, 0.1))
	ws := v.NewScratch()
	e, _ := v.Prepare(stats(0, 2000), ws)
	ts := stats(1, 300)
	full, _ := v.Prepare(ts, ws)
	test, _ := v.PrepareTest(ts, ws)
	g := got.GMM
	raw := g.Raw(e.GModel, e.GModelQ, test.GTest, test.GTestN)
	if plainDot := Dot(e.GModel, test.GTest); raw == plainDot {
		t.Fatal("the quadratic term changed nothing")
	}
	cs := v.BundleCohortScores(e, true, ws)
	ct := v.BundleCohortScores(full, false, ws)
	want := ASNorm(raw, TopNMoments(cs[2], v.topN), TopNMoments(ct[2], v.topN))
	rs := v.RawScores(nil, e, test)
	if gi := len(rs) - 1; math.Abs(rs[gi]-want) > 1e-9*(1+math.Abs(want)) {
		t.Fatalf("verifier's GMM score %g, Raw S-normalised by hand %g", rs[gi], want)
	}
}

// TestGMMKeepLinear checks the experimental KeepLinear scorer pair: a verifier whose GMM scorer
// keeps both scores gives, in their places, exactly the GMM score of a quadratic-only verifier
// and that of a plain one (each S-normalised with its own cohort moments), and the flag survives
// a bundle round trip (GQUA 2).
func TestGMMKeepLinear(t *testing.T) {
	def, _ := defaultVerifier(t)
	var buf bytes.Buffer
	if _, err := def.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	variant := func(quad, keep bool) (*Bundle, *Verifier) {
		b, err := ReadBundle(bytes.NewReader(buf.Bytes()), nil)
		if err != nil {
			t.Fatal(err)
		}
		b.GMM.Quadratic, b.GMM.KeepLinear = quad, keep
		if err := b.GMM.Prepare(b.UBM); err != nil {
			t.Fatal(err)
		}
		b.Calibration = &Calibration{Weights: make([]float64, CalibrationWidth(b))} // RawScores ignores it
		v, err := NewVerifier(b)
		if err != nil {
			t.Fatal(err)
		}
		return b, v
	}
	bk, vk := variant(true, true)
	_, vq := variant(true, false)
	_, vp := variant(false, false)
	if bk.Scorers() != def.Scorers()+1 {
		t.Fatalf("%d scorers with KeepLinear, want %d", bk.Scorers(), def.Scorers()+1)
	}
	got, err := ReadBundle(bytes.NewReader(encode(t, bk)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.GMM.Quadratic || !got.GMM.KeepLinear {
		t.Fatal("KeepLinear lost on the round trip")
	}
	stats := worldStats(bk, newSpeakerWorld(7, bk.UBM.C, bk.UBM.D, 2, 2, 0.5, 0.1))
	es, ts := stats(0, 2000), stats(1, 300)
	raw := func(v *Verifier) []float64 {
		ws := v.NewScratch()
		e, err := v.Prepare(es, ws)
		if err != nil {
			t.Fatal(err)
		}
		p, err := v.PrepareTest(ts, v.NewScratch())
		if err != nil {
			t.Fatal(err)
		}
		return v.RawScores(nil, e, p)
	}
	k, q, p := raw(vk), raw(vq), raw(vp)
	gi := len(q) - 1 // the default bundle's GMM score is its last
	if len(k) != len(q)+1 || k[gi] != q[gi] || k[gi+1] != p[gi] {
		t.Fatalf("KeepLinear scores %v; quadratic only %v; plain %v", k, q, p)
	}
	if k[gi] == k[gi+1] {
		t.Fatal("the two GMM scores are equal: the quadratic term did nothing")
	}
}
