package models

import (
	"math"
	"testing"
)

func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func TestEdgeCases(t *testing.T) {
	r := newRand(90)
	ubm := randGMM(r, 4, 3, 1)
	e, _ := InitIVectorExtractor(ubm, 3, 1)
	iv := []float64{9, 9, 9}
	if err := e.Extract(ubm.NewStats(), iv, e.NewScratch()); err != nil || iv[0] != 0 || iv[1] != 0 || iv[2] != 0 {
		t.Fatalf("empty statistics give %v, %v", iv, err)
	}
	// More components than distinct frames: the variance floor keeps it finite.
	g, _, err := TrainUBM([][]float32{{1, 2}, {1, 2}, {3, 4}}, UBMConfig{Components: 4, Iters: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !finite(g.Means...) || !finite(g.Vars...) || !finite(g.Weights...) {
		t.Fatal("degenerate UBM training produced non-finite parameters")
	}
	if _, _, err := TrainUBM([][]float32{{1}, {1, 2}}, UBMConfig{Components: 1}); err == nil {
		t.Fatal("ragged frames accepted")
	}
	// Perfectly separable calibration data: finite (if steep) coefficients.
	c, err := TrainCalibration([][]float64{{2}, {3}}, [][]float64{{-1}, {0}}, 0.5)
	if err != nil || !finite(c.Weights[0], c.Bias) || c.Weights[0] <= 0 {
		t.Fatalf("separable calibration: %+v %v", c, err)
	}
	// A NaN frame is ignored by selection, not accumulated.
	s := ubm.NewStats()
	ubm.Accumulate(s, []float32{float32(math.NaN()), 0, 0}, ubm.NewScratch(2, 0))
	if s.Frames() != 0 || !finite(s.F...) {
		t.Fatal("NaN frame accumulated")
	}
	// PLDA and LDA on one-dimensional data.
	x := [][]float64{{0}, {0.1}, {5}, {5.2}, {-3}, {-3.1}}
	lab := []int{0, 0, 1, 1, 2, 2}
	p, err := TrainPLDA(x, lab, 3)
	if err != nil || !finite(p.Score([][]float64{{0}}, []float64{0.05})) {
		t.Fatalf("1-D PLDA: %v", err)
	}
	if p.Score([][]float64{{0}}, []float64{0.05}) <= p.Score([][]float64{{0}}, []float64{5}) {
		t.Fatal("1-D PLDA prefers the wrong speaker")
	}
}
