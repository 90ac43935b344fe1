// Command ivlofo measures a spoofing detector on the speaker models' i-vectors (a research aid):
// a logistic regression on the length-normalised i-vector of each recording, bona fide against
// spoofed, trained on the train split of bench/out/spoof/key.tsv and evaluated on its eval split,
// leaving each family out of training in turn (griffin-lim never trains, as in run.sh), and, with
// --shipped DIR (an eval.sh output of the shipped countermeasure), the same detector trained on
// the shipped countermeasure's families fused with its scores. Run from the repository root:
//
//	go run ./bench/spoof/ivlofo [--model models/default.vxgb] [--shipped bench/out/spoof/eval-mlp8-cmn-w5]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/voxguard/voxguard/bench/spoof/spoofkey"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

type item struct {
	spoofkey.Item
	x []float64
}

func main() {
	key := flag.String("key", "bench/out/spoof/key.tsv", "key written by make_spoof_data.py")
	model := flag.String("model", "models/default.vxgb", "speaker-model bundle")
	l2 := flag.Float64("l2", 0.01, "L2 weight of the logistic regression")
	shipped := flag.String("shipped", "", "eval.sh output folder of the shipped countermeasure, for fusion")
	weights := flag.String("w", "0.25,0.5,1", "fusion weights of the i-vector score")
	flag.Parse()
	b, err := models.ReadBundleFile(*model)
	check(err)
	cfg, err := recipe.FrontendOf(b)
	check(err)
	items := readKey(*key)
	paths := make([]string, len(items))
	for i, it := range items {
		paths[i] = it.Path
	}
	log.Printf("%d recordings: statistics", len(items))
	stats, err := recipe.FileStats(b, cfg, paths, 0, nil)
	check(err)
	ws := b.Extractor.NewScratch()
	for i := range items {
		iv := make([]float64, b.Extractor.R)
		check(b.Extractor.Extract(stats[i], iv, ws))
		for d := range b.IVectorMean {
			iv[d] -= b.IVectorMean[d]
		}
		items[i].x = models.LengthNorm(iv)
	}
	fams := map[string]bool{}
	for _, it := range items {
		if it.Class == "spoof" {
			fams[it.Family] = true
		}
	}
	var famList []string
	for f := range fams {
		famList = append(famList, f)
	}
	sort.Strings(famList)
	train := func(exclude map[string]bool) *models.LinearScorer {
		var pos, neg [][]float64
		for _, it := range items {
			if it.Split != "train" || exclude[it.Family] {
				continue
			}
			if it.Class == "spoof" {
				pos = append(pos, it.x)
			} else {
				neg = append(neg, it.x)
			}
		}
		l, err := models.TrainLogistic(pos, neg, *l2, 30)
		check(err)
		return l
	}
	eer := func(l *models.LinearScorer, fam, codec string, extra map[string]float64, w float64) float64 {
		var tar, non []float64
		for _, it := range items {
			if it.Split != "eval" || it.Codec != codec || (it.Class == "spoof" && it.Family != fam) {
				continue
			}
			s := l.Score(it.x)
			if extra != nil {
				e, ok := extra[it.ID]
				if !ok {
					continue
				}
				s = e + w*s
			}
			if it.Class == "spoof" {
				tar = append(tar, s)
			} else {
				non = append(non, s)
			}
		}
		return 100 * metrics.EER(tar, non)
	}
	fmt.Println("leave one family out (griffin-lim never trains): held-out EER %, clean / codecs")
	var sc, sm float64
	n := 0
	for _, fam := range famList {
		l := train(map[string]bool{fam: true, "griffin-lim": true})
		c, m := eer(l, fam, "none", nil, 0), eer(l, fam, "mobile", nil, 0)
		fmt.Printf("  %-17s %6.2f / %6.2f\n", fam, c, m)
		if fam != "griffin-lim" && fam != "vocoder-lpc" {
			sc, sm, n = sc+c, sm+m, n+1
		}
	}
	fmt.Printf("  mean of the %d TTS families and replay: %.2f / %.2f\n", n, sc/float64(n), sm/float64(n))
	if *shipped == "" {
		return
	}
	// The shipped countermeasure's training families: all but griffin-lim, pico, mbrola, rhvoice.
	unseen := map[string]bool{"griffin-lim": true, "pico": true, "mbrola": true, "rhvoice": true}
	l := train(unseen)
	fmt.Println("trained as the shipped countermeasure; EER % clean / codecs: i-vector alone, shipped, fused with weights", *weights)
	for _, fam := range famList {
		line := fmt.Sprintf("  %-17s iv %6.2f / %6.2f", fam, eer(l, fam, "none", nil, 0), eer(l, fam, "mobile", nil, 0))
		cs, ms := readScores(*shipped+"/"+fam+".none.scores"), readScores(*shipped+"/"+fam+".mobile.scores")
		line += fmt.Sprintf("  shipped %6.2f / %6.2f", eer(l, fam, "none", cs, 0), eer(l, fam, "mobile", ms, 0))
		for _, w := range strings.Split(*weights, ",") {
			var wf float64
			fmt.Sscan(w, &wf)
			line += fmt.Sprintf("  w%s %6.2f / %6.2f", w, eer(l, fam, "none", cs, wf), eer(l, fam, "mobile", ms, wf))
		}
		fmt.Println(line)
	}
}

func readKey(path string) []item {
	keys, err := spoofkey.Read(path)
	check(err)
	out := make([]item, len(keys))
	for i, k := range keys {
		out[i].Item = k
	}
	return out
}

func readScores(path string) map[string]float64 {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) >= 2 {
			var v float64
			if _, err := fmt.Sscan(p[1], &v); err == nil && !math.IsNaN(v) {
				out[p[0]] = v
			}
		}
	}
	return out
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
