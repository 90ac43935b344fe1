package engine

import (
	"errors"
	"math"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

// ErrStopped is returned by Push and Claim after Stop.
var ErrStopped = errors.New("engine: session already stopped")

// Session is one call: a synchronous, deterministic state machine fed the caller's audio with
// Push, told the claimed identity with Claim and ended with Stop, each returning the Assessments
// it produced. It is not safe for concurrent use; sessions of different calls run in parallel.
// Its memory is constant whatever the call's length.
type Session struct {
	e      *Engine
	callID string

	fe    *dsp.Frontend
	stats *models.Stats // statistics of the final voiced frames, but for the pending ones
	gs    *models.Scratch
	dim   int // feature dimension
	// pend holds final voiced frames not yet in stats (npend of them, burstFrames at most): they
	// are accumulated in bursts, so that the UBM's selection matrices, shared by every call but
	// evicted from the core's cache by the other calls in between, are loaded once per burst
	// rather than once per 20 ms chunk, and each row once for three frames of the burst
	// (GMM.AccumulateFrames). The statistics are the same as frame by frame.
	pend  []float32
	npend int
	// The second speaker system's front end, selection scratch, dimension and pending frames
	// (models.Bundle.Second; nil without one): fed the same audio, its frames come in step with
	// fe's, and its statistics are stats.Second. Once the final voiced frames reach the fusion's
	// limit (models.Bundle.FusesTest), from which every assessment is the first system's alone,
	// fe2 is dropped (nil) and stats.Second keeps the speech before it.
	fe2   *dsp.Frontend
	gs2   *models.Scratch
	dim2  int
	pend2 []float32

	frameLen, shift int   // samples
	checkStep       int64 // samples between due checks
	first, every    int   // voiced frames
	conclusive      int   // voiced frames

	samples   int64 // samples pushed
	nextCheck int64 // sample position of the next due check
	frames    int   // final frames
	voiced    int   // final voiced frames
	due       int   // voiced frames at which the next progressive assessment is due

	seq        int
	claim      string
	claimProbe *models.Probe
	claimErr   error
	stopped    bool
	out        []Assessment

	sp *SpoofStream // spoofing countermeasure, nil without one (spoof.go)

	wlRank  []rankedEntry    // shortlist scratch (risk.go)
	wlShort []WatchlistEntry // shortlist scratch (risk.go)
}

// NewSession starts the session of call callID (an opaque id, echoed in every Assessment).
func (e *Engine) NewSession(callID string) *Session {
	fe, err := dsp.NewFrontend(e.fecfg)
	if err != nil {
		panic(err) // validated in New
	}
	m := e.fecfg.MFCC
	perFrame := m.FrameShiftMs / 1000 // seconds per frame
	frames := func(d float64) int { return int(math.Ceil(d/perFrame - 1e-9)) }
	s := &Session{
		e: e, callID: callID, fe: fe,
		stats:      e.callStats(),
		gs:         e.b.NewStatsScratch(),
		dim:        fe.Dim(),
		pend:       make([]float32, burstFrames*fe.Dim()),
		frameLen:   m.FrameLength(),
		shift:      m.FrameShift(),
		checkStep:  max(1, int64(e.cfg.CheckEvery.Seconds()*float64(m.SampleRate))),
		first:      max(1, frames(e.cfg.FirstAfter.Seconds())),
		every:      max(1, frames(e.cfg.Every.Seconds())),
		conclusive: frames(e.cfg.ConclusiveSpeech.Seconds()),
	}
	s.nextCheck, s.due = s.checkStep, s.first
	if e.live2 {
		if s.fe2, err = dsp.NewFrontend(*e.fecfg2); err != nil {
			panic(err) // validated in New
		}
		s.gs2, s.dim2 = e.b.Second.NewStatsScratch(), s.fe2.Dim()
		s.pend2 = make([]float32, burstFrames*s.dim2)
	}
	if e.spoof != nil {
		s.sp = e.spoof.NewStream()
	}
	return s
}

// CallID returns the session's call id.
func (s *Session) CallID() string { return s.callID }

// SampleRate is the rate, in samples per second, Push expects.
func (s *Session) SampleRate() int { return s.e.SampleRate() }

// SpeechSeconds is the net speech of the final frames so far (it lags the audio by up to 3 s).
func (s *Session) SpeechSeconds() float64 { return s.seconds(s.voiced) }

// Stopped reports whether Stop has been called.
func (s *Session) Stopped() bool { return s.stopped }

// Stats returns the statistics of the call's final voiced frames (after Stop: the whole call),
// for enrollment from a finished call; with a second system whose fusion stops at a limit
// (models.Metadata.FusionMaxSeconds), the second's (Stats.Second) cover the speech up to it.
// The caller must not modify them.
func (s *Session) Stats() *models.Stats {
	s.flush()
	return s.stats
}

// Fusing reports whether the session still feeds the bundle's second speaker system (engine
// Config.SecondSystem): false without one, with it off, past the fusion's limit of net speech
// (models.Metadata.FusionMaxSeconds) and after DropSecondSystem.
func (s *Session) Fusing() bool { return s.fe2 != nil }

// DropSecondSystem stops feeding the bundle's second speaker system for the rest of the call,
// as reaching the fusion's limit of net speech does: every later assessment, the final one
// included, is the first system's alone (the LLR a voiceprint without the second system's
// statistics gets), and the second's statistics (Stats().Second) keep the speech before it. For
// a server short of processor time (server.Config.FusionShedDelay): the second system is
// ~30 % of a call's cost while it is fed. No effect when the session is not fusing.
func (s *Session) DropSecondSystem() {
	if s.fe2 == nil {
		return
	}
	s.flush()
	s.fe2, s.gs2, s.pend2, s.dim2 = nil, nil, nil, 0
}

// Sheddable reports whether the session still has costly optional work a server short of
// processor time can drop (Shed): the second speaker system while it is fed, or the
// countermeasure's spectrum network while it has not yet scored the call
// (SpoofStream.SpecPending).
func (s *Session) Sheddable() bool {
	return s.fe2 != nil || s.SpecPending()
}

// Shed drops the session's optional work for the rest of the call: the second speaker system
// (DropSecondSystem) and the countermeasure's spectrum network (DropSpec).
func (s *Session) Shed() {
	s.DropSecondSystem()
	s.DropSpec()
}

// SpecPending reports whether the countermeasure's spectrum network has yet to score the call
// (SpoofStream.SpecPending): work DropSpec can still save.
func (s *Session) SpecPending() bool { return s.sp != nil && s.sp.SpecPending() }

// SpecViewsPending reports whether the countermeasure's spectrum network has yet to score the
// call with its views, and could score it with its first network alone
// (SpoofStream.ViewsPending): work DropSpecViews can still save.
func (s *Session) SpecViewsPending() bool { return s.sp != nil && s.sp.ViewsPending() }

// DropSpecViews drops the spectrum network's views for the rest of the call
// (SpoofStream.DropViews): its first network then scores alone, at its own thresholds. For a
// server short of processor time, before DropSpec; no effect unless SpecViewsPending.
func (s *Session) DropSpecViews() {
	if s.sp != nil {
		s.sp.DropViews()
	}
}

// DropSpec drops the countermeasure's spectrum network for the rest of the call
// (SpoofStream.DropSpec): its spoofing verdicts are then the other countermeasure systems' at
// their own thresholds. For a server short of processor time; no effect unless SpecPending.
func (s *Session) DropSpec() {
	if s.sp != nil {
		s.sp.DropSpec()
	}
}

func (s *Session) seconds(frames int) float64 {
	return math.Round(float64(frames)*s.e.fecfg.MFCC.FrameShiftMs/10) / 100
}

// Push feeds caller audio (samples in [-1, 1) at SampleRate, any chunk size) and returns the
// assessments that fell due, usually none. The returned slice is reused by the next call. In
// steady state Push allocates nothing except when it emits an assessment.
func (s *Session) Push(samples []float32) ([]Assessment, error) {
	if s.stopped {
		return nil, ErrStopped
	}
	s.out = s.out[:0]
	for len(samples) > 0 {
		n := int(min(int64(len(samples)), s.nextCheck-s.samples))
		s.fe.Push(samples[:n])
		if s.fe2 != nil {
			s.fe2.Push(samples[:n])
		}
		if s.sp != nil {
			s.sp.Push(samples[:n])
		}
		s.samples += int64(n)
		samples = samples[n:]
		s.drain()
		if s.samples == s.nextCheck {
			s.nextCheck += s.checkStep
			s.check()
		}
	}
	return s.out, nil
}

// SamplesUntilDue returns how many more samples (at SampleRate) Push needs at the least before
// it can return the next progressive assessment: if every frame not yet judged turned out to be
// speech, the first due check at or after that many samples would emit it. It is at least 1 and
// never more than the true number, so a caller that holds audio back for efficiency (a server
// batching socket reads) can do so without delaying any assessment. After Stop it returns
// math.MaxInt64.
func (s *Session) SamplesUntilDue() int64 {
	if s.stopped {
		return math.MaxInt64
	}
	// check emits once voiced + computable − frames ≥ due, where computable, the frames that the
	// samples so far make, is ⌊(samples − frameLen)/shift⌋ + 1.
	need := int64(s.due - s.voiced + s.frames)
	at := int64(0)
	if need > 0 {
		at = int64(s.frameLen) + (need-1)*int64(s.shift)
	}
	next := s.nextCheck
	if at > next {
		next += (at - next + s.checkStep - 1) / s.checkStep * s.checkStep
	}
	return next - s.samples
}

// burstFrames is how many final voiced frames a session holds before accumulating them (0.32 s
// of speech; 7.5 kB at 60 dimensions).
const burstFrames = 32

// drain collects the front end's final voiced frames, accumulating them into the running
// statistics a burst at a time.
func (s *Session) drain() {
	d := s.dim
	for {
		slot := s.pend[s.npend*d : (s.npend+1)*d]
		voiced, ok := s.fe.Next(slot)
		if !ok {
			return
		}
		if s.fe2 != nil {
			d2 := s.dim2
			voiced2, ok2 := s.fe2.Next(s.pend2[s.npend*d2 : (s.npend+1)*d2])
			if !ok2 || voiced2 != voiced {
				panic("engine: the second front end's frames fell out of step") // dsp.SameFrames, checked in New
			}
		}
		s.frames++
		if voiced {
			s.voiced++
			if s.npend++; s.npend == burstFrames {
				s.flush()
			}
			if s.fe2 != nil && !s.e.b.FusesTest(float64(s.voiced)) {
				s.DropSecondSystem() // past the fusion's limit: the first system alone
			}
		}
	}
}

// flush accumulates the pending frames into the running statistics, in order.
func (s *Session) flush() {
	s.e.b.UBM.AccumulateFrames(s.stats, s.pend[:s.npend*s.dim], s.gs)
	if s.fe2 != nil {
		s.e.b.Second.UBM.AccumulateFrames(s.stats.Second, s.pend2[:s.npend*s.dim2], s.gs2)
	}
	s.npend = 0
}

// check emits a progressive assessment if the net speech, provisional tail included, has reached
// the next due point. It takes a snapshot only when the frames not yet final could get there.
func (s *Session) check() {
	computable := 0
	if s.samples >= int64(s.frameLen) {
		computable = int((s.samples-int64(s.frameLen))/int64(s.shift)) + 1
	}
	if s.voiced+computable-s.frames < s.due {
		return
	}
	snap := s.snapshot()
	defer s.e.pool.Put(snap)
	total := s.voiced + len(snap.voice)
	if total < s.due {
		return
	}
	for s.due <= total {
		s.due += s.every
	}
	s.emit(snap, false)
}

// snapshot flushes a copy of the front end (and the second system's) and collects the
// provisional tail's voiced frames.
func (s *Session) snapshot() *snapshot {
	snap := s.e.getSnapshot()
	snap.fe.CopyFrom(s.fe)
	snap.fe.Flush()
	if s.fe2 != nil {
		snap.fe2.CopyFrom(s.fe2)
		snap.fe2.Flush()
	}
	snap.voice = snap.voice[:0]
	d, d2 := s.dim, s.dim2
	n := 0
	for {
		if cap(snap.tail) < (n+1)*d {
			snap.tail = append(snap.tail[:cap(snap.tail)], make([]float32, max(d, cap(snap.tail)))...)
		}
		snap.tail = snap.tail[:cap(snap.tail)]
		if s.fe2 != nil && cap(snap.tail2) < (n+1)*d2 {
			snap.tail2 = append(snap.tail2[:cap(snap.tail2)], make([]float32, max(d2, cap(snap.tail2)))...)
		}
		snap.tail2 = snap.tail2[:cap(snap.tail2)]
		voiced, ok := snap.fe.Next(snap.tail[n*d : (n+1)*d])
		if !ok {
			break
		}
		if s.fe2 != nil {
			voiced2, ok2 := snap.fe2.Next(snap.tail2[n*d2 : (n+1)*d2])
			if !ok2 || voiced2 != voiced {
				panic("engine: the second front end's frames fell out of step") // dsp.SameFrames, checked in New
			}
		}
		if voiced {
			snap.voice = append(snap.voice, true)
			n++
		}
	}
	snap.tail = snap.tail[:n*d]
	snap.tail2 = snap.tail2[:n*d2]
	return snap
}

// emit appends an assessment of the final statistics plus the snapshot's tail.
func (s *Session) emit(snap *snapshot, final bool) {
	s.flush()
	n := len(snap.voice)
	tailStats(s.e.b, snap.stats, s.stats, snap.tail, s.dim, n, s.e.cfg.TailStride, s.gs)
	st := snap.stats
	if s.fe2 != nil {
		tailStats(s.e.b.Second, st.Second, s.stats.Second, snap.tail2, s.dim2, n, s.e.cfg.TailStride, s.gs2)
	} else if keep := st.Second; keep != nil {
		// Past the fusion's limit: the first system alone, and the pooled snapshot's second
		// statistics, stale, stay out of it.
		st.Second = nil
		defer func() { st.Second = keep }()
	}
	s.out = append(s.out, s.assess(st, s.voiced+n, final, snap.vs))
}

// tailStats sets dst's own N and F (not dst.Second, which the caller fills with the second
// system's bundle) to final's plus those of the n provisional frames of d dimensions in tail
// under bundle b's UBM: with stride > 1, every stride-th frame (tail is overwritten), weighted
// to count as the whole tail (Config.TailStride).
func tailStats(b *models.Bundle, dst, final *models.Stats, tail []float32, d, n, stride int, gs *models.Scratch) {
	if stride > 1 && n > 1 {
		tail, m := tail[:n*d], 0
		for i := 0; i < n; i += stride {
			copy(tail[m*d:(m+1)*d], tail[i*d:(i+1)*d])
			m++
		}
		clear(dst.N)
		clear(dst.F)
		dst.UBM = final.UBM
		b.UBM.AccumulateFrames(dst, tail[:m*d], gs)
		// dst = dst·(n/m) + final, N and F only (dst.Second, if any, is the caller's to fill).
		k := float64(n) / float64(m)
		for i, x := range final.N {
			dst.N[i] = dst.N[i]*k + x
		}
		for i, x := range final.F {
			dst.F[i] = dst.F[i]*k + x
		}
		return
	}
	copy(dst.N, final.N)
	copy(dst.F, final.F)
	dst.UBM = final.UBM
	b.UBM.AccumulateFrames(dst, tail[:n*d], gs)
}

// Claim sets the subject the caller claims to be (replacing any earlier claim). If the session
// has already assessed the call, the claim is scored at once from the statistics so far and the
// returned slice holds that assessment; otherwise the first progressive assessment includes it.
func (s *Session) Claim(subjectID string) ([]Assessment, error) {
	if s.stopped {
		return nil, ErrStopped
	}
	s.out = s.out[:0]
	s.claim, s.claimProbe, s.claimErr = subjectID, nil, nil
	if s.e.vp == nil {
		s.claimErr = ErrNoVoiceprint
	} else {
		s.claimProbe, s.claimErr = s.e.vp.Voiceprint(subjectID)
		if s.claimErr == nil && s.claimProbe == nil {
			s.claimErr = ErrNoVoiceprint
		}
	}
	if s.seq > 0 {
		snap := s.snapshot()
		s.emit(snap, false)
		s.e.pool.Put(snap)
	}
	return s.out, nil
}

// Claimed returns the current claim ("" for none).
func (s *Session) Claimed() string { return s.claim }

// Stop ends the call: every held-back frame becomes final and the final assessment, equal to the
// batch computation over the whole call (the first system's alone after DropSecondSystem), is
// returned. Further Push, Claim and Stop calls fail.
func (s *Session) Stop() (Assessment, error) {
	if s.stopped {
		return Assessment{}, ErrStopped
	}
	s.stopped = true
	s.fe.Flush()
	if s.fe2 != nil {
		s.fe2.Flush()
	}
	s.drain()
	snap := s.e.getSnapshot()
	snap.voice, snap.tail = snap.voice[:0], snap.tail[:0]
	s.out = s.out[:0]
	s.emit(snap, true)
	s.e.pool.Put(snap)
	return s.out[0], nil
}
