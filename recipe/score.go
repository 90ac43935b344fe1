package recipe

import (
	"fmt"
	"io"
	"slices"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
)

// ScoreResult is the outcome of ScoreLists.
type ScoreResult struct {
	Scores       []kaldiio.Score // one per trial, in trial order; LLRs in nats
	Insufficient int             // trials with too little net speech on a side (LLR exactly 0)
	// ShortEnrollments counts the enrollment models with enough net speech to be judged but
	// less than ShortEnrollmentFrames, whose LLRs run high (see ShortEnrollmentFrames).
	ShortEnrollments int
}

// ShortEnrollmentFrames is the net speech, in voiced frames (10 ms each), under which an
// enrollment counts as short: on the development trials (held-out speakers) the LLRs of 5 s
// enrollments come out too high, 1.4 nats for five 1 s telephone pieces and 2.5 nats for
// FSDD's single words at the best offset, while those of 30 s enrollments need none; training
// the calibration on short enrollments of its own speakers did not carry to new speakers
// (bench/README.md). Live enrollment asks for 20 s (engine.DefaultEnrollPolicy).
const ShortEnrollmentFrames = 1000

// countShort returns how many enrollment probes have at least minFrames and fewer than
// ShortEnrollmentFrames of net speech.
func countShort(enrolled []*models.Probe, minFrames float64) int {
	n := 0
	for _, p := range enrolled {
		if p.Frames >= minFrames && p.Frames < ShortEnrollmentFrames {
			n++
		}
	}
	return n
}

// set records trial i's LLR and returns 1 if it was insufficient (ok false), else 0, for the
// caller's per-block count (summed into Insufficient once the blocks are done).
func (r *ScoreResult) set(i int, t kaldiio.Trial, llr float64, ok bool) int {
	r.Scores[i] = kaldiio.Score{Model: t.Model, Test: t.Test, Score: llr}
	if ok {
		return 0
	}
	return 1
}

// FrontendOf returns the front-end configuration a bundle was trained with.
func FrontendOf(b *models.Bundle) (dsp.FrontendConfig, error) {
	if len(b.Meta.FrontEnd) == 0 {
		return dsp.FrontendConfig{}, fmt.Errorf("model bundle records no front-end configuration")
	}
	cfg, err := dsp.ParseFrontendConfig(b.Meta.FrontEnd)
	if err != nil {
		return cfg, fmt.Errorf("model bundle: %w", err)
	}
	return cfg, nil
}

// ScoreLists scores trials with the Kaldi-style lists of DESIGN.md: enroll pairs (a repeated
// model id means several enrollment files, whose statistics are summed), test pairs and trials.
// Every file is read once; features, statistics and embeddings are computed on all cores.
// Progress goes to log (nil: silent). The S-norm cohort is the bundle's alone.
func ScoreLists(v *models.Verifier, enroll, tests []kaldiio.Pair, trials []kaldiio.Trial, workers int, log io.Writer) (*ScoreResult, error) {
	return ScoreListsWith(v, enroll, tests, trials, ScoreOptions{Workers: workers, Log: log})
}

// S-norm cohorts for ScoreOptions.Cohort.
const (
	// CohortBundle: the bundle's cohort alone (its training speakers).
	CohortBundle = "bundle"
	// CohortEnrolled: the bundle's cohort and the run's other enrolled models, on both sides of
	// each trial (models.EnrolledCohort with its model side).
	CohortEnrolled = "enrolled"
	// CohortEnrolledTest: as CohortEnrolled on the test side only.
	CohortEnrolledTest = "enrolled-test"
)

// ScoreOptions are ScoreListsWith's settings; the zero value is ScoreLists's behaviour with
// all cores and no progress.
type ScoreOptions struct {
	Workers int       // goroutines (≤ 0: all cores)
	Log     io.Writer // progress (nil: silent)
	Cohort  string    // CohortBundle ("": the same), CohortEnrolled or CohortEnrolledTest
	// AdaptMean centres i-vectors on the mean of the run's own files (models.Verifier.
	// WithDomainMean), shrunk towards the training mean by MeanPrior pseudo-files: weight n/(n +
	// MeanPrior) for n files.
	AdaptMean bool
	MeanPrior float64
	// MinCohortModels is the least number of enrolled models (with enough speech to be scored)
	// for CohortEnrolled(Test) to use them; with fewer the bundle's cohort serves alone.
	MinCohortModels int
}

// ScoreListsWith is ScoreLists with options. With a bundle that fuses a second speaker system
// (models.Bundle.Second), every file's statistics are accumulated for both systems, each on its
// own front end's features (models.Stats.Second), and every LLR is their fusion, exactly as a
// live call's (models.Verifier.Score).
func ScoreListsWith(v *models.Verifier, enroll, tests []kaldiio.Pair, trials []kaldiio.Trial, opt ScoreOptions) (*ScoreResult, error) {
	switch opt.Cohort {
	case "", CohortBundle, CohortEnrolled, CohortEnrolledTest:
	default:
		return nil, fmt.Errorf("unknown S-norm cohort %q (want %s, %s or %s)", opt.Cohort, CohortBundle, CohortEnrolled, CohortEnrolledTest)
	}
	workers, log := opt.Workers, opt.Log
	b := v.Bundle()
	cfg, err := FrontendOf(b)
	if err != nil {
		return nil, err
	}
	modelIDs, modelFiles := kaldiio.GroupPairs(enroll)
	testIdx := map[string]int{}
	for i, p := range tests {
		if _, dup := testIdx[p.ID]; dup {
			return nil, fmt.Errorf("test list: id %q appears twice", p.ID)
		}
		testIdx[p.ID] = i
	}
	modelIdx := map[string]int{}
	for i, id := range modelIDs {
		modelIdx[id] = i
	}
	for i, t := range trials {
		if _, ok := modelIdx[t.Model]; !ok {
			return nil, fmt.Errorf("trial %d: model %q is not in the enrollment list", i+1, t.Model)
		}
		if _, ok := testIdx[t.Test]; !ok {
			return nil, fmt.Errorf("trial %d: test %q is not in the test list", i+1, t.Test)
		}
	}
	// Every distinct file once.
	fileIdx := map[string]int{}
	var files []string
	add := func(p string) {
		if _, ok := fileIdx[p]; !ok {
			fileIdx[p] = len(files)
			files = append(files, p)
		}
	}
	for _, id := range modelIDs {
		for _, p := range modelFiles[id] {
			add(p)
		}
	}
	for _, p := range tests {
		add(p.Path)
	}
	stats, err := FileStats(b, cfg, files, workers, log)
	if err != nil {
		return nil, err
	}
	// With enrollment augmentation, the enrollment files' degraded copies too (models.
	// Verifier.PrepareEnrollment).
	var augStats []*models.Stats
	if b.EnrollAugment() != "" {
		var efiles []string
		for _, id := range modelIDs {
			efiles = append(efiles, modelFiles[id]...)
		}
		efiles = slices.Compact(slices.Sorted(slices.Values(efiles)))
		as, err := AugmentedFileStats(b, cfg, efiles, workers, log)
		if err != nil {
			return nil, err
		}
		augStats = make([]*models.Stats, len(files))
		for i, f := range efiles {
			augStats[fileIdx[f]] = as[i]
		}
	}
	if workers <= 0 {
		workers = runtimeProcs()
	}
	scratch := make([]*models.VerifierScratch, workers)
	for i := range scratch {
		scratch[i] = v.NewScratch()
	}
	if opt.AdaptMean {
		adapted, n, err := AdaptToDomain(v, stats, opt.MeanPrior, nil, workers, log)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			if v, err = v.WithBundle(adapted); err != nil {
				return nil, err
			}
		}
	}
	models_ := make([]*models.Probe, len(modelIDs))
	testProbes := make([]*models.Probe, len(tests))
	n := len(modelIDs) + len(tests)
	err = Parallel(n, workers, progress.New(log, "embeddings", n), func(w, i int) error {
		var s, a *models.Stats
		if i < len(modelIDs) {
			s = b.NewStats()
			if augStats != nil {
				a = models.NewStats(b.UBM.C, b.UBM.D)
			}
			for _, p := range modelFiles[modelIDs[i]] {
				if err := s.Add(stats[fileIdx[p]]); err != nil {
					return err
				}
				if a != nil {
					if err := a.Add(augStats[fileIdx[p]]); err != nil {
						return err
					}
				}
			}
		} else {
			s = stats[fileIdx[tests[i-len(modelIDs)].Path]]
		}
		var p *models.Probe
		var err error
		if i < len(modelIDs) {
			p, err = v.PrepareEnrollment(s, a, scratch[w])
		} else { // only ever a test: no model vector, its projection or its cohort pass
			p, err = v.PrepareTestOwned(s, scratch[w])
		}
		if err != nil {
			return err
		}
		if i < len(modelIDs) {
			models_[i] = p
		} else {
			testProbes[i-len(modelIDs)] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if opt.Cohort == CohortEnrolled || opt.Cohort == CohortEnrolledTest {
		return scoreEnrolledCohort(v, models_, testProbes, modelIdx, testIdx, trials, opt)
	}
	res := &ScoreResult{Scores: make([]kaldiio.Score, len(trials)), ShortEnrollments: countShort(models_, v.MinFrames)}
	const block = 4096
	insufficient := make([]int, (len(trials)+block-1)/block)
	err = Parallel(len(insufficient), workers, nil, func(_, k int) error {
		for i := k * block; i < min((k+1)*block, len(trials)); i++ {
			t := trials[i]
			llr, ok := v.Score(models_[modelIdx[t.Model]], testProbes[testIdx[t.Test]])
			insufficient[k] += res.set(i, t, llr, ok)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range insufficient {
		res.Insufficient += n
	}
	return res, nil
}

// DomainMean is the mean raw i-vector (models.Verifier.IVector) of the statistics with enough
// speech to be judged (v.MinFrames), and how many they are: the estimate voxguard adapt and
// score --adapt-mean centre the back ends on. Progress goes to log (nil: silent).
func DomainMean(v *models.Verifier, stats []*models.Stats, workers int, log io.Writer) ([]float64, int, error) {
	if workers <= 0 {
		workers = runtimeProcs()
	}
	scratch := make([]*models.VerifierScratch, workers)
	for i := range scratch {
		scratch[i] = v.NewScratch()
	}
	ivs := make([][]float64, len(stats))
	err := Parallel(len(stats), workers, progress.New(log, "domain mean", len(stats)), func(w, i int) error {
		if stats[i].Frames() < v.MinFrames {
			return nil // too little speech to say anything about the channel
		}
		var err error
		ivs[i], err = v.IVector(stats[i], scratch[w])
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	mean := make([]float64, v.Bundle().Extractor.R)
	n := 0
	for _, x := range ivs {
		if x == nil {
			continue
		}
		for k, a := range x {
			mean[k] += a
		}
		n++
	}
	for k := range mean {
		mean[k] /= float64(max(n, 1))
	}
	return mean, n, nil
}

// AdaptToDomain returns a copy of v's bundle centred on the domain of the recordings whose
// statistics are given (models.AdaptDomainMean, each system on its own mean with weight
// DomainWeight(n, prior) for its n recordings with enough speech; a second system, when the
// bundle has one, on its own statistics, models.Stats.Second), and the first system's n. With
// n = 0 the bundle is returned as it is. note (nil: none) gives what the copy's metadata records
// of the adaptation, from the first system's n and weight.
func AdaptToDomain(v *models.Verifier, stats []*models.Stats, prior float64, note func(n int, weight float64) string, workers int, log io.Writer) (*models.Bundle, int, error) {
	mean, n, err := DomainMean(v, stats, workers, log)
	if err != nil || n == 0 {
		return v.Bundle(), n, err
	}
	w, text := DomainWeight(n, prior), ""
	if note != nil {
		text = note(n, w)
	}
	b, err := models.AdaptDomainMean(v.Bundle(), mean, w, text)
	if err != nil || v.Second() == nil {
		return b, n, err
	}
	second := make([]*models.Stats, len(stats))
	for i, s := range stats {
		if s.Second == nil {
			return nil, 0, fmt.Errorf("recording %d has no statistics for the bundle's second system", i+1)
		}
		second[i] = s.Second
	}
	mean2, n2, err := DomainMean(v.Second(), second, workers, log)
	if err != nil || n2 == 0 {
		return b, n, err
	}
	if b.Second, err = models.AdaptDomainMean(v.Bundle().Second, mean2, DomainWeight(n2, prior), text); err != nil {
		return nil, 0, fmt.Errorf("second system: %w", err)
	}
	return b, n, nil
}

// DomainWeight is the weight of a domain mean estimated from n recordings against the training
// mean's prior worth of recordings (negative: 0): n / (n + prior).
func DomainWeight(n int, prior float64) float64 {
	return float64(n) / (float64(n) + max(prior, 0))
}

// FileStats computes the Baum-Welch statistics of each file's voiced frames with the bundle's
// UBM, on all cores.
func FileStats(b *models.Bundle, cfg dsp.FrontendConfig, files []string, workers int, log io.Writer) ([]*models.Stats, error) {
	return fileStats(b, cfg, files, nil, workers, log)
}

// AugmentedFileStats is FileStats on degraded copies of the files, made with the bundle's
// enrollment augmentation (models.Bundle.EnrollAugment; an error if it has none): the statistics
// models.Verifier.PrepareEnrollment pools with an enrollment's own.
func AugmentedFileStats(b *models.Bundle, cfg dsp.FrontendConfig, files []string, workers int, log io.Writer) ([]*models.Stats, error) {
	aug, err := dsp.ChannelAugmentationByName(b.EnrollAugment())
	if err != nil {
		return nil, err
	}
	return fileStats(b, cfg, files, &aug, workers, log)
}

func fileStats(b *models.Bundle, cfg dsp.FrontendConfig, files []string, aug *dsp.ChannelAugmentation, workers int, log io.Writer) ([]*models.Stats, error) {
	if workers <= 0 {
		workers = runtimeProcs()
	}
	type ws struct {
		x, x2   *FeatureExtractor // x2: the second system's front end (nil without one)
		gs, gs2 *models.Scratch
	}
	var cfg2 dsp.FrontendConfig
	if b.Second != nil && aug == nil { // augmented enrollments feed the first system alone
		var err error
		if cfg2, err = FrontendOf(b.Second); err != nil {
			return nil, fmt.Errorf("second system: %w", err)
		}
	}
	w := make([]ws, workers)
	for i := range w {
		x, err := NewFeatureExtractor(cfg, 0)
		if err != nil {
			return nil, err
		}
		w[i] = ws{x: x, gs: b.NewStatsScratch()}
		if cfg2.MFCC.SampleRate != 0 {
			if w[i].x2, err = NewFeatureExtractor(cfg2, 0); err != nil {
				return nil, err
			}
			w[i].gs2 = b.Second.NewStatsScratch()
		}
	}
	stats := make([]*models.Stats, len(files))
	label := "features+statistics"
	if aug != nil {
		label = "augmented enrollments"
	}
	err := Parallel(len(files), workers, progress.New(log, label, len(files)), func(k, i int) error {
		var f *Features
		var samples []float32 // decoded once for both systems (one sample rate: dsp.SameFrames)
		var err error
		if aug != nil {
			f, err = w[k].x.FromFileAugmented(files[i], *aug)
		} else if samples, err = w[k].x.Samples(files[i]); err == nil {
			f = w[k].x.FromSamples(samples)
		}
		if err != nil {
			return err
		}
		s := b.UBM.NewStats()
		b.UBM.AccumulateUtterance(s, f.Frames, w[k].gs)
		if w[k].x2 != nil { // only without aug
			s.Second = b.Second.UBM.NewStats()
			b.Second.UBM.AccumulateUtterance(s.Second, w[k].x2.FromSamples(samples).Frames, w[k].gs2)
		}
		stats[i] = s
		return nil
	})
	return stats, err
}

// scoreEnrolledCohort scores the trials with the bundle's cohort extended by the enrolled models
// (models.EnrolledCohort).
func scoreEnrolledCohort(v *models.Verifier, enrolled, tests []*models.Probe, modelIdx, testIdx map[string]int, trials []kaldiio.Trial, opt ScoreOptions) (*ScoreResult, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtimeProcs()
	}
	scratch := make([]*models.VerifierScratch, workers)
	for i := range scratch {
		scratch[i] = v.NewScratch()
	}
	c := v.NewEnrolledCohort(enrolled, opt.Cohort == CohortEnrolled, opt.MinCohortModels)
	if err := Parallel(len(enrolled), workers, nil, func(w, i int) error {
		c.PrepareModel(i, scratch[w])
		return nil
	}); err != nil {
		return nil, err
	}
	// Trials grouped by test: each test's scores against every enrolled model once.
	byTest := make([][]int, len(tests))
	for i, t := range trials {
		k := testIdx[t.Test]
		byTest[k] = append(byTest[k], i)
	}
	res := &ScoreResult{Scores: make([]kaldiio.Score, len(trials)), ShortEnrollments: countShort(enrolled, v.MinFrames)}
	insufficient := make([]int, len(tests))
	err := Parallel(len(tests), workers, progress.New(opt.Log, "trials", len(tests)), func(w, k int) error {
		if len(byTest[k]) == 0 {
			return nil
		}
		ct := c.PrepareTest(tests[k], scratch[w])
		for _, i := range byTest[k] {
			t := trials[i]
			llr, ok := c.Score(modelIdx[t.Model], tests[k], ct)
			insufficient[k] += res.set(i, t, llr, ok)
		}
		return nil
	})
	for _, n := range insufficient {
		res.Insufficient += n
	}
	return res, err
}
