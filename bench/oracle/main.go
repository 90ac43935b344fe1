// Command oracle measures where the degraded channel's errors come from, by giving the degraded
// tests parts of their clean originals' front-end decisions (a research aid; nothing it does is
// possible in a live call, where there is no clean original). The degraded development tests
// (bench/out/dev/enr30_test4_deg, made by bench/trials/make_trials.py) are the 4 s tests
// (enr30_test4) passed through a degraded channel, sample for sample apart from a codec delay of
// a few samples, which is estimated by cross-correlation and removed. Each variant scores the
// degraded condition's trials with the bundle as `score` does, changing only how each test's
// statistics are made:
//
//	deg      the degraded audio's VAD, posteriors and features (what `score` does)
//	vad      the clean audio's VAD decisions; the degraded audio's posteriors and features
//	post     the degraded audio's VAD; the clean audio's posteriors; the degraded features
//	vadpost  the clean audio's VAD and posteriors; the degraded features
//	clean    the clean audio throughout (the 4 s condition's own statistics)
//	floorN   the degraded audio's VAD, keeping only frames whose log energy is more than N/10
//	         nats above the recording's 10th percentile (a noise-floor rule)
//	vadfile:DIR  VAD decisions read from DIR/<test id>.vad (n bytes, 1 = voiced), with the
//	         degraded posteriors and frames
//	enh:DIR  the degraded audio's VAD, with the frames read from DIR/<test id>.f32 (n·60
//	         float32, e.g. the output of bench/oracle/enhance.py) in place of the degraded ones
//
//	go run ./bench/oracle [--model FILE] [--variants deg,vad,post,vadpost,clean]
//	go run ./bench/oracle --dump LIST   # aligned clean/degraded frames of each pair, for enhance.py
//
// Scores go to bench/out/dev/enr30_test4_deg/scores_oracle_<variant>; ORACLE_COUNTS=1 prints each
// test's voiced-frame counts (clean, degraded, both) to stderr.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/voxguard/voxguard/bench/internal/devcond"
	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

func main() {
	model := flag.String("model", "", "bundle (default: the embedded one)")
	dir := flag.String("dir", "bench/out/dev/enr30_test4_deg", "degraded condition's lists")
	cleanDir := flag.String("clean-dir", "bench/out/dev/enr30_test4", "the clean 4 s condition's lists (test ids <spk>-t4-NN for <spk>-deg-NN)")
	variants := flag.String("variants", "deg,vad,post,vadpost,clean", "comma-separated variants")
	dump := flag.String("dump", "", "instead of scoring: a file of lines \"CLEAN DEGRADED OUT\"; writes each pair's aligned frames to OUT (int32 frames, int32 dim, the clean and degraded VAD flags as bytes, then the clean and degraded frames as float32)")
	flag.Parse()
	b, cfg, err := devcond.LoadBundle(*model)
	if err != nil {
		log.Fatal(err)
	}
	if *dump != "" {
		dumpPairs(cfg, *dump)
		return
	}
	v, err := models.NewVerifier(b)
	if err != nil {
		log.Fatal(err)
	}
	enroll, tests, trials, err := kaldiio.ReadCondition(*dir)
	if err != nil {
		log.Fatal(err)
	}
	workers := runtime.GOMAXPROCS(0)
	_, cleanTests, _, err := kaldiio.ReadCondition(*cleanDir)
	if err != nil {
		log.Fatal(err)
	}
	cleanOf := map[string]string{}
	for _, t := range cleanTests {
		cleanOf[strings.Replace(t.ID, "-t4-", "-deg-", 1)] = t.Path
	}

	// Enrollment probes, as score makes them.
	modelIDs, modelFiles := kaldiio.GroupPairs(enroll)
	var efiles []string
	for _, id := range modelIDs {
		efiles = append(efiles, modelFiles[id]...)
	}
	est, err := recipe.FileStats(b, cfg, efiles, workers, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	byFile := map[string]*models.Stats{}
	for i, f := range efiles {
		byFile[f] = est[i]
	}
	ws := v.NewScratch()
	enrolled := map[string]*models.Probe{}
	for _, id := range modelIDs {
		s := models.NewStats(b.UBM.C, b.UBM.D)
		for _, f := range modelFiles[id] {
			if err := s.Add(byFile[f]); err != nil {
				log.Fatal(err)
			}
		}
		p, err := v.PrepareEnrollment(s, nil, ws)
		if err != nil {
			log.Fatal(err)
		}
		enrolled[id] = p
	}

	for _, variant := range strings.Split(*variants, ",") {
		probes := make([]*models.Probe, len(tests))
		vs := make([]*models.VerifierScratch, workers)
		gs := make([]*models.Scratch, workers)
		xs := make([]*recipe.FeatureExtractor, workers)
		for w := range workers {
			vs[w], gs[w] = v.NewScratch(), b.NewStatsScratch()
			if xs[w], err = recipe.NewFeatureExtractor(cfg, 0); err != nil {
				log.Fatal(err)
			}
		}
		err := recipe.Parallel(len(tests), workers, progress.New(os.Stderr, variant, len(tests)), func(w, i int) error {
			s, err := testStats(b, cfg, xs[w], gs[w], cleanOf[tests[i].ID], tests[i].Path, variant)
			if err == nil {
				probes[i], err = v.PrepareTestOwned(s, vs[w])
			}
			if err != nil {
				return fmt.Errorf("%s: %w", tests[i].ID, err)
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		idx := map[string]int{}
		for i, t := range tests {
			idx[t.ID] = i
		}
		out := filepath.Join(*dir, "scores_oracle_"+strings.NewReplacer("/", "_", ":", "_").Replace(variant))
		f, err := os.Create(out)
		if err != nil {
			log.Fatal(err)
		}
		for _, t := range trials {
			llr, _ := v.Score(enrolled[t.Model], probes[idx[t.Test]])
			fmt.Fprintf(f, "%s %s %.4f\n", t.Model, t.Test, llr)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintln(os.Stderr, "wrote", out)
	}
}

// frames runs the front end over samples and returns every frame's features and VAD decision.
func frames(cfg dsp.FrontendConfig, samples []float32) ([][]float32, []bool) {
	fe, err := dsp.NewFrontend(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fe.Push(samples)
	fe.Flush()
	var xs [][]float32
	var voiced []bool
	for {
		x := make([]float32, fe.Dim())
		v, ok := fe.Next(x)
		if !ok {
			break
		}
		xs = append(xs, x)
		voiced = append(voiced, v)
	}
	return xs, voiced
}

// lag is the shift L (|L| ≤ 200 samples) that best aligns deg[t] with clean[t+L].
func lag(clean, deg []float32) int {
	n := min(len(clean), len(deg))
	best, bestL := -1e300, 0
	for L := -200; L <= 200; L++ {
		s := 0.0
		for t := 1000; t < n-1000; t++ {
			s += float64(deg[t]) * float64(clean[t+L])
		}
		if s > best {
			best, bestL = s, L
		}
	}
	return bestL
}

func testStats(b *models.Bundle, cfg dsp.FrontendConfig, x *recipe.FeatureExtractor, gs *models.Scratch, cleanPath, degPath, variant string) (*models.Stats, error) {
	cs, err := x.Samples(cleanPath)
	if err != nil {
		return nil, err
	}
	ds, err := x.Samples(degPath)
	if err != nil {
		return nil, err
	}
	cx, cv, dx, dv := alignedFrames(cfg, cs, ds)
	if os.Getenv("ORACLE_COUNTS") != "" {
		nc, nd, both := 0, 0, 0
		for t := range min(len(cv), len(dv)) {
			if cv[t] {
				nc++
			}
			if dv[t] {
				nd++
			}
			if cv[t] && dv[t] {
				both++
			}
		}
		fmt.Fprintf(os.Stderr, "COUNTS %s %d %d %d\n", filepath.Base(degPath), nc, nd, both)
	}
	if variant == "clean" {
		dx, dv = cx, cv
	}
	n := min(len(cx), len(dx))
	if dir, ok := strings.CutPrefix(variant, "vadfile:"); ok {
		// VAD decisions from a file: n bytes, 1 = voiced, replacing the degraded VAD's.
		id := strings.TrimSuffix(filepath.Base(degPath), ".wav")
		raw, err := os.ReadFile(filepath.Join(dir, id+".vad"))
		if err != nil {
			return nil, err
		}
		if len(raw) != n {
			return nil, fmt.Errorf("%s: %d decisions, want %d", id, len(raw), n)
		}
		dv = make([]bool, n)
		for t, v := range raw {
			dv[t] = v != 0
		}
	}
	if dir, ok := strings.CutPrefix(variant, "enh:"); ok {
		// Frames from a file: n·Dim float32 replacing the degraded frames (the degraded VAD kept).
		id := strings.TrimSuffix(filepath.Base(degPath), ".wav")
		raw, err := os.ReadFile(filepath.Join(dir, id+".f32"))
		if err != nil {
			return nil, err
		}
		d := cfg.Dim()
		if len(raw) != 4*n*d {
			return nil, fmt.Errorf("%s: %d bytes, want %d", id, len(raw), 4*n*d)
		}
		for t := range n {
			row := make([]float32, d)
			for j := range row {
				row[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(t*d+j):]))
			}
			dx[t] = row
		}
	}
	var floorVoiced []bool
	if strings.HasPrefix(variant, "floor") {
		var delta float64
		fmt.Sscanf(variant, "floor%f", &delta)
		floorVoiced = floorVAD(ds, n, delta/10)
	}
	g := b.UBM
	s := models.NewStats(g.C, g.D)
	tmp := models.NewStats(g.C, g.D)
	for t := 0; t < n; t++ {
		voiced := dv[t]
		if variant == "vad" || variant == "vadpost" {
			voiced = cv[t]
		}
		if floorVoiced != nil {
			voiced = voiced && floorVoiced[t]
		}
		if !voiced {
			continue
		}
		px := dx[t]
		if variant == "post" || variant == "vadpost" {
			px = cx[t]
		}
		clear(tmp.N)
		g.Accumulate(tmp, px, gs)
		for c, p := range tmp.N {
			if p == 0 {
				continue
			}
			s.N[c] += p
			row := s.F[c*g.D : (c+1)*g.D]
			for d, v := range dx[t][:g.D] {
				row[d] += p * float64(v)
			}
		}
	}
	s.UBM = g.Fingerprint()
	return s, nil
}

// floorVAD marks frame t (200 samples from t·80) voiced when its log energy (nats) is more than
// delta above the 10th percentile of the recording's frame log energies.
func floorVAD(s []float32, n int, delta float64) []bool {
	e := make([]float64, n)
	for t := range e {
		sum := 1e-10
		for i := t * 80; i < t*80+200 && i < len(s); i++ {
			sum += float64(s[i]) * float64(s[i])
		}
		e[t] = math.Log(sum)
	}
	sorted := slices.Clone(e)
	slices.Sort(sorted)
	floor := sorted[len(sorted)/10]
	out := make([]bool, n)
	for t, v := range e {
		out[t] = v > floor+delta
	}
	return out
}

// alignedFrames aligns the clean audio on the degraded audio (lag) and returns both front ends'
// frames and VAD decisions.
func alignedFrames(cfg dsp.FrontendConfig, cs, ds []float32) (cx [][]float32, cv []bool, dx [][]float32, dv []bool) {
	if L := lag(cs, ds); L > 0 {
		cs = cs[L:]
	} else if L < 0 {
		cs = append(make([]float32, -L), cs...)
	}
	cx, cv = frames(cfg, cs)
	dx, dv = frames(cfg, ds)
	return
}

func dumpPairs(cfg dsp.FrontendConfig, list string) {
	data, err := os.ReadFile(list)
	if err != nil {
		log.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	workers := runtime.GOMAXPROCS(0)
	xs := make([]*recipe.FeatureExtractor, workers)
	for w := range xs {
		if xs[w], err = recipe.NewFeatureExtractor(cfg, 0); err != nil {
			log.Fatal(err)
		}
	}
	err = recipe.Parallel(len(lines), workers, progress.New(os.Stderr, "pairs", len(lines)), func(w, i int) error {
		f := strings.Fields(lines[i])
		if len(f) != 3 {
			return fmt.Errorf("%s:%d: want \"CLEAN DEGRADED OUT\"", list, i+1)
		}
		cs, err := xs[w].Samples(f[0])
		if err != nil {
			return err
		}
		ds, err := xs[w].Samples(f[1])
		if err != nil {
			return err
		}
		cx, cv, dx, dv := alignedFrames(cfg, cs, ds)
		n, d := min(len(cx), len(dx)), cfg.Dim()
		buf := make([]byte, 0, 8+2*n+8*n*d)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(d))
		for _, v := range [][]bool{cv, dv} {
			for t := range n {
				if v[t] {
					buf = append(buf, 1)
				} else {
					buf = append(buf, 0)
				}
			}
		}
		for _, fr := range [][][]float32{cx, dx} {
			for t := range n {
				for _, v := range fr[t] {
					buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
				}
			}
		}
		return os.WriteFile(f[2], buf, 0o644)
	})
	if err != nil {
		log.Fatal(err)
	}
}
