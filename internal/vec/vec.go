// Package vec holds the single-precision matrix-vector kernel of voxguard's per-frame hot paths
// (Gaussian selection and the countermeasure's GMMs): y += A·x for a small row-major A whose
// rows are the affine forms of diagonal Gaussians. On amd64 processors with AVX2 and FMA it
// runs a hand-written kernel that loads each 8-float slice of x once for four rows; elsewhere,
// and for row lengths that are not a multiple of 8, it uses gonum's BLAS (SSE on amd64). The
// two agree to single-precision rounding (the summation order differs). GemvAddF16 and GemvAddI8
// are the same product for a matrix stored in half precision or int8 (f16.go, i8.go), for the
// large matrices whose reading costs more than their arithmetic; GemvAddI8 and DotRuns skip the
// all-zero blocks of their vector, bit for bit (NonzeroRuns). GemvAdd3 is GemvAdd for three
// vectors at once, bit for bit, reading the matrix once; Max and IndexAbove are the scans of a
// log-sum-exp and a top-C selection, eight values at a time.
package vec

import (
	"math"

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

// GemvAdd3 adds A·x0 to y0, A·x1 to y1 and A·x2 to y2 (A len(y0) × cols, row-major; the three
// y of equal length), each bit for bit as GemvAdd computes it alone, but with the AVX2 kernel
// reading A once for the three vectors: a Gaussian-selection or countermeasure GMM scored for
// several frames at once costs a third of the matrix loads.
func GemvAdd3(y0, y1, y2, a, x0, x1, x2 []float32, cols int) {
	rows := len(y0)
	if len(y1) != rows || len(y2) != rows {
		panic("vec: GemvAdd3: outputs of different lengths")
	}
	if !shapeOK("GemvAdd3", rows, len(a), min(len(x0), len(x1), len(x2)), cols) {
		return
	}
	if !useAVX2 || cols%8 != 0 {
		GemvAdd(y0, a, x0, cols)
		GemvAdd(y1, a, x1, cols)
		GemvAdd(y2, a, x2, cols)
		return
	}
	r4 := rows &^ 3
	if r4 > 0 {
		gemvAdd3AVX2(&y0[0], &y1[0], &y2[0], &a[0], &x0[0], &x1[0], &x2[0], r4, cols)
	}
	if r4 < rows {
		tail := a[r4*cols:]
		gemvAddAVX2(y0[r4:], tail, x0, cols)
		gemvAddAVX2(y1[r4:], tail, x1, cols)
		gemvAddAVX2(y2[r4:], tail, x2, cols)
	}
}

// Max returns the largest value of x as Go's max builtin folds it — NaN if any value is NaN,
// −Inf for an empty x — except that the sign of a zero maximum is unspecified. With AVX2 it
// compares eight values at a time.
func Max(x []float32) float32 {
	m := float32(math.Inf(-1))
	n := 0
	if useAVX2 && len(x) >= 8 {
		n = len(x) &^ 7
		var nan bool
		if m, nan = maxAVX2(x[:n]); nan {
			return float32(math.NaN())
		}
	}
	for _, v := range x[n:] {
		m = max(m, v)
	}
	return m
}

// IndexAbove returns the first index i with x[i] > t (false for a NaN on either side), or -1:
// a top-C selection's scan for the few log-likelihoods that beat its current C-th best, eight
// at a time with AVX2.
func IndexAbove(x []float32, t float32) int {
	n := 0
	if useAVX2 {
		n = len(x) &^ 7
		if n > 0 {
			if i := indexAboveAVX2(x[:n], t); i >= 0 {
				return i
			}
		}
	}
	for i, v := range x[n:] {
		if v > t {
			return n + i
		}
	}
	return -1
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

// AxpyF32F64 adds alpha·x to y in double precision (y[i] += alpha·float64(x[i]), a multiply then
// an add, each rounded, exactly as the plain Go loop computes it), for the Baum-Welch first-order
// statistics: a frame's float32 features weighted by a component's posterior. len(y) ≥ len(x).
func AxpyF32F64(alpha float64, x []float32, y []float64) {
	if len(y) < len(x) {
		panic("vec: AxpyF32F64: short y")
	}
	if useAVX2 {
		axpyF32F64AVX(alpha, x, y)
		return
	}
	axpyF32F64Go(alpha, x, y)
}

func axpyF32F64Go(alpha float64, x []float32, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * float64(v)
	}
}

// SumExp returns Σ exp(v − mx) over the values v of ll with v − mx > cut (a log-sum-exp's sum,
// mx being the largest value and cut a negative number of nats below which terms are dropped).
// With AVX2/FMA the exponentials are single-precision (Cephes' expf, relative error ~1e-7) and
// summed in single precision per lane; otherwise, and for the last len(ll) mod 8 values, they
// are math.Exp in double precision. Either way the relative error of the sum is under 1e-6.
func SumExp(ll []float32, mx, cut float32) float64 {
	n := 0
	var s float64
	if useAVX2 {
		n = len(ll) &^ 7
		s = sumExpAVX2(ll[:n], mx, cut)
	}
	return s + sumExpGo(ll[n:], mx, cut)
}

func sumExpGo(ll []float32, mx, cut float32) float64 {
	var sum float64
	for _, v := range ll {
		if d := v - mx; d > cut {
			sum += math.Exp(float64(d))
		}
	}
	return sum
}

// Dot returns Σ a[i]·b[i] in single precision, len(b) ≥ len(a). With AVX2 the bulk is summed in
// 32 interleaved partial sums (four 8-lane FMA chains), so the result differs from the
// sequential loop by single-precision rounding; it is the same on every call for the same
// inputs.
func Dot(a, b []float32) float32 { return dot(a, b, 32, dotAVX2) }

// DotF64 returns Σ a[i]·b[i] in double precision, len(b) ≥ len(a); with AVX2 the bulk is summed
// in 16 interleaved partial sums (four 4-lane FMA chains), the rest in order.
func DotF64(a, b []float64) float64 { return dot(a, b, 16, dotF64AVX2) }

// DotRuns is Dot(a, b) for a b that is zero outside runs, as NonzeroRuns(…, b, DotBlock) lists
// them: the same bits, reading only the blocks of a in the runs. A probe's GMM test vector is
// zero over every UBM component its speech has not reached, and is scored against every
// watchlist entry's model vector.
func DotRuns(a, b []float32, runs []int32) float32 {
	if len(b) < len(a) {
		panic("vec: DotRuns: short b")
	}
	if !useAVX2 || runs == nil {
		return Dot(a, b)
	}
	n := len(a) / DotBlock * DotBlock
	s := dotRunsAVX2(a[:n], b[:n], runs)
	for i, v := range a[n:] {
		s += v * b[n+i]
	}
	return s
}

// DotBlock is the block of Dot's kernel, the chunk of DotRuns' runs.
const DotBlock = 32

// NonzeroRuns appends to runs the maximal runs of x's chunk-value blocks (over the longest
// prefix of x that is a multiple of chunk, itself a positive multiple of 8) that are not all
// zero, as (start, end) index pairs, then a start of -1, and returns the list with the number of
// all-zero blocks. -0 counts as zero, NaN does not.
func NonzeroRuns(runs []int32, x []float32, chunk int) ([]int32, int) {
	n := len(x) / chunk * chunk
	zero := 0
	start := -1
	for k := 0; k < n; k += chunk {
		if allZero(x[k : k+chunk]) {
			zero++
			if start >= 0 {
				runs = append(runs, int32(start), int32(k))
				start = -1
			}
			continue
		}
		if start < 0 {
			start = k
		}
	}
	if start >= 0 {
		runs = append(runs, int32(start), int32(n))
	}
	return append(runs, -1, -1), zero
}

// allZero reports whether every value of c (a multiple of 8 long) is ±0.
func allZero(c []float32) bool {
	for k := 0; k < len(c); k += 8 {
		b := c[k : k+8 : k+8]
		if b[0] != 0 || b[1] != 0 || b[2] != 0 || b[3] != 0 || b[4] != 0 || b[5] != 0 || b[6] != 0 || b[7] != 0 {
			return false
		}
	}
	return true
}

// dot runs kernel (with AVX2) over the longest prefix of a whose length is a multiple of block,
// then adds the rest in order.
func dot[T float32 | float64](a, b []T, block int, kernel func(a, b []T) T) T {
	if len(b) < len(a) {
		panic("vec: Dot: short b")
	}
	var s T
	n := 0
	if useAVX2 {
		n = len(a) / block * block
		if n > 0 {
			s = kernel(a[:n], b[:n])
		}
	}
	for i, v := range a[n:] {
		s += v * b[n+i]
	}
	return s
}

// Dot4F64 returns the dot products of x[:n] with four rows of a row-major matrix,
// a[k·stride : k·stride+n] for k = 0..3 (float64; len(a) ≥ 3·stride+n, stride ≥ n): four rows of
// a matrix–vector product, each chunk of x read once for the four. The sums are formed in another
// order than DotF64's, so they may differ from it in the last bits.
func Dot4F64(a []float64, stride int, x []float64, n int) (s [4]float64) {
	if n < 0 || stride < n || len(x) < n || (n > 0 && len(a) < 3*stride+n) {
		panic("vec: Dot4F64: bad shape")
	}
	m := 0
	if useAVX2 && n >= 4 {
		m = n / 4 * 4
		dot4F64AVX2(&a[0], stride, &x[0], m, &s)
	}
	for k := range 4 {
		row := a[k*stride : k*stride+n]
		for i := m; i < n; i++ {
			s[k] += row[i] * x[i]
		}
	}
	return s
}

// MaxFeatureMap is a max-feature-map activation over rows: for each of rows rows of y (2·o
// values each: two halves of o channels) and out (o values each), out[c] = max(y[c] + b[c],
// y[o+c] + b[o+c]) with b of length 2·o — NaN where either side is NaN, as Go's max, except
// that the sign of a zero maximum is unspecified. With AVX2 and o a multiple of 8 it works eight
// channels at a time. y is not modified.
func MaxFeatureMap(out, y, b []float32, rows, o int) {
	if rows <= 0 || o <= 0 {
		return
	}
	_ = out[rows*o-1]
	_ = y[rows*2*o-1]
	_ = b[2*o-1]
	if useAVX2 && o%8 == 0 {
		maxFeatureMapAVX2(&out[0], &y[0], &b[0], rows, o)
		return
	}
	b0, b1 := b[:o], b[o:2*o]
	for i := range rows {
		y0, y1, oo := y[2*i*o:][:o], y[(2*i+1)*o:][:o], out[i*o:][:o]
		for c := range oo {
			oo[c] = max(y0[c]+b0[c], y1[c]+b1[c])
		}
	}
}

// Max4 sets dst[i] = max(max(a[i], b[i]), max(c[i], d[i])) for i < len(dst) (each input at least
// as long) — NaN if any is NaN, as Go's max, except that the sign of a zero maximum is
// unspecified; eight at a time with AVX2.
func Max4(dst, a, b, c, d []float32) {
	n := len(dst)
	if n == 0 {
		return
	}
	a, b, c, d = a[:n], b[:n], c[:n], d[:n]
	k := 0
	if useAVX2 && n >= 8 {
		k = n &^ 7
		max4AVX2(&dst[0], &a[0], &b[0], &c[0], &d[0], k)
	}
	for i := k; i < n; i++ {
		dst[i] = max(max(a[i], b[i]), max(c[i], d[i]))
	}
}

// ScaleShiftRows sets x[r·c + j] = x[r·c + j]·scale[j] + shift[j] for every row r of x (c =
// len(scale) values each; len(x) a multiple of c, shift at least c long): a per-channel affine
// map over channel-last activations. The product and the sum are each rounded (no fused
// multiply-add), as Go computes the expression, so the result is the same with or without AVX2.
func ScaleShiftRows(x, scale, shift []float32) {
	c := len(scale)
	if c == 0 || len(x) == 0 {
		return
	}
	if len(x)%c != 0 {
		panic("vec: ScaleShiftRows: length not a multiple of the row")
	}
	shift = shift[:c]
	if useAVX2 && c%8 == 0 {
		scaleShiftRowsAVX2(&x[0], &scale[0], &shift[0], len(x)/c, c)
		return
	}
	for j := 0; j < len(x); j += c {
		row := x[j : j+c]
		for k := range row {
			row[k] = row[k]*scale[k] + shift[k]
		}
	}
}
