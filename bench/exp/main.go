// Command exp reports each scorer's EER separately on a development condition, the fused LLRs'
// Cllr and minCllr, and the channel detector's probabilities (a research aid:
// go run ./bench/exp MODEL DIR...). VOXGUARD_EXP_CHANNEL=p sets every test's probability of a
// degraded channel to p; VOXGUARD_EXP_NOVELTY=FILE combines listed tests' with another's.
package main

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

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
	// VOXGUARD_EXP_CHANNEL=p sets every test's probability of a degraded channel to p (what
	// the calibration would do with a detector that saw the channel for what it is).
	force := -1.0
	if s := os.Getenv("VOXGUARD_EXP_CHANNEL"); s != "" {
		if force, err = strconv.ParseFloat(s, 64); err != nil {
			panic(err)
		}
	}
	// VOXGUARD_EXP_NOVELTY=FILE ("path<TAB>p" lines) combines each listed test's channel
	// probability p0 with p as 1-(1-p0)(1-p).
	novel := map[string]float64{}
	if fn := os.Getenv("VOXGUARD_EXP_NOVELTY"); fn != "" {
		data, err := os.ReadFile(fn)
		if err != nil {
			panic(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			f := strings.Split(l, "\t")
			x, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				panic(err)
			}
			novel[f[0]] = x
		}
	}
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
			if pn, ok := novel[p.Path]; ok {
				c := tp[p.ID]
				c.Channel = 1 - (1-c.Channel)*(1-pn)
				if c.Second != nil {
					c.Second.Channel = 1 - (1-c.Second.Channel)*(1-pn)
				}
			}
			if force >= 0 {
				tp[p.ID].Channel = force
				if tp[p.ID].Second != nil {
					tp[p.ID].Second.Channel = force
				}
			}
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
		k := len(names) - 1
		fmt.Printf("  fused Cllr %.3f  minCllr %.3f\n", metrics.Cllr(tar[k], non[k]), metrics.MinCllr(tar[k], non[k]))
		// Where each scorer puts targets and non-targets (S-normalised raw scores; the fused
		// column is the calibrated LLR): a shifted or widened non-target distribution on one
		// condition is what a calibration that does not transfer looks like.
		for k, n := range names {
			mt, st := meanSD(tar[k])
			mn, sn := meanSD(non[k])
			fmt.Printf("  %-8s targets %6.2f ± %.2f   non-targets %6.2f ± %.2f\n", n, mt, st, mn, sn)
		}
		if b.Channel != nil && b.Channel.Novelty != nil {
			// The novelty score alone on the tests: z and its probability.
			var zs, ps []float64
			for _, p := range tests {
				iv, err := v.IVector(stats[idx[p.Path]], ws)
				if err != nil {
					panic(err)
				}
				x := models.LengthNorm(iv)
				n := b.Channel.Novelty
				f := stats[idx[p.Path]].Frames()
				lf := math.Log(min(max(f, n.MinFrames), n.MaxFrames))
				zs = append(zs, math.Log(n.Distance(x, nil))-n.LogDist0-n.LogDist1*lf)
				ps = append(ps, n.Degraded(x, f, nil))
			}
			sort.Float64s(zs)
			sort.Float64s(ps)
			q := func(v []float64, f float64) float64 { return v[int(f*float64(len(v)-1))] }
			fmt.Printf("  novelty z, tests: 10%% %.3f  median %.3f  90%% %.3f;  p: 10%% %.3f  median %.3f  90%% %.3f\n",
				q(zs, .1), q(zs, .5), q(zs, .9), q(ps, .1), q(ps, .5), q(ps, .9))
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
