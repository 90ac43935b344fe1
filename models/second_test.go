package models

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

// TestSecondSystemStats checks statistics with a second system's (Stats.Second): they survive
// a binary round trip (format version 2, while first-system-only statistics keep version 1's
// bytes), Clone copies them deeply, Scale and Reset reach them, and Add sums them when both
// sides have them and drops them when one side has none.
func TestSecondSystemStats(t *testing.T) {
	r := newRand(7)
	g1, g2 := randGMM(r, 4, 3, 1), randGMM(r, 5, 2, 1)
	s := statsOf(g1, sampleGMM(r, g1, nil, 50), 2)
	plain, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	s.Second = statsOf(g2, sampleGMM(r, g2, nil, 50), 2)
	blob, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if v := blob[4]; v != 2 {
		t.Errorf("version %d, want 2", v)
	}
	var back Stats
	if err := back.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	if back.Second == nil || !closeSlices(back.Second.F, s.Second.F) || !closeSlices(back.F, s.F) || back.Second.UBM != s.Second.UBM {
		t.Fatal("second statistics lost in the round trip")
	}
	p := s.Clone()
	p.Second = nil
	if b, _ := p.MarshalBinary(); !bytes.Equal(b, plain) {
		t.Error("first-system-only statistics no longer encode as version 1")
	}
	blob[len(blob)-10] ^= 1
	if err := back.UnmarshalBinary(blob); err == nil {
		t.Error("a corrupted second part decoded")
	}

	c := s.Clone()
	c.Second.N[0] += 1
	if s.Second.N[0] == c.Second.N[0] {
		t.Error("Clone shares the second statistics")
	}
	n0 := s.Second.N[0]
	sum := s.Clone()
	if err := sum.Add(s); err != nil || math.Abs(sum.Second.N[0]-2*n0) > 1e-12 {
		t.Errorf("Add: second N[0] %g, want %g (%v)", sum.Second.N[0], 2*n0, err)
	}
	sum.Scale(0.5)
	if math.Abs(sum.Second.N[0]-n0) > 1e-12 {
		t.Errorf("Scale: second N[0] %g, want %g", sum.Second.N[0], n0)
	}
	if err := sum.Add(p); err != nil || sum.Second != nil {
		t.Errorf("adding statistics without a second: second %v (%v), want none", sum.Second, err)
	}
	c.Reset()
	if c.Second.Frames() != 0 {
		t.Error("Reset left the second statistics")
	}
}

// TestVerifierSecondSystem checks scoring with a second system on the default bundle's first
// system's models (the same models twice, fused 0.7 / 0.4 / 0.1): a trial whose statistics have the second's
// scores exactly the fusion of the two systems' own LLRs, one whose statistics lack them the
// first system's LLR alone, and an insufficient side stays insufficient.
func TestVerifierSecondSystem(t *testing.T) {
	base := defaultFirstSystem(t)
	second := *base
	second.Spoof = nil
	b := *base
	b.Second, b.Meta.Fusion = &second, []float64{0.7, 0.4, 0.1}
	v, err := NewVerifier(&b)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := NewVerifier(base)
	if err != nil {
		t.Fatal(err)
	}
	r := newRand(3)
	frames := func(n int) *Stats {
		return statsOf(base.UBM, sampleGMM(r, base.UBM, nil, n), base.Meta.TopC)
	}
	e1, e2, t1, t2 := frames(800), frames(800), frames(300), frames(300)
	ws, ws1 := v.NewScratch(), v1.NewScratch()
	score1 := func(e, te *Stats) float64 {
		pe, err := v1.Prepare(e, ws1)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := v1.PrepareTestOwned(te, ws1)
		if err != nil {
			t.Fatal(err)
		}
		l, ok := v1.Score(pe, pt)
		if !ok {
			t.Fatal("insufficient")
		}
		return l
	}
	l1, l2 := score1(e1, t1), score1(e2, t2)
	e, tt := e1.Clone(), t1.Clone()
	e.Second, tt.Second = e2, t2
	pe, err := v.Prepare(e, ws)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := v.PrepareTest(tt, ws)
	if err != nil {
		t.Fatal(err)
	}
	if pe.Second == nil || pt.Second == nil {
		t.Fatal("probes without their second system's side")
	}
	l, ok := v.Score(pe, pt)
	if want := 0.7*l1 + 0.4*l2 + 0.1; !ok || math.Abs(l-want) > 1e-9 {
		t.Errorf("fused LLR %g (%v), want %g from %g and %g", l, ok, want, l1, l2)
	}
	// A test probe kept beyond the scratch's next use keeps its second side too (pt, whose GMM
	// test vectors live in ws, is spent from here on).
	po, err := v.PrepareTestOwned(tt, ws)
	if err != nil {
		t.Fatal(err)
	}
	other := frames(300)
	other.Second = frames(300)
	if _, err := v.PrepareTestOwned(other, ws); err != nil {
		t.Fatal(err)
	}
	if lo, ok := v.Score(pe, po); !ok || math.Abs(lo-l) > 1e-9 {
		t.Errorf("owned test probe after another test's preparation: LLR %g, want %g", lo, l)
	}
	// A voiceprint from before the second system: the first system's LLR.
	pOld, err := v.Prepare(e1, ws)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := v.Score(pOld, po); !ok || math.Abs(l-l1) > 1e-9 {
		t.Errorf("first-system-only enrollment: LLR %g (%v), want the first system's %g", l, ok, l1)
	}
	short := frames(10)
	short.Second = frames(10)
	ps, err := v.PrepareTest(short, ws)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := v.Score(pe, ps); ok || l != 0 {
		t.Errorf("10 frames: LLR %g, sufficient %v; want 0, false", l, ok)
	}
	if s := b.NewStats(); s.Second == nil || s.Second.UBM != second.UBM.Fingerprint() {
		t.Error("Bundle.NewStats without the second system's statistics")
	}

	// A fusion limit (Metadata.FusionMaxSeconds): a test with at least that much speech is
	// scored by the first system alone, and PrepareTest leaves its second side out; a shorter
	// test, and an enrollment of any length, keep both.
	for _, c := range []struct {
		max   float64 // seconds
		fused bool    // for the 300-frame test
	}{{0, true}, {3.5, true}, {3, false}, {2, false}} {
		lb := b
		lb.Meta.FusionMaxSeconds = c.max
		lv, err := NewVerifier(&lb)
		if err != nil {
			t.Fatal(err)
		}
		if got := lb.FusesTest(pt.Frames); got != c.fused || pt.Frames != 300 {
			t.Errorf("limit %g s: FusesTest(%g) = %v, want %v", c.max, pt.Frames, got, c.fused)
		}
		lws := lv.NewScratch()
		le, err := lv.Prepare(e, lws)
		if err != nil {
			t.Fatal(err)
		}
		lt, err := lv.PrepareTestOwned(tt, lws)
		if err != nil {
			t.Fatal(err)
		}
		want := l1
		if c.fused {
			want = l
		}
		if le.Second == nil || (lt.Second != nil) != c.fused {
			t.Errorf("limit %g s: enrollment's second side %v, test's %v (want true, %v)", c.max, le.Second != nil, lt.Second != nil, c.fused)
		}
		if got, ok := lv.Score(le, lt); !ok || math.Abs(got-want) > 1e-9 {
			t.Errorf("limit %g s: LLR %g (%v), want %g", c.max, got, ok, want)
		}
		// Scored with its second side all the same (Prepare's probe), the test still gets the
		// first system's LLR past the limit.
		if got, _ := lv.Score(le, le); !c.fused && math.Abs(got-lv.scoreOwnLLR(le, le)) > 1e-9 {
			t.Errorf("limit %g s: an 800-frame test with its second side fused", c.max)
		}
	}
	bad := b
	bad.Meta.FusionMaxSeconds = math.Inf(1)
	if _, err := NewVerifier(&bad); err == nil {
		t.Error("an infinite fusion limit accepted")
	}
}

// scoreOwnLLR is the first system's own LLR of a trial (tests only).
func (v *Verifier) scoreOwnLLR(e, t *Probe) float64 {
	l, _ := v.scoreOwn(e, t, v.MinFrames)
	return l
}

// TestFirstSystem checks Bundle.FirstSystem: a fused bundle as its first system alone, with that
// system's own operating points where kept, the fused bundle itself untouched; a one-system
// bundle is itself.
func TestFirstSystem(t *testing.T) {
	base := defaultFirstSystem(t)
	if base.FirstSystem() != base {
		t.Error("FirstSystem of a one-system bundle is not the bundle")
	}
	second := *base
	second.Spoof = nil
	b := *base
	b.Second, b.Meta.Fusion, b.Meta.FusionMaxSeconds = &second, []float64{0.7, 0.4, 0.1}, 10
	own := []FARPoint{{FAR: 0.01, LLR: 1.5}}
	fused := []FARPoint{{FAR: 0.01, LLR: 2.5}}
	b.Meta.FARThresholds, b.Meta.FirstFARThresholds = fused, own
	f := b.FirstSystem()
	if f.Second != nil || f.Meta.Fusion != nil || f.Meta.FusionMaxSeconds != 0 || f.Meta.FirstFARThresholds != nil {
		t.Fatalf("FirstSystem kept the second system or its fusion: %+v", f.Meta)
	}
	if !reflect.DeepEqual(f.Meta.FARThresholds, own) || !reflect.DeepEqual(b.Meta.FARThresholds, fused) || b.Second == nil {
		t.Errorf("operating points %v (fused bundle's %v), want the first system's own and the fused bundle unchanged", f.Meta.FARThresholds, b.Meta.FARThresholds)
	}
	v, err := NewVerifier(f)
	if err != nil {
		t.Fatal(err)
	}
	if thr, err := v.ThresholdAtFAR(0.01); err != nil || thr != 1.5 {
		t.Errorf("first system's 1%% threshold %v (%v), want 1.5", thr, err)
	}
	b.Meta.FirstFARThresholds = nil // a bundle fused before they were kept: the fused ones serve
	if g := b.FirstSystem(); !reflect.DeepEqual(g.Meta.FARThresholds, fused) {
		t.Errorf("without the first system's own operating points: %v, want the fused bundle's", g.Meta.FARThresholds)
	}
}
