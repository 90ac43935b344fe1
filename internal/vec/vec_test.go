package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemvAdd checks y += A·x against a double-precision sum for row counts that exercise the
// four-row blocks and the single-row tail, row lengths that take the AVX2 kernel (multiples
// of 8) and the fallback, and slices that start off any 32-byte boundary.
func TestGemvAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, cols := range []int{8, 16, 120, 7, 13, 1024} {
		for _, rows := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 256} {
			for _, off := range []int{0, 1, 3} {
				a := make([]float32, rows*cols+off)
				x := make([]float32, cols+off)
				y := make([]float32, rows+off)
				for i := range a {
					a[i] = float32(r.NormFloat64())
				}
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				for i := range y {
					y[i] = float32(r.NormFloat64())
				}
				want := make([]float64, rows)
				for i := range rows {
					s := float64(y[off+i])
					for k := range cols {
						s += float64(a[off+i*cols+k]) * float64(x[off+k])
					}
					want[i] = s
				}
				GemvAdd(y[off:], a[off:], x[off:], cols)
				for i := range rows {
					if d := math.Abs(float64(y[off+i]) - want[i]); d > 1e-5*math.Sqrt(float64(cols))*math.Max(1, math.Abs(want[i])) {
						t.Fatalf("rows %d cols %d offset %d: y[%d] = %v, want %v", rows, cols, off, i, y[off+i], want[i])
					}
				}
			}
		}
	}
}

func TestGemvAddShort(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("short matrix accepted")
		}
	}()
	GemvAdd(make([]float32, 2), make([]float32, 15), make([]float32, 8), 8)
}

func TestGemvAddNoAlloc(t *testing.T) {
	y, a, x := make([]float32, 64), make([]float32, 64*120), make([]float32, 120)
	if n := testing.AllocsPerRun(10, func() { GemvAdd(y, a, x, 120) }); n != 0 {
		t.Errorf("GemvAdd allocates %v times", n)
	}
}

// BenchmarkGemvAdd compares the kernel with gonum's sgemv on the shapes of the hot paths:
// the UBM's 64 group summaries and 8-component groups, the countermeasure's 256-component GMMs
// (all over 120 affine coefficients: 60 features and their squares).
func BenchmarkGemvAdd(b *testing.B) {
	for _, rows := range []int{8, 64, 256} {
		cols := 120
		y, a, x := make([]float32, rows), make([]float32, rows*cols), make([]float32, cols)
		for i := range a {
			a[i] = float32(i%17) * 0.01
		}
		b.Run(fmt.Sprintf("rows=%d/kernel", rows), func(b *testing.B) {
			for b.Loop() {
				GemvAdd(y, a, x, cols)
			}
		})
		b.Run(fmt.Sprintf("rows=%d/gonum", rows), func(b *testing.B) {
			for b.Loop() {
				gemvAddGonum(y, a, x, cols)
			}
		})
	}
}
