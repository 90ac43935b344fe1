package models

import (
	"sync"

	"github.com/voxguard/voxguard/internal/vec"
)

// batchFrames is how many frames AccumulateFrames selects together: enough for most of a
// hierarchy's groups to be chosen by three frames or more (their rows then read once per three
// frames), few enough for the batch's likelihoods to stay in a core's L1/L2 cache.
const batchFrames = 32

// batchBuf is the working memory of one batch of hierarchical selection, shared through a pool
// (it holds nothing between calls, unlike Scratch's seeds): a live call's Scratch stays small.
type batchBuf struct {
	xx    []float32 // frame f's affine form at f·2D
	pl    []float32 // frame f's parent log-likelihoods at f·k
	grp   []int32   // frame f's best groups at f·G, best first
	ng    []int     // how many groups frame f has
	fst   []int     // where frame f's slots start in ll (fst[n]: the end)
	off   []int     // where slot f·G+p's child log-likelihoods start in ll
	ll    []float32 // child log-likelihoods of every (frame, group) slot
	comp  []int32   // the component of each of them
	order []int32   // slots bucketed by group
	count []int     // slots per group, then bucket starts
	flat  []float32 // AccumulateUtterance's frames copied contiguous
}

// batchable reports whether AccumulateFrames batches frames for sc: two-level selection, and the
// AVX2 kernel for the affine forms' length (gonum's fallback sums in an order that depends on
// the vector's alignment, so a frame would not score the same from a batch's buffer).
func (g *GMM) batchable(sc *Scratch) bool {
	return sc.Groups > 0 && g.hier != nil && vec.Accelerated() && (2*g.D)%8 == 0
}

// accumulateUtterance is AccumulateUtterance with two-level selection: frames copied into
// contiguous batches, then accumulateBatch.
func (g *GMM) accumulateUtterance(s *Stats, utt [][]float32, sc *Scratch) float64 {
	b := batchPool.Get().(*batchBuf)
	defer batchPool.Put(b)
	D := g.D
	t := 0.0
	for lo := 0; lo < len(utt); lo += batchFrames {
		hi := min(len(utt), lo+batchFrames)
		b.flat = grow(b.flat, (hi-lo)*D)
		for i, x := range utt[lo:hi] {
			copy(b.flat[i*D:(i+1)*D], x[:D])
		}
		t = g.accumulateBatch(s, b.flat, hi-lo, sc, b, t)
	}
	return t
}

var batchPool = sync.Pool{New: func() any { return new(batchBuf) }}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// AccumulateFrames adds the n = len(frames)/D frames of frames (contiguous, D floats each) to s
// in order and returns their summed selected-component log-likelihood: the same statistics, bit
// for bit, as Accumulate frame by frame, and the same seeds left in sc. With two-level selection
// (sc.Groups > 0 and a hierarchy), on a processor with AVX2, it scores up to 32 frames at a
// time, each group's rows read once for three frames that chose it (vec.GemvAdd3); otherwise it
// is Accumulate in a loop.
// It allocates only while the shared batch buffers grow.
func (g *GMM) AccumulateFrames(s *Stats, frames []float32, sc *Scratch) float64 {
	D := g.D
	n := len(frames) / D
	if !g.batchable(sc) || n < 3 {
		t := 0.0
		for f := range n {
			t += g.Accumulate(s, frames[f*D:(f+1)*D], sc)
		}
		return t
	}
	b := batchPool.Get().(*batchBuf)
	defer batchPool.Put(b)
	t := 0.0
	for lo := 0; lo < n; lo += batchFrames {
		hi := min(n, lo+batchFrames)
		t = g.accumulateBatch(s, frames[lo*D:hi*D], hi-lo, sc, b, t)
	}
	return t
}

// accumulateBatch is AccumulateFrames over n ≤ batchFrames frames with two-level selection; it
// returns t plus their log-likelihoods, added one frame at a time as Accumulate's callers do.
func (g *GMM) accumulateBatch(s *Stats, frames []float32, n int, sc *Scratch, b *batchBuf, t float64) float64 {
	h := g.hier
	D, D2, K := g.D, 2*g.D, h.k
	G := min(sc.Groups, K)
	if len(sc.pl) < K || len(sc.pidx) < sc.Groups {
		sc.pl = make([]float32, K) // as Select: first use with this hierarchy only
		sc.pidx, sc.ptop = make([]int32, sc.Groups), make([]float32, sc.Groups)
		sc.pseed, sc.nseed, sc.pmark = make([]int32, sc.Groups), 0, make([]bool, K)
	}
	b.xx = grow(b.xx, n*D2)
	b.pl = grow(b.pl, n*K)
	b.grp = grow(b.grp, n*G)
	b.ng = grow(b.ng, n)
	b.fst = grow(b.fst, n+1)
	b.off = grow(b.off, n*G+1)
	b.count = grow(b.count, K+1)

	// The frames' affine forms and parent log-likelihoods, three frames per pass over the parents.
	for f := range n {
		x, xx := frames[f*D:(f+1)*D], b.xx[f*D2:(f+1)*D2]
		for d, v := range x {
			xx[2*d] = v * v
			xx[2*d+1] = v
		}
		copy(b.pl[f*K:(f+1)*K], h.pconst)
	}
	f := 0
	for ; f+3 <= n; f += 3 {
		vec.GemvAdd3(b.pl[f*K:(f+1)*K], b.pl[(f+1)*K:(f+2)*K], b.pl[(f+2)*K:(f+3)*K], h.pcoef,
			b.xx[f*D2:], b.xx[(f+1)*D2:], b.xx[(f+2)*D2:], D2)
	}
	for ; f < n; f++ {
		vec.GemvAdd(b.pl[f*K:(f+1)*K], h.pcoef, b.xx[f*D2:(f+1)*D2], D2)
	}

	// Each frame's best groups, in frame order (the seeds carry from frame to frame as in Select).
	clear(b.count)
	total := 0
	for f := range n {
		pl := b.pl[f*K : (f+1)*K]
		m := -1
		if sc.nseed > 0 {
			m = topGroupsSeeded(pl, G, sc.ptop, sc.pidx, sc.pseed[:sc.nseed], sc.pmark[:K])
		}
		if m < 0 {
			m = topGroups(pl, G, sc.ptop, sc.pidx)
		}
		sc.nseed = copy(sc.pseed, sc.pidx[:m])
		b.ng[f], b.fst[f] = m, total
		for p := range m {
			j := sc.pidx[p]
			b.grp[f*G+p] = j
			b.off[f*G+p] = total
			total += h.start[j+1] - h.start[j]
			b.count[j+1]++
		}
	}
	b.fst[n] = total
	b.ll = grow(b.ll, total)
	b.comp = grow(b.comp, total)
	for f := range n {
		for p := range b.ng[f] {
			j := b.grp[f*G+p]
			o := b.off[f*G+p]
			copy(b.comp[o:o+h.start[j+1]-h.start[j]], h.perm[h.start[j]:h.start[j+1]])
		}
	}

	// Bucket the (frame, group) slots by group, then score each group's children for its frames
	// three at a time.
	for j := range K {
		b.count[j+1] += b.count[j]
	}
	slots := b.count[K]
	b.order = grow(b.order, slots)
	for f := range n {
		for p := range b.ng[f] {
			j := b.grp[f*G+p]
			b.order[b.count[j]] = int32(f*G + p)
			b.count[j]++
		}
	}
	start := 0 // b.count[j] now ends group j's bucket
	for j := range K {
		end := b.count[j]
		lo, hi := h.start[j], h.start[j+1]
		rows := h.coef[lo*D2 : hi*D2]
		size := hi - lo
		bucket := b.order[start:end]
		for _, slot := range bucket {
			o := b.off[slot]
			copy(b.ll[o:o+size], h.gconst[lo:hi])
		}
		i := 0
		for ; i+3 <= len(bucket); i += 3 {
			s0, s1, s2 := bucket[i], bucket[i+1], bucket[i+2]
			o0, o1, o2 := b.off[s0], b.off[s1], b.off[s2]
			f0, f1, f2 := int(s0)/G, int(s1)/G, int(s2)/G
			vec.GemvAdd3(b.ll[o0:o0+size], b.ll[o1:o1+size], b.ll[o2:o2+size], rows,
				b.xx[f0*D2:(f0+1)*D2], b.xx[f1*D2:(f1+1)*D2], b.xx[f2*D2:(f2+1)*D2], D2)
		}
		for ; i < len(bucket); i++ {
			o, f := b.off[bucket[i]], int(bucket[i])/G
			vec.GemvAdd(b.ll[o:o+size], rows, b.xx[f*D2:(f+1)*D2], D2)
		}
		start = end
	}

	// Each frame's top C, posteriors and statistics, in frame order, exactly as Accumulate: a
	// frame's slots are contiguous in b.ll (and their components in b.comp), in the order
	// Accumulate inserts them; once C are kept, only values above the C-th best can enter, and
	// vec.IndexAbove finds them (the C-th best is a float32 widened, so comparing in float32 is
	// the same test).
	for f := range n {
		sc.n = 0
		ll, comp := b.ll[b.fst[f]:b.fst[f+1]], b.comp[b.fst[f]:b.fst[f+1]]
		i := 0
		for ; i < len(ll) && sc.n < sc.TopC; i++ {
			sc.insert(comp[i], float64(ll[i]))
		}
		for i < len(ll) {
			k := vec.IndexAbove(ll[i:], float32(sc.top[sc.n-1]))
			if k < 0 {
				break
			}
			i += k
			sc.insert(comp[i], float64(ll[i]))
			i++
		}
		t += sc.posteriors() // keeps no component for a frame that is not finite
		g.addSelected(s, frames[f*D:(f+1)*D], sc)
	}
	return t
}
