package models

import (
	"math"
	"testing"
)

func TestComponentLogLikelihoodKnownValue(t *testing.T) {
	g := &GMM{C: 1, D: 2, Weights: []float64{1}, Means: []float64{1, -2}, Vars: []float64{4, 0.25}}
	if err := g.Precompute(); err != nil {
		t.Fatal(err)
	}
	x := []float32{3, -1.5}
	// log N = −log 2π − ½ log(4·0.25) − ½((2²/4) + (0.5²/0.25)) = −log 2π − 1.
	want := -math.Log(2*math.Pi) - 1
	if got := g.ComponentLogLikelihood(0, x); math.Abs(got-want) > 1e-12 {
		t.Fatalf("got %v want %v", got, want)
	}
	if got := g.LogLikelihood(x); math.Abs(got-want) > 1e-12 {
		t.Fatalf("LogLikelihood %v want %v", got, want)
	}
	sc := g.NewScratch(5, 0)
	if got := g.Select(x, sc); math.Abs(got-want) > 1e-5 {
		t.Fatalf("Select %v want %v", got, want)
	}
}

func TestLogLikelihoodNoUnderflow(t *testing.T) {
	g := &GMM{C: 2, D: 1, Weights: []float64{0.5, 0.5}, Means: []float64{0, 1}, Vars: []float64{1e-4, 1e-4}}
	if err := g.Precompute(); err != nil {
		t.Fatal(err)
	}
	// x far from both: direct exp would underflow to 0 → −Inf; log-sum-exp must not.
	ll := g.LogLikelihood([]float32{50})
	if math.IsInf(ll, 0) || math.IsNaN(ll) {
		t.Fatalf("log-likelihood %v", ll)
	}
	want := math.Log(0.5) - 0.5*math.Log(2*math.Pi*1e-4) - 0.5*49*49/1e-4
	if math.Abs(ll-want)/math.Abs(want) > 1e-9 {
		t.Fatalf("got %v want %v", ll, want)
	}
}

func TestValidateRejectsBadModels(t *testing.T) {
	for name, g := range map[string]*GMM{
		"zero var":  {C: 1, D: 1, Weights: []float64{1}, Means: []float64{0}, Vars: []float64{0}},
		"nan mean":  {C: 1, D: 1, Weights: []float64{1}, Means: []float64{math.NaN()}, Vars: []float64{1}},
		"bad shape": {C: 2, D: 1, Weights: []float64{1}, Means: []float64{0}, Vars: []float64{1}},
		"neg w":     {C: 1, D: 1, Weights: []float64{-1}, Means: []float64{0}, Vars: []float64{1}},
	} {
		if err := g.Precompute(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSelectMatchesExactPosteriors(t *testing.T) {
	r := newRand(1)
	g := randGMM(r, 64, 12, 1.0)
	frames := sampleGMM(r, g, nil, 200)
	sc := g.NewScratch(64, 0) // keep everything: must equal exact posteriors
	for _, x := range frames {
		ll := g.Select(x, sc)
		if want := g.LogLikelihood(x); math.Abs(ll-want) > 1e-3*math.Max(1, math.Abs(want)) {
			t.Fatalf("ll %v want %v", ll, want)
		}
		idx, post := sc.Selected()
		sum := 0.0
		for i, c := range idx {
			exact := math.Exp(g.ComponentLogLikelihood(int(c), x) - g.LogLikelihood(x))
			if math.Abs(post[i]-exact) > 1e-4 {
				t.Fatalf("posterior %d: %v want %v", c, post[i], exact)
			}
			sum += post[i]
			if i > 0 && g.ComponentLogLikelihood(int(c), x) > g.ComponentLogLikelihood(int(idx[i-1]), x)+1e-3 {
				t.Fatalf("selection not sorted")
			}
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("posteriors sum to %v", sum)
		}
	}
}

// The marginal selection pass is an approximation: measure how often the exact
// best component survives it and how much exact posterior mass the kept set holds.
func TestSelectDimsRecall(t *testing.T) {
	r := newRand(2)
	g := randGMM(r, 128, 30, 1.0)
	frames := sampleGMM(r, g, nil, 500)
	fast := g.NewScratch(10, 10)
	hit, mass := selectionRecall(g, frames, fast)
	t.Logf("selection on 10 of 30 dims, top-10 of 128: exact best kept %d/500, mean exact posterior mass kept %.3f", hit, mass/500)
	if hit < 350 {
		t.Fatalf("exact best component kept only %d/500 times", hit)
	}
}

func TestAccumulateDoesNotAllocate(t *testing.T) {
	r := newRand(3)
	g := randGMM(r, 32, 20, 1)
	s := NewStats(32, 20)
	x := sampleGMM(r, g, nil, 1)[0]
	for _, sd := range []int{0, 7} {
		sc := g.NewScratch(8, sd)
		g.Accumulate(s, x, sc)
		if a := testing.AllocsPerRun(100, func() { g.Accumulate(s, x, sc) }); a != 0 {
			t.Fatalf("selectDims=%d: %v allocs per frame", sd, a)
		}
	}
}

func TestMinPostPrunesAndRenormalises(t *testing.T) {
	r := newRand(80)
	g := randGMM(r, 32, 4, 0.7)
	frames := sampleGMM(r, g, nil, 200)
	sc := g.NewScratch(10, 0)
	sc.MinPost = 0.05
	for _, x := range frames {
		g.Select(x, sc)
		_, post := sc.Selected()
		sum := 0.0
		for i, p := range post {
			if i > 0 && p*1.0000001 < 0.05 {
				t.Fatalf("posterior %v below MinPost kept", p)
			}
			sum += p
		}
		if len(post) == 0 || math.Abs(sum-1) > 1e-12 {
			t.Fatalf("posteriors %v", post)
		}
	}
	s := NewStats(32, 4)
	s.N[0], s.F[0] = 2, 4
	s.Scale(0.5)
	if s.N[0] != 1 || s.F[0] != 2 {
		t.Fatal("Scale")
	}
}

// selectionRecall runs Select on every frame and counts how often the exact best component was
// kept, and the total exact posterior mass the kept components carry (mean = mass/len(frames)).
func selectionRecall(g *GMM, frames [][]float32, sc *Scratch) (hit int, mass float64) {
	for _, x := range frames {
		g.Select(x, sc)
		idx, _ := sc.Selected()
		best, bestLL := -1, math.Inf(-1)
		for c := 0; c < g.C; c++ {
			if l := g.ComponentLogLikelihood(c, x); l > bestLL {
				best, bestLL = c, l
			}
		}
		lx := g.LogLikelihood(x)
		for _, c := range idx {
			if int(c) == best {
				hit++
			}
			mass += math.Exp(g.ComponentLogLikelihood(int(c), x) - lx)
		}
	}
	return hit, mass
}
