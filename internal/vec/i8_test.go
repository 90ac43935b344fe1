package vec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestGemvAddI8 checks the kernel and the portable code against the float64 product of the int8
// matrix with its row scales, across row counts that exercise the four-row and one-row loops.
func TestGemvAddI8(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, cols := range []int{8, 16, 120, 7, 13, 1024} {
		for _, rows := range []int{0, 1, 3, 4, 5, 9, 64} {
			a := make([]int8, rows*cols)
			for i := range a {
				a[i] = int8(r.IntN(255) - 127)
			}
			scale := make([]float32, rows)
			for i := range scale {
				scale[i] = float32(r.Float64() * 0.1)
			}
			x := make([]float32, cols)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			y0 := make([]float32, rows)
			for i := range y0 {
				y0[i] = float32(r.NormFloat64())
			}
			for name, f := range map[string]func([]float32, []int8, []float32, []float32, int){"dispatch": GemvAddI8, "portable": gemvAddI8Go} {
				y := append([]float32(nil), y0...)
				f(y, a, scale, x, cols)
				for i := range rows {
					s := 0.0
					for k := range cols {
						s += float64(a[i*cols+k]) * float64(x[k])
					}
					want := float64(y0[i]) + float64(scale[i])*s
					if d := math.Abs(float64(y[i]) - want); d > 1e-5*math.Sqrt(float64(cols))*math.Max(1, 127*float64(scale[i])*math.Sqrt(float64(cols))) {
						t.Fatalf("%s rows %d cols %d: y[%d] = %v, want %v", name, rows, cols, i, y[i], want)
					}
				}
			}
		}
	}
}

// TestMatrixInt8 checks the quantization by hand on a small row and its error bound (half a step
// per value) on random rows, and that the Matrix multiplies as its int8 storage.
func TestMatrixInt8(t *testing.T) {
	m := NewMatrixInt8([]float32{0.5, -1.27, 0.01, 0, 1.27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 8)
	if m.Rows() != 2 {
		t.Fatalf("%d rows, want 2", m.Rows())
	}
	if want := []int8{50, -127, 1, 0, 127, 0, 0, 0}; string(int8Bytes(m.i8[:8])) != string(int8Bytes(want)) || math.Abs(float64(m.sc[0])-0.01) > 1e-9 {
		t.Fatalf("row 0 quantized to %v, scale %v; want %v, 0.01", m.i8[:8], m.sc[0], want)
	}
	if m.sc[1] != 0 {
		t.Fatalf("zero row scale %v, want 0", m.sc[1])
	}
	y := []float32{1, 2}
	m.MulAdd(y, []float32{1, 1, 1, 1, 1, 1, 1, 1})
	if math.Abs(float64(y[0])-(1+0.5-1.27+0.01+1.27)) > 1e-5 || y[1] != 2 {
		t.Fatalf("MulAdd gave %v", y)
	}
	r := rand.New(rand.NewPCG(15, 16))
	const rows, cols = 7, 40
	a := make([]float32, rows*cols)
	for i := range a {
		a[i] = float32(r.NormFloat64() * float64(1+i/cols))
	}
	q := NewMatrixInt8(append([]float32(nil), a...), cols)
	for i, v := range a {
		s := q.sc[i/cols]
		if d := math.Abs(float64(v) - float64(s)*float64(q.i8[i])); d > 0.5*float64(s)*(1+1e-6) {
			t.Fatalf("value %d: %v represented as %v·%v (error %v, half step %v)", i, v, q.i8[i], s, d, s/2)
		}
	}
}

func int8Bytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

// BenchmarkGemvAddI8 multiplies the extractor's Tᵀ (100 × 30,720, int8) by statistics over
// every UBM component ("dense": no zero chunk to skip) and over half of them, as after ~3 s of
// speech ("half-zero": every other 60-value component block of x zero).
func BenchmarkGemvAddI8(b *testing.B) {
	const rows, cols = 100, 30720
	m := NewMatrixInt8(benchMatrix(rows, cols), cols)
	y := make([]float32, rows)
	dense, half := make([]float32, cols), make([]float32, cols)
	for i := range dense {
		dense[i] = 1
		if i/60%2 == 0 {
			half[i] = 1
		}
	}
	for _, tc := range []struct {
		name string
		x    []float32
	}{{"dense", dense}, {"half-zero", half}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				m.MulAdd(y, tc.x)
			}
		})
	}
}

// TestNonzeroRuns works the run list out by hand for a vector of four 8-value chunks.
func TestNonzeroRuns(t *testing.T) {
	x := make([]float32, 32)
	x[9] = 1   // chunk 1
	x[31] = -2 // chunk 3
	runs, zero := NonzeroRuns(nil, x, 8)
	if want := []int32{8, 16, 24, 32, -1, -1}; !slices.Equal(runs, want) || zero != 2 {
		t.Errorf("runs %v, %d zero chunks; want %v, 2", runs, zero, want)
	}
	x[0], x[17] = float32(math.Copysign(0, -1)), float32(math.NaN()) // -0 is zero, NaN is not
	runs, zero = NonzeroRuns(runs[:0], x, 8)
	if want := []int32{8, 32, -1, -1}; !slices.Equal(runs, want) || zero != 1 {
		t.Errorf("runs %v, %d zero chunks; want %v, 1", runs, zero, want)
	}
}

// TestGemvAddI8SkipsZeroChunks checks that skipping x's all-zero chunks changes no bit of the
// product, for zero patterns from none to all, runs at either end, and row counts that take the
// four-row and one-row loops.
func TestGemvAddI8SkipsZeroChunks(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2: GemvAddI8 has one path")
	}
	r := rand.New(rand.NewPCG(21, 22))
	const cols = 30720 / 8
	for _, rows := range []int{4, 5, 7, 8, 13} {
		for _, pZero := range []float64{0, 0.1, 0.5, 0.9, 1} {
			for _, ends := range []bool{false, true} {
				q, sc := quantizeRows(normals(r, rows*cols), cols)
				x := make([]float32, cols)
				for k := 0; k < cols; k += 8 {
					zero := r.Float64() < pZero || (ends && (k == 0 || k == cols-8))
					for i := k; i < k+8; i++ {
						if !zero && r.Float64() < 0.9 {
							x[i] = float32(r.NormFloat64())
						}
					}
				}
				y0 := normals(r, rows)
				want, got := slices.Clone(y0), slices.Clone(y0)
				gemvAddI8AVX2(want, q, sc, x, cols)
				GemvAddI8(got, q, sc, x, cols)
				for i := range rows {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("rows %d, zero chunks %.0f%%, ends %v: y[%d] = %v skipping, %v in full", rows, 100*pZero, ends, i, got[i], want[i])
					}
				}
			}
		}
	}
}
