package models

import (
	"bytes"
	"math"
	"testing"
)

// TestFullCovWhitening checks FullCovWhitening against a hand-built covariance: from statistics
// of a component with a known full covariance Σ (and weight far above the smoothing), W Σ Wᵀ is
// the identity and W is lower triangular with a positive diagonal; a component never seen gets the
// UBM's diagonal whitening 1/σ exactly; and a 2×2 case matches the closed form.
func TestFullCovWhitening(t *testing.T) {
	const C, D = 3, 4
	g := &GMM{C: C, D: D, Weights: []float64{0.3, 0.3, 0.4}, Means: make([]float64, C*D), Vars: make([]float64, C*D)}
	for i := range g.Means {
		g.Means[i] = 0.1 * float64(i%5)
		g.Vars[i] = 0.5 + 0.25*float64(i%3)
	}
	if err := g.Precompute(); err != nil {
		t.Fatal(err)
	}
	// Σ = A Aᵀ for a fixed A, plus a mean offset m̂ − μ = δ.
	A := [D][D]float64{{1, 0, 0, 0}, {0.5, 0.8, 0, 0}, {-0.3, 0.2, 0.6, 0}, {0.1, -0.4, 0.3, 0.9}}
	var sigma [D][D]float64
	for i := range D {
		for j := range D {
			for k := range D {
				sigma[i][j] += A[i][k] * A[j][k]
			}
		}
	}
	delta := []float64{0.2, -0.1, 0.05, 0.3}
	const n = 1e12 // the smoothing (100 frames) is then negligible
	P := trilLen(D)
	N := []float64{n, 0, n}
	F := make([]float64, C*D)
	S := make([]float64, C*P)
	for _, c := range []int{0, 2} {
		mu := g.Means[c*D : (c+1)*D]
		k := 0
		for i := range D {
			mi := mu[i] + delta[i]
			F[c*D+i] = n * mi
			for j := 0; j <= i; j++ {
				mj := mu[j] + delta[j]
				// E[x xᵀ] about zero for x ~ N(m̂, Σ'), with Σ' = Σ − δδᵀ so that the
				// covariance about μ is exactly Σ.
				S[c*P+k] = n * (sigma[i][j] - delta[i]*delta[j] + mi*mj)
				k++
			}
		}
	}
	W, err := FullCovWhitening(g, N, F, S, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []int{0, 2} {
		w := W[c*P : (c+1)*P]
		at := func(i, j int) float64 {
			if j > i {
				return 0
			}
			return w[i*(i+1)/2+j]
		}
		for i := range D {
			if !(at(i, i) > 0) {
				t.Fatalf("component %d: diagonal %d is %v", c, i, at(i, i))
			}
			for j := range D {
				v := 0.0
				for a := range D {
					for b := range D {
						v += at(i, a) * sigma[a][b] * at(j, b)
					}
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(v-want) > 1e-9 {
					t.Fatalf("component %d: (W Σ Wᵀ)[%d][%d] = %v, want %v", c, i, j, v, want)
				}
			}
		}
	}
	k := 0
	for i := range D {
		for j := 0; j <= i; j++ {
			want := 0.0
			if i == j {
				want = 1 / math.Sqrt(g.Vars[D+i])
			}
			if math.Abs(W[P+k]-want) > 1e-15 {
				t.Fatalf("unseen component: W[%d][%d] = %v, want %v", i, j, W[P+k], want)
			}
			k++
		}
	}
	// 2×2 closed form: Σ = [[4, 2], [2, 5]] → L = [[2, 0], [1, 2]], L⁻¹ = [[1/2, 0], [−1/4, 1/2]].
	g2 := &GMM{C: 1, D: 2, Weights: []float64{1}, Means: []float64{0, 0}, Vars: []float64{1, 1}}
	if err := g2.Precompute(); err != nil {
		t.Fatal(err)
	}
	W2, err := FullCovWhitening(g2, []float64{n}, []float64{0, 0}, []float64{4 * n, 2 * n, 5 * n}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.5, -0.25, 0.5} {
		if math.Abs(W2[i]-want) > 1e-9 {
			t.Fatalf("2x2: W = %v, want [0.5 -0.25 0.5]", W2)
		}
	}
	if _, err := FullCovWhitening(g, N, F, S[:5], 100); err == nil {
		t.Fatal("statistics of the wrong size were accepted")
	}
}

// TestAccumulateSecondFull checks the full second-order statistics against the diagonal ones
// (AccumulateSecond) and the symmetric products of one frame with a single component.
func TestAccumulateSecondFull(t *testing.T) {
	w := newSpeakerWorld(7, 6, 5, 2, 4, 0.3, 0.05)
	g := w.ubm
	D, P := g.D, trilLen(g.D)
	frames := sampleGMM(newRand(3), g, nil, 200)
	sq := make([]float64, g.C*D)
	full := make([]float64, g.C*P)
	s1, s2 := g.NewStats(), g.NewStats()
	sc1, sc2 := g.NewScratch(3, 0), g.NewScratch(3, 0)
	for _, x := range frames {
		g.AccumulateSecond(s1, sq, x, sc1)
		g.AccumulateSecondFull(s2, full, x, sc2)
	}
	if !closeSlices(s1.N, s2.N) || !closeSlices(s1.F, s2.F) {
		t.Fatal("first-order statistics differ")
	}
	for c := range g.C {
		for d := range D {
			got := full[c*P+d*(d+1)/2+d]
			if math.Abs(got-sq[c*D+d]) > 1e-9*math.Max(1, math.Abs(got)) {
				t.Fatalf("component %d dimension %d: diagonal %v, AccumulateSecond %v", c, d, got, sq[c*D+d])
			}
		}
	}
	// One frame, one component (top-1): the packed product x xᵀ.
	one := make([]float64, g.C*P)
	s3, sc3 := g.NewStats(), g.NewScratch(1, 0)
	x := frames[0]
	g.AccumulateSecondFull(s3, one, x, sc3)
	c := 0
	for i, v := range s3.N {
		if v > 0 {
			c = i
		}
	}
	k := 0
	for i := range D {
		for j := 0; j <= i; j++ {
			if want := float64(x[i]) * float64(x[j]); math.Abs(one[c*P+k]-want) > 1e-12 {
				t.Fatalf("x xᵀ[%d][%d] = %v, want %v", i, j, one[c*P+k], want)
			}
			k++
		}
	}
}

// TestIVectorFullWhitening checks the extractor with a full whitening: a whitening equal to the
// UBM's diagonal extracts the same i-vectors as none (single and batch); a real full whitening
// changes them, gives the same i-vector folded into Tᵀ (Extract) as applied to the statistics
// (ExtractBatch), survives the bundle round trip (format version 8), and excludes a variance scale
// either way round; a whitening in the wrong shape is refused.
func TestIVectorFullWhitening(t *testing.T) {
	// Extract folds the whitening into Tᵀ, ExtractBatch whitens the statistics: with Tᵀ kept in
	// float32 the two agree to rounding.
	old, old8 := halfPrecision, int8Precision
	t.Cleanup(func() { halfPrecision, int8Precision = old, old8 })
	halfPrecision, int8Precision = false, false
	b := fullBundle(t)
	e := b.Extractor
	D := e.D
	diag := diagonalWhitening(b.UBM)
	s := statsOf(b.UBM, sampleGMM(newRand(2), b.UBM, nil, 80), 2)
	want := make([]float64, e.R)
	if err := e.Extract(s, want, e.NewScratch()); err != nil {
		t.Fatal(err)
	}
	// ExtractBatch reads T in float32 where Extract may read a compressed copy: compare like
	// with like.
	wantBatch := [][]float64{make([]float64, e.R)}
	if err := e.ExtractBatch([]*Stats{s}, wantBatch, e.NewBatchScratch()); err != nil {
		t.Fatal(err)
	}
	if err := e.SetFullWhitening(diag); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, e.R)
	if err := e.Extract(s, got, e.NewScratch()); err != nil {
		t.Fatal(err)
	}
	if !closeSlices(got, want) {
		t.Fatalf("diagonal full whitening: %v, want %v", got, want)
	}
	batch := [][]float64{make([]float64, e.R)}
	if err := e.ExtractBatch([]*Stats{s}, batch, e.NewBatchScratch()); err != nil {
		t.Fatal(err)
	}
	if !closeSlices(batch[0], wantBatch[0]) {
		t.Fatalf("diagonal full whitening, batch: %v, want %v", batch[0], wantBatch[0])
	}
	// A whitening with off-diagonal terms.
	full := offDiagonalWhitening(b.UBM, 0.3)
	if err := e.SetFullWhitening(full); err != nil {
		t.Fatal(err)
	}
	if err := e.Extract(s, got, e.NewScratch()); err != nil {
		t.Fatal(err)
	}
	if closeSlices(got, want) {
		t.Fatal("a full whitening did not change the i-vector")
	}
	if err := e.ExtractBatch([]*Stats{s}, batch, e.NewBatchScratch()); err != nil {
		t.Fatal(err)
	}
	if !closeSlices(batch[0], got) {
		t.Fatalf("full whitening: batch %v, single %v", batch[0], got)
	}
	rb := roundTripVersion(t, b, 8, "a full whitening")
	again := make([]float64, e.R)
	if err := rb.Extractor.Extract(s, again, rb.Extractor.NewScratch()); err != nil {
		t.Fatal(err)
	}
	if !closeSlices(again, got) {
		t.Fatalf("i-vectors differ after the round trip: %v vs %v", again, got)
	}
	if err := e.SetFullWhitening(full[:10]); err == nil {
		t.Fatal("a whitening of the wrong size was accepted")
	}
	bad := append([]float64(nil), full...)
	bad[0] = 0
	if err := e.SetFullWhitening(bad); err == nil {
		t.Fatal("a whitening with a zero diagonal was accepted")
	}
	k := make([]float64, e.C*D)
	for i := range k {
		k[i] = 1
	}
	if err := e.SetVarianceScale(k); err == nil {
		t.Fatal("a variance scale was accepted on top of a full whitening")
	}
	if err := e.SetFullWhitening(nil); err != nil {
		t.Fatal(err)
	}
	if err := e.SetVarianceScale(k); err != nil {
		t.Fatal(err)
	}
	if err := e.SetFullWhitening(full); err == nil {
		t.Fatal("a full whitening was accepted on top of a variance scale")
	}
}

// TestGMMFullWhitening checks the GMM scorer in the extractor's full whitening: with a diagonal
// W, WhitenedCentredFull is WhitenedCentred; Rewhiten of the diagonally whitened statistics (what
// an extraction leaves) is WhitenedCentredFull; a bundle marked with GMMFullWhiteningKey reads back
// as format version 8 with the flag set, and its verifier's test and model vectors are those of
// the fully whitened statistics; the key is refused on a bundle without a full whitening.
func TestGMMFullWhitening(t *testing.T) {
	def := defaultFirstSystem(t)
	def.Meta.HalfPrecisionT = false // version 10 since c44: here the full whitening's own 8
	def.Spoof = nil                 // version 11 since c45 (its spectrum network)
	b := roundTripVersion(t, def, 8, "a full whitening")
	W := b.Extractor.FullWhitening()
	if W == nil {
		t.Fatal("the default bundle's extractor has no full whitening")
	}
	C, D := b.UBM.C, b.UBM.D
	s := statsOf(b.UBM, sampleGMM(newRand(5), b.UBM, nil, 400), 10)
	diag := diagonalWhitening(b.UBM)
	plain := WhitenedCentred(b.UBM, s)
	for i, v := range WhitenedCentredFull(b.UBM, diag, s) {
		if math.Abs(v-plain[i]) > 1e-12*math.Max(1, math.Abs(v)) {
			t.Fatalf("diagonal W: value %d is %v, WhitenedCentred %v", i, v, plain[i])
		}
	}
	full := WhitenedCentredFull(b.UBM, W, s)
	f32 := make([]float32, C*D)
	for i, v := range plain {
		f32[i] = float32(v)
	}
	re := make([]float32, C*D)
	b.Extractor.Rewhiten(re, f32, s.N)
	for i, v := range full {
		if math.Abs(float64(re[i])-v) > 1e-4*math.Max(1, math.Abs(v)) {
			t.Fatalf("Rewhiten: value %d is %v, WhitenedCentredFull %v", i, re[i], v)
		}
	}
	if b.Meta.Extra == nil {
		b.Meta.Extra = map[string]string{}
	}
	b.Meta.Extra[GMMFullWhiteningKey] = "1"
	b2 := roundTripVersion(t, b, 8, "a fully whitened GMM scorer")
	if !b2.GMM.FullWhitened {
		t.Fatal("the GMM scorer is not marked fully whitened after the round trip")
	}
	v, err := NewVerifier(b2)
	if err != nil {
		t.Fatal(err)
	}
	ws := v.NewScratch()
	close32 := func(name string, got []float32, want []float32) {
		t.Helper()
		scale := 0.0
		for _, w := range want {
			scale = math.Max(scale, math.Abs(float64(w)))
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4*scale {
				t.Fatalf("%s: value %d is %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	test, err := v.PrepareTest(s, ws)
	if err != nil {
		t.Fatal(err)
	}
	close32("test vector", test.GTest, TestVector(s.N, full))
	model, err := v.Prepare(s, ws)
	if err != nil {
		t.Fatal(err)
	}
	close32("model vector", model.GModel, b2.GMM.ModelVector(s.N, full))
	b3 := roundTripVersion(t, def, 8, "a full whitening")
	if err := b3.Extractor.SetFullWhitening(nil); err != nil {
		t.Fatal(err)
	}
	if b3.Meta.Extra == nil {
		b3.Meta.Extra = map[string]string{}
	}
	b3.Meta.Extra[GMMFullWhiteningKey] = "1"
	if _, err := ReadBundle(bytes.NewReader(encode(t, b3)), nil); err == nil {
		t.Fatal("a fully whitened GMM scorer was accepted without the extractor's whitening")
	}
}

// diagonalWhitening is the lower-packed whitening that equals the UBM's diagonal 1/σ.
func diagonalWhitening(g *GMM) []float64 {
	D, P := g.D, trilLen(g.D)
	w := make([]float64, g.C*P)
	for c := range g.C {
		for d := range D {
			w[c*P+d*(d+1)/2+d] = 1 / math.Sqrt(g.Vars[c*D+d])
		}
	}
	return w
}

// offDiagonalWhitening is diagonalWhitening with each row's sub-diagonal term set to −k times its
// diagonal one: a valid whitening (positive diagonal) that is not diagonal.
func offDiagonalWhitening(g *GMM, k float64) []float64 {
	D, P := g.D, trilLen(g.D)
	w := diagonalWhitening(g)
	for c := range g.C {
		for i := 1; i < D; i++ {
			w[c*P+i*(i+1)/2+i-1] = -k * w[c*P+i*(i+1)/2+i]
		}
	}
	return w
}
