package models

import (
	"fmt"
	"runtime"

	"github.com/voxguard/voxguard/internal/vec"
)

// Accumulate adds frame x to s using top-C selection on g (see GMM.Select) and
// returns the frame's selected-component log-likelihood. It does not allocate.
func (g *GMM) Accumulate(s *Stats, x []float32, sc *Scratch) float64 {
	ll := g.Select(x, sc)
	g.addSelected(s, x, sc)
	return ll
}

// addSelected adds frame x's zeroth- and first-order statistics over the components sc kept
// for it, weighted by their posteriors.
func (g *GMM) addSelected(s *Stats, x []float32, sc *Scratch) {
	D := g.D
	x = x[:D]
	for i := 0; i < sc.n; i++ {
		c := int(sc.idx[i])
		p := sc.post[i]
		s.N[c] += p
		vec.AxpyF32F64(p, x, s.F[c*D:(c+1)*D])
	}
}

// AccumulateSecond is Accumulate that also adds the frame's second-order statistics,
// γ_c·x_d² for every selected component c and dimension d, to sq (C·D values).
func (g *GMM) AccumulateSecond(s *Stats, sq []float64, x []float32, sc *Scratch) float64 {
	ll := g.Accumulate(s, x, sc)
	D := g.D
	x = x[:D]
	for i := 0; i < sc.n; i++ {
		c := int(sc.idx[i])
		p := sc.post[i]
		row := sq[c*D : (c+1)*D]
		for d, v := range x {
			row[d] += p * float64(v) * float64(v)
		}
	}
	return ll
}

// AccumulateSecondFull is Accumulate that also adds each selected component's full
// second-order statistics γ_{t,c} x xᵀ of the raw frame to sq (C·D(D+1)/2 values, component c's
// lower triangle packed row by row, row i holding columns 0…i), for FullCovWhitening.
func (g *GMM) AccumulateSecondFull(s *Stats, sq []float64, x []float32, sc *Scratch) float64 {
	ll := g.Accumulate(s, x, sc)
	D := g.D
	P := trilLen(D)
	x = x[:D]
	for i := 0; i < sc.n; i++ {
		c := int(sc.idx[i])
		p := sc.post[i]
		row := sq[c*P : (c+1)*P]
		k := 0
		for a, xa := range x {
			pa := p * float64(xa)
			r := row[k : k+a+1]
			for b := range r {
				r[b] += pa * float64(x[b])
			}
			k += a + 1
		}
	}
	return ll
}

// AccumulateUtterance adds every frame of utt to s and returns the summed
// selected-component log-likelihood (as Accumulate frame by frame, bit for bit; see
// AccumulateFrames).
func (g *GMM) AccumulateUtterance(s *Stats, utt [][]float32, sc *Scratch) float64 {
	if g.batchable(sc) && len(utt) >= 3 {
		return g.accumulateUtterance(s, utt, sc) // AccumulateFrames' batches, the same statistics
	}
	t := 0.0
	for _, x := range utt {
		t += g.Accumulate(s, x, sc)
	}
	return t
}

// UtteranceStats accumulates the Baum-Welch statistics of each utterance in
// parallel (workers ≤ 0: GOMAXPROCS) with top-C selection; result i belongs
// to utts[i], and does not depend on the number of workers.
func (g *GMM) UtteranceStats(utts [][][]float32, topC, selectDims, workers int) ([]*Stats, error) {
	return g.utteranceStatsWith(utts, g.NewScratch(topC, selectDims), workers)
}

// utteranceStatsWith is UtteranceStats with every worker's Scratch configured
// like proto (TopC, SelectDims, Groups, MinPost).
func (g *GMM) utteranceStatsWith(utts [][][]float32, proto *Scratch, workers int) ([]*Stats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for i, u := range utts {
		for _, x := range u {
			if len(x) != g.D {
				return nil, fmt.Errorf("models: utterance %d has a frame of dimension %d, want %d", i, len(x), g.D)
			}
		}
	}
	out := make([]*Stats, len(utts))
	scratch := make(chan *Scratch, workers)
	for i := 0; i < workers; i++ {
		sc := g.NewScratch(proto.TopC, proto.SelectDims)
		sc.Groups, sc.MinPost = proto.Groups, proto.MinPost
		scratch <- sc
	}
	parallelFor(len(utts), workers, func(i int) {
		sc := <-scratch
		s := g.NewStats()
		g.AccumulateUtterance(s, utts[i], sc)
		out[i] = s
		scratch <- sc
	})
	return out, nil
}
