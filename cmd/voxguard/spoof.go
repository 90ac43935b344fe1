package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

func init() {
	register(command{
		name:    "train-spoof",
		summary: "train the spoofing countermeasure (bona fide vs synthetic/replayed GMMs on LFCC)",
		run:     runTrainSpoof,
	})
	register(command{
		name:    "spoof",
		summary: "score files with the spoofing countermeasure (LLR > 0 favours spoofing)",
		run:     runSpoof,
	})
}

// defaultSpoofFAR is the false-alarm rate on bona fide speech at which spoof decides "spoof".
const defaultSpoofFAR = engine.DefaultSpoofFAR

func runTrainSpoof(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train-spoof", "--bonafide DIR... --spoof DIR... --out FILE [--merge-into BUNDLE]", stderr)
	var bona, spoof, specSpoof stringsFlag
	fs.Var(&bona, "bonafide", "bona fide `folder` or WAV file, searched recursively (repeatable; the false-alarm thresholds hold in each folder separately, e.g. clean and codec copies)")
	fs.Var(&spoof, "spoof", "synthetic or replayed speech `folder` or WAV file, searched recursively (repeatable)")
	fs.Var(&specSpoof, "spec-spoof", "with --spec-net: a synthetic or replayed speech `folder` only the spectrum network trains on, not the other systems (repeatable; families as --spoof's, --family-group applies)")
	out := fs.String("out", "", "output bundle `file`")
	merge := fs.String("merge-into", "", "existing bundle `file` whose sections are copied into --out alongside the countermeasure (default: a bundle holding only the countermeasure)")
	comps := fs.Int("components", 256, "Gaussian `components` per class")
	iters := fs.Int("iters", 8, "EM `iterations` at full size")
	maxFrames := fs.Int("max-frames", 200000, "training `frames` per class (evenly subsampled)")
	holdOut := fs.Int("hold-out", 5, "every `N`-th bona fide file is held out to set the false-alarm thresholds")
	balance := fs.Bool("balance-spoof", true, "train the spoof GMM on the same number of frames from every family (the folder above each --spoof folder) instead of drawing frames uniformly, where families of long recordings weigh more")
	var famGroups stringsFlag
	fs.Var(&famGroups, "family-group", "with --balance-spoof: `NAME=F1,F2,...` makes the families F1, F2, ... one group NAME, which gets one family's share of the spoof GMM's frames (repeatable; e.g. the text-to-speech engines as two groups, so that replay and copy-synthesis keep their weight as engines are added)")
	seed := fs.Uint64("seed", 0, "draw of the training's random choices (frame subsampling, initial weights); 0: the draw every shipped countermeasure was trained with, another value another draw of the same recipe")
	balanceNet := fs.Bool("balance-net", false, "with --balance-spoof: also draw the frame network's spoof frames about evenly over the families (experimental)")
	holdSpk := fs.Bool("hold-out-speakers", false, "deal the bona fide speakers (the file name before its first '_', else its folder) into --hold-out folds, train one countermeasure without each fold, and set the thresholds on every bona fide file as scored by the model that never heard its speaker (trains N countermeasures)")
	thrConf := fs.Float64("threshold-confidence", recipe.DefaultSpoofThresholdConfidence, "with --hold-out-speakers: set each threshold so that its false-alarm rate holds on unseen speakers with this `confidence` (speakers resampled with replacement), not only on the average training speaker; 0: the plain quantile of the held-out scores")
	bonaScores := fs.String("bonafide-scores", "", "with --hold-out-speakers: write the held-out bona fide scores the thresholds are set on to this `file` (path, group, speaker, score per line)")
	gmmOnly := fs.Bool("gmm-only", false, "the ASVspoof baseline alone: no long-term spectral statistics system fused in")
	prosody := fs.Bool("prosody", recipe.DefaultSpoofProsody, "add prosodic-perturbation features (pitch jitter, shimmer, F0 contour smoothness) to the long-term statistics")
	modulation := fs.Bool("modulation", recipe.DefaultSpoofModulation, "add multi-scale temporal modulation statistics (sub-band log power changes over 15-120 ms) to the long-term statistics")
	modLow := fs.Float64("modulation-low", recipe.DefaultSpoofModulationLow, "with --modulation: lowest sub-band edge in `Hz` (0: the first FFT bin above DC)")
	modHigh := fs.Float64("modulation-high", recipe.DefaultSpoofModulationHigh, "with --modulation: highest sub-band edge in `Hz` (0: Nyquist)")
	modShape := fs.Bool("modulation-shape", recipe.DefaultSpoofModulationShape, "with --modulation: divide each sub-band's changes by their sum over the lags (the modulation spectrum's shape only)")
	voiceQ := fs.Bool("voice-quality", recipe.DefaultSpoofVoiceQuality, "add voice-source statistics (voicing, band harmonicity, cepstral peak prominence, LPC-residual kurtosis, jitter, shimmer; dsp.VoiceQualityStats) to the long-term statistics")
	hidden := fs.Int("ltss-hidden", recipe.DefaultSpoofHidden, "hidden `units` of the perceptron scoring the long-term spectral statistics (0: a logistic regression, the scorer before 2026-12-03)")
	ensemble := fs.Int("ltss-ensemble", 1, "average `N` perceptrons trained from different initial weights (with --ltss-hidden > 0)")
	gmmWeight := fs.Float64("gmm-weight", recipe.DefaultSpoofGMMWeight, "the GMM score's `weight` in the fusion, in (0, 1]; the long-term statistics scorer gets the rest")
	staticCMN := fs.Bool("static-cmn", recipe.DefaultSpoofStaticCMN, "remove from each frame's static cepstra their running mean over the recording so far before the GMMs score it (trained the same way)")
	frameSel := fs.String("frame-selection", "all", "score each frame on the components of the best G of K groups per GMM, as `K/G`; \"all\": every component")
	frameStep := fs.Int("frame-step", recipe.DefaultSpoofFrameStep, "score every `N`-th frame with the GMMs (every frame still counts as speech)")
	frameNet := fs.String("frame-net", recipe.DefaultSpoofFrameNet, "hidden layer `widths` of a third system, a network classifying each frame with its neighbours, comma-separated (\"\": none)")
	netContext := fs.Int("net-context", 3, "with --frame-net: `frames` of context on each side of the classified frame")
	netStep := fs.Int("net-step", recipe.DefaultSpoofNetStep, "with --frame-net: classify every `N`-th frame (0: as --frame-step)")
	vqShift := fs.Float64("vq-shift-ms", recipe.DefaultSpoofVQShiftMs, "with --voice-quality: the voice-source statistics' frame shift in `ms` (their frames are 40 ms long)")
	vqHalf := fs.Bool("vq-half-rate", recipe.DefaultSpoofVQHalfRate, "with --voice-quality: find the pitch and the cepstral peak below 2 kHz at half the rate (a quarter less work; bench/README.md)")
	vqPhase := fs.Bool("vq-phase", recipe.DefaultSpoofVQPhase, "with --voice-quality: add the harmonics' phase structure (steadiness of their second phase differences) to the voice-source statistics")
	vqMax := fs.Int("vq-max-frames", recipe.DefaultSpoofVQMaxFrames, "with --voice-quality: stop the voice-source statistics after this many `frames` of speech (0: never; the first seconds bound a long call's work)")
	vqWeight := fs.Float64("vq-weight", recipe.DefaultSpoofVQWeight, "with --voice-quality and --frame-net: score the voice-source statistics with a perceptron of their own, fused with this `weight` (0: they join the long-term statistics' perceptron)")
	netWeight := fs.Float64("net-weight", recipe.DefaultSpoofNetWeight, "with --frame-net: the network's `weight` in the fusion, in (0, 1]")
	specNet := fs.Bool("spec-net", false, "add a fifth system: a light convolutional network on each recording's fine log power spectrum (32 ms frames, 31 Hz bins), with --hold-out-speakers trained once without each speaker fold, whose fused scores set the thresholds (experimental; ~10 min per network on 2 cores)")
	specSteps := fs.Int("spec-steps", 1500, "with --spec-net: training `minibatches` (32 recordings of each class)")
	specSeconds := fs.Float64("spec-seconds", recipe.DefaultSpecSeconds, "with --spec-net: the `seconds` of audio from a recording's start the network reads")
	specWeight := fs.Float64("spec-weight", recipe.DefaultSpecWeight, "with --spec-net: the network's `weight` in the fusion, in (0, 1] (1: it alone decides)")
	specWidth := fs.Int("spec-width", 1, "with --spec-net: channel `multiplier` of the network's layers (16, 24, 32 channels at 1)")
	var specViews []dsp.SpecConfig
	fs.Func("spec-view", "with --spec-net: a further spectrum front end `LENGTH/SHIFT/BINS` (frame and FFT length, frame shift in samples at 8 kHz, bins read from 0 Hz; e.g. 64/16/32: 8 ms frames every 2 ms), with its own network(s) whose log-odds are averaged with the first's (repeatable, at most 4; each costs about what the first network costs)", func(v string) error {
		fe, err := parseSpecView(v)
		if err == nil {
			specViews = append(specViews, fe)
		}
		return err
	})
	var specFE *dsp.SpecConfig
	fs.Func("spec-front-end", "with --spec-net: the first network's spectrum front end `LENGTH/SHIFT/BINS` as --spec-view's (default 256/80/128: 32 ms frames every 10 ms), its training excerpt and masks scaled to it", func(v string) error {
		fe, err := parseSpecView(v)
		if err == nil {
			specFE = &fe
		}
		return err
	})
	specWork := fs.String("spec-work-dir", "", "with --spec-net: keep each network in this `folder` as soon as it is trained; a rerun with the same data and settings reads them back instead of training them again (resumes a stopped run)")
	specMembers := fs.Int("spec-members", 1, "with --spec-net: `networks` trained from different seeds and averaged (an ensemble: that many times the network's training and scoring time), 1-8")
	specOneClass := fs.Bool("spec-one-class", false, "with --spec-net: every network's output is a one-class score (OC-softmax: the cosine to a learnt bona fide direction, trained with margins 0.9 and 0.2 and scale 20) instead of a logistic one; bundle format 14")
	workers := fs.Int("workers", 0, "goroutines (default: all cores)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if !(*thrConf >= 0 && *thrConf < 1) {
		return usageErrorf("--threshold-confidence must be in [0, 1)")
	}
	if (*bonaScores != "" || flagGiven(fs, "threshold-confidence")) && !*holdSpk {
		return usageErrorf("--threshold-confidence and --bonafide-scores need --hold-out-speakers")
	}
	if len(specSpoof) > 0 && !*specNet {
		return usageErrorf("--spec-spoof needs --spec-net")
	}
	if (len(specViews) > 0 || *specWork != "" || specFE != nil || *specOneClass) && !*specNet {
		return usageErrorf("--spec-view, --spec-front-end, --spec-work-dir and --spec-one-class need --spec-net")
	}
	if len(specViews) > 4 {
		return usageErrorf("--spec-view given %d times, at most 4", len(specViews))
	}
	var spec *recipe.SpecNetTrainConfig
	if *specNet {
		if *specSteps < 1 || !(*specSeconds >= 1) || !(*specWeight > 0 && *specWeight <= 1) || *specWidth < 1 || *specWidth > 8 || *specMembers < 1 || *specMembers > 8 {
			return usageErrorf("--spec-steps must be positive, --spec-seconds at least 1, --spec-weight in (0, 1], --spec-width 1-8, --spec-members 1-8")
		}
		spec = &recipe.SpecNetTrainConfig{Seconds: *specSeconds, Weight: *specWeight, Members: *specMembers, Views: specViews, WorkDir: *specWork,
			Net: models.SpecNetConfig{Steps: *specSteps, Layers: models.DefaultSpecLayers(*specWidth), OneClass: *specOneClass}}
		if specFE != nil {
			spec.FrontEnd, spec.Net = *specFE, recipe.SpecNetConfigFor(spec.Net, *specFE)
		}
	}
	hiddenNet, err := parseWidths(*frameNet)
	if err != nil {
		return usageErrorf("--frame-net: %v", err)
	}
	if *gmmOnly {
		if len(hiddenNet) > 0 && flagGiven(fs, "frame-net") {
			return usageErrorf("--frame-net needs the long-term statistics system (not --gmm-only)")
		}
		hiddenNet = nil // the baseline alone
	}
	if *netContext < 1 || *netContext > 50 {
		return usageErrorf("--net-context %d: want 1-50", *netContext)
	}
	if *netStep < 0 || *netStep > 50 {
		return usageErrorf("--net-step %d: want 0-50", *netStep)
	}
	if !(*netWeight > 0 && *netWeight <= 1) {
		return usageErrorf("--net-weight %g: want a weight in (0, 1]", *netWeight)
	}
	if *frameStep < 1 {
		return usageErrorf("--frame-step %d: want at least 1", *frameStep)
	}
	// The voice-source scorer needs the long-term statistics' perceptron and the frame network:
	// without them (or without the statistics) it is left out unless it was asked for.
	canVQ := !*gmmOnly && len(hiddenNet) > 0 && *hidden > 0
	if !canVQ || !*voiceQ {
		if !flagGiven(fs, "vq-weight") {
			*vqWeight = 0
		}
		if !canVQ && !flagGiven(fs, "voice-quality") {
			*voiceQ = false
		}
	}
	if *vqWeight != 0 && !canVQ {
		return usageErrorf("--vq-weight %g: needs the frame network (--frame-net) and the long-term statistics' perceptron (--ltss-hidden > 0, not --gmm-only)", *vqWeight)
	}
	if *vqWeight != 0 && (!*voiceQ || !(*vqWeight > 0 && *vqWeight+*netWeight < 1)) {
		return usageErrorf("--vq-weight %g: needs --voice-quality and a weight in (0, 1 − --net-weight)", *vqWeight)
	}
	if !(*gmmWeight > 0 && *gmmWeight <= 1) {
		return usageErrorf("--gmm-weight %g: want a weight in (0, 1]", *gmmWeight)
	}
	if *ensemble < 1 {
		return usageErrorf("--ltss-ensemble %d: want 1 or more", *ensemble)
	}
	if *hidden < 0 {
		return usageErrorf("--ltss-hidden %d: want 0 or more", *hidden)
	}
	if len(bona) == 0 || len(spoof) == 0 || *out == "" {
		return usageErrorf("--bonafide, --spoof and --out are required")
	}
	lfcc := dsp.TelephoneLFCC()
	lfcc.Prosody = *prosody && !*gmmOnly
	for _, name := range []string{"modulation-low", "modulation-high", "modulation-shape"} {
		if !*modulation && flagGiven(fs, name) {
			return usageErrorf("--%s needs --modulation", name)
		}
	}
	lfcc.Modulation = *modulation && !*gmmOnly
	if lfcc.Modulation {
		lfcc.ModulationLowFreq, lfcc.ModulationHighFreq, lfcc.ModulationShape = *modLow, *modHigh, *modShape
	}
	lfcc.VoiceQuality = *voiceQ && !*gmmOnly
	if lfcc.VoiceQuality {
		lfcc.VoiceQualityShiftMs, lfcc.VoiceQualityMaxFrames, lfcc.VoiceQualityHalfRate = *vqShift, *vqMax, *vqHalf
		lfcc.VoiceQualityPhase = *vqPhase
	}
	for _, name := range []string{"vq-shift-ms", "vq-max-frames", "vq-half-rate", "vq-phase"} {
		if !lfcc.VoiceQuality && flagGiven(fs, name) {
			return usageErrorf("--%s needs --voice-quality", name)
		}
	}
	if err := lfcc.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	sel, err := frameSelection(*frameSel, *comps)
	if err != nil {
		return err
	}
	// Each --bonafide folder is a condition group: the false-alarm rate must hold in each.
	var bf []string
	var groups []int
	for g, root := range bona {
		files, err := recipe.ListWAVs([]string{root})
		if err != nil {
			return err
		}
		bf = append(bf, files...)
		for range files {
			groups = append(groups, g)
		}
	}
	alias, err := recipe.ParseFamilyGroups(famGroups)
	if err != nil {
		return fmt.Errorf("train-spoof: %w", err)
	}
	// The network's own folders share the families' numbering with --spoof's.
	sf, sgroups, perRoot, nfam, err := spoofFamilies(append(append([]string(nil), spoof...), specSpoof...), alias)
	if err != nil {
		return err
	}
	nShared := 0
	for _, n := range perRoot[:len(spoof)] {
		nShared += n
	}
	if spec != nil {
		spec.Spoof, spec.SpoofGroups = sf[nShared:], sgroups[nShared:]
	}
	sf, sgroups = sf[:nShared], sgroups[:nShared]
	if !*balance {
		sgroups = nil
		if spec != nil {
			spec.SpoofGroups = nil
		}
	}
	if len(bf) == 0 || len(sf) == 0 {
		return fmt.Errorf("train-spoof: found %d bona fide and %d spoof WAV files", len(bf), len(sf))
	}
	var b *models.Bundle
	if *merge != "" {
		if b, err = models.LoadBundle(*merge); err != nil {
			return err
		}
	} else {
		b = &models.Bundle{Meta: models.Metadata{Description: "spoofing countermeasure only (voxguard train-spoof)"}}
	}
	var scoresW *bufio.Writer
	var scoresF *os.File
	if *bonaScores != "" {
		if scoresF, err = os.Create(*bonaScores); err != nil {
			return err
		}
		defer scoresF.Close() // on an error below; closed and checked after a success
		scoresW = bufio.NewWriter(scoresF)
	}
	nSpec := 0
	if spec != nil {
		nSpec = len(spec.Spoof)
	}
	fmt.Fprintf(stderr, "train-spoof: %d bona fide files in %d groups and %d spoof files (%d more for the spectrum network alone) of %d families\n", len(bf), len(bona), len(sf), nSpec, nfam)
	cfg := recipe.SpoofTrainConfig{Seed: *seed, LFCC: lfcc, Bonafide: bf, BonafideGroups: groups, Spoof: sf, SpoofGroups: sgroups, Components: *comps, Iters: *iters,
		MaxFrames: *maxFrames, HoldOut: *holdOut, HoldOutSpeakers: *holdSpk, Workers: *workers, Log: stderr, NoLTSS: *gmmOnly, FrameSelection: sel, FrameStep: *frameStep, Hidden: *hidden, MLPEnsemble: *ensemble, GMMWeight: *gmmWeight, StaticCMN: staticDims(*staticCMN, lfcc),
		FrameNet: hiddenNet, NetContext: *netContext, NetWeight: *netWeight, NetStep: *netStep, BalanceNet: *balanceNet, VQWeight: *vqWeight, Spec: spec,
		ThresholdConfidence: *thrConf}
	if scoresW != nil {
		cfg.BonafideScores = scoresW
	}
	setTrainMemoryLimit(stderr)
	cm, err := recipe.TrainSpoof(cfg)
	if err != nil {
		return err
	}
	if scoresW != nil {
		if err := scoresW.Flush(); err != nil {
			return fmt.Errorf("train-spoof: --bonafide-scores: %w", err)
		}
		if err := scoresF.Close(); err != nil {
			return fmt.Errorf("train-spoof: --bonafide-scores: %w", err)
		}
	}
	for _, p := range cm.FARThresholds {
		fmt.Fprintf(stderr, "train-spoof: threshold %.4f at %.1f%% false alarms on held-out bona fide (in every --bonafide group%s)\n", p.LLR, 100*p.FAR, confNote(cfg))
	}
	for _, p := range cm.BaseFARThresholds {
		fmt.Fprintf(stderr, "train-spoof: threshold %.4f at %.1f%% for the other systems alone (a live call's first %g s, or a call that shed the network)\n", p.LLR, 100*p.FAR, cm.SpecSeconds)
	}
	if cm.SpecPrimary != nil {
		for _, p := range cm.SpecPrimary.FARThresholds {
			fmt.Fprintf(stderr, "train-spoof: threshold %.4f at %.1f%% with the first spectrum network alone (a call that shed the others)\n", p.LLR, 100*p.FAR)
		}
	}
	b.Spoof = cm
	return recipe.WriteBundleFile(*out, b)
}

// staticDims is the number of static cepstra of cfg when on (what --static-cmn normalises).
func staticDims(on bool, cfg dsp.LFCCConfig) int {
	if !on {
		return 0
	}
	return cfg.NumCeps
}

func runSpoof(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("spoof", "(--wav FILE | --list TEST.scp [--out SCORES] [--key KEY]) [--model FILE] [--far RATE]", stderr)
	wav := fs.String("wav", "", "WAV `file` to score")
	list := fs.String("list", "", "test `list` (test_id path) to score; writes \"test_id llr decision\" lines")
	out := fs.String("out", "", "scores `file` for --list (default: standard output)")
	key := fs.String("key", "", "with --list: `file` of \"test_id bonafide|spoof\" lines; prints the EER and the false-alarm rate at the threshold")
	model := fs.String("model", "", "model bundle `file` with a countermeasure (default: the embedded bundle)")
	far := fs.Float64("far", defaultSpoofFAR, "false-alarm `rate` on bona fide speech at which to decide spoof")
	workers := fs.Int("workers", 0, "goroutines (default: all cores)")
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if (*wav == "") == (*list == "") {
		return usageErrorf("exactly one of --wav and --list is required")
	}
	cs, err := loadSpoofScorer(*model, *far)
	if err != nil {
		return err
	}
	if *wav != "" {
		f, err := recipe.SpoofFeaturesOf(*wav, cs.cfg, cs.cm.MinLevelDB)
		if err != nil {
			return err
		}
		recs := []*recipe.SpoofFeatures{f}
		if err := recipe.AddSpecs(cs.cm, recs, []string{*wav}, 1, nil); err != nil {
			return err
		}
		llr := recipe.ScoreSpoof(cs.cm, recs, 1)[0]
		decision := cs.decide(llr, len(f.Frames))
		fmt.Fprintf(stdout, "%s llr=%.4f decision=%s threshold=%.4f frames=%d\n", *wav, noVerdict(llr), decision, cs.thr, len(f.Frames))
		return nil
	}
	return cs.scoreList(*list, *out, *key, *workers, stdout, stderr)
}

// spoofScorer is the countermeasure of a bundle with its decision threshold, for spoof and
// score --spoof.
type spoofScorer struct {
	cm        *models.Countermeasure
	cfg       dsp.LFCCConfig
	thr, far  float64
	minFrames int
}

// loadSpoofScorer reads the bundle at path (the embedded one for "") and returns its
// countermeasure deciding at false-alarm rate far.
func loadSpoofScorer(path string, far float64) (*spoofScorer, error) {
	b, err := models.LoadBundle(path)
	if err != nil {
		return nil, err
	}
	cm := b.Spoof
	if cm == nil {
		return nil, errors.New("the model bundle has no spoofing countermeasure (train one with voxguard train-spoof and pass --model)")
	}
	cfg, err := recipe.SpoofLFCCConfig(cm)
	if err != nil {
		return nil, err
	}
	thr, ok := cm.Threshold(far)
	if !ok {
		thr = 0
	}
	return &spoofScorer{cm: cm, cfg: cfg, thr: thr, far: far,
		minFrames: int(engine.MinSpoofSeconds * 1000 / cfg.FrameShiftMs)}, nil
}

// noVerdict shows a score of no verdict (NaN: too little speech for the spectrum network) as 0,
// as the engine does.
func noVerdict(llr float64) float64 {
	if math.IsNaN(llr) {
		return 0
	}
	return llr
}

// decide decides as the engine does (engine.SpoofDetector.Decide): too little speech is
// inconclusive.
func (cs *spoofScorer) decide(llr float64, frames int) string {
	switch {
	case frames < cs.minFrames || math.IsNaN(llr):
		return "inconclusive"
	case llr > cs.thr:
		return "spoof"
	}
	return "bonafide"
}

// scoreList scores the recordings of list (test_id path), writes "test_id llr decision" lines to
// out (stdout when ""), and with key ("test_id bonafide|spoof") reports the EER and the rates at
// the threshold on stderr.
func (cs *spoofScorer) scoreList(list, out, key string, workers int, stdout, stderr io.Writer) error {
	cm, cfg, decide, thr, far := cs.cm, cs.cfg, cs.decide, cs.thr, cs.far
	pairs, err := kaldiio.ReadSCP(list)
	if err != nil {
		return err
	}
	paths := make([]string, len(pairs))
	for i, p := range pairs {
		paths[i] = p.Path
	}
	recs, err := recipe.ExtractSpoofFeatures(paths, cfg, cm.MinLevelDB, workers, progress.New(stderr, "spoof LFCC", len(paths)))
	if err != nil {
		return err
	}
	if err := recipe.AddSpecs(cm, recs, paths, workers, progress.New(stderr, "spoof spectra", len(paths))); err != nil {
		return err
	}
	scores := recipe.ScoreSpoof(cm, recs, workers)
	decisions := make([]string, len(scores))
	for i, v := range scores {
		decisions[i] = decide(v, len(recs[i].Frames))
		scores[i] = noVerdict(v)
	}
	w := stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	for i, p := range pairs {
		fmt.Fprintf(bw, "%s %.6f %s\n", p.ID, scores[i], decisions[i])
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if key == "" {
		return nil
	}
	labels, err := kaldiio.ReadSCP(key)
	if err != nil {
		return err
	}
	lab := map[string]string{}
	for _, l := range labels {
		lab[l.ID] = l.Path
	}
	var sp, bf []float64
	flagged, missed, undecided := 0, 0, 0
	for i, p := range pairs {
		d := decisions[i]
		if d == "inconclusive" {
			undecided++
		}
		switch lab[p.ID] {
		case "spoof":
			sp = append(sp, scores[i])
			if d == "bonafide" {
				missed++
			}
		case "bonafide":
			bf = append(bf, scores[i])
			if d == "spoof" {
				flagged++
			}
		default:
			return fmt.Errorf("%s: no bonafide|spoof label for %q", key, p.ID)
		}
	}
	eerText := "n/a"
	if len(sp) > 0 && len(bf) > 0 {
		eerText = strconv.FormatFloat(100*metrics.EER(sp, bf), 'f', 2, 64) + "%"
	}
	fmt.Fprintf(stderr, "spoof: %d spoof, %d bona fide; EER %s; at threshold %.4f (%g%% false alarms intended): %d bona fide flagged (%.2f%%), %d spoofs passed (%.2f%%), %d recordings under %g s inconclusive\n",
		len(sp), len(bf), eerText, thr, 100*far, flagged, 100*float64(flagged)/float64(max(len(bf), 1)),
		missed, 100*float64(missed)/float64(max(len(sp), 1)), undecided, engine.MinSpoofSeconds)
	return nil
}

// frameSelection turns train-spoof's --frame-selection into models.Countermeasure.FrameSelection
// ("" for every component).
func frameSelection(v string, comps int) (string, error) {
	if v == "all" {
		return "", nil
	}
	var k, g int
	if n, err := fmt.Sscanf(v, "%d/%d", &k, &g); n != 2 || err != nil || g < 1 || g > k || k > comps {
		return "", usageErrorf("--frame-selection %q: want K/G with 1 <= G <= K <= --components, or all", v)
	}
	return v, nil
}

// parseWidths parses comma-separated positive layer widths ("" gives none).
func parseWidths(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 || n > 4096 {
			return nil, fmt.Errorf("bad layer width %q (want 1-4096)", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// spoofFamilies lists the WAV files of the --spoof folders roots with each file's family: the
// name of the folder above its --spoof folder (make_spoof_data.py's <family>/<split>/ layout, so
// espeak-ng/train, espeak-ng/train-codec and aug/espeak-ng/train are one family), or the group
// alias maps that name to (--family-group), numbered from 0 in order of appearance; it also
// returns each root's number of files and the number of families (groups counted once).
func spoofFamilies(roots []string, alias map[string]string) (files []string, groups, perRoot []int, families int, err error) {
	family := map[string]int{}
	for _, root := range roots {
		fs, err := recipe.ListWAVs([]string{root})
		if err != nil {
			return nil, nil, nil, 0, err
		}
		perRoot = append(perRoot, len(fs))
		name := filepath.Base(filepath.Dir(filepath.Clean(root)))
		if a, ok := alias[name]; ok {
			name = a
		}
		g, ok := family[name]
		if !ok {
			g = len(family)
			family[name] = g
		}
		files = append(files, fs...)
		for range fs {
			groups = append(groups, g)
		}
	}
	return files, groups, perRoot, len(family), nil
}

// confNote is train-spoof's note on how its thresholds hold over speakers.
func confNote(c recipe.SpoofTrainConfig) string {
	if c.HoldOutSpeakers && c.ThresholdConfidence > 0 {
		return fmt.Sprintf(", on unseen speakers with %g%% confidence", 100*c.ThresholdConfidence)
	}
	return ""
}

// parseSpecView reads train-spoof's --spec-view LENGTH/SHIFT/BINS: a spectrum front end like
// dsp.TelephoneSpec but for its frame length, frame shift (samples at 8 kHz) and bins.
func parseSpecView(v string) (dsp.SpecConfig, error) {
	fe := dsp.TelephoneSpec()
	parts := strings.Split(v, "/")
	if len(parts) != 3 {
		return fe, fmt.Errorf("%q: want LENGTH/SHIFT/BINS, e.g. 64/16/32", v)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return fe, fmt.Errorf("%q: want LENGTH/SHIFT/BINS, e.g. 64/16/32", v)
		}
		n[i] = x
	}
	fe.FrameLength, fe.FrameShift, fe.Bins = n[0], n[1], n[2]
	if err := fe.Validate(); err != nil {
		return fe, fmt.Errorf("%q: %v", v, err)
	}
	// The default network pools its input four times over, in time and frequency.
	if fe.Bins < 16 || fe.FrameShift > fe.FrameLength {
		return fe, fmt.Errorf("%q: want at least 16 bins and a shift no longer than the frame", v)
	}
	return fe, nil
}
