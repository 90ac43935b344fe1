package models

import (
	"fmt"
	"math"
)

// MAPAdaptMeans returns a copy of ubm whose means are maximum-a-posteriori
// adapted to the statistics s with relevance factor r ≥ 0 (Reynolds et al. 2000):
//
//	α_c = N_c / (N_c + r),   μ'_c = μ_c + (F_c − N_c μ_c) / (N_c + r)
//	                            = α_c · F_c/N_c + (1 − α_c) · μ_c.
//
// Weights and variances are kept. r = +Inf returns the UBM means exactly;
// r = 0 gives the maximum-likelihood means F_c/N_c wherever N_c > 0.
// Typical r is 16.
func MAPAdaptMeans(ubm *GMM, s *Stats, r float64) (*GMM, error) {
	if s.C != ubm.C || s.D != ubm.D {
		return nil, fmt.Errorf("models: stats %dx%d do not match UBM %dx%d", s.C, s.D, ubm.C, ubm.D)
	}
	if !(r >= 0) {
		return nil, fmt.Errorf("models: relevance factor %v must be ≥ 0", r)
	}
	g := ubm.Clone()
	D := ubm.D
	for c := 0; c < ubm.C; c++ {
		den := s.N[c] + r
		if den == 0 || math.IsInf(den, 1) {
			continue
		}
		for d := 0; d < D; d++ {
			i := c*D + d
			g.Means[i] += (s.F[i] - s.N[c]*ubm.Means[i]) / den
		}
	}
	if err := g.Precompute(); err != nil {
		return nil, err
	}
	return g, nil
}

// FrameLLR returns the GMM-UBM log-likelihood ratio of one frame,
// log p(x | spk) − log p(x | ubm), where both mixtures are evaluated on the
// UBM's top-C components for x (the standard fast approximation). spk must
// have the UBM's shape (e.g. from MAPAdaptMeans). It does not allocate.
func FrameLLR(ubm, spk *GMM, x []float32, sc *Scratch) float64 {
	if math.IsInf(ubm.Select(x, sc), -1) {
		return 0
	}
	D := spk.D
	xx := sc.xx[:2*D]
	// Re-evaluate both mixtures on the selected components with the same
	// arithmetic, so that spk == ubm gives exactly 0.
	mu, ms := math.Inf(-1), math.Inf(-1)
	for i := 0; i < sc.n; i++ {
		c := int(sc.idx[i])
		lu := float64(ubm.gconst3[c] + dot(xx, ubm.coef32[c*2*D:(c+1)*2*D]))
		ls := float64(spk.gconst3[c] + dot(xx, spk.coef32[c*2*D:(c+1)*2*D]))
		sc.top[i], sc.post[i] = lu, ls // reuse as scratch; not needed afterwards
		mu, ms = math.Max(mu, lu), math.Max(ms, ls)
	}
	su, ss := 0.0, 0.0
	for i := 0; i < sc.n; i++ {
		su += math.Exp(sc.top[i] - mu)
		ss += math.Exp(sc.post[i] - ms)
	}
	return (ms + math.Log(ss)) - (mu + math.Log(su))
}

// ScoreGMMUBM returns the GMM-UBM verification score of an utterance: the
// average over its frames of FrameLLR (nats per frame). It is 0 for an empty
// utterance.
func ScoreGMMUBM(ubm, spk *GMM, utt [][]float32, sc *Scratch) float64 {
	if len(utt) == 0 {
		return 0
	}
	t := 0.0
	for _, x := range utt {
		t += FrameLLR(ubm, spk, x, sc)
	}
	return t / float64(len(utt))
}

// StatsGMMUBMScore approximates ScoreGMMUBM from the test utterance's
// statistics alone (no frames), so that a live call can be scored from the
// constant-size statistics it accumulates. Holding the UBM posteriors fixed,
// the per-frame LLR of a mean-adapted model spk is
//
//	(1/T) Σ_c Σ_d [ δ_cd (F_cd − N_c μ_cd) − ½ N_c δ_cd² σ²_cd ],   δ = (μ'−μ)/σ²,
//
// with T = Σ_c N_c (Glembek et al. 2009 keep only the first term: "linear
// scoring"). It returns 0 for empty statistics.
func StatsGMMUBMScore(ubm, spk *GMM, test *Stats) float64 {
	T := test.Frames()
	if T == 0 {
		return 0
	}
	D := ubm.D
	s := 0.0
	for c := 0; c < ubm.C; c++ {
		n := test.N[c]
		if n == 0 {
			continue
		}
		for d := 0; d < D; d++ {
			i := c*D + d
			v := ubm.Vars[i]
			diff := spk.Means[i] - ubm.Means[i]
			s += diff/v*(test.F[i]-n*ubm.Means[i]) - 0.5*n*diff*diff/v
		}
	}
	return s / T
}
