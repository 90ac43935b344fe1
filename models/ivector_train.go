package models

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"gonum.org/v1/gonum/blas/blas64"
)

// IVectorTrainConfig controls TrainIVectorExtractor.
type IVectorTrainConfig struct {
	R       int    // i-vector dimension (e.g. 200-400)
	Iters   int    // EM iterations (default 10)
	MinDiv  bool   // apply minimum-divergence re-estimation after each M-step
	Seed    uint64 // seed of the random initial T
	Workers int    // goroutines (default GOMAXPROCS); results do not depend on it
	// Second, when non-nil, holds the training utterances' second-order statistics summed over
	// them, Σ_t γ_{t,c} x_{t,d}² per component c and dimension d (C·D values, raw features, the
	// same frames and posteriors as stats): each M-step then re-estimates the residual variance
	// of every component and dimension (Kaldi's variance update, diagonal), floored at
	// VarianceFloor times its dimension's occupancy-weighted mean, and the extractor whitens with
	// it (IVectorExtractor.VarianceScale). Components seen for fewer than 100 frames keep theirs.
	Second []float64
	// VarianceFloor is the floor's fraction (default 0.1).
	VarianceFloor float64
	// FullWhitening, when non-nil, makes the extractor whiten with per-component full
	// covariances (FullCovWhitening, IVectorExtractor.SetFullWhitening); not with Second.
	FullWhitening []float64
	// Progress, if set, is called after each iteration.
	Progress func(iter int, took time.Duration)
}

// TrainIVectorExtractor estimates T by EM from per-utterance statistics
// (Kenny 2005; Kaldi ivector-extractor.cc without prior offset). For every
// utterance u the E-step computes the posterior mean w_u and covariance
// L_u⁻¹ and accumulates
//
//	A_c = Σ_u N_uc (L_u⁻¹ + w_u w_uᵀ)     (R×R per component)
//	B_c = Σ_u f_uc w_uᵀ                   (D×R, f whitened centred stats)
//
// and the M-step sets T_c = B_c A_c⁻¹. With MinDiv the result is then
// transformed by the Cholesky factor of the average second moment
// (1/U) Σ_u (L_u⁻¹ + w_u w_uᵀ), which keeps the prior standard normal and
// speeds convergence. Utterances are processed in batches: posteriors in
// parallel over utterances, accumulation in parallel over components, each
// component in fixed utterance order, so results are deterministic.
func TrainIVectorExtractor(ubm *GMM, stats []*Stats, cfg IVectorTrainConfig) (*IVectorExtractor, error) {
	if cfg.Iters <= 0 {
		cfg.Iters = 10
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if len(stats) == 0 {
		return nil, errors.New("models: no statistics to train the i-vector extractor")
	}
	for i, s := range stats {
		if s.C != ubm.C || s.D != ubm.D {
			return nil, fmt.Errorf("models: stats %d are %dx%d, UBM is %dx%d", i, s.C, s.D, ubm.C, ubm.D)
		}
	}
	e, err := InitIVectorExtractor(ubm, cfg.R, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if cfg.FullWhitening != nil {
		if cfg.Second != nil {
			return nil, errors.New("models: an extractor takes either re-estimated variances or a full whitening, not both")
		}
		if err := e.SetFullWhitening(cfg.FullWhitening); err != nil {
			return nil, err
		}
	}
	var totN, totF []float64 // with Second: occupancies and first-order statistics summed
	if cfg.Second != nil {
		if len(cfg.Second) != ubm.C*ubm.D {
			return nil, fmt.Errorf("models: second-order statistics have %d values, want C·D = %d", len(cfg.Second), ubm.C*ubm.D)
		}
		if cfg.VarianceFloor <= 0 {
			cfg.VarianceFloor = 0.1
		}
		totN, totF = make([]float64, ubm.C), make([]float64, ubm.C*ubm.D)
		for _, s := range stats {
			axpy(1, s.N, totN)
			axpy(1, s.F, totF)
		}
		ones := make([]float64, ubm.C*ubm.D)
		for i := range ones {
			ones[i] = 1
		}
		e.varScale = ones
	}
	e.training = true
	e.buildTT()
	defer func() {
		// The finished extractor extracts as one read from a bundle does.
		e.training = false
		e.buildTT()
	}()
	C, D, R := e.C, e.D, e.R
	P := packedLen(R)
	batch := 8 * cfg.Workers
	type slot struct {
		ws *IVScratch
		w  []float64
		e2 []float64 // packed second moment
	}
	slots := make([]slot, batch)
	for i := range slots {
		ws := e.NewScratch()
		ws.cov = make([]float64, R*R)
		slots[i] = slot{ws: ws, w: make([]float64, R), e2: make([]float64, P)}
	}
	accA := make([]float64, C*P)
	accB := make([]float64, C*D*R)
	sumE := make([]float64, P)
	for it := 0; it < cfg.Iters; it++ {
		t0 := time.Now()
		clear(accA)
		clear(accB)
		clear(sumE)
		var firstErr error
		for lo := 0; lo < len(stats); lo += batch {
			hi := min(lo+batch, len(stats))
			errs := make([]error, hi-lo)
			parallelFor(hi-lo, cfg.Workers, func(j int) {
				sl := &slots[j]
				if err := e.posterior(stats[lo+j], sl.ws); err != nil {
					errs[j] = err
					return
				}
				copy(sl.w, sl.ws.b)
				cholInverse(sl.ws.a, R, sl.ws.cov, sl.ws.col)
				k := 0
				for a := 0; a < R; a++ {
					for b := a; b < R; b++ {
						sl.e2[k] = sl.ws.cov[a*R+b] + sl.w[a]*sl.w[b]
						k++
					}
				}
			})
			for _, err := range errs {
				if err != nil && firstErr == nil {
					firstErr = err
				}
			}
			if firstErr != nil {
				return nil, fmt.Errorf("models: i-vector E-step: %w", firstErr)
			}
			parallelFor(C, cfg.Workers, func(c int) {
				a := accA[c*P : (c+1)*P]
				var fw, cen []float64
				if e.fullW != nil {
					fw, cen = make([]float64, D), make([]float64, D)
				}
				for j := 0; j < hi-lo; j++ {
					s := stats[lo+j]
					n := s.N[c]
					if n == 0 {
						continue
					}
					blas64.Axpy(n, blas64.Vector{N: P, Inc: 1, Data: slots[j].e2}, blas64.Vector{N: P, Inc: 1, Data: a})
					if fw != nil {
						e.whitenInto(fw, s, c, n, cen)
					}
					for d := 0; d < D; d++ {
						i := c*D + d
						f := (s.F[i] - n*e.means[i]) * e.invStd[i]
						if fw != nil {
							f = fw[d]
						}
						blas64.Axpy(f, blas64.Vector{N: R, Inc: 1, Data: slots[j].w}, blas64.Vector{N: R, Inc: 1, Data: accB[i*R : (i+1)*R]})
					}
				}
			})
			for j := 0; j < hi-lo; j++ {
				axpy(1, slots[j].e2, sumE)
			}
		}
		// M-step: T_c = B_c A_c⁻¹, row by row (A_c symmetric).
		T := append([]float64(nil), e.T...)
		parallelFor(C, cfg.Workers, func(c int) {
			a := make([]float64, R*R)
			unpackSym(accA[c*P:(c+1)*P], R, a)
			if cholesky(a, R) != nil {
				return // component never seen: keep its old T_c
			}
			for d := 0; d < D; d++ {
				i := c*D + d
				row := T[i*R : (i+1)*R]
				copy(row, accB[i*R:(i+1)*R])
				cholSolve(a, R, row)
			}
		})
		if cfg.Second != nil {
			e.updateVariances(T, accB, cfg.Second, totN, totF, cfg.VarianceFloor)
		}
		if cfg.MinDiv {
			s := make([]float64, R*R)
			unpackSym(sumE, R, s)
			for i := range s {
				s[i] /= float64(len(stats))
			}
			if err := cholesky(s, R); err == nil {
				tmp := make([]float64, R)
				for i := 0; i < C*D; i++ {
					row := T[i*R : (i+1)*R]
					for j := 0; j < R; j++ { // (row·L)_j = Σ_{k≥j} row_k L_kj
						v := 0.0
						for k := j; k < R; k++ {
							v += row[k] * s[k*R+j]
						}
						tmp[j] = v
					}
					copy(row, tmp)
				}
			}
		}
		e.T = T
		e.precompute()
		if cfg.Progress != nil {
			cfg.Progress(it, time.Since(t0))
		}
	}
	return e, nil
}

// updateVariances is the variance step of TrainIVectorExtractor's M-step: with T the new T and
// accB the iteration's B (both in the current whitening), the residual variance of component c,
// dimension d is (S̃_cd − Σ_r T_cdr B_cdr)/N_c, S̃ the whitened centred second-order statistics
// from second, totN and totF. The whitening and T's rows are rescaled so that it becomes 1.
func (e *IVectorExtractor) updateVariances(T, accB, second, totN, totF []float64, floorFrac float64) {
	C, D, R := e.C, e.D, e.R
	const minCount = 100
	v := make([]float64, C*D)
	mean := make([]float64, D)
	wsum := 0.0
	for c := 0; c < C; c++ {
		n := totN[c]
		if n < minCount {
			continue
		}
		wsum += n
		for d := 0; d < D; d++ {
			i := c*D + d
			w, m := e.invStd[i], e.means[i]
			st := w * w * (second[i] - 2*m*totF[i] + n*m*m)
			tb := 0.0
			for r := 0; r < R; r++ {
				tb += T[i*R+r] * accB[i*R+r]
			}
			v[i] = (st - tb) / n
			mean[d] += n * v[i]
		}
	}
	if wsum == 0 {
		return
	}
	for d := range mean {
		mean[d] *= floorFrac / wsum
	}
	for c := 0; c < C; c++ {
		if totN[c] < minCount {
			continue
		}
		for d := 0; d < D; d++ {
			i := c*D + d
			s := math.Sqrt(max(v[i], mean[d]))
			row := T[i*R : (i+1)*R]
			for r := range row {
				row[r] /= s
			}
			e.invStd[i] /= s
			e.varScale[i] /= s
		}
	}
}
