package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/voxguard/voxguard/internal/vec"
)

// trilLen is the number of values of a lower-packed D×D triangle (row i holds columns 0…i).
func trilLen(D int) int { return D * (D + 1) / 2 }

// FullCovWhitening returns, per UBM component c, the lower-packed (trilLen(D) values, row i
// holding columns 0…i) inverse W_c = L_c⁻¹ of the Cholesky factor of the component's full
// covariance about the UBM mean,
//
//	Σ_c = (N_c Σ̂_c + τ diag(σ²_c)) / (N_c + τ),   Σ̂_c = S_c/N_c − m̂_c μ_cᵀ − μ_c m̂_cᵀ + μ_c μ_cᵀ,
//
// from the summed zeroth-, first- and second-order statistics N (C), F (C·D) and S
// (C·trilLen(D), Σ_t γ_{t,c} x_t x_tᵀ lower-packed) of the same frames, m̂_c = F_c/N_c, σ²_c the
// UBM's diagonal variances and τ = smooth frames of prior weight (components seen rarely stay
// near the UBM's diagonal). W_c Σ_c W_cᵀ = I, so W_c(F_c − N_c μ_c) are the component's
// whitened centred statistics with the correlations between feature dimensions removed
// (IVectorExtractor.SetFullWhitening).
func FullCovWhitening(ubm *GMM, N, F, S []float64, smooth float64) ([]float64, error) {
	C, D := ubm.C, ubm.D
	P := trilLen(D)
	if len(N) != C || len(F) != C*D || len(S) != C*P {
		return nil, fmt.Errorf("models: full-covariance statistics have %d, %d, %d values, want %d, %d, %d", len(N), len(F), len(S), C, C*D, C*P)
	}
	if !(smooth > 0) {
		return nil, errors.New("models: full-covariance smoothing must be positive")
	}
	W := make([]float64, C*P)
	a := make([]float64, D*D)
	inv := make([]float64, D*D)
	mh := make([]float64, D)
	for c := 0; c < C; c++ {
		n := N[c]
		mu := ubm.Means[c*D : (c+1)*D]
		vars := ubm.Vars[c*D : (c+1)*D]
		s := S[c*P : (c+1)*P]
		if n > 0 {
			for i := range mh {
				mh[i] = F[c*D+i] / n
			}
		}
		k := 0
		for i := 0; i < D; i++ {
			for j := 0; j <= i; j++ {
				v := 0.0
				if n > 0 {
					v = s[k]/n - mh[i]*mu[j] - mu[i]*mh[j] + mu[i]*mu[j]
				}
				v *= n / (n + smooth)
				if i == j {
					v += smooth / (n + smooth) * vars[i]
				}
				a[i*D+j], a[j*D+i] = v, v
				k++
			}
		}
		if err := cholesky(a, D); err != nil {
			return nil, fmt.Errorf("models: component %d's full covariance: %w", c, err)
		}
		// inv = L⁻¹ by forward substitution, column by column (lower triangular).
		clear(inv)
		for col := 0; col < D; col++ {
			for i := col; i < D; i++ {
				v := 0.0
				if i == col {
					v = 1
				}
				for j := col; j < i; j++ {
					v -= a[i*D+j] * inv[j*D+col]
				}
				inv[i*D+col] = v / a[i*D+i]
			}
		}
		w := W[c*P : (c+1)*P]
		k = 0
		for i := 0; i < D; i++ {
			for j := 0; j <= i; j++ {
				w[k] = inv[i*D+j]
				k++
			}
		}
	}
	return W, nil
}

// SetFullWhitening makes the extractor whiten each component's centred first-order statistics
// with the lower-packed matrices W (C·trilLen(D) values, FullCovWhitening) instead of the UBM's
// diagonal 1/σ; nil restores the diagonal. T must be expressed in that whitening, as training
// with IVectorTrainConfig.FullWhitening leaves it. It cannot be combined with a variance scale.
func (e *IVectorExtractor) SetFullWhitening(W []float64) error {
	if W == nil {
		if e.fullW != nil {
			e.fullW, e.foldM = nil, nil
			e.buildTT()
		}
		return nil
	}
	if e.varScale != nil {
		return errors.New("models: an extractor with re-estimated variances cannot take a full whitening")
	}
	D := e.D
	P := trilLen(D)
	if len(W) != e.C*P {
		return fmt.Errorf("models: full whitening has %d values, want C·D(D+1)/2 = %d", len(W), e.C*P)
	}
	for i, v := range W {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("models: full whitening [%d] is %v", i, v)
		}
	}
	for c := 0; c < e.C; c++ {
		k := c * P
		for i := 0; i < D; i++ {
			k += i
			if !(W[k] > 0) {
				return fmt.Errorf("models: full whitening of component %d has diagonal %v at %d", c, W[k], i)
			}
			k++
		}
	}
	e.fullW = append([]float64(nil), W...)
	e.foldM = make([]float32, len(W))
	for c := 0; c < e.C; c++ {
		k := c * P
		for i := 0; i < D; i++ {
			for j := 0; j <= i; j++ {
				e.foldM[k] = float32(W[k] / e.invStd[c*D+j])
				k++
			}
		}
	}
	e.buildTT()
	return nil
}

// FullWhitening returns the extractor's full whitening (see SetFullWhitening), or nil when it
// whitens with diagonal variances. The caller must not modify it.
func (e *IVectorExtractor) FullWhitening() []float64 { return e.fullW }

// whitenInto writes component c's fully whitened centred first-order statistics of s
// (occupancy n) into dst (D values), with cen (D values) as scratch. The extractor must have a
// full whitening.
func (e *IVectorExtractor) whitenInto(dst []float64, s *Stats, c int, n float64, cen []float64) {
	D, P := e.D, trilLen(e.D)
	whitenFull(dst, e.fullW[c*P:(c+1)*P], s.F[c*D:(c+1)*D], e.means[c*D:(c+1)*D], n, cen)
}

// whitenFull writes W(f − n·mu) into dst, W lower-packed (trilLen(len(dst)) values), with cen
// (len(dst) values) as scratch.
func whitenFull(dst, w, f, mu []float64, n float64, cen []float64) {
	for d := range cen {
		cen[d] = f[d] - n*mu[d]
	}
	k := 0
	for i := range dst {
		dst[i] = vec.DotF64(w[k:k+i+1], cen[:i+1])
		k += i + 1
	}
}

// Rewhiten turns statistics whitened by the UBM's diagonal, f_c = diag(1/σ_c)(F_c − N_c μ_c)
// (C·D float32 values, as an extraction leaves them), into the full whitening's
// W_c(F_c − N_c μ_c) = W_c diag(σ_c) f_c, written to dst; components with n[c] = 0 are zero. The
// extractor must have a full whitening.
func (e *IVectorExtractor) Rewhiten(dst, f []float32, n []float64) {
	D := e.D
	P := trilLen(D)
	for c := 0; c < e.C; c++ {
		out := dst[c*D : (c+1)*D]
		if n[c] == 0 {
			clear(out)
			continue
		}
		in := f[c*D : (c+1)*D]
		m := e.foldM[c*P : (c+1)*P]
		k := 0
		for i := range D {
			out[i] = vec.Dot(m[k:k+i+1], in[:i+1])
			k += i + 1
		}
	}
}

// GMMWhitening is the lower-packed full whitening the bundle's GMM scorer works in (the
// extractor's, when GMMLinear.FullWhitened), or nil for the UBM's diagonal; it is what
// WhitenedCentredFull takes.
func (b *Bundle) GMMWhitening() []float64 {
	if b.GMM == nil || !b.GMM.FullWhitened || b.Extractor == nil {
		return nil
	}
	return b.Extractor.FullWhitening()
}

// WhitenedCentredFull returns W_c(F_c − N_c μ_c) for every component of s under ubm, W the
// lower-packed whitening of FullCovWhitening; with W nil it is WhitenedCentred.
func WhitenedCentredFull(ubm *GMM, W []float64, s *Stats) []float64 {
	if W == nil {
		return WhitenedCentred(ubm, s)
	}
	C, D := ubm.C, ubm.D
	P := trilLen(D)
	out := make([]float64, C*D)
	cen := make([]float64, D)
	for c := range C {
		whitenFull(out[c*D:(c+1)*D], W[c*P:(c+1)*P], s.F[c*D:(c+1)*D], ubm.Means[c*D:(c+1)*D], s.N[c], cen)
	}
	return out
}
