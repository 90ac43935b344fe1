package models

import (
	"slices"
	"testing"
)

// AdaptDomainMean's copy scores exactly as WithDomainMean on the original, leaves the original
// (here the shared embedded default) untouched, and at weight 0 changes nothing; bad inputs are
// refused.
func TestAdaptDomainMean(t *testing.T) {
	b, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	orig := slices.Clone(b.LDA.Mean)
	v, err := NewVerifier(b)
	if err != nil {
		t.Fatal(err)
	}
	ws := v.NewScratch()
	r := newRand(31)
	stats := func(offset float64) *Stats {
		s := b.UBM.NewStats()
		off := make([]float64, b.UBM.C*b.UBM.D)
		for i := range off {
			off[i] = offset * float64(i%3-1)
		}
		b.UBM.AccumulateUtterance(s, sampleGMM(r, b.UBM, off, 400), b.NewStatsScratch())
		return s
	}
	var enroll, test []*Stats
	var domain []float64
	for i := range 4 {
		enroll, test = append(enroll, stats(0.3*float64(i))), append(test, stats(-0.2*float64(i)))
		iv, err := v.IVector(test[i], ws)
		if err != nil {
			t.Fatal(err)
		}
		if domain == nil {
			domain = make([]float64, len(iv))
		}
		for k, a := range iv {
			domain[k] += a / 4
		}
	}
	score := func(v *Verifier) []float64 {
		var out []float64
		for _, e := range enroll {
			pe, err := v.Prepare(e, ws)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range test {
				pt, err := v.PrepareTest(s, ws)
				if err != nil {
					t.Fatal(err)
				}
				llr, _ := v.Score(pe, pt)
				out = append(out, llr)
			}
		}
		return out
	}
	plain := score(v)
	for _, w := range []float64{0, 0.6, 1} {
		c, err := AdaptDomainMean(b, domain, w, "test")
		if err != nil {
			t.Fatal(err)
		}
		vc, err := NewVerifier(c)
		if err != nil {
			t.Fatal(err)
		}
		vw, err := v.WithDomainMean(domain, w)
		if err != nil {
			t.Fatal(err)
		}
		got, want := score(vc), score(vw)
		if !slices.Equal(got, want) {
			t.Errorf("weight %v: adapted bundle %v, WithDomainMean %v", w, got, want)
		}
		if w == 0 && !slices.Equal(got, plain) {
			t.Errorf("weight 0 changed the scores: %v, want %v", got, plain)
		}
		if w == 1 && slices.Equal(got, plain) {
			t.Error("weight 1 changed no score")
		}
		if c.Meta.Extra[DomainAdaptedKey] != "test" || b.Meta.Extra[DomainAdaptedKey] != "" {
			t.Errorf("note: copy %q, original %q", c.Meta.Extra[DomainAdaptedKey], b.Meta.Extra[DomainAdaptedKey])
		}
	}
	if !slices.Equal(b.LDA.Mean, orig) {
		t.Error("the original bundle's LDA mean was modified")
	}
	if _, err := AdaptDomainMean(b, domain[:3], 0.5, ""); err == nil {
		t.Error("a short domain mean was accepted")
	}
	if _, err := AdaptDomainMean(b, domain, 1.5, ""); err == nil {
		t.Error("weight 1.5 was accepted")
	}
	if _, err := v.WithDomainMean(domain, -0.1); err == nil {
		t.Error("weight -0.1 was accepted")
	}
}
