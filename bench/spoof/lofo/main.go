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
	frames                                [][]float32
}

func main() {
	key := flag.String("key", "bench/out/spoof/key.tsv", "key file written by make_spoof_data.py")
	corpora := flag.String("corpora", "../shared/corpora", "bona fide corpora for the false-flag rate (\"\": skip)")
	comps := flag.Int("components", 256, "GMM components per class")
	maxFrames := flag.Int("max-frames", 100000, "training frames per class")
	far := flag.Float64("far", 0.01, "false-alarm rate of the operating point")
	only := flag.String("only", "", "comma-separated held-out families to run (default all)")
	flag.Parse()
	t0 := time.Now()
	items, err := readKey(*key)
	if err != nil {
		log.Fatal(err)
	}
	cfg := dsp.TelephoneLFCC()
	paths := make([]string, len(items))
	for i, it := range items {
		paths[i] = it.path
	}
	fr, err := recipe.ExtractSpoofFrames(paths, cfg, recipe.DefaultSpoofMinLevelDB, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := range items {
		items[i].frames = fr[i]
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
	sel := func(f func(it *item) bool) [][][]float32 {
		var out [][][]float32
		for i := range items {
			if f(&items[i]) {
				out = append(out, items[i].frames)
			}
		}
		return out
	}
	// Bona fide training files: every 5th held out for the threshold (as train-spoof does).
	var bonaTrain, bonaHeld [][][]float32
	n := 0
	for i := range items {
		it := &items[i]
		if it.class == "bonafide" && it.split == "train" {
			if n%5 == 4 {
				bonaHeld = append(bonaHeld, it.frames)
			} else {
				bonaTrain = append(bonaTrain, it.frames)
			}
			n++
		}
	}
	base := recipe.SpoofTrainConfig{LFCC: cfg, Components: *comps, MaxFrames: *maxFrames, FARs: []float64{*far}, Log: os.Stderr}
	// Bona fide GMM once; spoof GMMs per fold.
	var bonaFrames [][]float32
	for _, r := range bonaTrain {
		bonaFrames = append(bonaFrames, r...)
	}
	bonaGMM, _, err := models.TrainUBM(models.SubsampleFrames(bonaFrames, *maxFrames, 7),
		models.UBMConfig{Components: *comps, Iters: 8, SplitIters: 2})
	if err != nil {
		log.Fatal(err)
	}
	train := func(spoof [][][]float32) *models.Countermeasure {
		var all [][]float32
		for _, r := range spoof {
			all = append(all, r...)
		}
		g, _, err := models.TrainUBM(models.SubsampleFrames(all, *maxFrames, 8), models.UBMConfig{Components: *comps, Iters: 8, SplitIters: 2})
		if err != nil {
			log.Fatal(err)
		}
		cm := &models.Countermeasure{MinLevelDB: recipe.DefaultSpoofMinLevelDB, Bonafide: bonaGMM, Spoof: g}
		if err := cm.Prepare(); err != nil {
			log.Fatal(err)
		}
		cm.FARThresholds = models.OperatingPoints(recipe.ScoreSpoofFrames(cm, bonaHeld, 0), []float64{*far})
		return cm
	}
	eval := func(cm *models.Countermeasure, fam, codec string) (eer, miss float64) {
		sp := recipe.ScoreSpoofFrames(cm, sel(func(it *item) bool {
			return it.class == "spoof" && it.family == fam && it.split == "eval" && it.codec == codec
		}), 0)
		bf := recipe.ScoreSpoofFrames(cm, sel(func(it *item) bool {
			return it.class == "bonafide" && it.split == "eval" && it.codec == codec
		}), 0)
		thr, _ := cm.Threshold(*far)
		m := 0
		for _, s := range sp {
			if s <= thr {
				m++
			}
		}
		return metrics.EER(sp, bf), float64(m) / float64(len(sp))
	}
	fmt.Printf("| held-out family | EER clean | EER mobile codecs | missed at %g%% FA (clean) |\n|---|---|---|---|\n", 100**far)
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
		cm := train(sel(func(it *item) bool { return it.class == "spoof" && it.split == "train" && it.family != held }))
		e1, m1 := eval(cm, held, "none")
		e2, _ := eval(cm, held, "mobile")
		fmt.Printf("| %s | %.2f%% | %.2f%% | %.1f%% |\n", held, 100*e1, 100*e2, 100*m1)
	}
	// All families in training: in-family EERs and the false-flag rate on the corpora.
	cm := train(sel(func(it *item) bool { return it.class == "spoof" && it.split == "train" }))
	fmt.Printf("\nAll families and replay in training (eval items: held-out speakers' texts, bona fide: dev speakers):\n\n| family | EER clean | EER mobile codecs |\n|---|---|---|\n")
	for _, fam := range families {
		e1, _ := eval(cm, fam, "none")
		e2, _ := eval(cm, fam, "mobile")
		fmt.Printf("| %s | %.2f%% | %.2f%% |\n", fam, 100*e1, 100*e2)
	}
	thr, _ := cm.Threshold(*far)
	fmt.Printf("\nthreshold at %g%% FA on held-out bona fide training files: %.4f\n", 100**far, thr)
	if *corpora != "" {
		fmt.Printf("\n| corpus | files | flagged | rate |\n|---|---|---|---|\n")
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
			fr, err := recipe.ExtractSpoofFrames(ps, cfg, recipe.DefaultSpoofMinLevelDB, 0, nil)
			if err != nil {
				log.Fatal(err)
			}
			sc := recipe.ScoreSpoofFrames(cm, fr, 0)
			k := 0
			for _, s := range sc {
				if s > thr {
					k++
				}
			}
			fmt.Printf("| %s | %d | %d | %.2f%% |\n", c, len(sc), k, 100*float64(k)/float64(len(sc)))
		}
	}
	_ = base
	log.Printf("done in %v", time.Since(t0).Round(time.Second))
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
