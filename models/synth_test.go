package models

import (
	"math"
	"math/rand/v2"
)

// newRand returns a deterministic generator for tests.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 12345)) }

// randGMM returns a prepared random GMM with well-spread means.
func randGMM(r *rand.Rand, C, D int, spread float64) *GMM {
	g := &GMM{C: C, D: D, Weights: make([]float64, C), Means: make([]float64, C*D), Vars: make([]float64, C*D)}
	s := 0.0
	for c := range g.Weights {
		g.Weights[c] = 0.5 + r.Float64()
		s += g.Weights[c]
	}
	for c := range g.Weights {
		g.Weights[c] /= s
	}
	for i := range g.Means {
		g.Means[i] = spread * r.NormFloat64()
		g.Vars[i] = 0.5 + 1.5*r.Float64()
	}
	if err := g.Precompute(); err != nil {
		panic(err)
	}
	return g
}

// sampleComponent draws a component index from the weights.
func sampleComponent(r *rand.Rand, w []float64) int {
	u := r.Float64()
	for c, p := range w {
		u -= p
		if u < 0 {
			return c
		}
	}
	return len(w) - 1
}

// sampleGMM draws n frames from g, optionally with shifted means (offset, length C·D, may be nil).
func sampleGMM(r *rand.Rand, g *GMM, offset []float64, n int) [][]float32 {
	out := make([][]float32, n)
	D := g.D
	for t := range out {
		c := sampleComponent(r, g.Weights)
		x := make([]float32, D)
		for d := range x {
			m := g.Means[c*D+d]
			if offset != nil {
				m += offset[c*D+d]
			}
			x[d] = float32(m + math.Sqrt(g.Vars[c*D+d])*r.NormFloat64())
		}
		out[t] = x
	}
	return out
}

// speakerWorld is a synthetic population: speaker supervector offsets live in a
// low-rank subspace, scaled by the UBM standard deviations, plus a smaller
// per-session channel offset in another subspace.
type speakerWorld struct {
	ubm      *GMM
	v, u     [][]float64 // rank × C·D speaker and channel loadings
	r        *rand.Rand
	speakers [][]float64 // per-speaker offset (C·D)
}

func newSpeakerWorld(seed uint64, C, D, rank, nSpk int, spkScale, chScale float64) *speakerWorld {
	r := newRand(seed)
	w := &speakerWorld{ubm: randGMM(r, C, D, 2.5), r: r}
	mk := func(k int, sc float64) [][]float64 {
		m := make([][]float64, k)
		for i := range m {
			m[i] = make([]float64, C*D)
			for j := range m[i] {
				m[i][j] = sc * r.NormFloat64() * math.Sqrt(w.ubm.Vars[j])
			}
		}
		return m
	}
	w.v = mk(rank, spkScale)
	w.u = mk(2, chScale)
	for s := 0; s < nSpk; s++ {
		off := make([]float64, C*D)
		for k := range w.v {
			y := r.NormFloat64()
			axpy(y, w.v[k], off)
		}
		w.speakers = append(w.speakers, off)
	}
	return w
}

// utterance samples n frames of speaker s with a random channel offset.
func (w *speakerWorld) utterance(s, n int) [][]float32 {
	off := append([]float64(nil), w.speakers[s]...)
	for k := range w.u {
		axpy(w.r.NormFloat64(), w.u[k], off)
	}
	return sampleGMM(w.r, w.ubm, off, n)
}
