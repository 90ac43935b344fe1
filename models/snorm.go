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
	top := scores[:topN]
	m := 0.0
	for _, v := range top {
		m += v
	}
	m /= float64(topN)
	v := 0.0
	for _, s := range top {
		v += (s - m) * (s - m)
	}
	sd := math.Sqrt(v / float64(topN))
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
