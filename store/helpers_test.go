package store

import (
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// testKey is a fixed 256-bit key for tests.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// testClock returns a deterministic clock that advances 1 ms per call.
func testClock() func() time.Time {
	var n atomic.Int64
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

func testOptions(dir string) Options {
	return Options{Dir: dir, Key: testKey, Clock: testClock(), MemTableSize: 8 << 20, ValueLogFileSize: 16 << 20}
}

func openTest(t testing.TB) *Store {
	t.Helper()
	return openTestDir(t, t.TempDir())
}

func openTestDir(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(testOptions(dir))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sampleVP returns a voiceprint with random statistics of the given shape.
func sampleVP(rng *rand.Rand, subject string, comps, dim, emb int) Voiceprint {
	vp := Voiceprint{SubjectID: subject, BundleVersion: "ubm-test-1", SpeechSeconds: 31.5,
		Quality: map[string]float64{"snr_db": 24.5, "clipping": 0.001}, Source: "upload",
		N: make([]float32, comps), F: make([]float32, comps*dim), Embedding: make([]float32, emb)}
	for _, fs := range [][]float32{vp.N, vp.F, vp.Embedding} {
		for i := range fs {
			fs[i] = float32(rng.NormFloat64())
		}
	}
	return vp
}

// enrolled creates a subject with an active voice-verification consent.
func enrolled(t testing.TB, s *Store, sub Subject) (Subject, Consent) {
	t.Helper()
	sub, err := s.CreateSubject("vk_test", sub)
	if err != nil {
		t.Fatalf("CreateSubject: %v", err)
	}
	c, err := s.GrantConsent("vk_test", Consent{SubjectID: sub.ID, Purpose: PurposeVoiceVerification,
		Method: "ivr-recorded", EvidenceRef: "rec-1", PolicyVersion: "2026-01"})
	if err != nil {
		t.Fatalf("GrantConsent: %v", err)
	}
	return sub, c
}

func mustVerify(t testing.TB, s *Store) AuditReport {
	t.Helper()
	rep, err := s.VerifyAudit()
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return rep
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}
