package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

const flt32Eps = 0x1p-23 // the front ends' floor (FLT_EPSILON)

func TestLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	worst := 0.0
	check := func(x float64) {
		got, want := Log(x), math.Log(x)
		if d := math.Abs(got - want); d > worst {
			worst = d
		}
	}
	for _, x := range []float64{flt32Eps, 1, math.Sqrt2, math.Sqrt2 * (1 + 1e-16), 2, 0.5, math.E, 32768 * 32768 * 512, 1e300} {
		check(x)
	}
	for range 200000 {
		check(math.Exp(rng.Float64()*80 - 16)) // the front ends' range: FLT_EPSILON to ~e^64
	}
	if worst > 1e-12*64 {
		t.Fatalf("Log differs from math.Log by up to %g", worst)
	}
	t.Logf("worst absolute error %g", worst)
}

// TestLogFloor checks the vector logarithm against Log lane by lane, for every length 0-19 (the
// kernel's multiples of four and the Go loop's remainder), values at and below the floor, around
// √2 (where the mantissa is halved) and at powers of two, in place and out of place.
func TestLogFloor(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float64{0, -1, flt32Eps / 2, flt32Eps, 1, math.Sqrt2, math.Nextafter(math.Sqrt2, 3), math.Nextafter(math.Sqrt2, 0), 2, 0.5, 1024, 1e300}
	for n := range 20 {
		for rep := range 50 {
			src := make([]float64, n)
			for i := range src {
				if rep < 5 {
					src[i] = special[(i+rep)%len(special)]
				} else {
					src[i] = math.Exp(rng.Float64()*80 - 20)
				}
			}
			dst := make([]float64, n)
			LogFloor(dst, src, flt32Eps)
			in := append([]float64(nil), src...)
			LogFloor(in, in, flt32Eps)
			for i, x := range src {
				want := Log(max(x, flt32Eps))
				// Equal to the last bit unless the compiler fused Log's multiply-adds (GOAMD64=v3).
				if ulps(dst[i], want) > 2 || ulps(in[i], want) > 2 {
					t.Fatalf("n %d: LogFloor(%g) = %v (in place %v), Log = %v", n, x, dst[i], in[i], want)
				}
			}
		}
	}
}

// ulps is the distance between a and b in units in the last place (same sign assumed).
func ulps(a, b float64) uint64 {
	x, y := math.Float64bits(a), math.Float64bits(b)
	if a < 0 || b < 0 {
		x, y = math.Float64bits(-a), math.Float64bits(-b)
	}
	if x > y {
		return x - y
	}
	return y - x
}

func BenchmarkLog(b *testing.B) {
	src, dst := make([]float64, 129), make([]float64, 129)
	for i := range src {
		src[i] = math.Exp(float64(i)/4 - 10)
	}
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			LogFloor(dst, src, flt32Eps)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			logFloorGo(dst, src, flt32Eps)
		}
	})
}
