package models

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// TestIVectorVarianceUpdate trains an extractor on frames whose first dimension varies half as
// much as the UBM says (its standard deviation ×0.5) and checks that the re-estimated residual
// variances find it: the extractor whitens that dimension about twice as strongly as the
// others, and an extractor trained without second-order statistics keeps the UBM's whitening.
func TestIVectorVarianceUpdate(t *testing.T) {
	exactExtraction(t)
	const C, D = 8, 4
	w := newSpeakerWorld(41, C, D, 2, 20, 0.3, 0.05)
	for i := range w.ubm.Means { // components far apart: each frame's posterior on its own
		w.ubm.Means[i] *= 4
	}
	if err := w.ubm.Precompute(); err != nil {
		t.Fatal(err)
	}
	truth := *w.ubm
	truth.Vars = append([]float64(nil), w.ubm.Vars...)
	for c := range C {
		truth.Vars[c*D] *= 0.25
	}
	var stats []*Stats
	second := make([]float64, C*D)
	sc := w.ubm.NewScratch(4, 0)
	for s := range w.speakers {
		for range 4 {
			off := append([]float64(nil), w.speakers[s]...)
			for k := range w.u {
				axpy(w.r.NormFloat64(), w.u[k], off)
			}
			st := w.ubm.NewStats()
			for _, x := range sampleGMM(w.r, &truth, off, 300) {
				w.ubm.AccumulateSecond(st, second, x, sc)
			}
			stats = append(stats, st)
		}
	}
	plain, err := TrainIVectorExtractor(w.ubm, stats, IVectorTrainConfig{R: 2, Iters: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if plain.VarianceScale() != nil {
		t.Fatal("an extractor trained without second-order statistics has a variance scale")
	}
	e, err := TrainIVectorExtractor(w.ubm, stats, IVectorTrainConfig{R: 2, Iters: 5, Seed: 3, Second: second})
	if err != nil {
		t.Fatal(err)
	}
	k := e.VarianceScale()
	if len(k) != C*D {
		t.Fatalf("variance scale has %d values, want %d", len(k), C*D)
	}
	for c := range C {
		first, rest := k[c*D], 0.0
		for d := 1; d < D; d++ {
			rest += k[c*D+d] / (D - 1)
		}
		if r := first / rest; math.Abs(r-2) > 0.3 {
			t.Errorf("component %d: dimension 0 whitened %.2f times as strongly as the others, want ~2 (scales %.3f)", c, r, k[c*D:(c+1)*D])
		}
		for d := 1; d < D; d++ {
			if v := k[c*D+d]; v < 0.9 || v > 1.4 {
				t.Errorf("component %d, dimension %d: scale %.3f, want ~1 (the UBM's variance, less what T explains)", c, d, v)
			}
		}
	}
	for i, v := range e.invStd {
		if want := w.ubm.invStd[i] * k[i]; math.Abs(v-want) > 1e-12*want {
			t.Fatalf("whitening [%d] = %v, want the UBM's times the scale, %v", i, v, want)
		}
	}
}

// TestBundleExtractorVariances checks that an extractor's own variances survive the bundle
// (version 4) and that the read extractor gives the same i-vectors, and that a bundle with the
// section but no extractor is refused.
func TestBundleExtractorVariances(t *testing.T) {
	b := fullBundle(t)
	e := b.Extractor
	k := make([]float64, e.C*e.D)
	for i := range k {
		k[i] = 0.75 + 0.5*float64(i%3)
	}
	if err := e.SetVarianceScale(k); err != nil {
		t.Fatal(err)
	}
	if err := e.SetVarianceScale(k[:3]); err == nil {
		t.Fatal("a variance scale of the wrong length was accepted")
	}
	blob := encode(t, b)
	if v := binary.LittleEndian.Uint32(blob[4:]); v != 4 {
		t.Fatalf("bundle with extractor variances written as version %d, want 4", v)
	}
	got, err := ReadBundle(bytes.NewReader(blob), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !closeSlices(got.Extractor.VarianceScale(), k) {
		t.Fatal("variance scale changed across the round trip")
	}
	s := statsOf(b.UBM, sampleGMM(newRand(2), b.UBM, nil, 50), 2)
	a, c := make([]float64, e.R), make([]float64, e.R)
	if err := e.Extract(s, a, e.NewScratch()); err != nil {
		t.Fatal(err)
	}
	if err := got.Extractor.Extract(s, c, got.Extractor.NewScratch()); err != nil {
		t.Fatal(err)
	}
	if !closeSlices(a, c) {
		t.Fatalf("i-vectors differ after the round trip: %v vs %v", a, c)
	}
	// Restoring the UBM's whitening gives a version-1 bundle again, and different i-vectors.
	if err := e.SetVarianceScale(nil); err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(encode(t, b)[4:]); v == 4 {
		t.Fatal("bundle without extractor variances written as version 4")
	}
	if err := e.Extract(s, c, e.NewScratch()); err != nil {
		t.Fatal(err)
	}
	if closeSlices(a, c) {
		t.Fatal("the variance scale did not change the i-vector")
	}
}
