package models

import (
	"github.com/voxguard/voxguard/internal/vec"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// pldaN1 scores single-enrollment PLDA trials, PLDA.LLR(e, 1, t), without its per-dimension
// logarithms: with a_d = ψ_d/(ψ_d+1) and v_d = 1 + a_d the LLR expands exactly into
//
//	k + Σ_d wq_d·t_d² + Σ_d wx_d·t_d·e_d − Σ_d wc_d·e_d²
//
// with k = ½Σ(log(1+ψ) − log v), wq = ½(1/(1+ψ) − 1/v), wx = a/v and wc = ½a²/v. Against a
// fixed cohort the e-terms are precomputed and the cross terms of all cohort vectors are one
// matrix-vector product.
type pldaN1 struct {
	k          float64
	wq, wx, wc []float64
	cohort     blas64.General // cohort vectors as rows (nil Data: no cohort)
	cohortC    []float64      // Σ_d wc_d·e_d² per cohort vector
	// cohort32 is the cohort in float32 for vec.GemvAdd (nil unless the machine has the AVX2
	// kernel and the sizes fit cohortScores' stack buffers): a fourth of the time of the float64
	// product, to ~1e-6 of the scores.
	cohort32 []float32
}

// Stack-buffer limits of the float32 cohort product.
const (
	maxFastCohort = 1024
	maxFastDim    = 256
)

func newPLDAN1(p *PLDA, cohort [][]float64) *pldaN1 {
	s := &pldaN1{wq: make([]float64, p.Dim), wx: make([]float64, p.Dim), wc: make([]float64, p.Dim)}
	for d, psi := range p.Psi {
		a := psi / (psi + 1)
		v := 1 + a
		s.k += 0.5 * (math.Log(1+psi) - math.Log(v))
		s.wq[d] = 0.5 * (1/(1+psi) - 1/v)
		s.wx[d] = a / v
		s.wc[d] = 0.5 * a * a / v
	}
	if len(cohort) > 0 {
		s.cohort = blas64.General{Rows: len(cohort), Cols: p.Dim, Stride: p.Dim, Data: make([]float64, 0, len(cohort)*p.Dim)}
		for _, c := range cohort {
			s.cohort.Data = append(s.cohort.Data, c...)
			s.cohortC = append(s.cohortC, s.enrollTerm(c))
		}
		if fastCohort && len(cohort) <= maxFastCohort && p.Dim <= maxFastDim && p.Dim%8 == 0 {
			s.cohort32 = make([]float32, len(s.cohort.Data))
			for i, v := range s.cohort.Data {
				s.cohort32[i] = float32(v)
			}
		}
	}
	return s
}

// fastCohort makes PLDA back ends score their cohort in float32 where the machine has the AVX2
// kernel; tests comparing with exact formulas turn it off.
var fastCohort = vec.Accelerated()

// enrollTerm is Σ_d wc_d·e_d².
func (s *pldaN1) enrollTerm(e []float64) float64 {
	var c float64
	for d, w := range s.wc {
		c += w * e[d] * e[d]
	}
	return c
}

// testTerm is k + Σ_d wq_d·t_d².
func (s *pldaN1) testTerm(t []float64) float64 {
	q := s.k
	for d, w := range s.wq {
		q += w * t[d] * t[d]
	}
	return q
}

// llr is PLDA.LLR(e, 1, t).
func (s *pldaN1) llr(e, t []float64) float64 {
	x := s.testTerm(t) - s.enrollTerm(e)
	for d, w := range s.wx {
		x += w * t[d] * e[d]
	}
	return x
}

// cohortScores writes to dst (length = cohort size) the LLR of test t against every cohort
// vector, using y (length Dim) as scratch.
func (s *pldaN1) cohortScores(dst, y, t []float64) {
	for d, w := range s.wx {
		y[d] = w * t[d]
	}
	q := s.testTerm(t)
	for i, c := range s.cohortC {
		dst[i] = q - c
	}
	if s.cohort32 != nil {
		var y32 [maxFastDim]float32
		var out [maxFastCohort]float32
		n, dim := len(s.cohortC), len(y)
		for d, v := range y {
			y32[d] = float32(v)
		}
		vec.GemvAdd(out[:n], s.cohort32, y32[:dim], dim)
		for i, v := range out[:n] {
			dst[i] += float64(v)
		}
		return
	}
	blas64.Gemv(blas.NoTrans, 1, s.cohort, blas64.Vector{N: len(y), Inc: 1, Data: y}, 1,
		blas64.Vector{N: len(dst), Inc: 1, Data: dst})
}
