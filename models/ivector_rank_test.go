package models

import (
	"bytes"
	"math"
	"strconv"
	"testing"
)

// TestIVectorPrecisionRank: the low-rank precision keeps the stated share of the packed
// T_cᵀT_c matrices' energy (growing with K, all of it once K reaches their rank), reproduces
// exact extraction at full rank, stays close at lower ranks, is used by batch extraction too,
// and comes from the bundle metadata when a bundle is read.
func TestIVectorPrecisionRank(t *testing.T) {
	exactExtraction(t)
	const C, D, R = 24, 4, 4 // P = R(R+1)/2 = 10: U (24 × 10) has rank at most 10
	r := newRand(31)
	ubm := randGMM(r, C, D, 1.5)
	var stats []*Stats
	for i := 0; i < 20; i++ {
		stats = append(stats, statsOf(ubm, sampleGMM(r, ubm, nil, 30+10*i), 3))
	}
	exact, err := InitIVectorExtractor(ubm, R, 4)
	if err != nil {
		t.Fatal(err)
	}
	extract := func(e *IVectorExtractor) [][]float64 {
		ws := e.NewScratch()
		out := make([][]float64, len(stats))
		for i, s := range stats {
			out[i] = make([]float64, R)
			if err := e.Extract(s, out[i], ws); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	want := extract(exact)
	prevKept := 0.0
	for _, tc := range []struct {
		K        int
		maxRel   float64 // largest |Δw| / |w| over the utterances
		fullKept bool
	}{
		{1, 0.5, false}, {3, 0.2, false}, {10, 1e-4, true}, {16, 1e-4, true}, {C, 1e-9, true}, {0, 1e-9, true},
	} {
		e, _ := InitIVectorExtractor(ubm, R, 4)
		kept, err := e.SetPrecisionRank(tc.K)
		if err != nil {
			t.Fatal(err)
		}
		if tc.K > 0 && tc.K < C && kept < prevKept-1e-12 {
			t.Errorf("K=%d keeps %v, less than a smaller rank's %v", tc.K, kept, prevKept)
		}
		prevKept = kept
		if tc.fullKept != (kept > 1-1e-9) {
			t.Errorf("K=%d keeps %v of the energy", tc.K, kept)
		}
		got := extract(e)
		worst := 0.0
		for i := range got {
			var num, den float64
			for k := range got[i] {
				num += (got[i][k] - want[i][k]) * (got[i][k] - want[i][k])
				den += want[i][k] * want[i][k]
			}
			worst = max(worst, math.Sqrt(num/den))
		}
		t.Logf("K=%d keeps %.4f of the energy; relative i-vector error up to %.3g", tc.K, kept, worst)
		if worst > tc.maxRel {
			t.Errorf("K=%d: relative i-vector error up to %.3g, want <= %g", tc.K, worst, tc.maxRel)
		}
		// Batch extraction uses the same precision.
		all, err := e.ExtractAll(stats, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i := range all {
			for k := range all[i] {
				if math.Abs(all[i][k]-got[i][k]) > 1e-4*math.Max(1, math.Abs(got[i][k])) {
					t.Fatalf("K=%d utt %d: batch %v single %v", tc.K, i, all[i][k], got[i][k])
				}
			}
		}
		ws := e.NewScratch()
		if a := testing.AllocsPerRun(3, func() { _ = e.Extract(stats[0], got[0], ws) }); a != 0 {
			t.Errorf("K=%d: extraction allocates %v times", tc.K, a)
		}
	}

	// From the metadata of a bundle, when it is read; bad values refused.
	b := fullBundle(t)
	for _, tc := range []struct {
		v  string
		ok bool
	}{{"2", true}, {strconv.Itoa(b.Extractor.C), true}, {"0", false}, {"x", false}, {strconv.Itoa(b.Extractor.C + 1), false}} {
		b.Meta.Extra = map[string]string{PrecisionRankKey: tc.v}
		got, err := ReadBundle(bytes.NewReader(encode(t, b)), nil)
		if (err == nil) != tc.ok {
			t.Fatalf("%s=%q: err %v", PrecisionRankKey, tc.v, err)
		}
		if tc.ok {
			if k, _ := strconv.Atoi(tc.v); k < got.Extractor.C && got.Extractor.PrecisionRank() != k {
				t.Errorf("%s=%q: rank %d after reading", PrecisionRankKey, tc.v, got.Extractor.PrecisionRank())
			}
		}
	}
}

// TestTestVectorFromExtraction: the GMM linear test vector taken from the whitened centred
// statistics an extraction leaves in its scratch equals the one computed from the statistics.
func TestTestVectorFromExtraction(t *testing.T) {
	r := newRand(41)
	ubm := randGMM(r, 16, 5, 1.5)
	e, err := InitIVectorExtractor(ubm, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	ws := e.NewScratch()
	out := make([]float64, 4)
	for _, frames := range []int{0, 3, 200} {
		s := statsOf(ubm, sampleGMM(r, ubm, nil, frames), 3)
		if err := e.Extract(s, out, ws); err != nil {
			t.Fatal(err)
		}
		got, want := testVector32(s.N, ws.f32), TestVector(s.N, WhitenedCentred(ubm, s))
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-6*math.Max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("%d frames, element %d: %v, want %v", frames, i, got[i], want[i])
			}
		}
	}
}

// TestLowRankPrecisionFallback: a rank-K data term is not always positive semi-definite (beyond
// the first, the leading eigenvectors mix signs); on statistics whose occupancy sits on one
// component it can make the precision indefinite. Extraction then falls back to the exact
// precision instead of failing (a live call must still be assessed), in Extract and ExtractBatch.
func TestLowRankPrecisionFallback(t *testing.T) {
	r := newRand(43)
	ubm := randGMM(r, 16, 5, 1.5)
	exact, err := InitIVectorExtractor(ubm, 4, 7)
	if err != nil {
		t.Fatal(err)
	}
	wsx := exact.NewScratch()
	got, want := make([]float64, 4), make([]float64, 4)
	fellBack := 0
	for K := 2; K <= 6; K++ {
		low, err := InitIVectorExtractor(ubm, 4, 7)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := low.SetPrecisionRank(K); err != nil {
			t.Fatal(err)
		}
		ws := low.NewScratch()
		var stats []*Stats
		for c := range ubm.C {
			s := NewStats(ubm.C, ubm.D)
			s.N[c] = 1e6 // all the occupancy on component c
			for d := range ubm.D {
				s.F[c*ubm.D+d] = s.N[c] * (ubm.Means[c*ubm.D+d] + 0.3*float64(d+1))
			}
			stats = append(stats, s)
			if err := low.Extract(s, got, ws); err != nil {
				t.Fatalf("K=%d, component %d: %v", K, c, err)
			}
			if err := exact.Extract(s, want, wsx); err != nil {
				t.Fatal(err)
			}
			same := true
			for k := range want {
				same = same && math.Abs(got[k]-want[k]) <= 1e-6*math.Max(1, math.Abs(want[k]))
			}
			if same {
				fellBack++
			}
		}
		if _, err := low.ExtractAll(stats, 1); err != nil {
			t.Fatalf("K=%d, batch extraction: %v", K, err)
		}
	}
	if fellBack == 0 {
		t.Fatal("no statistics made a low-rank precision indefinite: the test does not reach the fallback")
	}
	t.Logf("%d of %d single-component statistics fell back to the exact precision", fellBack, 5*ubm.C)
}
