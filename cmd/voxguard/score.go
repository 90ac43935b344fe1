package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

func init() {
	register(command{
		name:    "score",
		summary: "score Kaldi-style trials (enroll.scp, test.scp, trials) as calibrated LLRs",
		run:     runScore,
	})
}

func runScore(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("score", "--enroll ENROLL.scp --test TEST.scp --trials TRIALS [--out SCORES] [--model FILE]\n       voxguard score --spoof --test TEST.scp [--key KEY] [--out SCORES] [--model FILE] [--far RATE]", stderr)
	spoof := fs.Bool("spoof", false, "score the recordings of --test with the spoofing countermeasure instead (\"test_id llr decision\" lines, LLR > 0 favouring spoofing), as voxguard spoof --list does")
	key := fs.String("key", "", "with --spoof: `file` of \"test_id bonafide|spoof\" lines; prints the EER and the false-alarm rate at the threshold")
	far := fs.Float64("far", defaultSpoofFAR, "with --spoof: false-alarm `rate` on bona fide speech at which to decide spoof")
	enroll := fs.String("enroll", "", "enrollment `list` (model_id path; a repeated id means several files)")
	test := fs.String("test", "", "test `list` (test_id path)")
	trials := fs.String("trials", "", "trials `list` (model_id test_id [target|nontarget])")
	out := fs.String("out", "", "scores `file` (default: standard output)")
	model := fs.String("model", "", "model bundle `file` (default: the embedded bundle)")
	minSpeech := fs.Float64("min-speech", models.DefaultMinFrames/100.0, "least net speech in `seconds` on each side; shorter gives LLR 0")
	workers := fs.Int("workers", 0, "goroutines (default: all cores)")
	cohort := fs.String("cohort", recipe.CohortBundle, "adaptive S-norm `cohort`: "+recipe.CohortBundle+
		" (the bundle's training speakers), "+recipe.CohortEnrolled+" (those and the run's other enrolled models, both sides of each trial) or "+
		recipe.CohortEnrolledTest+" (the same, test side only); the last two are experiments that gained nothing on impostors who are not enrolled (bench/README.md)")
	adaptMean := fs.Bool("adapt-mean", false, "centre i-vectors on the mean of this run's own files (unsupervised domain adaptation), shrunk towards the training mean by --mean-prior")
	meanPrior := fs.Float64("mean-prior", 100, "with --adapt-mean: weight of the training mean, in `files`")
	second := fs.Bool("second-system", true, "with a bundle that has a second speaker system (the default bundle does), score trials with both, fused, below its limit of net speech; false: the first system alone, as `voxguard serve` scores calls unless --second-system")
	minCohort := fs.Int("cohort-min-models", 0, "least `number` of enrolled models for --cohort "+recipe.CohortEnrolled+"; with fewer the bundle's cohort serves alone")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if *spoof {
		if *test == "" || *enroll != "" || *trials != "" {
			return usageErrorf("--spoof scores the recordings of --test: give --test, and neither --enroll nor --trials")
		}
		cs, err := loadSpoofScorer(*model, *far)
		if err != nil {
			return err
		}
		return cs.scoreList(*test, *out, *key, *workers, stdout, stderr)
	}
	if *key != "" {
		return usageErrorf("--key goes with --spoof")
	}
	if *enroll == "" || *test == "" || *trials == "" {
		return usageErrorf("--enroll, --test and --trials are required")
	}
	switch *cohort {
	case recipe.CohortBundle, recipe.CohortEnrolled, recipe.CohortEnrolledTest:
	default:
		return usageErrorf("--cohort must be %s, %s or %s", recipe.CohortBundle, recipe.CohortEnrolled, recipe.CohortEnrolledTest)
	}
	b, err := models.LoadBundle(*model)
	if err != nil {
		return err
	}
	if !*second {
		b = b.FirstSystem()
	}
	v, err := models.NewVerifier(b)
	if err != nil {
		return err
	}
	v.MinFrames = *minSpeech * 100
	e, err := kaldiio.ReadSCP(*enroll)
	if err != nil {
		return err
	}
	t, err := kaldiio.ReadSCP(*test)
	if err != nil {
		return err
	}
	tr, err := kaldiio.ReadTrials(*trials)
	if err != nil {
		return err
	}
	var log io.Writer
	if progress.IsTerminal(stderr) {
		log = stderr
	}
	res, err := recipe.ScoreListsWith(v, e, t, tr, recipe.ScoreOptions{Workers: *workers, Log: log, Cohort: *cohort, MinCohortModels: *minCohort, AdaptMean: *adaptMean, MeanPrior: *meanPrior})
	if err != nil {
		return err
	}
	w := stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var num []byte
	for _, s := range res.Scores {
		bw.WriteString(s.Model)
		bw.WriteByte(' ')
		bw.WriteString(s.Test)
		bw.WriteByte(' ')
		num = strconv.AppendFloat(num[:0], s.Score, 'f', 4, 64)
		bw.Write(num)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
	}
	if res.ShortEnrollments > 0 {
		fmt.Fprintf(stderr, "voxguard score: %d enrollment models have under %.0f s of net speech: their LLRs run high (by 1.4-2.5 nats for 5 s enrollments on held-out speakers; bench/README.md); live enrollment asks for 20 s\n",
			res.ShortEnrollments, float64(recipe.ShortEnrollmentFrames)/100)
	}
	if res.Insufficient > 0 {
		fmt.Fprintf(stderr, "voxguard score: %d of %d trials had under %.2g s of net speech on a side: scored LLR 0 (insufficient speech)\n",
			res.Insufficient, len(res.Scores), *minSpeech)
	}
	return nil
}
