package models

import (
	"math"
	"slices"
)

// CohortMoments are the mean and standard deviation of the top-N scores of
// one side (enrollment or test) against an impostor cohort.
type CohortMoments struct{ Mean, Std float64 }

// TopNMoments returns the mean and standard deviation of the topN largest
// values of scores (all of them if topN ≤ 0 or ≥ len(scores)). scores is
// reordered in place; it does not allocate. A zero standard deviation is
// reported as 1 so that normalisation never divides by zero.
func TopNMoments(scores []float64, topN int) CohortMoments {
	if len(scores) == 0 {
		return CohortMoments{0, 1}
	}
	if topN <= 0 || topN > len(scores) {
		topN = len(scores)
	}
	if topN < len(scores) {
		sortTopDescending(scores, topN)
	}
	return momentsOf(scores[:topN])
}

// momentsOf is the mean and standard deviation (1 when 0) of top, summed in its order.
func momentsOf(top []float64) CohortMoments {
	m := 0.0
	for _, v := range top {
		m += v
	}
	m /= float64(len(top))
	v := 0.0
	for _, s := range top {
		v += (s - m) * (s - m)
	}
	sd := math.Sqrt(v / float64(len(top)))
	if sd == 0 {
		sd = 1
	}
	return CohortMoments{m, sd}
}

// ASNorm returns the adaptive symmetric normalisation (Matějka et al. 2017)
// of raw score s given the enrollment side's and the test side's top-N
// cohort moments:
//
//	s' = ½ [(s − μ_e)/σ_e + (s − μ_t)/σ_t].
func ASNorm(s float64, enroll, test CohortMoments) float64 {
	return 0.5 * ((s-enroll.Mean)/enroll.Std + (s-test.Mean)/test.Std)
}

// LeaveOneOut summarises one side's scores against a cohort that includes the other sides of its
// trials (the run's enrolled models), so that the top-N moments with any one member left out —
// the trial's own model — come in constant time: only the top N+1 scores matter (the top N of
// the rest are those N+1 without the member left out if it is among them, else without the
// smallest), kept as their count, their smallest and the sums of their deviations from their
// mean. The zero value stands for an empty cohort.
type LeaveOneOut struct {
	n       int     // scores kept: the top N+1, or all when there are no more
	all     bool    // the kept scores are all of them
	last    float64 // smallest kept score
	c, s, q float64 // shift (their mean), Σ(x − c), Σ(x − c)²
}

// NewLeaveOneOut summarises scores (reordered in place) for top-N moments, topN as for
// TopNMoments.
func NewLeaveOneOut(scores []float64, topN int) LeaveOneOut {
	if len(scores) == 0 {
		return LeaveOneOut{}
	}
	l := LeaveOneOut{n: len(scores), all: true}
	if topN > 0 && topN+1 < len(scores) {
		sortDescending(scores)
		l.n, l.all = topN+1, false
	}
	kept := scores[:l.n]
	l.last = kept[0]
	for _, x := range kept {
		l.c += x
		l.last = min(l.last, x)
	}
	l.c /= float64(l.n)
	for _, x := range kept {
		l.s += x - l.c
		l.q += (x - l.c) * (x - l.c)
	}
	return l
}

// Without returns the TopNMoments of the summarised scores with one occurrence of x, which must
// be one of them, left out.
func (l LeaveOneOut) Without(x float64) CohortMoments {
	if l.n <= 1 {
		return CohortMoments{0, 1}
	}
	if !l.all && x < l.last {
		x = l.last // x is not among the top N+1: the top N of the rest drop the smallest instead
	}
	n := float64(l.n - 1)
	s := (l.s - (x - l.c)) / n
	v := (l.q-(x-l.c)*(x-l.c))/n - s*s
	sd := math.Sqrt(max(v, 0))
	if sd == 0 {
		sd = 1
	}
	return CohortMoments{l.c + s, sd}
}

// sortTopDescending leaves the n largest scores in scores[:n], sorted descending, exactly as
// sortDescending leaves them there (the rest in no particular order): a partition around median-
// of-three pivots brings the n largest to the front in O(len) and only they are sorted — a
// sixth of the work of sorting a 600-speaker cohort for its top 200, with the same sums. A NaN
// anywhere falls back to the full sort.
func sortTopDescending(scores []float64, n int) {
	for _, v := range scores {
		if v != v {
			sortDescending(scores)
			return
		}
	}
	lo, hi := 0, len(scores)
	for hi-lo > 1 {
		a, b, c := scores[lo], scores[lo+(hi-lo)/2], scores[hi-1]
		p := max(min(a, b), min(max(a, b), c)) // median of the three
		// Three-way partition of [lo, hi): above p, equal to p, below p.
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch v := scores[i]; {
			case v > p:
				scores[lt], scores[i] = v, scores[lt]
				lt++
				i++
			case v < p:
				gt--
				scores[gt], scores[i] = v, scores[gt]
			default:
				i++
			}
		}
		switch {
		case n < lt:
			hi = lt
		case n <= gt:
			lo = hi // the first n are the n largest (ties are interchangeable)
		default:
			lo = gt
		}
	}
	top := scores[:n]
	slices.Sort(top)
	slices.Reverse(top)
}

// sortDescending sorts scores from largest to smallest, in place.
func sortDescending(scores []float64) {
	slices.SortFunc(scores, func(a, b float64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
}
