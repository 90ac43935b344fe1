package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// statsOf accumulates the statistics of one utterance.
func statsOf(g *GMM, utt [][]float32, topC int) *Stats {
	s := g.NewStats()
	g.AccumulateUtterance(s, utt, g.NewScratch(topC, 0))
	return s
}

func norm(v []float64) float64 { return math.Sqrt(dot(v, v)) }

func TestIVectorExtractMatchesDenseFormula(t *testing.T) {
	exactExtraction(t)
	r := newRand(20)
	ubm := randGMM(r, 6, 4, 2)
	e, err := InitIVectorExtractor(ubm, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	s := statsOf(ubm, sampleGMM(r, ubm, nil, 80), 6)
	got := make([]float64, 5)
	if err := e.Extract(s, got, e.NewScratch()); err != nil {
		t.Fatal(err)
	}
	// Dense reference: L = I + Tᵀ diag(N⊗1) T, w = L⁻¹ Tᵀ Σ^{-1/2}(F − N μ).
	CD := 24
	T := mat.NewDense(CD, 5, e.T)
	nd := mat.NewDiagDense(CD, nil)
	f := mat.NewVecDense(CD, nil)
	for c := 0; c < 6; c++ {
		for d := 0; d < 4; d++ {
			i := c*4 + d
			nd.SetDiag(i, s.N[c])
			f.SetVec(i, (s.F[i]-s.N[c]*ubm.Means[i])/math.Sqrt(ubm.Vars[i]))
		}
	}
	var tn, L mat.Dense
	tn.Mul(T.T(), nd)
	L.Mul(&tn, T)
	for i := 0; i < 5; i++ {
		L.Set(i, i, L.At(i, i)+1)
	}
	var b, w mat.VecDense
	b.MulVec(T.T(), f)
	if err := w.SolveVec(&L, &b); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if math.Abs(got[i]-w.AtVec(i)) > 1e-5*math.Max(1, math.Abs(w.AtVec(i))) {
			t.Fatalf("i-vector[%d] = %v, dense formula %v", i, got[i], w.AtVec(i))
		}
	}
	// PosteriorVariances: gₖᵀ L⁻¹ gₖ for each row of G, against the dense inverse; the identity's
	// rows give the diagonal of L⁻¹.
	ws := e.NewScratch()
	if err := e.Extract(s, got, ws); err != nil {
		t.Fatal(err)
	}
	var Linv mat.Dense
	if err := Linv.Inverse(&L); err != nil {
		t.Fatal(err)
	}
	G := []float64{1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0.5, -1, 2, 0, 0.25}
	pv := e.PosteriorVariances(nil, G, ws)
	gm := mat.NewDense(3, 5, G)
	var gl, want mat.Dense
	gl.Mul(gm, &Linv)
	want.Mul(&gl, gm.T())
	if len(pv) != 3 {
		t.Fatalf("%d posterior variances for 3 rows", len(pv))
	}
	for k := range pv {
		if w := want.At(k, k); math.Abs(pv[k]-w) > 1e-6*math.Max(1, w) || !(pv[k] > 0) {
			t.Fatalf("posterior variance %d = %v, dense %v", k, pv[k], w)
		}
	}
}

func TestIVectorOfUBMStatsIsNearZero(t *testing.T) {
	w := newSpeakerWorld(21, 16, 6, 4, 30, 0.5, 0.05)
	var train []*Stats
	for s := range w.speakers {
		for k := 0; k < 3; k++ {
			train = append(train, statsOf(w.ubm, w.utterance(s, 300), 5))
		}
	}
	e, err := TrainIVectorExtractor(w.ubm, train, IVectorTrainConfig{R: 6, Iters: 6, MinDiv: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ws := e.NewScratch()
	iv := make([]float64, 6)
	// Exactly UBM-consistent statistics (F_c = N_c μ_c) give exactly zero.
	s := statsOf(w.ubm, w.utterance(0, 300), 5)
	for c := 0; c < s.C; c++ {
		for d := 0; d < s.D; d++ {
			s.F[c*s.D+d] = s.N[c] * w.ubm.Means[c*s.D+d]
		}
	}
	_ = e.Extract(s, iv, ws)
	if n := norm(iv); n > 1e-9 {
		t.Fatalf("i-vector of centred-zero stats has norm %v", n)
	}
	// Frames drawn from the UBM itself give an i-vector much shorter than speakers'.
	ubmNorm, spkNorm := 0.0, 0.0
	for k := 0; k < 10; k++ {
		_ = e.Extract(statsOf(w.ubm, sampleGMM(w.r, w.ubm, nil, 300), 5), iv, ws)
		ubmNorm += norm(iv) / 10
		_ = e.Extract(statsOf(w.ubm, w.utterance(k, 300), 5), iv, ws)
		spkNorm += norm(iv) / 10
	}
	t.Logf("mean i-vector norm: UBM frames %.3f, speakers %.3f", ubmNorm, spkNorm)
	if ubmNorm > 0.35*spkNorm {
		t.Fatalf("UBM i-vector norm %.3f not small against speakers' %.3f", ubmNorm, spkNorm)
	}
}

func TestIVectorTrainingDeterministic(t *testing.T) {
	w := newSpeakerWorld(22, 8, 4, 2, 6, 0.5, 0.05)
	var train []*Stats
	for s := range w.speakers {
		train = append(train, statsOf(w.ubm, w.utterance(s, 200), 4))
	}
	a, err := TrainIVectorExtractor(w.ubm, train, IVectorTrainConfig{R: 3, Iters: 3, Seed: 9, Workers: 1, MinDiv: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TrainIVectorExtractor(w.ubm, train, IVectorTrainConfig{R: 3, Iters: 3, Seed: 9, Workers: 4, MinDiv: true})
	for i := range a.T {
		if a.T[i] != b.T[i] {
			t.Fatal("T depends on the number of workers")
		}
	}
}

// SkipBelow drops components with tiny occupancy; the i-vector must barely move.
func TestIVectorSkipBelowApproximation(t *testing.T) {
	w := newSpeakerWorld(23, 64, 10, 4, 10, 0.3, 0.05)
	e, err := InitIVectorExtractor(w.ubm, 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	ws := e.NewScratch()
	exact, approx := make([]float64, 8), make([]float64, 8)
	worst := 1.0
	for s := range w.speakers {
		st := statsOf(w.ubm, w.utterance(s, 400), 10)
		e.SkipBelow = 0
		_ = e.Extract(st, exact, ws)
		e.SkipBelow = 0.01
		_ = e.Extract(st, approx, ws)
		worst = math.Min(worst, Cosine(exact, approx))
	}
	t.Logf("worst cosine(exact, SkipBelow=0.01) = %.6f", worst)
	if worst < 0.999 {
		t.Fatalf("SkipBelow=0.01 moved an i-vector: cosine %v", worst)
	}
}

func TestIVectorBatchMatchesSingle(t *testing.T) {
	exactExtraction(t)
	r := newRand(24)
	ubm := randGMM(r, 16, 5, 1.5)
	e, err := InitIVectorExtractor(ubm, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	var stats []*Stats
	for i := 0; i < 37; i++ { // more than two batches, last one partial
		stats = append(stats, statsOf(ubm, sampleGMM(r, ubm, nil, 50+i), 4))
	}
	all, err := e.ExtractAll(stats, 3)
	if err != nil {
		t.Fatal(err)
	}
	ws := e.NewScratch()
	one := make([]float64, 6)
	for i, s := range stats {
		_ = e.Extract(s, one, ws)
		for k := range one {
			if math.Abs(one[k]-all[i][k]) > 1e-5*math.Max(1, math.Abs(one[k])) {
				t.Fatalf("utt %d dim %d: batch %v single %v", i, k, all[i][k], one[k])
			}
		}
	}
	bs := e.NewBatchScratch()
	out := make([][]float64, IVBatchSize)
	for i := range out {
		out[i] = make([]float64, 6)
	}
	if a := testing.AllocsPerRun(5, func() { _ = e.ExtractBatch(stats[:IVBatchSize], out, bs) }); a != 0 {
		t.Fatalf("ExtractBatch allocates %v", a)
	}
	if err := e.ExtractBatch(stats[:IVBatchSize+1], out, bs); err == nil {
		t.Fatal("oversized batch accepted")
	}
}

func TestIVectorRefusesForeignStats(t *testing.T) {
	r := newRand(25)
	ubm := randGMM(r, 4, 3, 1)
	e, _ := InitIVectorExtractor(ubm, 2, 1)
	other := randGMM(r, 4, 3, 1)
	s := statsOf(other, sampleGMM(r, other, nil, 10), 2)
	if err := e.Extract(s, make([]float64, 2), e.NewScratch()); err == nil {
		t.Fatal("statistics of another UBM accepted")
	}
	s.UBM = 0 // unknown provenance is accepted
	if err := e.Extract(s, make([]float64, 2), e.NewScratch()); err != nil {
		t.Fatal(err)
	}
}

// ivLogLik returns Σ_u (−½ log|L_u| + ½ b_uᵀ L_u⁻¹ b_u): the marginal
// log-likelihood of the statistics under the total-variability model, up to
// terms that do not depend on T.
func ivLogLik(e *IVectorExtractor, stats []*Stats) float64 {
	ws := e.NewScratch()
	R := e.R
	tot := 0.0
	for _, s := range stats {
		if err := e.posterior(s, ws); err != nil {
			panic(err)
		}
		logdet, quad := 0.0, 0.0
		for j := 0; j < R; j++ {
			logdet += 2 * math.Log(ws.a[j*R+j])
			v := 0.0 // (Lcᵀ w)_j
			for i := j; i < R; i++ {
				v += ws.a[i*R+j] * ws.b[i]
			}
			quad += v * v
		}
		tot += -0.5*logdet + 0.5*quad
	}
	return tot
}

func TestIVectorEMIncreasesLikelihood(t *testing.T) {
	exactExtraction(t) // the likelihood is evaluated through the extraction: no rounded Tᵀ
	w := newSpeakerWorld(26, 16, 5, 3, 20, 0.4, 0.05)
	var stats []*Stats
	for s := range w.speakers {
		for k := 0; k < 3; k++ {
			stats = append(stats, statsOf(w.ubm, w.utterance(s, 200), 4))
		}
	}
	init, _ := InitIVectorExtractor(w.ubm, 4, 5)
	prev := ivLogLik(init, stats)
	for it := 1; it <= 6; it++ {
		e, err := TrainIVectorExtractor(w.ubm, stats, IVectorTrainConfig{R: 4, Iters: it, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		ll := ivLogLik(e, stats)
		t.Logf("iteration %d: log-likelihood %.4f", it, ll)
		if ll < prev-1e-6*math.Abs(prev) {
			t.Fatalf("i-vector EM decreased the likelihood at iteration %d: %v -> %v", it, prev, ll)
		}
		prev = ll
	}
}

// exactExtraction makes the extractors and GMM scorers the test creates keep their matrices in
// float32, for comparisons with exact formulas (restored when the test ends).
func exactExtraction(t *testing.T) {
	old := halfPrecision
	halfPrecision = false
	t.Cleanup(func() { halfPrecision = old })
}

// TestIVectorHalfPrecision checks the half-precision Tᵀ against the error bound that its
// rounding allows: each element of T is off by at most 2⁻¹¹ of itself, so each element of
// b = Tᵀf by at most β_r = 2⁻¹¹ Σ_k |T_kr f_k|, and since the posterior precision L ⪰ I the
// i-vector w = L⁻¹b moves by at most ‖β‖₂ (plus float32 rounding). It runs the portable path
// where the machine has no kernel.
func TestIVectorHalfPrecision(t *testing.T) {
	old, old8 := halfPrecision, int8Precision
	t.Cleanup(func() { halfPrecision, int8Precision = old, old8 })
	int8Precision = false
	r := newRand(21)
	ubm := randGMM(r, 16, 8, 2)
	halfPrecision = false
	exact, err := InitIVectorExtractor(ubm, 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	halfPrecision = true
	half, err := InitIVectorExtractor(ubm, 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !half.tt.Half() {
		t.Fatal("half-precision extractor keeps float32 Tᵀ")
	}
	worst := checkExtractionBound(t, r, ubm, exact, half, func(rr int, f []float64) float64 {
		var br float64
		for k, v := range f {
			br += math.Abs(exact.T[k*6+rr] * v)
		}
		return br / 2048
	})
	t.Logf("largest relative change of an i-vector: %.2g", worst)
}

// checkExtractionBound extracts the i-vectors (dimension 6) of 20 random utterances of ubm with
// exact and approx and fails if one moves by more than ‖β‖₂ (plus float32 rounding), β_r =
// beta(r, f) for the utterance's whitened centred statistics f; it returns the largest relative
// change. approx must differ from exact somewhere.
func checkExtractionBound(t *testing.T, r *rand.Rand, ubm *GMM, exact, approx *IVectorExtractor, beta func(r int, f []float64) float64) float64 {
	t.Helper()
	we, wa := exact.NewScratch(), approx.NewScratch()
	got, want := make([]float64, 6), make([]float64, 6)
	f := make([]float64, ubm.C*ubm.D)
	worst, moved := 0.0, false
	for i := range 20 {
		s := statsOf(ubm, sampleGMM(r, ubm, nil, 20+40*i), 10)
		if err := exact.Extract(s, want, we); err != nil {
			t.Fatal(err)
		}
		if err := approx.Extract(s, got, wa); err != nil {
			t.Fatal(err)
		}
		for k := range f {
			c := k / ubm.D
			f[k] = (s.F[k] - s.N[c]*ubm.Means[k]) / math.Sqrt(ubm.Vars[k])
		}
		var beta2 float64
		for rr := range 6 {
			b := beta(rr, f)
			beta2 += b * b
		}
		var d2 float64
		for k := range got {
			d2 += (got[k] - want[k]) * (got[k] - want[k])
		}
		moved = moved || d2 > 0
		if bound := math.Sqrt(beta2)*(1+1e-6) + 1e-5*norm(want); math.Sqrt(d2) > bound {
			t.Fatalf("utterance %d: i-vector moved %g, bound %g", i, math.Sqrt(d2), bound)
		}
		worst = max(worst, math.Sqrt(d2)/norm(want))
	}
	if !moved {
		t.Fatal("the approximate extractor gave exactly the exact i-vectors")
	}
	return worst
}

// TestIVectorInt8Precision checks the int8 Tᵀ against its rounding's bound: each element of row r
// of Tᵀ is off by at most half that row's step s_r = max_k |T_kr|/127, so each element of
// b = Tᵀf by at most β_r = (s_r/2) Σ_k |f_k|, and since L ⪰ I the i-vector moves by at most
// ‖β‖₂ (plus float32 rounding). Training (EM) keeps Tᵀ in half precision at most.
func TestIVectorInt8Precision(t *testing.T) {
	old, old8 := halfPrecision, int8Precision
	t.Cleanup(func() { halfPrecision, int8Precision = old, old8 })
	r := newRand(23)
	ubm := randGMM(r, 16, 8, 2)
	halfPrecision, int8Precision = false, false
	exact, err := InitIVectorExtractor(ubm, 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	halfPrecision, int8Precision = true, true
	q, err := InitIVectorExtractor(ubm, 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	if q.tt.Half() || q.tt.Rows() != 6 {
		t.Fatal("int8 extractor does not keep an int8 Tᵀ")
	}
	step := make([]float64, 6)
	for rr := range 6 {
		for k := range 16 * 8 {
			step[rr] = max(step[rr], math.Abs(float64(float32(exact.T[k*6+rr])))/127)
		}
	}
	worst := checkExtractionBound(t, r, ubm, exact, q, func(rr int, f []float64) float64 {
		var sumF float64
		for _, v := range f {
			sumF += math.Abs(v)
		}
		return step[rr] / 2 * sumF
	})
	t.Logf("largest relative change of an i-vector: %.2g", worst)
	// Training keeps half precision: an extractor fresh from EM and one rebuilt from its T agree.
	w := newSpeakerWorld(27, 16, 5, 3, 20, 0.4, 0.05)
	var stats []*Stats
	for s := range w.speakers {
		stats = append(stats, statsOf(w.ubm, w.utterance(s, 200), 4))
	}
	trained, err := TrainIVectorExtractor(w.ubm, stats, IVectorTrainConfig{R: 4, Iters: 2, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if trained.tt.Half() || trained.training {
		t.Fatal("a trained extractor does not extract with the int8 Tᵀ")
	}
	rebuilt, err := NewIVectorExtractor(w.ubm, trained.T, 4)
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float64, 4), make([]float64, 4)
	trained.Extract(stats[0], a, trained.NewScratch())
	rebuilt.Extract(stats[0], b, rebuilt.NewScratch())
	for k := range a {
		if a[k] != b[k] {
			t.Fatalf("trained extractor's i-vector %v, rebuilt %v", a, b)
		}
	}
}
