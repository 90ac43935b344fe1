package models

import (
	"bytes"
	"testing"
)

func TestBundleAltBackendRoundTrip(t *testing.T) {
	b := fullBundle(t)
	d := b.PLDA.Dim
	c0, c1 := make([]float64, d), make([]float64, d)
	for i := range d {
		c0[i], c1[i] = float64(i), float64(d-i)
	}
	lda := &Affine{In: d, Out: d, Mean: make([]float64, d), M: make([]float64, d*d)}
	for i := range d {
		lda.M[i*d+i] = 1
	}
	b.Alt = &AltBackend{LDA: lda, PLDA: b.PLDA, Cohort: [][]float64{c0, c1}}
	got, err := ReadBundle(bytes.NewReader(encode(t, b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := got.Alt
	if a == nil || a.LDA == nil || a.PLDA == nil || len(a.Cohort) != 2 {
		t.Fatalf("alternative back end lost: %+v", a)
	}
	if !closeSlices(a.LDA.M, lda.M) || !closeSlices(a.PLDA.Psi, b.PLDA.Psi) || !closeSlices(a.Cohort[1], c1) {
		t.Fatal("alternative back end differs after the round trip")
	}
	// An alternative back end without its PLDA is refused on write.
	b.Alt = &AltBackend{LDA: lda}
	if _, err := b.WriteTo(&bytes.Buffer{}); err == nil {
		t.Fatal("incomplete alternative back end written")
	}
	// A cohort of the wrong dimension is refused on write.
	b.Alt = &AltBackend{LDA: lda, PLDA: b.PLDA, Cohort: [][]float64{make([]float64, d+1)}}
	if _, err := b.WriteTo(&bytes.Buffer{}); err == nil {
		t.Fatal("alternative cohort of the wrong dimension written")
	}
}

// TestSecondAltBackend checks the third PLDA back end (Bundle.Alt2) on the default bundle's
// models: it survives a round trip in its own sections; it adds one raw score, after the
// alternative back end's, which with the alternative back end's components equals that one's
// score times the channel gate p exactly; the other scores do not move; it is refused without the first alternative
// back end and with enrollment augmentation.
func TestSecondAltBackend(t *testing.T) {
	base, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	if base.Alt == nil || base.GMM == nil {
		t.Skip("the default bundle lacks the alternative back end or the GMM scorer")
	}
	base = withoutAlt2(base)
	b := *base
	b.Alt2 = &AltBackend{LDA: base.Alt.LDA, PLDA: base.Alt.PLDA, Cohort: base.Alt.Cohort}
	b.Calibration = &Calibration{Weights: make([]float64, CalibrationWidth(&b)), PEff: 0.5}
	if got, want := b.Scorers(), base.Scorers()+1; got != want {
		t.Fatalf("Scorers() = %d, want %d", got, want)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	rt, err := ReadBundle(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rt.Alt2 == nil || len(rt.Alt2.Cohort) != len(base.Alt.Cohort) || !closeSlices(rt.Alt2.PLDA.Psi, rt.Alt.PLDA.Psi) {
		t.Fatal("second alternative back end lost in the round trip")
	}
	plainV, err := NewVerifier(base)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(rt)
	if err != nil {
		t.Fatal(err)
	}
	r := newRand(9)
	stats := func(n int) *Stats {
		s := NewStats(base.UBM.C, base.UBM.D)
		base.UBM.AccumulateUtterance(s, sampleGMM(r, base.UBM, nil, n), base.NewStatsScratch())
		return s
	}
	enroll, test := stats(800), stats(400)
	pe, _ := plainV.Prepare(enroll, plainV.NewScratch())
	pt, _ := plainV.Prepare(test, plainV.NewScratch())
	want := plainV.RawScores(nil, pe, pt)
	ve, _ := v.Prepare(enroll, v.NewScratch())
	vt, _ := v.Prepare(test, v.NewScratch())
	got := v.RawScores(nil, ve, vt)
	if len(got) != len(want)+1 {
		t.Fatalf("%d raw scores, want %d", len(got), len(want)+1)
	}
	// PLDA, Alt, Alt2 (= Alt here, gated by the channel probability p), GMM.
	p := max(ve.Channel, vt.Channel)
	if !(p > 0 && p < 1) {
		t.Fatalf("channel probability %g: the gate is not exercised", p)
	}
	if got[0] != want[0] || got[1] != want[1] || got[2] != p*want[1] || got[3] != want[2] {
		t.Fatalf("raw scores %v, want %v with the alternative score times %g third", got, want, p)
	}

	noFirst := *rt
	noFirst.Alt = nil
	if _, err := noFirst.WriteTo(&bytes.Buffer{}); err == nil {
		t.Error("a second alternative back end without the first was written")
	}
	withAug := *rt
	withAug.Meta.Extra = map[string]string{}
	for k, val := range rt.Meta.Extra {
		withAug.Meta.Extra[k] = val
	}
	withAug.Meta.Extra[EnrollAugmentKey] = EnrollAugmentChannelV1
	withAug.Calibration = &Calibration{Weights: make([]float64, CalibrationWidth(&withAug)), PEff: 0.5}
	if _, err := NewVerifier(&withAug); err == nil {
		t.Error("a second alternative back end with enrollment augmentation accepted")
	}
}

// withoutAlt2 returns a copy of b without its third back end (if any), with a placeholder
// calibration of the right width: for tests that build their own variants of the default
// bundle's back ends (RawScores does not read the calibration).
func withoutAlt2(b *Bundle) *Bundle {
	c := *b
	if c.Alt2 != nil {
		c.Alt2 = nil
		c.Calibration = &Calibration{Weights: make([]float64, CalibrationWidth(&c)), PEff: 0.5}
	}
	return &c
}
