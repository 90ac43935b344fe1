package models

import (
	"fmt"
	"runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// IVBatchSize is the number of utterances ExtractBatch processes together.
// Within a batch each component's packed T_cᵀT_c (R(R+1)/2 float32) is read
// from memory once for all utterances instead of once per utterance, which
// turns the memory-bound per-utterance extraction into a cache-friendly one.
const IVBatchSize = 16

// IVBatchScratch is working memory for ExtractBatch (one per goroutine).
type IVBatchScratch struct {
	one  *IVScratch
	lp32 []float32 // IVBatchSize × packed R×R
	b32  []float32 // IVBatchSize × R
}

// NewBatchScratch returns batch extraction scratch memory for e.
func (e *IVectorExtractor) NewBatchScratch() *IVBatchScratch {
	return &IVBatchScratch{one: e.NewScratch(),
		lp32: make([]float32, IVBatchSize*packedLen(e.R)), b32: make([]float32, IVBatchSize*e.R)}
}

// ExtractBatch computes the i-vectors of up to IVBatchSize statistics at
// once (same result as Extract up to float32 rounding order); out[i]
// receives the i-vector of stats[i] (len ≥ R). It does not allocate.
func (e *IVectorExtractor) ExtractBatch(stats []*Stats, out [][]float64, ws *IVBatchScratch) error {
	if len(stats) > IVBatchSize || len(out) < len(stats) {
		return fmt.Errorf("models: batch of %d statistics (max %d) with %d outputs", len(stats), IVBatchSize, len(out))
	}
	C, D, R := e.C, e.D, e.R
	P := packedLen(R)
	for _, s := range stats {
		if s.C != C || s.D != D {
			return fmt.Errorf("models: stats %dx%d do not match extractor %dx%d", s.C, s.D, C, D)
		}
		if err := e.checkUBM(s); err != nil {
			return err
		}
	}
	m := len(stats)
	clear(ws.lp32[:m*P])
	clear(ws.b32[:m*R])
	f32 := ws.one.f32
	for c := 0; c < C; c++ {
		uc := blas32.Vector{N: P, Inc: 1, Data: e.u32[c*P : (c+1)*P]}
		tc := blas32.General{Rows: D, Cols: R, Stride: R, Data: e.t32[c*D*R : (c+1)*D*R]}
		for j, s := range stats {
			n := s.N[c]
			if n == 0 || n < e.SkipBelow {
				continue
			}
			if e.fullW != nil {
				e.whitenInto(ws.one.w64, s, c, n, ws.one.cen)
				for d, v := range ws.one.w64 {
					f32[d] = float32(v)
				}
			} else {
				for d := 0; d < D; d++ {
					i := c*D + d
					f32[d] = float32((s.F[i] - n*e.means[i]) * e.invStd[i])
				}
			}
			if e.rankK == 0 {
				blas32.Axpy(float32(n), uc, blas32.Vector{N: P, Inc: 1, Data: ws.lp32[j*P : (j+1)*P]})
			}
			blas32.Gemv(blas.Trans, 1, tc, blas32.Vector{N: D, Inc: 1, Data: f32}, 1,
				blas32.Vector{N: R, Inc: 1, Data: ws.b32[j*R : (j+1)*R]})
		}
	}
	one := ws.one
	for j := 0; j < m; j++ {
		if e.rankK > 0 { // the same low-rank precision as Extract
			for c, n := range stats[j].N {
				if n == 0 || n < e.SkipBelow {
					n = 0
				}
				one.n32[c] = float32(n)
			}
			e.lowRankPrecision(one.n32, one.a32, ws.lp32[j*P:(j+1)*P])
		}
		for k, v := range ws.lp32[j*P : (j+1)*P] {
			one.lp[k] = float64(v)
		}
		for r, v := range ws.b32[j*R : (j+1)*R] {
			one.b[r] = float64(v)
		}
		err := e.solve(one)
		if err != nil && e.rankK > 0 { // indefinite low-rank precision: exact, as Extract does
			e.exactPrecision(one.n32[:C], ws.lp32[j*P:(j+1)*P])
			for k, v := range ws.lp32[j*P : (j+1)*P] {
				one.lp[k] = float64(v)
			}
			for r, v := range ws.b32[j*R : (j+1)*R] {
				one.b[r] = float64(v)
			}
			err = e.solve(one)
		}
		if err != nil {
			return err
		}
		copy(out[j], one.b)
	}
	return nil
}

// ExtractAll returns the i-vectors of all statistics, in batches spread over
// workers goroutines (≤ 0: GOMAXPROCS). Results do not depend on workers.
func (e *IVectorExtractor) ExtractAll(stats []*Stats, workers int) ([][]float64, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([][]float64, len(stats))
	for i := range out {
		out[i] = make([]float64, e.R)
	}
	nb := (len(stats) + IVBatchSize - 1) / IVBatchSize
	errs := make([]error, nb)
	pool := make(chan *IVBatchScratch, workers)
	for i := 0; i < workers; i++ {
		pool <- e.NewBatchScratch()
	}
	parallelFor(nb, workers, func(b int) {
		ws := <-pool
		lo, hi := b*IVBatchSize, min((b+1)*IVBatchSize, len(stats))
		errs[b] = e.ExtractBatch(stats[lo:hi], out[lo:hi], ws)
		pool <- ws
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
