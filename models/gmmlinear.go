package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/voxguard/voxguard/internal/vec"
)

// GMMLinear is GMM-UBM verification in the linear-scoring approximation (Glembek et al. 2009),
// computed from Baum-Welch statistics alone, so a live call can be scored at any moment and a
// voiceprint is re-derivable from its statistics. With whitened, centred first-order statistics
// f_cd = (F_cd − N_c μ_cd)/σ_cd, a speaker model is the MAP mean shift
//
//	o_cd = f_cd / (N_c + r)                 (r: relevance factor)
//
// and a test is t_cd = f_cd / Σ_c N_c; the score o·t approximates the average per-frame
// log-likelihood ratio of the MAP-adapted model against the UBM. With Quadratic the score keeps
// the expansion's second term too,
//
//	o·t − ½ Σ_c n̄_c ‖o_c‖²                  (n̄_c = N_c / Σ_c' N_c', the test's occupancy shares)
//
// the same fixed-posterior approximation without dropping the model's own offset, which the
// test's occupancy weights. Scores are adaptively S-normalised against a cohort of impostor
// statistics.
type GMMLinear struct {
	Relevance float64 // MAP relevance factor r
	// Quadratic adds −½ Σ_c n̄_c ‖o_c‖² to every score (bundle section "GQUA", format version 6).
	Quadratic bool
	// KeepLinear (experimental, with Quadratic) also gives o·t alone as a further scorer, with
	// its own S-norm moments, so that the calibration can weigh the two by channel. An
	// EnrolledCohort extends only the first score's cohort; the plain one keeps the bundle's.
	KeepLinear bool
	// FullWhitened whitens the scorer's statistics with the i-vector extractor's full
	// covariances (IVectorExtractor.FullWhitening) instead of the UBM's diagonal: CohortF and
	// NAP live in that space (metadata GMMFullWhiteningKey, bundle format version 8).
	FullWhitened bool
	CohortN      [][]float64 // per cohort speaker: zeroth-order statistics (C)
	CohortF      [][]float64 // per cohort speaker: whitened centred first-order statistics (C·D)
	// NAP, when not empty, is an orthonormal basis of nuisance directions (rows of C·D values in
	// the √w-weighted space, TrainNAP) that every model vector loses (bundle section "GNAP").
	NAP [][]float32
	nap *napProjector // NAP's projector (set by Prepare)

	// The cohort as models and as tests, one row of C·D per entry, as int8 or half precision
	// (readOnceMatrix): scoring a probe against the cohort reads each once, and fewer bytes are
	// less time when many calls share the memory bus.
	cohModel, cohTest vec.Matrix
	// With Quadratic: per cohort entry, C values each, its model's ‖o_c‖² and its occupancy
	// shares n̄_c as a test.
	cohModelQ, cohTestN []float32
	dim, c              int // C·D, C
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

// ModelVector is the MAP mean shift o of statistics (n, f), as float32, with its nuisance
// directions removed when the scorer has a NAP basis (after Prepare).
func (g *GMMLinear) ModelVector(n, f []float64) []float32 {
	o := g.mapShift(n, f)
	if g.nap != nil {
		g.nap.project(o)
	}
	return o
}

// mapShift is the MAP mean shift o of statistics (n, f) without projection.
func (g *GMMLinear) mapShift(n, f []float64) []float32 {
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

// testVector32 is TestVector of whitened centred statistics f already in single precision.
func testVector32(n []float64, f []float32) []float32 {
	return testVector32Into(make([]float32, len(f)), n, f)
}

// testVector32Into is testVector32 written into out (len(f)), which it returns.
func testVector32Into(out []float32, n []float64, f []float32) []float32 {
	var total float64
	for _, v := range n {
		total += v
	}
	out = out[:len(f)]
	if total <= 0 {
		clear(out)
		return out
	}
	inv := float32(1 / total)
	for i, v := range f {
		out[i] = v * inv
	}
	return out
}

// Dot is the linear GMM-UBM score o·t.
func Dot(o, t []float32) float64 {
	return float64(vec.Dot(o, t))
}

// Quad returns q_c = ‖o_c‖² of model vector o (C blocks of D values), the model's part of the
// quadratic term, or nil when the scorer has none.
func (g *GMMLinear) Quad(o []float32) []float32 {
	if !g.Quadratic || len(o) == 0 {
		return nil
	}
	D := g.dim / g.c
	q := make([]float32, len(o)/D)
	for c := range q {
		q[c] = vec.Dot(o[c*D:(c+1)*D], o[c*D:(c+1)*D])
	}
	return q
}

// Occupancy returns n̄_c = N_c / Σ N of zeroth-order statistics n, the test's part of the
// quadratic term (zero when there are no frames), or nil when the scorer has none.
func (g *GMMLinear) Occupancy(n []float64) []float32 {
	if !g.Quadratic {
		return nil
	}
	var total float64
	for _, v := range n {
		total += v
	}
	out := make([]float32, len(n))
	if total > 0 {
		for c, v := range n {
			out[c] = float32(v / total)
		}
	}
	return out
}

// Raw returns the unnormalised score of a model (o, its Quad q) against a test (t, its
// Occupancy nb): o·t, less ½ q·n̄ with Quadratic.
func (g *GMMLinear) Raw(o, q, t, nb []float32) float64 {
	return Dot(o, t) + g.quadTerm(q, nb)
}

// quadTerm is the quadratic term of a raw score, −½ q·n̄ for a model's Quad q and a test's
// Occupancy nb (0 without Quadratic).
func (g *GMMLinear) quadTerm(q, nb []float32) float64 {
	if !g.Quadratic {
		return 0
	}
	return -0.5 * float64(vec.Dot(q, nb))
}

// Prepare validates the cohort and precomputes its model and test vectors.
func (g *GMMLinear) Prepare(ubm *GMM) error {
	if g.Relevance <= 0 {
		return fmt.Errorf("models: GMM relevance factor %g must be positive", g.Relevance)
	}
	if len(g.CohortN) != len(g.CohortF) {
		return errors.New("models: GMM cohort statistics are inconsistent")
	}
	if g.KeepLinear && !g.Quadratic {
		return errors.New("models: a GMM scorer keeps its plain linear score beside the quadratic one only when it has the quadratic term")
	}
	g.dim, g.c = ubm.C*ubm.D, ubm.C
	g.nap = nil
	if len(g.NAP) > 0 {
		for _, r := range g.NAP {
			if len(r) != g.dim {
				return fmt.Errorf("models: GMM NAP direction of %d values does not match the %dx%d UBM", len(r), ubm.C, ubm.D)
			}
		}
		g.nap = newNAPProjector(g.NAP, sqrtWeights(ubm.Weights, ubm.D))
	}
	cohModel := make([]float32, 0, len(g.CohortN)*g.dim)
	cohTest := make([]float32, 0, len(g.CohortN)*g.dim)
	g.cohModelQ, g.cohTestN = nil, nil
	for i := range g.CohortN {
		if len(g.CohortN[i]) != ubm.C || len(g.CohortF[i]) != g.dim {
			return fmt.Errorf("models: GMM cohort entry %d does not match the %dx%d UBM", i, ubm.C, ubm.D)
		}
		o := g.ModelVector(g.CohortN[i], g.CohortF[i])
		cohModel = append(cohModel, o...)
		cohTest = append(cohTest, TestVector(g.CohortN[i], g.CohortF[i])...)
		g.cohModelQ = append(g.cohModelQ, g.Quad(o)...)
		g.cohTestN = append(g.cohTestN, g.Occupancy(g.CohortN[i])...)
	}
	g.cohModel = readOnceMatrix(cohModel, g.dim)
	g.cohTest = readOnceMatrix(cohTest, g.dim)
	return nil
}

// cohortScores writes into sc the scores of v against every row of the cohort matrix m (one
// assembly matrix-vector product), less ½ rows_i·w for the quadratic term when w is not nil
// (rows: the cohort's C values per entry on the other side), and returns their top-N moments;
// with KeepLinear, plain gets the top-N moments of the scores without the term.
func (g *GMMLinear) cohortScores(m vec.Matrix, v []float32, rows, w []float32, topN int, sc []float64, buf []float32, plain *CohortMoments) CohortMoments {
	n := len(g.CohortN)
	if n == 0 {
		return CohortMoments{0, 1}
	}
	clear(buf[:n])
	m.MulAdd(buf[:n], v)
	if g.KeepLinear && plain != nil {
		for i, x := range buf[:n] {
			sc[i] = float64(x)
		}
		*plain = TopNMoments(sc[:n], topN)
	}
	for i, x := range buf[:n] {
		sc[i] = float64(x)
		if w != nil {
			sc[i] += g.quadTerm(rows[i*g.c:(i+1)*g.c], w)
		}
	}
	return TopNMoments(sc[:n], topN)
}

// asModel returns the top-N moments of model vector o (with its Quad q) scored against the
// cohort's tests.
func (g *GMMLinear) asModel(o, q []float32, topN int, sc []float64, buf []float32, plain *CohortMoments) CohortMoments {
	return g.cohortScores(g.cohTest, o, g.cohTestN, q, topN, sc, buf, plain)
}

// asTest returns the top-N moments of test vector t (with its Occupancy nb) scored against the
// cohort's models.
func (g *GMMLinear) asTest(t, nb []float32, topN int, sc []float64, buf []float32, plain *CohortMoments) CohortMoments {
	return g.cohortScores(g.cohModel, t, g.cohModelQ, nb, topN, sc, buf, plain)
}
