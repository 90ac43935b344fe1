// Package metrics computes speaker-verification evaluation measures from
// target and non-target trial scores: equal error rate (on the ROC convex
// hull), minimum and actual normalised detection cost, Cllr and minCllr
// (via pool-adjacent-violators), and DET curve points. Decisions accept a
// trial when its score is ≥ the threshold. Scores passed to the "actual"
// measures (ActDCF, Cllr) must be natural-log likelihood ratios.
// Everything is a pure function of []float64 inputs, which are not modified.
package metrics

import (
	"math"
	"slices"
)

// Point is one operating point: accepting scores ≥ Threshold gives miss
// (false-reject) rate PMiss and false-alarm (false-accept) rate PFA.
type Point struct {
	Threshold, PMiss, PFA float64
}

// DET returns the operating points at every distinct score, in increasing
// threshold order, followed by the reject-all point (Threshold +Inf,
// PMiss 1, PFA 0). The first point accepts everything (PMiss 0, PFA 1).
// Plotting on probit axes is the caller's job.
func DET(tar, non []float64) []Point {
	t, n := sorted(tar), sorted(non)
	var pts []Point
	i, j := 0, 0 // tar[:i] < thr, non[:j] < thr
	for i < len(t) || j < len(n) {
		thr := math.Inf(1)
		if i < len(t) {
			thr = t[i]
		}
		if j < len(n) && n[j] < thr {
			thr = n[j]
		}
		pts = append(pts, Point{thr, frac(i, len(t)), frac(len(n)-j, len(n))})
		for i < len(t) && t[i] == thr {
			i++
		}
		for j < len(n) && n[j] == thr {
			j++
		}
	}
	return append(pts, Point{math.Inf(1), 1, 0})
}

// MinDCF returns the minimum over thresholds of the normalised detection cost
//
//	DCF(θ) = [P_tar C_miss P_miss(θ) + (1−P_tar) C_fa P_fa(θ)] / min(P_tar C_miss, (1−P_tar) C_fa)
//
// and the threshold achieving it (the lowest such threshold; +Inf means reject all).
func MinDCF(tar, non []float64, pTarget, cMiss, cFA float64) (dcf, threshold float64) {
	norm := math.Min(pTarget*cMiss, (1-pTarget)*cFA)
	dcf = math.Inf(1)
	for _, p := range DET(tar, non) {
		if c := (pTarget*cMiss*p.PMiss + (1-pTarget)*cFA*p.PFA) / norm; c < dcf {
			dcf, threshold = c, p.Threshold
		}
	}
	return dcf, threshold
}

// BayesThreshold returns the Bayes decision threshold on a log-likelihood
// ratio for the given prior and costs: θ = log((1−P_tar)C_fa / (P_tar C_miss)).
func BayesThreshold(pTarget, cMiss, cFA float64) float64 {
	return math.Log((1 - pTarget) * cFA / (pTarget * cMiss))
}

// ActDCF returns the normalised detection cost of deciding on LLR scores at
// the Bayes threshold (accept when llr ≥ BayesThreshold).
func ActDCF(tarLLR, nonLLR []float64, pTarget, cMiss, cFA float64) float64 {
	th := BayesThreshold(pTarget, cMiss, cFA)
	miss, fa := 0, 0
	for _, v := range tarLLR {
		if v < th {
			miss++
		}
	}
	for _, v := range nonLLR {
		if v >= th {
			fa++
		}
	}
	norm := math.Min(pTarget*cMiss, (1-pTarget)*cFA)
	return (pTarget*cMiss*frac(miss, len(tarLLR)) + (1-pTarget)*cFA*frac(fa, len(nonLLR))) / norm
}

// Cllr returns the log-likelihood-ratio cost (Brümmer & du Preez 2006), in bits:
//
//	Cllr = 1/(2 ln 2) · [mean_tar log(1+e^{−llr}) + mean_non log(1+e^{llr})].
//
// 1 is the cost of the uninformative system (all LLRs 0); 0 is perfect.
func Cllr(tarLLR, nonLLR []float64) float64 {
	t, n := 0.0, 0.0
	for _, v := range tarLLR {
		t += softplus(-v)
	}
	for _, v := range nonLLR {
		n += softplus(v)
	}
	return (t/float64(len(tarLLR)) + n/float64(len(nonLLR))) / (2 * math.Ln2)
}

// BestOffset returns the offset b, in nats, that minimises the Cllr of the LLRs shifted by it
// (tarLLR + b, nonLLR + b), and that Cllr in bits: how far a set of LLRs sits from calibrated
// by a constant (b < 0: the LLRs run high). Cllr is convex in b; its derivative,
// mean_non σ(s + b) − mean_tar σ(−s − b), rises from −1 to 1, and its root is found by
// bisection. NaN and NaN without targets or non-targets.
func BestOffset(tarLLR, nonLLR []float64) (b, cllr float64) {
	if len(tarLLR) == 0 || len(nonLLR) == 0 {
		return math.NaN(), math.NaN()
	}
	grad := func(b float64) float64 {
		t, n := 0.0, 0.0
		for _, v := range tarLLR {
			t += sigmoid(-v - b)
		}
		for _, v := range nonLLR {
			n += sigmoid(v + b)
		}
		return n/float64(len(nonLLR)) - t/float64(len(tarLLR))
	}
	lo, hi := -1.0, 1.0
	for grad(lo) > 0 && lo > -1e6 {
		lo *= 2
	}
	for grad(hi) < 0 && hi < 1e6 {
		hi *= 2
	}
	for range 200 {
		mid := (lo + hi) / 2
		if mid == lo || mid == hi {
			break
		}
		if grad(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	b = (lo + hi) / 2
	t, n := make([]float64, len(tarLLR)), make([]float64, len(nonLLR))
	for i, v := range tarLLR {
		t[i] = v + b
	}
	for i, v := range nonLLR {
		n[i] = v + b
	}
	return b, Cllr(t, n)
}

// sigmoid is 1 / (1 + e^{−x}), without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// MinCllr returns the Cllr of the optimally calibrated scores: the scores are
// mapped by the monotone (isotonic) transform found by pool-adjacent-violators
// to posteriors, converted to LLRs by subtracting the empirical prior log odds
// log(N_tar/N_non), and scored with Cllr. MinCllr ≤ Cllr of any monotone
// recalibration; Cllr − MinCllr is the calibration loss.
func MinCllr(tar, non []float64) float64 {
	labels, post, _ := pav(tar, non)
	prior := math.Log(float64(len(tar)) / float64(len(non)))
	var tl, nl []float64
	for i, p := range post {
		llr := logit(p) - prior
		if labels[i] {
			tl = append(tl, llr)
		} else {
			nl = append(nl, llr)
		}
	}
	return Cllr(tl, nl)
}

// ROCCH returns the vertices of the ROC convex hull as (PFA, PMiss) points
// from (1, 0) to (0, 1), computed with pool-adjacent-violators (thresholds are
// not meaningful on the hull and are set to NaN).
func ROCCH(tar, non []float64) []Point {
	labels, _, width := pav(tar, non)
	nt, nn := len(tar), len(non)
	pts := []Point{{math.NaN(), 0, 1}}
	left, miss := 0, 0
	for _, w := range width {
		for _, l := range labels[left : left+w] {
			if l {
				miss++
			}
		}
		left += w
		fa := nn - (left - miss)
		pts = append(pts, Point{math.NaN(), frac(miss, nt), frac(fa, nn)})
	}
	return pts
}

// EER returns the equal error rate on the ROC convex hull (as BOSARIS
// rocch2eer): the rate at which the hull crosses P_miss = P_fa.
func EER(tar, non []float64) float64 {
	pts := ROCCH(tar, non)
	eer := 0.0
	for i := 0; i+1 < len(pts); i++ {
		x1, y1, x2, y2 := pts[i].PFA, pts[i].PMiss, pts[i+1].PFA, pts[i+1].PMiss
		dx, dy := x1-x2, y1-y2
		if dx == 0 || dy == 0 {
			continue
		}
		// Line a·x + b·y = 1 through both points; it meets x = y at 1/(a+b).
		det := x1*y2 - x2*y1
		if det == 0 {
			continue // segment through the origin: crossing at 0
		}
		a, b := (y2-y1)/det, (x1-x2)/det
		if e := 1 / (a + b); e > eer {
			eer = e
		}
	}
	return eer
}

// ThresholdAtFAR returns the lowest threshold whose false-accept rate on the
// non-target scores is ≤ far (accepting scores ≥ threshold); −Inf if far ≥ 1.
func ThresholdAtFAR(non []float64, far float64) float64 {
	if far >= 1 || len(non) == 0 {
		return math.Inf(-1)
	}
	n := sorted(non)
	slices.Reverse(n)
	k := int(math.Floor(far * float64(len(n)))) // at most k accepted non-targets
	if k < 0 {
		k = 0
	}
	// Accept only scores strictly above n[k]; ties with n[k] must be rejected.
	return math.Nextafter(n[k], math.Inf(1))
}

// Summary is the standard report of an evaluation.
type Summary struct {
	Targets    int     `json:"targets"`
	NonTargets int     `json:"nontargets"`
	EER        float64 `json:"eer"`         // fraction, on the ROC convex hull
	MinDCF01   float64 `json:"min_dcf_01"`  // normalised minDCF at P_tar 0.01 (C_miss = C_fa = 1)
	MinDCF001  float64 `json:"min_dcf_001"` // normalised minDCF at P_tar 0.001
	ActDCF01   float64 `json:"act_dcf_01"`  // normalised actual DCF at the Bayes threshold, P_tar 0.01 (scores as LLRs)
	ActDCF001  float64 `json:"act_dcf_001"` // same at P_tar 0.001
	Cllr       float64 `json:"cllr"`        // bits
	MinCllr    float64 `json:"min_cllr"`    // bits
	// BestOffset (nats) and OffsetCllr (bits): the constant that, added to every LLR, would
	// minimise Cllr, and that Cllr (BestOffset); between MinCllr and Cllr.
	BestOffset float64 `json:"best_offset"`
	OffsetCllr float64 `json:"offset_cllr"`
}

// Evaluate computes a Summary; tar and non are interpreted as LLRs for the
// actual-cost measures.
func Evaluate(tar, non []float64) Summary {
	s := Summary{Targets: len(tar), NonTargets: len(non)}
	if len(tar) == 0 || len(non) == 0 {
		return s
	}
	s.EER = EER(tar, non)
	s.MinDCF01, _ = MinDCF(tar, non, 0.01, 1, 1)
	s.MinDCF001, _ = MinDCF(tar, non, 0.001, 1, 1)
	s.ActDCF01 = ActDCF(tar, non, 0.01, 1, 1)
	s.ActDCF001 = ActDCF(tar, non, 0.001, 1, 1)
	s.Cllr = Cllr(tar, non)
	s.MinCllr = MinCllr(tar, non)
	s.BestOffset, s.OffsetCllr = BestOffset(tar, non)
	return s
}

// pav sorts all trials by score (ties: targets first, so that tied trials
// are pooled pessimistically) and fits the isotonic (non-decreasing) regression
// of the target indicator. It returns the sorted labels, the fitted
// posterior for each sorted trial, and the widths of the pooled blocks.
func pav(tar, non []float64) (labels []bool, post []float64, width []int) {
	type trial struct {
		s   float64
		tar bool
	}
	tr := make([]trial, 0, len(tar)+len(non))
	for _, v := range tar {
		tr = append(tr, trial{v, true})
	}
	for _, v := range non {
		tr = append(tr, trial{v, false})
	}
	slices.SortStableFunc(tr, func(a, b trial) int {
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	})
	labels = make([]bool, len(tr))
	var val []float64
	for i, t := range tr {
		labels[i] = t.tar
		y := 0.0
		if t.tar {
			y = 1
		}
		val, width = append(val, y), append(width, 1)
		for k := len(val) - 1; k > 0 && val[k-1] >= val[k]; k = len(val) - 1 {
			w := width[k-1] + width[k]
			val[k-1] = (val[k-1]*float64(width[k-1]) + val[k]*float64(width[k])) / float64(w)
			width[k-1] = w
			val, width = val[:k], width[:k]
		}
	}
	post = make([]float64, 0, len(tr))
	for k, v := range val {
		for i := 0; i < width[k]; i++ {
			post = append(post, v)
		}
	}
	return labels, post, width
}

func sorted(v []float64) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func logit(p float64) float64 {
	switch p {
	case 0:
		return math.Inf(-1)
	case 1:
		return math.Inf(1)
	}
	return math.Log(p / (1 - p))
}

func softplus(x float64) float64 {
	if math.IsInf(x, -1) {
		return 0
	}
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
