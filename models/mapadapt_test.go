package models

import (
	"math"
	"slices"
	"testing"
)

func TestMAPAdaptMeansLimits(t *testing.T) {
	r := newRand(7)
	ubm := randGMM(r, 8, 3, 2)
	s := NewStats(8, 3)
	ubm.AccumulateUtterance(s, sampleGMM(r, ubm, nil, 300), ubm.NewScratch(8, 0))
	inf, err := MAPAdaptMeans(ubm, s, math.Inf(1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(inf.Means, ubm.Means) {
		t.Fatal("relevance +Inf must return the UBM means")
	}
	// Large relevance approaches the UBM continuously.
	big, _ := MAPAdaptMeans(ubm, s, 1e12)
	for i := range big.Means {
		if math.Abs(big.Means[i]-ubm.Means[i]) > 1e-8 {
			t.Fatal("relevance 1e12 far from UBM")
		}
	}
	ml, _ := MAPAdaptMeans(ubm, s, 0)
	for c := 0; c < 8; c++ {
		for d := 0; d < 3; d++ {
			if s.N[c] > 1e-6 && math.Abs(ml.Means[c*3+d]-s.F[c*3+d]/s.N[c]) > 1e-9 {
				t.Fatal("relevance 0 must give ML means")
			}
		}
	}
	// Hand-worked single component: N=4, F=8 (mean 2), μ=0, r=4 → μ' = 8/8 = 1.
	one := &GMM{C: 1, D: 1, Weights: []float64{1}, Means: []float64{0}, Vars: []float64{1}}
	_ = one.Precompute()
	st := &Stats{C: 1, D: 1, N: []float64{4}, F: []float64{8}}
	a, _ := MAPAdaptMeans(one, st, 4)
	if math.Abs(a.Means[0]-1) > 1e-15 {
		t.Fatalf("got %v want 1", a.Means[0])
	}
	if _, err := MAPAdaptMeans(one, st, -1); err == nil {
		t.Fatal("negative relevance accepted")
	}
}

func TestGMMUBMScoringSeparatesSpeakers(t *testing.T) {
	w := newSpeakerWorld(8, 32, 8, 10, 12, 0.5, 0.1)
	ubm := w.ubm
	sc := ubm.NewScratch(5, 0)
	var tar, non, star, snon []float64
	for s := range w.speakers {
		st := NewStats(32, 8)
		ubm.AccumulateUtterance(st, w.utterance(s, 1000), sc)
		spk, err := MAPAdaptMeans(ubm, st, 16)
		if err != nil {
			t.Fatal(err)
		}
		for u := range w.speakers {
			utt := w.utterance(u, 300)
			score := ScoreGMMUBM(ubm, spk, utt, sc)
			ts := NewStats(32, 8)
			ubm.AccumulateUtterance(ts, utt, sc)
			fast := StatsGMMUBMScore(ubm, spk, ts)
			if u == s {
				tar, star = append(tar, score), append(star, fast)
			} else {
				non, snon = append(non, score), append(snon, fast)
			}
		}
	}
	if e := simpleEER(tar, non); e > 0.05 {
		t.Fatalf("GMM-UBM EER %.3f", e)
	} else {
		t.Logf("GMM-UBM synthetic EER %.4f", e)
	}
	if e := simpleEER(star, snon); e > 0.05 {
		t.Fatalf("stats-only GMM-UBM EER %.3f", e)
	} else {
		t.Logf("stats-only GMM-UBM synthetic EER %.4f", e)
	}
	// The UBM against itself scores exactly zero.
	if v := ScoreGMMUBM(ubm, ubm, w.utterance(0, 50), sc); math.Abs(v) > 1e-12 {
		t.Fatalf("UBM vs itself %v", v)
	}
}

// simpleEER is a brute-force equal error rate for tests: min over thresholds of max(Pmiss, Pfa).
func simpleEER(tar, non []float64) float64 {
	best := 1.0
	ths := append(append([]float64{}, tar...), non...)
	for _, th := range ths {
		miss, fa := 0, 0
		for _, v := range tar {
			if v < th {
				miss++
			}
		}
		for _, v := range non {
			if v >= th {
				fa++
			}
		}
		e := math.Max(float64(miss)/float64(len(tar)), float64(fa)/float64(len(non)))
		best = math.Min(best, e)
	}
	return best
}
