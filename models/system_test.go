package models

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestTrainSystem(t *testing.T) {
	w := newSpeakerWorld(100, 16, 8, 5, 40, 0.15, 0.1)
	var utts [][][]float32
	var spk []int
	for s := range w.speakers {
		for k := 0; k < 4; k++ {
			utts = append(utts, w.utterance(s, 250))
			spk = append(spk, 1000+s)
		}
	}
	var stages []string
	cfg := SystemConfig{
		FrontEnd:    json.RawMessage(`{"test":true}`),
		UBM:         UBMConfig{Components: 16, Iters: 5},
		TopC:        5,
		IVector:     IVectorTrainConfig{R: 8, Iters: 5, MinDiv: true},
		Backend:     BackendConfig{LDADim: 6, LengthNorm: true, PLDA: true},
		DevFraction: 0.25, CohortSize: 10, SNormTopN: 5,
		Scorers: []string{ScorerBackend, ScorerGMMUBM},
		PEff:    0.5, Seed: 3, Workers: 1,
		Progress: func(stage string, _ time.Duration) { stages = append(stages, stage) },
	}
	b, rep, err := TrainSystem(utts, spk, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stages %v; %d train / %d dev speakers; raw EER %.4f; calibrated EER %.4f Cllr %.3f minCllr %.3f; fusion %v %.3f",
		stages, rep.TrainSpeakers, rep.DevSpeakers, rep.Raw.EER, rep.Calibrated.EER, rep.Calibrated.Cllr,
		rep.Calibrated.MinCllr, b.Calibration.Weights, b.Calibration.Bias)
	if rep.DevSpeakers != 10 || rep.TrainSpeakers != 30 || len(stages) != 5 {
		t.Fatalf("report %+v stages %v", rep, stages)
	}
	if rep.Calibrated.EER > 0.1 || rep.Calibrated.Cllr > 0.6 {
		t.Fatalf("poor development performance: %+v", rep.Calibrated)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadBundle(&buf, cfg.FrontEnd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewVerifier(back); err != nil {
		t.Fatal(err)
	}
	// Deterministic for a seed, whatever the number of workers.
	cfg.Workers, cfg.Progress = 3, nil
	b2, _, err := TrainSystem(utts, spk, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if b2.Calibration.Bias != b.Calibration.Bias || b2.Calibration.Weights[1] != b.Calibration.Weights[1] {
		t.Fatalf("TrainSystem depends on workers: %+v vs %+v", b2.Calibration, b.Calibration)
	}
	if _, _, err := TrainSystem(utts[:8], spk[:8], cfg); err == nil {
		t.Fatal("two speakers accepted")
	}
}
