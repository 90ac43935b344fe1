package models

import (
	"errors"
	"fmt"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// classStats are the labelled-vector statistics shared by LDA, WCCN and PLDA.
type classStats struct {
	dim     int
	n       int
	mean    []float64       // global mean
	classes [][]int         // indices of the vectors of each class, classes in sorted label order
	cmeans  [][]float64     // class means
	within  *mat.SymDense   // Σ_s Σ_{i∈s} (x_i − m_s)(x_i − m_s)ᵀ / N
	perCls  []*mat.SymDense // per-class scatter / n_s (only if wanted)
}

func newClassStats(x [][]float64, labels []int, perClass bool) (*classStats, error) {
	if len(x) == 0 || len(x) != len(labels) {
		return nil, errors.New("models: need as many labels as vectors (and at least one vector)")
	}
	dim := len(x[0])
	for i, v := range x {
		if len(v) != dim {
			return nil, fmt.Errorf("models: vector %d has dimension %d, want %d", i, len(v), dim)
		}
	}
	byLabel := map[int][]int{}
	for i, l := range labels {
		byLabel[l] = append(byLabel[l], i)
	}
	keys := make([]int, 0, len(byLabel))
	for k := range byLabel {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	cs := &classStats{dim: dim, n: len(x), mean: make([]float64, dim), within: mat.NewSymDense(dim, nil)}
	for _, v := range x {
		axpy(1/float64(len(x)), v, cs.mean)
	}
	diff := make([]float64, dim)
	for _, k := range keys {
		idx := byLabel[k]
		m := make([]float64, dim)
		for _, i := range idx {
			axpy(1/float64(len(idx)), x[i], m)
		}
		var pc *mat.SymDense
		if perClass {
			pc = mat.NewSymDense(dim, nil)
		}
		for _, i := range idx {
			for d := range diff {
				diff[d] = x[i][d] - m[d]
			}
			dv := mat.NewVecDense(dim, diff)
			cs.within.SymRankOne(cs.within, 1/float64(len(x)), dv)
			if pc != nil {
				pc.SymRankOne(pc, 1/float64(len(idx)), dv)
			}
		}
		cs.classes = append(cs.classes, idx)
		cs.cmeans = append(cs.cmeans, m)
		cs.perCls = append(cs.perCls, pc)
	}
	return cs, nil
}

// ridge adds eps·(trace/dim)·I to a (in place) to keep it positive definite.
func ridge(a *mat.SymDense, eps float64) {
	n := a.SymmetricDim()
	tr := 0.0
	for i := 0; i < n; i++ {
		tr += a.At(i, i)
	}
	r := eps * tr / float64(n)
	if r <= 0 {
		r = eps
	}
	for i := 0; i < n; i++ {
		a.SetSym(i, i, a.At(i, i)+r)
	}
}

// invCholFactor returns L⁻¹ for a = L·Lᵀ, as a dense matrix.
func invCholFactor(a *mat.SymDense) (*mat.Dense, error) {
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		return nil, errNotPD
	}
	var l mat.TriDense
	ch.LTo(&l)
	var li mat.TriDense
	if err := li.InverseTri(&l); err != nil {
		return nil, err
	}
	return mat.DenseCopyOf(&li), nil
}

// simDiag simultaneously diagonalises symmetric b and positive-definite w:
// it returns A (n×n) and ψ (descending) with A·w·Aᵀ = I and A·b·Aᵀ = diag(ψ).
func simDiag(b, w *mat.SymDense) (*mat.Dense, []float64, error) {
	n := w.SymmetricDim()
	li, err := invCholFactor(w)
	if err != nil {
		return nil, nil, err
	}
	var t, m mat.Dense
	t.Mul(li, b)
	m.Mul(&t, li.T())
	ms := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			ms.SetSym(i, j, 0.5*(m.At(i, j)+m.At(j, i)))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(ms, true) {
		return nil, nil, errors.New("models: eigendecomposition failed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, c int) bool { return vals[order[a]] > vals[order[c]] })
	A := mat.NewDense(n, n, nil)
	psi := make([]float64, n)
	var row mat.VecDense
	for k, j := range order {
		psi[k] = vals[j]
		// row k of A = u_jᵀ L⁻¹
		row.MulVec(li.T(), vecs.ColView(j))
		for i := 0; i < n; i++ {
			A.Set(k, i, row.AtVec(i))
		}
	}
	return A, psi, nil
}
