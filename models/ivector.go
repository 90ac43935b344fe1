package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/voxguard/voxguard/internal/vec"
	"gonum.org/v1/gonum/blas/blas32"
)

// IVectorExtractor is a total-variability model (Dehak et al. 2011, in the
// formulation of Kaldi's ivector-extractor without prior offset): the
// speaker-and-session supervector of an utterance is
//
//	M = m + Σ^{1/2} T w,   w ~ N(0, I_R),
//
// with m the UBM mean supervector and Σ the UBM variances. T is stored in the
// variance-normalised space (the raw matrix premultiplied by Σ^{-1/2}), so for
// centred, whitened first-order statistics f_c = Σ_c^{-1/2}(F_c − N_c μ_c) the
// posterior of w is Gaussian with
//
//	precision  L = I + Σ_c N_c T_cᵀ T_c
//	mean       w = L⁻¹ Σ_c T_cᵀ f_c        (the i-vector).
//
// T_cᵀT_c is precomputed per component (C packed R×R triangles, float32), so
// an extraction costs C·R(R+1)/2 + C·D·R multiply-adds (two float32 BLAS
// matrix-vector products) plus an R×R Cholesky in float64.
type IVectorExtractor struct {
	C, D, R int
	// T is the variance-normalised total-variability matrix, (C·D) × R row-major;
	// rows c·D … c·D+D−1 form T_c.
	T []float64
	// SkipBelow skips, during extraction, components whose occupancy N_c is
	// below it (an approximation that saves memory traffic for short
	// utterances; 0, the default, is exact).
	SkipBelow float64

	means, invStd []float64 // UBM means and the whitening 1/σ (the UBM's, times varScale)
	// varScale, when non-nil, rescales the UBM's whitening per component and dimension (C·D):
	// the extractor's residual standard deviations, re-estimated in training
	// (IVectorTrainConfig.Second), are σ_{c,d}/varScale_{c,d}.
	varScale []float64
	// fullW, when non-nil, replaces the diagonal whitening by per-component lower-packed
	// matrices W_c (SetFullWhitening).
	fullW    []float64
	foldM    []float32 // with fullW: W_c diag(σ_c), lower-packed (Rewhiten)
	ubmFP    uint64
	t32      []float32  // T as float32
	tt       vec.Matrix // Tᵀ, R × (C·D) (one long product per extraction; int8 or half precision: readOnceMatrix)
	training bool       // EM in progress: Tᵀ at most in half precision (int8 would break EM's monotone likelihood)
	u32      []float32  // C × packedLen(R): T_cᵀ T_c
	rankK    int        // SetPrecisionRank: K, 0 for exact precisions
	rankVT   vec.Matrix // Vᵀ, K × C: the K leading eigenvectors of U Uᵀ (float32)
	rankBT   vec.Matrix // Bᵀ = (Vᵀ U)ᵀ, packedLen(R) × K (readOnceMatrix: int8 where accelerated)
}

// NewIVectorExtractor binds T ((C·D) × R, variance-normalised) to ubm and
// precomputes the per-component matrices T_cᵀT_c (in parallel).
func NewIVectorExtractor(ubm *GMM, T []float64, R int) (*IVectorExtractor, error) {
	if !ubm.prepared {
		return nil, ErrNotPrepared
	}
	if R < 1 || len(T) != ubm.C*ubm.D*R {
		return nil, fmt.Errorf("models: T has %d values, want C·D·R = %d·%d·%d", len(T), ubm.C, ubm.D, R)
	}
	for i, v := range T {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("models: T[%d] is %v", i, v)
		}
	}
	e := &IVectorExtractor{C: ubm.C, D: ubm.D, R: R, T: T,
		means: append([]float64(nil), ubm.Means...), invStd: append([]float64(nil), ubm.invStd...), ubmFP: ubm.fp}
	e.precompute()
	return e, nil
}

// InitIVectorExtractor returns an extractor with a random T (entries
// N(0, scale²), scale = 0.1) drawn from a PCG generator seeded with seed.
func InitIVectorExtractor(ubm *GMM, R int, seed uint64) (*IVectorExtractor, error) {
	r := rand.New(rand.NewPCG(seed, 0x1ec7))
	T := make([]float64, ubm.C*ubm.D*R)
	for i := range T {
		T[i] = 0.1 * r.NormFloat64()
	}
	return NewIVectorExtractor(ubm, T, R)
}

// VarianceScale returns the extractor's rescaling of the UBM's whitening (C·D values, see
// IVectorTrainConfig.Second), or nil when it whitens with the UBM's variances. The caller must not
// modify it.
func (e *IVectorExtractor) VarianceScale() []float64 { return e.varScale }

// SetVarianceScale makes the extractor whiten component c, dimension d of its statistics by
// k[c·D+d]/σ_{c,d} instead of the UBM's 1/σ_{c,d} (nil restores the UBM's). T must already be
// expressed in that whitening, as training leaves it.
func (e *IVectorExtractor) SetVarianceScale(k []float64) error {
	if k != nil && len(k) != e.C*e.D {
		return fmt.Errorf("models: variance scale has %d values, want C·D = %d", len(k), e.C*e.D)
	}
	if k != nil && e.fullW != nil {
		// The full whitening (and Tᵀ, which folds it in with σ) was built on the UBM's σ.
		return errors.New("models: an extractor with a full whitening cannot take re-estimated variances")
	}
	for i, v := range k {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("models: variance scale [%d] is %v", i, v)
		}
	}
	for i := range e.invStd {
		old, nw := 1.0, 1.0
		if e.varScale != nil {
			old = e.varScale[i]
		}
		if k != nil {
			nw = k[i]
		}
		e.invStd[i] *= nw / old
	}
	e.varScale = nil
	if k != nil {
		e.varScale = append([]float64(nil), k...)
	}
	return nil
}

func (e *IVectorExtractor) precompute() {
	C, D, R := e.C, e.D, e.R
	P := packedLen(R)
	e.t32 = resize(e.t32, len(e.T))
	for i, v := range e.T {
		e.t32[i] = float32(v)
	}
	e.buildTT()
	e.rankK, e.rankVT, e.rankBT = 0, vec.Matrix{}, vec.Matrix{} // a new T: any low-rank expansion is stale
	e.u32 = resize(e.u32, C*P)
	parallelFor(C, runtime.GOMAXPROCS(0), func(c int) {
		tc := e.T[c*D*R : (c+1)*D*R]
		u := e.u32[c*P : (c+1)*P]
		acc := make([]float64, P)
		for d := 0; d < D; d++ {
			row := tc[d*R : (d+1)*R]
			k := 0
			for i := 0; i < R; i++ {
				ri := row[i]
				axpy(ri, row[i:], acc[k:k+R-i])
				k += R - i
			}
		}
		for k, v := range acc {
			u[k] = float32(v)
		}
	})
}

// buildTT sets tt, Tᵀ from t32. Tᵀf is the one product of an extraction that reads a large
// matrix once: as int8 it reads a quarter of the bytes (readOnceMatrix); during EM (training)
// it stays in half precision at most.
//
// With a full whitening W_c the product folds it in: Tᵀ holds (W_c diag(σ_c))ᵀ T_c, so that the
// statistics whitened by the diagonal 1/σ_c, as without one, give Σ_c T_cᵀ W_c (F_c − N_c μ_c)
// at no extra cost per extraction (σ keeps the folded entries on T's own scale).
func (e *IVectorExtractor) buildTT() {
	C, D, R := e.C, e.D, e.R
	src := e.t32
	if e.fullW != nil {
		src = e.foldedT()
	}
	tt := make([]float32, len(e.t32))
	for i := 0; i < C*D; i++ {
		for r := 0; r < R; r++ {
			tt[r*C*D+i] = src[i*R+r]
		}
	}
	if e.training {
		e.tt = vec.NewMatrix(tt, C*D, halfPrecision)
	} else {
		e.tt = readOnceMatrix(tt, C*D)
	}
}

// foldedT returns, for a full whitening, the (C·D) × R float32 matrix whose block c is
// (W_c diag(σ_c))ᵀ T_c, σ_c = 1/invStd_c (see buildTT).
func (e *IVectorExtractor) foldedT() []float32 {
	C, D, R := e.C, e.D, e.R
	P := trilLen(D)
	out := make([]float32, C*D*R)
	parallelFor(C, runtime.GOMAXPROCS(0), func(c int) {
		w := e.fullW[c*P : (c+1)*P]
		acc := make([]float64, R)
		for j := range D {
			clear(acc)
			for i := j; i < D; i++ { // (W_c S_c)[i][j] = W_c[i][j] σ_{c,j}, W_c lower triangular
				m := w[i*(i+1)/2+j] / e.invStd[c*D+j]
				axpy(m, e.T[(c*D+i)*R:(c*D+i+1)*R], acc)
			}
			row := out[(c*D+j)*R : (c*D+j+1)*R]
			for r, v := range acc {
				row[r] = float32(v)
			}
		}
	})
	return out
}

// IVScratch is per-goroutine working memory for extraction.
type IVScratch struct {
	lp   []float64 // packed precision
	a    []float64 // full R×R, Cholesky factor in the lower triangle
	b    []float64
	col  []float64
	cov  []float64 // posterior covariance (training only)
	f32  []float32 // whitened centred first-order stats (C·D; zero for skipped components)
	n32  []float32 // occupancies used (C; zero for skipped components), for the low-rank precision
	a32  []float32 // low-rank coefficients (C, of which K are used)
	lp32 []float32
	b32  []float32
	w64  []float64 // one component's whitened statistics (D), with a full whitening
	cen  []float64 // one component's centred statistics (D), with a full whitening
}

// NewScratch returns extraction scratch memory for e.
func (e *IVectorExtractor) NewScratch() *IVScratch {
	R := e.R
	return &IVScratch{lp: make([]float64, packedLen(R)), a: make([]float64, R*R),
		b: make([]float64, R), col: make([]float64, R),
		f32: make([]float32, e.C*e.D), n32: make([]float32, e.C), a32: make([]float32, e.C), lp32: make([]float32, packedLen(R)), b32: make([]float32, R),
		w64: make([]float64, e.D), cen: make([]float64, e.D)}
}

// Extract writes the i-vector (posterior mean of w, length R) of statistics s
// into out. It does not allocate.
func (e *IVectorExtractor) Extract(s *Stats, out []float64, ws *IVScratch) error {
	if s.C != e.C || s.D != e.D {
		return fmt.Errorf("models: stats %dx%d do not match extractor %dx%d", s.C, s.D, e.C, e.D)
	}
	if len(out) < e.R {
		return errors.New("models: i-vector output too short")
	}
	if err := e.checkUBM(s); err != nil {
		return err
	}
	if err := e.posterior(s, ws); err != nil {
		return err
	}
	copy(out, ws.b)
	return nil
}

// checkUBM refuses statistics stamped with another UBM's fingerprint.
func (e *IVectorExtractor) checkUBM(s *Stats) error {
	if s.UBM != 0 && s.UBM != e.ubmFP {
		return fmt.Errorf("models: statistics were accumulated against UBM %016x, the extractor uses UBM %016x", s.UBM, e.ubmFP)
	}
	return nil
}

// posterior leaves the i-vector in ws.b and the Cholesky factor of the
// precision in ws.a.
func (e *IVectorExtractor) posterior(s *Stats, ws *IVScratch) error {
	C, D, R := e.C, e.D, e.R
	P := packedLen(R)
	f32, lp32, b32 := ws.f32, ws.lp32, ws.b32
	clear(lp32)
	clear(b32)
	lpv := blas32.Vector{N: P, Inc: 1, Data: lp32}
	for c := 0; c < C; c++ {
		n := s.N[c]
		fc := f32[c*D : (c+1)*D]
		if n == 0 || n < e.SkipBelow {
			clear(fc) // skipped components add nothing; their T_cᵀT_c is not read
			ws.n32[c] = 0
			continue
		}
		ws.n32[c] = float32(n)
		for d := range fc { // a full whitening is folded into Tᵀ (buildTT)
			i := c*D + d
			fc[d] = float32((s.F[i] - n*e.means[i]) * e.invStd[i])
		}
		if e.rankK == 0 {
			// packed L += N_c T_cᵀT_c   (float32 BLAS saxpy)
			blas32.Axpy(ws.n32[c], blas32.Vector{N: P, Inc: 1, Data: e.u32[c*P : (c+1)*P]}, lpv)
		}
	}
	if e.rankK > 0 {
		e.lowRankPrecision(ws.n32, ws.a32, lp32)
	}
	// b = Tᵀ f: one sgemv over R rows of C·D, which streams T once in long unit-stride dot
	// products (C small matrix-vector products with T_cᵀ were ~1.5x slower).
	e.tt.MulAdd(b32[:R], f32)
	lp, b := ws.lp, ws.b
	for k, v := range ws.lp32 {
		lp[k] = float64(v)
	}
	for r, v := range ws.b32 {
		b[r] = float64(v)
	}
	err := e.solve(ws)
	if err != nil && e.rankK > 0 {
		// The rank-K data term is not guaranteed positive semi-definite: on statistics whose
		// occupancy sits on a few components it can leave the precision indefinite. Such an
		// extraction falls back to the exact Σ_c N_c T_cᵀT_c.
		e.exactPrecision(ws.n32[:C], lp32)
		for k, v := range lp32 {
			lp[k] = float64(v)
		}
		for r, v := range ws.b32 {
			b[r] = float64(v)
		}
		err = e.solve(ws)
	}
	return err
}

// exactPrecision writes the exact data term Σ_c N_c T_cᵀT_c (packed) into lp32, n32 holding the
// C occupancies used (zero for skipped components).
func (e *IVectorExtractor) exactPrecision(n32, lp32 []float32) {
	P := packedLen(e.R)
	clear(lp32[:P])
	lpv := blas32.Vector{N: P, Inc: 1, Data: lp32}
	for c, n := range n32 {
		if n != 0 {
			blas32.Axpy(n, blas32.Vector{N: P, Inc: 1, Data: e.u32[c*P : (c+1)*P]}, lpv)
		}
	}
}

// solve adds the prior precision I to the packed ws.lp, factorises it into
// ws.a and overwrites ws.b (the linear term) with the posterior mean.
func (e *IVectorExtractor) solve(ws *IVScratch) error {
	R := e.R
	k := 0
	for i := 0; i < R; i++ {
		ws.lp[k] += 1
		k += R - i
	}
	unpackSym(ws.lp, R, ws.a)
	if err := cholesky(ws.a, R); err != nil {
		return err
	}
	cholSolve(ws.a, R, ws.b)
	return nil
}

// halfPrecision makes extractors and GMM scorers keep their large, read-once matrices (Tᵀ, the
// GMM cohort) in half precision; set where the machine has a kernel for it. Tests that compare
// with exact formulas turn it off.
var halfPrecision = vec.F16Accelerated()

// int8Precision makes the largest of those matrices, read once per product — the extractor's Tᵀ
// (6 MB in half precision at C = 512, D = 60, R = 100), the GMM scorer's cohort and the low-rank
// precision's basis Bᵀ (1.3 MB in half precision) — int8 with a scale per row where
// halfPrecision is set too (vec.NewMatrixInt8). Measured on the development trials: Tᵀ and the
// cohort moved calibrated scores by 0.013 nats on average (0.18 at most), EERs within ±0.1
// points, and under 700 live calls took 23% less time; Bᵀ moved them by another 0.02 (0.2 at
// most), EERs within ±0.2 points, and its product took half the time under 900 live calls (one
// back-to-back pair of server profiles: 1.11 → 0.55 s).
var int8Precision = vec.Accelerated()

// readOnceMatrix returns a (rows of cols values) as the Matrix of a large matrix read once per
// product: int8 where int8Precision and halfPrecision, half precision where halfPrecision, else
// float32.
func readOnceMatrix(a []float32, cols int) vec.Matrix {
	if halfPrecision && int8Precision {
		return vec.NewMatrixInt8(a, cols)
	}
	return vec.NewMatrix(a, cols, halfPrecision)
}

// parallelFor runs f(i) for i in [0, n) on up to workers goroutines. Each
// index is processed exactly once; f must only write state owned by index i.
func parallelFor(n, workers int, f func(i int)) {
	if workers < 1 {
		workers = 1
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// PosteriorVariances writes into dst (reallocated only if too short) and returns, for each row
// gₖ of g (rows of R values, row-major), the posterior variance gₖᵀ L⁻¹ gₖ of the projection gₖ·w
// of the i-vector, L being the posterior precision of the statistics last passed to Extract with
// ws. It is the uncertainty of a short recording's i-vector seen through a linear back end.
func (e *IVectorExtractor) PosteriorVariances(dst, g []float64, ws *IVScratch) []float64 {
	R := e.R
	rows := len(g) / R
	dst = resizeF64(dst, rows)
	y := ws.col
	for k := 0; k < rows; k++ {
		copy(y, g[k*R:(k+1)*R])
		s := 0.0
		for i := 0; i < R; i++ { // forward substitution: C y = gₖ, with L = C·Cᵀ
			y[i] = (y[i] - vec.DotF64(ws.a[i*R:i*R+i], y[:i])) / ws.a[i*R+i]
			s += y[i] * y[i]
		}
		dst[k] = s
	}
	return dst
}
