// Command nnlofo measures the countermeasure's frame network (models.FrameNet, as train-spoof
// --frame-net trains it) with the leave-one-family-out protocol of bench/spoof/lofo: a small
// feed-forward network (ReLU hidden layers, one logit) classifies each LFCC frame, with K frames
// of context on each side, as bona fide or spoof; a recording's score is the mean of its frames'
// logits. In each fold the network trains on every
// family but the held-out one (and those in --no-train), with lofo's bona fide training files and
// augmented items, and is evaluated on the held-out family's eval items against the dev
// speakers' bona fide files, clean and after mobile codecs. Run from the repository root:
//
//	go run ./bench/spoof/nnlofo --aug bench/out/spoof/perc_key.tsv,... --dump nn.tsv
//
// --dump writes the per-file scores in lofo's --dump layout, for bench/spoof/fuse.
package main

import (
	"flag"
	"fmt"
	"log"
	"slices"
	"strconv"
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
	frames [][]float32
}

func main() {
	key := flag.String("key", "bench/out/spoof/key.tsv", "key file written by make_spoof_data.py")
	augKeys := flag.String("aug", "", "comma-separated extra key files of augmented training items (as lofo --aug)")
	noTrain := flag.String("no-train", "griffin-lim,pico,mbrola,rhvoice,freetts", "comma-separated families never trained on (run.sh's)")
	only := flag.String("only", "", "comma-separated held-out families to run (default all)")
	filters := flag.Int("lfcc-filters", 20, "LFCC triangular filters")
	ceps := flag.Int("lfcc-ceps", 20, "LFCC cepstra kept, C0 included")
	deltas := flag.Int("deltas", 2, "delta order of the frames (0-2)")
	context := flag.Int("context", 3, "frames of context on each side of the classified frame")
	cmn := flag.Bool("cmn", true, "remove from each frame's statics their running mean so far (the shipped countermeasure's causal CMN)")
	hidden := flag.String("hidden", "128,64", "hidden layer sizes")
	epochs := flag.Int("epochs", 4, "passes over the training frames")
	perClass := flag.Int("frames", 200000, "training frames per class per epoch (drawn at random)")
	batch := flag.Int("batch", 256, "minibatch size")
	lr := flag.Float64("lr", 1e-3, "Adam learning rate")
	l2 := flag.Float64("l2", 1e-4, "weight decay")
	step := flag.Int("step", 4, "classify every N-th frame of a recording (train-spoof --net-step)")
	seed := flag.Uint64("seed", 1, "training seed (initial weights and frame draws)")
	balance := flag.Bool("balance-families", false, "draw the spoof class's training frames about evenly over its families (each family's recordings repeated up to the most frames any family has) instead of uniformly over all frames (an experiment: train-spoof's frame network draws uniformly)")
	dump := flag.String("dump", "", "write per-file scores (lofo --dump layout, the score in every score column)")
	flag.Parse()
	t0 := time.Now()

	keys, _, err := spoofkey.ReadWithAug(*key, *augKeys)
	if err != nil {
		log.Fatal(err)
	}
	items := make([]item, len(keys))
	for i, k := range keys {
		items[i].Item = k
	}
	cfg := dsp.TelephoneLFCC()
	cfg.NumFilters, cfg.NumCeps, cfg.DeltaOrder = *filters, *ceps, *deltas
	if err := cfg.Validate(); err != nil {
		log.Fatal(err)
	}
	paths := make([]string, len(items))
	for i, it := range items {
		paths[i] = it.Path
	}
	feats, err := recipe.ExtractSpoofFeatures(paths, cfg, recipe.DefaultSpoofMinLevelDB, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := range items {
		fr := feats[i].Frames
		if *cmn {
			m := make([]float64, cfg.NumCeps)
			for t, f := range fr {
				for k := range cfg.NumCeps {
					m[k] += float64(f[k])
					f[k] -= float32(m[k] / float64(t+1))
				}
			}
		}
		items[i].frames = fr
	}
	log.Printf("features of %d files in %v", len(items), time.Since(t0).Round(time.Second))

	never := strings.Split(*noTrain, ",")
	families := spoofkey.Families(keys)
	// Bona fide training files, every 5th held out, exactly as lofo deals them.
	var bonaTrain []*item
	var bonaHeld []*item
	n := 0
	for i := range items {
		if it := &items[i]; it.Class == "bonafide" && it.Split == "train" {
			if spoofkey.IsHeld(n) {
				bonaHeld = append(bonaHeld, it)
			} else {
				bonaTrain = append(bonaTrain, it)
			}
			n++
		}
	}
	var hs []int
	for _, f := range strings.Split(*hidden, ",") {
		h, err := strconv.Atoi(f)
		if err != nil || h <= 0 {
			log.Fatalf("--hidden: bad size %q", f)
		}
		hs = append(hs, h)
	}
	want := map[string]bool{}
	for _, f := range strings.Split(*only, ",") {
		if f != "" {
			want[f] = true
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
	cache := map[bool]*models.FrameNet{} // the net trained on every trainable family (folds of never-trained families)
	fmt.Printf("| held-out | NN clean | NN codecs | miss at 1 %% clean |\n|---|---|---|---|\n")
	var sum [2]float64
	folds := 0
	for _, held := range families {
		if len(want) > 0 && !want[held] {
			continue
		}
		isNever := slices.Contains(never, held)
		nt := cache[true]
		if !isNever || nt == nil {
			var spoof []*item
			for i := range items {
				it := &items[i]
				if it.Class == "spoof" && it.Split == "train" && it.Family != held && !slices.Contains(never, it.Family) {
					spoof = append(spoof, it)
				}
			}
			t1 := time.Now()
			var err error
			if *balance {
				spoof = balanceFamilies(spoof)
			}
			nt, err = models.TrainFrameNet(framesOf(bonaTrain), framesOf(spoof), models.FrameNetConfig{Context: *context, Hidden: hs,
				Epochs: *epochs, PerClass: *perClass, Batch: *batch, LR: *lr, L2: *l2, Seed: *seed})
			if err != nil {
				log.Fatal(err)
			}
			log.Printf("fold %s: trained in %v", held, time.Since(t1).Round(time.Second))
			if isNever {
				cache[true] = nt
			}
		}
		heldScores := nt.FrameNetScores(framesOf(bonaHeld), *step, 0)
		thr := metrics.ThresholdAtFAR(heldScores, 0.01)
		var res [2]float64
		var miss float64
		for c, codec := range []string{"none", "mobile"} {
			var sp, bf []*item
			for i := range items {
				it := &items[i]
				if it.Split == "eval" && it.Codec == codec {
					if it.Class == "spoof" && it.Family == held {
						sp = append(sp, it)
					} else if it.Class == "bonafide" {
						bf = append(bf, it)
					}
				}
			}
			ss, bs := nt.FrameNetScores(framesOf(sp), *step, 0), nt.FrameNetScores(framesOf(bf), *step, 0)
			res[c] = 100 * metrics.EER(ss, bs)
			if c == 0 {
				m := 0
				for _, s := range ss {
					if s < thr {
						m++
					}
				}
				miss = 100 * float64(m) / float64(len(ss))
			}
			if dumpW != nil {
				for i, it := range sp {
					dumpW.Row(held, "eval", it.Family, it.Codec, it.ID, ss[i], ss[i], ss[i])
				}
				for i, it := range bf {
					dumpW.Row(held, "eval", it.Family, it.Codec, it.ID, bs[i], bs[i], bs[i])
				}
			}
		}
		if dumpW != nil {
			for i, it := range bonaHeld {
				dumpW.Row(held, "held", "bonafide", "-", it.ID, heldScores[i], heldScores[i], heldScores[i])
			}
			if err := dumpW.Flush(); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Printf("| %s | %.2f | %.2f | %.0f |\n", held, res[0], res[1], miss)
		sum[0] += res[0]
		sum[1] += res[1]
		folds++
	}
	fmt.Printf("| mean of %d | %.2f | %.2f | |\n", folds, sum[0]/float64(folds), sum[1]/float64(folds))
	log.Printf("done in %v", time.Since(t0).Round(time.Second))
}

// framesOf returns the recordings' frames.
func framesOf(recs []*item) [][][]float32 {
	out := make([][][]float32, len(recs))
	for i, r := range recs {
		out[i] = r.frames
	}
	return out
}

// balanceFamilies repeats each family's recordings as recipe.GroupRepeats says (train-spoof
// --balance-net), for a frame draw about uniform over families instead of over frames.
func balanceFamilies(recs []*item) []*item {
	fam := map[string]int{}
	frames, groups := make([]int, len(recs)), make([]int, len(recs))
	for i, r := range recs {
		if _, ok := fam[r.Family]; !ok {
			fam[r.Family] = len(fam)
		}
		frames[i], groups[i] = len(r.frames), fam[r.Family]
	}
	var out []*item
	for i, k := range recipe.GroupRepeats(frames, groups) {
		for range k {
			out = append(out, recs[i])
		}
	}
	return out
}
