// Command fuse fuses two leave-one-family-out score dumps (bench/spoof/lofo --dump and
// bench/spoof/nnlofo --dump): in each fold both scorers are z-normalised on the fold's held-out
// bona fide training files and summed with weights (1 − w, w); the EER of each held-out family,
// clean and after mobile codecs, its spoofs passing at the 1 % threshold set on those held-out
// files, and the dev speakers' bona fide files flagged at it are printed for each w. With --c, a
// third dump joins with weight wc (each of --wc), the first getting 1 - w - wc.
//
//	go run ./bench/spoof/fuse --a base.tsv --b nn.tsv --w 0,0.2,0.3,0.5
//	go run ./bench/spoof/fuse --a base.tsv --b nn.tsv --w 0.3 --c vq.tsv --c-col ltss --wc 0.1,0.2
//
// With --mean the scores are not z-normalised: (1 − w)·a + w·b of the raw scores, so that w = 0.5
// is the plain mean of two spectrum networks' log-odds, as models.Countermeasure.SpecLogit
// averages Spec's and a SpecViews network's (two bench/spoof/speclofo --dump files):
//
//	go run ./bench/spoof/fuse --a spec32ms.tsv --b spec8ms.tsv --mean --w 0,0.5,1
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/voxguard/voxguard/models/metrics"
)

type row struct {
	set, family, codec string
	score              float64
}

// read returns fold → id+set+codec key → row, taking the score from column col.
func read(path, col string) map[string]map[string]row {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	hdr := strings.Split(sc.Text(), "\t")
	ci := slices.Index(hdr, col)
	if ci < 0 {
		log.Fatalf("%s: no column %q", path, col)
	}
	out := map[string]map[string]row{}
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		v, err := strconv.ParseFloat(p[ci], 64)
		if err != nil {
			log.Fatalf("%s: %v", path, err)
		}
		if out[p[0]] == nil {
			out[p[0]] = map[string]row{}
		}
		out[p[0]][p[4]+"|"+p[1]+"|"+p[3]] = row{p[1], p[2], p[3], v}
	}
	return out
}

func main() {
	a := flag.String("a", "", "first dump (weight 1 − w)")
	aCol := flag.String("a-col", "fused", "first dump's score column")
	b := flag.String("b", "", "second dump (weight w)")
	bCol := flag.String("b-col", "fused", "second dump's score column")
	ws := flag.String("w", "0,0.2,0.3,0.4,0.5,1", "weights of the second dump")
	c := flag.String("c", "", "optional third dump (weight wc)")
	cCol := flag.String("c-col", "fused", "third dump's score column")
	wcs := flag.String("wc", "0.1", "with --c: weights of the third dump")
	raw := flag.Bool("mean", false, "weigh the raw scores, not z-normalised ones (w = 0.5: the plain mean, as the countermeasure averages spectrum networks)")
	flag.Parse()
	A, B := read(*a, *aCol), read(*b, *bCol)
	C := map[string]map[string]row{}
	if *c != "" {
		C = read(*c, *cCol)
	} else {
		*wcs = "0"
	}
	var folds []string
	for f := range A {
		if B[f] != nil && (*c == "" || C[f] != nil) {
			folds = append(folds, f)
		}
	}
	sort.Strings(folds)
	type pair struct{ w, wc float64 }
	var pairs []pair
	for _, wsv := range strings.Split(*ws, ",") {
		w, err := strconv.ParseFloat(wsv, 64)
		if err != nil {
			log.Fatal(err)
		}
		for _, wcv := range strings.Split(*wcs, ",") {
			wc, err := strconv.ParseFloat(wcv, 64)
			if err != nil || wc < 0 || w+wc > 1 {
				log.Fatalf("bad weights w = %s, wc = %s", wsv, wcv)
			}
			pairs = append(pairs, pair{w, wc})
		}
	}
	for _, pw := range pairs {
		w, wc := pw.w, pw.wc
		if *c != "" {
			fmt.Printf("\nw = %g, wc = %g\n\n", w, wc)
		} else {
			fmt.Printf("\nw = %g\n\n", w)
		}
		fmt.Printf("| held-out | EER clean | EER codecs | passed at 1 %% clean | dev bona fide codecs flagged |\n|---|---|---|---|---|\n")
		var sum [4]float64
		for _, fold := range folds {
			z := func(m map[string]row) func(k string) float64 {
				var h []float64
				for _, r := range m {
					if r.set == "held" {
						h = append(h, r.score)
					}
				}
				mu, sd := 0.0, 0.0
				for _, v := range h {
					mu += v
				}
				mu /= float64(len(h))
				for _, v := range h {
					sd += (v - mu) * (v - mu)
				}
				sd = math.Sqrt(sd / float64(len(h)))
				if *raw {
					mu, sd = 0, 1
				}
				return func(k string) float64 { return (m[k].score - mu) / sd }
			}
			za, zb := z(A[fold]), z(B[fold])
			zc := func(string) float64 { return 0 }
			if *c != "" {
				zc = z(C[fold])
			}
			sp := map[string][]float64{}
			bf := map[string][]float64{}
			var held []float64
			for k, r := range A[fold] {
				if _, ok := B[fold][k]; !ok {
					continue
				}
				if _, ok := C[fold][k]; !ok && *c != "" {
					continue
				}
				s := (1-w-wc)*za(k) + w*zb(k) + wc*zc(k)
				switch {
				case r.set == "held":
					held = append(held, s)
				case r.family == "bonafide":
					bf[r.codec] = append(bf[r.codec], s)
				default:
					sp[r.codec] = append(sp[r.codec], s)
				}
			}
			thr := metrics.ThresholdAtFAR(held, 0.01)
			passed, flagged := 0, 0
			for _, s := range sp["none"] {
				if s < thr {
					passed++
				}
			}
			for _, s := range bf["mobile"] {
				if s >= thr {
					flagged++
				}
			}
			e0, e1 := 100*metrics.EER(sp["none"], bf["none"]), 100*metrics.EER(sp["mobile"], bf["mobile"])
			p := 100 * float64(passed) / float64(len(sp["none"]))
			fl := 100 * float64(flagged) / float64(len(bf["mobile"]))
			fmt.Printf("| %s | %.2f | %.2f | %.0f %% | %.2f %% |\n", fold, e0, e1, p, fl)
			for i, v := range []float64{e0, e1, p, fl} {
				sum[i] += v
			}
		}
		n := float64(len(folds))
		fmt.Printf("| mean of %d | %.2f | %.2f | %.1f %% | %.2f %% |\n", len(folds), sum[0]/n, sum[1]/n, sum[2]/n, sum[3]/n)
	}
}
