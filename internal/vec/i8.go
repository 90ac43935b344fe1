package vec

import (
	"math"
	"sync"
)

// GemvAddI8 adds diag(scale)·A·x to y, where A is len(y) × cols, row-major, contiguous and stored
// as int8 (len(a) ≥ len(y)·cols), len(scale) ≥ len(y) and len(x) ≥ cols: y[r] += scale[r]·Σ_k
// a[r·cols+k]·x[k], the products and sums in float32.
func GemvAddI8(y []float32, a []int8, scale []float32, x []float32, cols int) {
	if len(scale) < len(y) {
		panic("vec: GemvAddI8: scale shorter than y")
	}
	if !shapeOK("GemvAddI8", len(y), len(a), len(x), cols) {
		return
	}
	if useAVX2 && cols%8 == 0 {
		if len(y) >= 4 {
			rp := runsPool.Get().(*[]int32)
			runs, zero := nonzeroRuns((*rp)[:0], x, cols)
			if zero >= cols/64 { // an eighth of the chunks or more are zero: skip them
				gemvAddI8RunsAVX2(y, a, scale, x, cols, runs)
			} else {
				gemvAddI8AVX2(y, a, scale, x, cols)
			}
			*rp = runs
			runsPool.Put(rp)
			return
		}
		gemvAddI8AVX2(y, a, scale, x, cols)
		return
	}
	gemvAddI8Go(y, a, scale, x, cols)
}

// runsPool holds the run lists of GemvAddI8.
var runsPool = sync.Pool{New: func() any { return new([]int32) }}

// nonzeroRuns appends to runs the maximal runs of x[:cols]'s 8-value chunks that are not all
// zero, as (start, end) column pairs, then a start of -1, and returns the list with the number
// of all-zero chunks. The products of a zero chunk add exactly zero to every row's sum: the
// i-vector statistics and GMM test vectors it multiplies are zero over every UBM component the
// speech has not reached yet (half of them after 3 s, a fifth after 15 s).
func nonzeroRuns(runs []int32, x []float32, cols int) ([]int32, int) {
	zero := 0
	start := -1
	for k := 0; k < cols; k += 8 {
		c := x[k : k+8 : k+8]
		if c[0] == 0 && c[1] == 0 && c[2] == 0 && c[3] == 0 && c[4] == 0 && c[5] == 0 && c[6] == 0 && c[7] == 0 {
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
		runs = append(runs, int32(start), int32(cols))
	}
	return append(runs, -1, -1), zero
}

func gemvAddI8Go(y []float32, a []int8, scale []float32, x []float32, cols int) {
	for r := range y {
		row := a[r*cols : (r+1)*cols]
		var s float32
		for k, q := range row {
			s += float32(q) * x[k]
		}
		y[r] += scale[r] * s
	}
}

// quantizeRows writes a (rows of cols values) as int8 with one scale per row, max|row|/127, each
// value rounded to the nearest step: the representation error of a value is at most half its
// row's step. A row of zeros gets scale 0.
func quantizeRows(a []float32, cols int) ([]int8, []float32) {
	rows := len(a) / cols
	q := make([]int8, len(a))
	scale := make([]float32, rows)
	for r := range rows {
		row := a[r*cols : (r+1)*cols]
		var mx float32
		for _, v := range row {
			mx = max(mx, float32(math.Abs(float64(v))))
		}
		if mx == 0 {
			continue
		}
		s := mx / 127
		scale[r] = s
		inv := 1 / s
		for k, v := range row {
			q[r*cols+k] = int8(max(-127, min(127, math.Round(float64(v*inv)))))
		}
	}
	return q, scale
}
