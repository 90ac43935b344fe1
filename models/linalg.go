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
//
// It works on blocks of four columns (n ≤ choleskyBlockMax): the products of each row with the
// block's four pivot rows over the finished columns are formed together (vec.Dot4F64), so every
// row is read once per block rather than once per column; the block's own columns are then
// finished one by one. An i-vector extraction's R×R posterior precision (R = 100-200) is read a
// quarter as often as by the column-by-column algorithm (choleskyColumns).
func cholesky(a []float64, n int) error {
	if n > choleskyBlockMax {
		return choleskyColumns(a, n)
	}
	var sbuf [4 * choleskyBlockMax]float64
	for j0 := 0; j0 < n; j0 += 4 {
		w := min(4, n-j0)
		// s[4(i−j0)+k] = Σ_{m<j0} L[i][m]·L[j0+k][m] for the rows i ≥ j0.
		s := sbuf[:4*(n-j0)]
		for i := j0; i < n; i++ {
			ri := a[i*n : i*n+j0]
			if w == 4 {
				d := vec.Dot4F64(a[j0*n:], n, ri, j0)
				copy(s[4*(i-j0):], d[:])
				continue
			}
			for k := 0; k < w; k++ {
				s[4*(i-j0)+k] = vec.DotF64(ri, a[(j0+k)*n:(j0+k)*n+j0])
			}
		}
		// The block's diagonal w×w part, column by column.
		for k := 0; k < w; k++ {
			c := j0 + k
			rc := a[c*n+j0 : c*n+c] // L[c][j0:c], final
			d := a[c*n+c] - s[4*k+k]
			for _, v := range rc {
				d -= v * v
			}
			if !(d > 0) {
				return errNotPD
			}
			d = math.Sqrt(d)
			a[c*n+c] = d
			for i := c + 1; i < j0+w; i++ {
				v := a[i*n+c] - s[4*(i-j0)+k]
				for m, x := range a[i*n+j0 : i*n+c] {
					v -= x * rc[m]
				}
				a[i*n+c] = v * (1 / d)
			}
		}
		if w < 4 {
			continue // the last block: no rows below it
		}
		// The rows below: each row's four entries by forward substitution with the block.
		b := a[j0*n : (j0+3)*n+j0+4]
		i00 := 1 / b[j0]
		d10, i11 := b[n+j0], 1/b[n+j0+1]
		d20, d21, i22 := b[2*n+j0], b[2*n+j0+1], 1/b[2*n+j0+2]
		d30, d31, d32, i33 := b[3*n+j0], b[3*n+j0+1], b[3*n+j0+2], 1/b[3*n+j0+3]
		for i := j0 + 4; i < n; i++ {
			r := a[i*n+j0 : i*n+j0+4]
			si := s[4*(i-j0) : 4*(i-j0)+4]
			v0 := (r[0] - si[0]) * i00
			v1 := (r[1] - si[1] - v0*d10) * i11
			v2 := (r[2] - si[2] - v0*d20 - v1*d21) * i22
			v3 := (r[3] - si[3] - v0*d30 - v1*d31 - v2*d32) * i33
			r[0], r[1], r[2], r[3] = v0, v1, v2, v3
		}
	}
	return nil
}

// choleskyBlockMax is the largest n that cholesky factors by blocks (its scratch lives on the
// stack); larger matrices go column by column.
const choleskyBlockMax = 512

// choleskyColumns is cholesky column by column (left-looking, each entry one dot product).
func choleskyColumns(a []float64, n int) error {
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
