// Command lofo measures the spoofing countermeasure on the data of bench/spoof/make_spoof_data.py:
// leave-one-family-out EERs (each synthesis family, and replay, held out of training in turn),
// EERs after mobile codecs, and the false-flag rate on every file of ../shared/corpora at the
// threshold set at --far on held-out bona fide training files. Run from the repository root:
//
//	go run ./bench/spoof/lofo [--key bench/out/spoof/key.tsv] [--corpora ../shared/corpora]
//
// It prints the mean EERs over the held-out families (the TTS families and replay, then all of them
// including the resynthesis families vocoder-lpc and griffin-lim) and the
// share of dev-speaker bona fide files flagged at the all-families thresholds. Experiments, off by
// default: --aug adds augmented training items (spoof ones from bench/spoof/make_spoof_aug.py; both
// classes' perceptual-codec copies from bench/spoof/make_spoof_perc.sh, perc_key.tsv), --nested a
// fusion whose GMM weight is chosen by an inner leave-one-family-out in each fold (on 2026-12-02
// data: mean held-out fused EER of the six TTS/replay families 11.25 % clean / 14.36 % codecs,
// against 8.64 / 13.48 % at the fixed weight 0.25 — not adopted). --phase mgd appends the long-term
// statistics of the modified group delay (dsp.MGDStats: per-bin mean and standard deviation over
// the same level-gated frames) to the long-term spectral statistics, --phase mgd-only gives the
// classifier those alone, --mgd-peak adds the whitened frames' peakiness (--phase peak: only it
// appended, peak-only: alone); --no-train lists families kept out of training in every fold (still
// held out and evaluated in their own), e.g. griffin-lim as run.sh's train-spoof does;
// --family-group NAME=F1,F2,... (with --balance-families) balances the spoof GMM's frames over
// groups of families, as train-spoof --family-group does. Measured on
// 2026-12-03 (bench/README, "Phase features"): MGD does not generalise better; not adopted.
// --peak-fuse W1,W2,… adds a third scorer, a logistic regression on the two peakiness statistics
// alone (z-normalised on the held-out bona fide training files), to the shipped fusion with each
// fixed weight w, (1 − w)·fused .25 + w·z(peak), and reports it per held-out family, clean and
// after codecs, with its false flags at the pooled thresholds (the other columns are unchanged).
package main

import (
	"flag"
	"fmt"
	"log"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/voxguard/voxguard/bench/spoof/spoofkey"
	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

type item struct {
	spoofkey.Item
	aug bool // from an --aug key
	f   *recipe.SpoofFeatures
}

func main() {
	key := flag.String("key", "bench/out/spoof/key.tsv", "key file written by make_spoof_data.py")
	corpora := flag.String("corpora", "../shared/corpora", "bona fide corpora for the false-flag rate (\"\": skip)")
	comps := flag.Int("components", 256, "GMM components per class")
	maxFrames := flag.Int("max-frames", 100000, "training frames per class")
	far := flag.Float64("far", 0.01, "false-alarm rate of the operating point")
	l2 := flag.Float64("l2", recipe.DefaultSpoofL2, "L2 weight of the long-term-statistics classifier")
	only := flag.String("only", "", "comma-separated held-out families to run (default all)")
	variant := flag.String("variant", "lfcc", "front-end variant: lfcc (baseline), dyn (deltas and double deltas only), cmn (per-recording mean removed from the statics), cmn-causal (the running mean of the statics so far removed, as a live call could)")
	flux := flag.Bool("flux", false, "add per-bin spectral flux to the long-term statistics")
	prosody := flag.Bool("prosody", false, "add the prosodic-perturbation features (dsp.PitchTracker) to the long-term statistics")
	modulation := flag.Bool("modulation", false, "add the multi-scale temporal modulation statistics (dsp.LFCCConfig.Modulation) to the long-term statistics")
	modLow := flag.Float64("modulation-low", 0, "with --modulation: lowest sub-band edge, Hz (0: FFT bin 1)")
	modHigh := flag.Float64("modulation-high", 0, "with --modulation: highest sub-band edge, Hz (0: Nyquist)")
	modLongOnly := flag.Bool("modulation-long-only", false, "with --modulation: the classifier sees only the lags of 60 and 120 ms (dsp.ModulationLags 4 and 8), not 15 and 30 ms")
	modShape := flag.Bool("modulation-shape", false, "with --modulation: each sub-band's changes divided by their sum over the lags")
	prosodyOnly := flag.Bool("prosody-only", false, "with --prosody: the classifier sees only the prosodic features")
	frameStep := flag.Int("frame-step", 2, "score every N-th frame with the GMMs (models.Countermeasure.FrameStep; the shipped bundle uses 2)")
	statsMs := flag.Float64("stats-ms", 0, "analysis window of the long-term statistics, ms (0: the LFCC frames)")
	nested := flag.Bool("nested", false, "also report a fusion whose GMM weight is chosen per fold by an inner leave-one-family-out over the fold's training families")
	vq := flag.String("vq", "", "voice-quality statistics (dsp.LFCCConfig.VoiceQuality: voicing, harmonicity, cepstral peak prominence, LPC-residual kurtosis, jitter, shimmer): \"\" (none), append (to the long-term spectral statistics), only (the classifier sees only them)")
	vqShift := flag.Float64("vq-shift-ms", 0, "with --vq: the voice-quality frames' shift in `ms` (0: dsp.TelephoneVoiceQuality's 10)")
	vqMax := flag.Int("vq-max-frames", 0, "with --vq: stop the voice-quality statistics after this many counted `frames` (0: never)")
	vqPhaseKeep := flag.String("vq-phase-keep", "", "with --vq only --vq-phase: which phase statistics to keep: \"mean\" (the mean of each over the harmonics: two statistics), \"low\" (each at the three lowest harmonics, k = 3-5, which perceptual codecs disturb least), \"excess\" (each clipped below at its training bona fide median: only steadiness beyond speech's) or \"\" (all)")
	vqPhase := flag.Bool("vq-phase", false, "with --vq: add the harmonics' phase structure (dsp.VoiceQualityConfig.HarmonicPhase)")
	vqHalf := flag.Bool("vq-half-rate", false, "with --vq: find the pitch and the cepstral peak below 2 kHz at half the rate (dsp.VoiceQualityConfig.HalfRate)")
	phase := flag.String("phase", "", "phase-aware long-term statistics: \"\" (none), mgd (modified group delay statistics appended to the long-term spectral statistics), mgd-only (the classifier sees only them), peak (only --mgd-peak's two statistics appended), peak-only (only those two)")
	mgdCfg := dsp.TelephoneMGD()
	flag.IntVar(&mgdCfg.Lifter, "mgd-lifter", mgdCfg.Lifter, "with --phase: cepstral coefficients of the MGD's smoothed spectrum")
	flag.Float64Var(&mgdCfg.Alpha, "mgd-alpha", mgdCfg.Alpha, "with --phase: MGD compression exponent α")
	flag.Float64Var(&mgdCfg.Gamma, "mgd-gamma", mgdCfg.Gamma, "with --phase: MGD spectrum exponent γ")
	flag.Float64Var(&mgdCfg.PreemphCoeff, "mgd-preemph", mgdCfg.PreemphCoeff, "with --phase: pre-emphasis before the MGD")
	flag.BoolVar(&mgdCfg.Peakiness, "mgd-peak", mgdCfg.Peakiness, "with --phase: add the mean and standard deviation of the whitened frames' log kurtosis (dsp.MGD.Peakiness)")
	noTrain := flag.String("no-train", "", "comma-separated families never trained on (held out and evaluated in their own fold as usual)")
	peakFuse := flag.String("peak-fuse", "", "comma-separated weights w of a third fused scorer: a logistic regression on the two peakiness statistics alone (dsp.MGD.Peakiness: mean and standard deviation of the whitened frames' log kurtosis), z-normalised on the held-out bona fide training files like the other two; reported as (1 − w)·fused .25 + w·peakiness, e.g. 0.15,0.25,0.35")
	modFuse := flag.String("mod-fuse", "", "with --modulation: comma-separated weights w of a third fused scorer on the modulation statistics alone (taken out of the long-term statistics), through --peak-fuse's machinery but fused into fused .5: (1 − w)·fused .5 + w·z(modulation)")
	peakL2 := flag.Float64("peak-l2", recipe.DefaultSpoofL2, "with --peak-fuse: L2 weight of the peakiness classifier")
	mlpHidden := flag.Int("ltss-mlp", 0, "hidden units of a one-hidden-layer perceptron replacing the long-term-statistics logistic regression (0: the logistic regression)")
	mlpL2 := flag.Float64("mlp-l2", recipe.DefaultSpoofMLPL2, "with --ltss-mlp: weight decay")
	mlpIters := flag.Int("mlp-iters", 300, "with --ltss-mlp: L-BFGS iterations")
	mlpEnsemble := flag.Int("ltss-ensemble", 1, "with --ltss-mlp: average this many perceptrons trained from different initial weights")
	lfccFilters := flag.Int("lfcc-filters", 0, "triangular filters of the countermeasure's LFCC (0: the shipped 20)")
	lfccCeps := flag.Int("lfcc-ceps", 0, "cepstra kept per frame, C0 included (0: the shipped 20; at most --lfcc-filters)")
	dump := flag.String("dump", "", "write every fold's per-file scores to this TSV (fold, set, family, codec, id, GMM, LTSS, fused .5): the eval items of the held-out family and of the bona fide class, and the held-out bona fide training files (set \"held\") that fix the fold's thresholds, for fusing with another scorer's dump (bench/spoof/fuse)")
	balance := flag.Bool("balance-families", false, "train the spoof GMM on the same number of frames from each training family (default: frames drawn uniformly, so families of long recordings weigh more)")
	var famGroups []string
	flag.Func("family-group", "with --balance-families: `NAME=F1,F2,...` makes the families F1, F2, ... one balance group NAME (repeatable), as train-spoof --family-group does", func(v string) error {
		famGroups = append(famGroups, v)
		return nil
	})
	aug := flag.String("aug", "", "comma-separated extra key files of augmented training items, spoof (bench/spoof/make_spoof_aug.py; a fold drops the held-out family's) or bona fide (joining the bona fide training files)")
	flag.Parse()
	alias, err := recipe.ParseFamilyGroups(famGroups)
	if err != nil {
		log.Fatal(err)
	}
	t0 := time.Now()
	keys, augmented, err := spoofkey.ReadWithAug(*key, *aug)
	if err != nil {
		log.Fatal(err)
	}
	items := make([]item, len(keys))
	nAug := 0
	for i, k := range keys {
		items[i] = item{Item: k, aug: augmented[i]}
		if augmented[i] {
			nAug++
		}
	}
	log.Printf("%d items, %d of them augmented training items", len(items), nAug)
	cfg := dsp.TelephoneLFCC()
	cfg.SpectralFlux = *flux
	if *lfccFilters > 0 {
		cfg.NumFilters = *lfccFilters
	}
	if *lfccCeps > 0 {
		cfg.NumCeps = *lfccCeps
	}
	cfg.StatsFrameLengthMs = *statsMs
	cfg.Prosody = *prosody || *prosodyOnly
	cfg.Modulation = *modulation
	cfg.ModulationLowFreq, cfg.ModulationHighFreq, cfg.ModulationShape = *modLow, *modHigh, *modShape
	switch *vq {
	case "":
	case "append", "only":
		cfg.VoiceQuality = true
		cfg.VoiceQualityShiftMs, cfg.VoiceQualityMaxFrames, cfg.VoiceQualityHalfRate = *vqShift, *vqMax, *vqHalf
		cfg.VoiceQualityPhase = *vqPhase
		if *vq == "only" && (*phase != "" || *peakFuse != "" || *modFuse != "") {
			log.Fatal("--vq only combines with none of --phase, --peak-fuse, --mod-fuse")
		}
	default:
		log.Fatalf("unknown --vq %q (append or only)", *vq)
	}
	if err := cfg.Validate(); err != nil {
		log.Fatal(err)
	}
	if *modLongOnly && !*modulation {
		log.Fatal("--modulation-long-only needs --modulation")
	}
	if *modulation && *prosodyOnly {
		log.Fatal("--prosody-only and --modulation do not combine")
	}
	switch *phase {
	case "", "mgd", "mgd-only":
	case "peak", "peak-only":
		mgdCfg.Peakiness = true
	default:
		log.Fatalf("unknown --phase %q", *phase)
	}
	var peakW []float64
	weights := *peakFuse
	if *modFuse != "" {
		if *peakFuse != "" || !*modulation || *modLongOnly {
			log.Fatal("--mod-fuse needs --modulation, and combines with neither --peak-fuse nor --modulation-long-only")
		}
		weights, peakBase = *modFuse, 2
		thirdName, thirdWhat, thirdBase = "Modulation scorer (--mod-fuse)", "the modulation statistics", "fused .5"
	}
	for _, f := range strings.Split(weights, ",") {
		if f == "" {
			continue
		}
		var w float64
		if _, err := fmt.Sscan(f, &w); err != nil || !(w >= 0 && w <= 1) {
			log.Fatalf("--peak-fuse: bad weight %q", f)
		}
		peakW = append(peakW, w)
	}
	// userPeak: the phase statistics asked for by --phase include the peakiness; --peak-fuse
	// computes it in any case and drops it from what --phase mgd/mgd-only append.
	userPeak := mgdCfg.Peakiness
	if len(peakW) > 0 && *modFuse == "" {
		mgdCfg.Peakiness = true
	}
	if err := mgdCfg.Validate(); err != nil {
		log.Fatal(err)
	}
	// keepStats applies --prosody-only, then --phase (phase[i]: recording i's MGD statistics).
	keepStats := func(fr []*recipe.SpoofFeatures, ph [][]float64) {
		for i, f := range fr {
			if *prosodyOnly {
				f.Stats = f.Stats[len(f.Stats)-dsp.ProsodyDim:]
			}
			if *modLongOnly {
				// The modulation statistics end the vector, lag by lag: drop lags 1 and 2.
				t := len(f.Stats) - dsp.ModulationDim
				f.Stats = append(f.Stats[:t], f.Stats[t+2*dsp.ModulationBands:]...)
			}
			if *modFuse != "" {
				// The modulation statistics end the vector: they go to the third scorer alone.
				t := len(f.Stats) - dsp.ModulationDim
				peakOf[f] = slices.Clone(f.Stats[t:])
				f.Stats = f.Stats[:t]
			} else if len(peakW) > 0 {
				peakOf[f] = slices.Clone(ph[i][len(ph[i])-2:])
			}
			var mgd []float64
			if ph != nil {
				mgd = ph[i]
				if len(peakW) > 0 && !userPeak {
					mgd = mgd[:len(mgd)-2]
				}
			}
			switch *phase {
			case "mgd":
				f.Stats = append(f.Stats, mgd...)
			case "mgd-only":
				f.Stats = mgd
			case "peak":
				f.Stats = append(f.Stats, ph[i][len(ph[i])-2:]...)
			case "peak-only":
				f.Stats = ph[i][len(ph[i])-2:]
			}
		}
	}
	extract := func(paths []string) []*recipe.SpoofFeatures {
		if *phase == "" && (len(peakW) == 0 || *modFuse != "") {
			fr, err := recipe.ExtractSpoofFeatures(paths, cfg, recipe.DefaultSpoofMinLevelDB, 0, nil)
			if err != nil {
				log.Fatal(err)
			}
			keepStats(fr, nil)
			return fr
		}
		fr, ph, err := extractWithPhase(paths, cfg, mgdCfg, recipe.DefaultSpoofMinLevelDB)
		if err != nil {
			log.Fatal(err)
		}
		keepStats(fr, ph)
		return fr
	}
	paths := make([]string, len(items))
	for i, it := range items {
		paths[i] = it.Path
	}
	fr := extract(paths)
	if *vq == "only" { // the voice-quality statistics end the vector (dsp.LFCC.SpectralStats)
		for _, f := range fr {
			f.Stats = f.Stats[len(f.Stats)-cfg.VoiceQualityStatsDim():]
			if *vqPhase && *vqPhaseKeep != "" {
				f.Stats = keepPhase(f.Stats, *vqPhaseKeep)
			}
		}
	}
	for i := range items {
		fr[i].Frames = transform(*variant, fr[i].Frames, cfg.NumCeps)
		items[i].f = fr[i]
	}
	log.Printf("features of %d files in %v (%d long-term statistics per recording)", len(items), time.Since(t0).Round(time.Second), len(fr[0].Stats))
	never := strings.Split(*noTrain, ",")

	families := spoofkey.Families(keys)
	famOf := map[*recipe.SpoofFeatures]string{}
	for i := range items {
		famOf[items[i].f] = items[i].Family
	}
	sel := func(f func(it *item) bool) []*recipe.SpoofFeatures {
		var out []*recipe.SpoofFeatures
		for i := range items {
			if f(&items[i]) {
				out = append(out, items[i].f)
			}
		}
		return out
	}
	// Bona fide training files: every 5th held out for fusion and threshold (as train-spoof does).
	var bonaTrain, bonaHeld []*recipe.SpoofFeatures
	n := 0
	for i := range items {
		it := &items[i]
		if it.Class == "bonafide" && it.Split == "train" {
			if spoofkey.IsHeld(n) {
				bonaHeld = append(bonaHeld, it.f)
			} else {
				bonaTrain = append(bonaTrain, it.f)
			}
			n++
		}
	}
	var bonaHeldIDs []string
	n = 0
	for i := range items {
		if it := &items[i]; it.Class == "bonafide" && it.Split == "train" {
			if spoofkey.IsHeld(n) {
				bonaHeldIDs = append(bonaHeldIDs, it.ID)
			}
			n++
		}
	}
	var dumpW *spoofkey.Dump
	if *dump != "" {
		if dumpW, err = spoofkey.CreateDump(*dump); err != nil {
			log.Fatal(err)
		}
		defer func() {
			if err := dumpW.Close(); err != nil {
				log.Fatal(err)
			}
		}()
	}
	// The bona fide GMM is trained once; spoof GMM, classifier and fusion per fold.
	var bonaFrames [][]float32
	for _, r := range bonaTrain {
		bonaFrames = append(bonaFrames, r.Frames...)
	}
	bonaGMM, _, err := models.TrainUBM(models.SubsampleFrames(bonaFrames, *maxFrames, 7),
		models.UBMConfig{Components: *comps, Iters: 8, SplitIters: 2})
	if err != nil {
		log.Fatal(err)
	}
	stats := func(set []*recipe.SpoofFeatures) [][]float64 {
		var out [][]float64
		for _, r := range set {
			if len(r.Frames) > 0 {
				out = append(out, r.Stats)
			}
		}
		return out
	}
	// system 0: GMM (baseline), 1: LTSS classifier, 2: fusion.
	type system struct {
		cm  *models.Countermeasure
		thr [nSys]float64
		pk  *peakScorer // --peak-fuse
	}
	train := func(spoof []*recipe.SpoofFeatures) *system {
		var all [][]float32
		if *balance {
			// Families (or their --family-group names) numbered in name order, as
			// recipe.BalancedFrames seeds them.
			byFam := map[string][][]float32{}
			for _, r := range spoof {
				f := famOf[r]
				if a, ok := alias[f]; ok {
					f = a
				}
				byFam[f] = append(byFam[f], r.Frames...)
			}
			groups := map[int][][]float32{}
			for i, f := range slices.Sorted(maps.Keys(byFam)) {
				groups[i] = byFam[f]
			}
			all = recipe.BalancedFrames(groups, *maxFrames)
		} else {
			for _, r := range spoof {
				all = append(all, r.Frames...)
			}
		}
		g, _, err := models.TrainUBM(models.SubsampleFrames(all, *maxFrames, 8), models.UBMConfig{Components: *comps, Iters: 8, SplitIters: 2})
		if err != nil {
			log.Fatal(err)
		}
		cm := &models.Countermeasure{MinLevelDB: recipe.DefaultSpoofMinLevelDB, Bonafide: bonaGMM, Spoof: g, FrameStep: *frameStep}
		if err := cm.Prepare(); err != nil {
			log.Fatal(err)
		}
		if *mlpHidden > 0 {
			cm.LTSSNet, err = models.TrainMLP(stats(spoof), stats(bonaTrain), models.MLPConfig{Hidden: *mlpHidden, L2: *mlpL2, Iters: *mlpIters, Seed: 1, Ensemble: *mlpEnsemble})
		} else {
			cm.LTSS, err = models.TrainLogistic(stats(spoof), stats(bonaTrain), *l2, 0)
		}
		if err != nil {
			log.Fatal(err)
		}
		sys := &system{cm: cm}
		sc := scores(cm, bonaHeld)
		if cm.Fusion, err = models.NewSpoofFusion(sc[0], sc[1], 0.5); err != nil {
			log.Fatal(err)
		}
		sc = scores(cm, bonaHeld)
		for k := range nSys {
			sys.thr[k] = models.OperatingPoints(sc[k], []float64{*far})[0].LLR
		}
		if len(peakW) > 0 {
			if sys.pk, err = trainPeak(spoof, bonaTrain, bonaHeld, sc[peakBase], peakW, *peakL2, *far); err != nil {
				log.Fatal(err)
			}
		}
		return sys
	}
	type result struct {
		eer, miss [nSys]float64
		pk        peakResult // --peak-fuse
	}
	eval := func(sys *system, fam, codec string) (r result) {
		spR := sel(func(it *item) bool {
			return it.Class == "spoof" && it.Family == fam && it.Split == "eval" && it.Codec == codec
		})
		bfR := sel(func(it *item) bool {
			return it.Class == "bonafide" && it.Split == "eval" && it.Codec == codec
		})
		sp, bf := scores(sys.cm, spR), scores(sys.cm, bfR)
		if sys.pk != nil {
			r.pk = sys.pk.eval(spR, sp[peakBase], bfR, bf[peakBase])
		}
		for k := range nSys {
			m := 0
			for _, s := range sp[k] {
				if s <= sys.thr[k] {
					m++
				}
			}
			r.eer[k] = 100 * metrics.EER(sp[k], bf[k])
			r.miss[k] = 100 * float64(m) / float64(len(sp[k]))
		}
		return r
	}
	fmt.Printf("Leave-one-family-out: EER %% on the held-out family's eval items vs dev-speaker bona fide (clean: same telephone channel; codecs: both through AMR-NB/GSM). GMM = LFCC-GMM baseline, LTSS = long-term spectral statistics classifier, fused w = z-score fusion with GMM weight w; miss = share of the held-out family's items passing at the %g%% false-alarm threshold.\n\n", 100**far)
	hdr := "| held-out | GMM | LTSS | fused .5 | fused .25 | fused .1 | GMM codecs | LTSS codecs | fused .5 codecs | fused .25 codecs | fused .1 codecs | miss GMM | miss LTSS | miss fused .25 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
	fmt.Print(hdr)
	want := map[string]bool{}
	for _, f := range strings.Split(*only, ",") {
		if f != "" {
			want[f] = true
		}
	}
	// Nested fusion: in each fold, the GMM weight that minimises the mean EER over an inner
	// leave-one-family-out on the fold's training families (each inner family's original training
	// items, clean and codecs, against the held-out bona fide training files), scored by
	// countermeasures trained without both families. A countermeasure depends only on the set of
	// families left out, so they are cached.
	cache := map[string]*system{}
	without := func(ex ...string) *system {
		ex = slices.DeleteFunc(slices.Clone(ex), func(f string) bool { return f == "" })
		sort.Strings(ex)
		k := strings.Join(ex, ",")
		if s, ok := cache[k]; ok {
			return s
		}
		s := train(sel(func(it *item) bool {
			return it.Class == "spoof" && it.Split == "train" && !slices.Contains(ex, it.Family) && !slices.Contains(never, it.Family)
		}))
		cache[k] = s
		return s
	}
	var sum [2][2]result // [group][clean, codecs]
	var nFold [2]int
	var peakRows []string // --peak-fuse: one table row per held-out family
	for _, held := range families {
		if len(want) > 0 && !want[held] {
			continue
		}
		sys := without(held)
		a, b := eval(sys, held, "none"), eval(sys, held, "mobile")
		if dumpW != nil {
			dumpFold(dumpW, sys.cm, held, items, bonaHeldIDs, bonaHeld)
		}
		fmt.Printf("| %s | %s | %s | %.1f | %.1f | %.1f |\n", held, row(a.eer), row(b.eer), a.miss[0], a.miss[1], a.miss[3])
		g := 1 // group: 1 the TTS families and replay, 0 the resynthesised bona fide families
		if resynthesis[held] {
			g = 0
		}
		for k := range nSys {
			sum[g][0].eer[k] += a.eer[k]
			sum[g][1].eer[k] += b.eer[k]
			sum[g][0].miss[k] += a.miss[k]
		}
		if len(peakW) > 0 {
			peakRows = append(peakRows, fmt.Sprintf("| %s | %s |", held, peakRow(a.pk, b.pk)))
			sum[g][0].pk.add(a.pk)
			sum[g][1].pk.add(b.pk)
		}
		nFold[g]++
	}
	// Means over the held-out families: without the resynthesis families (the TTS families and
	// replay, bench/README.md's "6 families"), then all of them.
	for _, groups := range [][]int{{1}, {0, 1}} {
		var a, b result
		n := 0
		for _, g := range groups {
			n += nFold[g]
		}
		for k := range nSys {
			for _, g := range groups {
				a.eer[k] += sum[g][0].eer[k] / float64(max(n, 1))
				b.eer[k] += sum[g][1].eer[k] / float64(max(n, 1))
				a.miss[k] += sum[g][0].miss[k] / float64(max(n, 1))
			}
		}
		name := fmt.Sprintf("mean of %d", n)
		if len(groups) == 1 {
			name += " (TTS and replay)"
		}
		fmt.Printf("| %s | %s | %s | %.1f | %.1f | %.1f |\n", name, row(a.eer), row(b.eer), a.miss[0], a.miss[1], a.miss[3])
		if len(peakW) > 0 {
			var pa, pb peakResult
			for _, g := range groups {
				pa.add(sum[g][0].pk)
				pb.add(sum[g][1].pk)
			}
			peakRows = append(peakRows, fmt.Sprintf("| %s | %s |", name, peakRow(pa.scale(1/float64(max(n, 1))), pb.scale(1/float64(max(n, 1))))))
		}
	}
	if len(peakW) > 0 {
		fmt.Printf("\n%s: \"peak\" = logistic regression on %s alone; \"+peak w\" = (1 − w)·%s + w·z(peak), z on held-out bona fide training files. EER %% clean, then codecs, then the share of the held-out family passing the %g%% threshold (clean).\n\n", thirdName, thirdWhat, thirdBase, 100**far)
		fmt.Print(peakHeader(peakW))
		for _, r := range peakRows {
			fmt.Println(r)
		}
	}
	fused := func(cm *models.Countermeasure, sc [nSys][]float64, w float64) []float64 {
		f := *cm.Fusion
		f.GMMWeight = w
		out := make([]float64, len(sc[0]))
		for i := range out {
			out[i] = f.Fuse(sc[0][i], sc[1][i])
		}
		return out
	}
	chooseW := func(held string) (best float64, trace string) {
		const steps = 20
		var tot [steps + 1]float64
		n := 0
		for _, h := range families {
			if h == held {
				continue
			}
			n++
			s := without(held, h)
			pos := scores(s.cm, sel(func(it *item) bool {
				return it.Class == "spoof" && it.Family == h && it.Split == "train" && !it.aug
			}))
			neg := scores(s.cm, bonaHeld)
			for j := range tot {
				w := float64(j) / steps
				tot[j] += metrics.EER(fused(s.cm, pos, w), fused(s.cm, neg, w))
			}
		}
		bj := 0
		for j := range tot {
			if tot[j] < tot[bj] {
				bj = j
			}
		}
		var tr []string
		for j := 0; j <= steps; j += 2 {
			tr = append(tr, fmt.Sprintf("%.2f:%.1f", float64(j)/steps, 100*tot[j]/float64(n)))
		}
		return float64(bj) / steps, strings.Join(tr, " ")
	}
	type nestedSys struct {
		sys *system
		w   float64
		thr float64
	}
	nestedTrain := func(held string) nestedSys {
		ns := nestedSys{sys: without(held)}
		var trace string
		ns.w, trace = chooseW(held)
		log.Printf("nested fusion without %q: GMM weight %.2f (inner mean EER %% by weight: %s)", held, ns.w, trace)
		ns.thr = models.OperatingPoints(fused(ns.sys.cm, scores(ns.sys.cm, bonaHeld), ns.w), []float64{*far})[0].LLR
		return ns
	}
	nestedEval := func(ns nestedSys, sp, bf []*recipe.SpoofFeatures) (eer, miss float64) {
		s, b := fused(ns.sys.cm, scores(ns.sys.cm, sp), ns.w), fused(ns.sys.cm, scores(ns.sys.cm, bf), ns.w)
		m := 0
		for _, x := range s {
			if x <= ns.thr {
				m++
			}
		}
		return 100 * metrics.EER(s, b), 100 * float64(m) / float64(max(len(s), 1))
	}
	evalSet := func(fam, codec string) (sp, bf []*recipe.SpoofFeatures) {
		return sel(func(it *item) bool {
				return it.Class == "spoof" && it.Family == fam && it.Split == "eval" && it.Codec == codec
			}), sel(func(it *item) bool {
				return it.Class == "bonafide" && it.Split == "eval" && it.Codec == codec
			})
	}
	var allNested nestedSys
	if *nested {
		fmt.Printf("\nNested fusion (GMM weight chosen by leave-one-family-out inside each fold), EER %%:\n\n| held-out | GMM weight | fused nested | fused nested codecs | miss fused nested |\n|---|---|---|---|---|\n")
		var sumN [2][3]float64
		var nN [2]int
		for _, held := range families {
			if len(want) > 0 && !want[held] {
				continue
			}
			ns := nestedTrain(held)
			sp, bf := evalSet(held, "none")
			a, ma := nestedEval(ns, sp, bf)
			sp, bf = evalSet(held, "mobile")
			b, _ := nestedEval(ns, sp, bf)
			fmt.Printf("| %s | %.2f | %.2f | %.2f | %.1f |\n", held, ns.w, a, b, ma)
			g := 1
			if resynthesis[held] {
				g = 0
			}
			sumN[g][0] += a
			sumN[g][1] += b
			sumN[g][2] += ma
			nN[g]++
		}
		for _, groups := range [][]int{{1}, {0, 1}} {
			var v [3]float64
			n := 0
			for _, g := range groups {
				n += nN[g]
			}
			for _, g := range groups {
				for k := range v {
					v[k] += sumN[g][k] / float64(max(n, 1))
				}
			}
			name := fmt.Sprintf("mean of %d", n)
			if len(groups) == 1 {
				name += " (TTS and replay)"
			}
			fmt.Printf("| %s | | %.2f | %.2f | %.1f |\n", name, v[0], v[1], v[2])
		}
		allNested = nestedTrain("")
	}
	sys := without()
	fmt.Printf("\nAll families and replay in training (EER %%):\n\n")
	fmt.Print(strings.Replace(strings.Replace(hdr, " miss GMM | miss LTSS | miss fused .25 |", "", 1), "|---|---|---|\n", "\n", 1))
	for _, fam := range families {
		a, b := eval(sys, fam, "none"), eval(sys, fam, "mobile")
		fmt.Printf("| %s | %s | %s |\n", fam, row(a.eer), row(b.eer))
	}
	fmt.Printf("\nthresholds at %g%% FA on held-out bona fide training files: %v\n", 100**far, sys.thr)
	fmt.Printf("\nDev-speaker bona fide (eval split) flagged at those thresholds:\n\n| condition | files | GMM | LTSS | fused .5 | fused .25 | fused .1 |\n|---|---|---|---|---|---|---|\n")
	for _, codec := range []string{"none", "mobile"} {
		bf := scores(sys.cm, sel(func(it *item) bool { return it.Class == "bonafide" && it.Split == "eval" && it.Codec == codec }))
		var k [nSys]int
		for s := range nSys {
			for _, x := range bf[s] {
				if x > sys.thr[s] {
					k[s]++
				}
			}
		}
		fmt.Printf("| %s | %d |", map[string]string{"none": "clean", "mobile": "codecs"}[codec], len(bf[0]))
		for s := range nSys {
			fmt.Printf(" %d (%.2f%%) |", k[s], 100*float64(k[s])/float64(max(len(bf[s]), 1)))
		}
		fmt.Println()
	}
	if sys.pk != nil {
		fmt.Printf("\nWith the %s, thresholds %v (peak alone, then each weight); dev-speaker bona fide flagged:\n\n| condition | files | peak |", thirdName, sys.pk.thr)
		for _, w := range peakW {
			fmt.Printf(" +peak %.2f |", w)
		}
		fmt.Printf("\n|---|---|---|%s\n", strings.Repeat("---|", len(peakW)))
		for _, codec := range []string{"none", "mobile"} {
			recs := sel(func(it *item) bool { return it.Class == "bonafide" && it.Split == "eval" && it.Codec == codec })
			fl := sys.pk.flagged(recs, scores(sys.cm, recs)[peakBase])
			fmt.Printf("| %s | %d |", map[string]string{"none": "clean", "mobile": "codecs"}[codec], len(recs))
			for _, k := range fl {
				fmt.Printf(" %d (%.2f%%) |", k, 100*float64(k)/float64(max(len(recs), 1)))
			}
			fmt.Println()
		}
	}
	if *nested {
		fmt.Printf("\nNested fusion, every family in training: GMM weight %.2f, threshold %.3f; dev-speaker bona fide flagged:", allNested.w, allNested.thr)
		for _, codec := range []string{"none", "mobile"} {
			_, bf := evalSet("", codec)
			_, pass := nestedEval(allNested, bf, bf) // share at or below the threshold
			fmt.Printf(" %s %.2f%%", map[string]string{"none": "clean", "mobile": "codecs"}[codec], 100-pass)
		}
		fmt.Println()
	}
	if *corpora != "" {
		fmt.Printf("\nFalse flags on ../shared/corpora at those thresholds (all files; then files with >= 1 s above the level floor, the engine's minimum):\n\n| corpus | files | GMM | LTSS | fused .5 | fused .25 | fused .1 | files >= 1 s | GMM >= 1 s | LTSS >= 1 s | fused .25 >= 1 s |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range []string{"speechocean762", "mini-librispeech", "fsdd"} {
			utts, err := recipe.ListCorpus(*corpora + "/" + c)
			if err != nil {
				log.Printf("%s: %v (skipped)", c, err)
				continue
			}
			ps := make([]string, len(utts))
			for i, u := range utts {
				ps[i] = u.Path
			}
			fr := extract(ps)
			for i := range fr {
				fr[i].Frames = transform(*variant, fr[i].Frames, cfg.NumCeps)
			}
			sc := scores(sys.cm, fr)
			var k, kl [nSys]int
			long := 0
			var longRecs []*recipe.SpoofFeatures // files of at least 1 s (67 frames of 15 ms)
			var longBase []float64               // and their fused .25 scores, for --peak-fuse
			for i := range fr {
				isLong := len(fr[i].Frames) >= 67
				if isLong {
					long++
					longRecs = append(longRecs, fr[i])
					longBase = append(longBase, sc[peakBase][i])
				}
				for s := range nSys {
					if sc[s][i] > sys.thr[s] {
						k[s]++
						if isLong {
							kl[s]++
						}
					}
				}
			}
			pc := func(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }
			fmt.Printf("| %s | %d | %.2f%% | %.2f%% | %.2f%% | %.2f%% | %.2f%% | %d | %.2f%% | %.2f%% | %.2f%% |\n", c, len(fr), pc(k[0], len(fr)), pc(k[1], len(fr)), pc(k[2], len(fr)), pc(k[3], len(fr)), pc(k[4], len(fr)), long, pc(kl[0], long), pc(kl[1], long), pc(kl[3], long))
			if sys.pk != nil {
				fl := sys.pk.flagged(longRecs, longBase)
				fmt.Printf("|   %s >= 1 s, peakiness scorer: peak alone, then each --peak-fuse weight | %d |", c, long)
				for _, k := range fl {
					fmt.Printf(" %.2f%% |", pc(k, long))
				}
				fmt.Println()
			}
		}
	}
	log.Printf("done in %v", time.Since(t0).Round(time.Second))
}

// extractWithPhase is recipe.ExtractSpoofFeatures plus each recording's MGD long-term statistics
// over the same level-gated frames, decoding each file once.
func extractWithPhase(paths []string, cfg dsp.LFCCConfig, mc dsp.MGDConfig, minLevelDB float64) ([]*recipe.SpoofFeatures, [][]float64, error) {
	fr := make([]*recipe.SpoofFeatures, len(paths))
	ph := make([][]float64, len(paths))
	workers := runtime.GOMAXPROCS(0)
	st := make([]*dsp.MGDStats, workers)
	for w := range st {
		var err error
		if st[w], err = dsp.NewMGDStats(mc, minLevelDB); err != nil {
			return nil, nil, err
		}
	}
	err := recipe.Parallel(len(paths), workers, nil, func(w, i int) error {
		s, err := recipe.ReadMono(paths[i], cfg.SampleRate)
		if err != nil {
			return err
		}
		if fr[i], err = recipe.SpoofFeaturesOfSamples(s, cfg, minLevelDB); err != nil {
			return err
		}
		st[w].Reset()
		st[w].Push(s)
		ph[i] = make([]float64, mc.StatsDim())
		st[w].Stats(ph[i])
		return nil
	})
	return fr, ph, err
}

// resynthesis are the families of bona fide recordings resynthesised by a vocoder
// (make_spoof_data.py), kept out of the mean over the TTS families and replay.
var resynthesis = map[string]bool{"vocoder-lpc": true, "griffin-lim": true}

// fusionWeights are the GMM weights of the fused systems reported (systems 2, 3, 4).
var fusionWeights = [nSys - 2]float64{0.5, 0.25, 0.1}

const nSys = 5

// scores returns the GMM, LTSS and fused scores of recs (the fused ones need cm.Fusion; before
// it is set they are 0).
func scores(cm *models.Countermeasure, recs []*recipe.SpoofFeatures) [nSys][]float64 {
	var out [nSys][]float64
	out[0] = recipe.SpoofGMMScores(cm, recs, 0)
	for k := 1; k < nSys; k++ {
		out[k] = make([]float64, len(recs))
	}
	for i, r := range recs {
		out[1][i] = cm.StatsScore(r.Stats)
		if f := cm.Fusion; f != nil {
			for k, w := range fusionWeights {
				g := *f
				g.GMMWeight = w
				out[2+k][i] = g.Fuse(out[0][i], out[1][i])
			}
		}
	}
	return out
}

// transform applies a front-end variant to one recording's frames (ns statics, Δ, ΔΔ).
func transform(variant string, fr [][]float32, ns int) [][]float32 {
	switch variant {
	case "lfcc":
		return fr
	case "dyn":
		for i, f := range fr {
			fr[i] = f[ns:]
		}
		return fr
	case "cmn":
		if len(fr) == 0 {
			return fr
		}
		m := make([]float64, ns)
		for _, f := range fr {
			for k := range ns {
				m[k] += float64(f[k])
			}
		}
		for _, f := range fr {
			for k := range ns {
				f[k] -= float32(m[k] / float64(len(fr)))
			}
		}
		return fr
	case "cmn-causal": // each frame's statics lose the mean of the statics so far (itself included)
		m := make([]float64, ns)
		for i, f := range fr {
			for k := range ns {
				m[k] += float64(f[k])
				f[k] -= float32(m[k] / float64(i+1))
			}
		}
		return fr
	}
	log.Fatalf("unknown variant %q", variant)
	return nil
}

func row(v [nSys]float64) string {
	p := make([]string, len(v))
	for i, x := range v {
		p[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(p, " | ")
}

// peakOf holds each recording's two peakiness statistics (dsp.MGD.Peakiness: mean and standard
// deviation over the level-gated frames of the whitened frame's log kurtosis) when --peak-fuse is
// set; it is filled once during feature extraction and only read afterwards.
var peakOf = map[*recipe.SpoofFeatures][]float64{}

// peakBase is the fused score (index into a system's scores) the third scorer is added to:
// fused .25 for --peak-fuse, fused .5 (the shipped fusion) for --mod-fuse.
var peakBase = 3

// thirdName, thirdWhat and thirdBase label the third scorer's tables: which scorer, on which
// statistics, added to which fused score (--mod-fuse changes them with peakBase).
var thirdName, thirdWhat, thirdBase = "Peakiness scorer (--peak-fuse)", "the two peakiness statistics", "fused .25"

// peakScorer is --peak-fuse's third scorer: a logistic regression on the peakiness statistics
// alone, z-normalised on the held-out bona fide training files and added with weight w to the
// shipped fusion (GMM weight 0.25): (1 − w)·fused + w·(peak − Mean)/Std.
type peakScorer struct {
	lin       *models.LinearScorer
	mean, std float64
	w         []float64
	thr       []float64 // at --far on the held-out bona fide: peak alone, then each weight
}

// trainPeak fits the peakiness classifier on spoof versus bona fide training recordings (those
// with frames above the level floor, as the long-term statistics classifier) and sets its
// z-normalisation and thresholds on the held-out bona fide recordings, whose shipped fused
// scores are heldFused.
func trainPeak(spoof, bona, held []*recipe.SpoofFeatures, heldFused, w []float64, l2, far float64) (*peakScorer, error) {
	feats := func(set []*recipe.SpoofFeatures) [][]float64 {
		var out [][]float64
		for _, r := range set {
			if len(r.Frames) > 0 {
				out = append(out, peakOf[r])
			}
		}
		return out
	}
	lin, err := models.TrainLogistic(feats(spoof), feats(bona), l2, 0)
	if err != nil {
		return nil, err
	}
	p := &peakScorer{lin: lin, w: w}
	raw := p.raw(held)
	for _, x := range raw {
		p.mean += x / float64(len(raw))
	}
	for _, x := range raw {
		p.std += (x - p.mean) * (x - p.mean) / float64(max(len(raw)-1, 1))
	}
	p.std = math.Sqrt(p.std) + 1e-9
	for _, s := range p.scores(held, heldFused) {
		p.thr = append(p.thr, models.OperatingPoints(s, []float64{far})[0].LLR)
	}
	return p, nil
}

func (p *peakScorer) raw(recs []*recipe.SpoofFeatures) []float64 {
	out := make([]float64, len(recs))
	for i, r := range recs {
		out[i] = p.lin.Score(peakOf[r])
	}
	return out
}

// scores returns the peakiness scores of recs alone, then fused with each weight into fused
// (recs' shipped fused scores).
func (p *peakScorer) scores(recs []*recipe.SpoofFeatures, fused []float64) [][]float64 {
	raw := p.raw(recs)
	out := [][]float64{raw}
	for _, w := range p.w {
		s := make([]float64, len(recs))
		for i := range s {
			s[i] = (1-w)*fused[i] + w*(raw[i]-p.mean)/p.std
		}
		out = append(out, s)
	}
	return out
}

// flagged counts recs scoring above each threshold (peak alone, then each weight).
func (p *peakScorer) flagged(recs []*recipe.SpoofFeatures, fused []float64) []int {
	sc := p.scores(recs, fused)
	out := make([]int, len(sc))
	for k, s := range sc {
		for _, x := range s {
			if x > p.thr[k] {
				out[k]++
			}
		}
	}
	return out
}

// peakResult holds EER and miss (%) of the peakiness scorer alone, then of each weight.
type peakResult struct{ eer, miss []float64 }

func (p *peakScorer) eval(sp []*recipe.SpoofFeatures, spFused []float64, bf []*recipe.SpoofFeatures, bfFused []float64) (r peakResult) {
	s, b := p.scores(sp, spFused), p.scores(bf, bfFused)
	for k := range s {
		m := 0
		for _, x := range s[k] {
			if x <= p.thr[k] {
				m++
			}
		}
		r.eer = append(r.eer, 100*metrics.EER(s[k], b[k]))
		r.miss = append(r.miss, 100*float64(m)/float64(max(len(s[k]), 1)))
	}
	return r
}

func (r *peakResult) add(o peakResult) {
	if r.eer == nil {
		r.eer, r.miss = make([]float64, len(o.eer)), make([]float64, len(o.miss))
	}
	for k := range o.eer {
		r.eer[k] += o.eer[k]
		r.miss[k] += o.miss[k]
	}
}

func (r peakResult) scale(f float64) peakResult {
	out := peakResult{eer: slices.Clone(r.eer), miss: slices.Clone(r.miss)}
	for k := range out.eer {
		out.eer[k] *= f
		out.miss[k] *= f
	}
	return out
}

func peakHeader(w []float64) string {
	var h []string
	for _, c := range []string{"", " codecs", " miss"} {
		h = append(h, "peak"+c)
		for _, x := range w {
			h = append(h, fmt.Sprintf("+peak %.2f%s", x, c))
		}
	}
	return "| held-out | " + strings.Join(h, " | ") + " |\n|---|" + strings.Repeat("---|", len(h)) + "\n"
}

// peakRow formats clean EERs, codec EERs and clean misses.
func peakRow(clean, codecs peakResult) string {
	var p []string
	for _, v := range [][]float64{clean.eer, codecs.eer} {
		for _, x := range v {
			p = append(p, fmt.Sprintf("%.2f", x))
		}
	}
	for _, x := range clean.miss {
		p = append(p, fmt.Sprintf("%.1f", x))
	}
	return strings.Join(p, " | ")
}

// dumpFold writes --dump's rows for the fold that holds out family held: its eval items, the
// bona fide eval items and the held-out bona fide training files, scored by cm.
func dumpFold(w *spoofkey.Dump, cm *models.Countermeasure, held string, items []item, heldIDs []string, heldRecs []*recipe.SpoofFeatures) {
	var ids, sets, fams, codecs []string
	var recs []*recipe.SpoofFeatures
	for i := range items {
		it := &items[i]
		if it.Split != "eval" || (it.Class == "spoof" && it.Family != held) || (it.Class != "spoof" && it.Class != "bonafide") {
			continue
		}
		ids, sets, fams, codecs = append(ids, it.ID), append(sets, "eval"), append(fams, it.Family), append(codecs, it.Codec)
		recs = append(recs, it.f)
	}
	for i, id := range heldIDs {
		ids, sets, fams, codecs = append(ids, id), append(sets, "held"), append(fams, "bonafide"), append(codecs, "-")
		recs = append(recs, heldRecs[i])
	}
	sc := scores(cm, recs)
	for i := range recs {
		w.Row(held, sets[i], fams[i], codecs[i], ids[i], sc[0][i], sc[1][i], sc[2][i])
	}
}

// keepPhase reduces the harmonic phase statistics that end st (dsp.HarmonicPhaseDim of them:
// the resultant lengths, then the frame-to-frame steadiness) to what keep names.
func keepPhase(st []float64, keep string) []float64 {
	n := len(st) - dsp.HarmonicPhaseDim
	h := dsp.HarmonicPhaseDim / 2
	r, s := st[n:n+h], st[n+h:]
	out := append([]float64(nil), st[:n]...)
	switch keep {
	case "excess": // each statistic clipped below at its median over 300 training-speaker bona fide
		// files (bench/spoof/vqstats): only steadiness beyond speech's counts
		med := [...]float64{0.198, 0.224, 0.226, 0.220, 0.236, 0.228, 0.229, 0.413, 0.343, 0.283, 0.257, 0.226, 0.202, 0.199}
		for j, v := range st[n:] {
			out = append(out, max(v, med[j]))
		}
		return out
	case "low": // the three lowest second differences (k = 3, 4, 5) of each
		out = append(out, r[:3]...)
		return append(out, s[:3]...)
	case "mean":
		var mr, ms float64
		for j := range h {
			mr += r[j] / float64(h)
			ms += s[j] / float64(h)
		}
		return append(out, mr, ms)
	}
	log.Fatalf("unknown --vq-phase-keep %q", keep)
	return nil
}
