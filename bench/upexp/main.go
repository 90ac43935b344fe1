// Command upexp measures uncertainty propagation in the PLDA back ends (a research aid): each
// side's i-vector posterior covariance, seen through LDA, WCCN, length normalisation and the
// PLDA transform, widens its within-speaker variance in the per-dimension PLDA LLR. Raw scores,
// no S-norm, no calibration: go run ./bench/upexp MODEL DIR...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/voxguard/voxguard/bench/internal/devcond"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
	"gonum.org/v1/gonum/mat"
)

type backend struct {
	name string
	lda  *models.Affine
	wccn *models.Affine
	plda *models.PLDA
	g    []float64 // A·W·M, Dim × R
	mean []float64 // mean δ over the training sample
	coh  [][]float64
}

// compose returns A·W·M (rows of R, row-major): the back end's linear part from the i-vector to
// the PLDA's u-space, before length normalisation's scale.
func compose(b *backend, R int) []float64 {
	g := mat.NewDense(b.lda.Out, R, append([]float64(nil), b.lda.M...))
	if b.wccn != nil {
		var next mat.Dense
		next.Mul(mat.NewDense(b.wccn.Out, b.wccn.In, b.wccn.M), g)
		g = &next
	}
	var out mat.Dense
	out.Mul(mat.NewDense(b.plda.Dim, b.plda.Dim, b.plda.A), g)
	return out.RawMatrix().Data
}

type side struct {
	u     []float64
	delta []float64
}

func embed(b *backend, iv []float64) (u []float64, scale2 float64) {
	x := b.lda.Apply(nil, iv)
	if b.wccn != nil {
		x = b.wccn.Apply(nil, x)
	}
	var n2 float64
	for _, v := range x {
		n2 += v * v
	}
	scale2 = float64(len(x)) / n2
	return b.plda.Transform(nil, models.LengthNorm(x)), scale2
}

// llr is the per-dimension two-covariance PLDA LLR with side noise variances a (enrollment) and
// c (test) and between-speaker variances psi.
func llr(psi, u, t, a, c []float64) float64 {
	s := 0.0
	for k, p := range psi {
		ak, ck := a[k], c[k]
		det := p*(ak+ck) + ak*ck
		q := ((p+ck)*u[k]*u[k] - 2*p*u[k]*t[k] + (p+ak)*t[k]*t[k]) / det
		s += -0.5*math.Log(det) - 0.5*q + 0.5*math.Log((p+ak)*(p+ck)) + 0.5*(u[k]*u[k]/(p+ak)+t[k]*t[k]/(p+ck))
	}
	return s
}

func main() {
	train := flag.String("train", "../shared/corpora/speechocean762,../shared/corpora/mini-librispeech", "corpora for the training sample of δ")
	exclude := flag.String("exclude", "bench/dev_speakers.txt", "speakers held out")
	every := flag.Int("every", 10, "take every n-th training file")
	flag.Parse()
	b, err := models.ReadBundleFile(flag.Arg(0))
	if err != nil {
		panic(err)
	}
	cfg, _ := recipe.FrontendOf(b)
	R := b.Extractor.R
	bes := []*backend{{name: "PLDA", lda: b.LDA, wccn: b.WCCN, plda: b.PLDA, coh: b.Cohort}}
	if b.Alt != nil {
		bes = append(bes, &backend{name: "alt", lda: b.Alt.LDA, plda: b.Alt.PLDA, coh: b.Alt.Cohort})
	}
	if b.Alt2 != nil {
		bes = append(bes, &backend{name: "alt2", lda: b.Alt2.LDA, plda: b.Alt2.PLDA, coh: b.Alt2.Cohort})
	}
	topN := b.Meta.SNormTopN
	for _, be := range bes {
		be.g = compose(be, R)
	}
	ws := b.Extractor.NewScratch()
	iv := make([]float64, R)
	mk := func(s *models.Stats) []side {
		if err := b.Extractor.Extract(s, iv, ws); err != nil {
			panic(err)
		}
		out := make([]side, len(bes))
		for i, be := range bes {
			u, s2 := embed(be, iv)
			d := b.Extractor.PosteriorVariances(nil, be.g, ws)
			for k := range d {
				d[k] *= s2
			}
			out[i] = side{u, d}
		}
		return out
	}
	// Training sample.
	held := map[string]bool{}
	if f, err := os.Open(*exclude); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if l != "" && !strings.HasPrefix(l, "#") {
				held[l] = true
			}
		}
		f.Close()
	}
	var tfiles []string
	for _, c := range strings.Split(*train, ",") {
		ws, _ := filepath.Glob(c + "/*/*.wav")
		sort.Strings(ws)
		for i, w := range ws {
			spk := filepath.Base(filepath.Dir(w))
			if held[filepath.Base(c)+"/"+spk] || i%*every != 0 {
				continue
			}
			tfiles = append(tfiles, w)
		}
	}
	tst, err := recipe.FileStats(b, cfg, tfiles, 0, nil)
	if err != nil {
		panic(err)
	}
	for _, be := range bes {
		be.mean = make([]float64, be.plda.Dim)
	}
	var meanFrames float64
	for _, s := range tst {
		meanFrames += s.Frames() / float64(len(tst))
		for i, sd := range mk(s) {
			for k, v := range sd.delta {
				bes[i].mean[k] += v / float64(len(tst))
			}
		}
	}
	for _, be := range bes {
		fmt.Printf("%s: training sample %d files (mean %.0f frames): mean δ first dims %.3f %.3f %.3f, last %.3f; psi %.2f %.2f %.2f\n",
			be.name, len(tst), meanFrames, be.mean[0], be.mean[1], be.mean[2], be.mean[len(be.mean)-1], be.plda.Psi[0], be.plda.Psi[1], be.plda.Psi[2])
	}
	alphas := []float64{0, 1, 1.5}
	for _, dir := range flag.Args()[1:] {
		cond, err := devcond.Load(b, cfg, dir)
		if err != nil {
			panic(err)
		}
		enroll, tests, trials, idx, stats := cond.Enroll, cond.Test, cond.Trials, cond.Index, cond.Stats
		ms := map[string]*models.Stats{}
		for _, p := range enroll {
			if ms[p.ID] == nil {
				ms[p.ID] = models.NewStats(b.UBM.C, b.UBM.D)
			}
			ms[p.ID].Add(stats[idx[p.Path]])
		}
		mp := map[string][]side{}
		for id, s := range ms {
			mp[id] = mk(s)
		}
		tp := map[string][]side{}
		var td []float64
		for _, p := range tests {
			tp[p.ID] = mk(stats[idx[p.Path]])
			td = append(td, tp[p.ID][0].delta[0])
		}
		sort.Float64s(td)
		fmt.Printf("%s: test δ[0] median %.3f (training mean %.3f)\n", dir, td[len(td)/2], bes[0].mean[0])
		for i, be := range bes {
			fmt.Printf("  %-5s", be.name)
			for _, al := range alphas {
				var tar, non []float64
				noise := func(d []float64) []float64 {
					out := make([]float64, len(d))
					for k := range d {
						out[k] = max(0.05, 1+al*(d[k]-be.mean[k]))
					}
					return out
				}
				cache := map[string][]float64{}
				ones := make([]float64, be.plda.Dim)
				for k := range ones {
					ones[k] = 1
				}
				mom := map[string]models.CohortMoments{}
				moments := func(key string, sd side, nz []float64) models.CohortMoments {
					if m, ok := mom[key]; ok {
						return m
					}
					sc := make([]float64, len(be.coh))
					for j, c := range be.coh {
						sc[j] = llr(be.plda.Psi, sd.u, c, nz, ones)
					}
					m := models.TopNMoments(sc, topN)
					mom[key] = m
					return m
				}
				var tarN, nonN []float64
				for _, t := range trials {
					e, s := mp[t.Model][i], tp[t.Test][i]
					a, ok := cache["e"+t.Model]
					if !ok {
						a = noise(e.delta)
						cache["e"+t.Model] = a
					}
					c, ok := cache["t"+t.Test]
					if !ok {
						c = noise(s.delta)
						cache["t"+t.Test] = c
					}
					sc := llr(be.plda.Psi, e.u, s.u, a, c)
					sn := models.ASNorm(sc, moments("e"+t.Model, e, a), moments("t"+t.Test, s, c))
					if t.Label == "target" {
						tar = append(tar, sc)
						tarN = append(tarN, sn)
					} else {
						non = append(non, sc)
						nonN = append(nonN, sn)
					}
				}
				fmt.Printf("  α=%.1f %.2f%% (S-norm %.2f%%)", al, 100*metrics.EER(tar, non), 100*metrics.EER(tarN, nonN))
			}
			fmt.Println()
		}
	}
}
