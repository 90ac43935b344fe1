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
