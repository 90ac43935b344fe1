package engine

import (
	"maps"
	"testing"

	"github.com/voxguard/voxguard/models"
)

// augmentingBundle is the test bundle made to augment enrollments: its calibration widened to
// the two more raw scores, weighting the plain and the augmented PLDA scores half each.
func augmentingBundle(t testing.TB) *models.Bundle {
	t.Helper()
	base := testBundle(t)
	b := *base
	b.Meta.Extra = maps.Clone(base.Meta.Extra)
	b.Meta.Extra[models.EnrollAugmentKey] = models.EnrollAugmentChannelV1
	old := base.Calibration.Weights
	k0 := base.Scorers()
	w := make([]float64, models.CalibrationWidth(&b))
	if len(w) == len(old) {
		t.Fatal("the calibration did not widen")
	}
	// Keep the old layout's weights for the old scorers (the layouts put each score's terms
	// in blocks of Scorers(); the tiny bundle's layout is hinged): only the plain score
	// terms are carried over, enough for a plumbing test.
	for i := range k0 {
		w[i] = old[i] / 2
	}
	w[k0] = old[0] / 2 // the augmented main PLDA score
	b.Calibration = &models.Calibration{Weights: w, Bias: base.Calibration.Bias, PEff: base.Calibration.PEff}
	return &b
}

// TestEnrollAugmentedVoiceprint checks the plumbing of enrollment augmentation: an enrollment
// from audio stores the augmented copies' statistics with the voiceprint and the prepared
// voiceprint pools them; one from a call's statistics stores none and scores as plain.
func TestEnrollAugmentedVoiceprint(t *testing.T) {
	b := augmentingBundle(t)
	e, sv, st := storeEngineWith(t, b)
	samples := analyze(t, e, aliceFiles...)
	for _, s := range samples {
		if s.AugStats == nil || s.AugStats.Frames() < 0.5*s.Stats.Frames() {
			t.Fatalf("sample %s: augmented statistics %v", s.Report.Source, s.AugStats)
		}
	}
	// The copy is a function of the audio: analysing it again gives the same statistics.
	again := analyze(t, e, aliceFiles[0])[0]
	if again.AugStats.N[0] != samples[0].AugStats.N[0] || again.AugStats.F[5] != samples[0].AugStats.F[5] {
		t.Error("the augmented copy changed between two analyses of the same audio")
	}
	id := subjectWithConsent(t, st)
	rep, err := e.Enroll(sv, "t", id, samples, EnrollPolicy{})
	if err != nil || !rep.Accepted {
		t.Fatalf("enrollment: %+v, %v", rep, err)
	}
	vps, err := st.ListVoiceprints(id)
	if err != nil || len(vps) != 1 || len(vps[0].AugN) != b.UBM.C || len(vps[0].AugF) != b.UBM.C*b.UBM.D {
		t.Fatalf("stored voiceprints %d (%v): augmented statistics not stored", len(vps), err)
	}
	p, err := sv.Voiceprint(id)
	if err != nil {
		t.Fatal(err)
	}
	if p.UA == nil || equal(p.UA, p.U) {
		t.Error("the voiceprint's augmented side is missing or equals the plain one")
	}

	if pa, err := e.PrepareAudio(corpusPCM(t, aliceFiles[0])); err != nil || pa.UA == nil || equal(pa.UA, pa.U) {
		t.Errorf("PrepareAudio: %v; the augmented side missing or equal to the plain one", err)
	}

	// From a call's statistics: nothing to augment; the augmented side is the plain one.
	id2 := subjectWithConsent(t, st)
	sample := e.AnalyzeStats("call:call-a", callStats(t, e, "call-a", aliceFiles...), EnrollPolicy{})
	if sample.AugStats != nil {
		t.Fatal("a sample from statistics has augmented statistics")
	}
	if rep, err := e.Enroll(sv, "t", id2, []Sample{sample}, EnrollPolicy{}); err != nil || !rep.Accepted {
		t.Fatalf("enrollment from a call: %+v, %v", rep, err)
	}
	vps, _ = st.ListVoiceprints(id2)
	if len(vps) != 1 || len(vps[0].AugN) != 0 {
		t.Fatalf("a call's voiceprint stored augmented statistics")
	}
	p2, err := sv.Voiceprint(id2)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(p2.UA, p2.U) {
		t.Error("without a copy the augmented side differs from the plain one")
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
