package recipe

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// trainBackend fits LDA, length normalisation and PLDA on labelled i-vectors.
func (c *TrainConfig) trainBackend(x [][]float64, labels []int, nSpk int) (*models.Affine, *models.PLDA, error) {
	dim := min(c.LDADim, nSpk-1, len(x[0]))
	lda, err := models.TrainLDA(x, labels, dim)
	if err != nil {
		return nil, nil, fmt.Errorf("LDA: %w", err)
	}
	if c.WhitenLDA {
		whitenAffine(lda, x)
	}
	y := make([][]float64, len(x))
	for i, v := range x {
		y[i] = models.LengthNorm(lda.Apply(nil, v))
	}
	plda, err := models.TrainPLDA(y, labels, c.PLDAIters)
	if err != nil {
		return nil, nil, fmt.Errorf("PLDA: %w", err)
	}
	return lda, plda, nil
}

// cohortOf picks up to n training i-vectors spread evenly over the list, in PLDA u-space.
func cohortOf(lda *models.Affine, plda *models.PLDA, x [][]float64, n int) [][]float64 {
	step := max(1, len(x)/n)
	var out [][]float64
	for i := 0; i < len(x) && len(out) < n; i += step {
		out = append(out, plda.Transform(nil, models.LengthNorm(lda.Apply(nil, x[i]))))
	}
	return out
}

// original reports whether an utterance comes from an un-augmented corpus folder: derived copies
// carry a "~" in their file names — "~aug" for degraded channels (bench/trials/make_augmented.py),
// "~sp" for speed-perturbed new speakers (bench/trials/make_speed.py), "~vt" for formant-warped
// ones (bench/trials/make_vtlp.py).
func original(u Utt) bool { return !strings.Contains(u.ID, "~") }

// sourceKey names the original recording u is (or is a copy of: speed-perturbed "~sp",
// degraded "~aug"), unique across speakers.
func sourceKey(u Utt) string {
	id, _, _ := strings.Cut(u.ID, "~")
	return u.SpeakerKey() + "/" + id
}

// enrollStats sums the statistics of a speaker's original recordings, in order, until at least
// frames voiced frames; it returns the sum and the recordings used.
func enrollStats(ubm *models.GMM, stats []*models.Stats, idx []int, frames int) (*models.Stats, map[int]bool) {
	sum := models.NewStats(ubm.C, ubm.D)
	used := map[int]bool{}
	for _, i := range idx {
		if sum.Frames() >= float64(frames) {
			break
		}
		sum.Add(stats[i])
		used[i] = true
	}
	return sum, used
}

// gmmWhitening is the full whitening the GMM scorer uses (GMMFullCov: the extractor's), or nil.
func (c *TrainConfig) gmmWhitening(tv *models.Bundle) []float64 {
	if !c.GMMFullCov || tv.Extractor == nil {
		return nil
	}
	return tv.Extractor.FullWhitening()
}

// gmmCohort builds the GMM scorer's cohort: up to n speakers of spks (spread evenly), each
// represented by its enrollment-sized statistics, whitened by w (nil: the UBM's diagonal).
func (c *TrainConfig) gmmCohort(ubm *models.GMM, ts *trainSet, stats []*models.Stats, spks []int, w []float64) (*models.GMMLinear, error) {
	g := &models.GMMLinear{Relevance: float64(c.Relevance), Quadratic: c.GMMQuadratic, KeepLinear: c.GMMQuadratic && c.GMMKeepLinear,
		FullWhitened: w != nil}
	byspk := map[int][]int{}
	for i, s := range ts.spk {
		if original(ts.utts[i]) {
			byspk[s] = append(byspk[s], i)
		}
	}
	var with []int // speakers with original recordings (perturbed speakers have none)
	for _, s := range spks {
		if len(byspk[s]) > 0 {
			with = append(with, s)
		}
	}
	step := max(1, len(with)/c.GMMCohort)
	for k := 0; k < len(with) && len(g.CohortN) < c.GMMCohort; k += step {
		sum, _ := enrollStats(ubm, stats, byspk[with[k]], c.EnrollFrames)
		g.CohortN = append(g.CohortN, append([]float64(nil), sum.N...))
		g.CohortF = append(g.CohortF, models.WhitenedCentredFull(ubm, w, sum))
	}
	if c.GMMNAP > 0 && hasDegraded(ts) {
		nap, err := c.gmmNAP(ubm, ts, stats, spks, g, w)
		if err != nil {
			return nil, fmt.Errorf("GMM NAP: %w", err)
		}
		g.NAP = nap
	}
	return g, g.Prepare(ubm)
}

// napMaxRecordings caps the recordings (originals and their degraded copies) a NAP basis is
// trained on: memory is 4·C·D bytes each (123 kB at 512 × 60).
const napMaxRecordings = 5000

// gmmNAP trains the GMM scorer's nuisance projection on speakers spks: each of their original
// recordings with at least 2 s of net speech and a degraded copy is a class of its own together
// with its copies, so the within-class scatter is the channel's effect alone (the same words,
// the same speaker). Recordings are spread evenly over the speakers' list up to
// napMaxRecordings.
func (c *TrainConfig) gmmNAP(ubm *models.GMM, ts *trainSet, stats []*models.Stats, spks []int, g *models.GMMLinear, w []float64) ([][]float32, error) {
	in := map[int]bool{}
	for _, s := range spks {
		in[s] = true
	}
	class := map[string][]int{} // speaker + original file name -> recordings
	var keys []string
	for i, u := range ts.utts {
		if !in[ts.spk[i]] || speedCopy(u) || formantCopy(u) || c.outOfBackEnds(u) || stats[i].Frames() < 200 {
			continue
		}
		k := sourceKey(u)
		if class[k] == nil {
			keys = append(keys, k)
		}
		class[k] = append(class[k], i)
	}
	var idx, lab []int
	for ci, k := range keys {
		if len(class[k]) < 2 {
			continue
		}
		for _, i := range class[k] {
			idx, lab = append(idx, i), append(lab, ci)
		}
	}
	if len(idx) == 0 {
		return nil, errors.New("no recording has a degraded copy (\"~aug\") to learn the channel from")
	}
	if len(idx) > napMaxRecordings { // whole classes, spread evenly
		var i2, l2 []int
		keep := float64(napMaxRecordings) / float64(len(idx))
		acc := 0.0
		for j := 0; j < len(idx); {
			e := j
			for e < len(idx) && lab[e] == lab[j] {
				e++
			}
			acc += keep * float64(e-j)
			if acc >= float64(e-j) {
				acc -= float64(e - j)
				i2, l2 = append(i2, idx[j:e]...), append(l2, lab[j:e]...)
			}
			j = e
		}
		idx, lab = i2, l2
	}
	vecs := make([][]float32, len(idx))
	err := Parallel(len(idx), c.workers(), nil, func(_, j int) error {
		s := stats[idx[j]]
		vecs[j] = g.ModelVector(s.N, models.WhitenedCentredFull(ubm, w, s)) // g has no NAP yet
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.logf("GMM NAP: rank %d from %d recordings", c.GMMNAP, len(idx))
	return models.TrainNAP(ubm.Weights, vecs, lab, c.GMMNAP, 4)
}

// backend trains the final LDA/PLDA (and GMM cohort) on every speaker and the calibration on
// held-out folds (CalibrationFolds, default two): for each fold of the speakers, a back end
// trained on the others scores trials among them (20 s and 40 s of net speech and 3 s openings
// as enrollments, against whole recordings, their 0.25 s, 0.5 s, 1 s and 3 s openings and sums
// of ~10 s and ~25 s), with the others as S-norm cohorts; the pooled scores train the
// calibration that fuses the scorers (trainCalibration).
func (c *TrainConfig) backend(tv *models.Bundle, ts *trainSet, stats []*models.Stats, iv [][]float64, ex []excerpt) (*models.Bundle, error) {
	nSpk := len(ts.names)
	var tar, non [][]float64
	var sameSex []bool // per non-target row: not known to be a cross-sex pair
	var keys trialKeys
	dual := c.AltBackend && hasDegraded(ts)
	scorers := 0 // raw scores per trial (the same in every fold)
	folds := c.calibrationFolds()
	calFold := c.calibrationFoldOf(ts)
	for fold := range folds {
		var trX, trXc, trXa [][]float64
		var trL, trLc, trLa, trSpk []int
		relabel := map[int]int{}
		for i, s := range ts.spk {
			if calFold(s) != fold && !c.outOfBackEnds(ts.utts[i]) {
				if _, ok := relabel[s]; !ok {
					relabel[s] = len(relabel)
					trSpk = append(trSpk, s)
				}
				trX = append(trX, iv[i])
				trL = append(trL, relabel[s])
				if !degraded(ts.utts[i]) {
					trXc = append(trXc, iv[i])
					trLc = append(trLc, relabel[s])
				}
				if !degradedSpeed(ts.utts[i]) {
					trXa = append(trXa, iv[i])
					trLa = append(trLa, relabel[s])
				}
			}
		}
		var fx excerptSets
		for _, e := range ex {
			if s := ts.spk[e.utt]; calFold(s) != fold {
				fx.add(relabel[s], e.iv, ts.utts[e.utt])
			}
		}
		u, err := c.ivNAP(ts, iv, func(s int) bool { return calFold(s) != fold })
		if err != nil {
			return nil, err
		}
		b, err := c.backends(tv, trX, trL, trXc, trLc, trXa, trLa, len(relabel), dual, u, fx)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", fold, err)
		}
		if c.Relevance > 0 {
			if b.GMM, err = c.gmmCohort(tv.UBM, ts, stats, trSpk, c.gmmWhitening(tv)); err != nil {
				return nil, err
			}
		}
		// A placeholder calibration of the layout's width lets the fold's verifier produce the
		// calibration inputs of its trials.
		b.Meta.SNormTopN = c.SNormTopN
		b.Meta.Extra = c.calibrationLayout(tv.Channel != nil)
		if c.EnrollAugment != "" {
			b.Meta.Extra[models.EnrollAugmentKey] = c.EnrollAugment
		}
		b.Calibration = &models.Calibration{Weights: make([]float64, models.CalibrationWidth(b))}
		scorers = b.Scorers()
		v, err := models.NewVerifier(b)
		if err != nil {
			return nil, err
		}
		t, n, ss, k, err := c.foldTrials(v, tv.UBM, ts, stats, fold)
		if err != nil {
			return nil, err
		}
		tar, non, sameSex = append(tar, t...), append(non, n...), append(sameSex, ss...)
		keys.tar, keys.non = append(keys.tar, k.tar...), append(keys.non, k.non...)
	}
	c.logf("calibration: %d target and %d non-target held-out trials", len(tar), len(non))
	// A fraudster claiming an identity usually has the victim's sex, and cross-sex trials are
	// the easy ones: the false-accept rates a deployment states are measured on the others (and,
	// with CalibrationSameSex, the calibration is trained on them too).
	var nonSame [][]float64
	for i, r := range non {
		if sameSex[i] {
			nonSame = append(nonSame, r)
		}
	}
	calNon := non
	if c.CalibrationSameSex {
		calNon = nonSame
		c.logf("calibration: trained on the %d same-sex non-target trials", len(calNon))
	}
	enrollLayout := c.calibrationLayout(tv.Channel != nil)["calibration"] == models.CalibrationDurationHingeChannelEnroll
	cal, err := c.trainCalibration(tar, calNon, scorers, tv.Channel != nil)
	if err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	c.logf("calibration: llr = %v · scores %+.4f", cal.Weights, cal.Bias)
	if c.WorkDir != "" {
		pIdx := -1
		if tv.Channel != nil && c.CalibrationKnot > 0 {
			pIdx = 6*scorers + 2 // as for the degraded operating points below
		}
		if err := writeCalibrationTrials(filepath.Join(c.WorkDir, CalibrationTrialsFile), cal, tar, non, sameSex, keys, pIdx); err != nil {
			return nil, err
		}
	}
	farPoints := operatingPoints(cal, nonSame)
	var farDegraded []models.FARPoint
	if tv.Channel != nil && c.CalibrationKnot > 0 {
		// Impostors score higher through a degraded channel: rates stated apart for such trials.
		pIdx := 6*scorers + 2 // models.CalibrationDurationHingeChannel's p (of the worse side)
		var deg [][]float64
		for _, r := range nonSame {
			if r[pIdx] >= 0.5 {
				deg = append(deg, r)
			}
		}
		farDegraded = operatingPoints(cal, deg)
		c.logf("calibration: operating points on %d same-sex degraded-channel non-target trials %v", len(deg), farDegraded)
	}
	c.logf("calibration: operating points on %d same-sex non-target trials (highest threshold over durations) %v", len(nonSame), farPoints)

	var ivc, iva, ivAll [][]float64
	var labc, laba, labAll []int
	for i, u := range ts.utts {
		if c.outOfBackEnds(u) {
			continue
		}
		ivAll = append(ivAll, iv[i])
		labAll = append(labAll, ts.spk[i])
		if !degraded(u) {
			ivc = append(ivc, iv[i])
			labc = append(labc, ts.spk[i])
		}
		if !degradedSpeed(u) {
			iva = append(iva, iv[i])
			laba = append(laba, ts.spk[i])
		}
	}
	var fx excerptSets
	for _, e := range ex {
		fx.add(ts.spk[e.utt], e.iv, ts.utts[e.utt])
	}
	u, err := c.ivNAP(ts, iv, func(int) bool { return true })
	if err != nil {
		return nil, err
	}
	b, err := c.backends(tv, ivAll, labAll, ivc, labc, iva, laba, nSpk, dual, u, fx)
	if err != nil {
		return nil, err
	}
	b.Calibration = cal
	b.Meta.FARThresholds = farPoints
	b.Meta.FARThresholdsDegraded = farDegraded
	qmax := math.Inf(-1)
	for _, rows := range [][][]float64{tar, non} {
		for _, r := range rows {
			qmax = max(qmax, r[len(r)-1])
		}
	}
	b.Meta.Extra = map[string]string{models.CalibrationQMaxKey: strconv.FormatFloat(qmax, 'g', 6, 64)}
	c.logf("calibration: trained up to q = %.3f (%.1f s of net speech on the shorter side)", qmax, math.Exp(qmax))
	if enrollLayout {
		rIdx := 8*scorers + 4 // models.CalibrationDurationHingeChannelEnroll's r
		rmax := math.Inf(-1)
		for _, rows := range [][][]float64{tar, non} {
			for _, r := range rows {
				rmax = max(rmax, r[rIdx])
			}
		}
		b.Meta.Extra[models.CalibrationRMaxKey] = strconv.FormatFloat(rmax, 'g', 6, 64)
		c.logf("calibration: enrollments up to r = %.3f (%.1f s of net speech)", rmax, math.Exp(rmax))
	}
	if c.Relevance > 0 {
		all := make([]int, nSpk)
		for i := range all {
			all[i] = i
		}
		if b.GMM, err = c.gmmCohort(tv.UBM, ts, stats, all, c.gmmWhitening(tv)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// trainCalibration fits the calibration to held-out trial rows. The linear duration layout is
// one logistic regression over every input. The hinged layouts are fitted in two stages so that
// the few long trials cannot bend the fusion: first the duration-linear fusion f of the raw
// scores (inputs s, s·q, q and, channel-aware, s·p and p) on every trial, then a scale and
// offset of f that bend at the knot — llr = (a + b·h)·f + c·h + d — which expands exactly into
// the layout's weights (models.CalibrationDurationHinge, models.CalibrationDurationHingeChannel).
// k is the number of raw scores per trial.
func (c *TrainConfig) trainCalibration(tar, non [][]float64, k int, channel bool) (*models.Calibration, error) {
	if c.CalibrationKnot <= 0 {
		return models.TrainCalibration(tar, non, 0.5)
	}
	w := len(tar[0]) // k raw scores in the hinged layout, channel-aware or not
	// Row layout: s [0,k), s·q [k,2k), s·h [2k,3k), s·q·h [3k,4k), q·h 4k, h 4k+1; channel-aware
	// then s·p [4k+2,5k+2), s·p·h [5k+2,6k+2), p 6k+2, p·h 6k+3; with the enrollment's duration
	// then s·r [6k+4,7k+4), s·r·h [7k+4,8k+4), r 8k+4, r·h 8k+5; q last.
	enroll := channel && w == 8*k+7
	cols := func(rows [][]float64, f func(r []float64) []float64) [][]float64 {
		out := make([][]float64, len(rows))
		for i, r := range rows {
			out[i] = f(r)
		}
		return out
	}
	linear := func(r []float64) []float64 {
		x := append([]float64(nil), r[:2*k]...)
		if channel {
			x = append(append(x, r[4*k+2:5*k+2]...), r[6*k+2])
		}
		if enroll {
			x = append(append(x, r[6*k+4:7*k+4]...), r[8*k+4])
		}
		return append(x, r[w-1])
	}
	fusion, err := models.TrainCalibration(cols(tar, linear), cols(non, linear), 0.5)
	if err != nil {
		return nil, err
	}
	c.logf("calibration: fusion %v %+.4f", fusion.Weights, fusion.Bias)
	stage2 := func(r []float64) []float64 {
		f := fusion.Apply(linear(r)...)
		h := r[4*k+1]
		return []float64{f, f * h, h}
	}
	sc, err := models.TrainCalibration(cols(tar, stage2), cols(non, stage2), 0.5)
	if err != nil {
		return nil, err
	}
	a, b, ch := sc.Weights[0], sc.Weights[1], sc.Weights[2]
	c.logf("calibration: scale %.4f %+.4f·h, offset %+.4f·h %+.4f", a, b, ch, sc.Bias)
	// f = Σ u_i s_i + Σ v_i s_i q [+ Σ x_i s_i p + e_p p] + g q + e; llr = a f + b f h + ch h + d.
	fw := fusion.Weights
	u, v, e := fw[:k], fw[k:2*k], fusion.Bias
	g := fw[len(fw)-1]
	cal := &models.Calibration{Weights: make([]float64, w), PEff: 0.5}
	for i := range k {
		cal.Weights[i] = a * u[i]     // s
		cal.Weights[k+i] = a * v[i]   // s·q
		cal.Weights[2*k+i] = b * u[i] // s·h
		cal.Weights[3*k+i] = b * v[i] // s·q·h
	}
	cal.Weights[4*k] = b * g      // q·h
	cal.Weights[4*k+1] = b*e + ch // h
	if channel {
		x, ep := fw[2*k:3*k], fw[3*k]
		for i := range k {
			cal.Weights[4*k+2+i] = a * x[i] // s·p
			cal.Weights[5*k+2+i] = b * x[i] // s·p·h
		}
		cal.Weights[6*k+2] = a * ep // p
		cal.Weights[6*k+3] = b * ep // p·h
	}
	if enroll {
		y, er := fw[3*k+1:4*k+1], fw[4*k+1]
		for i := range k {
			cal.Weights[6*k+4+i] = a * y[i] // s·r
			cal.Weights[7*k+4+i] = b * y[i] // s·r·h
		}
		cal.Weights[8*k+4] = a * er // r
		cal.Weights[8*k+5] = b * er // r·h
	}
	cal.Weights[w-1] = a * g // q
	cal.Bias = a*e + sc.Bias
	return cal, cal.Validate()
}

// calibrationFolds is CalibrationFolds, where values below 2 mean the default, 2; with
// FrontHoldout, 1.
func (c *TrainConfig) calibrationFolds() int {
	if c.FrontHoldout > 0 {
		return 1
	}
	if c.CalibrationFolds < 2 {
		return 2
	}
	return c.CalibrationFolds
}

// calibrationFoldOf returns, for a speaker index of ts, the calibration fold whose trials the
// speaker's recordings make (the back ends scoring them trained on the other folds' speakers),
// or −1 for none: speaker s mod calibrationFolds, or, with FrontHoldout, fold 0 for the speakers
// held out of the UBM and the extractor and none for the rest.
func (c *TrainConfig) calibrationFoldOf(ts *trainSet) func(s int) int {
	if c.FrontHoldout <= 0 {
		folds := c.calibrationFolds()
		return func(s int) int { return s % folds }
	}
	held := make([]bool, len(ts.names))
	for i, u := range ts.utts {
		held[ts.spk[i]] = c.frontHeld(u)
	}
	return func(s int) int {
		if held[s] {
			return 0
		}
		return -1
	}
}

// frontHeld reports whether u's speaker is one of those FrontHoldout keeps out of the UBM and the
// extractor: chosen by a hash of the corpus and the source speaker's folder name, so that a
// speaker's speed-perturbed, formant-warped and degraded copies go with it.
func (c *TrainConfig) frontHeld(u Utt) bool { return speakerShare(u, c.FrontHoldout) }

// speakerShare reports whether u's speaker falls in a share frac of the speakers, chosen by a
// hash of the corpus and the source speaker's folder name (a speaker's speed-perturbed,
// formant-warped and degraded copies go with it).
func speakerShare(u Utt, frac float64) bool {
	return frac > 0 && float64(sourceSpeakerHash(u)%10000) < frac*10000
}

// sourceSpeakerHash hashes the corpus and the source speaker's folder name of u (a speaker's
// speed-perturbed "-sp…" and formant-warped "-vt…" folders hash as the speaker's own).
func sourceSpeakerHash(u Utt) uint32 {
	spk, _, _ := strings.Cut(u.Speaker, "-")
	h := fnv.New32a()
	h.Write([]byte(u.Corpus + "/" + spk))
	return h.Sum32()
}

// foldTrials scores the held-out fold's trials with v and returns target and non-target rows of
// raw scores.
func (c *TrainConfig) foldTrials(v *models.Verifier, ubm *models.GMM, ts *trainSet, stats []*models.Stats, fold int) (tar, non [][]float64, sameSex []bool, keys trialKeys, err error) {
	calFold := c.calibrationFoldOf(ts)
	bySpk := map[int][]int{}
	var spks []int
	for i, s := range ts.spk {
		if calFold(s) == fold && original(ts.utts[i]) {
			if bySpk[s] == nil {
				spks = append(spks, s)
			}
			bySpk[s] = append(bySpk[s], i)
		}
	}
	// Sides to prepare: enrollments (EnrollFrames and twice that summed, 3 s openings) and tests
	// (whole recordings, their openings, sums of the unused ones), as statistics.
	type side struct {
		spk    int
		enroll bool
		stats  *models.Stats
		utt    int // recording whose opening to accumulate, or -1
		frames int
		from   map[int]bool // recordings the side draws on: a target trial never shares one
		repeat int          // times a test side's trials count (CalibrationDegradedRepeat; 0: once)
		copyOf int          // 1 + the degraded copy's recording whose whole statistics the side is; 0: none
		pieces []int        // recordings whose short openings (frames voiced frames each, cut) the side sums
	}
	var sides []side
	for _, s := range spks {
		idx := bySpk[s]
		sum, used := enrollStats(ubm, stats, idx, c.EnrollFrames)
		sides = append(sides, side{spk: s, enroll: true, stats: sum, utt: -1, from: used})
		if len(ts.feats[idx[0]].Frames) >= 350 {
			sides = append(sides, side{spk: s, enroll: true, utt: idx[0], frames: 300, from: map[int]bool{idx[0]: true}})
		}
		if c.CalibrationPieceEnrollments {
			// Five ~1 s pieces of five of the recordings the main enrollment draws on (or more,
			// shorter ones: pieceShape), each cut and normalised as a short recording: an
			// enrollment made of short answers.
			pf, np := c.pieceShape()
			var pieces []int
			for _, i := range idx {
				if used[i] && len(pieces) < np {
					pieces = append(pieces, i)
				}
			}
			if len(pieces) == np {
				from := map[int]bool{}
				for _, i := range pieces {
					from[i] = true
				}
				sides = append(sides, side{spk: s, enroll: true, utt: -1, frames: pf, from: from, pieces: pieces})
			}
		}
		if long, lused := enrollStats(ubm, stats, idx, 2*c.EnrollFrames); long.Frames() >= 1.8*float64(c.EnrollFrames) {
			sides = append(sides, side{spk: s, enroll: true, stats: long, utt: -1, from: lused})
		}
		// Long tests: the recordings not used for enrollment, summed in turn into ~10 s and ~25 s
		// of net speech, so that calibration sees the minute-long openings of real calls
		// instead of extrapolating to them from single read sentences.
		var rest []int
		for _, i := range idx {
			if !used[i] {
				rest = append(rest, i)
			}
		}
		for _, n := range []float64{1000, 2500} {
			sum, from := models.NewStats(ubm.C, ubm.D), map[int]bool{}
			for _, i := range rest {
				sum.Add(stats[i])
				from[i] = true
				if sum.Frames() >= n {
					sides = append(sides, side{spk: s, stats: sum, utt: -1, from: from})
					sum, from = models.NewStats(ubm.C, ubm.D), map[int]bool{}
				}
			}
		}
		for _, i := range idx {
			if used[i] {
				continue
			}
			one := map[int]bool{i: true}
			sides = append(sides, side{spk: s, stats: stats[i], utt: -1, from: one})
			for _, n := range []int{25, 50, 100, 300} {
				if len(ts.feats[i].Frames) >= n+50 {
					sides = append(sides, side{spk: s, utt: i, frames: n, from: one})
				}
			}
		}
	}
	// Degraded copies of the fold's recordings test too, so that calibration knows how much
	// less to trust a noisy, coded channel. A copy of a recording the enrollment holds is one of
	// its target tests (the side draws on no recording, so shares finds none). Keeping such
	// trials out was measured and made the degraded channel's calibration worse on the
	// development trials (Cllr − minCllr 0.082 → 0.117 and 0.087 → 0.130 over two seeds;
	// bench/README.md, "Calibration trials: degraded copies of the enrollment's own recordings").
	for i, s := range ts.spk {
		if calFold(s) == fold && strings.Contains(ts.utts[i].ID, "~aug") {
			sides = append(sides, side{spk: s, stats: stats[i], utt: -1, repeat: c.CalibrationDegradedRepeat, copyOf: i + 1})
		}
	}
	workers := c.workers()
	type ws struct {
		vs *models.VerifierScratch
		gs *models.Scratch
	}
	w := make([]ws, workers)
	for i := range w {
		w[i] = ws{v.NewScratch(), c.statsScratch(ubm)}
	}
	// With enrollment augmentation, every enrollment side also gets the statistics of degraded
	// copies of the recordings it draws on, made as enrollment makes them at run time.
	augStats := map[int]*models.Stats{} // recording -> all its augmented copy's voiced frames
	augFeats := map[int]*Features{}     // the same copy's frames, kept only for openings
	if c.EnrollAugment != "" {
		aug, err := dsp.ChannelAugmentationByName(c.EnrollAugment)
		if err != nil {
			return nil, nil, nil, keys, err
		}
		need, opening := map[int]bool{}, map[int]bool{}
		for _, sd := range sides {
			if sd.enroll {
				for i := range sd.from {
					need[i] = true
				}
				if sd.stats == nil {
					opening[sd.utt] = true
				}
			}
		}
		list := slices.Sorted(maps.Keys(need))
		xs := make([]*FeatureExtractor, workers)
		for k := range xs {
			if xs[k], err = NewFeatureExtractor(c.Frontend, 0); err != nil {
				return nil, nil, nil, keys, err
			}
		}
		feats := make([]*Features, len(list))
		st := make([]*models.Stats, len(list))
		err = Parallel(len(list), workers, c.bar(fmt.Sprintf("augmented enrollments %d", fold+1), len(list)), func(k, j int) error {
			f, err := xs[k].FromFileAugmented(ts.utts[list[j]].Path, aug)
			if err != nil {
				return err
			}
			if opening[list[j]] {
				feats[j] = f
			}
			st[j] = models.NewStats(ubm.C, ubm.D)
			ubm.AccumulateUtterance(st[j], f.Frames, w[k].gs)
			return nil
		})
		if err != nil {
			return nil, nil, nil, keys, err
		}
		for j, i := range list {
			augStats[i] = st[j]
			if feats[j] != nil {
				augFeats[i] = feats[j]
			}
		}
	}
	var openers []*FeatureExtractor // with CalibrationShortRecordings or piece enrollments, one per worker
	if c.CalibrationShortRecordings || c.CalibrationPieceEnrollments {
		openers = make([]*FeatureExtractor, workers)
		for k := range openers {
			if openers[k], err = NewFeatureExtractor(c.Frontend, 0); err != nil {
				return nil, nil, nil, keys, err
			}
		}
	}
	probes := make([]*models.Probe, len(sides))
	err = Parallel(len(sides), workers, c.bar(fmt.Sprintf("calibration fold %d", fold+1), len(sides)), func(k, i int) error {
		sd := sides[i]
		st := sd.stats
		if st == nil && sd.pieces != nil {
			st = models.NewStats(ubm.C, ubm.D)
			for _, r := range sd.pieces {
				frames, err := shortRecording(openers[k], ts.utts[r].Path, sd.frames)
				if err != nil {
					return err
				}
				ubm.AccumulateUtterance(st, frames, w[k].gs)
			}
		} else if st == nil {
			frames := ts.feats[sd.utt].Frames[:sd.frames]
			if c.CalibrationShortRecordings {
				if frames, err = shortRecording(openers[k], ts.utts[sd.utt].Path, sd.frames); err != nil {
					return err
				}
			}
			st = models.NewStats(ubm.C, ubm.D)
			ubm.AccumulateUtterance(st, frames, w[k].gs)
		}
		var aug *models.Stats
		if sd.enroll && c.EnrollAugment != "" {
			aug = models.NewStats(ubm.C, ubm.D)
			if sd.stats == nil { // an opening: the same number of the copy's voiced frames
				f := augFeats[sd.utt].Frames
				ubm.AccumulateUtterance(aug, f[:min(sd.frames, len(f))], w[k].gs)
			} else {
				for _, r := range slices.Sorted(maps.Keys(sd.from)) {
					if err := aug.Add(augStats[r]); err != nil {
						return err
					}
				}
			}
		}
		p, err := v.PrepareEnrollment(st, aug, w[k].vs)
		probes[i] = p
		return err
	})
	if err != nil {
		return nil, nil, nil, keys, err
	}
	sideKeys := make([]uint64, len(sides)) // each side's digest, once: sides are thousands, trials millions
	for i, sd := range sides {
		frames := sd.frames
		if sd.pieces != nil {
			frames = -frames // not the same digest as a whole enrollment on the same recordings
		}
		sideKeys[i] = sideKey(ts, sd.spk, sd.enroll, sd.utt, frames, sd.from, sd.copyOf)
	}
	for i, e := range sides {
		if !e.enroll {
			continue
		}
		for j, t := range sides {
			if t.enroll {
				continue
			}
			if e.spk == t.spk && shares(e.from, t.from) {
				continue
			}
			row := v.CalibrationInputs(nil, probes[i], probes[j])
			for r := range max(1, t.repeat) { // rows are only read: a repeat may share one
				k := sideKeys[i] ^ 0x9e3779b97f4a7c15*sideKeys[j] ^ 0xbf58476d1ce4e5b9*uint64(r)
				if e.spk == t.spk {
					tar = append(tar, row)
					keys.tar = append(keys.tar, k)
				} else {
					keys.non = append(keys.non, k)
					non = append(non, row)
					se, st := ts.sex[ts.names[e.spk]], ts.sex[ts.names[t.spk]]
					sameSex = append(sameSex, se == "" || st == "" || se == st)
				}
			}
		}
	}
	return tar, non, sameSex, keys, nil
}

// trialKeys identify foldTrials' target and non-target rows, in their order, by what their
// sides are made of (sideKey) and the repeat index, so that the held-out trials of two systems
// trained on the same recordings can be matched one to one (CalibrationTrialsFile).
type trialKeys struct{ tar, non []uint64 }

// sideKey is a digest of one side of a calibration trial: its speaker's name, whether it
// enrolls, the recording whose opening it is and how many frames (or -1 and 0), the recordings it
// draws on and the degraded copy it is (copyOf: 1 + its recording, or 0).
func sideKey(ts *trainSet, spk int, enroll bool, utt, frames int, from map[int]bool, copyOf int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%t|%d|%d", ts.names[spk], enroll, frames, len(from))
	if utt >= 0 {
		fmt.Fprintf(h, "|%s", ts.utts[utt].ID)
	}
	if copyOf > 0 {
		fmt.Fprintf(h, "|copy %s", ts.utts[copyOf-1].ID)
	}
	for _, i := range slices.Sorted(maps.Keys(from)) {
		fmt.Fprintf(h, "|%s", ts.utts[i].ID)
	}
	return h.Sum64()
}

// shares reports whether two sets of recordings have one in common.
func shares(a, b map[int]bool) bool {
	for i := range b {
		if a[i] {
			return true
		}
	}
	return false
}

// operatingPoints measures calibrated-LLR thresholds at standard false-accept rates on the
// held-out non-target trials with at least 3 s of net speech on both sides (the last
// calibration input is q = ln(min speech / 1 s)). Non-target LLRs spread wider as speech grows,
// so a threshold measured on pooled trials would let through more than its rate on long calls:
// the trials are split by the shorter side's net speech (3-6 s, 6-12 s, 12-20 s, over 20 s) and
// each rate's threshold is the highest of the bins', so that the rate holds whatever the
// duration. Bins of under 2,000 trials are left out (all are pooled when every bin is that
// small); a rate is stated only when every bin kept has at least 10 false accepts at it.
func operatingPoints(cal *models.Calibration, non [][]float64) []models.FARPoint {
	return operatingPointsOf(func(row []float64) float64 { return cal.Apply(row...) }, non)
}

// operatingPointsOf is operatingPoints with each row's LLR given by llr.
func operatingPointsOf(llr func(row []float64) float64, non [][]float64) []models.FARPoint {
	edges := []float64{3, 6, 12, 20, math.Inf(1)}
	bins := make([][]float64, len(edges)-1)
	for _, row := range non {
		q := row[len(row)-1]
		for b := range bins {
			if q >= math.Log(edges[b]) && q < math.Log(edges[b+1]) {
				bins[b] = append(bins[b], llr(row))
			}
		}
	}
	kept := bins[:0]
	for _, llrs := range bins {
		if len(llrs) >= 2000 { // enough to measure 1% with 20 false accepts
			sort.Sort(sort.Reverse(sort.Float64Slice(llrs)))
			kept = append(kept, llrs)
		}
	}
	if len(kept) == 0 { // too few trials to split: pool them
		var all []float64
		for _, llrs := range bins {
			all = append(all, llrs...)
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(all)))
		kept = append(kept, all)
	}
	bins = kept
	var pts []models.FARPoint
	for _, far := range []float64{0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2} {
		t, ok := math.Inf(-1), true
		for _, llrs := range bins {
			k := int(far * float64(len(llrs)))
			if k < 10 || k >= len(llrs) {
				ok = false
				break
			}
			t = max(t, llrs[k])
		}
		if ok {
			pts = append(pts, models.FARPoint{FAR: far, LLR: t})
		}
	}
	return pts
}

// speedCopy reports whether an utterance is a speed-perturbed copy.
func speedCopy(u Utt) bool { return strings.Contains(u.ID, "~sp") }

// formantCopy reports whether an utterance is a formant-warped copy of a training recording
// (bench/trials/make_vtlp.py, "~vt"): a new speaker for the back ends, like a speed-perturbed
// copy, but never in the UBM, in the extractor only with TrainConfig.FormantExtractor, and, its
// speaker being another than its source's, never a channel variant of its source for the GMM
// nuisance projection.
func formantCopy(u Utt) bool { return strings.Contains(u.ID, "~vt") }

// outOfBackEnds reports whether u, a second or later degraded copy, trains no back end,
// nuisance projection or channel detector (TrainConfig.ExtraCopies "extractor" or
// "calibration"); it still tests the calibration.
func (c *TrainConfig) outOfBackEnds(u Utt) bool {
	return (c.ExtraCopies == ExtraCopiesExtractor || c.ExtraCopies == ExtraCopiesCalibration) && laterCopy(u)
}

// degraded reports whether an utterance is a degraded-channel copy.
func degraded(u Utt) bool { return strings.Contains(u.ID, "~aug") }

// degradedSpeed reports whether an utterance is a degraded-channel copy of a speed-perturbed or
// formant-warped copy (make_augmented.py --from bench/out/speed or bench/out/vtlp): with
// TrainConfig.ThirdBackend only the third back end trains on these.
func degradedSpeed(u Utt) bool { return (speedCopy(u) || formantCopy(u)) && degraded(u) }

func hasDegraded(ts *trainSet) bool {
	for _, u := range ts.utts {
		if degraded(u) {
			return true
		}
	}
	return false
}

// backends trains the main PLDA back end — on the clean vectors when dual, else on all — and,
// when dual, the alternative back end on all vectors; cohorts are drawn from each one's data.
// With ThirdBackend the alternative back end trains on alt (all but the degraded copies of
// speed-perturbed recordings) and a third one on all vectors, when the two sets differ. Each
// back end's LDA and PLDA also train on the excerpts of its recordings (ex), its cohort not.
func (c *TrainConfig) backends(tv *models.Bundle, all [][]float64, allLab []int, clean [][]float64, cleanLab []int, alt [][]float64, altLab []int, nSpk int, dual bool, nap [][]float64, ex excerptSets) (*models.Bundle, error) {
	mainX, mainL, mainEx := all, allLab, ex.all
	if dual {
		mainX, mainL, mainEx = clean, cleanLab, ex.clean
	}
	mainNAP, altNAP := nap, [][]float64(nil)
	if dual && c.IVectorNAPAlt {
		mainNAP, altNAP = nil, nap
	}
	if mainNAP != nil {
		mainX = projectAll(mainX, mainNAP)
		mainEx.x = projectAll(mainEx.x, mainNAP)
	}
	lda, plda, err := c.trainBackend(slices.Concat(mainX, mainEx.x), slices.Concat(mainL, mainEx.lab), nSpk)
	if err != nil {
		return nil, err
	}
	if mainNAP != nil {
		foldNAP(lda, mainNAP)
	}
	cohortX := mainX
	if dual && c.CohortAll {
		cohortX = all // raw: lda applies mainNAP's projection itself (foldNAP)
	}
	b := &models.Bundle{UBM: tv.UBM, Extractor: tv.Extractor, LDA: lda, PLDA: plda,
		Cohort: cohortOf(lda, plda, cohortX, c.CohortSize), Channel: tv.Channel}
	if !dual {
		return b, nil
	}
	third := c.ThirdBackend && c.EnrollAugment == "" && len(alt) < len(all)
	train := func(x [][]float64, lab []int, xe labelled, what string) (*models.AltBackend, error) {
		if altNAP != nil {
			x = projectAll(x, altNAP)
			xe.x = projectAll(xe.x, altNAP)
		}
		alda, aplda, err := c.trainBackend(slices.Concat(x, xe.x), slices.Concat(lab, xe.lab), nSpk)
		if err != nil {
			return nil, fmt.Errorf("%s back end: %w", what, err)
		}
		if altNAP != nil {
			foldNAP(alda, altNAP)
		}
		return &models.AltBackend{LDA: alda, PLDA: aplda, Cohort: cohortOf(alda, aplda, x, c.CohortSize)}, nil
	}
	altEx := ex.alt
	if !third {
		alt, altLab, altEx = all, allLab, ex.all
	}
	if b.Alt, err = train(alt, altLab, altEx, "alternative"); err != nil {
		return nil, err
	}
	if third {
		if b.Alt2, err = train(all, allLab, ex.all, "second alternative"); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// ivNAP returns the IVectorNAP directions (rows of R values) in which an i-vector moves most
// between a training recording and its degraded copy ("~aug"), from the speakers keep accepts;
// nil when IVectorNAP is 0 or there are no such pairs.
func (c *TrainConfig) ivNAP(ts *trainSet, iv [][]float64, keep func(int) bool) ([][]float64, error) {
	if c.IVectorNAP <= 0 {
		return nil, nil
	}
	orig := map[string]int{}
	for i, u := range ts.utts {
		if keep(ts.spk[i]) && original(u) {
			orig[sourceKey(u)] = i
		}
	}
	R := len(iv[0])
	scatter := mat.NewSymDense(R, nil)
	n := 0
	d := make([]float64, R)
	for i, u := range ts.utts {
		if !keep(ts.spk[i]) || !degraded(u) || c.outOfBackEnds(u) {
			continue
		}
		j, ok := orig[sourceKey(u)]
		if !ok {
			continue
		}
		for k := range d {
			d[k] = iv[i][k] - iv[j][k]
		}
		scatter.SymRankOne(scatter, 1, mat.NewVecDense(R, d))
		n++
	}
	if n == 0 {
		return nil, nil
	}
	var eig mat.EigenSym
	if !eig.Factorize(scatter, true) {
		return nil, errors.New("i-vector NAP: eigen-decomposition failed")
	}
	var ev mat.Dense
	eig.VectorsTo(&ev)
	k := min(c.IVectorNAP, R-1)
	out := make([][]float64, k)
	for r := range k {
		out[r] = mat.Col(nil, R-1-r, &ev) // eigenvalues ascend
	}
	c.logf("i-vector NAP: %d directions from %d recordings and their degraded copies", k, n)
	return out, nil
}

// projectAll returns copies of xs with their components along the orthonormal rows of u removed.
func projectAll(xs [][]float64, u [][]float64) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = append([]float64(nil), x...)
		removeAlong(out[i], u)
	}
	return out
}

// foldNAP makes lda, trained on projected vectors, apply the projection itself:
// M ← M·(I − UUᵀ); its mean, the projected vectors' mean, lies in the projection's range, so
// M·(I − UUᵀ)·(x − mean) = M·(Px − mean).
func foldNAP(lda *models.Affine, u [][]float64) {
	for o := range lda.Out {
		removeAlong(lda.M[o*lda.In:(o+1)*lda.In], u)
	}
}

// removeAlong removes from y, in place, its components along the orthonormal rows of u.
func removeAlong(y []float64, u [][]float64) {
	for _, r := range u {
		floats.AddScaled(y, -floats.Dot(r, y), r)
	}
}

// whitenAffine scales each output of a so that its variance over x is 1. LDA leaves the
// within-class covariance the identity and the total covariance diagonal, I plus the between-class
// eigenvalues; length normalisation after it then weighs the most discriminant directions most.
// Whitened, the total covariance is the identity, as length normalisation assumes (Garcia-Romero
// & Espy-Wilson 2011 centre and whiten first).
func whitenAffine(a *models.Affine, x [][]float64) {
	sum, sq := make([]float64, a.Out), make([]float64, a.Out)
	y := make([]float64, a.Out)
	for _, v := range x {
		a.Apply(y, v)
		for o, z := range y {
			sum[o] += z
			sq[o] += z * z
		}
	}
	n := float64(len(x))
	for o := range a.Out {
		m := sum[o] / n
		if v := sq[o]/n - m*m; v > 0 {
			row := a.M[o*a.In : (o+1)*a.In]
			for i := range row {
				row[i] /= math.Sqrt(v)
			}
		}
	}
}

// labelled is i-vectors with their speaker labels.
type labelled struct {
	x   [][]float64
	lab []int
}

// excerptSets is the excerpts of each back end's recordings: all of them, those of clean
// recordings (the main back end's when it is trained apart) and all but those of degraded
// copies of speed-perturbed or formant-warped recordings (the alternative back end's with
// ThirdBackend).
type excerptSets struct{ all, clean, alt labelled }

// add files excerpt vector v of recording u under speaker label lab.
func (s *excerptSets) add(lab int, v []float64, u Utt) {
	s.all.x, s.all.lab = append(s.all.x, v), append(s.all.lab, lab)
	if !degraded(u) {
		s.clean.x, s.clean.lab = append(s.clean.x, v), append(s.clean.lab, lab)
	}
	if !degradedSpeed(u) {
		s.alt.x, s.alt.lab = append(s.alt.x, v), append(s.alt.lab, lab)
	}
}

// excerpt is the i-vector of a short stretch of a training recording's voiced frames
// (TrainConfig.BackendExcerpts): one more session of that recording's speaker for the back ends.
type excerpt struct {
	utt int       // the recording the frames come from
	iv  []float64 // its i-vector
}

// excerptJob is a stretch of a training recording's voiced frames: n of them from off.
type excerptJob struct{ utt, off, n int }

// excerptIVectors extracts each job's i-vector, with the voiced frames its statistics hold, on
// all cores (a progress bar labelled label).
func (c *TrainConfig) excerptIVectors(tv *models.Bundle, ts *trainSet, jobs []excerptJob, label string) ([][]float64, []float64, error) {
	workers := c.workers()
	type scratch struct {
		gs *models.Scratch
		iv *models.IVScratch
	}
	ws := make([]scratch, workers)
	for k := range ws {
		ws[k] = scratch{c.statsScratch(tv.UBM), tv.Extractor.NewScratch()}
	}
	ivs, frames := make([][]float64, len(jobs)), make([]float64, len(jobs))
	err := Parallel(len(jobs), workers, c.bar(label, len(jobs)), func(k, j int) error {
		jb := jobs[j]
		st := models.NewStats(tv.UBM.C, tv.UBM.D)
		tv.UBM.AccumulateUtterance(st, ts.feats[jb.utt].Frames[jb.off:jb.off+jb.n], ws[k].gs)
		ivs[j], frames[j] = make([]float64, tv.Extractor.R), st.Frames()
		return tv.Extractor.Extract(st, ivs[j], ws[k].iv)
	})
	return ivs, frames, err
}

// excerpts extracts the BackendExcerpts i-vectors: for every recording that trains a back end
// (not outOfBackEnds) and each length n it has at least n+50 voiced frames for, n consecutive
// voiced frames at an offset drawn from a generator seeded by Seed, the length and the
// recording's index, so that a rerun draws the same.
func (c *TrainConfig) excerpts(tv *models.Bundle, ts *trainSet) ([]excerpt, error) {
	if len(c.BackendExcerpts) == 0 {
		return nil, nil
	}
	var jobs []excerptJob
	for _, n := range c.BackendExcerpts {
		if n < 10 {
			return nil, fmt.Errorf("recipe: back-end excerpts of %d frames: want at least 10", n)
		}
		for i, u := range ts.utts {
			m := len(ts.feats[i].Frames)
			if c.outOfBackEnds(u) || m < n+50 {
				continue
			}
			r := rand.New(rand.NewPCG(c.Seed, uint64(n)<<32|uint64(i)))
			jobs = append(jobs, excerptJob{i, r.IntN(m - n + 1), n})
		}
	}
	ivs, _, err := c.excerptIVectors(tv, ts, jobs, "back-end excerpts")
	if err != nil {
		return nil, err
	}
	out := make([]excerpt, len(jobs))
	for j, jb := range jobs {
		out[j] = excerpt{jb.utt, ivs[j]}
	}
	c.logf("back-end excerpts: %d i-vectors of %v voiced frames", len(out), c.BackendExcerpts)
	return out, nil
}

// shortRecording returns the voiced frames of the recording at path cut after its n-th voiced
// frame (as the whole recording's front end decides them) and run through x's front end as a
// whole: what a test of that length would give. At most n frames are returned (the cut
// recording's VAD may decide a few more).
func shortRecording(x *FeatureExtractor, path string, n int) ([][]float32, error) {
	s, err := x.Samples(path)
	if err != nil {
		return nil, err
	}
	cfg := x.fe.Config()
	_, voiced, err := dsp.Process(s, cfg)
	if err != nil {
		return nil, err
	}
	end, seen := len(voiced), 0
	for t, v := range voiced {
		if v {
			if seen++; seen == n {
				end = t + 1
				break
			}
		}
	}
	cut := min(len(s), (end-1)*cfg.MFCC.FrameShift()+cfg.MFCC.FrameLength())
	f := x.FromSamples(s[:cut])
	return f.Frames[:min(n, len(f.Frames))], nil
}

// PieceEnrollment and PieceFrames shape CalibrationPieceEnrollments' enrollment sides: this many
// recordings' openings of this many voiced frames each, cut and normalised as short recordings.
const (
	PieceEnrollment = 5
	PieceFrames     = 100
)

// pieceShape returns the length of each piece of a piece enrollment, in voiced frames, and how
// many pieces it takes: PieceEnrollment of PieceFrames, or with CalibrationPieceFrames set,
// enough of that length to make as many frames in all.
func (c *TrainConfig) pieceShape() (frames, pieces int) {
	if c.CalibrationPieceFrames == 0 {
		return PieceFrames, PieceEnrollment
	}
	total := PieceEnrollment * PieceFrames
	return c.CalibrationPieceFrames, (total + c.CalibrationPieceFrames - 1) / c.CalibrationPieceFrames
}
