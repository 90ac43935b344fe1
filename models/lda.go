package models

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// TrainLDA returns the linear discriminant analysis projection of the
// labelled vectors x to dim dimensions: with global mean m, within-class
// covariance S_w = (1/N) Σ_s Σ_{i∈s} (x_i − m_s)(x_i − m_s)ᵀ and between-class
// covariance S_b = (1/N) Σ_s n_s (m_s − m)(m_s − m)ᵀ, the rows of M are the
// generalised eigenvectors S_b v = λ S_w v of the dim largest λ, scaled so
// that the projected within-class covariance is the identity. dim must not
// exceed the input dimension (useful dims ≤ number of classes − 1).
func TrainLDA(x [][]float64, labels []int, dim int) (*Affine, error) {
	cs, err := newClassStats(x, labels, false)
	if err != nil {
		return nil, err
	}
	if dim < 1 || dim > cs.dim {
		return nil, fmt.Errorf("models: LDA dimension %d outside [1, %d]", dim, cs.dim)
	}
	sb := mat.NewSymDense(cs.dim, nil)
	diff := make([]float64, cs.dim)
	for k, m := range cs.cmeans {
		for d := range diff {
			diff[d] = m[d] - cs.mean[d]
		}
		sb.SymRankOne(sb, float64(len(cs.classes[k]))/float64(cs.n), mat.NewVecDense(cs.dim, diff))
	}
	sw := mat.NewSymDense(cs.dim, nil)
	sw.CopySym(cs.within)
	ridge(sw, 1e-6)
	A, _, err := simDiag(sb, sw)
	if err != nil {
		return nil, fmt.Errorf("models: LDA: %w", err)
	}
	out := &Affine{In: cs.dim, Out: dim, Mean: cs.mean, M: make([]float64, dim*cs.dim)}
	for k := 0; k < dim; k++ {
		for i := 0; i < cs.dim; i++ {
			out.M[k*cs.dim+i] = A.At(k, i)
		}
	}
	return out, nil
}

// TrainWCCN returns within-class covariance normalisation (Hatch et al.
// 2006): with W = (1/S) Σ_s (1/n_s) Σ_{i∈s} (x_i − m_s)(x_i − m_s)ᵀ (classes
// weighted equally) and W⁻¹ = B·Bᵀ (Cholesky), the map is y = Bᵀ x, which
// makes the within-class covariance of y the identity. The map is linear
// (Mean = 0).
func TrainWCCN(x [][]float64, labels []int) (*Affine, error) {
	cs, err := newClassStats(x, labels, true)
	if err != nil {
		return nil, err
	}
	w := mat.NewSymDense(cs.dim, nil)
	for _, pc := range cs.perCls {
		w.AddSym(w, pc)
	}
	w.ScaleSym(1/float64(len(cs.perCls)), w)
	ridge(w, 1e-6)
	li, err := invCholFactor(w) // W = L Lᵀ ⇒ W⁻¹ = L⁻ᵀ L⁻¹, B = L⁻ᵀ, Bᵀ = L⁻¹
	if err != nil {
		return nil, fmt.Errorf("models: WCCN: %w", err)
	}
	out := &Affine{In: cs.dim, Out: cs.dim, Mean: make([]float64, cs.dim), M: make([]float64, cs.dim*cs.dim)}
	for i := 0; i < cs.dim; i++ {
		for j := 0; j < cs.dim; j++ {
			out.M[i*cs.dim+j] = li.At(i, j)
		}
	}
	return out, nil
}
