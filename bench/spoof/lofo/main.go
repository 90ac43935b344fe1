// Command lofo measures the spoofing countermeasure on the data of bench/spoof/make_spoof_data.py:
// leave-one-family-out EERs (each synthesis family, and replay, held out of training in turn),
// EERs after mobile codecs, and the false-flag rate on every file of ../shared/corpora at the
// threshold set at --far on held-out bona fide training files. Run from the repository root:
//
//	go run ./bench/spoof/lofo [--key bench/out/spoof/key.tsv] [--corpora ../shared/corpora]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

type item struct {
	id, path, class, family, split, codec string
	f                                     *recipe.SpoofFeatures
}

func main() {
	key := flag.String("key", "bench/out/spoof/key.tsv", "key file written by make_spoof_data.py")
	corpora := flag.String("corpora", "../shared/corpora", "bona fide corpora for the false-flag rate (\"\": skip)")
	comps := flag.Int("components", 256, "GMM components per class")
	maxFrames := flag.Int("max-frames", 100000, "training frames per class")
	far := flag.Float64("far", 0.01, "false-alarm rate of the operating point")
	l2 := flag.Float64("l2", recipe.DefaultSpoofL2, "L2 weight of the long-term-statistics classifier")
	only := flag.String("only", "", "comma-separated held-out families to run (default all)")
	variant := flag.String("variant", "lfcc", "front-end variant: lfcc (baseline), dyn (deltas and double deltas only), cmn (per-recording mean removed from the statics)")
	flux := flag.Bool("flux", false, "add per-bin spectral flux to the long-term statistics")
	prosody := flag.Bool("prosody", false, "add the prosodic-perturbation features (dsp.PitchTracker) to the long-term statistics")
	prosodyOnly := flag.Bool("prosody-only", false, "with --prosody: the classifier sees only the prosodic features")
	frameStep := flag.Int("frame-step", 2, "score every N-th frame with the GMMs (models.Countermeasure.FrameStep; the shipped bundle uses 2)")
	statsMs := flag.Float64("stats-ms", 0, "analysis window of the long-term statistics, ms (0: the LFCC frames)")
	flag.Parse()
	t0 := time.Now()
	items, err := readKey(*key)
	if err != nil {
		log.Fatal(err)
	}
	cfg := dsp.TelephoneLFCC()
	cfg.SpectralFlux = *flux
	cfg.StatsFrameLengthMs = *statsMs
	cfg.Prosody = *prosody || *prosodyOnly
	keepStats := func(fr []*recipe.SpoofFeatures) {
		if *prosodyOnly {
			for _, f := range fr {
				f.Stats = f.Stats[len(f.Stats)-dsp.ProsodyDim:]
			}
		}
	}
	paths := make([]string, len(items))
	for i, it := range items {
		paths[i] = it.path
	}
	fr, err := recipe.ExtractSpoofFeatures(paths, cfg, recipe.DefaultSpoofMinLevelDB, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	keepStats(fr)
	for i := range items {
		fr[i].Frames = transform(*variant, fr[i].Frames)
		items[i].f = fr[i]
	}
	log.Printf("features of %d files in %v", len(items), time.Since(t0).Round(time.Second))

	var families []string
	seen := map[string]bool{}
	for _, it := range items {
		if it.class == "spoof" && !seen[it.family] {
			seen[it.family] = true
			families = append(families, it.family)
		}
	}
	sort.Strings(families)
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
		if it.class == "bonafide" && it.split == "train" {
			if n%5 == 4 {
				bonaHeld = append(bonaHeld, it.f)
			} else {
				bonaTrain = append(bonaTrain, it.f)
			}
			n++
		}
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
	}
	train := func(spoof []*recipe.SpoofFeatures) *system {
		var all [][]float32
		for _, r := range spoof {
			all = append(all, r.Frames...)
		}
		g, _, err := models.TrainUBM(models.SubsampleFrames(all, *maxFrames, 8), models.UBMConfig{Components: *comps, Iters: 8, SplitIters: 2})
		if err != nil {
			log.Fatal(err)
		}
		cm := &models.Countermeasure{MinLevelDB: recipe.DefaultSpoofMinLevelDB, Bonafide: bonaGMM, Spoof: g, FrameStep: *frameStep}
		if err := cm.Prepare(); err != nil {
			log.Fatal(err)
		}
		if cm.LTSS, err = models.TrainLogistic(stats(spoof), stats(bonaTrain), *l2, 0); err != nil {
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
		return sys
	}
	type result struct{ eer, miss [nSys]float64 }
	eval := func(sys *system, fam, codec string) (r result) {
		sp := scores(sys.cm, sel(func(it *item) bool {
			return it.class == "spoof" && it.family == fam && it.split == "eval" && it.codec == codec
		}))
		bf := scores(sys.cm, sel(func(it *item) bool {
			return it.class == "bonafide" && it.split == "eval" && it.codec == codec
		}))
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
	for _, held := range families {
		if len(want) > 0 && !want[held] {
			continue
		}
		sys := train(sel(func(it *item) bool { return it.class == "spoof" && it.split == "train" && it.family != held }))
		a, b := eval(sys, held, "none"), eval(sys, held, "mobile")
		fmt.Printf("| %s | %s | %s | %.1f | %.1f | %.1f |\n", held, row(a.eer), row(b.eer), a.miss[0], a.miss[1], a.miss[3])
	}
	sys := train(sel(func(it *item) bool { return it.class == "spoof" && it.split == "train" }))
	fmt.Printf("\nAll families and replay in training (EER %%):\n\n")
	fmt.Print(strings.Replace(strings.Replace(hdr, " miss GMM | miss LTSS | miss fused .25 |", "", 1), "|---|---|---|\n", "\n", 1))
	for _, fam := range families {
		a, b := eval(sys, fam, "none"), eval(sys, fam, "mobile")
		fmt.Printf("| %s | %s | %s |\n", fam, row(a.eer), row(b.eer))
	}
	fmt.Printf("\nthresholds at %g%% FA on held-out bona fide training files: %v\n", 100**far, sys.thr)
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
			fr, err := recipe.ExtractSpoofFeatures(ps, cfg, recipe.DefaultSpoofMinLevelDB, 0, nil)
			if err != nil {
				log.Fatal(err)
			}
			keepStats(fr)
			for i := range fr {
				fr[i].Frames = transform(*variant, fr[i].Frames)
			}
			sc := scores(sys.cm, fr)
			var k, kl [nSys]int
			long := 0
			for i := range fr {
				isLong := len(fr[i].Frames) >= 67
				if isLong {
					long++
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
		}
	}
	log.Printf("done in %v", time.Since(t0).Round(time.Second))
}

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
		out[1][i] = cm.LTSS.Score(r.Stats)
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

func readKey(path string) ([]item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []item
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 6 || p[0] == "id" {
			continue
		}
		out = append(out, item{id: p[0], path: p[1], class: p[2], family: p[3], split: p[4], codec: p[5]})
	}
	return out, sc.Err()
}

// transform applies a front-end variant to one recording's frames (20 statics, Δ, ΔΔ).
func transform(variant string, fr [][]float32) [][]float32 {
	switch variant {
	case "lfcc":
		return fr
	case "dyn":
		for i, f := range fr {
			fr[i] = f[20:]
		}
		return fr
	case "cmn":
		if len(fr) == 0 {
			return fr
		}
		var m [20]float64
		for _, f := range fr {
			for k := range 20 {
				m[k] += float64(f[k])
			}
		}
		for _, f := range fr {
			for k := range 20 {
				f[k] -= float32(m[k] / float64(len(fr)))
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
