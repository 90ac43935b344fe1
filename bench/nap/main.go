// Command nap trains a nuisance attribute projection for a bundle's GMM scorer on the training
// corpora and writes the bundle with it (a research aid: the calibration is left as it was, so
// only the GMM scorer's own figures of bench/exp are meaningful).
//
//	go run ./bench/nap -model IN -out PREFIX -k 10,20 -exclude bench/dev_speakers.txt --corpus DIR...
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	in := flag.String("model", "models/default.vxgb", "bundle")
	out := flag.String("out", "bench/out/nap", "output prefix (PREFIX_k.vxgb)")
	ks := flag.String("k", "10,20", "ranks")
	exclude := flag.String("exclude", "bench/dev_speakers.txt", "held-out speakers")
	minFrames := flag.Float64("min-frames", 200, "least voiced frames of a recording used")
	maxVecs := flag.Int("max", 3000, "most recordings used")
	iters := flag.Int("iters", 4, "power iterations")
	pair := flag.Bool("pair", false, "classes are recordings (a recording and its degraded copy), not speakers")
	var corpora list
	flag.Var(&corpora, "corpus", "corpus folder (repeatable)")
	flag.Parse()
	b, err := models.ReadBundleFile(*in)
	check(err)
	cfg, err := recipe.FrontendOf(b)
	check(err)
	ex, err := recipe.ReadSpeakerList(*exclude)
	check(err)
	var files []string
	var labels []int
	ids := map[string]int{}
	for _, dir := range corpora {
		utts, err := recipe.ListCorpus(dir)
		check(err)
		for _, u := range utts {
			if ex[u.SpeakerKey()] {
				continue
			}
			key := u.SpeakerKey()
			if *pair {
				key += "/" + strings.Split(u.ID, "~")[0]
			}
			if _, ok := ids[key]; !ok {
				ids[key] = len(ids)
			}
			files = append(files, u.Path)
			labels = append(labels, ids[key])
		}
	}
	// Spread the subsample evenly.
	if len(files) > *maxVecs {
		var f2 []string
		var l2 []int
		step := float64(len(files)) / float64(*maxVecs)
		for x := 0.0; int(x) < len(files) && len(f2) < *maxVecs; x += step {
			f2 = append(f2, files[int(x)])
			l2 = append(l2, labels[int(x)])
		}
		files, labels = f2, l2
	}
	t0 := time.Now()
	stats, err := recipe.FileStats(b, cfg, files, 0, nil)
	check(err)
	var vecs [][]float32
	var lab []int
	for i, s := range stats {
		if s.Frames() < *minFrames {
			continue
		}
		vecs = append(vecs, b.GMM.ModelVector(s.N, models.WhitenedCentredFull(b.UBM, b.GMMWhitening(), s)))
		lab = append(lab, labels[i])
	}
	fmt.Fprintf(os.Stderr, "%d recordings of %d speakers, statistics in %v\n", len(vecs), len(ids), time.Since(t0))
	for _, kk := range strings.Split(*ks, ",") {
		k, err := strconv.Atoi(kk)
		check(err)
		t0 := time.Now()
		u, err := models.TrainNAP(b.UBM.Weights, vecs, lab, k, *iters)
		check(err)
		fmt.Fprintf(os.Stderr, "k=%d in %v\n", k, time.Since(t0))
		b.GMM.NAP = u
		check(b.GMM.Prepare(b.UBM))
		o, err := os.Create(fmt.Sprintf("%s_%d.vxgb", *out, k))
		check(err)
		_, err = b.WriteTo(o)
		check(err)
		check(o.Close())
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
