package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestElementwiseKernelsMatchGo runs MaxFeatureMap, Max4 and ScaleShiftRows with the AVX2
// kernels and again with the portable code (useAVX2 off), on shapes both take, and requires the
// same values: NaN where the other has NaN, and a zero where the other has a zero of either sign.
func TestElementwiseKernelsMatchGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this machine: only the portable code runs")
	}
	r := rand.New(rand.NewPCG(21, 22))
	vals := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
			switch r.IntN(20) {
			case 0:
				x[i] = float32(math.NaN())
			case 1:
				x[i] = 0
			}
		}
		return x
	}
	same := func(a, b []float32) bool {
		for i := range a {
			na, nb := math.IsNaN(float64(a[i])), math.IsNaN(float64(b[i]))
			if na != nb || !na && a[i] != b[i] {
				return false
			}
		}
		return true
	}
	both := func(run func() []float32) (avx, port []float32) {
		avx = run()
		useAVX2 = false
		defer func() { useAVX2 = true }()
		return avx, run()
	}
	y, b := vals(7*2*24), vals(2*24)
	a1, p1 := both(func() []float32 { o := make([]float32, 7*24); MaxFeatureMap(o, y, b, 7, 24); return o })
	x := [4][]float32{vals(37), vals(37), vals(37), vals(37)}
	a2, p2 := both(func() []float32 { o := make([]float32, 37); Max4(o, x[0], x[1], x[2], x[3]); return o })
	z, sc, sh := vals(5*16), vals(16), vals(16)
	a3, p3 := both(func() []float32 { o := append([]float32(nil), z...); ScaleShiftRows(o, sc, sh); return o })
	for name, pair := range map[string][2][]float32{"MaxFeatureMap": {a1, p1}, "Max4": {a2, p2}, "ScaleShiftRows": {a3, p3}} {
		if !same(pair[0], pair[1]) {
			t.Errorf("%s: AVX2 %v, portable %v", name, pair[0], pair[1])
		}
	}
}
