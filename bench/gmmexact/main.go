// Command gmmexact scores development trials with classic frame-by-frame GMM-UBM scoring on the
// bundle's own UBM and features (a research aid: how far the statistics-only linear GMM scorer a
// live session uses is from the exact top-C log-likelihood ratio the reference baseline
// computes). Each model is the UBM with its means MAP-adapted (relevance --r) to the pooled
// statistics of its enrollment files; a trial's score is the mean over the test's voiced frames of
// models.FrameLLR with the UBM's top --top-c components, optionally T-normalised against models
// of the files listed in --cohort (one model per speaker folder).
//
//	go run ./bench/gmmexact [--model FILE] [--top-c 5] [--r 16] DIR...
//
// DIR holds enroll.scp, test.scp and trials (bench/trials/make_trials.py); the scores go to
// DIR/scores_gmmexact.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/voxguard/voxguard/bench/internal/devcond"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

func main() {
	model := flag.String("model", "", "bundle (default: the embedded one)")
	topC := flag.Int("top-c", 5, "UBM components per frame")
	r := flag.Float64("r", 16, "MAP relevance factor")
	linear := flag.Bool("linear", false, "score by the fixed-posterior linear approximation from the test's top-C statistics instead (what a live session's GMM scorer computes before its NAP and S-norm)")
	minPost := flag.Float64("min-post", 0, "with --linear: drop selected components with a posterior below this (the bundle's statistics use 0.025)")
	noQuad := flag.Bool("no-quad", false, "with --linear: drop the quadratic term (the bundle's GMMLinear scores o·t alone)")
	cohort := flag.String("cohort", "", "file listing cohort recordings (one model per parent folder) for T-norm; empty: raw scores")
	flag.Parse()
	b, cfg, err := devcond.LoadBundle(*model)
	if err != nil {
		log.Fatal(err)
	}
	ubm := b.UBM
	workers := runtime.GOMAXPROCS(0)
	var cohortModels []*models.GMM
	if *cohort != "" {
		paths := readLines(*cohort)
		bySpk := map[string][]string{}
		for _, p := range paths {
			bySpk[filepath.Dir(p)] = append(bySpk[filepath.Dir(p)], p)
		}
		var spk []string
		for s := range bySpk {
			spk = append(spk, s)
		}
		sort.Strings(spk)
		cohortModels = make([]*models.GMM, len(spk))
		feats, err := recipe.ExtractAll(paths, cfg, 0, workers, nil)
		if err != nil {
			log.Fatal(err)
		}
		idx := map[string]int{}
		for i, p := range paths {
			idx[p] = i
		}
		for i, s := range spk {
			st := ubm.NewStats()
			sc := ubm.NewScratch(10, 0)
			for _, p := range bySpk[s] {
				ubm.AccumulateUtterance(st, feats[idx[p]].Frames, sc)
			}
			if cohortModels[i], err = models.MAPAdaptMeans(ubm, st, *r); err != nil {
				log.Fatal(err)
			}
		}
		log.Printf("cohort: %d models", len(cohortModels))
	}
	for _, dir := range flag.Args() {
		enroll, tests, trials, err := kaldiio.ReadCondition(dir)
		if err != nil {
			log.Fatal(err)
		}
		files, idx := kaldiio.UniquePaths(enroll, tests)
		feats, err := recipe.ExtractAll(files, cfg, 0, workers, nil)
		if err != nil {
			log.Fatal(err)
		}
		// Models: pooled statistics of each model's enrollment files, MAP-adapted means.
		byModel := map[string]*models.Stats{}
		sc := ubm.NewScratch(10, 0)
		for _, p := range enroll {
			st := byModel[p.ID]
			if st == nil {
				st = ubm.NewStats()
				byModel[p.ID] = st
			}
			ubm.AccumulateUtterance(st, feats[idx[p.Path]].Frames, sc)
		}
		adapted := map[string]*models.GMM{}
		for k, st := range byModel {
			if adapted[k], err = models.MAPAdaptMeans(ubm, st, *r); err != nil {
				log.Fatal(err)
			}
		}
		testPath := map[string]string{}
		for _, p := range tests {
			testPath[p.ID] = p.Path
		}
		score := func(g *models.GMM, fr [][]float32, sc *models.Scratch) float64 {
			if len(fr) == 0 {
				return 0
			}
			if *linear {
				// Σ_c oᵀΣ⁻¹(F_c − N_c μ_c) − ½ N_c oᵀΣ⁻¹o over the test's statistics, o = μ'_c − μ_c,
				// per frame.
				sc.MinPost = *minPost
				st := ubm.NewStats()
				ubm.AccumulateUtterance(st, fr, sc)
				D := ubm.D
				s, n := 0.0, 0.0
				for c := range ubm.C {
					if st.N[c] == 0 {
						continue
					}
					n += st.N[c]
					for d := range D {
						i := c*D + d
						o := g.Means[i] - ubm.Means[i]
						q := 0.5 * st.N[c] * o
						if *noQuad {
							q = 0
						}
						s += o / ubm.Vars[i] * (st.F[i] - st.N[c]*ubm.Means[i] - q)
					}
				}
				return s / max(n, 1)
			}
			s := 0.0
			for _, x := range fr {
				s += models.FrameLLR(ubm, g, x, sc)
			}
			return s / float64(len(fr))
		}
		// T-norm moments per test file.
		tmean, tsd := map[string]float64{}, map[string]float64{}
		if len(cohortModels) > 0 {
			keys := make([]string, 0, len(testPath))
			for k := range testPath {
				keys = append(keys, k)
			}
			mu := make([]float64, len(keys))
			sd := make([]float64, len(keys))
			_ = recipe.Parallel(len(keys), workers, nil, func(w, i int) error {
				sc := ubm.NewScratch(*topC, 0)
				fr := feats[idx[testPath[keys[i]]]].Frames
				var s, s2 float64
				for _, g := range cohortModels {
					v := score(g, fr, sc)
					s += v
					s2 += v * v
				}
				n := float64(len(cohortModels))
				mu[i] = s / n
				sd[i] = math.Sqrt(max(s2/n-mu[i]*mu[i], 1e-12))
				return nil
			})
			for i, k := range keys {
				tmean[k], tsd[k] = mu[i], sd[i]
			}
		}
		out := make([]float64, len(trials))
		_ = recipe.Parallel(len(trials), workers, nil, func(w, i int) error {
			t := trials[i]
			sc := ubm.NewScratch(*topC, 0)
			v := score(adapted[t.Model], feats[idx[testPath[t.Test]]].Frames, sc)
			if len(cohortModels) > 0 {
				v = (v - tmean[t.Test]) / tsd[t.Test]
			}
			out[i] = v
			return nil
		})
		f, err := os.Create(dir + "/scores_gmmexact")
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriter(f)
		var tar, non []float64
		for i, t := range trials {
			fmt.Fprintf(w, "%s %s %.6f\n", t.Model, t.Test, out[i])
			if t.Label == "target" {
				tar = append(tar, out[i])
			} else {
				non = append(non, out[i])
			}
		}
		w.Flush()
		f.Close()
		fmt.Printf("%s: GMM-UBM (linear %v, top-%d, r %g, T-norm %v) EER %.2f%%\n", dir, *linear, *topC, *r, len(cohortModels) > 0, 100*metrics.EER(tar, non))
	}
}

func readLines(p string) []string {
	b, err := os.ReadFile(p)
	if err != nil {
		log.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
