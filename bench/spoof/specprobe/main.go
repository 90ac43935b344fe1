// Command specprobe trains models.TrainSpecNet leaving one spoof family out, on log power
// spectra dumped by bench/spoof/cnn/dump.py, and prints each family's EER against genuine speech
// through the same telephone channel (tel) and with a mobile codec (telmob): the Go counterpart
// of bench/spoof/cnn/cnn.py, to check that both trainers agree.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
)

var never = map[string]bool{"griffin-lim": true, "vocoder-hnm": true, "codec2": true, "vocoder-mlsa": true,
	"neural-istft": true, "neural-hifigan": true, "neural-gan": true, "neural-gan2": true}

var trainKeys = map[string]bool{"key.tsv": true, "tel_key.tsv": true, "telmob_key.tsv": true, "noise_key.tsv": true,
	"chand_key.tsv": true, "noisetel_key.tsv": true, "chandtel_key.tsv": true}

type item struct {
	key, class, family, split, codec string
	rec                              models.SpecRecording
}

func main() {
	bin := flag.String("feats", "bench/out/spoof/cnn/feats.bin", "spectra (dump.py)")
	idx := flag.String("index", "bench/out/spoof/cnn/feats.idx", "their index")
	fold := flag.String("fold", "none", "family held out of training")
	steps := flag.Int("steps", 1500, "minibatches")
	out := flag.String("out", "", "scores TSV (condition, family, label, score)")
	flag.Parse()
	items := load(*bin, *idx)
	var bona []models.SpecRecording
	spoof := map[string][]models.SpecRecording{}
	var eval []item
	for _, it := range items {
		switch {
		case it.split == "train" && trainKeys[it.key]:
			if it.class == "bonafide" {
				bona = append(bona, it.rec)
			} else if !never[it.family] && it.family != *fold {
				spoof[it.family] = append(spoof[it.family], it.rec)
			}
		case it.split == "eval":
			switch {
			case it.key == "tel_eval_key.tsv":
				it.codec, it.family = "none", "bonafide"
				eval = append(eval, it)
			case it.key == "telmob_eval_key.tsv":
				it.codec, it.family = "mobile", "bonafide"
				eval = append(eval, it)
			case it.key == "key.tsv" && it.class == "spoof" && (it.codec == "none" || it.codec == "mobile"):
				eval = append(eval, it)
			}
		}
	}
	var fams []string
	for f := range spoof {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	var sg [][]models.SpecRecording
	for _, f := range fams {
		sg = append(sg, spoof[f])
	}
	log.Printf("bona fide %d, spoof families %d, eval %d", len(bona), len(sg), len(eval))
	t0 := time.Now()
	net, err := models.TrainSpecNet([][]models.SpecRecording{bona}, sg, models.SpecNetConfig{Steps: *steps, Seed: 1,
		Progress: func(s int, loss float64) {
			if s%100 == 0 || s == *steps {
				log.Printf("step %d loss %.3f %.0fs", s, loss, time.Since(t0).Seconds())
			}
		}})
	if err != nil {
		log.Fatal(err)
	}
	scores := make([]float64, len(eval))
	for i, it := range eval {
		scores[i], _ = net.Logit(it.rec.X, it.rec.T, it.rec.Stride)
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for i, it := range eval {
			lab := 1
			if it.family == "bonafide" {
				lab = 0
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%.4f\n", it.codec, it.family, lab, scores[i])
		}
		w.Flush()
		f.Close()
	}
	report(eval, scores, *fold)
}

func report(eval []item, scores []float64, fold string) {
	by := map[[2]string][]float64{}
	for i, it := range eval {
		k := [2]string{it.codec, it.family}
		by[k] = append(by[k], scores[i])
	}
	var fams []string
	for k := range by {
		if k[0] == "none" && k[1] != "bonafide" {
			fams = append(fams, k[1])
		}
	}
	sort.Strings(fams)
	for _, f := range fams {
		mark := ""
		if f == fold {
			mark = " *"
		} else if never[f] {
			mark = " (never)"
		}
		fmt.Printf("fold=%s\t%s%s\t%.2f\t%.2f\n", fold, f, mark,
			eer(by[[2]string{"none", f}], by[[2]string{"none", "bonafide"}]),
			eer(by[[2]string{"mobile", f}], by[[2]string{"mobile", "bonafide"}]))
	}
}

// eer is the equal error rate, in percent, of spoof scores pos against bona fide scores neg.
func eer(pos, neg []float64) float64 { return 100 * metrics.EER(pos, neg) }

func load(bin, idx string) []item {
	fi, err := os.Open(idx)
	if err != nil {
		log.Fatal(err)
	}
	defer fi.Close()
	fb, err := os.Open(bin)
	if err != nil {
		log.Fatal(err)
	}
	defer fb.Close()
	br := bufio.NewReaderSize(fb, 1<<20)
	sc := bufio.NewScanner(fi)
	var items []item
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		var T int32
		if err := binary.Read(br, binary.LittleEndian, &T); err != nil {
			log.Fatal(err)
		}
		q := make([]int16, int(T)*128)
		if err := binary.Read(br, binary.LittleEndian, q); err != nil && err != io.EOF {
			log.Fatal(err)
		}
		x := make([]float32, len(q))
		for i, v := range q {
			x[i] = float32(v) / 256
		}
		items = append(items, item{f[0], f[1], f[2], f[3], f[4], models.SpecRecording{X: x, T: int(T), Stride: 128}})
	}
	return items
}
