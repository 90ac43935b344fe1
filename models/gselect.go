package models

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Scratch is the per-goroutine working memory for top-C Gaussian selection.
// A Scratch belongs to the GMM that made it (remake it after changing the
// GMM's parameters) and must not be shared between goroutines; the GMM itself
// is read-only during selection and may be shared.
type Scratch struct {
	// TopC is the number of components kept per frame (C in "top-C").
	TopC int
	// SelectDims, if 0 < SelectDims < D, ranks components by the marginal
	// density of the first SelectDims feature dimensions (the static cepstra
	// when frames are laid out [c, Δc, ΔΔc]) and evaluates the full
	// D-dimensional density only for the TopC survivors. 0 means rank by the
	// full density (exact top-C).
	SelectDims int
	// Groups, if > 0 and the GMM has a hierarchy (GMM.BuildHierarchy), uses
	// two-level selection: rank the parent Gaussians of the groups, evaluate
	// only the components of the best Groups groups, keep their top TopC.
	// It takes precedence over SelectDims. 0 means flat selection.
	Groups int
	// MinPost, if > 0, drops kept components whose posterior is below it and
	// renormalises the rest (Kaldi's --min-post, typically 0.025): fewer,
	// larger statistics, hence faster i-vector extraction.
	MinPost float64

	xx []float32 // [x_0², x_0, x_1², x_1, …]
	ll []float32 // per-component log-likelihoods
	// selConst: marginal constants for SelectDims, derived from the GMM when
	// the Scratch was made (a Scratch must be remade after Precompute).
	selConst []float32
	pl       []float32 // parent log-likelihoods (hierarchical selection)
	pidx     []int32
	ptop     []float32
	pseed    []int32 // the previous frame's best groups (topGroupsSeeded)
	nseed    int
	pmark    []bool
	idx      []int32   // selected component indices, best first
	top      []float64 // their log w_c + log N(x; μ_c, σ²_c)
	post     []float64 // their posteriors γ_c(x) within the selected set
	n        int
}

// NewScratch returns a Scratch for g with the given top-C size (clamped to
// [1, C]) and selection dimensionality (see Scratch.SelectDims).
func (g *GMM) NewScratch(topC, selectDims int) *Scratch {
	if topC < 1 {
		topC = 1
	}
	if topC > g.C {
		topC = g.C
	}
	if selectDims <= 0 || selectDims >= g.D {
		selectDims = 0
	}
	var sel []float32
	if selectDims > 0 {
		sel = g.selectionConst(selectDims)
	}
	return &Scratch{selConst: sel, TopC: topC, SelectDims: selectDims,
		xx: make([]float32, 2*g.D), ll: make([]float32, g.C), idx: make([]int32, topC),
		top: make([]float64, topC), post: make([]float64, topC)}
}

// Selected returns the components chosen for the last frame and their
// posteriors (valid until the next call with sc).
func (sc *Scratch) Selected() (idx []int32, post []float64) {
	return sc.idx[:sc.n], sc.post[:sc.n]
}

// insert keeps sc.idx/sc.top sorted descending by score with at most TopC entries.
func (sc *Scratch) insert(c int32, l float64) {
	k := sc.TopC
	if sc.n == k {
		if !(l > sc.top[k-1]) {
			return
		}
		sc.n--
	}
	i := sc.n
	for i > 0 && sc.top[i-1] < l {
		sc.top[i], sc.idx[i] = sc.top[i-1], sc.idx[i-1]
		i--
	}
	sc.top[i], sc.idx[i] = l, c
	sc.n++
}

// Select performs top-C Gaussian selection for frame x (length D) and computes
// the posteriors γ_c(x) = w_c N(x;μ_c,σ²_c) / Σ_{c'∈top} w_c' N(x;μ_c',σ²_c')
// of the kept components. It returns the log-likelihood of x restricted to the
// kept components, log Σ_{c∈top} w_c N(x; μ_c, σ²_c) (a lower bound on log p(x)
// that is tight when the discarded mass is negligible), or −Inf if no component
// has non-zero weight or x is not finite (such a frame keeps no component and
// adds nothing to statistics). It does not allocate, except once on the first
// hierarchical call with sc. Likelihoods are evaluated in float32 with the
// affine form of GMM. With MinPost > 0 the returned value is still the
// log-likelihood before pruning.
func (g *GMM) Select(x []float32, sc *Scratch) float64 {
	D := g.D
	x = x[:D]
	xx := sc.xx[:2*D]
	for d, v := range x {
		xx[2*d] = v * v
		xx[2*d+1] = v
	}
	sc.n = 0
	if sc.Groups > 0 && g.hier != nil {
		if len(sc.pl) < g.hier.k || len(sc.pidx) < sc.Groups {
			sc.pl = make([]float32, g.hier.k) // first use with this hierarchy only
			sc.pidx, sc.ptop = make([]int32, sc.Groups), make([]float32, sc.Groups)
			sc.pseed, sc.nseed, sc.pmark = make([]int32, sc.Groups), 0, make([]bool, g.hier.k)
		}
		g.selectHierarchical(xx, sc)
		return sc.posteriors()
	}
	ll := sc.ll[:g.C]
	cols, k := 2*D, g.gconst3
	if s := sc.SelectDims; s > 0 && s < D && len(sc.selConst) == g.C {
		cols, k = 2*s, sc.selConst
	}
	// ll = const + coef[:, :cols]·xx[:cols] for all components (BLAS sgemv).
	copy(ll, k)
	blas32.Gemv(blas.NoTrans, 1, blas32.General{Rows: g.C, Cols: cols, Stride: 2 * D, Data: g.coef32},
		blas32.Vector{N: cols, Inc: 1, Data: xx}, 1, blas32.Vector{N: g.C, Inc: 1, Data: ll})
	for c, l := range ll {
		sc.insert(int32(c), float64(l))
	}
	if cols < 2*D {
		for i := 0; i < sc.n; i++ {
			c := int(sc.idx[i])
			sc.top[i] = float64(g.gconst3[c] + dot(xx, g.coef32[c*2*D:(c+1)*2*D]))
		}
	}
	return sc.posteriors()
}

// posteriors normalises the kept components' likelihoods into sc.post and
// returns their log-sum-exp.
func (sc *Scratch) posteriors() float64 {
	max := math.Inf(-1)
	for i := 0; i < sc.n; i++ {
		if sc.top[i] > max {
			max = sc.top[i]
		}
	}
	if math.IsInf(max, -1) {
		sc.n = 0
		return max
	}
	sum := 0.0
	for i := 0; i < sc.n; i++ {
		p := math.Exp(sc.top[i] - max)
		sc.post[i] = p
		sum += p
	}
	inv := 1 / sum
	for i := 0; i < sc.n; i++ {
		sc.post[i] *= inv
	}
	ll := max + math.Log(sum)
	if sc.MinPost > 0 && sc.n > 1 {
		// Kept entries are sorted by likelihood, so pruning keeps a prefix;
		// the best component always survives.
		kept, tot := 1, sc.post[0]
		for kept < sc.n && sc.post[kept] >= sc.MinPost {
			tot += sc.post[kept]
			kept++
		}
		sc.n = kept
		for i := 0; i < kept; i++ {
			sc.post[i] /= tot
		}
	}
	return ll
}
