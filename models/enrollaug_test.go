package models

import (
	"bytes"
	"maps"
	"strings"
	"testing"
)

// TestEnrollAugment checks the augmented scorers on the default bundle's back ends: a bundle
// naming the augmentation has two more raw scores; without an augmented copy they equal the
// plain PLDA scores; with one they equal the plain scores of an enrollment made of the pooled
// statistics; an unknown augmentation is refused; bundles without it score as before.
func TestEnrollAugment(t *testing.T) {
	base, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	if base.Alt == nil || base.GMM == nil {
		t.Skip("the default bundle lacks the alternative back end or the GMM scorer")
	}
	base = withoutAlt2(base) // enrollment augmentation does not combine with a third back end
	plainV, err := NewVerifier(base)
	if err != nil {
		t.Fatal(err)
	}
	withAug := func(name string) *Bundle {
		b := *base
		b.Meta.Extra = maps.Clone(base.Meta.Extra)
		b.Meta.Extra[EnrollAugmentKey] = name
		b.Calibration = &Calibration{Weights: make([]float64, CalibrationWidth(&b)), PEff: 0.5}
		b.Calibration.Weights[0] = 1
		return &b
	}
	ab := withAug(EnrollAugmentChannelV1)
	if got, want := ab.Scorers(), base.Scorers()+2; got != want {
		t.Fatalf("Scorers() = %d, want %d", got, want)
	}
	if _, err := NewVerifier(withAug("reverb-v9")); err == nil || !strings.Contains(err.Error(), "reverb-v9") {
		t.Fatalf("unknown augmentation: err = %v", err)
	}
	v, err := NewVerifier(ab)
	if err != nil {
		t.Fatal(err)
	}
	r := newRand(5)
	stats := func(n int) *Stats {
		s := NewStats(base.UBM.C, base.UBM.D)
		base.UBM.AccumulateUtterance(s, sampleGMM(r, base.UBM, nil, n), base.NewStatsScratch())
		return s
	}
	enroll, augCopy, test := stats(800), stats(800), stats(400)
	ws := v.NewScratch()
	tp, err := v.Prepare(test, ws)
	if err != nil {
		t.Fatal(err)
	}
	plainTest, _ := plainV.Prepare(test, plainV.NewScratch())
	plainEnroll, _ := plainV.Prepare(enroll, plainV.NewScratch())
	want := plainV.RawScores(nil, plainEnroll, plainTest)
	if len(want) != 3 {
		t.Fatalf("plain bundle: %d raw scores, want 3", len(want))
	}

	// No augmented copy: the augmented scorers repeat the plain PLDA scores, gated by the
	// probability of a degraded channel.
	ep, err := v.PrepareEnrollment(enroll, nil, ws)
	if err != nil {
		t.Fatal(err)
	}
	got := v.RawScores(nil, ep, tp)
	if len(got) != 5 {
		t.Fatalf("%d raw scores, want 5", len(got))
	}
	p := max(ep.Channel, tp.Channel)
	if !(p > 0 && p < 1) {
		t.Fatalf("channel probability %g: the gate is not exercised", p)
	}
	for i, w := range []float64{want[0], want[1], want[2], p * want[0], p * want[1]} {
		if got[i] != w {
			t.Errorf("without a copy: score %d = %g, want %g", i, got[i], w)
		}
	}

	// With a copy: the augmented scorers see the pooled statistics.
	pooled := enroll.Clone()
	if err := pooled.Add(augCopy); err != nil {
		t.Fatal(err)
	}
	pp, _ := plainV.Prepare(pooled, plainV.NewScratch())
	wantPooled := plainV.RawScores(nil, pp, plainTest)
	ea, err := v.PrepareEnrollment(enroll, augCopy, ws)
	if err != nil {
		t.Fatal(err)
	}
	got = v.RawScores(nil, ea, tp)
	for i, w := range []float64{want[0], want[1], want[2], p * wantPooled[0], p * wantPooled[1]} {
		if got[i] != w {
			t.Errorf("with a copy: score %d = %g, want %g", i, got[i], w)
		}
	}
	if got[3] == got[0] {
		t.Error("the pooled enrollment scored exactly as the plain one")
	}
	if _, err := v.PrepareEnrollment(enroll, NewStats(base.UBM.C, base.UBM.D+1), ws); err == nil {
		t.Error("a copy's statistics of another dimension were accepted")
	}
	if llr, ok := v.Score(ea, tp); !ok || llr != got[0] {
		t.Errorf("Score = %g, %v; want the first raw score %g (the calibration weights it alone)", llr, ok, got[0])
	}

	// The key survives a bundle round trip.
	var buf bytes.Buffer
	if _, err := ab.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	rb, err := ReadBundle(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rb.EnrollAugment() != EnrollAugmentChannelV1 || rb.Scorers() != 5 {
		t.Errorf("after a round trip: augmentation %q, %d scorers", rb.EnrollAugment(), rb.Scorers())
	}
}
