package models

import (
	"slices"
	"testing"
)

// The default E-step prunes posteriors below e^-30; EM must still not go down.
func TestTrainUBMMonotoneWithPruning(t *testing.T) {
	r := newRand(9)
	truth := randGMM(r, 16, 6, 2)
	_, hist, err := TrainUBM(sampleGMM(r, truth, nil, 5000), UBMConfig{Components: 16, Iters: 20})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i] < hist[i-1]-1e-9 {
			t.Fatalf("EM log-likelihood decreased at iteration %d: %v -> %v", i, hist[i-1], hist[i])
		}
	}
}

func TestTrainUBMMonotoneAndRecoversModel(t *testing.T) {
	r := newRand(5)
	truth := randGMM(r, 8, 4, 3)
	frames := sampleGMM(r, truth, nil, 6000)
	g, hist, err := TrainUBM(frames, UBMConfig{Components: 8, Iters: 40, Prune: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i] < hist[i-1]-1e-9 {
			t.Fatalf("EM log-likelihood decreased at iteration %d: %v -> %v", i, hist[i-1], hist[i])
		}
	}
	trueLL, gotLL := 0.0, 0.0
	for _, x := range frames {
		trueLL += truth.LogLikelihood(x)
		gotLL += g.LogLikelihood(x)
	}
	trueLL /= float64(len(frames))
	gotLL /= float64(len(frames))
	t.Logf("avg log-lik: true %.4f trained %.4f; history %.4f", trueLL, gotLL, hist)
	// EM from binary splitting finds a local optimum near (it may exceed) the generating model.
	if gotLL < trueLL-0.1 {
		t.Fatalf("trained model %.4f much worse than truth %.4f", gotLL, trueLL)
	}
}

func TestTrainUBMDeterministicAcrossWorkers(t *testing.T) {
	r := newRand(6)
	truth := randGMM(r, 6, 5, 2)
	frames := sampleGMM(r, truth, nil, 3000)
	g1, _, err := TrainUBM(frames, UBMConfig{Components: 5, Iters: 4, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	g2, _, _ := TrainUBM(frames, UBMConfig{Components: 5, Iters: 4, Workers: 3})
	if !slices.Equal(g1.Means, g2.Means) || !slices.Equal(g1.Vars, g2.Vars) || !slices.Equal(g1.Weights, g2.Weights) {
		t.Fatal("training depends on the number of workers")
	}
	if g1.C != 5 {
		t.Fatalf("C = %d", g1.C)
	}
}

func TestTrainUBMVarianceFloor(t *testing.T) {
	// Many identical frames would drive a variance to zero without the floor.
	frames := make([][]float32, 0, 400)
	for i := 0; i < 200; i++ {
		frames = append(frames, []float32{1, 1})
		frames = append(frames, []float32{float32(i % 10), float32(i % 7)})
	}
	g, _, err := TrainUBM(frames, UBMConfig{Components: 4, Iters: 10, VarFloor: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range g.Vars {
		if v <= 0 {
			t.Fatalf("variance %v", v)
		}
	}
}

func TestSubsampleFrames(t *testing.T) {
	frames := make([][]float32, 100)
	for i := range frames {
		frames[i] = []float32{float32(i)}
	}
	a, b := SubsampleFrames(frames, 10, 7), SubsampleFrames(frames, 10, 7)
	if len(a) != 10 {
		t.Fatal(len(a))
	}
	for i := range a {
		if a[i][0] != b[i][0] || (i > 0 && a[i][0] <= a[i-1][0]) {
			t.Fatal("not deterministic or not ordered")
		}
	}
}
