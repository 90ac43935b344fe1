package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestF16KnownValues(t *testing.T) {
	for _, tc := range []struct {
		f float32
		h uint16
	}{
		{0, 0x0000}, {float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00}, {-2, 0xc000}, {0.5, 0x3800}, {1.0 / 3, 0x3555},
		{65504, 0x7bff}, {65519, 0x7bff}, {65520, 0x7c00}, {1e6, 0x7c00}, {-1e6, 0xfc00},
		{6.1035156e-05, 0x0400},         // smallest normal
		{5.9604645e-08, 0x0001},         // smallest subnormal, 2⁻²⁴
		{2.9802322e-08, 0x0000},         // exactly half of it: ties to even (0)
		{4.4703484e-08, 0x0001},         // 0.75 of it: rounds up
		{8.940697e-08, 0x0002},          // 1.5 of it: ties to even (2)
		{1.0009766, 0x3c01},             // 1 + 2⁻¹⁰
		{1.0004883, 0x3c00},             // 1 + 2⁻¹¹: tie, to even
		{1.0014648, 0x3c02},             // 1 + 3·2⁻¹¹: tie, to even
		{float32(math.Inf(1)), 0x7c00},  //
		{float32(math.Inf(-1)), 0xfc00}, //
		{6.097555e-05, 0x03ff},          // largest subnormal
	} {
		if got := f32ToF16(tc.f); got != tc.h {
			t.Errorf("ToF16(%g) = %#04x, want %#04x", tc.f, got, tc.h)
		}
	}
	if h := f32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN became %#04x", h)
	}
}

// TestF16RoundTrip: every binary16 value converts to float32 and back unchanged, and ToF16
// picks the nearest value for random float32s (never one farther than a neighbour).
func TestF16RoundTrip(t *testing.T) {
	for h := range 1 << 16 {
		f := FromF16(uint16(h))
		if f != f { // NaN
			continue
		}
		if back := f32ToF16(f); back != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, back)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		f := float32(math.Exp(r.NormFloat64()*6)) * float32(1-2*r.IntN(2))
		h := f32ToF16(f)
		got := FromF16(h)
		if math.IsInf(float64(got), 0) {
			continue
		}
		d := math.Abs(float64(got - f))
		for _, nb := range []uint16{h - 1, h + 1} {
			if v := FromF16(nb); v == v && !math.IsInf(float64(v), 0) && math.Abs(float64(v-f)) < d {
				t.Fatalf("%g -> %g, but %g is nearer", f, got, v)
			}
		}
	}
}

// TestGemvAddF16 checks y += A·x with A in half precision against a double-precision sum over
// the dequantised matrix, for the kernel and the portable path alike.
func TestGemvAddF16(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, cols := range []int{8, 16, 120, 7, 13, 1024} {
		for _, rows := range []int{0, 1, 3, 4, 5, 9, 64} {
			a32 := make([]float32, rows*cols)
			for i := range a32 {
				a32[i] = float32(r.NormFloat64())
			}
			a := make([]uint16, len(a32))
			ToF16(a, a32)
			x := make([]float32, cols)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			y0 := make([]float32, rows)
			for i := range y0 {
				y0[i] = float32(r.NormFloat64())
			}
			for name, f := range map[string]func([]float32, []uint16, []float32, int){"dispatch": GemvAddF16, "portable": gemvAddF16Go} {
				y := append([]float32(nil), y0...)
				f(y, a, x, cols)
				for i := range rows {
					want := float64(y0[i])
					for k := range cols {
						want += float64(FromF16(a[i*cols+k])) * float64(x[k])
					}
					if d := math.Abs(float64(y[i]) - want); d > 1e-5*math.Sqrt(float64(cols))*math.Max(1, math.Abs(want)) {
						t.Fatalf("%s rows %d cols %d: y[%d] = %v, want %v", name, rows, cols, i, y[i], want)
					}
				}
			}
		}
	}
}

// benchMatrix is a rows × cols matrix of small values for the product benchmarks.
func benchMatrix(rows, cols int) []float32 {
	a := make([]float32, rows*cols)
	for i := range a {
		a[i] = float32(i%17) * 0.01
	}
	return a
}

// BenchmarkGemvAddF16Precision is the low-rank i-vector precision's product: 5,050 packed
// entries of a 100 × 100 matrix from 128 coefficients.
func BenchmarkGemvAddF16Precision(b *testing.B) {
	const rows, cols = 5050, 128
	a32 := benchMatrix(rows, cols)
	a := make([]uint16, len(a32))
	ToF16(a, a32)
	x, y := make([]float32, cols), make([]float32, rows)
	for i := range x {
		x[i] = 1
	}
	for b.Loop() {
		GemvAddF16(y, a, x, cols)
	}
}

func BenchmarkGemvAddF16(b *testing.B) {
	const rows, cols = 100, 30720 // the i-vector extractor's Tᵀ
	a32 := benchMatrix(rows, cols)
	a := make([]uint16, len(a32))
	ToF16(a, a32)
	x, y := make([]float32, cols), make([]float32, rows)
	b.Run("f16", func(b *testing.B) {
		for b.Loop() {
			GemvAddF16(y, a, x, cols)
		}
	})
	b.Run("f32", func(b *testing.B) {
		for b.Loop() {
			GemvAdd(y, a32, x, cols)
		}
	})
}

// TestMatrix checks that a Matrix multiplies as the product of its storage: the float32 kernel
// when kept, the half-precision one (on the rounded values) when converted.
func TestMatrix(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const rows, cols = 5, 16
	a := make([]float32, rows*cols)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	x := make([]float32, cols)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	a16 := make([]uint16, len(a))
	ToF16(a16, a)
	for _, half := range []bool{false, true} {
		m := NewMatrix(append([]float32(nil), a...), cols, half)
		if m.Rows() != rows || m.Half() != half {
			t.Fatalf("half %v: %d rows, half %v", half, m.Rows(), m.Half())
		}
		got, want := make([]float32, rows), make([]float32, rows)
		m.MulAdd(got, x)
		if half {
			GemvAddF16(want, a16, x, cols)
		} else {
			GemvAdd(want, a, x, cols)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("half %v, row %d: %v, want %v", half, i, got[i], want[i])
			}
		}
	}
	if (Matrix{}).Rows() != 0 {
		t.Error("the zero Matrix has rows")
	}
}
