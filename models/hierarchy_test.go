package models

import (
	"math"
	"slices"
	"testing"
)

// clusteredGMM builds a GMM whose components come in tight families, like a
// UBM grown by binary splitting: nFam family centres, perFam children each.
func clusteredGMM(seed uint64, nFam, perFam, D int) *GMM {
	r := newRand(seed)
	C := nFam * perFam
	g := &GMM{C: C, D: D, Weights: make([]float64, C), Means: make([]float64, C*D), Vars: make([]float64, C*D)}
	for f := 0; f < nFam; f++ {
		ctr := make([]float64, D)
		for d := range ctr {
			ctr[d] = 3 * r.NormFloat64()
		}
		for k := 0; k < perFam; k++ {
			c := f*perFam + k
			g.Weights[c] = 1 / float64(C)
			for d := 0; d < D; d++ {
				g.Means[c*D+d] = ctr[d] + 0.5*r.NormFloat64()
				g.Vars[c*D+d] = 0.5 + r.Float64()
			}
		}
	}
	if err := g.Precompute(); err != nil {
		panic(err)
	}
	return g
}

func TestHierarchicalSelection(t *testing.T) {
	g := clusteredGMM(60, 32, 8, 20)
	if err := g.BuildHierarchy(32); err != nil {
		t.Fatal(err)
	}
	if g.hier.k != 32 || len(g.hier.perm) != g.C {
		t.Fatalf("hierarchy has %d groups, %d members", g.hier.k, len(g.hier.perm))
	}
	seen := make([]bool, g.C)
	for _, c := range g.hier.perm {
		if seen[c] {
			t.Fatal("component in two groups")
		}
		seen[c] = true
	}
	frames, fast := requireRecall(t, g, 61, 3, "hierarchical (32 groups, expand 3, top-10 of 256)")
	s := NewStats(g.C, g.D)
	g.Accumulate(s, frames[0], fast)
	if a := testing.AllocsPerRun(50, func() { g.Accumulate(s, frames[1], fast) }); a != 0 {
		t.Fatalf("%v allocs per frame", a)
	}
	// Precompute drops the hierarchy; selection falls back to flat.
	_ = g.Precompute()
	if g.hier != nil {
		t.Fatal("hierarchy survived Precompute")
	}
	g.Select(frames[0], fast)
	if err := g.BuildHierarchy(0); err == nil {
		t.Fatal("0 groups accepted")
	}
}

// On a UBM trained by binary splitting (no planted families) the two-level
// selection is an approximation; report and bound its loss.
func TestHierarchicalSelectionTrainedUBM(t *testing.T) {
	r := newRand(62)
	truth := randGMM(r, 24, 12, 1.5)
	ubm, _, err := TrainUBM(sampleGMM(r, truth, nil, 20000), UBMConfig{Components: 128, Iters: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := ubm.BuildHierarchy(16); err != nil {
		t.Fatal(err)
	}
	frames := sampleGMM(r, truth, nil, 500)
	for _, expand := range []int{2, 4} {
		sc := ubm.NewScratch(10, 0)
		sc.Groups = expand
		mass := 0.0
		for _, x := range frames {
			ubm.Select(x, sc)
			idx, _ := sc.Selected()
			lx := ubm.LogLikelihood(x)
			for _, c := range idx {
				mass += math.Exp(ubm.ComponentLogLikelihood(int(c), x) - lx)
			}
		}
		t.Logf("trained 128-component UBM, 16 groups, expand %d: exact posterior mass kept %.4f", expand, mass/500)
		if expand == 4 && mass/500 < 0.9 {
			t.Fatalf("expand 4 keeps only %.3f of the posterior mass", mass/500)
		}
	}
}

// topGroupsSeeded ranks exactly as topGroups — same groups, same order, ties to the lower index —
// whatever the seeds: the previous frame's best, unrelated groups, none, or out of range; and
// hands NaN back to topGroups.
func TestTopGroupsSeeded(t *testing.T) {
	r := newRand(21)
	for trial := range 2000 {
		K := 1 + r.IntN(80)
		G := 1 + r.IntN(min(K, 12))
		pl := make([]float32, K)
		for j := range pl {
			pl[j] = float32(r.NormFloat64() * 10)
			if trial%3 == 0 {
				pl[j] = float32(r.IntN(6)) // many ties
			}
		}
		want, wantIdx := make([]float32, G), make([]int32, G)
		nw := topGroups(pl, G, want, wantIdx)
		var seed []int32
		switch trial % 4 {
		case 0: // the right answer
			seed = append(seed, wantIdx[:nw]...)
		case 1: // distinct random groups
			for _, j := range r.Perm(K)[:min(G, K)] {
				seed = append(seed, int32(j))
			}
		case 2: // a few
			seed = append(seed, int32(r.IntN(K)))
		case 3: // another hierarchy's
			seed = append(seed, int32(K+r.IntN(5)))
		}
		got, gotIdx := make([]float32, G), make([]int32, G)
		mark := make([]bool, K)
		ng := topGroupsSeeded(pl, G, got, gotIdx, seed, mark)
		if trial%4 == 3 {
			if ng != -1 {
				t.Fatalf("trial %d: out-of-range seed gave %d, want -1", trial, ng)
			}
			continue
		}
		if ng != nw {
			t.Fatalf("trial %d: %d groups, want %d", trial, ng, nw)
		}
		for i := range ng {
			if gotIdx[i] != wantIdx[i] || got[i] != want[i] {
				t.Fatalf("trial %d (K=%d G=%d seeds %v): rank %d is group %d (%v), topGroups says %d (%v)", trial, K, G, seed, i, gotIdx[i], got[i], wantIdx[i], want[i])
			}
		}
		for j, m := range mark {
			if m {
				t.Fatalf("trial %d: mark %d left set", trial, j)
			}
		}
	}
	pl := []float32{1, float32(math.NaN()), 3}
	if n := topGroupsSeeded(pl, 2, make([]float32, 2), make([]int32, 2), []int32{0}, make([]bool, 3)); n != -1 {
		t.Errorf("NaN value: %d, want -1", n)
	}
}

// TestBalancedAssign works a small case by hand: three components near centre 0 and one near
// centre 1, at most two per centre: the pairs in order of distance give 0 and 1 to centre 0 and
// 3 to centre 1; component 2, whose nearest centre is full, goes to centre 1.
func TestBalancedAssign(t *testing.T) {
	pts := [][]float64{{0}, {0.1}, {0.3}, {1}}
	ctrs := [][]float64{{0}, {1}}
	dist := func(c int, ctr []float64) float64 { e := pts[c][0] - ctr[0]; return e * e }
	assign := []int{0, 0, 0, 1}
	recentred := 0
	balancedAssign(assign, ctrs, len(pts), 2, dist, func(int) { recentred++ })
	if want := []int{0, 0, 1, 1}; !slices.Equal(assign, want) {
		t.Fatalf("assignment %v, want %v", assign, want)
	}
	if recentred == 0 {
		t.Error("centres never recomputed")
	}
}

// TestHierarchyBalanced checks that balanced groups partition the components, none larger than
// the cap, the same on every build, and that on planted families the two-level selection over
// them keeps the exact best component as often as over plain k-means groups.
func TestHierarchyBalanced(t *testing.T) {
	g := clusteredGMM(65, 32, 8, 20)
	if err := g.BuildHierarchyBalanced(64, 3); err == nil {
		t.Error("64 groups of at most 3 accepted for 256 components")
	}
	if err := g.BuildHierarchyBalanced(64, 6); err != nil {
		t.Fatal(err)
	}
	h := g.hier
	seen := make([]bool, g.C)
	for j := 0; j < h.k; j++ {
		if n := h.start[j+1] - h.start[j]; n > 6 || n < 1 {
			t.Fatalf("group %d has %d components, want 1-6", j, n)
		}
	}
	for _, c := range h.perm {
		if seen[c] {
			t.Fatal("component in two groups")
		}
		seen[c] = true
	}
	if len(h.perm) != g.C {
		t.Fatalf("%d of %d components grouped", len(h.perm), g.C)
	}
	perm := slices.Clone(h.perm)
	if err := g.BuildHierarchyBalanced(64, 6); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(perm, g.hier.perm) {
		t.Error("balanced hierarchy differs between two builds")
	}
	requireRecall(t, g, 66, 8, "balanced (64 groups of ≤ 6, best 8)")
}

// requireRecall draws 500 frames from g (seed), selects the top 10 of the best groups of g's
// hierarchy, and fails unless the exact best component is kept for at least 490 frames and 98%
// of the posterior mass is; it returns the frames and the scratch.
func requireRecall(t *testing.T, g *GMM, seed uint64, groups int, what string) ([][]float32, *Scratch) {
	t.Helper()
	frames := sampleGMM(newRand(seed), g, nil, 500)
	sc := g.NewScratch(10, 0)
	sc.Groups = groups
	hit, mass := selectionRecall(g, frames, sc)
	t.Logf("%s: exact best kept %d/500, posterior mass kept %.4f", what, hit, mass/500)
	if hit < 490 || mass/500 < 0.98 {
		t.Fatalf("%s selection too lossy: %d/500, mass %.4f", what, hit, mass/500)
	}
	return frames, sc
}
