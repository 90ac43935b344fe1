package recipe

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/voxguard/voxguard/models"
)

// whitenAffine leaves every output with unit variance over the vectors it was given, and each
// output's direction (its row of M, up to a positive scale) as it was.
func TestWhitenAffine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name    string
		in, out int
		scales  []float64 // per input dimension, the spread of the vectors
	}{
		{"square", 3, 3, []float64{1, 5, 0.2}},
		{"reducing", 4, 2, []float64{2, 1, 3, 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &models.Affine{In: tc.in, Out: tc.out, Mean: make([]float64, tc.in), M: make([]float64, tc.in*tc.out)}
			for i := range a.M {
				a.M[i] = rng.NormFloat64()
			}
			a.Mean[0] = 0.7
			x := make([][]float64, 4000)
			for i := range x {
				x[i] = make([]float64, tc.in)
				for d := range x[i] {
					x[i][d] = 0.7*float64(d) + tc.scales[d]*rng.NormFloat64()
				}
			}
			before := append([]float64(nil), a.M...)
			whitenAffine(a, x)
			outs := make([][]float64, tc.out) // each output over the vectors
			for _, v := range x {
				for o, z := range a.Apply(nil, v) {
					outs[o] = append(outs[o], z)
				}
			}
			n := float64(len(x))
			for o := range tc.out {
				// gonum's variance is the unbiased one; whitenAffine's the population's.
				if _, v := stat.MeanVariance(outs[o], nil); math.Abs(v*(n-1)/n-1) > 1e-9 {
					t.Errorf("output %d: variance %v after whitening, want 1", o, v*(n-1)/n)
				}
				k := a.M[o*tc.in] / before[o*tc.in]
				for i := range tc.in {
					if r := a.M[o*tc.in+i] / before[o*tc.in+i]; !(k > 0) || math.Abs(r-k) > 1e-12*k {
						t.Errorf("output %d, input %d: scaled by %v, the row's first by %v", o, i, r, k)
					}
				}
			}
		})
	}
}

// With CohortAll the main back end's cohort is drawn from every vector, degraded copies
// included; without it, from the clean vectors it trains on.
func TestCohortAll(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const R, nSpk = 6, 8
	var all, clean [][]float64
	var allLab, cleanLab []int
	degraded := map[int]bool{} // indices into all
	for s := range nSpk {
		spk := make([]float64, R)
		for d := range spk {
			spk[d] = 3 * rng.NormFloat64()
		}
		for range 6 {
			x := make([]float64, R)
			for d := range x {
				x[d] = spk[d] + 0.3*rng.NormFloat64()
			}
			y := make([]float64, R)
			for d := range y {
				y[d] = x[d] + 2 + 0.3*rng.NormFloat64() // a channel offset
			}
			clean, cleanLab = append(clean, x), append(cleanLab, s)
			all, allLab = append(all, x), append(allLab, s)
			degraded[len(all)] = true
			all, allLab = append(all, y), append(allLab, s)
		}
	}
	for _, cohortAll := range []bool{false, true} {
		c := &TrainConfig{LDADim: 4, PLDAIters: 5, CohortSize: len(all), CohortAll: cohortAll}
		b, err := c.backends(&models.Bundle{}, all, allLab, clean, cleanLab, all, allLab, nSpk, true, nil, excerptSets{})
		if err != nil {
			t.Fatal(err)
		}
		// Which training vectors the cohort members are.
		var fromDegraded, fromClean int
		for _, m := range b.Cohort {
			for i, v := range all {
				u := b.PLDA.Transform(nil, models.LengthNorm(b.LDA.Apply(nil, v)))
				var d float64
				for k := range u {
					d += (u[k] - m[k]) * (u[k] - m[k])
				}
				if d < 1e-18 {
					if degraded[i] {
						fromDegraded++
					} else {
						fromClean++
					}
					break
				}
			}
		}
		if fromClean+fromDegraded != len(b.Cohort) {
			t.Fatalf("CohortAll %v: %d of %d cohort members are training vectors", cohortAll, fromClean+fromDegraded, len(b.Cohort))
		}
		switch {
		case !cohortAll && (fromDegraded != 0 || fromClean != len(clean)):
			t.Errorf("without CohortAll: %d clean and %d degraded members, want %d and 0", fromClean, fromDegraded, len(clean))
		case cohortAll && (fromDegraded != len(all)-len(clean) || fromClean != len(clean)):
			t.Errorf("with CohortAll: %d clean and %d degraded members, want %d and %d", fromClean, fromDegraded, len(clean), len(all)-len(clean))
		}
	}
}
