package models

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// labelledGaussians draws nSpk classes × per vectors in dim dimensions:
// class means N(0, bScale²) in the first rank dims, within noise N(0, wScale²).
func labelledGaussians(seed uint64, dim, rank, nSpk, per int, bScale, wScale float64) ([][]float64, []int) {
	r := newRand(seed)
	var x [][]float64
	var lab []int
	for s := 0; s < nSpk; s++ {
		m := make([]float64, dim)
		for d := 0; d < rank; d++ {
			m[d] = bScale * r.NormFloat64()
		}
		for i := 0; i < per; i++ {
			v := make([]float64, dim)
			for d := range v {
				v[d] = m[d] + wScale*r.NormFloat64()*(1+float64(d%3))
			}
			x = append(x, v)
			lab = append(lab, s)
		}
	}
	return x, lab
}

func withinCov(x [][]float64, lab []int, equalClasses bool) [][]float64 {
	cs, _ := newClassStats(x, lab, true)
	n := cs.dim
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, n)
		for j := range out[i] {
			if equalClasses {
				for _, pc := range cs.perCls {
					out[i][j] += pc.At(i, j) / float64(len(cs.perCls))
				}
			} else {
				out[i][j] = cs.within.At(i, j)
			}
		}
	}
	return out
}

func applyAll(a *Affine, x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i, v := range x {
		out[i] = a.Apply(nil, v)
	}
	return out
}

func assertIdentity(t *testing.T, what string, m [][]float64, tol float64) {
	t.Helper()
	for i := range m {
		for j := range m[i] {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(m[i][j]-want) > tol {
				t.Fatalf("%s[%d][%d] = %v, want %v", what, i, j, m[i][j], want)
			}
		}
	}
}

func TestLDAWhitensWithinAndKeepsDiscriminantDims(t *testing.T) {
	x, lab := labelledGaussians(30, 8, 3, 40, 10, 10, 0.5)
	lda, err := TrainLDA(x, lab, 3)
	if err != nil {
		t.Fatal(err)
	}
	y := applyAll(lda, x)
	assertIdentity(t, "LDA within-class covariance", withinCov(y, lab, false), 1e-4)
	// The three kept directions must carry the between-class variance: a
	// nearest-class-mean classifier in LDA space is almost perfect.
	cs, _ := newClassStats(y, lab, false)
	errs := 0
	for i, v := range y {
		best, bd := -1, math.Inf(1)
		for k, m := range cs.cmeans {
			d := 0.0
			for j := range v {
				d += (v[j] - m[j]) * (v[j] - m[j])
			}
			if d < bd {
				best, bd = k, d
			}
		}
		if best != lab[i] {
			errs++
		}
	}
	if errs > len(y)/20 {
		t.Fatalf("%d/%d misclassified after LDA", errs, len(y))
	}
	if _, err := TrainLDA(x, lab, 9); err == nil {
		t.Fatal("LDA dim > input accepted")
	}
}

func TestWCCNWhitensWithin(t *testing.T) {
	x, lab := labelledGaussians(31, 6, 2, 30, 8, 2, 0.7)
	w, err := TrainWCCN(x, lab)
	if err != nil {
		t.Fatal(err)
	}
	assertIdentity(t, "WCCN within-class covariance", withinCov(applyAll(w, x), lab, true), 1e-4)
}

func TestLengthNorm(t *testing.T) {
	v := LengthNorm([]float64{3, 4, 0, 0})
	if math.Abs(math.Sqrt(dot(v, v))-2) > 1e-12 || math.Abs(v[0]-1.2) > 1e-12 {
		t.Fatalf("got %v", v)
	}
	z := LengthNorm([]float64{0, 0})
	if z[0] != 0 || z[1] != 0 {
		t.Fatal("zero vector changed")
	}
}

func TestPLDASymmetricAndSeparates(t *testing.T) {
	x, lab := labelledGaussians(32, 6, 4, 60, 6, 4, 0.4)
	p, err := TrainPLDA(x, lab, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(x); i += 7 {
		a, b := x[i], x[i+1]
		s1, s2 := p.Score([][]float64{a}, b), p.Score([][]float64{b}, a)
		if math.Abs(s1-s2) > 1e-9*math.Max(1, math.Abs(s1)) {
			t.Fatalf("PLDA not symmetric: %v vs %v", s1, s2)
		}
	}
	// Held-out speakers from the same distribution.
	xt, lt := labelledGaussians(33, 6, 4, 30, 4, 4, 0.4)
	var tar, non, tar1 []float64
	for i := range xt {
		for j := range xt {
			if i/4 == j/4 || j%4 != 0 {
				continue
			}
			_ = lt
			s := p.Score([][]float64{xt[i]}, xt[j])
			non = append(non, s)
		}
	}
	for spk := 0; spk < 30; spk++ {
		enr := xt[spk*4 : spk*4+3]
		test := xt[spk*4+3]
		tar = append(tar, p.Score(enr, test))
		tar1 = append(tar1, p.Score(enr[:1], test))
	}
	e3, e1 := simpleEER(tar, non), simpleEER(tar1, non)
	t.Logf("PLDA EER: 1 enrollment %.3f, 3 enrollments %.3f", e1, e3)
	if e3 > 0.05 {
		t.Fatalf("PLDA EER %.3f", e3)
	}
	// More enrollment sessions give more evidence on average.
	if mean(tar) <= mean(tar1) {
		t.Fatalf("3-session targets %.2f not above 1-session %.2f", mean(tar), mean(tar1))
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func TestPLDALLRHandWorked(t *testing.T) {
	// One dimension, identity transform, ψ = 1, n = 1, u = t = 1:
	// same: N(1; ½, 1.5), diff: N(1; 0, 2).
	p := &PLDA{Dim: 1, Mean: []float64{0}, A: []float64{1}, Psi: []float64{1}}
	want := -0.5*(math.Log(1.5)+0.25/1.5) + 0.5*(math.Log(2)+0.5)
	if got := p.LLR([]float64{1}, 1, []float64{1}); math.Abs(got-want) > 1e-12 {
		t.Fatalf("got %v want %v", got, want)
	}
	// Equivalent bivariate form log N([1,1]; 0, [[2,1],[1,2]]) − 2 log N(1; 0, 2).
	det := 3.0
	quad := 2.0 / det // xᵀ Σ⁻¹ x = (2·1·1 − 2·1·1 + 2·1·1)/3 with Σ⁻¹ = [[2,−1],[−1,2]]/3
	joint := -math.Log(2*math.Pi) - 0.5*math.Log(det) - 0.5*quad
	marg := 2 * (-0.5*math.Log(2*math.Pi*2) - 0.25)
	if math.Abs(want-(joint-marg)) > 1e-12 {
		t.Fatalf("closed form %v, bivariate %v", want, joint-marg)
	}
}

func TestCosine(t *testing.T) {
	if c := Cosine([]float64{1, 0}, []float64{1, 1}); math.Abs(c-math.Sqrt(0.5)) > 1e-12 {
		t.Fatal(c)
	}
	if c := CosineMulti([][]float64{{2, 0}, {0, 5}}, []float64{1, 1}); math.Abs(c-1) > 1e-12 {
		t.Fatal(c)
	}
	if Cosine([]float64{0, 0}, []float64{1, 1}) != 0 {
		t.Fatal("zero vector")
	}
}

func TestASNormHandWorked(t *testing.T) {
	// Top-2 of {1, 5, 3}: {5, 3} → mean 4, std 1.
	m := TopNMoments([]float64{1, 5, 3}, 2)
	if m.Mean != 4 || m.Std != 1 {
		t.Fatalf("%+v", m)
	}
	// s = 6: enrollment side (6−4)/1 = 2, test side (6−0)/2 = 3 → 2.5.
	if v := ASNorm(6, m, CohortMoments{0, 2}); v != 2.5 {
		t.Fatal(v)
	}
	if m := TopNMoments([]float64{2, 2}, 0); m.Std != 1 {
		t.Fatal("zero std not guarded")
	}
	if a := testing.AllocsPerRun(10, func() { TopNMoments([]float64{3, 1, 2, 5}, 2) }); a > 1 {
		t.Fatalf("%v allocs", a)
	}
}

func TestCalibrationRecoversAffineMap(t *testing.T) {
	r := newRand(34)
	// Self-consistent Gaussian LLRs: tar ~ N(μ, 2μ), non ~ N(−μ, 2μ) are calibrated.
	mu := 3.0
	sd := math.Sqrt(2 * mu)
	a, b := 2.5, -1.0 // raw score s = (llr − b)/a, so llr = a·s + b
	var tar, non [][]float64
	for i := 0; i < 20000; i++ {
		lt := mu + sd*r.NormFloat64()
		ln := -mu + sd*r.NormFloat64()
		// A second, useless scorer (pure noise) must get weight ≈ 0 in the fusion.
		tar = append(tar, []float64{(lt - b) / a, r.NormFloat64()})
		non = append(non, []float64{(ln - b) / a, r.NormFloat64()})
	}
	for _, p := range []float64{0.5, 0.01} {
		c, err := TrainCalibration(tar, non, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("pEff %.2f: weights %.4f bias %.4f", p, c.Weights, c.Bias)
		if math.Abs(c.Weights[0]-a) > 0.1 || math.Abs(c.Bias-b) > 0.15 || math.Abs(c.Weights[1]) > 0.05 {
			t.Fatalf("pEff %v: got w=%v b=%v, want %v, %v", p, c.Weights, c.Bias, a, b)
		}
		if got := c.Apply(1, 0); math.Abs(got-(c.Weights[0]+c.Bias)) > 1e-12 {
			t.Fatal("Apply")
		}
	}
	if _, err := TrainCalibration(tar, nil, 0.5); err == nil {
		t.Fatal("no non-targets accepted")
	}
	if _, err := TrainCalibration(tar, non, 1); err == nil {
		t.Fatal("pEff 1 accepted")
	}
}

// pldaLogLik is the exact marginal log-likelihood of labelled data under the
// two-covariance model, computed in the diagonalising u-space (where each
// dimension of a speaker's n vectors is N(0, I + ψ 11ᵀ)) plus the Jacobian.
func pldaLogLik(p *PLDA, x [][]float64, lab []int) float64 {
	byLab := map[int][][]float64{}
	for i, v := range x {
		byLab[lab[i]] = append(byLab[lab[i]], p.Transform(nil, v))
	}
	A := mat.NewDense(p.Dim, p.Dim, p.A)
	var lu mat.LU
	lu.Factorize(A)
	logDetA, _ := lu.LogDet()
	tot := 0.0
	for _, us := range byLab {
		n := float64(len(us))
		for d := 0; d < p.Dim; d++ {
			psi := p.Psi[d]
			s, ss := 0.0, 0.0
			for _, u := range us {
				s += u[d]
				ss += u[d] * u[d]
			}
			tot += -0.5 * (n*math.Log(2*math.Pi) + math.Log(1+n*psi) + ss - psi*s*s/(1+n*psi))
		}
		tot += n * logDetA
	}
	return tot
}

func TestPLDAEMIncreasesLikelihood(t *testing.T) {
	x, lab := labelledGaussians(35, 5, 3, 25, 4, 1.5, 0.7)
	prev := math.Inf(-1)
	for _, it := range []int{0, 1, 2, 5, 10} {
		p, err := TrainPLDA(x, lab, it)
		if err != nil {
			t.Fatal(err)
		}
		ll := pldaLogLik(p, x, lab)
		t.Logf("PLDA EM iterations %2d: log-likelihood %.4f", it, ll)
		if ll < prev-1e-6*math.Abs(prev) {
			t.Fatalf("PLDA EM decreased the likelihood: %v -> %v", prev, ll)
		}
		prev = ll
	}
}
