// Command speclofo measures the countermeasure's spectrum network (models.SpecNet, as train-spoof
// --spec-net trains it) with the leave-one-family-out protocol of bench/spoof/lofo and nnlofo: in
// each fold a network trains on the bona fide training files (every fifth held out, as lofo deals
// them) and on every family's training items but the held-out family's (and those in
// --no-train), each family, or --family-group group, drawn equally often; it is evaluated on the
// held-out family's eval items against the key's bona fide eval files, clean and after mobile
// codecs (with run.sh's key_tel.tsv: the dev speakers' bona fide through the synthetic items' own
// telephone channel). A network takes ~9 minutes on 2 cores; the never-trained families share the
// network trained on everything. Run from the repository root:
//
//	go run ./bench/spoof/speclofo --key bench/out/spoof/key_tel.tsv --aug bench/out/spoof/perc_key.tsv,... \
//	    --family-group tts=espeak-ng,... --only replay,voice-changer --dump spec.tsv
//
// --dump writes the per-file scores in lofo's --dump layout (the network's log-odds in every score
// column), to fuse with lofo's and nnlofo's dumps (bench/spoof/fuse, or fusedump.py).
//
// --members N trains N networks per fold (seeds --seed, --seed + 1000, …, as train-spoof
// --spec-members) and reports their average (models.SpecNet.Members; the dump holds it) and,
// after it, each network alone.
package main

import (
	"flag"
	"fmt"
	"log"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/voxguard/voxguard/bench/spoof/spoofkey"
	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

func main() {
	key := flag.String("key", "bench/out/spoof/key.tsv", "key file written by make_spoof_data.py (run.sh's key_tel.tsv for the telephone-channel bona fide)")
	augKeys := flag.String("aug", "", "comma-separated extra key files of augmented training items (as lofo --aug)")
	noTrain := flag.String("no-train", "", "comma-separated families never trained on (run.sh's no_train)")
	only := flag.String("only", "", "comma-separated held-out families to run (default all)")
	var groupFlags []string
	flag.Func("family-group", "`NAME=F1,F2,...`: these families are one group, drawn as often as one family (repeatable; train-spoof's)", func(v string) error {
		groupFlags = append(groupFlags, v)
		return nil
	})
	seconds := flag.Float64("seconds", recipe.DefaultSpecSeconds, "audio read from each recording's start, in seconds")
	steps := flag.Int("steps", 1500, "training minibatches")
	width := flag.Int("width", 1, "the network's width multiplier (train-spoof --spec-width)")
	seed := flag.Uint64("seed", 1, "training seed (train-spoof's network has seed 1)")
	dump := flag.String("dump", "", "write per-file scores (lofo --dump layout, the log-odds in every score column)")
	members := flag.Int("members", 1, "networks per fold, averaged (train-spoof --spec-members); each is reported alone too")
	fe := dsp.TelephoneSpec()
	flag.IntVar(&fe.FrameLength, "frame-length", fe.FrameLength, "the spectrum's frame and FFT length in `samples` (a power of two; the shipped 256: 32 ms)")
	flag.IntVar(&fe.FrameShift, "frame-shift", fe.FrameShift, "the spectrum's frame shift in `samples` (the shipped 80: 10 ms)")
	flag.IntVar(&fe.Bins, "bins", fe.Bins, "FFT bins the network reads, from 0 Hz (the shipped 128)")
	crop := flag.Int("crop", 0, "training excerpt in `frames` (0: 1.5 s of frames, models.SpecNetConfig's 150 at the shipped shift; recipe.SpecNetConfigFor)")
	oneClass := flag.Bool("one-class", false, "one-class networks (train-spoof --spec-one-class)")
	flag.Parse()
	if err := fe.Validate(); err != nil {
		log.Fatal(err)
	}
	// The training excerpt and SpecAugment's widest masks in proportion to the front end's
	// frames and bins, as train-spoof --spec-view trains its networks.
	netConfig := recipe.SpecNetConfigFor(models.SpecNetConfig{Crop: *crop, Steps: *steps, Layers: models.DefaultSpecLayers(*width), OneClass: *oneClass}, fe)
	if *members < 1 {
		log.Fatal("--members must be at least 1")
	}
	t0 := time.Now()

	alias, err := recipe.ParseFamilyGroups(groupFlags)
	if err != nil {
		log.Fatal(err)
	}
	never := strings.Split(*noTrain, ",")
	want := map[string]bool{}
	for _, f := range strings.Split(*only, ",") {
		if f != "" {
			want[f] = true
		}
	}
	keys, _, err := spoofkey.ReadWithAug(*key, *augKeys)
	if err != nil {
		log.Fatal(err)
	}
	families := spoofkey.Families(keys)
	// Only the files some fold reads: bona fide training files, trainable families' training
	// items, and the eval items of the folds run (every bona fide eval file).
	var use []int
	var bonaTrain, bonaHeld []int
	n := 0
	for i, it := range keys {
		switch {
		case it.Class == "bonafide" && it.Split == "train":
			if spoofkey.IsHeld(n) {
				bonaHeld = append(bonaHeld, i)
			} else {
				bonaTrain = append(bonaTrain, i)
			}
			n++
		case it.Class == "spoof" && it.Split == "train" && !slices.Contains(never, it.Family):
		case it.Split == "eval" && (it.Class == "bonafide" || len(want) == 0 || want[it.Family]):
		default:
			continue
		}
		use = append(use, i)
	}
	paths := make([]string, len(use))
	for j, i := range use {
		paths[j] = keys[i].Path
	}
	recs, err := recipe.ExtractSpecs(paths, fe, *seconds, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	spec := make(map[int]models.SpecRecording, len(use))
	for j, i := range use {
		spec[i] = recs[j]
	}
	log.Printf("spectra of %d files in %v", len(use), time.Since(t0).Round(time.Second))
	of := func(idx []int) []models.SpecRecording {
		out := make([]models.SpecRecording, 0, len(idx))
		for _, i := range idx {
			out = append(out, spec[i])
		}
		return out
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
	var all *models.SpecNet // the network trained on every trainable family (never-trained folds)
	head, rule := "| held-out | spec clean | spec codecs | miss at 1 % clean |", "|---|---|---|---|"
	if *members > 1 {
		for m := range *members {
			head += fmt.Sprintf(" network %d clean / codecs |", m+1)
			rule += "---|"
		}
	}
	fmt.Printf("%s\n%s\n", head, rule)
	var sum [2]float64
	msum := make([][2]float64, *members)
	folds := 0
	for _, held := range families {
		if len(want) > 0 && !want[held] {
			continue
		}
		isNever := slices.Contains(never, held)
		net := all
		if !isNever || net == nil {
			// Spoof training items by group (a --family-group's name, else the family).
			byGroup := map[string][]int{}
			for i, it := range keys {
				if it.Class == "spoof" && it.Split == "train" && it.Family != held && !slices.Contains(never, it.Family) && spec[i].T > 0 {
					g := it.Family
					if a, ok := alias[g]; ok {
						g = a
					}
					byGroup[g] = append(byGroup[g], i)
				}
			}
			var groups [][]models.SpecRecording
			for _, g := range slices.Sorted(maps.Keys(byGroup)) {
				groups = append(groups, of(byGroup[g]))
			}
			var bona []int
			for _, i := range bonaTrain {
				if spec[i].T > 0 {
					bona = append(bona, i)
				}
			}
			t1 := time.Now()
			net = nil
			for m := range *members {
				nc := netConfig
				nc.Seed = *seed + uint64(m)*recipe.DefaultSpecMemberSeedStep
				n, err := models.TrainSpecNet([][]models.SpecRecording{of(bona)}, groups, nc)
				if err != nil {
					log.Fatal(err)
				}
				if net == nil {
					net = n
				} else {
					net.Members = append(net.Members, n)
				}
			}
			log.Printf("fold %s: %d bona fide files, %d spoof groups, %d network(s) trained in %v", held, len(bona), len(groups), *members, time.Since(t1).Round(time.Second))
			if isNever {
				all = net
			}
		}
		// evaluate returns n's EER clean and after codecs, and the share of the held-out family's
		// clean items under its 1 % threshold on held-out bona fide files; with dump set, it writes
		// the scores.
		evaluate := func(n *models.SpecNet, dump bool) (res [2]float64, miss float64) {
			heldScores := recipe.SpecScores(n, of(bonaHeld), 0)
			thr := metrics.ThresholdAtFAR(finite(heldScores), 0.01)
			for c, codec := range []string{"none", "mobile"} {
				var sp, bf []int
				for i, it := range keys {
					if it.Split == "eval" && it.Codec == codec {
						if it.Class == "spoof" && it.Family == held {
							sp = append(sp, i)
						} else if it.Class == "bonafide" {
							bf = append(bf, i)
						}
					}
				}
				ss, bs := recipe.SpecScores(n, of(sp), 0), recipe.SpecScores(n, of(bf), 0)
				res[c] = 100 * metrics.EER(finite(ss), finite(bs))
				if c == 0 {
					m := 0
					for _, s := range finite(ss) {
						if s < thr {
							m++
						}
					}
					miss = 100 * float64(m) / float64(len(finite(ss)))
				}
				if dump {
					for j, i := range sp {
						dumpW.Row(held, "eval", keys[i].Family, keys[i].Codec, keys[i].ID, ss[j], ss[j], ss[j])
					}
					for j, i := range bf {
						dumpW.Row(held, "eval", keys[i].Family, keys[i].Codec, keys[i].ID, bs[j], bs[j], bs[j])
					}
				}
			}
			if dump {
				for j, i := range bonaHeld {
					dumpW.Row(held, "held", "bonafide", "-", keys[i].ID, heldScores[j], heldScores[j], heldScores[j])
				}
				if err := dumpW.Flush(); err != nil {
					log.Fatal(err)
				}
			}
			return res, miss
		}
		res, miss := evaluate(net, dumpW != nil)
		var alone string
		if *members > 1 {
			first := *net // the first network alone: the same weights without the members
			first.Members = nil
			for m, n := range append([]*models.SpecNet{&first}, net.Members...) {
				r, _ := evaluate(n, false)
				alone += fmt.Sprintf(" %.2f / %.2f |", r[0], r[1])
				msum[m][0] += r[0]
				msum[m][1] += r[1]
			}
		}
		fmt.Printf("| %s | %.2f | %.2f | %.0f |%s\n", held, res[0], res[1], miss, alone)
		sum[0] += res[0]
		sum[1] += res[1]
		folds++
	}
	if folds > 0 {
		var alone string
		if *members > 1 {
			for _, m := range msum {
				alone += fmt.Sprintf(" %.2f / %.2f |", m[0]/float64(folds), m[1]/float64(folds))
			}
		}
		fmt.Printf("| mean of %d | %.2f | %.2f | |%s\n", folds, sum[0]/float64(folds), sum[1]/float64(folds), alone)
	}
	log.Printf("done in %v", time.Since(t0).Round(time.Second))
}

// finite returns the scores that are not NaN (recordings too short for the network).
func finite(s []float64) []float64 {
	var out []float64
	for _, v := range s {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}
