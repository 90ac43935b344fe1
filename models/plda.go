package models

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// PLDA is a two-covariance probabilistic LDA model (Brümmer & de Villiers
// 2010; Kaldi plda.cc): a vector x of speaker s is x = y_s + ε with
// y_s ~ N(μ, Φ_b) and ε ~ N(0, Φ_w). It is stored in the simultaneously
// diagonalising coordinates u = A(x − μ), where A·Φ_w·Aᵀ = I and
// A·Φ_b·Aᵀ = diag(Psi).
type PLDA struct {
	Dim  int
	Mean []float64 // μ (Dim)
	A    []float64 // Dim×Dim row-major
	Psi  []float64 // between-speaker variances in u-space (Dim), descending
}

// Validate checks shapes, finiteness and Psi ≥ 0.
func (p *PLDA) Validate() error {
	if p.Dim < 1 || len(p.Mean) != p.Dim || len(p.A) != p.Dim*p.Dim || len(p.Psi) != p.Dim {
		return fmt.Errorf("models: PLDA has inconsistent shape (dim %d)", p.Dim)
	}
	for _, v := range p.Psi {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("models: PLDA between-class variance %v", v)
		}
	}
	return nil
}

// TrainPLDA fits a two-covariance PLDA model to labelled vectors (typically
// LDA-projected, length-normalised i-vectors). It starts from the moment
// estimates (Φ_w = pooled within-class covariance, Φ_b = covariance of the
// class means) and runs iters EM iterations (Sizov et al. 2014): for a
// speaker with n_s vectors summing to f_s,
//
//	L_s = Φ_b⁻¹ + n_s Φ_w⁻¹,  γ_s = L_s⁻¹(Φ_b⁻¹ μ + Φ_w⁻¹ f_s),  R_s = L_s⁻¹ + γ_s γ_sᵀ
//	μ = mean_s γ_s,  Φ_b = mean_s R_s − μμᵀ,
//	Φ_w = (1/N) Σ_s [Σ_i x_i x_iᵀ − γ_s f_sᵀ − f_s γ_sᵀ + n_s R_s].
func TrainPLDA(x [][]float64, labels []int, iters int) (*PLDA, error) {
	cs, err := newClassStats(x, labels, false)
	if err != nil {
		return nil, err
	}
	if len(cs.classes) < 2 {
		return nil, errors.New("models: PLDA needs at least two speakers")
	}
	n := cs.dim
	S := float64(len(cs.classes))
	phiW := mat.NewSymDense(n, nil)
	phiW.CopySym(cs.within)
	ridge(phiW, 1e-6)
	phiB := mat.NewSymDense(n, nil)
	diff := make([]float64, n)
	for _, m := range cs.cmeans {
		for d := range diff {
			diff[d] = m[d] - cs.mean[d]
		}
		phiB.SymRankOne(phiB, 1/S, mat.NewVecDense(n, diff))
	}
	ridge(phiB, 1e-6)
	mu := mat.NewVecDense(n, append([]float64(nil), cs.mean...))
	// Constant Σ_i x_i x_iᵀ and per-class sums.
	sxx := mat.NewSymDense(n, nil)
	for _, v := range x {
		sxx.SymRankOne(sxx, 1, mat.NewVecDense(n, v))
	}
	sums := make([]*mat.VecDense, len(cs.classes))
	for k, idx := range cs.classes {
		f := mat.NewVecDense(n, nil)
		for _, i := range idx {
			f.AddVec(f, mat.NewVecDense(n, x[i]))
		}
		sums[k] = f
	}
	for it := 0; it < iters; it++ {
		var cb, cw mat.Cholesky
		if !cb.Factorize(phiB) || !cw.Factorize(phiW) {
			return nil, fmt.Errorf("models: PLDA EM iteration %d: covariance not positive definite", it)
		}
		var bInv, wInv mat.SymDense
		_ = cb.InverseTo(&bInv)
		_ = cw.InverseTo(&wInv)
		var bmu mat.VecDense
		bmu.MulVec(&bInv, mu)
		sumG := mat.NewVecDense(n, nil)
		sumR := mat.NewSymDense(n, nil)
		accW := mat.NewSymDense(n, nil)
		accW.CopySym(sxx)
		var L, Linv mat.SymDense
		var rhs, g mat.VecDense
		var gf mat.Dense
		for k, idx := range cs.classes {
			ns := float64(len(idx))
			L.ScaleSym(ns, &wInv)
			L.AddSym(&L, &bInv)
			var cl mat.Cholesky
			if !cl.Factorize(&L) {
				return nil, errors.New("models: PLDA posterior precision not positive definite")
			}
			rhs.MulVec(&wInv, sums[k])
			rhs.AddVec(&rhs, &bmu)
			if err := cl.SolveVecTo(&g, &rhs); err != nil {
				return nil, err
			}
			_ = cl.InverseTo(&Linv)
			R := mat.NewSymDense(n, nil)
			R.CopySym(&Linv)
			R.SymRankOne(R, 1, &g)
			sumG.AddVec(sumG, &g)
			sumR.AddSym(sumR, R)
			// accW += n_s R_s − γ fᵀ − f γᵀ
			gf.Outer(1, &g, sums[k])
			for i := 0; i < n; i++ {
				for j := i; j < n; j++ {
					accW.SetSym(i, j, accW.At(i, j)+ns*R.At(i, j)-gf.At(i, j)-gf.At(j, i))
				}
			}
		}
		mu.ScaleVec(1/S, sumG)
		phiB.ScaleSym(1/S, sumR)
		phiB.SymRankOne(phiB, -1, mu)
		phiW.ScaleSym(1/float64(cs.n), accW)
		ridge(phiB, 1e-9)
		ridge(phiW, 1e-9)
	}
	A, psi, err := simDiag(phiB, phiW)
	if err != nil {
		return nil, fmt.Errorf("models: PLDA: %w", err)
	}
	p := &PLDA{Dim: n, Mean: append([]float64(nil), mu.RawVector().Data...), A: make([]float64, n*n), Psi: psi}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			p.A[i*n+j] = A.At(i, j)
		}
		if p.Psi[i] < 0 {
			p.Psi[i] = 0
		}
	}
	return p, nil
}

// Transform writes u = A(x − μ) into dst (reallocated only if too short) and returns it.
func (p *PLDA) Transform(dst, x []float64) []float64 {
	a := Affine{In: p.Dim, Out: p.Dim, Mean: p.Mean, M: p.A}
	return a.Apply(dst, x)
}

// LLR returns the PLDA log-likelihood ratio, in nats, that test (u-space)
// comes from the same speaker as n ≥ 1 enrollment vectors whose u-space mean
// is enrollMean, against a different speaker:
//
//	Σ_d log N(t_d; nψ_d ū_d/(nψ_d+1), 1 + ψ_d/(nψ_d+1)) − log N(t_d; 0, 1 + ψ_d).
//
// For n = 1 it equals log p(u,t | same)/(p(u)p(t)) and is symmetric in the
// two vectors. It does not allocate.
func (p *PLDA) LLR(enrollMean []float64, n int, test []float64) float64 {
	nf := float64(n)
	s := 0.0
	for d := 0; d < p.Dim; d++ {
		psi := p.Psi[d]
		m := nf * psi / (nf*psi + 1) * enrollMean[d]
		v := 1 + psi/(nf*psi+1)
		t := test[d]
		e := t - m
		s += -0.5*(math.Log(v)+e*e/v) + 0.5*(math.Log(1+psi)+t*t/(1+psi))
	}
	return s
}

// Score returns the LLR of test against the enrollment vectors (all in the
// input space): multi-session enrollment uses the exact n-vs-1 formula on the
// mean of the transformed enrollment vectors.
func (p *PLDA) Score(enroll [][]float64, test []float64) float64 {
	if len(enroll) == 0 {
		return 0
	}
	mean := make([]float64, p.Dim)
	var u []float64
	for _, e := range enroll {
		u = p.Transform(u, e)
		axpy(1/float64(len(enroll)), u, mean)
	}
	return p.LLR(mean, len(enroll), p.Transform(nil, test))
}
