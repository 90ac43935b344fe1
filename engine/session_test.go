package engine

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/voxguard/voxguard/dsp"

	"github.com/voxguard/voxguard/internal/cputime"
	"github.com/voxguard/voxguard/models"
)

const callFile = "corpus:mini-librispeech/1088/1088-134315-0000.wav"

func newTestEngine(t testing.TB) (*Engine, *fakeVoiceprints) {
	t.Helper()
	vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
	e, err := New(testBundle(t), Options{Voiceprints: vp, Watchlist: vp, Thresholder: fakeThresholder(4)})
	if err != nil {
		t.Fatal(err)
	}
	return e, vp
}

// The final statistics equal the batch computation over the whole call, bit for bit, and so
// does the final assessment.
func TestFinalEqualsBatch(t *testing.T) {
	e, vp := newTestEngine(t)
	x := loadAudio(t, callFile, e.SampleRate())
	batch, err := e.Stats(x)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Prepare(batch)
	if err != nil {
		t.Fatal(err)
	}
	vp.probes["self"] = p
	r := rand.New(rand.NewPCG(3, 4))
	s := e.NewSession("c1")
	s.Claim("self")
	for pos := 0; pos < len(x); {
		n := min(len(x)-pos, 1+r.IntN(3000))
		if _, err := s.Push(x[pos : pos+n]); err != nil {
			t.Fatal(err)
		}
		pos += n
	}
	a, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Stats(), batch) {
		t.Fatal("session statistics differ from the batch statistics")
	}
	want, _ := e.v.Score(p, p)
	if a.Verification.LLR != want {
		t.Errorf("final LLR against its own batch voiceprint %v, want %v", a.Verification.LLR, want)
	}
	if _, err := s.Push(x[:10]); !errors.Is(err, ErrStopped) {
		t.Errorf("Push after Stop: %v", err)
	}
	if _, err := s.Claim("x"); !errors.Is(err, ErrStopped) {
		t.Errorf("Claim after Stop: %v", err)
	}
	if _, err := s.Stop(); !errors.Is(err, ErrStopped) {
		t.Errorf("second Stop: %v", err)
	}
}

// A mid-call claim is scored from the statistics of exactly the audio so far, provisional tail
// included: the same LLR as the batch statistics of that prefix give.
func TestClaimScoresPrefixAsBatch(t *testing.T) {
	e, vp := newTestEngine(t)
	x := loadAudio(t, callFile, e.SampleRate())
	enroll, _ := e.Stats(loadAudio(t, "corpus:mini-librispeech/1088/1088-134315-0001.wav", e.SampleRate()))
	vp.probes["alice"], _ = e.Prepare(enroll)
	for _, cut := range []int{5 * 8000, 7*8000 + 123, 10*8000 + 7} {
		s := e.NewSession("c")
		s.Push(x[:cut])
		out, _ := s.Claim("alice")
		if len(out) != 1 {
			t.Fatalf("cut %d: claim gave %d assessments, want 1", cut, len(out))
		}
		st, _ := e.Stats(x[:cut])
		pp, _ := e.Prepare(st)
		want, _ := e.v.Score(vp.probes["alice"], pp)
		if got := out[0].Verification.LLR; got != want {
			t.Errorf("cut %d: claim LLR %v, batch prefix %v", cut, got, want)
		}
	}
}

// Push allocates nothing per 20 ms chunk in steady state (between assessments).
func TestPushAllocs(t *testing.T) {
	e, _ := newTestEngine(t)
	x := loadAudio(t, callFile, e.SampleRate())
	s := e.NewSession("c")
	s.Push(x[:8000*8]) // warm: buffers grown, a few assessments made
	pos := 8000 * 8
	// Measure on silence, where no assessment can fall due. AllocsPerRun rounds the average
	// down, so count the total over 500 chunks (10 s) instead.
	silence := make([]float32, 160)
	allocs := testing.AllocsPerRun(1, func() {
		for range 500 {
			s.Push(silence)
		}
	})
	if allocs != 0 && !raceEnabled {
		t.Errorf("%.0f allocations over 500 chunks (10 s) of silence, want 0", allocs)
	}
	// On speech, only the snapshots near a due point allocate (dsp.Frontend.CopyFrom, the
	// assessment itself). Count them over the rest of the call.
	chunks := 0
	allocs = testing.AllocsPerRun(1, func() {
		for p := pos; p+160 <= len(x); p += 160 {
			s.Push(x[p : p+160])
			chunks++
		}
	})
	t.Logf("%.0f allocations over %d chunks of speech (%.2f per chunk, all in snapshots and assessments)", allocs, chunks, allocs/float64(chunks))
}

func TestConfigValidation(t *testing.T) {
	b := testBundle(t)
	for _, c := range []Config{
		{MatchFAR: 1.5}, {WatchlistFAR: -0.1}, {Every: -time.Second}, {MediumRisk: 80, HighRisk: 70},
	} {
		if _, err := New(b, Options{Config: c}); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	e, err := New(b, Options{Thresholder: noThresholds{}})
	if err != nil {
		t.Fatal(err)
	}
	if th := e.Thresholds(); th.Match < 4.6 || th.Mismatch > -4.6 || th.Watchlist < 6.9 || th.MatchSource != "bound" {
		t.Errorf("calibration-bound thresholds %+v, want -ln(rate)", th)
	}
	// The bundle's own measured operating points, where it has them.
	e, err = New(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bundle thresholds: %+v", e.Thresholds())
}

// noThresholds has no measured operating point.
type noThresholds struct{}

func (noThresholds) ThresholdAtFAR(float64) (float64, error) { return 0, errors.New("none") }

func TestFuseBands(t *testing.T) {
	e, _ := newTestEngine(t)
	for _, c := range []struct {
		p       float64
		reasons []Reason
		risk    int
		band    Band
	}{
		{0.01, nil, 1, BandLow},
		{0.95, nil, 69, BandMedium},
		{0.2, []Reason{ReasonNoVoiceprint}, 40, BandMedium},
		{0.5, []Reason{ReasonInsufficientSpeech}, 50, BandMedium},
		{0.999, []Reason{ReasonVoiceMismatch}, 100, BandHigh},
		{0.0, []Reason{ReasonKnownFraudster}, 70, BandHigh},
	} {
		r, b := e.fuse(c.p, c.reasons)
		if r != c.risk || b != c.band {
			t.Errorf("fuse(%v, %v) = %d %s, want %d %s", c.p, c.reasons, r, b, c.risk, c.band)
		}
	}
}

// benchEngine returns the test engine, or one on VOXGUARD_BENCH_MODEL's bundle if set.
// VOXGUARD_BENCH_TAIL_STRIDE=K sets Config.TailStride with that bundle, and
// VOXGUARD_BENCH_SECOND_SYSTEM=1 Config.SecondSystem.
func benchEngine(b *testing.B) (*Engine, *fakeVoiceprints) {
	e, vp := newTestEngine(b)
	if path := os.Getenv("VOXGUARD_BENCH_MODEL"); path != "" {
		bundle, err := models.ReadBundleFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var cfg Config
		if v := os.Getenv("VOXGUARD_BENCH_TAIL_STRIDE"); v != "" {
			if cfg.TailStride, err = strconv.Atoi(v); err != nil {
				b.Fatal(err)
			}
		}
		cfg.SecondSystem = os.Getenv("VOXGUARD_BENCH_SECOND_SYSTEM") == "1"
		if e, err = New(bundle, Options{Config: cfg, Voiceprints: vp, Watchlist: vp}); err != nil {
			b.Fatal(err)
		}
	}
	return e, vp
}

// benchCall returns the benchmark engine with customer "alice" enrolled and a watchlist of 10,
// and the 16 s call audio.
func benchCall(b *testing.B) (*Engine, []float32) {
	e, vp := benchEngine(b)
	x := loadAudio(b, callFile, e.SampleRate())
	enroll, _ := e.Stats(loadAudio(b, "corpus:mini-librispeech/1088/1088-134315-0001.wav", e.SampleRate()))
	vp.probes["alice"], _ = e.Prepare(enroll)
	for i := range 10 {
		vp.watch = append(vp.watch, WatchlistEntry{ID: string(rune('a' + i)), Probe: vp.probes["alice"]})
	}
	return e, x
}

// BenchmarkSessionsInterleaved is BenchmarkSession with 200 calls live at once, each pushed
// its next 20 ms in turn, as a loaded server interleaves them: every session's state and the
// models' large matrices compete for the caches. One op is one 16 s call; rtf is per call, and
// cpu-ms/call the process's CPU time (user+system, garbage collection included) per call, which
// a shared machine distorts less than wall time.
func BenchmarkSessionsInterleaved(b *testing.B) {
	e, x := benchCall(b)
	const live = 200
	b.ResetTimer()
	cpu0 := cputime.Process()
	for done := 0; done < b.N; done += live {
		ss := make([]*Session, min(live, b.N-done))
		for i := range ss {
			ss[i] = e.NewSession("bench")
			ss[i].Claim("alice")
		}
		for p := 0; p < len(x); p += 160 {
			for _, s := range ss {
				s.Push(x[p:min(p+160, len(x))])
			}
		}
		for _, s := range ss {
			s.Stop()
		}
	}
	cpu := cputime.Process() - cpu0
	audioSec := float64(len(x)) / float64(e.SampleRate()) * float64(b.N)
	b.ReportMetric(b.Elapsed().Seconds()/audioSec, "rtf")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/call")
}

// BenchmarkSessionMemory reports the heap a live session holds (50 sessions, 5 s of speech
// each, measured after garbage collection).
func BenchmarkSessionMemory(b *testing.B) {
	e, _ := benchEngine(b)
	x := loadAudio(b, callFile, e.SampleRate())[:5*8000]
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ss := make([]*Session, 50)
		for i := range ss {
			ss[i] = e.NewSession("m")
			ss[i].Push(x)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/50/1024, "KiB/session")
		runtime.KeepAlive(ss)
	}
}

// BenchmarkSession streams a 16 s call in 20 ms chunks, with a claim and a watchlist of 10, and
// reports the real-time factor (wall seconds per audio second, one goroutine) and the latency of
// one assessment (the Push call that emits it). VOXGUARD_BENCH_MODEL=FILE benchmarks that bundle
// instead of the tiny test bundle.
func BenchmarkSession(b *testing.B) {
	e, x := benchCall(b)
	var assessing time.Duration
	var n int
	b.ResetTimer()
	for range b.N {
		s := e.NewSession("bench")
		s.Claim("alice")
		for p := 0; p < len(x); p += 160 {
			t0 := time.Now()
			out, _ := s.Push(x[p:min(p+160, len(x))])
			if len(out) > 0 {
				assessing += time.Since(t0)
				n += len(out)
			}
		}
		s.Stop()
	}
	audioSec := float64(len(x)) / float64(e.SampleRate()) * float64(b.N)
	b.ReportMetric(b.Elapsed().Seconds()/audioSec, "rtf")
	if n > 0 {
		b.ReportMetric(float64(assessing.Microseconds())/float64(n), "µs/assessment")
	}
}

// BenchmarkAccumulateFrames is the statistics' share of a call: Gaussian selection and
// Baum-Welch accumulation of the voiced frames of the benchmark call (real speech, the bundle's
// front end), per frame.
func BenchmarkAccumulateFrames(b *testing.B) {
	e, x := benchCall(b)
	frames, voiced, err := dsp.Process(x, e.fecfg)
	if err != nil {
		b.Fatal(err)
	}
	var fr [][]float32
	for i, f := range frames {
		if voiced[i] {
			fr = append(fr, f)
		}
	}
	ubm := e.b.UBM
	st := ubm.NewStats()
	sc := e.b.NewStatsScratch()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ubm.Accumulate(st, fr[i%len(fr)], sc)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

// SamplesUntilDue never promises more audio than the next progressive assessment needs: a push
// shorter than it returns none, whatever the chunking, in speech and across a long silence. It
// is also no trivial bound: right after an assessment it is at least half a second, and in speech a
// push of exactly that many samples often returns the next one.
func TestSamplesUntilDue(t *testing.T) {
	e, _ := newTestEngine(t)
	speech := loadAudio(t, callFile, e.SampleRate())
	sr := e.SampleRate()
	withSilence := append(append(append([]float32{}, speech[:5*sr]...), make([]float32, 4*sr)...), speech[5*sr:]...)
	for _, tc := range []struct {
		name      string
		x         []float32
		exact     bool // push exactly SamplesUntilDue samples whenever they are there
		wantTight bool
	}{
		{"speech, random chunks", speech, false, false},
		{"silence inside, random chunks", withSilence, false, false},
		{"speech, chunks of the bound", speech, true, true},
		{"silence inside, chunks of the bound", withSilence, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 6))
			s := e.NewSession("c")
			assessments, tight := 0, 0
			for pos := 0; pos < len(tc.x); {
				u := s.SamplesUntilDue()
				if u < 1 {
					t.Fatalf("at %d: bound %d < 1", pos, u)
				}
				n := min(len(tc.x)-pos, 1+r.IntN(3000))
				if tc.exact {
					n = int(min(int64(len(tc.x)-pos), u))
				}
				out, err := s.Push(tc.x[pos : pos+n])
				if err != nil {
					t.Fatal(err)
				}
				pos += n
				if len(out) == 0 {
					continue
				}
				assessments += len(out)
				if int64(n) < u {
					t.Fatalf("at %d: an assessment after %d samples, bound %d", pos, n, u)
				}
				if int64(n) == u {
					tight++
				}
				if after := s.SamplesUntilDue(); after < int64(sr/2) {
					t.Errorf("at %d: bound %d right after an assessment, want at least half a second", pos, after)
				}
			}
			if assessments < 3 {
				t.Fatalf("%d assessments, want at least 3", assessments)
			}
			if tc.wantTight && tight*2 < assessments {
				t.Errorf("%d of %d assessments came exactly at the bound, want at least half", tight, assessments)
			}
			s.Stop()
			if u := s.SamplesUntilDue(); u != math.MaxInt64 {
				t.Errorf("after Stop: %d, want MaxInt64", u)
			}
		})
	}
}
