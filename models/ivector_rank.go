package models

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/voxguard/voxguard/internal/vec"
	"gonum.org/v1/gonum/mat"
)

// PrecisionRankKey is the Metadata.Extra key that makes a bundle's i-vector extraction use a
// low-rank posterior precision (IVectorExtractor.SetPrecisionRank) with the given rank K, set
// up when the bundle is read. The back end of a bundle trained with it saw i-vectors extracted
// the same way.
const PrecisionRankKey = "ivector_precision_rank"

// GMMFullWhiteningKey is the Metadata.Extra key ("1") that marks a bundle whose GMM scorer
// whitens with the extractor's full covariances (GMMLinear.FullWhitened).
const GMMFullWhiteningKey = "gmm_full_whitening"

// PreparePrecisionRank applies the metadata's extraction settings: the extractor's low-rank
// precision when it asks for one (PrecisionRankKey) and the GMM scorer's full whitening (GMMFullWhiteningKey). ReadBundle does it; call it before the
// bundle is shared between goroutines.
func (b *Bundle) PreparePrecisionRank() error {
	if v, ok := b.Meta.Extra[GMMFullWhiteningKey]; ok {
		if v != "1" || b.GMM == nil || b.Extractor == nil || b.Extractor.FullWhitening() == nil {
			return fmt.Errorf("%w: %s %q needs a GMM scorer and an extractor with a full whitening", ErrMalformed, GMMFullWhiteningKey, v)
		}
		b.GMM.FullWhitened = true
	}
	v, ok := b.Meta.Extra[PrecisionRankKey]
	if !ok || b.Extractor == nil {
		return nil
	}
	k, err := strconv.Atoi(v)
	if err != nil || k < 1 || k > b.Extractor.C {
		return fmt.Errorf("models: %s %q: want a rank from 1 to %d", PrecisionRankKey, v, b.Extractor.C)
	}
	_, err = b.Extractor.SetPrecisionRank(k)
	return err
}

// SetPrecisionRank makes extraction approximate the posterior precision's data term
// Σ_c N_c T_cᵀT_c by a rank-K expansion: the C packed matrices U_c = T_cᵀT_c, as the rows of a
// C × R(R+1)/2 matrix U, are replaced by their best rank-K approximation V Vᵀ U (V: the K
// leading eigenvectors of U Uᵀ), so that
//
//	Σ_c N_c U_c ≈ Σ_k (Vᵀ N)_k B_k,   B = Vᵀ U   (K × R(R+1)/2),
//
// which reads K instead of C packed matrices per extraction. It returns the share of U's
// squared Frobenius norm the approximation keeps. K = 0 (or ≥ C) restores exact extraction.
// It costs one C × C Gram matrix (C²·R²/2 multiply-adds) and its eigendecomposition; call it
// before sharing e between goroutines.
func (e *IVectorExtractor) SetPrecisionRank(K int) (kept float64, err error) {
	C, P := e.C, packedLen(e.R)
	if K <= 0 || K >= C {
		e.rankK, e.rankVT, e.rankBT = 0, vec.Matrix{}, vec.Matrix{}
		return 1, nil
	}
	u := mat.NewDense(C, P, nil)
	for c := 0; c < C; c++ {
		row := u.RawRowView(c)
		for k, v := range e.u32[c*P : (c+1)*P] {
			row[k] = float64(v)
		}
	}
	var g mat.SymDense
	g.SymOuterK(1, u)
	v, top, total, err := leadingEigenvectors(&g, K)
	if err != nil {
		return 0, err
	}
	var b mat.Dense
	b.Mul(v.T(), u)
	e.rankK = K
	vt := make([]float32, K*C) // Vᵀ, K × C row-major
	for c := 0; c < C; c++ {
		for k := 0; k < K; k++ {
			vt[k*C+c] = float32(v.At(c, k))
		}
	}
	e.rankVT = vec.NewMatrix(vt, C, false)
	bt := make([]float32, P*K) // Bᵀ, P × K row-major
	for k := 0; k < K; k++ {
		for p := 0; p < P; p++ {
			bt[p*K+k] = float32(b.At(k, p))
		}
	}
	// Bᵀa reads all of B once per extraction (2.6 MB in float32), from memory in a loaded
	// server: int8 with a scale per row (readOnceMatrix) reads a quarter of that.
	e.rankBT = readOnceMatrix(bt, K)
	if total <= 0 {
		return 1, nil
	}
	return top / total, nil
}

// leadingEigenvectors returns an orthonormal basis (C × K, columns) of the dominant
// K-dimensional invariant subspace of the symmetric positive semi-definite g, the sum of the
// Rayleigh quotients it captures and g's trace, by block subspace iteration (K+16 columns from
// a seeded random start, 10 rounds, then Rayleigh-Ritz): ~1/20 of the time of a full
// eigendecomposition for C = 512, and deterministic.
func leadingEigenvectors(g *mat.SymDense, K int) (v *mat.Dense, top, total float64, err error) {
	C := g.SymmetricDim()
	m := min(C, K+16)
	r := rand.New(rand.NewPCG(0x51ab, uint64(K)))
	q := mat.NewDense(C, m, nil)
	for i := 0; i < C; i++ {
		for j := 0; j < m; j++ {
			q.Set(i, j, r.NormFloat64())
		}
	}
	var z mat.Dense
	var qr mat.QR
	for it := 0; it < 10; it++ {
		z.Mul(g, q)
		qr.Factorize(&z)
		var full mat.Dense
		qr.QTo(&full)
		q = mat.DenseCopyOf(full.Slice(0, C, 0, m))
	}
	var gq, h mat.Dense
	gq.Mul(g, q)
	h.Mul(q.T(), &gq)
	hs := mat.NewSymDense(m, nil)
	for i := 0; i < m; i++ {
		for j := i; j < m; j++ {
			hs.SetSym(i, j, (h.At(i, j)+h.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(hs, true) {
		return nil, 0, 0, fmt.Errorf("models: eigendecomposition of a %d×%d projected Gram matrix failed", m, m)
	}
	vals := eig.Values(nil) // ascending
	var w mat.Dense
	eig.VectorsTo(&w)
	sel := mat.NewDense(m, K, nil)
	for k := 0; k < K; k++ {
		top += vals[m-1-k]
		for i := 0; i < m; i++ {
			sel.Set(i, k, w.At(i, m-1-k))
		}
	}
	v = mat.NewDense(C, K, nil)
	v.Mul(q, sel)
	for i := 0; i < C; i++ {
		total += g.At(i, i)
	}
	return v, top, total, nil
}

// PrecisionRank is the rank set by SetPrecisionRank (0: exact).
func (e *IVectorExtractor) PrecisionRank() int { return e.rankK }

// lowRankPrecision writes Σ_k (Vᵀ n)_k B_k into lp32 (packed), where n32 holds the C
// occupancies used (zero for skipped components) and a32 has room for K values.
func (e *IVectorExtractor) lowRankPrecision(n32, a32, lp32 []float32) {
	K, P := e.rankK, packedLen(e.R)
	a := a32[:K]
	clear(a)
	e.rankVT.MulAdd(a, n32[:e.C])
	lp := lp32[:P]
	clear(lp)
	e.rankBT.MulAdd(lp, a)
}
