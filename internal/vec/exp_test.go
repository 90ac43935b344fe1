package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExp checks Exp against math.Exp over its whole range, at the ends and at the half-way
// points of the range reduction, and outside it (math.Exp's own values).
func TestExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	worst := 0.0
	check := func(x float64) {
		got, want := Exp(x), math.Exp(x)
		if d := math.Abs(got-want) / want; d > worst || math.IsNaN(got) {
			worst = d
			if math.IsNaN(got) {
				worst = math.Inf(1)
			}
		}
	}
	for _, x := range []float64{0, 1, -1, math.Ln2 / 2, -math.Ln2 / 2, 3 * math.Ln2 / 2, expMin, expMax, -707.9, 708.5, 1e-300, -1e-300} {
		check(x)
	}
	for range 200000 {
		check(rng.Float64()*(expMax-expMin) + expMin)
		check(rng.Float64()*20 - 10)
	}
	if worst > 2e-15 {
		t.Fatalf("Exp differs from math.Exp by up to %g relative", worst)
	}
	t.Logf("worst relative error %g", worst)
	for _, x := range []float64{-750, 710, math.Inf(1), math.Inf(-1)} {
		if got, want := Exp(x), math.Exp(x); got != want {
			t.Errorf("Exp(%g) = %g, want math.Exp's %g", x, got, want)
		}
	}
	if !math.IsNaN(Exp(math.NaN())) {
		t.Error("Exp(NaN) is not NaN")
	}
}

// TestPowRatio checks the vector power law lane by lane against powRatio1 (bit for bit unless
// the compiler fused multiply-adds) and against math.Pow, for every length 0-19 (the kernel's
// multiples of four and the Go loop's remainder), with zero, subnormal, tiny and NaN energies
// among ordinary ones, exponents from PNCC's 1/15 to 1, in place and out of place.
func TestPowRatio(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	special := []float64{0, 5e-324, 0x1p-1022, 0x1p-1000, 1e-300, 1, 2, 30, math.Sqrt2, 1e300, math.NaN()}
	for _, a := range []float64{1.0 / 15, 0.5, 1} {
		for n := range 20 {
			for rep := range 40 {
				d := math.Exp(rng.Float64()*40 - 20)
				src := make([]float64, n)
				for i := range src {
					if rep < 6 {
						src[i] = special[(i+rep)%len(special)] * d
					} else {
						src[i] = math.Exp(rng.Float64()*60-30) * d
					}
				}
				dst := make([]float64, n)
				PowRatio(dst, src, d, a)
				in := append([]float64(nil), src...)
				PowRatio(in, in, d, a)
				for i, v := range src {
					want, pow := powRatio1(v, d, a), math.Pow(v/d, a)
					if math.IsNaN(pow) {
						if !math.IsNaN(dst[i]) || !math.IsNaN(in[i]) {
							t.Fatalf("a %g n %d: PowRatio(NaN) = %v (in place %v)", a, n, dst[i], in[i])
						}
						continue
					}
					if ulps(dst[i], want) > 2 || ulps(in[i], want) > 2 {
						t.Fatalf("a %g n %d: PowRatio(%g/%g) = %v (in place %v), powRatio1 %v", a, n, v, d, dst[i], in[i], want)
					}
					if e := math.Abs(want-pow) / pow; pow != 0 && e > 1e-12 {
						t.Fatalf("a %g: (%g/%g)^a = %v, math.Pow %v (%g relative)", a, v, d, want, pow, e)
					}
					if pow == 0 && want != 0 {
						t.Fatalf("a %g: (%g/%g)^a = %v, want 0", a, v, d, want)
					}
				}
			}
		}
	}
}

func BenchmarkPowRatio(b *testing.B) {
	src, dst := make([]float64, 30), make([]float64, 30)
	for i := range src {
		src[i] = math.Exp(float64(i)/4 - 3)
	}
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			PowRatio(dst, src, 1.7, 1.0/15)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			for i, v := range src {
				dst[i] = powRatio1(v, 1.7, 1.0/15)
			}
		}
	})
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for i, v := range src {
				dst[i] = math.Exp(1.0 / 15 * Log(v/1.7))
			}
		}
	})
}
