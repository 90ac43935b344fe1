package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPLDAN1MatchesLLR checks the expanded single-enrollment scoring against PLDA.LLR, pair by
// pair and against a cohort, on random vectors of a random PLDA (ψ from 0 to 30).
func TestPLDAN1MatchesLLR(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const dim = 12
	p := &PLDA{Dim: dim, Mean: make([]float64, dim), A: make([]float64, dim*dim), Psi: make([]float64, dim)}
	for d := range p.Psi {
		p.Psi[d] = 30 * r.Float64() * float64(dim-d) / dim
		p.A[d*dim+d] = 1
	}
	vec := func() []float64 {
		x := make([]float64, dim)
		for d := range x {
			x[d] = 3 * r.NormFloat64()
		}
		return x
	}
	var cohort [][]float64
	for range 40 {
		cohort = append(cohort, vec())
	}
	s := newPLDAN1(p, cohort)
	dst, y := make([]float64, len(cohort)), make([]float64, dim)
	for range 20 {
		e, x := vec(), vec()
		if got, want := s.llr(e, x), p.LLR(e, 1, x); math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
			t.Fatalf("llr %g, PLDA.LLR %g", got, want)
		}
		s.cohortScores(dst, y, x)
		for i, c := range cohort {
			if want := p.LLR(c, 1, x); math.Abs(dst[i]-want) > 1e-9*max(1, math.Abs(want)) {
				t.Fatalf("cohort %d: %g, PLDA.LLR %g", i, dst[i], want)
			}
		}
	}
}
