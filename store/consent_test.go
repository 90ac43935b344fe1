package store

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestVoiceprintNeedsConsent(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(1, 2))
	sub, err := s.CreateSubject("vk_an", Subject{Name: "Ada Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.AddVoiceprint("vk_an", sampleVP(rng, sub.ID, 8, 3, 5))
	wantErr(t, err, ErrNoConsent)
	// The refusal is in the audit log, pseudonymised.
	es, _ := s.AuditEntries(1, 0)
	last := es[len(es)-1]
	if last.Action != "voiceprint.add" || last.Outcome != "denied:no-consent" || strings.Contains(last.Target, sub.ID) {
		t.Fatalf("denial entry %+v", last)
	}
	// A consent for another purpose is not enough.
	if _, err := s.GrantConsent("vk_an", Consent{SubjectID: sub.ID, Purpose: "marketing", Method: "web-form",
		EvidenceRef: "form-9", PolicyVersion: "v1"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.AddVoiceprint("vk_an", sampleVP(rng, sub.ID, 8, 3, 5))
	wantErr(t, err, ErrNoConsent)

	c, err := s.GrantConsent("vk_an", Consent{SubjectID: sub.ID, Purpose: PurposeVoiceVerification,
		Method: "ivr-recorded", EvidenceRef: "rec-77", PolicyVersion: "2026-01"})
	if err != nil {
		t.Fatal(err)
	}
	want := sampleVP(rng, sub.ID, 8, 3, 5)
	got, err := s.AddVoiceprint("vk_an", want)
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.GetVoiceprint(sub.ID, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.FeatureDim() != 3 || len(back.Embedding) != 5 || back.F[7] != want.F[7] || back.Quality["snr_db"] != 24.5 ||
		!back.Created.Equal(got.Created) {
		t.Fatalf("round trip: %+v", back)
	}
	s.AddVoiceprint("vk_an", sampleVP(rng, sub.ID, 8, 3, 5))

	n, err := s.WithdrawConsent("vk_an", sub.ID, c.ID)
	if err != nil || n != 2 {
		t.Fatalf("withdraw: deleted %d, %v", n, err)
	}
	if vps, _ := s.ListVoiceprints(sub.ID); len(vps) != 0 {
		t.Fatalf("%d voiceprints survive withdrawal", len(vps))
	}
	cs, _ := s.ListConsents(sub.ID)
	if len(cs) != 2 || cs[1].Active() || cs[1].WithdrawnBy != "vk_an" || !cs[0].Active() {
		t.Fatalf("consent history %+v", cs)
	}
	_, err = s.AddVoiceprint("vk_an", sampleVP(rng, sub.ID, 8, 3, 5))
	wantErr(t, err, ErrNoConsent)
	_, err = s.WithdrawConsent("vk_an", sub.ID, c.ID)
	wantErr(t, err, ErrInvalid)
	mustVerify(t, s)
}

func TestWithdrawOneOfTwoConsentsKeepsVoiceprints(t *testing.T) {
	s := openTest(t)
	sub, c1 := enrolled(t, s, Subject{})
	if _, err := s.GrantConsent("vk", Consent{SubjectID: sub.ID, Purpose: PurposeVoiceVerification,
		Method: "web-form", EvidenceRef: "f", PolicyVersion: "2026-02"}); err != nil {
		t.Fatal(err)
	}
	s.AddVoiceprint("vk", sampleVP(rand.New(rand.NewPCG(3, 4)), sub.ID, 4, 2, 3))
	if n, err := s.WithdrawConsent("vk", sub.ID, c1.ID); err != nil || n != 0 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	if vps, _ := s.ListVoiceprints(sub.ID); len(vps) != 1 {
		t.Fatalf("voiceprint lost while a consent is still active")
	}
}

func TestValidation(t *testing.T) {
	s := openTest(t)
	sub, _ := enrolled(t, s, Subject{ID: "sub_v"})
	rng := rand.New(rand.NewPCG(5, 6))
	good := sampleVP(rng, sub.ID, 4, 2, 3)
	tests := []struct {
		name string
		mod  func(vp *Voiceprint)
		want error
	}{
		{"no bundle", func(vp *Voiceprint) { vp.BundleVersion = "" }, ErrInvalid},
		{"ragged F", func(vp *Voiceprint) { vp.F = vp.F[:7] }, ErrInvalid},
		{"NaN", func(vp *Voiceprint) { vp.Embedding[0] = float32(nan()) }, ErrInvalid},
		{"empty", func(vp *Voiceprint) { vp.N, vp.F, vp.Embedding = nil, nil, nil }, ErrInvalid},
		{"no source", func(vp *Voiceprint) { vp.Source = "" }, ErrInvalid},
		{"bad subject id", func(vp *Voiceprint) { vp.SubjectID = "a/b" }, ErrInvalid},
		{"unknown subject", func(vp *Voiceprint) { vp.SubjectID = "nobody" }, ErrNotFound},
		{"embedding only", func(vp *Voiceprint) { vp.N, vp.F = nil, nil }, nil},
		{"augmented", func(vp *Voiceprint) { vp.AugN, vp.AugF = []float32{1, 2, 3, 4}, make([]float32, 8) }, nil},
		{"augmented, short", func(vp *Voiceprint) { vp.AugN, vp.AugF = []float32{1, 2, 3}, make([]float32, 8) }, ErrInvalid},
		{"augmented N only", func(vp *Voiceprint) { vp.AugN = []float32{1, 2, 3, 4} }, ErrInvalid},
		{"augmented NaN", func(vp *Voiceprint) {
			vp.AugN, vp.AugF = []float32{1, 2, 3, 4}, []float32{0, 0, 0, float32(nan()), 0, 0, 0, 0}
		}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vp := good
			vp.Embedding = append([]float32(nil), good.Embedding...)
			tc.mod(&vp)
			_, err := s.AddVoiceprint("vk", vp)
			if tc.want == nil && err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				wantErr(t, err, tc.want)
			}
		})
	}
	_, err := s.GrantConsent("vk", Consent{SubjectID: sub.ID, Purpose: PurposeVoiceVerification})
	wantErr(t, err, ErrInvalid)
	_, err = s.CreateSubject("vk", Subject{ID: "sub_v"})
	wantErr(t, err, ErrExists)
	_, err = s.CreateSubject("", Subject{})
	wantErr(t, err, ErrInvalid)
}

func nan() float64 { var z float64; return z / z }
