package engine

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/store"
)

// corporaDir and testBundle are the shared test helpers of internal/testkit.
func corporaDir(t testing.TB) string { return testkit.CorporaDir(t) }

func testBundle(t testing.TB) *models.Bundle { return testkit.TinyBundle(t) }

func TestBundleTrains(t *testing.T) {
	b := testBundle(t)
	t.Logf("UBM %d x %d", b.UBM.C, b.UBM.D)
}

// fusedBundle is the test bundle with a second system: a copy of its own speaker models (the
// same front end, so the frames stay in step), fused 0.7 / 0.4 / 0.1.
// firstLLR is the LLR of enroll against test by fusedBundle's first system alone (the test
// bundle), their second statistics left out.
func firstLLR(t testing.TB, enroll, test *models.Stats) float64 {
	t.Helper()
	v1, err := models.NewVerifier(testBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	prep := func(s *models.Stats) *models.Probe {
		c := s.Clone()
		c.Second = nil
		p, err := v1.Prepare(c, v1.NewScratch())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	l, _ := v1.Score(prep(enroll), prep(test))
	return l
}

// pushChunks streams x through s in chunks of n samples, calling before(pos) ahead of each chunk
// (nil: nothing), then stops it; it returns every assessment, the final one last.
func pushChunks(t testing.TB, s *Session, x []float32, n int, before func(pos int)) []Assessment {
	t.Helper()
	var got []Assessment
	for pos := 0; pos < len(x); pos += n {
		if before != nil {
			before(pos)
		}
		out, err := s.Push(x[pos:min(len(x), pos+n)])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out...)
	}
	a, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return append(got, a)
}

// engineOn builds an engine on b with cfg, vp as its voiceprints and watchlist (nil: none) and
// thr as its thresholder (nil: the bundle's operating points).
func engineOn(t testing.TB, b *models.Bundle, cfg Config, vp *fakeVoiceprints, thr FARThresholder) *Engine {
	t.Helper()
	o := Options{Config: cfg, Thresholder: thr}
	if vp != nil { // a nil *fakeVoiceprints would make a non-nil interface
		o.Voiceprints, o.Watchlist = vp, vp
	}
	e, err := New(b, o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// halfCallLimit sets b's fusion limit to half of callFile's net speech and returns the call's
// audio and batch statistics.
func halfCallLimit(t testing.TB, b *models.Bundle) ([]float32, *models.Stats) {
	t.Helper()
	e := engineOn(t, b, Config{}, nil, nil)
	x := loadAudio(t, callFile, e.SampleRate())
	batch, err := e.Stats(x)
	if err != nil {
		t.Fatal(err)
	}
	b.Meta.FusionMaxSeconds = math.Floor(batch.Frames()/2) / 100 // seconds
	return x, batch
}

func fusedBundle(t testing.TB) *models.Bundle { return testkit.FusedTinyBundle(t) }

// TestSecondSystemSession checks a live call with a bundle that fuses a second system: the
// session's statistics carry the second system's, equal to the batch computation bit for bit;
// the final assessment's LLR against the call's own batch voiceprint is the fused one; a
// mid-call claim scores the prefix as the batch statistics of that prefix do; and a store
// refuses the bundle until voiceprints keep the second system's statistics.
func TestSecondSystemSession(t *testing.T) {
	vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
	b := fusedBundle(t)
	e := engineOn(t, b, Config{SecondSystem: true}, vp, fakeThresholder(4))
	x := loadAudio(t, callFile, e.SampleRate())
	batch, err := e.Stats(x)
	if err != nil {
		t.Fatal(err)
	}
	if batch.Second == nil || batch.Second.Frames() != batch.Frames() {
		t.Fatalf("batch statistics: second system's missing or of another length")
	}
	p, err := e.Prepare(batch)
	if err != nil {
		t.Fatal(err)
	}
	vp.probes["self"] = p
	s := e.NewSession("c1")
	s.Claim("self")
	all := pushChunks(t, s, x, 1234, nil)
	a := all[len(all)-1]
	if !reflect.DeepEqual(s.Stats(), batch) {
		t.Fatal("session statistics differ from the batch statistics")
	}
	l1 := firstLLR(t, batch, batch)
	if want := 0.7*l1 + 0.4*l1 + 0.1; math.Abs(a.Verification.LLR-want) > 1e-9 {
		t.Errorf("final LLR %v, want the fusion %v of the two systems' %v", a.Verification.LLR, want, l1)
	}
	for _, cut := range []int{5 * 8000, 7*8000 + 123} {
		s := e.NewSession("c")
		s.Push(x[:cut])
		out, _ := s.Claim("self")
		st, _ := e.Stats(x[:cut])
		pp, _ := e.Prepare(st)
		want, _ := e.v.Score(p, pp)
		if len(out) != 1 || out[0].Verification.LLR != want {
			t.Errorf("cut %d: claim gave %v, want one assessment with the batch prefix's LLR %v", cut, out, want)
		}
	}
}

// TestSecondSystemStore checks voiceprints and watchlist entries with a bundle that fuses a
// second system: enrollment stores both systems' statistics, the stored voiceprint scores a call
// exactly as the same statistics prepared in memory do (the fusion), a voiceprint stored with
// the first system's statistics alone (made before the bundle had a second system) still
// verifies, with the first system's LLR, and a watchlist entry keeps the second's statistics.
func TestSecondSystemStore(t *testing.T) {
	b := fusedBundle(t)
	e, sv, st := storeEngineWith(t, b)
	id := subjectWithConsent(t, st)
	samples := analyze(t, e, aliceFiles...)
	rep, err := e.Enroll(sv, "t", id, samples, EnrollPolicy{})
	if err != nil || !rep.Accepted {
		t.Fatalf("enrollment refused: %+v, %v", rep, err)
	}
	vps, _ := st.ListVoiceprints(id)
	if len(vps) != 1 || vps[0].SecondVersion != StatsVersion(b.Second) || len(vps[0].SecondN) != b.Second.UBM.C {
		t.Fatalf("stored voiceprint without the second system's statistics: %+v", vps)
	}
	stored, err := sv.Voiceprint(id)
	if err != nil || stored.Second == nil {
		t.Fatalf("stored voiceprint's probe: second side %v, %v", stored != nil && stored.Second != nil, err)
	}
	call := corpusPCM(t, "1088/1088-134315-0000.wav")
	cs, _ := e.Stats(call)
	ct, _ := e.Prepare(cs)
	got, ok := e.v.Score(stored, ct)
	merged := samples[0].Stats.Clone()
	for _, smp := range samples[1:] {
		merged.Add(smp.Stats)
	}
	mem, _ := e.Prepare(merged)
	want, _ := e.v.Score(mem, ct)
	if !ok || math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("stored voiceprint LLR %v, in memory %v (float32 storage aside)", got, want)
	}

	// A voiceprint from before the second system.
	old := subjectWithConsent(t, st)
	vp := sv.voiceprintOf(merged)
	vp.SecondVersion, vp.SecondN, vp.SecondF = "", nil, nil
	vp.SubjectID, vp.SpeechSeconds, vp.Source = old, 10, "upload"
	if _, err := st.AddVoiceprint("t", vp); err != nil {
		t.Fatal(err)
	}
	po, err := sv.Voiceprint(old)
	if err != nil || po.Second != nil {
		t.Fatalf("first-system-only voiceprint: second side %v, %v", po != nil && po.Second != nil, err)
	}
	w1 := firstLLR(t, merged, cs)
	if l, ok := e.v.Score(po, ct); !ok || math.Abs(l-w1) > 1e-6*math.Max(1, math.Abs(w1)) {
		t.Errorf("first-system-only voiceprint LLR %v, want the first system's %v", l, w1)
	}

	we, err := sv.AddWatchlist("t", store.WatchlistEntry{Label: "ring A", CaseRef: "C-1", LegalBasis: "Art. 6(1)(f)"}, cs, 12, "call:c")
	if err != nil {
		t.Fatal(err)
	}
	full, err := st.GetWatchlistEntry(we.ID, true)
	if err != nil || full.Voiceprint.SecondVersion != StatsVersion(b.Second) {
		t.Fatalf("watchlist entry without the second system's statistics: %q, %v", full.Voiceprint.SecondVersion, err)
	}
	if wl := sv.Entries(); len(wl) != 1 || wl[0].Probe.Second == nil {
		t.Errorf("in-memory watchlist: %d entries, want 1 with its second side", len(wl))
	}
}

// TestSecondSystemTailStride checks Config.TailStride with a second system: the assessments do
// not depend on the chunking, fall due as without thinning, and the final one is unchanged.
func TestSecondSystemTailStride(t *testing.T) {
	vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
	engineWith := func(k int) *Engine {
		e, err := New(fusedBundle(t), Options{Config: Config{TailStride: k, SecondSystem: true}, Voiceprints: vp, Watchlist: vp, Thresholder: fakeThresholder(4)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ref, thin := engineWith(1), engineWith(3)
	x := loadAudio(t, callFile, ref.SampleRate())
	enroll, _ := ref.Stats(loadAudio(t, "corpus:mini-librispeech/1088/1088-134315-0001.wav", ref.SampleRate()))
	vp.probes["alice"], _ = ref.Prepare(enroll)
	want, got := streamCall(t, ref, x, 1), streamCall(t, thin, x, 1)
	if !reflect.DeepEqual(got, streamCall(t, thin, x, 2)) {
		t.Error("assessments depend on the chunking")
	}
	if len(got) != len(want) || len(got) < 4 {
		t.Fatalf("%d assessments thinned, %d not: want the same, at least 4", len(got), len(want))
	}
	if last := len(got) - 1; !reflect.DeepEqual(got[last], want[last]) {
		t.Errorf("final assessment %+v, want %+v", got[last], want[last])
	}
}

// TestSecondSystemFusionLimit checks a session with a fusion limit (models.Metadata.
// FusionMaxSeconds) halfway through the call's speech: every assessment, before and after the
// limit, equals the batch LLR of the audio so far under the same bundle (fused below the limit,
// the first system's alone from it on); past the limit the session stops feeding the second
// system, whose statistics then hold exactly the speech before it (the batch's first frames);
// and a session in the same engine afterwards, below the limit, still fuses (the pooled
// snapshots keep their second statistics).
func TestSecondSystemFusionLimit(t *testing.T) {
	vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
	b := fusedBundle(t)
	x, batch := halfCallLimit(t, b)
	limit := b.Meta.FusionMaxSeconds
	e := engineOn(t, b, Config{SecondSystem: true}, vp, fakeThresholder(4))
	p, err := e.Prepare(batch)
	if err != nil {
		t.Fatal(err)
	}
	vp.probes["self"] = p
	s := e.NewSession("c1")
	s.Claim("self")
	got := pushChunks(t, s, x, 800, nil)
	a := got[len(got)-1]
	fusedSeen, firstSeen := false, false
	for _, a := range got {
		frames := a.SpeechSeconds * 100 // net speech, final and provisional, in frames
		if b.FusesTest(frames) {
			fusedSeen = true
		} else {
			firstSeen = true
		}
	}
	if !fusedSeen || !firstSeen {
		t.Fatalf("assessments at %v: want some on each side of the %g s limit", got, limit)
	}
	// The final assessment is past the limit: the first system's LLR of the whole call.
	if l1 := firstLLR(t, batch, batch); math.Abs(a.Verification.LLR-l1) > 1e-9 {
		t.Errorf("final LLR %v, want the first system's %v", a.Verification.LLR, l1)
	}
	st := s.Stats()
	if !reflect.DeepEqual(st.N, batch.N) || !reflect.DeepEqual(st.F, batch.F) {
		t.Error("the first system's statistics differ from the batch statistics")
	}
	if n := st.Second.Frames(); math.Abs(n-limit*100) > 1e-6 {
		t.Errorf("second statistics of %g frames, want the %g before the limit", n, limit*100)
	}
	// Mid-call, either side of the limit: the claim's LLR is the batch prefix's.
	for _, cut := range []int{len(x) / 4, len(x) / 3, 3 * len(x) / 4, len(x) - 1000} {
		s := e.NewSession("c")
		s.Push(x[:cut])
		out, _ := s.Claim("self")
		pst, _ := e.Stats(x[:cut])
		pp, _ := e.Prepare(pst)
		want, _ := e.v.Score(p, pp)
		if len(out) != 1 || math.Abs(out[0].Verification.LLR-want) > 1e-9 {
			t.Errorf("cut %d: claim gave %v, want one assessment with the batch prefix's LLR %v", cut, out, want)
		}
	}
}

// TestSecondSystemOff checks an engine on a fused bundle with Config.SecondSystem off (the
// default): calls are scored by the first system alone, with its own thresholds (Metadata.
// FirstFARThresholds), and keep no second statistics; enrollments still store both systems'
// statistics, so that the same voiceprint serves an engine with the second system on.
func TestSecondSystemOff(t *testing.T) {
	b := fusedBundle(t)
	b.Meta.FARThresholds = []models.FARPoint{{FAR: 0.001, LLR: 9.5}, {FAR: 0.01, LLR: 9}}
	b.Meta.FirstFARThresholds = []models.FARPoint{{FAR: 0.001, LLR: 3.5}, {FAR: 0.01, LLR: 3}}
	for _, c := range []struct {
		on   bool
		want float64
	}{{false, 3}, {true, 9}} {
		e, err := New(b, Options{Config: Config{SecondSystem: c.on}})
		if err != nil {
			t.Fatal(err)
		}
		if m := e.Thresholds().Match; m != c.want {
			t.Errorf("second system %v: match threshold %v, want %v", c.on, m, c.want)
		}
	}
	off, svOff, st := storeEngineConfig(t, b, Config{})
	on, err := New(b, Options{Config: Config{SecondSystem: true}, Thresholder: fakeThresholder(4)})
	if err != nil {
		t.Fatal(err)
	}
	id := subjectWithConsent(t, st)
	samples := analyze(t, off, aliceFiles...)
	if samples[0].Stats.Second == nil {
		t.Fatal("enrollment analysis without the second system's statistics")
	}
	if rep, err := off.Enroll(svOff, "t", id, samples, EnrollPolicy{}); err != nil || !rep.Accepted {
		t.Fatalf("enrollment refused: %+v, %v", rep, err)
	}
	vps, _ := st.ListVoiceprints(id)
	if len(vps) != 1 || len(vps[0].SecondN) != b.Second.UBM.C {
		t.Fatal("the voiceprint stored with the second system off lacks its statistics")
	}
	pOff, err := svOff.Voiceprint(id)
	if err != nil || pOff.Second != nil {
		t.Fatalf("probe with the second system off: second side %v, %v", pOff != nil && pOff.Second != nil, err)
	}
	svOn, err := NewStoreVoices(st, b, true)
	if err != nil {
		t.Fatal(err)
	}
	pOn, err := svOn.Voiceprint(id)
	if err != nil || pOn.Second == nil {
		t.Fatalf("the same voiceprint with the second system on: second side %v, %v", pOn != nil && pOn.Second != nil, err)
	}

	x := loadAudio(t, callFile, off.SampleRate())
	call := func(e *Engine, p *models.Probe) (Assessment, *models.Stats) {
		vp := &fakeVoiceprints{probes: map[string]*models.Probe{"alice": p}, noConsent: map[string]bool{}}
		e.vp = vp
		s := e.NewSession("c")
		s.Claim("alice")
		for pos := 0; pos < len(x); pos += 1600 {
			s.Push(x[pos:min(len(x), pos+1600)])
		}
		a, _ := s.Stop()
		return a, s.Stats()
	}
	aOff, stOff := call(off, pOff)
	aOn, _ := call(on, pOn)
	cs, _ := off.Stats(x)
	merged := samples[0].Stats.Clone()
	for _, smp := range samples[1:] {
		merged.Add(smp.Stats)
	}
	if want := firstLLR(t, merged, cs); math.Abs(aOff.Verification.LLR-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("final LLR with the second system off %v, want the first system's %v", aOff.Verification.LLR, want)
	}
	if math.Abs(aOn.Verification.LLR-aOff.Verification.LLR) < 1e-3 {
		t.Errorf("final LLR with the second system on %v: not the fusion (off: %v)", aOn.Verification.LLR, aOff.Verification.LLR)
	}
	if stOff.Second != nil {
		t.Error("a call with the second system off kept second statistics")
	}
}

// TestSecondSystemRecordings checks Engine.WithSecondSystem and StoreVoices.Fused, the fused
// scoring of recordings (one-shot uploads) beside live calls scored by the first system alone:
// with live fusion off, a recording scored by the derived engine gets exactly the verification
// LLR, watchlist LLRs and thresholds of an engine with the second system on over the same store,
// where the live engine gets the first system's; the fused sources follow consent (withdrawn:
// ErrNoConsent) and watchlist changes; and an engine already fused, or on a bundle without a
// second system, derives itself.
func TestSecondSystemRecordings(t *testing.T) {
	b := fusedBundle(t)
	off, svOff, st := storeEngineConfig(t, b, Config{})
	id := subjectWithConsent(t, st)
	samples := analyze(t, off, aliceFiles...)
	if rep, err := off.Enroll(svOff, "t", id, samples, EnrollPolicy{}); err != nil || !rep.Accepted {
		t.Fatalf("enrollment refused: %+v, %v", rep, err)
	}
	rec, err := off.WithSecondSystem(svOff.Fused())
	if err != nil {
		t.Fatal(err)
	}
	svOn, err := NewStoreVoices(st, b, true)
	if err != nil {
		t.Fatal(err)
	}
	on, err := New(b, Options{Config: Config{SecondSystem: true}, Voiceprints: svOn, Watchlist: svOn, Thresholder: fakeThresholder(4)})
	if err != nil {
		t.Fatal(err)
	}
	// A watchlist entry added after both adapters exist: each reloads its own copy on change,
	// so svOn (not the adapter that stored it) is reloaded by hand.
	wx := loadAudio(t, "corpus:mini-librispeech/1088/1088-134315-0002.wav", off.SampleRate())
	ws, _ := off.Stats(wx)
	if _, err := svOff.AddWatchlist("t", store.WatchlistEntry{Label: "ring A", CaseRef: "C-1", LegalBasis: "Art. 6(1)(f)"}, ws, 10, "upload"); err != nil {
		t.Fatal(err)
	}
	if err := svOn.ReloadWatchlist(); err != nil {
		t.Fatal(err)
	}
	if th, want := rec.Thresholds(), on.Thresholds(); th != want {
		t.Errorf("derived engine's thresholds %+v, want the fused engine's %+v", th, want)
	}
	x := loadAudio(t, callFile, off.SampleRate())
	oneShot := func(e *Engine) Assessment {
		s := e.NewSession("upload")
		s.Claim(id)
		if _, err := s.Push(x); err != nil {
			t.Fatal(err)
		}
		a, err := s.Stop()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	aRec, aOn, aOff := oneShot(rec), oneShot(on), oneShot(off)
	if aRec.Verification.LLR != aOn.Verification.LLR || aRec.Verification.LLR == 0 {
		t.Errorf("derived engine's LLR %v, want the fused engine's %v", aRec.Verification.LLR, aOn.Verification.LLR)
	}
	if math.Abs(aRec.Verification.LLR-aOff.Verification.LLR) < 1e-3 {
		t.Errorf("derived engine's LLR %v: not the fusion (live engine's %v)", aRec.Verification.LLR, aOff.Verification.LLR)
	}
	if len(aRec.Watchlist) != 1 || len(aOn.Watchlist) != 1 || aRec.Watchlist[0].LLR != aOn.Watchlist[0].LLR {
		t.Errorf("derived engine's watchlist hits %+v, want the fused engine's %+v", aRec.Watchlist, aOn.Watchlist)
	}
	if len(aOff.Watchlist) == 1 && aOff.Watchlist[0].LLR == aRec.Watchlist[0].LLR {
		t.Error("live engine's watchlist LLR equals the fused one")
	}
	fvp, fwl := svOff.Fused()
	if p, err := fvp.Voiceprint(id); err != nil || p.Second == nil {
		t.Fatalf("fused voiceprint: second side %v, %v", p != nil && p.Second != nil, err)
	}
	if p, _ := svOff.Voiceprint(id); p.Second != nil {
		t.Error("the live adapter's voiceprint carries the second system's side")
	}
	if n := svOff.CachedVoiceprints(); n != 1 {
		t.Errorf("%d cached voiceprints, want 1: fused ones are not cached", n)
	}
	for _, w := range fwl.Entries() {
		if w.Probe.Second == nil {
			t.Error("fused watchlist entry without the second side")
		}
	}
	if err := svOff.RemoveWatchlist("t", svOff.Entries()[0].ID); err != nil {
		t.Fatal(err)
	}
	if n := len(fwl.Entries()); n != 0 {
		t.Errorf("fused watchlist has %d entries after the removal", n)
	}
	cs, _ := st.ListConsents(id)
	if _, err := st.WithdrawConsent("t", id, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fvp.Voiceprint(id); !errors.Is(err, ErrNoConsent) {
		t.Errorf("fused voiceprint after withdrawal: %v, want ErrNoConsent", err)
	}
	if _, err := fvp.Voiceprint("nobody"); !errors.Is(err, ErrNoVoiceprint) {
		t.Errorf("fused voiceprint of an unknown subject: %v, want ErrNoVoiceprint", err)
	}

	if e, _ := on.WithSecondSystem(svOn.Fused()); e != on {
		t.Error("an engine already fused derived another")
	}
	if vp, _ := svOn.Fused(); vp != Voiceprints(svOn) {
		t.Error("a fused adapter's Fused is not itself")
	}
	// Without a Thresholder of its own, the derived engine takes the fused bundle's thresholds
	// (Metadata.FARThresholds), the live one the first system's (FirstFARThresholds).
	bt := fusedBundle(t)
	bt.Meta.FARThresholds = []models.FARPoint{{FAR: 0.001, LLR: 9.5}, {FAR: 0.01, LLR: 9}}
	bt.Meta.FirstFARThresholds = []models.FARPoint{{FAR: 0.001, LLR: 3.5}, {FAR: 0.01, LLR: 3}}
	live, err := New(bt, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fused, err := live.WithSecondSystem(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l, f := live.Thresholds().Match, fused.Thresholds().Match; l != 3 || f != 9 {
		t.Errorf("match thresholds live %v, derived %v: want 3 and 9", l, f)
	}
	plain, err := New(testBundle(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := plain.WithSecondSystem(nil, nil); e != plain {
		t.Error("an engine without a second system derived another")
	}
}

// TestDropSecondSystem checks Session.DropSecondSystem: a fused call that drops the second
// system halfway scores every later assessment, and the final one, exactly as an engine with
// the second system off scores the same audio (the first system's LLRs), while those before the
// drop are the fused ones; its second statistics keep the speech before the drop; and dropping
// twice, or in a session that is not fusing, changes nothing.
func TestDropSecondSystem(t *testing.T) {
	vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
	b := fusedBundle(t)
	on := engineOn(t, b, Config{SecondSystem: true}, vp, fakeThresholder(4))
	off := engineOn(t, b, Config{}, vp, fakeThresholder(4))
	x := loadAudio(t, callFile, on.SampleRate())
	enroll, _ := on.Stats(loadAudio(t, "corpus:mini-librispeech/1088/1088-134315-0001.wav", on.SampleRate()))
	vp.probes["alice"], _ = on.Prepare(enroll)
	run := func(e *Engine, dropAt int) ([]Assessment, *Session) {
		s := e.NewSession("c")
		s.Claim("alice")
		return pushChunks(t, s, x, 800, func(pos int) {
			if pos == dropAt {
				s.DropSecondSystem()
				s.DropSecondSystem()
			}
		}), s
	}
	drop := len(x) / 2 / 800 * 800
	fused, _ := run(on, -1)
	first, sOff := run(off, drop)
	dropped, s := run(on, drop)
	if sOff.Fusing() || s.Fusing() {
		t.Error("a session reports fusing after Stop or with the second system off")
	}
	if len(dropped) != len(first) || len(fused) != len(first) {
		t.Fatalf("%d / %d / %d assessments", len(dropped), len(first), len(fused))
	}
	before, after := 0, 0
	for i, a := range dropped {
		switch {
		case a.Verification.LLR == first[i].Verification.LLR && a.Verification.LLR != fused[i].Verification.LLR:
			after++
		case a.Verification.LLR == fused[i].Verification.LLR && a.Verification.LLR != first[i].Verification.LLR:
			if after > 0 {
				t.Errorf("assessment %d is fused after one that was not", i)
			}
			before++
		default:
			t.Errorf("assessment %d: LLR %v, fused %v, first system %v", i, a.Verification.LLR, fused[i].Verification.LLR, first[i].Verification.LLR)
		}
	}
	if before == 0 || after < 2 {
		t.Errorf("%d fused assessments before the drop, %d of the first system after: want some of each", before, after)
	}
	st := s.Stats()
	if st.Second == nil || st.Second.Frames() <= 0 || st.Second.Frames() >= st.Frames() {
		t.Errorf("second statistics after the drop: %v frames of the call's %v", st.Second.Frames(), st.Frames())
	}
}

// TestFirstSystemTrialThresholds checks that an engine fusing two systems judges each trial by
// the operating points of the LLR it gives: fused trials by the bundle's (Metadata.
// FARThresholds), trials scored by the first system alone by its own (FirstFARThresholds) — past
// the fusion's limit, after Session.DropSecondSystem, and against a voiceprint without the
// second system's statistics — as an engine without the second system would judge them.
func TestFirstSystemTrialThresholds(t *testing.T) {
	vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
	b := fusedBundle(t)
	b.Meta.FARThresholds = []models.FARPoint{{FAR: 0.001, LLR: 9.5}, {FAR: 0.01, LLR: 9}}
	b.Meta.FirstFARThresholds = []models.FARPoint{{FAR: 0.001, LLR: 3.5}, {FAR: 0.01, LLR: 3}}
	b.Meta.FARThresholdsDegraded, b.Meta.FirstFARThresholdsDegraded = nil, nil
	x, batch := halfCallLimit(t, b)
	e := engineOn(t, b, Config{SecondSystem: true}, vp, nil)
	if e.Thresholds().Match != 9 || e.FirstSystemThresholds().Match != 3 {
		t.Fatalf("thresholds %v / %v, want 9 / 3", e.Thresholds().Match, e.FirstSystemThresholds().Match)
	}
	lim := b.Meta.FusionMaxSeconds
	if under, past := e.ThresholdsAt(lim/2).Match, e.ThresholdsAt(lim).Match; under != 9 || past != 3 {
		t.Errorf("ThresholdsAt: %v under the limit, %v at it; want 9 and 3", under, past)
	}
	vp.probes["self"], _ = e.Prepare(batch)
	first := batch.Clone()
	first.Second = nil
	vp.probes["old"], _ = e.Prepare(first)
	run := func(claim string, drop bool) []Assessment {
		s := e.NewSession("c")
		s.Claim(claim)
		if drop {
			s.DropSecondSystem()
		}
		return pushChunks(t, s, x, 800, nil)
	}
	for _, c := range []struct {
		name  string
		claim string
		drop  bool
	}{{"fused call", "self", false}, {"dropped at the start", "self", true}, {"voiceprint without the second system", "old", false}} {
		fused, firstOnly := 0, 0
		for _, a := range run(c.claim, c.drop) {
			th, ok := a.MatchThreshold()
			if !ok {
				continue
			}
			wantFused := !c.drop && c.claim == "self" && b.FusesTest(a.SpeechSeconds*100)
			switch {
			case wantFused && th == 9:
				fused++
			case !wantFused && th == 3:
				firstOnly++
			default:
				t.Errorf("%s: assessment at %.2f s judged at %v", c.name, a.SpeechSeconds, th)
			}
		}
		if c.name == "fused call" && (fused == 0 || firstOnly == 0) {
			t.Errorf("%s: %d fused and %d first-system assessments, want some of each", c.name, fused, firstOnly)
		}
		if c.name != "fused call" && (fused != 0 || firstOnly == 0) {
			t.Errorf("%s: %d fused and %d first-system assessments, want only the latter", c.name, fused, firstOnly)
		}
	}
}
