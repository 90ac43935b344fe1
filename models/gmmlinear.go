package models

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// GMMLinear is GMM-UBM verification in the linear-scoring approximation (Glembek et al. 2009),
// computed from Baum-Welch statistics alone, so a live call can be scored at any moment and a
// voiceprint is re-derivable from its statistics. With whitened, centred first-order statistics
// f_cd = (F_cd − N_c μ_cd)/σ_cd, a speaker model is the MAP mean shift
//
//	o_cd = f_cd / (N_c + r)                 (r: relevance factor)
//
// and a test is t_cd = f_cd / Σ_c N_c; the score o·t approximates the average per-frame
// log-likelihood ratio of the MAP-adapted model against the UBM. Scores are adaptively
// S-normalised against a cohort of impostor statistics.
type GMMLinear struct {
	Relevance float64     // MAP relevance factor r
	CohortN   [][]float64 // per cohort speaker: zeroth-order statistics (C)
	CohortF   [][]float64 // per cohort speaker: whitened centred first-order statistics (C·D)

	cohModel [][]float32 // cohort as models
	cohTest  [][]float32 // cohort as tests
}

// WhitenedCentred returns f_cd = (F_cd − N_c μ_cd)/σ_cd of s under ubm.
func WhitenedCentred(ubm *GMM, s *Stats) []float64 {
	C, D := ubm.C, ubm.D
	out := make([]float64, C*D)
	for c := range C {
		n := s.N[c]
		for d := range D {
			i := c*D + d
			out[i] = (s.F[i] - n*ubm.Means[i]) / math.Sqrt(ubm.Vars[i])
		}
	}
	return out
}

// ModelVector is the MAP mean shift o of statistics (n, f), as float32.
func (g *GMMLinear) ModelVector(n, f []float64) []float32 {
	D := len(f) / len(n)
	out := make([]float32, len(f))
	for c, nc := range n {
		inv := 1 / (nc + g.Relevance)
		for d := range D {
			out[c*D+d] = float32(f[c*D+d] * inv)
		}
	}
	return out
}

// TestVector is t = f / Σ N of statistics (n, f), as float32 (zero when there are no frames).
func TestVector(n, f []float64) []float32 {
	var total float64
	for _, v := range n {
		total += v
	}
	out := make([]float32, len(f))
	if total <= 0 {
		return out
	}
	inv := 1 / total
	for i, v := range f {
		out[i] = float32(v * inv)
	}
	return out
}

// Dot is the linear GMM-UBM score o·t.
func Dot(o, t []float32) float64 {
	return float64(blas32.Implementation().Sdot(len(o), o, 1, t, 1))
}

// Prepare validates the cohort and precomputes its model and test vectors.
func (g *GMMLinear) Prepare(ubm *GMM) error {
	if g.Relevance <= 0 {
		return fmt.Errorf("models: GMM relevance factor %g must be positive", g.Relevance)
	}
	if len(g.CohortN) != len(g.CohortF) {
		return errors.New("models: GMM cohort statistics are inconsistent")
	}
	g.cohModel, g.cohTest = nil, nil
	for i := range g.CohortN {
		if len(g.CohortN[i]) != ubm.C || len(g.CohortF[i]) != ubm.C*ubm.D {
			return fmt.Errorf("models: GMM cohort entry %d does not match the %dx%d UBM", i, ubm.C, ubm.D)
		}
		g.cohModel = append(g.cohModel, g.ModelVector(g.CohortN[i], g.CohortF[i]))
		g.cohTest = append(g.cohTest, TestVector(g.CohortN[i], g.CohortF[i]))
	}
	return nil
}

// cohortMoments returns the top-N moments of v scored as a model against the cohort tests and
// as a test against the cohort models.
func (g *GMMLinear) cohortMoments(model, test []float32, topN int, scratch []float64) (asModel, asTest CohortMoments) {
	if len(g.cohTest) == 0 {
		return CohortMoments{0, 1}, CohortMoments{0, 1}
	}
	sc := scratch[:len(g.cohTest)]
	for i, t := range g.cohTest {
		sc[i] = Dot(model, t)
	}
	asModel = TopNMoments(sc, topN)
	for i, m := range g.cohModel {
		sc[i] = Dot(m, test)
	}
	asTest = TopNMoments(sc, topN)
	return asModel, asTest
}
