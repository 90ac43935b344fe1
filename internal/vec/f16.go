package vec

import "math"

// Half-precision storage: a large matrix that is read once per use (the i-vector extractor's
// Tᵀ, the GMM scorer's cohort) costs memory bandwidth, not arithmetic, when hundreds of calls
// share a machine; IEEE 754 binary16 halves the bytes read. Values keep 11 significant bits
// (relative rounding error at most 2⁻¹¹ ≈ 4.9e-4 for magnitudes 6.1e-5-65504; smaller ones
// are subnormal, with an absolute error of at most 3e-8).

// F16Accelerated reports whether GemvAddF16 runs the AVX2/FMA/F16C kernel on this machine. When
// it does not, GemvAddF16 still works but converts every element in Go: callers should keep
// float32 matrices and use GemvAdd instead.
func F16Accelerated() bool { return useF16 }

// ToF16 rounds each src value to the nearest binary16 (ties to even), writing dst (len ≥
// len(src)); values beyond ±65504 become ±Inf, NaN stays NaN.
func ToF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = f32ToF16(v)
	}
}

// FromF16 returns the float32 value of binary16 h (exact).
func FromF16(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: man · 2⁻²⁴
		f := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}

func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff { // Inf, NaN (keep NaN a NaN)
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // binary16 exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal or zero: the value is (1.man) · 2^(exp-127); in units of 2⁻²⁴ it is
		// (0x800000 | man) >> (126 - exp), rounded to nearest even.
		if e < -10 {
			return sign
		}
		m := man | 0x800000
		shift := uint32(14 - e) // 126-exp = 14-e since e = exp-112
		half := uint32(1) << (shift - 1)
		q := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && q&1 == 1) {
			q++
		}
		return sign | uint16(q) // q may carry into the smallest normal: still correct
	}
	q := uint32(e)<<10 | man>>13
	rem := man & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && q&1 == 1) {
		q++ // may carry into the exponent, up to Inf: correct
	}
	return sign | uint16(q)
}

// GemvAddF16 adds A·x to y, where A is len(y) × cols, row-major, contiguous and stored as
// binary16 (len(a) ≥ len(y)·cols), and len(x) ≥ cols. The products and sums are in float32.
func GemvAddF16(y []float32, a []uint16, x []float32, cols int) {
	if !shapeOK("GemvAddF16", len(y), len(a), len(x), cols) {
		return
	}
	if useF16 && cols%8 == 0 {
		gemvAddF16AVX2(y, a, x, cols)
		return
	}
	gemvAddF16Go(y, a, x, cols)
}

func gemvAddF16Go(y []float32, a []uint16, x []float32, cols int) {
	for r := range y {
		row := a[r*cols : (r+1)*cols]
		var s float32
		for k, h := range row {
			s += FromF16(h) * x[k]
		}
		y[r] += s
	}
}

// Matrix is a read-only row-major matrix kept in float32, in half precision or as int8 with a
// scale per row, whichever its constructor chose, so that callers multiply without caring which.
type Matrix struct {
	cols int
	f32  []float32
	f16  []uint16
	i8   []int8
	sc   []float32 // per-row scales of i8
}

// NewMatrixInt8 returns a (rows of cols values) quantized to int8 with one scale per row,
// max|row|/127: a quarter of float32's bytes, for large matrices that are read once per product
// and whose products tolerate a relative error of a few tenths of a percent per element.
func NewMatrixInt8(a []float32, cols int) Matrix {
	if cols <= 0 || len(a)%cols != 0 {
		panic("vec: NewMatrixInt8: length not a multiple of the row length")
	}
	q, s := quantizeRows(a, cols)
	return Matrix{cols: cols, i8: q, sc: s}
}

// NewMatrix returns a as a matrix of rows of cols values (len(a) a multiple of cols), converted to
// half precision when half is set (a is then no longer referenced), else kept as it is.
func NewMatrix(a []float32, cols int, half bool) Matrix {
	if cols <= 0 || len(a)%cols != 0 {
		panic("vec: NewMatrix: length not a multiple of the row length")
	}
	if !half {
		return Matrix{cols: cols, f32: a}
	}
	m := Matrix{cols: cols, f16: make([]uint16, len(a))}
	ToF16(m.f16, a)
	return m
}

// Rows is the number of rows (0 for the zero Matrix).
func (m Matrix) Rows() int {
	if m.cols == 0 {
		return 0
	}
	return (len(m.f32) + len(m.f16) + len(m.i8)) / m.cols
}

// Half reports whether the matrix is stored in half precision.
func (m Matrix) Half() bool { return m.f16 != nil }

// MulAdd adds M·x to y (len(y) rows, the first len(y) of M).
func (m Matrix) MulAdd(y, x []float32) {
	if m.i8 != nil {
		GemvAddI8(y, m.i8, m.sc, x, m.cols)
		return
	}
	if m.f16 != nil {
		GemvAddF16(y, m.f16, x, m.cols)
		return
	}
	GemvAdd(y, m.f32, x, m.cols)
}
