package models

import (
	"math"
	"testing"
)

// TestCalibrationInputLayouts checks the calibration inputs of each layout against values
// worked by hand from the raw scores: q = ln(min net speech / 1 s), h = max(0, q − ln knot), q
// clamped to the recorded maximum.
func TestCalibrationInputLayouts(t *testing.T) {
	base, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	v0, err := NewVerifier(base)
	if err != nil {
		t.Fatal(err)
	}
	w := newSpeakerWorld(3, base.UBM.C, base.UBM.D, 2, 2, 0.5, 0.1)
	sc := base.UBM.NewScratch(base.Meta.TopC, base.Meta.SelectDims)
	probe := func(s, frames int) *Probe {
		st := NewStats(base.UBM.C, base.UBM.D)
		base.UBM.AccumulateUtterance(st, sampleGMM(w.r, base.UBM, w.speakers[s], 400), sc)
		p, err := v0.Prepare(st, v0.NewScratch())
		if err != nil {
			t.Fatal(err)
		}
		p.Frames = float64(frames) // the layouts depend on the net speech alone
		return p
	}
	e, x := probe(0, 3000), probe(1, 1600) // 30 s and 16 s: q = ln 16
	e.Channel, x.Channel = 0.25, 0.75      // the worse side's: p = 0.75
	const p = 0.75
	raw := v0.RawScores(nil, e, x)
	k := len(raw)
	q16, h16 := math.Log(16), math.Log(2)
	q10, h10 := math.Log(10), math.Log(10.0/8)
	r30 := math.Log(30) // the enrollment's 30 s
	cat := func(parts ...[]float64) []float64 {
		var out []float64
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	times := func(f float64) []float64 {
		out := make([]float64, k)
		for i, s := range raw {
			out[i] = s * f
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		extra map[string]string
		want  []float64
	}{
		{"scores only", map[string]string{}, raw},
		{"duration", map[string]string{"calibration": CalibrationDuration}, cat(raw, times(q16), []float64{q16})},
		{"duration, clamped", map[string]string{"calibration": CalibrationDuration, CalibrationQMaxKey: "2.302585092994046"},
			cat(raw, times(q10), []float64{q10})},
		{"hinge", map[string]string{"calibration": CalibrationDurationHinge, CalibrationKnotKey: "8"},
			cat(raw, times(q16), times(h16), times(q16*h16), []float64{q16 * h16, h16, q16})},
		{"hinge below the knot", map[string]string{"calibration": CalibrationDurationHinge, CalibrationKnotKey: "20"},
			cat(raw, times(q16), times(0), times(0), []float64{0, 0, q16})},
		{"hinge, clamped", map[string]string{"calibration": CalibrationDurationHinge, CalibrationKnotKey: "8", CalibrationQMaxKey: "2.302585092994046"},
			cat(raw, times(q10), times(h10), times(q10*h10), []float64{q10 * h10, h10, q10})},
		{"hinge with channel", map[string]string{"calibration": CalibrationDurationHingeChannel, CalibrationKnotKey: "8"},
			cat(raw, times(q16), times(h16), times(q16*h16), []float64{q16 * h16, h16},
				times(p), times(p*h16), []float64{p, p * h16, q16})},
		{"hinge with channel and enrollment", map[string]string{"calibration": CalibrationDurationHingeChannelEnroll, CalibrationKnotKey: "8"},
			cat(raw, times(q16), times(h16), times(q16*h16), []float64{q16 * h16, h16},
				times(p), times(p*h16), []float64{p, p * h16},
				times(r30), times(r30*h16), []float64{r30, r30 * h16, q16})},
		{"enrollment, clamped", map[string]string{"calibration": CalibrationDurationHingeChannelEnroll, CalibrationKnotKey: "8", CalibrationRMaxKey: "2.302585092994046"},
			cat(raw, times(q16), times(h16), times(q16*h16), []float64{q16 * h16, h16},
				times(p), times(p*h16), []float64{p, p * h16},
				times(q10), times(q10*h16), []float64{q10, q10 * h16, q16})},
	} {
		b := *base
		b.Channel = &ChannelDetector{Linear: &LinearScorer{Mean: make([]float64, base.Extractor.R),
			Scale: ones(base.Extractor.R), W: make([]float64, base.Extractor.R)}}
		b.Meta.Extra = tc.extra
		b.Calibration = &Calibration{Weights: make([]float64, len(tc.want))}
		v, err := NewVerifier(&b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := v.CalibrationInputs(nil, e, x)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d inputs, want %d", tc.name, len(got), len(tc.want))
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-9*max(1, math.Abs(tc.want[i])) {
				t.Errorf("%s: input %d = %g, want %g", tc.name, i, got[i], tc.want[i])
			}
		}
	}
	// A hinged layout without its knot, or a malformed maximum, is refused.
	for _, extra := range []map[string]string{
		{"calibration": CalibrationDurationHinge},
		{"calibration": CalibrationDurationHinge, CalibrationKnotKey: "-1"},
		{"calibration": CalibrationDuration, CalibrationQMaxKey: "x"},
		{"calibration": CalibrationDurationHingeChannel, CalibrationKnotKey: "8"}, // no detector
		{"calibration": CalibrationDurationHingeChannelEnroll, CalibrationKnotKey: "8"},
		{"calibration": CalibrationDurationHingeChannelEnroll, CalibrationKnotKey: "8", CalibrationRMaxKey: "x"},
	} {
		b := *base
		b.Meta.Extra = extra
		b.Channel = nil
		b.Calibration = &Calibration{Weights: make([]float64, CalibrationWidth(&b))}
		if _, err := NewVerifier(&b); err == nil {
			t.Errorf("%v accepted", extra)
		}
	}
}

func ones(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 1
	}
	return out
}
