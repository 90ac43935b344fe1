package models

import (
	"errors"
	"math"
	"sort"

	"github.com/voxguard/voxguard/internal/vec"
)

// hierarchy groups the components of a GMM for two-level Gaussian selection.
type hierarchy struct {
	k       int
	pcoef   []float32 // K × 2D parent coefficients (same layout as GMM.coef32)
	pconst  []float32 // K parent constants
	start   []int     // group g owns permuted rows start[g] … start[g+1]−1
	perm    []int32   // permuted row → original component index
	coef    []float32 // C × 2D child coefficients in group order
	gconst  []float32 // C child constants in group order
	maxSize int
}

// BuildHierarchy clusters the components of g into k groups for the fast
// two-level selection enabled by Scratch.Groups: each group is summarised by
// one "parent" Gaussian that matches the group's total weight and first two
// moments, w_G = Σ w_c, μ_G = Σ w_c μ_c / w_G, σ²_G = Σ w_c (σ²_c + μ_c²) / w_G − μ_G².
// Clustering is weighted k-means on the component means scaled by the
// global standard deviation, initialised by farthest-point selection from the
// heaviest component; it is deterministic. Precompute discards the hierarchy.
// Call it before sharing g between goroutines (it writes to g; selection only reads).
func (g *GMM) BuildHierarchy(k int) error { return g.buildHierarchy(k, 0) }

// BuildHierarchyBalanced is BuildHierarchy with groups of at most maxSize components: after the
// k-means, further rounds assign the components to centres in order of distance, each centre
// taking at most maxSize. Unconstrained k-means on a UBM leaves a few groups of 30-80
// components (the dense middle of the feature space, where most frames fall) beside many
// singletons (farthest-point outliers), so the best G groups hold far more than G·C/k
// components to score; balanced groups bound that work.
func (g *GMM) BuildHierarchyBalanced(k, maxSize int) error {
	if maxSize < 1 || k*maxSize < g.C {
		return errors.New("models: balanced hierarchy needs groups × maximum size ≥ C")
	}
	return g.buildHierarchy(k, maxSize)
}

func (g *GMM) buildHierarchy(k, maxSize int) error {
	if !g.prepared {
		return ErrNotPrepared
	}
	if k < 1 || k > g.C {
		return errors.New("models: hierarchy needs 1 ≤ groups ≤ C")
	}
	C, D := g.C, g.D
	// Global mean and variance of the mixture, for scaling.
	mu, vr := make([]float64, D), make([]float64, D)
	for c := 0; c < C; c++ {
		for d := 0; d < D; d++ {
			m := g.Means[c*D+d]
			mu[d] += g.Weights[c] * m
			vr[d] += g.Weights[c] * (g.Vars[c*D+d] + m*m)
		}
	}
	scale := make([]float64, D)
	for d := range scale {
		scale[d] = 1 / math.Sqrt(math.Max(vr[d]-mu[d]*mu[d], 1e-12))
	}
	pt := make([]float64, C*D)
	for i := range pt {
		pt[i] = g.Means[i] * scale[i%D]
	}
	dist := func(c int, ctr []float64) float64 {
		s := 0.0
		for d := 0; d < D; d++ {
			e := pt[c*D+d] - ctr[d]
			s += e * e
		}
		return s
	}
	// Farthest-point initialisation.
	ctrs := make([][]float64, 0, k)
	first := 0
	for c := range g.Weights {
		if g.Weights[c] > g.Weights[first] {
			first = c
		}
	}
	ctrs = append(ctrs, append([]float64(nil), pt[first*D:(first+1)*D]...))
	near := make([]float64, C)
	for c := range near {
		near[c] = dist(c, ctrs[0])
	}
	for len(ctrs) < k {
		far := 0
		for c := range near {
			if near[c] > near[far] {
				far = c
			}
		}
		ctr := append([]float64(nil), pt[far*D:(far+1)*D]...)
		ctrs = append(ctrs, ctr)
		for c := range near {
			near[c] = math.Min(near[c], dist(c, ctr))
		}
	}
	assign := make([]int, C)
	// recentre moves centre j to the weighted mean of its components (kept if it has none).
	recentre := func(j int) {
		sw := 0.0
		acc := make([]float64, D)
		for c := 0; c < C; c++ {
			if assign[c] == j {
				sw += g.Weights[c] + 1e-12
				axpy(g.Weights[c]+1e-12, pt[c*D:(c+1)*D], acc)
			}
		}
		if sw > 0 {
			for d := range acc {
				ctrs[j][d] = acc[d] / sw
			}
		}
	}
	for it := 0; it < 20; it++ {
		changed := false
		for c := 0; c < C; c++ {
			best, bd := 0, math.Inf(1)
			for j, ctr := range ctrs {
				if d := dist(c, ctr); d < bd {
					best, bd = j, d
				}
			}
			if assign[c] != best || it == 0 {
				changed = changed || assign[c] != best
				assign[c] = best
			}
		}
		if !changed && it > 0 {
			break
		}
		for j := range ctrs {
			recentre(j)
		}
	}
	if maxSize > 0 {
		balancedAssign(assign, ctrs, C, maxSize, dist, recentre)
	}
	// Build groups (dropping empty ones), parents and the permuted child table.
	h := &hierarchy{}
	for j := range ctrs {
		var members []int
		for c := 0; c < C; c++ {
			if assign[c] == j {
				members = append(members, c)
			}
		}
		if len(members) == 0 {
			continue
		}
		h.start = append(h.start, len(h.perm))
		h.maxSize = max(h.maxSize, len(members))
		W := 0.0
		pm, ps := make([]float64, D), make([]float64, D)
		for _, c := range members {
			h.perm = append(h.perm, int32(c))
			h.coef = append(h.coef, g.coef32[c*2*D:(c+1)*2*D]...)
			h.gconst = append(h.gconst, g.gconst3[c])
			w := g.Weights[c]
			W += w
			for d := 0; d < D; d++ {
				m := g.Means[c*D+d]
				pm[d] += w * m
				ps[d] += w * (g.Vars[c*D+d] + m*m)
			}
		}
		if W <= 0 {
			W = 1e-300
		}
		k0 := math.Log(W) - 0.5*float64(D)*log2Pi
		for d := 0; d < D; d++ {
			m := pm[d] / W
			v := math.Max(ps[d]/W-m*m, 1e-6)
			h.pcoef = append(h.pcoef, float32(-0.5/v), float32(m/v))
			k0 -= 0.5 * (math.Log(v) + m*m/v)
		}
		h.pconst = append(h.pconst, float32(k0))
	}
	h.k = len(h.start)
	h.start = append(h.start, len(h.perm))
	g.hier = h
	return nil
}

// selectHierarchical is Select's two-level path: rank the parents, then
// evaluate the children of the best sc.Groups groups.
func (g *GMM) selectHierarchical(xx []float32, sc *Scratch) {
	h := g.hier
	D := g.D
	G := min(sc.Groups, h.k)
	pl := sc.pl[:h.k]
	copy(pl, h.pconst)
	vec.GemvAdd(pl, h.pcoef, xx, 2*D)
	n := -1
	if sc.nseed > 0 {
		n = topGroupsSeeded(pl, G, sc.ptop, sc.pidx, sc.pseed[:sc.nseed], sc.pmark[:h.k])
	}
	if n < 0 {
		n = topGroups(pl, G, sc.ptop, sc.pidx)
	}
	sc.nseed = copy(sc.pseed, sc.pidx[:n])
	for p := 0; p < n; p++ {
		j := int(sc.pidx[p])
		lo, hi := h.start[j], h.start[j+1]
		ll := sc.ll[:hi-lo]
		copy(ll, h.gconst[lo:hi])
		vec.GemvAdd(ll, h.coef[lo*2*D:hi*2*D], xx, 2*D)
		for i, l := range ll {
			// Most children lose to the current TopC-th best: test that before the call.
			if sc.n == sc.TopC && !(float64(l) > sc.top[sc.n-1]) {
				continue
			}
			sc.insert(h.perm[lo+i], float64(l))
		}
	}
}

// topGroupsSeeded is topGroups for a frame whose best groups are probably those of the previous
// one (seed): it ranks the seeds first, so that the running G-th best starts near its final value
// and the scan that follows inserts only the few groups that changed, instead of ~25 insertions
// with a mispredicted branch each. pushGroup orders by value, then by group index, which is the
// order topGroups' scan in index order produces, so the result is the same whatever the seeds.
// It returns -1, having written nothing useful, when a value is NaN (topGroups then decides, as
// before). mark is scratch of len(pl), all false, and left so.
func topGroupsSeeded(pl []float32, G int, ptop []float32, pidx []int32, seed []int32, mark []bool) int {
	n := 0
	for _, j := range seed {
		if int(j) >= len(pl) || j < 0 {
			return -1 // seeds of another hierarchy
		}
		l := pl[j]
		if l != l {
			return -1
		}
		mark[j] = true
		n = pushGroup(ptop, pidx, n, G, l, j)
	}
	nan := false
	for j, l := range pl {
		if mark[j] {
			mark[j] = false
			continue
		}
		if l != l {
			nan = true
			continue
		}
		if n < G || betterGroup(l, int32(j), ptop[G-1], pidx[G-1]) {
			n = pushGroup(ptop, pidx, n, G, l, int32(j))
		}
	}
	if nan {
		return -1
	}
	return n
}

// topGroups writes the indices and scores of the (at most) G largest values of pl, best first,
// into pidx and ptop (insertion; G is small) and returns how many it wrote.
func topGroups(pl []float32, G int, ptop []float32, pidx []int32) int {
	n := 0
	for j, l := range pl {
		if n < G || betterGroup(l, int32(j), ptop[G-1], pidx[G-1]) {
			n = pushGroup(ptop, pidx, n, G, l, int32(j))
		}
	}
	return n
}

// betterGroup reports whether group i with parent score a ranks before group j with score b:
// higher score first, then lower index.
func betterGroup(a float32, i int32, b float32, j int32) bool { return a > b || (a == b && i < j) }

// pushGroup inserts group j with parent score l into the ranked list ptop/pidx of n entries (at
// most G; when full, the caller has checked that j ranks before the last, which it drops) and
// returns the new length.
func pushGroup(ptop []float32, pidx []int32, n, G int, l float32, j int32) int {
	if n == G {
		n--
	}
	i := n
	for i > 0 && betterGroup(l, j, ptop[i-1], pidx[i-1]) {
		ptop[i], pidx[i] = ptop[i-1], pidx[i-1]
		i--
	}
	ptop[i], pidx[i] = l, j
	return n + 1
}

// balancedAssign runs capacity-constrained k-means rounds: every (component, centre) pair in
// order of distance (ties by component, then centre), each component going to the first centre
// with room (at most maxSize each), then recentre(j) for every centre; until no component moves
// (at most 20 rounds). assign holds the unconstrained assignment on entry.
func balancedAssign(assign []int, ctrs [][]float64, C, maxSize int, dist func(c int, ctr []float64) float64, recentre func(j int)) {
	type pair struct {
		d    float64
		c, j int32
	}
	k := len(ctrs)
	pairs := make([]pair, 0, C*k)
	cnt := make([]int, k)
	next := make([]int, C)
	for it := 0; it < 20; it++ {
		pairs = pairs[:0]
		for c := 0; c < C; c++ {
			for j, ctr := range ctrs {
				pairs = append(pairs, pair{dist(c, ctr), int32(c), int32(j)})
			}
		}
		sort.Slice(pairs, func(a, b int) bool {
			if pairs[a].d != pairs[b].d {
				return pairs[a].d < pairs[b].d
			}
			if pairs[a].c != pairs[b].c {
				return pairs[a].c < pairs[b].c
			}
			return pairs[a].j < pairs[b].j
		})
		clear(cnt)
		for c := range next {
			next[c] = -1
		}
		for _, p := range pairs {
			if next[p.c] < 0 && cnt[p.j] < maxSize {
				next[p.c] = int(p.j)
				cnt[p.j]++
			}
		}
		changed := false
		for c, j := range next {
			if assign[c] != j {
				assign[c], changed = j, true
			}
		}
		if !changed && it > 0 {
			return
		}
		for j := range ctrs {
			recentre(j)
		}
	}
}
