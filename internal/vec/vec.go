// Package vec holds the single-precision matrix-vector kernel of voxguard's per-frame hot paths
// (Gaussian selection and the countermeasure's GMMs): y += A·x for a small row-major A whose
// rows are the affine forms of diagonal Gaussians. On amd64 processors with AVX2 and FMA it
// runs a hand-written kernel that loads each 8-float slice of x once for four rows; elsewhere,
// and for row lengths that are not a multiple of 8, it uses gonum's BLAS (SSE on amd64). The
// two agree to single-precision rounding (the summation order differs). GemvAddF16 is the same
// product for a matrix stored in half precision (f16.go), for the large matrices whose reading
// costs more than their arithmetic.
package vec

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// GemvAdd adds A·x to y, where A is len(y) × cols, row-major and contiguous (len(a) ≥
// len(y)·cols), and len(x) ≥ cols.
func GemvAdd(y, a, x []float32, cols int) {
	if !shapeOK("GemvAdd", len(y), len(a), len(x), cols) {
		return
	}
	if useAVX2 && cols%8 == 0 {
		gemvAddAVX2(y, a, x, cols)
		return
	}
	gemvAddGonum(y, a, x, cols)
}

// shapeOK panics if a len(y) × cols matrix of len(a) elements or an x of len(x) is too short,
// and reports whether there is anything to compute.
func shapeOK(name string, rows, la, lx, cols int) bool {
	if rows == 0 || cols == 0 {
		return false
	}
	if la < rows*cols || lx < cols {
		panic("vec: " + name + ": short matrix or vector")
	}
	return true
}

func gemvAddGonum(y, a, x []float32, cols int) {
	blas32.Gemv(blas.NoTrans, 1, blas32.General{Rows: len(y), Cols: cols, Stride: cols, Data: a[:len(y)*cols]},
		blas32.Vector{N: cols, Inc: 1, Data: x[:cols]}, 1, blas32.Vector{N: len(y), Inc: 1, Data: y})
}

// Accelerated reports whether GemvAdd uses the AVX2/FMA kernel on this machine (for rows whose
// length is a multiple of 8).
func Accelerated() bool { return useAVX2 }
