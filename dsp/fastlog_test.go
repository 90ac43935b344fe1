package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFastLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	worst := 0.0
	check := func(x float64) {
		got, want := fastLog(x), math.Log(x)
		if d := math.Abs(got - want); d > worst {
			worst = d
		}
	}
	for _, x := range []float64{logFloor, 1, math.Sqrt2, math.Sqrt2 * (1 + 1e-16), 2, 0.5, math.E, 32768 * 32768 * 512, 1e300} {
		check(x)
	}
	for range 200000 {
		check(math.Exp(rng.Float64()*80 - 16)) // the MFCC's range: FLT_EPSILON to ~e^64
	}
	if worst > 1e-12*64 {
		t.Fatalf("fastLog differs from math.Log by up to %g", worst)
	}
	t.Logf("worst absolute error %g", worst)
}

func BenchmarkFastLog(b *testing.B) {
	x := 1.5
	var s float64
	for b.Loop() {
		s += fastLog(x)
		x += 1e-3
	}
	_ = s
}
