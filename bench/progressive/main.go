// Command progressive measures the accuracy of a live call's progressive assessments: the
// verification LLRs an agent sees at 3, 5, 7 ... seconds of net speech, before the call ends.
// Each test recording of a development trial list is streamed through an engine.Session in
// CheckEvery-sized chunks (as a server feeds it); whenever the session emits a progressive
// assessment, every model the trial list pairs with that test is claimed in turn at that same
// point, and each claim's assessment gives that trial's LLR at that much speech. Enrollment
// models are the pooled statistics of their enroll.scp files (engine.Engine.Prepare), as
// `voxguard enroll` stores them.
//
// With several --tail-stride values it runs the same trials through an engine per value and
// also reports, per assessment, how far each value's LLRs lie from the first value's (the mean
// and largest absolute difference, in nats), which is the precise measure of what thinning the
// provisional tail (engine.Config.TailStride) changes.
//
//	go run ./bench/progressive [--model FILE] [--tail-stride 1,2,4] [--max-seq 4] [--second-system] DIR...
//
// DIR holds enroll.scp, test.scp and trials (bench/trials/make_trials.py). For each stride K and
// assessment number N it writes DIR/scores_prog_kK_sN ("model test llr") and prints EER, minDCF
// at P_target 0.01, Cllr and minCllr per assessment.
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/voxguard/voxguard/bench/internal/devcond"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
	"github.com/voxguard/voxguard/recipe"
)

// probes is an in-memory engine.Voiceprints.
type probes map[string]*models.Probe

func (p probes) Voiceprint(id string) (*models.Probe, error) {
	if pr, ok := p[id]; ok {
		return pr, nil
	}
	return nil, engine.ErrNoVoiceprint
}

// trialScore is one trial's LLR at one progressive assessment.
type trialScore struct {
	model, test string
	seq         int
	speech      float64
	llr         float64
}

func main() {
	model := flag.String("model", "", "bundle (default: the embedded one)")
	strides := flag.String("tail-stride", "1", "comma-separated engine.Config.TailStride values to compare (the first is the reference)")
	maxSeq := flag.Int("max-seq", 4, "report assessments 1 to this number")
	second := flag.Bool("second-system", false, "score with the bundle's second speaker system too (engine.Config.SecondSystem, serve --second-system)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "tests streamed in parallel")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("usage: progressive [flags] DIR...")
	}
	var ks []int
	for _, f := range strings.Split(*strides, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 {
			log.Fatalf("bad --tail-stride value %q", f)
		}
		ks = append(ks, k)
	}
	b, cfg, err := devcond.LoadBundle(*model)
	if err != nil {
		log.Fatal(err)
	}
	fx, err := recipe.NewFeatureExtractor(cfg, 0)
	if err != nil {
		log.Fatal(err)
	}
	for _, dir := range flag.Args() {
		run(dir, b, fx, ks, *maxSeq, *workers, *second)
	}
}

func run(dir string, b *models.Bundle, fx *recipe.FeatureExtractor, ks []int, maxSeq, workers int, second bool) {
	enroll, tests, trials, err := kaldiio.ReadCondition(dir)
	if err != nil {
		log.Fatal(err)
	}
	target := map[[2]string]bool{}
	byTest := map[string][]string{}
	for _, t := range trials {
		target[[2]string{t.Model, t.Test}] = t.Label == "target"
		byTest[t.Test] = append(byTest[t.Test], t.Model)
	}

	vp := probes{}
	ref, err := engine.New(b, engine.Options{Config: engine.Config{SecondSystem: second}, Voiceprints: vp})
	if err != nil {
		log.Fatal(err)
	}
	ids, files := kaldiio.GroupPairs(enroll)
	var mu sync.Mutex
	err = recipe.Parallel(len(ids), workers, nil, func(_, i int) error {
		st := b.NewStats() // with the second system's statistics when the bundle has one
		for _, path := range files[ids[i]] {
			x, err := fx.Samples(path)
			if err != nil {
				return err
			}
			s, err := ref.Stats(x)
			if err != nil {
				return err
			}
			if err := st.Add(s); err != nil {
				return err
			}
		}
		p, err := ref.Prepare(st)
		if err != nil {
			return err
		}
		mu.Lock()
		vp[ids[i]] = p
		mu.Unlock()
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	results := make([][]trialScore, len(ks))
	for ki, k := range ks {
		e, err := engine.New(b, engine.Options{Config: engine.Config{TailStride: k, SecondSystem: second}, Voiceprints: vp})
		if err != nil {
			log.Fatal(err)
		}
		chunk := int(e.Config().CheckEvery.Seconds() * float64(e.SampleRate()))
		per := make([][]trialScore, len(tests))
		err = recipe.Parallel(len(tests), workers, nil, func(_, i int) error {
			t := tests[i]
			x, err := fx.Samples(t.Path)
			if err != nil {
				return err
			}
			s := e.NewSession(t.ID)
			ord := 0 // progressive assessments so far (a claim's assessment takes a Seq too)
			for p := 0; p < len(x); p += chunk {
				as, err := s.Push(x[p:min(p+chunk, len(x))])
				if err != nil {
					return err
				}
				if len(as) == 0 {
					continue
				}
				ord++
				speech := as[len(as)-1].SpeechSeconds
				for _, m := range byTest[t.ID] {
					cs, err := s.Claim(m)
					if err != nil {
						return err
					}
					if len(cs) != 1 {
						return fmt.Errorf("%s: claim of %s gave %d assessments", t.ID, m, len(cs))
					}
					per[i] = append(per[i], trialScore{m, t.ID, ord, speech, cs[0].Verification.LLR})
				}
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range per {
			results[ki] = append(results[ki], r...)
		}
	}

	fmt.Printf("%s (%d trials, %d tests)\n", dir, len(trials), len(tests))
	fmt.Printf("%-7s %-4s %8s %8s %7s %9s %7s %8s %10s %10s\n", "stride", "seq", "trials", "speech", "EER%", "minDCF.01", "Cllr", "minCllr", "mean|Δ|", "max|Δ|")
	for seq := 1; seq <= maxSeq; seq++ {
		refLLR := map[[2]string]float64{}
		for ki, k := range ks {
			var tar, non []float64
			var out strings.Builder
			speech, n := 0.0, 0
			sumD, maxD, nd := 0.0, 0.0, 0
			for _, r := range results[ki] {
				if r.seq != seq {
					continue
				}
				key := [2]string{r.model, r.test}
				if target[key] {
					tar = append(tar, r.llr)
				} else {
					non = append(non, r.llr)
				}
				speech += r.speech
				n++
				fmt.Fprintf(&out, "%s %s %.6f\n", r.model, r.test, r.llr)
				if ki == 0 {
					refLLR[key] = r.llr
				} else if v, ok := refLLR[key]; ok {
					d := math.Abs(r.llr - v)
					sumD += d
					maxD = max(maxD, d)
					nd++
				}
			}
			if len(tar) == 0 || len(non) == 0 {
				continue
			}
			name := filepath.Join(dir, fmt.Sprintf("scores_prog_k%d_s%d", k, seq))
			if err := os.WriteFile(name, []byte(out.String()), 0o644); err != nil {
				log.Fatal(err)
			}
			dcf, _ := metrics.MinDCF(tar, non, 0.01, 1, 1)
			mean, mx := "-", "-"
			if nd > 0 {
				mean, mx = fmt.Sprintf("%.4f", sumD/float64(nd)), fmt.Sprintf("%.4f", maxD)
			}
			fmt.Printf("%-7d %-4d %8d %8.2f %7.2f %9.3f %7.3f %8.3f %10s %10s\n", k, seq, n, speech/float64(n),
				100*metrics.EER(tar, non), dcf, metrics.Cllr(tar, non), metrics.MinCllr(tar, non), mean, mx)
		}
	}
}
