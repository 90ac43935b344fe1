package models

import (
	"errors"

	"fmt"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// UBMConfig controls TrainUBM.
type UBMConfig struct {
	// Components is the target number of mixture components C (≥ 1).
	Components int
	// Iters is the number of EM iterations at the final size (default 10).
	Iters int
	// SplitIters is the number of EM iterations after each binary split (default 3).
	SplitIters int
	// VarFloor floors every variance at VarFloor × the global variance of that
	// dimension (default 1e-3).
	VarFloor float64
	// Prune: in the E-step a component whose log w_c N(x;μ_c,σ²_c) is more than
	// Prune nats below the frame's best component gets posterior 0 (its true
	// posterior is < e^−Prune). Default 30; a negative value disables pruning.
	Prune float64
	// Workers is the number of goroutines in the E-step (default GOMAXPROCS).
	// The result does not depend on it: frames are cut into a fixed number of
	// shards whose sums are reduced in shard order.
	Workers int
	// Progress, if set, is called after every EM iteration with the number of
	// components, the iteration within the current size, the average
	// per-frame log-likelihood of the model entering the iteration, and its duration.
	Progress func(components, iter int, avgLogLik float64, took time.Duration)
}

func (c *UBMConfig) defaults() {
	if c.Iters <= 0 {
		c.Iters = 10
	}
	if c.SplitIters <= 0 {
		c.SplitIters = 3
	}
	if c.VarFloor <= 0 {
		c.VarFloor = 1e-3
	}
	if c.Prune == 0 {
		c.Prune = 30
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
}

// numShards is the fixed partition of frames for deterministic parallel sums.
const numShards = 16

// emAcc holds sufficient statistics for one shard of frames.
type emAcc struct {
	n, f, s []float64
	ll      float64
	frames  int
}

// TrainUBM trains a diagonal GMM with config.Components components on frames
// (each of length D) by maximum likelihood: binary splitting from the single
// Gaussian (global mean and variance), each split moving the two copies of the
// heaviest components' means by ±0.2σ, followed by EM. The E-step runs in
// parallel over frames; the M-step is
//
//	w_c = N_c / Σ N,  μ_c = F_c / N_c,  σ²_c = max(S_c / N_c − μ_c², floor·σ²_global)
//
// with S_c the posterior-weighted sum of x². A component that collects less
// than 0.01 frames keeps its previous mean and variance. It returns the model
// and the average per-frame log-likelihood entering each EM iteration at the
// final size (non-decreasing up to rounding, by the EM property).
// The result is deterministic for given frames and configuration.
func TrainUBM(frames [][]float32, cfg UBMConfig) (*GMM, []float64, error) {
	cfg.defaults()
	if cfg.Components < 1 {
		return nil, nil, errors.New("models: UBM needs at least one component")
	}
	if len(frames) < 2 {
		return nil, nil, errors.New("models: UBM training needs at least two frames")
	}
	D := len(frames[0])
	for i, x := range frames {
		if len(x) != D {
			return nil, nil, fmt.Errorf("models: frame %d has dimension %d, want %d", i, len(x), D)
		}
	}
	// Global mean and variance.
	mean := make([]float64, D)
	vr := make([]float64, D)
	for _, x := range frames {
		for d, v := range x {
			mean[d] += float64(v)
		}
	}
	for d := range mean {
		mean[d] /= float64(len(frames))
	}
	for _, x := range frames {
		for d, v := range x {
			e := float64(v) - mean[d]
			vr[d] += e * e
		}
	}
	floor := make([]float64, D)
	for d := range vr {
		vr[d] /= float64(len(frames))
		if vr[d] <= 0 {
			vr[d] = 1e-6
		}
		floor[d] = cfg.VarFloor * vr[d]
	}
	g := &GMM{C: 1, D: D, Weights: []float64{1}, Means: mean, Vars: vr}
	if err := g.Precompute(); err != nil {
		return nil, nil, err
	}
	var hist []float64
	for {
		final := g.C == cfg.Components
		iters := cfg.SplitIters
		if final {
			iters = cfg.Iters
		}
		for it := 0; it < iters; it++ {
			t0 := time.Now()
			ll, err := emIteration(g, frames, floor, &cfg)
			if err != nil {
				return nil, nil, err
			}
			if final {
				hist = append(hist, ll)
			}
			if cfg.Progress != nil {
				cfg.Progress(g.C, it, ll, time.Since(t0))
			}
		}
		if final {
			break
		}
		g = splitGMM(g, cfg.Components)
	}
	return g, hist, nil
}

// splitGMM returns a copy of g with min(C, target−C) of its heaviest
// components split in two.
func splitGMM(g *GMM, target int) *GMM {
	k := min(g.C, target-g.C)
	order := make([]int, g.C)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return g.Weights[order[a]] > g.Weights[order[b]] })
	D := g.D
	h := &GMM{C: g.C + k, D: D,
		Weights: append(slices.Clone(g.Weights), make([]float64, k)...),
		Means:   append(slices.Clone(g.Means), make([]float64, k*D)...),
		Vars:    append(slices.Clone(g.Vars), make([]float64, k*D)...)}
	for j := 0; j < k; j++ {
		c, n := order[j], g.C+j
		h.Weights[c] /= 2
		h.Weights[n] = h.Weights[c]
		for d := 0; d < D; d++ {
			sd := 0.2 * math.Sqrt(g.Vars[c*D+d])
			h.Means[n*D+d] = g.Means[c*D+d] + sd
			h.Means[c*D+d] = g.Means[c*D+d] - sd
			h.Vars[n*D+d] = g.Vars[c*D+d]
		}
	}
	if err := h.Precompute(); err != nil {
		panic(err) // derived from a valid model
	}
	return h
}

// emIteration runs one E-step (parallel) and M-step on g in place and returns
// the average per-frame log-likelihood under the parameters before the update.
func emIteration(g *GMM, frames [][]float32, floor []float64, cfg *UBMConfig) (float64, error) {
	C, D := g.C, g.D
	shards := min(numShards, len(frames))
	accs := make([]emAcc, shards)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(cfg.Workers, shards); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			xx := make([]float64, 2*D)
			ll := make([]float64, C)
			for {
				s := int(next.Add(1) - 1)
				if s >= shards {
					return
				}
				a := &accs[s]
				a.n, a.f, a.s = make([]float64, C), make([]float64, C*D), make([]float64, C*D)
				lo, hi := s*len(frames)/shards, (s+1)*len(frames)/shards
				for _, x := range frames[lo:hi] {
					a.ll += eStepFrame(g, x, xx, ll, cfg.Prune, a)
					a.frames++
				}
			}
		}()
	}
	wg.Wait()
	// Reduce in shard order: deterministic regardless of Workers.
	tot := emAcc{n: make([]float64, C), f: make([]float64, C*D), s: make([]float64, C*D)}
	for i := range accs {
		axpy(1, accs[i].n, tot.n)
		axpy(1, accs[i].f, tot.f)
		axpy(1, accs[i].s, tot.s)
		tot.ll += accs[i].ll
		tot.frames += accs[i].frames
	}
	if math.IsNaN(tot.ll) || math.IsInf(tot.ll, 0) {
		return 0, fmt.Errorf("models: UBM log-likelihood became %v", tot.ll)
	}
	T := 0.0
	for _, n := range tot.n {
		T += n
	}
	for c := 0; c < C; c++ {
		n := tot.n[c]
		g.Weights[c] = n / T
		if n < 0.01 {
			g.Weights[c] = math.Max(n/T, 1e-10)
			continue
		}
		for d := 0; d < D; d++ {
			m := tot.f[c*D+d] / n
			v := tot.s[c*D+d]/n - m*m
			if v < floor[d] {
				v = floor[d]
			}
			g.Means[c*D+d], g.Vars[c*D+d] = m, v
		}
	}
	ws := 0.0
	for _, w := range g.Weights {
		ws += w
	}
	for c := range g.Weights {
		g.Weights[c] /= ws
	}
	if err := g.Precompute(); err != nil {
		return 0, err
	}
	return tot.ll / float64(tot.frames), nil
}

// eStepFrame adds the posterior-weighted statistics of x to a and returns log p(x).
func eStepFrame(g *GMM, x []float32, xx, ll []float64, prune float64, a *emAcc) float64 {
	C, D := g.C, g.D
	for d, v := range x[:D] {
		f := float64(v)
		xx[2*d], xx[2*d+1] = f*f, f
	}
	// ll = gconst + coef·xx for all components at once (BLAS dgemv).
	copy(ll, g.gconst)
	blas64.Gemv(blas.NoTrans, 1, blas64.General{Rows: C, Cols: 2 * D, Stride: 2 * D, Data: g.coef64},
		blas64.Vector{N: 2 * D, Inc: 1, Data: xx}, 1, blas64.Vector{N: C, Inc: 1, Data: ll})
	max := math.Inf(-1)
	for _, l := range ll {
		if l > max {
			max = l
		}
	}
	lim := math.Inf(-1)
	if prune > 0 {
		lim = max - prune
	}
	sum := 0.0
	for c := 0; c < C; c++ {
		if ll[c] >= lim {
			p := math.Exp(ll[c] - max)
			ll[c] = p
			sum += p
		} else {
			ll[c] = 0
		}
	}
	inv := 1 / sum
	for c := 0; c < C; c++ {
		p := ll[c] * inv
		if p == 0 {
			continue
		}
		a.n[c] += p
		f, s := a.f[c*D:(c+1)*D], a.s[c*D:(c+1)*D]
		for d := 0; d < D; d++ {
			f[d] += p * xx[2*d+1]
			s[d] += p * xx[2*d]
		}
	}
	return max + math.Log(sum)
}

// SubsampleFrames returns n frames drawn without replacement from frames by a
// PCG generator seeded with seed, in their original order (all frames if
// n ≥ len(frames)). The frames are shared, not copied.
func SubsampleFrames(frames [][]float32, n int, seed uint64) [][]float32 {
	if n >= len(frames) {
		return frames
	}
	r := rand.New(rand.NewPCG(seed, 0x766f78677561726))
	idx := make([]int, len(frames))
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < n; i++ {
		j := i + r.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	sel := idx[:n]
	slices.Sort(sel)
	out := make([][]float32, n)
	for i, k := range sel {
		out[i] = frames[k]
	}
	return out
}
