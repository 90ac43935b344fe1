package models

import (
	"errors"
	"math"
	"testing"
)

func TestStatsAdditiveAndRoundTrip(t *testing.T) {
	r := newRand(4)
	g := randGMM(r, 16, 6, 1.5)
	a, b := sampleGMM(r, g, nil, 150), sampleGMM(r, g, nil, 90)
	sc := g.NewScratch(4, 0)
	sa, sb, sab := NewStats(16, 6), NewStats(16, 6), NewStats(16, 6)
	g.AccumulateUtterance(sa, a, sc)
	g.AccumulateUtterance(sb, b, sc)
	g.AccumulateUtterance(sab, append(append([][]float32{}, a...), b...), sc)
	if err := sa.Add(sb); err != nil {
		t.Fatal(err)
	}
	for i := range sab.F {
		if math.Abs(sa.F[i]-sab.F[i]) > 1e-9 {
			t.Fatalf("F[%d] %v vs %v", i, sa.F[i], sab.F[i])
		}
	}
	if math.Abs(sab.Frames()-240) > 1e-9 {
		t.Fatalf("frames %v", sab.Frames())
	}
	if err := sa.Add(NewStats(3, 6)); err == nil {
		t.Fatal("shape mismatch accepted")
	}
	sab.UBM = g.Fingerprint()
	blob, _ := sab.MarshalBinary()
	var back Stats
	if err := back.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	if back.UBM != g.Fingerprint() || back.UBM == 0 {
		t.Fatal("fingerprint lost in round trip")
	}
	other := g.Clone()
	other.Means[0] += 1
	_ = other.Precompute()
	if other.Fingerprint() == g.Fingerprint() {
		t.Fatal("different UBMs share a fingerprint")
	}
	if err := back.Add(other.NewStats()); err == nil {
		t.Fatal("stats of different UBMs added")
	}
	for i := range sab.F {
		if math.Abs(back.F[i]-sab.F[i]) > 1e-5*math.Max(1, math.Abs(sab.F[i])) {
			t.Fatalf("round trip F[%d] %v vs %v", i, back.F[i], sab.F[i])
		}
	}
	// Corruptions are detected.
	for name, bad := range map[string][]byte{
		"truncated": blob[:len(blob)-5],
		"flipped":   flip(blob, 40),
		"magic":     flip(blob, 0),
		"empty":     nil,
	} {
		if err := new(Stats).UnmarshalBinary(bad); !errors.Is(err, ErrStatsFormat) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// Centred stats of the UBM means vanish.
	cs := NewStats(16, 6)
	for c := 0; c < 16; c++ {
		cs.N[c] = float64(c + 1)
		for d := 0; d < 6; d++ {
			cs.F[c*6+d] = cs.N[c] * g.Means[c*6+d]
		}
	}
	for _, v := range cs.Centered(g, nil) {
		if math.Abs(v) > 1e-12 {
			t.Fatal("centred stats not zero")
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

// UtteranceStats shares one GMM across goroutines (run with -race) and must
// not depend on the number of workers.
func TestUtteranceStatsParallel(t *testing.T) {
	r := newRand(70)
	g := randGMM(r, 16, 8, 1)
	var utts [][][]float32
	for i := 0; i < 9; i++ {
		utts = append(utts, sampleGMM(r, g, nil, 40))
	}
	for _, sel := range []int{0, 3} {
		a, err := g.UtteranceStats(utts, 4, sel, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := g.UtteranceStats(utts, 4, sel, 4)
		for i := range a {
			for k := range a[i].F {
				if a[i].F[k] != b[i].F[k] {
					t.Fatal("stats depend on workers")
				}
			}
		}
	}
	if _, err := g.UtteranceStats([][][]float32{{{1, 2}}}, 4, 0, 1); err == nil {
		t.Fatal("wrong frame dimension accepted")
	}
}
