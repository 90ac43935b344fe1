package models

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"sync"
)

// log2Pi is log(2π).
var log2Pi = math.Log(2 * math.Pi)

// GMM is a diagonal-covariance Gaussian mixture over D-dimensional feature
// frames:
//
//	p(x) = Σ_c w_c · N(x; μ_c, diag(σ²_c)).
//
// Means and Vars are stored row-major, component c occupying
// [c·D, (c+1)·D). After changing any exported field call Precompute before
// evaluating likelihoods.
type GMM struct {
	C, D    int       // number of components, feature dimension
	Weights []float64 // mixture weights w_c, Σ w_c = 1 (length C)
	Means   []float64 // μ_{c,d} (length C·D)
	Vars    []float64 // σ²_{c,d} > 0 (length C·D)

	// Derived by Precompute. For component c the log density is the affine form
	//   log w_c + log N(x; μ_c, σ²_c) = g_c + Σ_d x_d²·a_{c,d} + x_d·b_{c,d}
	// with a = −½/σ², b = μ/σ², g = log w − ½Σ log σ² − ½D log 2π − ½Σ μ²/σ².
	// coef holds [a_{c,0}, b_{c,0}, a_{c,1}, b_{c,1}, …] per component (2D
	// values each, interleaved so that the first 2s columns cover the first s
	// dimensions); it is multiplied by xx = [x_0², x_0, x_1², x_1, …].
	coef32    []float32
	coef64    []float64
	gconst    []float64
	gconst3   []float32
	invStd    []float64 // 1/σ_{c,d}, used by the i-vector extractor
	prepared  bool
	logWeight []float64
	hier      *hierarchy // optional two-level selection (BuildHierarchy)
	fp        uint64
	selConsts *sync.Map // s → selectionConst(s), shared by every Scratch (set by Precompute)
}

// ErrNotPrepared is returned when a GMM is used before Precompute succeeded.
var ErrNotPrepared = errors.New("models: GMM not prepared (call Precompute)")

// NewGMM returns a GMM with C components of dimension D, uniform weights,
// zero means and unit variances (already prepared).
func NewGMM(c, d int) *GMM {
	g := &GMM{C: c, D: d, Weights: make([]float64, c), Means: make([]float64, c*d), Vars: make([]float64, c*d)}
	for i := range g.Weights {
		g.Weights[i] = 1 / float64(c)
	}
	for i := range g.Vars {
		g.Vars[i] = 1
	}
	if err := g.Precompute(); err != nil {
		panic(err) // cannot happen: parameters are valid by construction
	}
	return g
}

// Clone returns a deep copy of g (prepared if g was).
func (g *GMM) Clone() *GMM {
	h := &GMM{C: g.C, D: g.D,
		Weights: append([]float64(nil), g.Weights...),
		Means:   append([]float64(nil), g.Means...),
		Vars:    append([]float64(nil), g.Vars...)}
	if g.prepared {
		_ = h.Precompute()
	}
	return h
}

// Validate checks shapes and that weights are non-negative and variances positive and finite.
func (g *GMM) Validate() error {
	if g.C <= 0 || g.D <= 0 {
		return fmt.Errorf("models: GMM has invalid shape C=%d D=%d", g.C, g.D)
	}
	if len(g.Weights) != g.C || len(g.Means) != g.C*g.D || len(g.Vars) != g.C*g.D {
		return fmt.Errorf("models: GMM slices do not match C=%d D=%d", g.C, g.D)
	}
	for c, w := range g.Weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("models: GMM weight %d is %v", c, w)
		}
	}
	for i, v := range g.Vars {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("models: GMM variance %d is %v", i, v)
		}
	}
	for i, m := range g.Means {
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return fmt.Errorf("models: GMM mean %d is %v", i, m)
		}
	}
	return nil
}

// Precompute validates g and derives the per-component constants used by the
// likelihood kernels. A component with zero weight gets log weight −Inf and is
// never selected.
func (g *GMM) Precompute() error {
	if err := g.Validate(); err != nil {
		return err
	}
	C, D := g.C, g.D
	g.coef32 = resize(g.coef32, C*2*D)
	g.coef64 = resizeF64(g.coef64, C*2*D)
	g.gconst = resizeF64(g.gconst, C)
	g.gconst3 = resize(g.gconst3, C)
	g.invStd = resizeF64(g.invStd, C*D)
	g.logWeight = resizeF64(g.logWeight, C)
	for c := 0; c < C; c++ {
		lw := math.Log(g.Weights[c])
		g.logWeight[c] = lw
		k := lw - 0.5*float64(D)*log2Pi
		for d := 0; d < D; d++ {
			v, m := g.Vars[c*D+d], g.Means[c*D+d]
			iv := 1 / v
			g.coef64[c*2*D+2*d] = -0.5 * iv
			g.coef64[c*2*D+2*d+1] = m * iv
			k -= 0.5 * (math.Log(v) + m*m*iv)
			g.invStd[c*D+d] = math.Sqrt(iv)
		}
		g.gconst[c] = k
		g.gconst3[c] = float32(k)
	}
	for i, v := range g.coef64 {
		g.coef32[i] = float32(v)
	}
	g.hier = nil
	g.fp = g.fingerprint()
	g.selConsts = new(sync.Map)
	g.prepared = true
	return nil
}

// selectionConst returns the constants of the marginal density of the
// first s dimensions (s < D), used by the fast selection pass. The slice is shared (computed once
// per s after Precompute): callers must not modify it.
func (g *GMM) selectionConst(s int) []float32 {
	if g.selConsts == nil {
		return g.computeSelectionConst(s)
	}
	if v, ok := g.selConsts.Load(s); ok {
		return v.([]float32)
	}
	v, _ := g.selConsts.LoadOrStore(s, g.computeSelectionConst(s))
	return v.([]float32)
}

func (g *GMM) computeSelectionConst(s int) []float32 {
	D := g.D
	out := make([]float32, g.C)
	for c := 0; c < g.C; c++ {
		k := g.logWeight[c] - 0.5*float64(s)*log2Pi
		for d := 0; d < s; d++ {
			v, m := g.Vars[c*D+d], g.Means[c*D+d]
			k -= 0.5 * (math.Log(v) + m*m/v)
		}
		out[c] = float32(k)
	}
	return out
}

// LogLikelihood returns log p(x) = log Σ_c w_c N(x; μ_c, σ²_c) in float64
// over all components (exact, slow path; use Scratch-based methods on hot paths).
func (g *GMM) LogLikelihood(x []float32) float64 {
	D := g.D
	xx := make([]float64, 2*D)
	for d := 0; d < D; d++ {
		v := float64(x[d])
		xx[2*d], xx[2*d+1] = v*v, v
	}
	max := math.Inf(-1)
	ll := make([]float64, g.C)
	for c := range ll {
		ll[c] = g.gconst[c] + dot(xx, g.coef64[c*2*D:])
		if ll[c] > max {
			max = ll[c]
		}
	}
	if math.IsInf(max, -1) {
		return max
	}
	s := 0.0
	for _, v := range ll {
		s += math.Exp(v - max)
	}
	return max + math.Log(s)
}

// ComponentLogLikelihood returns log w_c + log N(x; μ_c, σ²_c) in float64.
func (g *GMM) ComponentLogLikelihood(c int, x []float32) float64 {
	D := g.D
	s := g.gconst[c]
	for d := 0; d < D; d++ {
		v := float64(x[d])
		s += v*v*g.coef64[c*2*D+2*d] + v*g.coef64[c*2*D+2*d+1]
	}
	return s
}

// Fingerprint identifies the model parameters: FNV-1a (64-bit) over C, D
// and the float32-rounded weights, means and variances, so it survives a
// bundle round trip. Statistics made by GMM.NewStats carry it, which lets
// a stored voiceprint detect that it was accumulated against another UBM.
func (g *GMM) Fingerprint() uint64 { return g.fp }

func (g *GMM) fingerprint() uint64 {
	h := fnv.New64a()
	var b [4]byte
	put := func(v uint32) {
		binary.LittleEndian.PutUint32(b[:], v)
		h.Write(b[:])
	}
	put(uint32(g.C))
	put(uint32(g.D))
	for _, vs := range [][]float64{g.Weights, g.Means, g.Vars} {
		for _, v := range vs {
			put(math.Float32bits(float32(v)))
		}
	}
	return h.Sum64()
}

// NewStats returns zeroed statistics for g, stamped with g's Fingerprint.
func (g *GMM) NewStats() *Stats {
	s := NewStats(g.C, g.D)
	s.UBM = g.fp
	return s
}

func resize(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}

func resizeF64(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}
