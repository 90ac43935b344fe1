package engine

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/store"
)

func corpusPCM(t testing.TB, rel string) []float32 {
	t.Helper()
	a, err := audio.ReadWAVFile(filepath.Join(corporaDir(t), "mini-librispeech", rel))
	if err != nil {
		t.Fatal(err)
	}
	x, err := a.Channel(0)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// storeEngine opens a temporary store and an engine whose voiceprints and watchlist live there.
func storeEngine(t testing.TB) (*Engine, *StoreVoices, *store.Store) {
	t.Helper()
	return storeEngineWith(t, testBundle(t))
}

// storeEngineWith is storeEngine on bundle b.
func storeEngineWith(t testing.TB, b *models.Bundle) (*Engine, *StoreVoices, *store.Store) {
	t.Helper()
	return storeEngineConfig(t, b, Config{SecondSystem: true})
}

// storeEngineConfig is storeEngineWith with the engine's policy cfg.
func storeEngineConfig(t testing.TB, b *models.Bundle, cfg Config) (*Engine, *StoreVoices, *store.Store) {
	t.Helper()
	st := testkit.Store(t)
	sv, err := NewStoreVoices(st, b, cfg.SecondSystem)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(b, Options{Config: cfg, Voiceprints: sv, Watchlist: sv, Thresholder: fakeThresholder(4)})
	if err != nil {
		t.Fatal(err)
	}
	return e, sv, st
}

func subjectWithConsent(t testing.TB, st *store.Store) string {
	t.Helper()
	sub, err := st.CreateSubject("t", store.Subject{Name: "Alice Example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GrantConsent("t", store.Consent{SubjectID: sub.ID, Purpose: store.PurposeVoiceVerification,
		Method: "web-form", EvidenceRef: "f-1", PolicyVersion: "v1"}); err != nil {
		t.Fatal(err)
	}
	return sub.ID
}

func analyze(t testing.TB, e *Engine, files ...string) []Sample {
	t.Helper()
	var out []Sample
	for _, f := range files {
		s, err := e.AnalyzeAudio("upload:"+f, corpusPCM(t, f), EnrollPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// callStats streams files as one call and returns its statistics, as a call enrollment uses them.
func callStats(t testing.TB, e *Engine, callID string, files ...string) *models.Stats {
	t.Helper()
	sess := e.NewSession(callID)
	for _, f := range files {
		sess.Push(corpusPCM(t, f))
	}
	sess.Stop()
	return sess.Stats()
}

var aliceFiles = []string{"1088/1088-134315-0001.wav", "1088/1088-134315-0002.wav", "1088/1088-134315-0003.wav"}

func TestStoreVoicesEnrollVerifyWithdraw(t *testing.T) {
	e, sv, st := storeEngine(t)
	if _, err := sv.Voiceprint("sub_unknown"); !errors.Is(err, ErrNoVoiceprint) {
		t.Fatalf("unknown subject: %v, want ErrNoVoiceprint", err)
	}
	id := subjectWithConsent(t, st)
	if _, err := sv.Voiceprint(id); !errors.Is(err, ErrNoVoiceprint) {
		t.Fatalf("before enrollment: %v, want ErrNoVoiceprint", err)
	}
	// One sample is too little speech in all: refused with a reason, nothing stored.
	rep, err := e.Enroll(sv, "t", id, analyze(t, e, aliceFiles[0]), EnrollPolicy{})
	if err != nil || rep.Accepted || !slices.Contains(rep.Problems, ProblemInsufficient) {
		t.Fatalf("short enrollment: %+v, %v", rep, err)
	}
	rep, err = e.Enroll(sv, "t", id, analyze(t, e, aliceFiles...), EnrollPolicy{})
	if err != nil || !rep.Accepted {
		t.Fatalf("enrollment refused: %+v, %v", rep, err)
	}
	t.Logf("enrolled %.1f s; samples %+v", rep.SpeechSeconds, rep.Samples)

	score := func(rel string) Assessment {
		s := e.NewSession("c")
		s.Claim(id)
		s.Push(corpusPCM(t, rel))
		a, _ := s.Stop()
		return a
	}
	same, other := score("1088/1088-134315-0000.wav"), score("118/118-47824-0000.wav")
	t.Logf("same %+v other %+v", same.Verification, other.Verification)
	if same.Verification.LLR <= other.Verification.LLR || same.Verification.Decision == Mismatch {
		t.Errorf("genuine LLR %.2f (%s) not above impostor %.2f", same.Verification.LLR, same.Verification.Decision, other.Verification.LLR)
	}
	cs, _ := st.ListConsents(id)
	if _, err := st.WithdrawConsent("t", id, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sv.Voiceprint(id); !errors.Is(err, ErrNoConsent) {
		t.Fatalf("after withdrawal: %v, want ErrNoConsent", err)
	}
	if a := score("1088/1088-134315-0000.wav"); !a.HasReason(ReasonNoConsent) {
		t.Errorf("after withdrawal the call reasons are %v", a.Reasons)
	}
	if _, err := e.Enroll(sv, "t", id, analyze(t, e, aliceFiles...), EnrollPolicy{}); !errors.Is(err, ErrNoConsent) {
		t.Errorf("enrollment without consent: %v", err)
	}
}

func TestEnrollQualityGates(t *testing.T) {
	e, _, _ := storeEngine(t)
	clean := corpusPCM(t, "1088/1088-134315-0004.wav")
	other := corpusPCM(t, "118/118-47824-0001.wav")
	rng := rand.New(rand.NewPCG(1, 2))
	noisy := make([]float32, len(clean))
	for i, v := range clean {
		noisy[i] = v + float32(rng.NormFloat64()*0.1)
	}
	loud := make([]float32, len(clean))
	for i, v := range clean {
		loud[i] = max(-1, min(0.9999, v*40))
	}
	tests := []struct {
		name string
		x    []float32
		want string // "" = accepted
	}{
		{"clean", clean, ""},
		{"too short", clean[:8000], ProblemNoSpeech},
		{"noisy", noisy, ProblemLowSNR},
		{"clipped", loud, ProblemClipping},
		{"two voices", append(slices.Clone(clean), other...), ProblemSecondVoice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := e.AnalyzeAudio(tc.name, tc.x, EnrollPolicy{})
			if err != nil {
				t.Fatal(err)
			}
			r := s.Report
			t.Logf("%s: %.1f s, snr %.1f dB, clipping %.4f, halves %v, problems %v", tc.name, r.SpeechSeconds, *r.SNRdB, *r.Clipping, fmtPtr(r.SecondVoiceLLR), r.Problems)
			if tc.want == "" {
				if !r.Accepted {
					t.Errorf("refused: %v", r.Problems)
				}
				return
			}
			if r.Accepted || !slices.Contains(r.Problems, tc.want) {
				t.Errorf("problems %v, want %s", r.Problems, tc.want)
			}
		})
	}
}

func fmtPtr(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestEnrollScreensWatchlistAndFromCall(t *testing.T) {
	e, sv, st := storeEngine(t)
	fraud := []string{"118/118-47824-0000.wav", "118/118-47824-0001.wav", "118/118-47824-0003.wav"}
	merged := e.b.UBM.NewStats()
	secs := 0.0
	for _, s := range analyze(t, e, fraud[:2]...) {
		merged.Add(s.Stats)
		secs += s.Report.SpeechSeconds
	}
	if _, err := sv.AddWatchlist("t", store.WatchlistEntry{Label: "ring A", CaseRef: "case-1", LegalBasis: "GDPR 6(1)(f)"}, merged, secs, "upload"); err != nil {
		t.Fatal(err)
	}
	if n := len(sv.Entries()); n != 1 {
		t.Fatalf("%d watchlist entries loaded", n)
	}
	id := subjectWithConsent(t, st)
	// The fraudster tries to enroll as the customer from a call of theirs.
	sample := e.AnalyzeStats("call:call-1", callStats(t, e, "call-1", fraud...), EnrollPolicy{})
	rep, err := e.Enroll(sv, "t", id, []Sample{sample}, EnrollPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if rep.Accepted || len(rep.Watchlist) == 0 || !slices.Contains(rep.Problems, ProblemWatchlistHit) {
		t.Errorf("fraudster enrollment: %+v", rep)
	}
	// The genuine customer enrolls from a call.
	rep, err = e.Enroll(sv, "t", id, []Sample{e.AnalyzeStats("call:call-2", callStats(t, e, "call-2", aliceFiles...), EnrollPolicy{})}, EnrollPolicy{})
	if err != nil || !rep.Accepted || len(rep.Watchlist) != 0 {
		t.Errorf("genuine enrollment from a call: %+v, %v", rep, err)
	}
	if err := sv.RemoveWatchlist("t", sv.Entries()[0].ID); err != nil || len(sv.Entries()) != 0 {
		t.Errorf("remove: %v, %d left", err, len(sv.Entries()))
	}
}

// TestVoiceprintCacheBounded: the prepared-voiceprint cache keeps at most its bound, drops the
// least recently used first, prepares an evicted voiceprint again to the same scores, and does
// not keep a voiceprint invalidated while it was being looked up.
func TestVoiceprintCacheBounded(t *testing.T) {
	e, sv, st := storeEngine(t)
	files := [][]string{aliceFiles,
		{"118/118-47824-0000.wav", "118/118-47824-0001.wav", "118/118-47824-0002.wav"},
		{"1088/1088-134315-0004.wav", "1088/1088-134315-0005.wav", "1088/1088-134315-0006.wav"}}
	var ids []string
	for _, f := range files {
		id := subjectWithConsent(t, st)
		if rep, err := e.Enroll(sv, "t", id, analyze(t, e, f...), EnrollPolicy{}); err != nil || !rep.Accepted {
			t.Fatalf("enrollment: %+v, %v", rep, err)
		}
		ids = append(ids, id)
	}
	if err := sv.SetCacheSize(-1); err == nil {
		t.Error("a negative cache size was accepted")
	}
	if err := sv.SetCacheSize(2); err != nil {
		t.Fatal(err)
	}
	first := map[string]*models.Probe{}
	for _, id := range ids { // a, b, c: a is evicted
		p, err := sv.Voiceprint(id)
		if err != nil {
			t.Fatal(err)
		}
		first[id] = p
	}
	if n := sv.CachedVoiceprints(); n != 2 {
		t.Fatalf("%d voiceprints cached, want 2", n)
	}
	t.Logf("GMM model vector %d KiB per cached voiceprint", len(first[ids[0]].GModel)*4/1024)
	for _, tc := range []struct {
		id     string
		cached bool
	}{{ids[2], true}, {ids[1], true}, {ids[0], false}} {
		p, err := sv.Voiceprint(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if (p == first[tc.id]) != tc.cached {
			t.Errorf("%s: served from the cache %v, want %v", tc.id, p == first[tc.id], tc.cached)
		}
		s1, _ := e.v.Score(first[tc.id], first[ids[1]])
		s2, _ := e.v.Score(p, first[ids[1]])
		if s1 != s2 {
			t.Errorf("%s: prepared again scores %v, was %v", tc.id, s2, s1)
		}
	}
	// ids[0] was looked up last, so ids[2] (least recently used) is the one dropped now.
	if p, _ := sv.Voiceprint(ids[2]); p == first[ids[2]] {
		t.Error("the least recently used voiceprint was not evicted")
	}
	sv.Invalidate(ids[2])
	if n := sv.CachedVoiceprints(); n != 1 {
		t.Errorf("%d voiceprints cached after an invalidation, want 1", n)
	}
	if err := sv.SetCacheSize(0); err != nil || sv.cacheMax != DefaultVoiceprintCache {
		t.Errorf("SetCacheSize(0): %v, bound %d", err, sv.cacheMax)
	}
}
