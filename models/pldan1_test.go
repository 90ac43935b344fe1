package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPLDAN1MatchesLLR checks the expanded single-enrollment scoring against PLDA.LLR, pair by
// pair and against a cohort, on random vectors of a random PLDA (ψ from 0 to 30): exactly (to
// 1e-9) in float64, and to float32's rounding where the cohort product runs in float32 (a
// dimension that is a multiple of 8 on a machine with the AVX2 kernel).
func TestPLDAN1MatchesLLR(t *testing.T) {
	for _, dim := range []int{12, 16} {
		testPLDAN1(t, dim)
	}
}

func testPLDAN1(t *testing.T, dim int) {
	r := rand.New(rand.NewPCG(5, uint64(dim)))
	p := &PLDA{Dim: dim, Mean: make([]float64, dim), A: make([]float64, dim*dim), Psi: make([]float64, dim)}
	for d := range p.Psi {
		p.Psi[d] = 30 * r.Float64() * float64(dim-d) / float64(dim)
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
	f32 := s.cohort32 != nil
	if want := fastCohort && dim%8 == 0; f32 != want {
		t.Fatalf("dim %d: float32 cohort %v, want %v", dim, f32, want)
	}
	dst, y := make([]float64, len(cohort)), make([]float64, dim)
	for range 20 {
		e, x := vec(), vec()
		if got, want := s.llr(e, x), p.LLR(e, 1, x); math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
			t.Fatalf("llr %g, PLDA.LLR %g", got, want)
		}
		s.cohortScores(dst, y, x)
		for i, c := range cohort {
			want := p.LLR(c, 1, x)
			tol := 1e-9 * max(1, math.Abs(want))
			if f32 {
				// float32 rounding of the cross term Σ_d wx_d·x_d·c_d, term by term.
				var mag float64
				for d, w := range s.wx {
					mag += math.Abs(w * x[d] * c[d])
				}
				tol += 1e-6 * float64(dim) * mag
			}
			if math.Abs(dst[i]-want) > tol {
				t.Fatalf("dim %d, cohort %d: %g, PLDA.LLR %g", dim, i, dst[i], want)
			}
		}
	}
}
