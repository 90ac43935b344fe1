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
			runs, zero := NonzeroRuns((*rp)[:0], x[:cols], 8)
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

// runsPool holds the run lists of GemvAddI8. With an eighth or more of x's 8-value chunks all
// zero, GemvAddI8 multiplies only the runs between them (gemvAddI8RunsAVX2): the products of a
// zero chunk add exactly zero to every row's sum, and the i-vector statistics and GMM test
// vectors it multiplies are zero over every UBM component the speech has not reached (half of
// them after 3 s, a fifth after 15 s).
var runsPool = sync.Pool{New: func() any { return new([]int32) }}

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
