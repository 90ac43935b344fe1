package models

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/voxguard/voxguard/models/metrics"
)

// TestSyntheticPipeline runs the whole chain on a synthetic population whose
// speakers are offsets in a low-rank subspace of the UBM supervector space:
// UBM training → stats → i-vector extractor training → LDA/WCCN/length
// norm/PLDA (and cosine) → adaptive S-norm → calibration → bundle round trip,
// with held-out speakers and multi-session enrollment.
func TestSyntheticPipeline(t *testing.T) {
	const C, D, rank, R = 32, 8, 6, 12
	w := newSpeakerWorld(40, C, D, rank, 100, 0.1, 0.1)
	var pool [][]float32
	for s := 0; s < 60; s++ {
		pool = append(pool, w.utterance(s, 150)...)
	}
	ubm, _, err := TrainUBM(pool, UBMConfig{Components: C, Iters: 8})
	if err != nil {
		t.Fatal(err)
	}
	var trainUtts [][][]float32
	var trainLab []int
	for s := 0; s < 60; s++ {
		for k := 0; k < 5; k++ {
			trainUtts = append(trainUtts, w.utterance(s, 300))
			trainLab = append(trainLab, s)
		}
	}
	train, err := ubm.UtteranceStats(trainUtts, 10, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := TrainIVectorExtractor(ubm, train, IVectorTrainConfig{R: R, Iters: 8, MinDiv: true, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	ws := ext.NewScratch()
	iv := func(st *Stats) []float64 {
		v := make([]float64, R)
		if err := ext.Extract(st, v, ws); err != nil {
			t.Fatal(err)
		}
		return v
	}
	var trainIV [][]float64
	for _, st := range train {
		trainIV = append(trainIV, iv(st))
	}
	pldaBE, err := TrainBackend(trainIV, trainLab, BackendConfig{LDADim: 8, WCCN: true, LengthNorm: true, PLDA: true})
	if err != nil {
		t.Fatal(err)
	}
	cosBE, err := TrainBackend(trainIV, trainLab, BackendConfig{LDADim: 8, LengthNorm: true})
	if err != nil {
		t.Fatal(err)
	}
	// Cohort: one utterance from each of 20 further speakers (60..79).
	var cohortIV [][]float64
	for s := 60; s < 80; s++ {
		cohortIV = append(cohortIV, iv(statsOf(ubm, w.utterance(s, 300), 10)))
	}
	// Held-out speakers 80..99: 3 enrollment sessions, 2 tests.
	type spk struct {
		enrollIV [][]float64
		testIV   [][]float64
	}
	var spks []spk
	for s := 80; s < 100; s++ {
		var p spk
		for k := 0; k < 3; k++ {
			p.enrollIV = append(p.enrollIV, iv(statsOf(ubm, w.utterance(s, 300), 10)))
		}
		for k := 0; k < 2; k++ {
			p.testIV = append(p.testIV, iv(statsOf(ubm, w.utterance(s, 300), 10)))
		}
		spks = append(spks, p)
	}
	type trial struct {
		scores []float64 // PLDA, cosine, S-normed PLDA
		target bool
	}
	run := func(be *Backend, cohortRaw [][]float64, topN int) (raw, norm func(i, j, k int) float64) {
		cohort := mapAll(cohortRaw, be.Embed)
		enroll := make([][][]float64, len(spks))
		tests := make([][][]float64, len(spks))
		em := make([]CohortMoments, len(spks))
		tm := make([][]CohortMoments, len(spks))
		for i, p := range spks {
			enroll[i] = mapAll(p.enrollIV, be.Embed)
			tests[i] = mapAll(p.testIV, be.Embed)
			cs := make([]float64, len(cohort))
			for c, cv := range cohort {
				cs[c] = be.Score(enroll[i], cv) // enrollment side: all sessions, as in Verifier.Enroll
			}
			em[i] = TopNMoments(cs, topN)
			for _, tv := range tests[i] {
				tm[i] = append(tm[i], be.Cohort(tv, cohort, topN, nil))
			}
		}
		raw = func(i, j, k int) float64 { return be.Score(enroll[i], tests[j][k]) }
		norm = func(i, j, k int) float64 { return ASNorm(raw(i, j, k), em[i], tm[j][k]) }
		return raw, norm
	}
	pRaw, pNorm := run(pldaBE, cohortIV, 10)
	cRaw, _ := run(cosBE, cohortIV, 10)
	var trials []trial
	for i := range spks {
		for j := range spks {
			for k := 0; k < 2; k++ {
				trials = append(trials, trial{[]float64{pRaw(i, j, k), cRaw(i, j, k), pNorm(i, j, k)}, i == j})
			}
		}
	}
	split := func(col int) (tar, non []float64) {
		for _, tr := range trials {
			if tr.target {
				tar = append(tar, tr.scores[col])
			} else {
				non = append(non, tr.scores[col])
			}
		}
		return
	}
	for col, name := range []string{"PLDA", "cosine", "PLDA+S-norm"} {
		tar, non := split(col)
		s := metrics.Evaluate(tar, non)
		t.Logf("%-12s EER %.4f minDCF(0.01) %.3f minCllr %.3f (%d/%d trials)", name, s.EER, s.MinDCF01, s.MinCllr, s.Targets, s.NonTargets)
		if s.EER > 0.08 {
			t.Errorf("%s EER %.3f too high", name, s.EER)
		}
	}
	// Calibrate S-normed PLDA on even trials, evaluate on odd ones: calibrated
	// LLRs must have Cllr well below 1 and close to minCllr.
	var calT, calN, evT, evN [][]float64
	for i, tr := range trials {
		row := []float64{tr.scores[2]}
		switch {
		case i%2 == 0 && tr.target:
			calT = append(calT, row)
		case i%2 == 0:
			calN = append(calN, row)
		case tr.target:
			evT = append(evT, row)
		default:
			evN = append(evN, row)
		}
	}
	cal, err := TrainCalibration(calT, calN, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	llr := func(rows [][]float64) []float64 {
		out := make([]float64, len(rows))
		for i, r := range rows {
			out[i] = cal.Apply(r...)
		}
		return out
	}
	s := metrics.Evaluate(llr(evT), llr(evN))
	t.Logf("calibrated held-out: Cllr %.3f minCllr %.3f actDCF(0.01) %.3f", s.Cllr, s.MinCllr, s.ActDCF01)
	if s.Cllr > 0.5 || s.Cllr-s.MinCllr > 0.2 {
		t.Errorf("poor calibration: Cllr %.3f minCllr %.3f", s.Cllr, s.MinCllr)
	}

	// Bundle round trip reproduces the scores to float32 precision.
	fe := json.RawMessage(`{"mfcc":{"num_ceps":20}}`)
	bd := &Bundle{Meta: Metadata{FrontEnd: fe, TopC: 10, LengthNorm: true}, UBM: ubm, Extractor: ext,
		IVectorMean: pldaBE.Mean, LDA: pldaBE.LDA, WCCN: pldaBE.WCCN, PLDA: pldaBE.PLDA, Calibration: cal, Cohort: cohortIV}
	var buf bytes.Buffer
	if _, err := bd.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadBundle(&buf, fe)
	if err != nil {
		t.Fatal(err)
	}
	st := statsOf(back.UBM, w.utterance(85, 300), back.Meta.TopC)
	v1, v2 := make([]float64, R), make([]float64, R)
	_ = ext.Extract(st, v1, ws)
	_ = back.Extractor.Extract(st, v2, back.Extractor.NewScratch())
	e1, e2 := pldaBE.Embed(v1), back.Backend().Embed(v2)
	s1 := pldaBE.Score(spks[5].enrollIV[:0:0], e1) // zero enrollments → 0
	if s1 != 0 {
		t.Fatal("empty enrollment must score 0")
	}
	enr := mapAll(spks[5].enrollIV, pldaBE.Embed)
	a, b := pldaBE.Score(enr, e1), back.Backend().Score(enr, e2)
	if math.Abs(a-b) > 1e-3*math.Max(1, math.Abs(a)) {
		t.Fatalf("score changed across bundle round trip: %v vs %v", a, b)
	}
}
