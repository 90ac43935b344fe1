package models_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/voxguard/voxguard/models"
)

// speakerFrames draws n 4-dimensional frames for a speaker whose voice is a
// shift of the background distribution (a toy stand-in for MFCCs).
func speakerFrames(r *rand.Rand, shift []float32, n int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		mode := float32(r.IntN(3)*4 - 4)
		out[i] = []float32{mode + shift[0] + float32(r.NormFloat64()), shift[1] + float32(r.NormFloat64()),
			-mode + shift[2] + float32(r.NormFloat64()), shift[3] + float32(r.NormFloat64())}
	}
	return out
}

// Example shows the whole training and scoring flow: UBM, statistics,
// i-vector extractor, back end, bundle, Verifier.
func Example() {
	r := rand.New(rand.NewPCG(1, 2))
	var shifts [][]float32
	for s := 0; s < 40; s++ {
		shifts = append(shifts, []float32{float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())})
	}
	// Training data: 30 speakers × 4 utterances.
	var utts [][][]float32
	var labels []int
	var pool [][]float32
	for s := 0; s < 30; s++ {
		for k := 0; k < 4; k++ {
			u := speakerFrames(r, shifts[s], 200)
			utts, labels, pool = append(utts, u), append(labels, s), append(pool, u...)
		}
	}
	ubm, _, _ := models.TrainUBM(models.SubsampleFrames(pool, 10000, 7), models.UBMConfig{Components: 8})
	stats, _ := ubm.UtteranceStats(utts, 4, 0, 0)
	ext, _ := models.TrainIVectorExtractor(ubm, stats, models.IVectorTrainConfig{R: 6, Iters: 5, MinDiv: true})
	ivs, _ := ext.ExtractAll(stats, 0)
	be, _ := models.TrainBackend(ivs, labels, models.BackendConfig{LDADim: 4, LengthNorm: true, PLDA: true})

	// Ship it as a bundle, load it back as a Verifier.
	fe := json.RawMessage(`{"num_ceps":4}`)
	var buf bytes.Buffer
	(&models.Bundle{Meta: models.Metadata{FrontEnd: fe, TopC: 4, LengthNorm: true}, UBM: ubm, Extractor: ext,
		IVectorMean: be.Mean, LDA: be.LDA, PLDA: be.PLDA}).WriteTo(&buf)
	bd, err := models.ReadBundle(&buf, fe)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := models.NewVerifier(bd)

	// Enroll held-out speaker 35 from two sessions; test it and speaker 36.
	embed := func(spk int) []float64 {
		s := v.UBM.NewStats()
		v.UBM.AccumulateUtterance(s, speakerFrames(r, shifts[spk], 300), v.NewScratch())
		e, _ := v.Embed(s, v.Extractor.NewScratch())
		return e
	}
	vp, _ := v.Enroll([][]float64{embed(35), embed(35)})
	same, _ := v.Probe(embed(35), nil)
	other, _ := v.Probe(embed(36), nil)
	fmt.Println("target scores above non-target:", v.Score(vp, same) > v.Score(vp, other))
	// Output: target scores above non-target: true
}
