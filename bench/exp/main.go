// Command exp reports each scorer's EER separately on a development condition (a research aid:
// go run ./bench/exp MODEL DIR...).
package main

import (
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/voxguard/voxguard/bench/internal/devcond"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

func main() {
	b, err := models.ReadBundleFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	v, err := models.NewVerifier(b)
	if err != nil {
		panic(err)
	}
	cfg, _ := recipe.FrontendOf(b)
	for _, dir := range os.Args[2:] {
		cond, err := devcond.Load(b, cfg, dir)
		if err != nil {
			panic(err)
		}
		enroll, tests, trials, files, idx, stats := cond.Enroll, cond.Test, cond.Trials, cond.Files, cond.Index, cond.Stats
		ws := v.NewScratch()
		// With enrollment augmentation, the enrollment files' augmented copies too.
		var aug []*models.Stats
		if b.EnrollAugment() != "" {
			if aug, err = recipe.AugmentedFileStats(b, cfg, files, 0, nil); err != nil {
				panic(err)
			}
		}
		models_, augs := map[string]*models.Stats{}, map[string]*models.Stats{} // augs: nil without augmentation
		for _, p := range enroll {
			if models_[p.ID] == nil {
				models_[p.ID] = models.NewStats(b.UBM.C, b.UBM.D)
				if aug != nil {
					augs[p.ID] = models.NewStats(b.UBM.C, b.UBM.D)
				}
			}
			models_[p.ID].Add(stats[idx[p.Path]])
			if aug != nil {
				augs[p.ID].Add(aug[idx[p.Path]])
			}
		}
		mp := map[string]*models.Probe{}
		for id, s := range models_ {
			mp[id], _ = v.PrepareEnrollment(s, augs[id], ws)
		}
		tp := map[string]*models.Probe{}
		for _, p := range tests {
			tp[p.ID], _ = v.Prepare(stats[idx[p.Path]], ws)
		}
		names := []string{"PLDA"}
		if b.Alt != nil {
			names = append(names, "alt-PLDA")
		}
		if b.Alt2 != nil {
			names = append(names, "alt2-PLDA")
		}
		if b.GMM != nil {
			names = append(names, "GMM")
		}
		if b.EnrollAugment() != "" {
			names = append(names, "PLDA-aug")
			if b.Alt != nil {
				names = append(names, "alt-aug")
			}
		}
		names = append(names, "fused")
		tar, non := make([][]float64, len(names)), make([][]float64, len(names))
		for _, t := range trials {
			row := v.RawScores(nil, mp[t.Model], tp[t.Test])
			llr, _ := v.Score(mp[t.Model], tp[t.Test])
			row = append(row, llr)
			for k := range row {
				if t.Label == "target" {
					tar[k] = append(tar[k], row[k])
				} else {
					non[k] = append(non[k], row[k])
				}
			}
		}
		fmt.Printf("%s:", dir)
		for k, n := range names {
			fmt.Printf("  %s %.2f%%", n, 100*metrics.EER(tar[k], non[k]))
		}
		fmt.Println()
		// Where each scorer puts targets and non-targets (S-normalised raw scores; the fused
		// column is the calibrated LLR): a shifted or widened non-target distribution on one
		// condition is what a calibration that does not transfer looks like.
		for k, n := range names {
			mt, st := meanSD(tar[k])
			mn, sn := meanSD(non[k])
			fmt.Printf("  %-8s targets %6.2f ± %.2f   non-targets %6.2f ± %.2f\n", n, mt, st, mn, sn)
		}
		if b.Channel != nil {
			// The channel detector's probability of a degraded channel, per side.
			for _, side := range []struct {
				name string
				ps   map[string]*models.Probe
			}{{"enrollments", mp}, {"tests", tp}} {
				var p []float64
				for _, pr := range side.ps {
					p = append(p, pr.Channel)
				}
				sort.Float64s(p)
				q := func(f float64) float64 { return p[int(f*float64(len(p)-1))] }
				fmt.Printf("  channel p, %s (%d): 10%% %.3f  25%% %.3f  median %.3f  75%% %.3f  90%% %.3f\n",
					side.name, len(p), q(0.1), q(0.25), q(0.5), q(0.75), q(0.9))
			}
		}
	}
}

// meanSD returns the mean and standard deviation of xs (0, 0 when empty).
func meanSD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var m, q float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		q += (x - m) * (x - m)
	}
	return m, math.Sqrt(q / float64(len(xs)))
}
