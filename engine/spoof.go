package engine

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

// Spoof countermeasure decisions (Spoof.Decision), besides Inconclusive (too little speech) and
// NotAssessed (the bundle has no countermeasure).
const (
	// Spoofed: the countermeasure's score exceeded the threshold set at Config.SpoofFAR.
	Spoofed Decision = "spoof"
	// BonaFide: the score stayed at or below that threshold.
	BonaFide Decision = "bonafide"
)

// DefaultSpoofFAR is the default false-alarm rate, on bona fide speech, of SYNTHETIC_VOICE.
const DefaultSpoofFAR = 0.01

// MinSpoofSeconds is the least audio, in seconds of frames above the countermeasure's level floor,
// on which the countermeasure decides; below it the decision is inconclusive.
const MinSpoofSeconds = 1.0

// SpoofDetector applies a bundle's spoofing countermeasure at a stated false-alarm rate. It is
// immutable and safe for concurrent use; each call stream needs its own SpoofStream.
type SpoofDetector struct {
	cm        *models.Countermeasure
	cfg       dsp.LFCCConfig
	spec      []dsp.SpecConfig // the spectrum networks' front ends (models.Countermeasure.SpecFrontEnds)
	specMax   int              // samples the spectrum network reads: its first SpecSeconds
	far       float64
	threshold float64 // mean frame LLR above which a recording is flagged
	minFrames int
	// once: the network scores a stream once, when its SpecSeconds are in (or at Final), and
	// the other systems' fused score judges it until then at baseThreshold
	// (Countermeasure.BaseFARThresholds); without base thresholds the network scores the audio
	// so far at every assessment.
	once          bool
	baseThreshold float64
	// primary: with views, the first network may score alone, judged at primaryThreshold
	// (Countermeasure.SpecPrimary), when a stream's views were dropped (SpoofStream.DropViews).
	primary          bool
	primaryThreshold float64
}

// NewSpoofDetector returns a detector for cm (prepared, as ReadBundle leaves it) flagging at
// false-alarm rate far on bona fide speech (the nearest stored operating point not above far).
func NewSpoofDetector(cm *models.Countermeasure, far float64) (*SpoofDetector, error) {
	if cm == nil {
		return nil, errors.New("engine: no spoofing countermeasure")
	}
	if err := cm.Validate(); err != nil {
		return nil, err
	}
	var cfg dsp.LFCCConfig
	if err := json.Unmarshal(cm.FrontEnd, &cfg); err != nil {
		return nil, fmt.Errorf("engine: countermeasure front end: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if n := cm.StatsDim(); n != 0 && n != cfg.SpectralStatsDim() {
		return nil, fmt.Errorf("engine: countermeasure's linear scorer wants %d statistics, its front end yields %d", n, cfg.SpectralStatsDim())
	}
	if cfg.Dim() != cm.Dim() {
		return nil, fmt.Errorf("engine: countermeasure front end yields %d dimensions, its GMMs want %d", cfg.Dim(), cm.Dim())
	}
	thr, ok := cm.Threshold(far)
	if !ok {
		return nil, errors.New("engine: countermeasure has no false-alarm operating points")
	}
	d := &SpoofDetector{cm: cm, cfg: cfg, far: far, threshold: thr,
		minFrames: int(MinSpoofSeconds * 1000 / cfg.FrameShiftMs)}
	if cm.Spec != nil {
		for i, raw := range cm.SpecFrontEnds() {
			var fe dsp.SpecConfig
			if err := json.Unmarshal(raw, &fe); err != nil {
				return nil, fmt.Errorf("engine: countermeasure spectrum front end: %w", err)
			}
			if err := fe.Validate(); err != nil {
				return nil, err
			}
			bins := cm.Spec.Bins
			if i > 0 {
				bins = cm.SpecViews[i-1].Net.Bins
			}
			if fe.SampleRate != cfg.SampleRate || fe.Bins < bins {
				return nil, fmt.Errorf("engine: countermeasure spectrum front end (%d Hz, %d bins) does not fit its network (%d bins) or the LFCC's %d Hz", fe.SampleRate, fe.Bins, bins, cfg.SampleRate)
			}
			d.spec = append(d.spec, fe)
		}
		d.specMax = int(cm.SpecSeconds * float64(cfg.SampleRate))
		d.baseThreshold, d.once = cm.BaseThreshold(far)
		d.primaryThreshold, d.primary = cm.PrimaryThreshold(far)
		d.primary = d.primary && d.once
	}
	return d, nil
}

// Threshold is the countermeasure score above which speech is flagged.
func (d *SpoofDetector) Threshold() float64 { return d.threshold }

// SampleRate is the rate, in samples per second, the detector's front end expects.
func (d *SpoofDetector) SampleRate() int { return d.cfg.SampleRate }

// Decide turns a mean frame LLR over frames scored frames into a verdict.
func (d *SpoofDetector) Decide(llr float64, frames int) Spoof {
	return d.decideAt(llr, frames, d.threshold)
}

// decideAt is Decide at threshold thr.
func (d *SpoofDetector) decideAt(llr float64, frames int, thr float64) Spoof {
	switch {
	case frames < d.minFrames:
		return Spoof{LLR: llr, Decision: Inconclusive}
	case llr > thr:
		return Spoof{LLR: llr, Decision: Spoofed}
	}
	return Spoof{LLR: llr, Decision: BonaFide}
}

// Score is the batch verdict on a whole recording (samples in [-1, 1) at SampleRate).
func (d *SpoofDetector) Score(samples []float32) Spoof {
	st := d.NewStream()
	st.Push(samples)
	return st.Final()
}

// SpoofStream accumulates the countermeasure's frame log-likelihood ratios as audio streams in,
// in constant memory: LFCC frames are computed per pushed chunk and scored a burst at a time
// (the two GMMs, shared by every call, are then loaded into the core's cache once per burst
// rather than once per chunk; the score is the same as frame by frame). Not safe for concurrent
// use.
type SpoofStream struct {
	d  *SpoofDetector
	fe *dsp.LFCC
	// audio keeps the stream's first SpecSeconds of samples for the spectrum network (nil
	// without one); specN is how many of them its cached log-odds specLogit have seen.
	audio     []float32
	specN     int
	specLogit float64
	specOK    bool
	// final: Final has been called; specDropped: DropSpec has been (the network never scores);
	// viewsDropped: DropViews has been (the first network scores alone).
	final, specDropped, viewsDropped bool
	sc                               *models.SpoofScorer
	stats                            []float64 // long-term spectral statistics scratch (nil without a linear scorer)
	// pend holds npend frames (spoofBurst at most) at or above the level floor, levels in
	// pendLv, not yet scored.
	pend   []float32
	pendLv []float64
	npend  int
}

// spoofBurst is how many countermeasure frames a stream holds before scoring them (0.48 s of
// speech at a 15 ms shift; 7.5 kB at 60 dimensions).
const spoofBurst = 32

// NewStream starts an empty stream.
func (d *SpoofDetector) NewStream() *SpoofStream {
	fe, err := dsp.NewLFCC(d.cfg)
	if err != nil {
		panic(err) // validated in NewSpoofDetector
	}
	// The scorer ignores frames below the countermeasure's level floor: their coefficients, and
	// spectra no scored frame's deltas reach, need not be computed (~20% of frames in read speech).
	fe.SkipBelow(d.cm.MinLevelDB)
	st := &SpoofStream{d: d, fe: fe, sc: models.NewSpoofScorer(d.cm),
		pend: make([]float32, spoofBurst*d.cfg.Dim()), pendLv: make([]float64, spoofBurst)}
	if d.cm.StatsDim() > 0 {
		fe.EnableSpectralStats(d.cm.MinLevelDB)
		st.stats = make([]float64, d.cfg.SpectralStatsDim())
	}
	return st
}

// Push feeds samples and scores every frame that became available.
func (s *SpoofStream) Push(samples []float32) {
	if s.d.specMax > 0 && !s.specDropped && len(s.audio) < s.d.specMax {
		s.audio = append(s.audio, samples[:min(len(samples), s.d.specMax-len(s.audio))]...)
	}
	s.fe.Push(samples)
	s.drain()
}

// SpecPending reports whether the stream will still run the spectrum network once (its
// detector's base thresholds let it wait for the network's audio), so that DropSpec would save
// that work.
func (s *SpoofStream) SpecPending() bool {
	return s.d.once && !s.specDropped && !(s.specN == s.d.specMax && s.specN > 0)
}

// DropSpec stops the spectrum network for the rest of the stream, for a server short of
// processor time (the network costs ~11 CPU ms per call, as much as the rest of a call's scoring
// with the first speaker system alone): every later verdict, the final one included, is the
// other systems' at their own thresholds (Countermeasure.BaseFARThresholds), as a live call's
// first seconds are. No effect unless SpecPending.
func (s *SpoofStream) DropSpec() {
	if s.SpecPending() {
		s.specDropped, s.audio = true, nil
	}
}

// ViewsPending reports whether the stream will still run the spectrum network's views (further
// front ends' networks, Countermeasure.SpecViews) with it, and could run the first network
// alone instead (its detector has Countermeasure.SpecPrimary): work DropViews would save.
func (s *SpoofStream) ViewsPending() bool {
	return s.d.primary && !s.viewsDropped && s.SpecPending()
}

// DropViews stops the spectrum network's views for the rest of the stream, for a server short
// of processor time (a short window's view costs about twice the first network): the first
// network then scores alone, fused and judged at its own thresholds
// (Countermeasure.SpecPrimary). No effect unless ViewsPending.
func (s *SpoofStream) DropViews() {
	if s.ViewsPending() {
		s.viewsDropped, s.specN = true, -1
	}
}

// specScore is the spectrum network's log-odds on the audio kept so far (the mean over its
// views, or the first network's alone once they were dropped), computed again only when more
// audio has come (ok is false while the speech is too short for it).
func (s *SpoofStream) specScore() (float64, bool) {
	if len(s.audio) != s.specN {
		s.specN = len(s.audio)
		s.specOK = false
		fes := s.d.spec
		if s.viewsDropped {
			fes = fes[:1]
		}
		recs := make([]models.SpecRecording, len(fes))
		for i, fe := range fes {
			rows, T, err := dsp.LogSpectrogram(s.audio, fe, nil)
			if err != nil {
				return 0, false
			}
			recs[i] = models.SpecRecording{X: rows, T: T, Stride: fe.Bins}
		}
		if s.viewsDropped {
			s.specLogit, s.specOK = s.d.cm.PrimaryLogit(recs[0])
		} else {
			s.specLogit, s.specOK = s.d.cm.SpecLogit(recs)
		}
	}
	return s.specLogit, s.specOK
}

// drain collects the frames that became available; those under the level floor, which the
// scorer would skip, are dropped at once.
func (s *SpoofStream) drain() {
	d := s.d.cfg.Dim()
	for {
		lv, ok := s.fe.Next(s.pend[s.npend*d : (s.npend+1)*d])
		if !ok {
			return
		}
		if lv < s.d.cm.MinLevelDB {
			continue
		}
		s.pendLv[s.npend] = lv
		if s.npend++; s.npend == spoofBurst {
			s.flush()
		}
	}
}

// flush scores the pending frames, in order.
func (s *SpoofStream) flush() {
	s.sc.AddFrames(s.pend[:s.npend*s.d.cfg.Dim()], s.pendLv[:s.npend])
	s.npend = 0
}

// Current is the verdict on the frames scored so far (the last few frames, which wait for their
// deltas' look-ahead, count only at Final).
func (s *SpoofStream) Current() Spoof {
	s.flush()
	if s.stats != nil {
		s.fe.SpectralStats(s.stats)
	}
	score := s.d.cm.Combine(s.sc.LLR(), s.stats, s.sc.NetScore())
	if s.d.cm.Spec != nil {
		if s.d.once && (s.specDropped || !s.final && len(s.audio) < s.d.specMax) {
			// The network waits for its audio (or was shed): the other systems judge alone.
			return s.d.decideAt(score, s.sc.Frames(), s.d.baseThreshold)
		}
		spec, ok := s.specScore()
		switch {
		case !ok && s.d.once:
			return s.d.decideAt(score, s.sc.Frames(), s.d.baseThreshold)
		case !ok:
			// Too little speech for the network: no verdict yet.
			return Spoof{LLR: 0, Decision: Inconclusive}
		}
		if s.viewsDropped {
			return s.d.decideAt(s.d.cm.FusePrimary(score, spec), s.sc.Frames(), s.d.primaryThreshold)
		}
		score = s.d.cm.Fusion.FuseSpec(score, spec)
	}
	return s.d.Decide(score, s.sc.Frames())
}

// Final flushes the front end and returns the verdict on the whole stream, equal to Score on the
// concatenated audio. Pushing afterwards is not allowed.
func (s *SpoofStream) Final() Spoof {
	s.final = true
	s.fe.Flush()
	s.drain()
	return s.Current()
}

// applySpoof records the countermeasure's verdict in a: a spoof decision adds SYNTHETIC_VOICE as
// the first reason (it outranks a voiceprint match: a match on a synthetic voice is the most
// dangerous result to show an agent) and demotes a "match" verification to inconclusive.
func applySpoof(a *Assessment, sp Spoof) {
	a.Spoof = sp
	if sp.Decision != Spoofed {
		return
	}
	a.Reasons = append([]Reason{ReasonSyntheticVoice}, a.Reasons...)
	if a.Verification.Decision == Match {
		a.Verification.Decision = Inconclusive
	}
}
