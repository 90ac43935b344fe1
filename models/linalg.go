package models

import (
	"errors"
	"math"

	"github.com/voxguard/voxguard/internal/vec"
)

// errNotPD reports a matrix that is not (numerically) positive definite.
var errNotPD = errors.New("models: matrix not positive definite")

// packedLen is the number of elements of the packed upper triangle of an n×n matrix.
func packedLen(n int) int { return n * (n + 1) / 2 }

// unpackSym writes the symmetric n×n matrix whose packed upper triangle
// (row-major: (0,0),(0,1)…(0,n−1),(1,1)…) is p into full row-major a.
func unpackSym(p []float64, n int, a []float64) {
	k := 0
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			a[i*n+j] = p[k]
			a[j*n+i] = p[k]
			k++
		}
	}
}

// cholesky overwrites the lower triangle of the row-major n×n symmetric
// positive-definite a with L such that a = L·Lᵀ (the strict upper triangle is
// left untouched and must be ignored). It does not allocate.
func cholesky(a []float64, n int) error {
	for j := 0; j < n; j++ {
		rj := a[j*n : j*n+j]
		d := a[j*n+j] - vec.DotF64(rj, rj)
		if !(d > 0) {
			return errNotPD
		}
		d = math.Sqrt(d)
		a[j*n+j] = d
		inv := 1 / d
		for i := j + 1; i < n; i++ {
			ri := a[i*n : i*n+j]
			a[i*n+j] = (a[i*n+j] - vec.DotF64(ri, rj)) * inv
		}
	}
	return nil
}

// cholSolve solves (L·Lᵀ)·x = b in place in b, L as produced by cholesky.
func cholSolve(l []float64, n int, b []float64) {
	for i := 0; i < n; i++ { // L y = b
		b[i] = (b[i] - vec.DotF64(l[i*n:i*n+i], b[:i])) / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- { // Lᵀ x = y
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

// cholInverse writes (L·Lᵀ)⁻¹ into the full row-major n×n inv, using col
// (length n) as scratch.
func cholInverse(l []float64, n int, inv, col []float64) {
	for j := 0; j < n; j++ {
		clear(col)
		col[j] = 1
		cholSolve(l, n, col)
		for i := 0; i < n; i++ {
			inv[i*n+j] = col[i]
		}
	}
}
