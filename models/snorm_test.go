package models

import (
	"math"
	"slices"
	"testing"
)

// sortTopDescending leaves the same first n values, in the same order, as the full descending
// sort — so TopNMoments' sums are unchanged bit for bit — for random scores, many ties, sorted
// and reversed input, every n; and NaN takes the full sort.
func TestSortTopDescending(t *testing.T) {
	r := newRand(41)
	for trial := range 3000 {
		m := 1 + r.IntN(700)
		s := make([]float64, m)
		for i := range s {
			switch trial % 4 {
			case 0:
				s[i] = r.NormFloat64()
			case 1:
				s[i] = float64(r.IntN(7)) // many ties
			case 2:
				s[i] = float64(i) // ascending
			case 3:
				s[i] = float64(m - i) // descending
			}
		}
		n := 1 + r.IntN(m)
		want := slices.Clone(s)
		sortDescending(want)
		got := slices.Clone(s)
		sortTopDescending(got, n)
		if !slices.Equal(got[:n], want[:n]) {
			t.Fatalf("trial %d (m=%d n=%d): top %v, want %v", trial, m, n, got[:n], want[:n])
		}
		all := slices.Clone(got)
		slices.Sort(all)
		ref := slices.Clone(s)
		slices.Sort(ref)
		if !slices.Equal(all, ref) {
			t.Fatalf("trial %d: the scores are not a permutation of the input", trial)
		}
		if a, b := TopNMoments(slices.Clone(s), n), topNMomentsFullSort(slices.Clone(s), n); a != b {
			t.Fatalf("trial %d: moments %v, with the full sort %v", trial, a, b)
		}
	}
	s := []float64{3, math.NaN(), 1, 2}
	sortTopDescending(s, 2)
	if s[0] != 3 && !math.IsNaN(s[0]) {
		t.Errorf("NaN input: %v", s)
	}
}

// topNMomentsFullSort is TopNMoments as it was: the whole slice sorted.
func topNMomentsFullSort(scores []float64, topN int) CohortMoments {
	if topN < len(scores) {
		sortDescending(scores)
	}
	return momentsOf(scores[:topN])
}
