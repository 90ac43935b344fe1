package models

import (
	"fmt"
	"math"
	"testing"
)

// TestAccumulateFramesBitExact checks that batched accumulation (AccumulateFrames,
// AccumulateUtterance) gives the same statistics, log-likelihood and seeds, bit for bit, as
// Accumulate frame by frame: over batch lengths around the 32-frame batch and the 3-frame kernel,
// affine forms that take the AVX2 kernel (2D a multiple of 8) and the fallback, unbalanced and
// balanced hierarchies, more groups asked for than exist, posterior pruning, and a frame that is
// not finite.
func TestAccumulateFramesBitExact(t *testing.T) {
	for _, tc := range []struct {
		D, groups, ask, topC int
		balanced, prune      bool
	}{
		{D: 20, groups: 16, ask: 4, topC: 10},
		{D: 20, groups: 16, ask: 4, topC: 10, prune: true},
		{D: 20, groups: 16, ask: 40, topC: 3},
		{D: 13, groups: 8, ask: 3, topC: 5},
		{D: 24, groups: 32, ask: 6, topC: 10, balanced: true, prune: true},
	} {
		g := clusteredGMM(70, 32, 8, tc.D)
		var err error
		if tc.balanced {
			err = g.BuildHierarchyBalanced(tc.groups, 12)
		} else {
			err = g.BuildHierarchy(tc.groups)
		}
		if err != nil {
			t.Fatal(err)
		}
		r := newRand(71)
		for _, n := range []int{0, 1, 2, 3, 4, 31, 32, 33, 70} {
			t.Run(fmt.Sprintf("D%d-G%d-ask%d-n%d", tc.D, tc.groups, tc.ask, n), func(t *testing.T) {
				frames := make([]float32, n*tc.D)
				utt := make([][]float32, n)
				for f := range n {
					c := r.IntN(g.C)
					for d := range tc.D {
						frames[f*tc.D+d] = float32(g.Means[c*tc.D+d] + math.Sqrt(g.Vars[c*tc.D+d])*r.NormFloat64())
					}
					utt[f] = frames[f*tc.D : (f+1)*tc.D]
				}
				if n > 5 {
					frames[4*tc.D+1] = float32(math.NaN())
				}
				scratch := func() *Scratch {
					sc := g.NewScratch(tc.topC, 0)
					sc.Groups = tc.ask
					if tc.prune {
						sc.MinPost = 0.025
					}
					return sc
				}
				want, scW := NewStats(g.C, g.D), scratch()
				wantLL := 0.0
				for f := range n {
					wantLL += g.Accumulate(want, frames[f*tc.D:(f+1)*tc.D], scW)
				}
				for name, run := range map[string]func(*Stats, *Scratch) float64{
					"AccumulateFrames":    func(s *Stats, sc *Scratch) float64 { return g.AccumulateFrames(s, frames, sc) },
					"AccumulateUtterance": func(s *Stats, sc *Scratch) float64 { return g.AccumulateUtterance(s, utt, sc) },
				} {
					got, sc := NewStats(g.C, g.D), scratch()
					ll := run(got, sc)
					if math.Float64bits(ll) != math.Float64bits(wantLL) && !(math.IsNaN(ll) && math.IsNaN(wantLL)) {
						t.Errorf("%s: log-likelihood %v, frame by frame %v", name, ll, wantLL)
					}
					for c := range g.C {
						if math.Float64bits(got.N[c]) != math.Float64bits(want.N[c]) {
							t.Fatalf("%s: N[%d] = %v, frame by frame %v", name, c, got.N[c], want.N[c])
						}
					}
					for i := range want.F {
						if math.Float64bits(got.F[i]) != math.Float64bits(want.F[i]) {
							t.Fatalf("%s: F[%d] = %v, frame by frame %v", name, i, got.F[i], want.F[i])
						}
					}
					if sc.nseed != scW.nseed || fmt.Sprint(sc.pseed[:sc.nseed]) != fmt.Sprint(scW.pseed[:scW.nseed]) {
						t.Errorf("%s: seeds %v, frame by frame %v", name, sc.pseed[:sc.nseed], scW.pseed[:scW.nseed])
					}
				}
			})
		}
	}
}
