package models

import (
	"testing"
)

// TestSyntheticPipeline runs the whole chain on a synthetic population whose
// speakers are offsets in a low-rank subspace of the UBM supervector space:
// stats → i-vector → LDA → length norm → PLDA (and cosine), with held-out
// speakers, multi-session enrollment and calibration to LLRs.
func TestSyntheticPipeline(t *testing.T) {
	const C, D, rank, R = 32, 8, 6, 12
	w := newSpeakerWorld(40, C, D, rank, 90, 0.1, 0.1)
	// Train the UBM on pooled frames rather than using the generating model.
	var pool [][]float32
	for s := 0; s < 60; s++ {
		pool = append(pool, w.utterance(s, 150)...)
	}
	ubm, _, err := TrainUBM(pool, UBMConfig{Components: C, Iters: 8})
	if err != nil {
		t.Fatal(err)
	}
	stats := func(s, frames int) *Stats { return statsOf(ubm, w.utterance(s, frames), 10) }
	var train []*Stats
	var trainLab []int
	for s := 0; s < 60; s++ {
		for k := 0; k < 5; k++ {
			train = append(train, stats(s, 300))
			trainLab = append(trainLab, s)
		}
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
	lda, err := TrainLDA(trainIV, trainLab, 8)
	if err != nil {
		t.Fatal(err)
	}
	post := func(v []float64) []float64 { return LengthNorm(lda.Apply(nil, v)) }
	var trainPost [][]float64
	for _, v := range trainIV {
		trainPost = append(trainPost, post(v))
	}
	plda, err := TrainPLDA(trainPost, trainLab, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Held-out speakers 60..89: 3 enrollment sessions (stats summed and as separate vectors), 2 tests.
	type model struct{ sessions [][]float64 }
	var models []model
	var tests [][][]float64
	for s := 60; s < 90; s++ {
		var m model
		for k := 0; k < 3; k++ {
			m.sessions = append(m.sessions, post(iv(stats(s, 300))))
		}
		models = append(models, m)
		tests = append(tests, [][]float64{post(iv(stats(s, 300))), post(iv(stats(s, 300)))})
	}
	var pt, pn, ct, cn [][]float64
	for i, m := range models {
		for j, ts := range tests {
			for _, tv := range ts {
				row := []float64{plda.Score(m.sessions, tv)}
				crow := []float64{CosineMulti(m.sessions, tv)}
				if i == j {
					pt, ct = append(pt, row), append(ct, crow)
				} else {
					pn, cn = append(pn, row), append(cn, crow)
				}
			}
		}
	}
	col := func(rows [][]float64) []float64 {
		out := make([]float64, len(rows))
		for i, r := range rows {
			out[i] = r[0]
		}
		return out
	}
	pe, ce := simpleEER(col(pt), col(pn)), simpleEER(col(ct), col(cn))
	t.Logf("synthetic held-out EER: PLDA %.4f, cosine %.4f (%d target, %d non-target trials)", pe, ce, len(pt), len(pn))
	if pe > 0.05 || ce > 0.08 {
		t.Fatalf("EER too high: PLDA %.3f cosine %.3f", pe, ce)
	}
	// Fuse PLDA and cosine into a calibrated LLR.
	fuse := func(a, b [][]float64) [][]float64 {
		out := make([][]float64, len(a))
		for i := range a {
			out[i] = []float64{a[i][0], b[i][0]}
		}
		return out
	}
	cal, err := TrainCalibration(fuse(pt, ct), fuse(pn, cn), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if err := cal.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Logf("fusion weights %.3f bias %.3f", cal.Weights, cal.Bias)
}
