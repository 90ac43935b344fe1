package dsp

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestLogSpectrogramReference compares LogSpectrogram with numpy's output for the same signal
// (testdata/logspec_ref.py): the frames kept and every bin's log power.
func TestLogSpectrogramReference(t *testing.T) {
	b, err := os.ReadFile("testdata/logspec_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Samples []float32 `json:"samples"`
		T       int       `json:"t"`
		Rows    []float64 `json:"rows"`
		Dropped int       `json:"dropped"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for _, avx := range []bool{true, false} {
		if !avx {
			old := useFFTAVX2
			useFFTAVX2 = false
			defer func() { useFFTAVX2 = old }()
		}
		rows, T, err := LogSpectrogram(ref.Samples, TelephoneSpec(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if T != ref.T || ref.Dropped == 0 {
			t.Fatalf("avx %v: %d frames kept, numpy %d (of %d)", avx, T, ref.T, ref.T+ref.Dropped)
		}
		worst := 0.0
		for i, v := range ref.Rows {
			// The bins nearest the floor are the least precise in either implementation.
			d := math.Abs(float64(rows[i])-v) / (1 + math.Max(0, -v-15))
			worst = math.Max(worst, d)
		}
		if worst > 1e-4 {
			t.Errorf("avx %v: log power off numpy's by up to %.3g", avx, worst)
		}
	}
}

func TestLogSpectrogramEdges(t *testing.T) {
	c := TelephoneSpec()
	if _, T, err := LogSpectrogram(make([]float32, 255), c, nil); err != nil || T != 0 {
		t.Errorf("under one frame: T %d, err %v", T, err)
	}
	// Digital silence: every frame at the floor, all equally loud, all kept.
	if _, T, err := LogSpectrogram(make([]float32, 256+80*9), c, nil); err != nil || T != 10 {
		t.Errorf("silence: T %d, err %v", T, err)
	}
	for _, bad := range []func(*SpecConfig){
		func(c *SpecConfig) { c.FrameLength = 200 },
		func(c *SpecConfig) { c.Bins = 130 },
		func(c *SpecConfig) { c.FrameShift = 0 },
		func(c *SpecConfig) { c.FloorDB = 0 },
	} {
		c := TelephoneSpec()
		bad(&c)
		if _, _, err := LogSpectrogram(make([]float32, 1000), c, nil); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
