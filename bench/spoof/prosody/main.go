// Command prosody prints, per class, family and condition of bench/out/spoof/key.tsv, the mean
// and standard deviation of each prosodic-perturbation feature (dsp.PitchTracker) and its
// single-feature EER against the bona fide files of the same split and condition: does pitch
// regularity separate synthetic from human speech? Run from the repository root:
//
//	go run ./bench/spoof/prosody [--key bench/out/spoof/key.tsv] [--split eval]
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"sort"
	"strings"

	"github.com/voxguard/voxguard/bench/spoof/spoofkey"
	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

var names = [dsp.ProsodyDim]string{"voiced share", "ln jitter", "ln shimmer", "ln |Δ² ln F0|", "AC peak", "ln F0 std", "ln cycle jitter", "ln cycle shimmer"}

func main() {
	key := flag.String("key", "bench/out/spoof/key.tsv", "key file written by make_spoof_data.py")
	split := flag.String("split", "eval", "split to describe")
	workers := flag.Int("workers", 2, "goroutines")
	flag.Parse()
	all, err := spoofkey.Read(*key)
	if err != nil {
		log.Fatal(err)
	}
	var items []spoofkey.Item
	for _, k := range all {
		if k.Split == *split {
			items = append(items, k)
		}
	}
	feats := make([][]float64, len(items))
	jobs := make(chan int)
	done := make(chan bool)
	for range max(*workers, 1) {
		go func() {
			for i := range jobs {
				a, err := audio.ReadWAVFile(items[i].Path)
				if err != nil {
					log.Fatal(err)
				}
				s, _ := a.Channel(0)
				if a.SampleRate != 8000 {
					if s, err = audio.Resample(s, a.SampleRate, 8000); err != nil {
						log.Fatal(err)
					}
				}
				p := dsp.NewPitchTracker(8000, recipe.DefaultSpoofMinLevelDB)
				p.Push(s)
				v := make([]float64, dsp.ProsodyDim)
				p.Features(v)
				feats[i] = v
			}
			done <- true
		}()
	}
	for i := range items {
		jobs <- i
	}
	close(jobs)
	for range max(*workers, 1) {
		<-done
	}
	groups := map[string][]int{}
	for i, it := range items {
		groups[it.Codec+"\t"+it.Family] = append(groups[it.Codec+"\t"+it.Family], i)
	}
	var keys []string
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Printf("Prosodic features on the %s split: mean ± sd per group; EER %% of the feature alone against that condition's bona fide files (either direction, the better).\n\n", *split)
	fmt.Printf("| condition | family | files |")
	for _, n := range names {
		fmt.Printf(" %s | EER |", n)
	}
	fmt.Printf("\n|---|---|---|%s\n", strings.Repeat("---|---|", dsp.ProsodyDim))
	for _, k := range keys {
		idx := groups[k]
		cond, fam, _ := strings.Cut(k, "\t")
		fmt.Printf("| %s | %s | %d |", cond, fam, len(idx))
		bona := groups[cond+"\tbonafide"]
		for d := range dsp.ProsodyDim {
			var m, q float64
			for _, i := range idx {
				m += feats[i][d] / float64(len(idx))
			}
			for _, i := range idx {
				q += (feats[i][d] - m) * (feats[i][d] - m) / float64(len(idx))
			}
			eer := "—"
			if fam != "bonafide" && len(bona) > 0 {
				var sp, bf, nsp, nbf []float64
				for _, i := range idx {
					sp, nsp = append(sp, feats[i][d]), append(nsp, -feats[i][d])
				}
				for _, i := range bona {
					bf, nbf = append(bf, feats[i][d]), append(nbf, -feats[i][d])
				}
				e := math.Min(metrics.EER(sp, bf), metrics.EER(nsp, nbf))
				eer = fmt.Sprintf("%.1f", 100*e)
			}
			fmt.Printf(" %.3f ± %.3f | %s |", m, math.Sqrt(q), eer)
		}
		fmt.Println()
	}
}
