package models

import (
	"fmt"
	"math"
)

// Affine is the map y = M·(x − Mean) from R^In to R^Out, M row-major Out×In.
// LDA and WCCN both produce one.
type Affine struct {
	In, Out int
	Mean    []float64 // length In (zeros for a purely linear map)
	M       []float64 // length Out·In
}

// Validate checks shapes and finiteness.
func (a *Affine) Validate() error {
	if a.In < 1 || a.Out < 1 || len(a.Mean) != a.In || len(a.M) != a.In*a.Out {
		return fmt.Errorf("models: affine map has inconsistent shape %d→%d", a.In, a.Out)
	}
	for _, v := range a.M {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("models: affine map has non-finite coefficient")
		}
	}
	return nil
}

// Apply writes M·(x − Mean) into dst (reallocated only if shorter than Out)
// and returns it. x must have length In. tmp-free: it does not allocate when
// dst is large enough.
func (a *Affine) Apply(dst, x []float64) []float64 {
	dst = resizeF64(dst, a.Out)
	x = x[:a.In]
	for o := 0; o < a.Out; o++ {
		row := a.M[o*a.In : (o+1)*a.In]
		s := 0.0
		for i, v := range x {
			s += row[i] * (v - a.Mean[i])
		}
		dst[o] = s
	}
	return dst
}

// LengthNorm scales x in place to Euclidean norm √len(x) (Garcia-Romero &
// Espy-Wilson 2011, with Kaldi's √dim scaling so that a standard-normal
// vector keeps its typical length) and returns it. A zero vector is returned unchanged.
func LengthNorm(x []float64) []float64 {
	n := math.Sqrt(dot(x, x))
	if n == 0 {
		return x
	}
	s := math.Sqrt(float64(len(x))) / n
	for i := range x {
		x[i] *= s
	}
	return x
}
