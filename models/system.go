package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/voxguard/voxguard/models/metrics"
)

// SystemConfig configures TrainSystem. Zero values take the defaults shown.
type SystemConfig struct {
	FrontEnd json.RawMessage // recorded in the bundle; opaque here
	Created  string          // recorded in the bundle metadata

	UBM                    UBMConfig // Components default 512
	UBMFrames              int       // frames subsampled for the UBM (default 500,000)
	TopC                   int       // Gaussian selection for statistics (default 10)
	HierGroups, HierExpand int       // optional two-level selection (0: off)
	MinPost                float64

	IVector IVectorTrainConfig // R default 200, Iters 10, MinDiv true
	Backend BackendConfig      // default: LDA 150 (capped), length norm, PLDA

	// DevFraction of the speakers (default 0.2, at least 2 speakers) is held
	// out of back-end training and used for calibration trials.
	DevFraction float64
	// DevEnroll utterances per dev speaker form its voiceprint (default 1);
	// the rest are its test probes.
	DevEnroll int
	// Cohort: one utterance of up to CohortSize back-end training speakers
	// (default 200; 0 disables S-norm) with top-N SNormTopN (default 100).
	CohortSize, SNormTopN int
	Scorers               []string // fused scorers (default [backend])
	PEff                  float64  // calibration prior (default 0.01)

	Seed     uint64
	Workers  int
	Progress func(stage string, took time.Duration) // optional
}

// SystemReport summarises TrainSystem's held-out development trials.
type SystemReport struct {
	TrainSpeakers, DevSpeakers int
	Raw                        metrics.Summary // first scorer, before calibration
	Calibrated                 metrics.Summary // fused LLRs (evaluated on the calibration trials themselves)
}

// TrainSystem trains every model of a bundle from feature frames:
// utts[i] is one utterance (frames of equal dimension) of speaker spk[i].
// UBM on a frame subsample → statistics of every utterance → i-vector
// extractor on all utterances → back end on the non-dev speakers → cohort
// from back-end speakers → calibration (fusion) on trials among the dev
// speakers. Deterministic for a given Seed.
func TrainSystem(utts [][][]float32, spk []int, cfg SystemConfig) (*Bundle, *SystemReport, error) {
	if len(utts) == 0 || len(utts) != len(spk) {
		return nil, nil, errors.New("models: TrainSystem needs one speaker label per utterance")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.UBM.Components, 512)
	def(&cfg.UBMFrames, 500000)
	def(&cfg.TopC, 10)
	def(&cfg.IVector.R, 200)
	def(&cfg.DevEnroll, 1)
	if cfg.DevFraction <= 0 {
		cfg.DevFraction = 0.2
	}
	if cfg.PEff <= 0 {
		cfg.PEff = 0.01
	}
	if cfg.Backend == (BackendConfig{}) {
		cfg.Backend = BackendConfig{LDADim: 150, LengthNorm: true, PLDA: true}
	}
	if cfg.CohortSize == 0 {
		cfg.CohortSize = 200
	}
	def(&cfg.SNormTopN, 100)
	cfg.IVector.Seed, cfg.IVector.Workers = cfg.Seed, cfg.Workers
	cfg.UBM.Workers = cfg.Workers
	stage := func(name string, t0 time.Time) {
		if cfg.Progress != nil {
			cfg.Progress(name, time.Since(t0))
		}
	}

	// Speakers in sorted order; a seeded shuffle picks the DevFraction that are dev.
	speakers := slices.Compact(slices.Sorted(slices.Values(spk)))
	nDev := max(2, int(cfg.DevFraction*float64(len(speakers))+0.5))
	if len(speakers)-nDev < 2 {
		return nil, nil, fmt.Errorf("models: %d speakers are too few (need ≥ 2 for training and 2 for development)", len(speakers))
	}
	perm := shuffledInts(len(speakers), cfg.Seed)
	isDev := map[int]bool{}
	for _, i := range perm[:nDev] {
		isDev[speakers[i]] = true
	}

	t0 := time.Now()
	var pool [][]float32
	for _, u := range utts {
		pool = append(pool, u...)
	}
	ubm, _, err := TrainUBM(SubsampleFrames(pool, cfg.UBMFrames, cfg.Seed), cfg.UBM)
	if err != nil {
		return nil, nil, err
	}
	stage("ubm", t0)
	meta := Metadata{Created: cfg.Created, FrontEnd: cfg.FrontEnd, TopC: cfg.TopC, SNormTopN: cfg.SNormTopN,
		LengthNorm: cfg.Backend.LengthNorm, HierGroups: cfg.HierGroups, HierExpand: cfg.HierExpand,
		MinPost: cfg.MinPost, Scorers: cfg.Scorers}
	if cfg.HierGroups > 0 {
		if err := ubm.BuildHierarchy(cfg.HierGroups); err != nil {
			return nil, nil, err
		}
	}

	t0 = time.Now()
	proto := ubm.NewScratch(cfg.TopC, 0)
	proto.Groups, proto.MinPost = cfg.HierExpand, cfg.MinPost
	stats, err := ubm.utteranceStatsWith(utts, proto, cfg.Workers)
	if err != nil {
		return nil, nil, err
	}
	stage("stats", t0)

	t0 = time.Now()
	ext, err := TrainIVectorExtractor(ubm, stats, cfg.IVector)
	if err != nil {
		return nil, nil, err
	}
	ivs, err := ext.ExtractAll(stats, cfg.Workers)
	if err != nil {
		return nil, nil, err
	}
	stage("ivector", t0)

	t0 = time.Now()
	var trX [][]float64
	var trY []int
	for i, v := range ivs {
		if !isDev[spk[i]] {
			trX, trY = append(trX, v), append(trY, spk[i])
		}
	}
	nTrain := len(speakers) - nDev
	if cfg.Backend.LDADim >= nTrain {
		cfg.Backend.LDADim = nTrain - 1
	}
	if cfg.Backend.LDADim >= cfg.IVector.R {
		cfg.Backend.LDADim = cfg.IVector.R
	}
	be, err := TrainBackend(trX, trY, cfg.Backend)
	if err != nil {
		return nil, nil, err
	}
	var cohort [][]float64
	if cfg.CohortSize > 0 {
		seen := map[int]bool{}
		for i, v := range ivs {
			if !isDev[spk[i]] && !seen[spk[i]] && len(cohort) < cfg.CohortSize {
				seen[spk[i]] = true
				cohort = append(cohort, v)
			}
		}
	}
	stage("backend", t0)

	b := &Bundle{Meta: meta, UBM: ubm, Extractor: ext, IVectorMean: be.Mean, LDA: be.LDA, WCCN: be.WCCN,
		PLDA: be.PLDA, Cohort: cohort}
	v, err := NewVerifier(b)
	if err != nil {
		return nil, nil, err
	}
	// Development trials among dev speakers.
	t0 = time.Now()
	type devSpk struct {
		vp     *Side
		probes []*Side
	}
	var devs []devSpk
	for _, s := range speakers {
		if !isDev[s] {
			continue
		}
		var idx []int
		for i := range utts {
			if spk[i] == s {
				idx = append(idx, i)
			}
		}
		if len(idx) <= cfg.DevEnroll {
			continue
		}
		var d devSpk
		var embs [][]float64
		var est []*Stats
		for _, i := range idx[:cfg.DevEnroll] {
			embs, est = append(embs, be.Embed(ivs[i])), append(est, stats[i])
		}
		if d.vp, err = v.Enroll(embs, est...); err != nil {
			return nil, nil, err
		}
		for _, i := range idx[cfg.DevEnroll:] {
			p, err := v.Probe(be.Embed(ivs[i]), stats[i])
			if err != nil {
				return nil, nil, err
			}
			d.probes = append(d.probes, p)
		}
		devs = append(devs, d)
	}
	var tarRows, nonRows [][]float64
	for i, a := range devs {
		for j, d := range devs {
			for _, p := range d.probes {
				row := v.Scores(a.vp, p)
				if i == j {
					tarRows = append(tarRows, row)
				} else {
					nonRows = append(nonRows, row)
				}
			}
		}
	}
	if len(tarRows) == 0 || len(nonRows) == 0 {
		return nil, nil, errors.New("models: development speakers need more than DevEnroll utterances each")
	}
	cal, err := TrainCalibration(tarRows, nonRows, cfg.PEff)
	if err != nil {
		return nil, nil, err
	}
	b.Calibration = cal
	col := func(rows [][]float64, f func([]float64) float64) []float64 {
		out := make([]float64, len(rows))
		for i, r := range rows {
			out[i] = f(r)
		}
		return out
	}
	first := func(r []float64) float64 { return r[0] }
	fused := func(r []float64) float64 { return cal.Apply(r...) }
	rep := &SystemReport{TrainSpeakers: nTrain, DevSpeakers: len(devs),
		Raw:        metrics.Evaluate(col(tarRows, first), col(nonRows, first)),
		Calibrated: metrics.Evaluate(col(tarRows, fused), col(nonRows, fused))}
	stage("calibration", t0)
	return b, rep, nil
}

// shuffledInts returns a seeded permutation of 0..n−1.
func shuffledInts(n int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
