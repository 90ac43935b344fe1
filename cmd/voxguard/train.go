package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/recipe"
)

// stringsFlag collects a repeatable string flag (--corpus DIR, --enroll ID=FILE, ...).
type stringsFlag []string

func (s *stringsFlag) String() string     { return fmt.Sprint(*s) }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

func init() {
	register(command{
		name:    "train",
		summary: "train a model bundle (UBM, i-vector extractor, LDA/PLDA, calibration) from corpora",
		run:     runTrain,
	})
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", "--corpus DIR [--corpus DIR...] --out FILE [flags]", stderr)
	var corpora stringsFlag
	fs.Var(&corpora, "corpus", "corpus `folder` laid out <speaker>/<utterance>.wav (repeatable)")
	out := fs.String("out", "", "bundle `file` to write")
	exclude := fs.String("exclude", "", "`file` of corpus/speaker keys to hold out (e.g. bench/dev_speakers.txt)")
	work := fs.String("work", "", "checkpoint `folder` for finished stages; a rerun resumes from it (default: <out>.work)")
	d := recipe.DefaultTrainConfig()
	comps := fs.Int("components", d.Components, "UBM Gaussians")
	ivdim := fs.Int("ivector-dim", d.IVectorDim, "i-vector dimension")
	ivIters := fs.Int("ivector-iters", d.IVectorIters, "total-variability EM iterations")
	halfT := fs.Bool("half-precision-t", d.HalfPrecisionT, "store the i-vector extractor's T in half precision (bundle format version 10; the default since c44): half the bundle's largest section, where extraction reads T at most in half precision anyway; =false: float32, as before c44")
	ivFull := fs.Bool("ivector-fullcov", d.IVectorFullCov, "whiten the i-vector extractor's statistics with each UBM component's full covariance, estimated on its training recordings (bundle format version 8; the default since c32), instead of the UBM's diagonal variances (=false: c30's extractor)")
	gmmFull := fs.Bool("gmm-fullcov", d.GMMFullCov, "experimental: the GMM scorer whitens its statistics with the extractor's full covariances too (needs --ivector-fullcov)")
	ivVars := fs.Bool("ivector-variances", d.IVectorVariances, "re-estimate the i-vector extractor's residual variances (diagonal) at every EM iteration instead of whitening with the UBM's")
	ubmFrames := fs.Int("ubm-frames", d.UBMFrames, "frames sampled for UBM training")
	lda := fs.Int("lda-dim", d.LDADim, "LDA dimension (at most speakers-1)")
	seed := fs.Uint64("seed", d.Seed, "random seed (training is reproducible for a given seed)")
	workers := fs.Int("workers", 0, "goroutines (default: all cores)")
	minPost := fs.Float64("min-post", d.MinPost, "drop each frame's selected Gaussians with a posterior below this and renormalise the rest (Kaldi's --min-post, e.g. 0.025; 0: keep all top-C)")
	groupMax := fs.Int("selection-group-max", d.SelectionGroupMax, "with --selection-groups, cap each group at `N` UBM components (balanced groups; 0: plain k-means groups, which come out very uneven)")
	groups := fs.String("selection-groups", d.SelectionGroups, "two-level Gaussian selection for the statistics, `K/G`: K groups of UBM components, the best G scored per frame (\"\": pre-rank every component)")
	excerpts := fs.String("backend-excerpts", "", "experimental: comma-separated excerpt lengths in voiced `frames` (10 ms each, at least 10): every recording that trains a back end also gives the i-vector of that many voiced frames at a seeded random offset, one more session of its speaker for the back ends' LDA and PLDA (e.g. 100,300; \"\": none)")
	calDegRepeat := fs.Int("calibration-degraded-repeat", 1, "experimental: count each degraded copy's held-out calibration trials this many `times` (1: once)")
	calPieces := fs.Bool("calibration-piece-enrollments", d.CalibrationPieceEnrollments, "experimental: the calibration's trials also have enrollments made of five ~1 s pieces of separate recordings, each normalised as a short recording; measured, not adopted")
	calPieceFrames := fs.Int("calibration-piece-frames", d.CalibrationPieceFrames, "experimental, with --calibration-piece-enrollments: each piece's length in voiced `frames` (0: 100, five pieces); shorter pieces, more of them, ~5 s in all; measured, not adopted")
	calEnroll := fs.Bool("calibration-enroll-duration", d.CalibrationEnrollDuration, "experimental, with --channel-fusion and a calibration knot: the calibration also weighs each score by the enrollment's own net speech (a 5 s enrollment against a 1 s test is not a 30 s one); measured, not adopted")
	calShort := fs.Bool("calibration-short-recordings", d.CalibrationShortRecordings, "experimental: the calibration's short test sides are their recordings' audio cut short and run through the front end whole (normalised as a short test is), not excerpts of the whole recording's frames; measured, not adopted")
	calSameSex := fs.Bool("calibration-same-sex", d.CalibrationSameSex, "experimental: train the calibration on same-sex non-target trials only (cross-sex impostors are the easy ones)")
	extraCopies := fs.String("extra-copies", d.ExtraCopies, "what second and later degraded copies (\"~aug1\", ...: make_augmented.py --first-copy) train: extractor (the i-vector extractor, not the back ends), all (like the first copies), backends (not the extractor), calibration (nothing); every degraded copy also tests the calibration")
	normPrior := fs.Float64("norm-prior-frames", d.NormPriorFrames, "weight, in `frames`, of a prior mean fitted on the training recordings that CMN mixes into the mean of a window shorter than --norm-window (a short recording or a call's first frames), tapering to none at a full window; with --second-frontend, each system fits its own (0: plain CMN)")
	holdout := fs.Float64("front-holdout", d.FrontHoldout, "experimental: keep this `fraction` of the training speakers out of the UBM and the i-vector extractor and train the calibration on trials among them alone (0: none; calibration over --calibration-folds)")
	calFolds := fs.Int("calibration-folds", d.CalibrationFolds, "speaker `folds` for the calibration's held-out trials: each fold is scored by a back end trained on the other folds' speakers (2: halves)")
	knot := fs.Float64("calibration-knot", d.CalibrationKnot, "`seconds` of net speech where the calibration's duration dependence bends (0: linear in log duration)")
	formantEx := fs.Bool("formant-extractor", d.FormantExtractor, "formant-warped copies (\"~vt\" in their file names, bench/trials/make_vtlp.py) and, with --augment-extractor, their degraded copies train the i-vector extractor too, not only the back end")
	speedFront := fs.Bool("speed-front", d.SpeedFront, "speed-perturbed copies (\"~sp\" in their file names) train the UBM and i-vector extractor too, not only the back end")
	augExtractor := fs.Bool("augment-extractor", d.AugmentExtractor, "degraded copies (\"~aug\") train the i-vector extractor but not the UBM (without --augment-front; the UBM, and so stored voiceprints, stay as without copies)")
	augFront := fs.Bool("augment-front", !d.AugmentBackendOnly, "degraded copies (\"~aug\") train the UBM and i-vector extractor too, not only the back end")
	channel := fs.Bool("channel-fusion", d.ChannelFusion, "with degraded copies (\"~aug\") in training: a channel detector on the i-vectors makes each scorer's calibration weight depend on the detected channel (needs --calibration-knot > 0)")
	novelty := fs.Bool("channel-novelty", d.ChannelNovelty, "experimental, with --channel-fusion: the channel detector also scores how far a recording's i-vector lies from clean training recordings' (measured: better on the trained channels, worse on unseen ones; bench/README.md)")
	enrollAug := fs.String("enroll-augment", d.EnrollAugment, "score every trial also against the enrollment pooled with a degraded copy of its audio (\"channel-v1\": noise at 0-25 dB SNR, a 250-450 to 2800-3500 Hz band, mu-law), fused by the detected channel; \"\": off")
	gmmNAP := fs.Int("gmm-nap", d.GMMNAP, "rank `K` of the GMM scorer's nuisance attribute projection, learnt from the degraded copies (\"~aug\") of training recordings when there are any (each direction adds C·D half-precision values to the bundle); 0: none")
	ivNAP := fs.Int("ivector-nap", d.IVectorNAP, "experimental: remove `K` channel directions, learnt from the degraded copies, from the i-vectors of the main PLDA back end (0: none)")
	ivNAPAlt := fs.Bool("ivector-nap-alt", false, "experimental: --ivector-nap applies to the alternative back end (trained with the degraded copies) instead of the main one")
	whitenLDA := fs.Bool("whiten-lda", d.WhitenLDA, "experimental: scale each LDA output to unit total variance before length normalisation (the back ends' training vectors)")
	cohortAll := fs.Bool("cohort-all", d.CohortAll, "experimental, with degraded copies (\"~aug\") in training: draw the main back end's S-norm cohort from every training vector, copies included, not only the clean ones it trains on")
	third := fs.Bool("third-backend", d.ThirdBackend, "with degraded copies of speed-perturbed recordings in training (\"~sp\" and \"~aug\" in their names): keep them out of the alternative back end and train a third PLDA back end on everything, its score gated by the detected channel (not with --enroll-augment, which then wins)")
	relevance := fs.Int("gmm-relevance", d.Relevance, "MAP relevance factor of the GMM-UBM linear scorer (0: no GMM scorer)")
	gmmQuad := fs.Bool("gmm-quadratic", d.GMMQuadratic, "keep the quadratic term of the GMM scorer's linear approximation (o·t − ½ Σ n̄_c‖o_c‖²: the MAP model's offset weighted by where the test spends its frames); such a bundle is format version 6, which older builds refuse")
	gmmKeep := fs.Bool("gmm-keep-linear", false, "experimental, with --gmm-quadratic: also give the GMM score without the quadratic term as a further scorer, for the channel-aware calibration to weigh")
	gmmCohort := fs.Int("gmm-cohort", d.GMMCohort, "speakers in the GMM scorer's S-norm cohort (each adds C·D floats to the bundle)")
	frontend := d.Frontend
	recipe.FrontendFlags(fs, &frontend) // --norm, --norm-window, --norm-ahead, --mfcc-low-hz, --mfcc-high-hz, --noise-suppression, --pncc
	secondFront := fs.String("second-frontend", "", "train a second speaker system on another front end and fuse the two: the front-end `flags` (--mfcc-scale, --mfcc-bins, --pncc, ...) that differ from the first system's, in one quoted argument, e.g. \"--mfcc-scale linear --mfcc-bins 30 --pncc power\"; framing and VAD must stay the first's (\"\": one system)")
	secondComps := fs.Int("second-components", 0, "with --second-frontend: the second system's UBM Gaussians (0: as the first's)")
	secondDim := fs.Int("second-ivector-dim", 0, "with --second-frontend: the second system's i-vector dimension (0: as the first's)")
	secondGroups := fs.String("second-selection-groups", "", "with --second-frontend: the second system's two-level Gaussian selection, `K/G` (\"\": as the first's)")
	fusionMax := fs.Float64("fusion-max-speech", d.FusionMaxSeconds, "with --second-frontend: the test side's net speech, in `seconds`, from which trials are scored by the first system alone and live calls stop feeding the second (0: always fused)")
	vadWindow := fs.Int("vad-window", 0, "`frames` of the energy VAD's mean window (0: the default, 300); with --norm-window, the two set how much speech each live assessment re-derives provisionally (the larger window's half)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if len(corpora) == 0 || *out == "" {
		return usageErrorf("--corpus and --out are required")
	}
	if *vadWindow < 0 || (*vadWindow > 0 && frontend.VAD == nil) {
		return usageErrorf("--vad-window %d: want a positive number of frames", *vadWindow)
	}
	if *vadWindow > 0 {
		vad := *frontend.VAD
		vad.MeanWindow = *vadWindow
		frontend.VAD = &vad
	}
	if frontend.NormAhead > 0 && frontend.VAD != nil && frontend.VAD.MeanWindow > 0 {
		vad := *frontend.VAD // --norm-ahead places the VAD's mean window too
		vad.MeanAhead = min(frontend.NormAhead, vad.MeanWindow-1)
		frontend.VAD = &vad
	}
	if err := frontend.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	cfg := d
	cfg.Frontend = frontend
	if *secondFront != "" {
		second := frontend
		sfs := flag.NewFlagSet("--second-frontend", flag.ContinueOnError)
		sfs.SetOutput(io.Discard)
		recipe.FrontendFlags(sfs, &second)
		if err := sfs.Parse(strings.Fields(*secondFront)); err != nil {
			return usageErrorf("--second-frontend: %v", err)
		}
		if sfs.NArg() > 0 {
			return usageErrorf("--second-frontend: unexpected %q", sfs.Arg(0))
		}
		if err := second.Validate(); err != nil {
			return usageErrorf("--second-frontend: %v", err)
		}
		if !dsp.SameFrames(frontend, second) {
			return usageErrorf("--second-frontend: the second front end must frame the audio and find voiced frames as the first does")
		}
		cfg.SecondFrontend = &second
		cfg.SecondComponents, cfg.SecondIVectorDim, cfg.SecondSelectionGroups = *secondComps, *secondDim, *secondGroups
		cfg.FusionMaxSeconds = *fusionMax
	} else if *secondComps != 0 || *secondDim != 0 || *secondGroups != "" || flagGiven(fs, "fusion-max-speech") {
		return usageErrorf("--second-components, --second-ivector-dim, --second-selection-groups and --fusion-max-speech go with --second-frontend")
	}
	if !(*fusionMax >= 0 && *fusionMax < math.Inf(1)) {
		return usageErrorf("--fusion-max-speech %g: want seconds ≥ 0", *fusionMax)
	}
	if *secondComps < 0 || *secondDim < 0 {
		return usageErrorf("--second-components and --second-ivector-dim must be positive")
	}
	cfg.Corpora, cfg.Components, cfg.IVectorDim, cfg.IVectorIters = corpora, *comps, *ivdim, *ivIters
	cfg.UBMFrames, cfg.LDADim, cfg.Seed, cfg.Workers, cfg.Log = *ubmFrames, *lda, *seed, *workers, stderr
	cfg.WorkDir = *work
	cfg.IVectorVariances = *ivVars
	cfg.IVectorFullCov = *ivFull
	cfg.HalfPrecisionT = *halfT
	if *ivVars && *ivFull {
		// The diagonal variance update replaces the whitening: without an explicit
		// --ivector-fullcov it turns the default full covariances off; with one, the two clash.
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "ivector-fullcov" })
		if explicit {
			return usageErrorf("--ivector-variances and --ivector-fullcov exclude each other")
		}
		cfg.IVectorFullCov = false
	}
	cfg.GMMFullCov = *gmmFull
	cfg.GMMCohort = *gmmCohort
	if *calPieceFrames != 0 && !*calPieces {
		return usageErrorf("--calibration-piece-frames goes with --calibration-piece-enrollments")
	}
	if *calPieceFrames < 0 || *calPieceFrames > 0 && *calPieceFrames < 10 {
		return usageErrorf("--calibration-piece-frames %d: want 0 (the default) or at least 10 voiced frames", *calPieceFrames)
	}
	if *knot < 0 {
		return usageErrorf("--calibration-knot must be 0 or more")
	}
	if *calFolds < 2 {
		return usageErrorf("--calibration-folds must be 2 or more")
	}
	cfg.CalibrationFolds = *calFolds
	cfg.FrontHoldout = *holdout
	if !(*normPrior >= 0 && *normPrior <= 100000) {
		return usageErrorf("--norm-prior-frames %g: want 0 (off) to 100000 frames", *normPrior)
	}
	cfg.NormPriorFrames = *normPrior // a front end normalised otherwise than by CMN fits none (recipe)
	if frontend.Norm != dsp.NormCMN && *normPrior > 0 {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "norm-prior-frames" })
		if set {
			return usageErrorf("--norm-prior-frames needs --norm cmn, not %s", frontend.Norm)
		}
	}
	if *calDegRepeat < 1 {
		return usageErrorf("--calibration-degraded-repeat must be 1 or more")
	}
	cfg.CalibrationDegradedRepeat = *calDegRepeat
	cfg.CalibrationSameSex = *calSameSex
	cfg.CalibrationShortRecordings = *calShort
	cfg.CalibrationEnrollDuration = *calEnroll
	cfg.CalibrationPieceEnrollments = *calPieces
	cfg.CalibrationPieceFrames = *calPieceFrames
	if *excerpts != "" {
		for _, f := range strings.Split(*excerpts, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 10 {
				return usageErrorf("--backend-excerpts wants comma-separated frame counts of at least 10, not %q", f)
			}
			cfg.BackendExcerpts = append(cfg.BackendExcerpts, n)
		}
	}
	if !slices.Contains(recipe.ExtraCopiesModes, *extraCopies) {
		return usageErrorf("--extra-copies must be all, backends, extractor or calibration, not %q", *extraCopies)
	}
	cfg.ExtraCopies = *extraCopies
	cfg.CalibrationKnot = *knot
	cfg.ChannelFusion = *channel
	cfg.ChannelNovelty = *novelty
	cfg.SpeedFront = *speedFront
	cfg.FormantExtractor = *formantEx
	cfg.AugmentBackendOnly = !*augFront
	cfg.AugmentExtractor = *augExtractor
	cfg.SelectionGroups = *groups
	cfg.SelectionGroupMax = *groupMax
	cfg.MinPost = *minPost
	if *enrollAug != "" {
		if _, err := dsp.ChannelAugmentationByName(*enrollAug); err != nil {
			return usageErrorf("--enroll-augment: %v", err)
		}
	}
	cfg.EnrollAugment = *enrollAug
	if *gmmNAP < 0 {
		return usageErrorf("--gmm-nap must be 0 or more")
	}
	cfg.GMMNAP = *gmmNAP
	cfg.GMMQuadratic = *gmmQuad
	cfg.GMMKeepLinear = *gmmKeep
	if *relevance < 0 {
		return usageErrorf("--gmm-relevance must be 0 or more")
	}
	cfg.Relevance = *relevance
	if *ivNAP < 0 {
		return usageErrorf("--ivector-nap must be 0 or more")
	}
	cfg.IVectorNAP = *ivNAP
	cfg.IVectorNAPAlt = *ivNAPAlt
	cfg.ThirdBackend = *third
	cfg.CohortAll = *cohortAll
	cfg.WhitenLDA = *whitenLDA
	if cfg.WorkDir == "" {
		cfg.WorkDir = *out + ".work"
	}
	if *exclude != "" {
		ex, err := recipe.ReadSpeakerList(*exclude)
		if err != nil {
			return err
		}
		cfg.Exclude = ex
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	setTrainMemoryLimit(stderr)
	b, err := recipe.Train(cfg)
	if err != nil {
		return err
	}
	if err := recipe.WriteBundleFile(*out, b); err != nil {
		return err
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(stderr, "wrote %s (%.1f MB)\n", *out, float64(st.Size())/1e6)
	return nil
}
