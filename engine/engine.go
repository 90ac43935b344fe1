package engine

import (
	"errors"
	"fmt"
	"sync"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

// ErrNoVoiceprint is returned by a Voiceprints source for a subject without a voiceprint.
var ErrNoVoiceprint = errors.New("engine: no voiceprint for the subject")

// ErrNoConsent is returned by a Voiceprints source for a subject whose voiceprint may not be
// used because their consent is not active.
var ErrNoConsent = errors.New("engine: the subject's consent is not active")

// Voiceprints looks up a claimed subject's voiceprint, prepared for scoring (see Engine.Prepare).
// It returns ErrNoVoiceprint or ErrNoConsent (possibly wrapped) when there is none to use.
// It must be safe for concurrent use.
type Voiceprints interface {
	Voiceprint(subjectID string) (*models.Probe, error)
}

// WatchlistEntry is one watchlisted voice.
type WatchlistEntry struct {
	ID    string        // stable entry id
	Label string        // short description shown to agents (no personal data)
	Probe *models.Probe // the voice, prepared for scoring
}

// Watchlist lists the watchlisted voices; it is read at every assessment, so it should return a
// cached slice (which the engine does not modify). It must be safe for concurrent use.
type Watchlist interface {
	Entries() []WatchlistEntry
}

// Options are what New needs besides the bundle.
type Options struct {
	Config      Config      // zero fields take DefaultConfig's values
	Voiceprints Voiceprints // nil: nobody has a voiceprint
	Watchlist   Watchlist   // nil: an empty watchlist
	// Thresholder turns false-accept rates into LLR thresholds. Nil: the bundle's verifier
	// (models.Verifier.ThresholdAtFAR, from operating points measured on held-out speakers);
	// where it has no answer, the bound calibrated LLRs obey (see Thresholds).
	Thresholder FARThresholder
}

// Engine holds what every call shares: the bundle, its verifier, the decision thresholds and the
// voiceprint sources. It is safe for concurrent use; each call gets its own Session.
type Engine struct {
	b     *models.Bundle
	v     *models.Verifier
	fecfg dsp.FrontendConfig
	// fecfg2 is the second speaker system's front end (models.Bundle.Second), nil without one:
	// every recording (Stats) also feeds it, and with live2 (Config.SecondSystem) every call,
	// in step with fecfg's frames (dsp.SameFrames).
	fecfg2 *dsp.FrontendConfig
	live2  bool
	cfg    Config
	thr    FARThresholder // Options.Thresholder as given (nil: the verifier's)
	th     Thresholds
	// th1 are the thresholds of trials the verifier scores with the first system alone when it
	// fuses two (models.Verifier.Fuses false: past the fusion's limit, a call that dropped the
	// second system, a voiceprint without its statistics): the first system's own operating
	// points (models.Bundle.FirstSystem), so that such a trial is judged as an engine without
	// the second system judges it. Equal to th when the verifier does not fuse.
	th1  Thresholds
	vp   Voiceprints
	wl   Watchlist
	pool sync.Pool // *snapshot

	spoof *SpoofDetector // nil: the bundle has no countermeasure (see spoof.go)
	// aug is the bundle's enrollment augmentation (models.Bundle.EnrollAugment); nil: none.
	aug *dsp.ChannelAugmentation
}

// New builds an engine on bundle b, whose metadata must record the front end it was trained with.
func New(b *models.Bundle, o Options) (*Engine, error) {
	cfg, err := o.Config.withDefaults()
	if err != nil {
		return nil, err
	}
	fecfg, err := frontendOf(b)
	if err != nil {
		return nil, err
	}
	if fecfg.Dim() != b.UBM.D {
		return nil, fmt.Errorf("engine: front end yields %d-dimensional frames, UBM wants %d", fecfg.Dim(), b.UBM.D)
	}
	var fecfg2 *dsp.FrontendConfig
	if b.Second != nil {
		c2, err := frontendOf(b.Second)
		if err != nil {
			return nil, fmt.Errorf("second system: %w", err)
		}
		if c2.Dim() != b.Second.UBM.D {
			return nil, fmt.Errorf("engine: the second system's front end yields %d-dimensional frames, its UBM wants %d", c2.Dim(), b.Second.UBM.D)
		}
		if !dsp.SameFrames(fecfg, c2) {
			return nil, errors.New("engine: the second system's front end does not frame and VAD the audio as the first does, so a call cannot feed both in step")
		}
		fecfg2 = &c2
	}
	vb := b // the verifier's bundle: both systems fused, or the first alone (Config.SecondSystem)
	if !cfg.SecondSystem {
		vb = b.FirstSystem()
	}
	v, err := models.NewVerifier(vb)
	if err != nil {
		return nil, err
	}
	thr := o.Thresholder
	if thr == nil {
		thr, _ = any(v).(FARThresholder)
	}
	e := &Engine{b: b, v: v, fecfg: fecfg, fecfg2: fecfg2, live2: fecfg2 != nil && cfg.SecondSystem, cfg: cfg, thr: o.Thresholder,
		th: cfg.thresholds(thr), vp: o.Voiceprints, wl: o.Watchlist}
	e.th1 = e.th
	if vb.Second != nil {
		thr1 := o.Thresholder
		if thr1 == nil {
			thr1 = vb.FirstSystem()
		}
		e.th1 = cfg.thresholds(thr1)
	}
	if name := b.EnrollAugment(); name != "" {
		a, err := dsp.ChannelAugmentationByName(name)
		if err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		e.aug = &a
	}
	if b.Spoof != nil {
		if e.spoof, err = NewSpoofDetector(b.Spoof, cfg.SpoofFAR); err != nil {
			return nil, err
		}
		if e.spoof.SampleRate() != e.SampleRate() {
			return nil, fmt.Errorf("engine: countermeasure runs at %d Hz, the front end at %d Hz", e.spoof.SampleRate(), e.SampleRate())
		}
	}
	return e, nil
}

// WithSecondSystem returns an engine like e (its bundle, configuration and Options.Thresholder)
// that scores with the bundle's second speaker system too (Config.SecondSystem on), taking
// voiceprints from vp and the watchlist from wl, whose probes must be prepared with both systems
// (StoreVoices.Fused). It is for recordings scored whole, such as one-shot uploads, which have
// no live-call latency to keep: with live fusion off (Config's zero value, serve
// --second-system=false: for the cost of a call's first seconds), they still get the fused
// verifier and its thresholds. When e already scores
// with the second system, or the bundle has none, it returns e itself.
func (e *Engine) WithSecondSystem(vp Voiceprints, wl Watchlist) (*Engine, error) {
	if e.live2 || e.fecfg2 == nil {
		return e, nil
	}
	cfg := e.cfg
	cfg.SecondSystem = true
	return New(e.b, Options{Config: cfg, Voiceprints: vp, Watchlist: wl, Thresholder: e.thr})
}

// frontendOf reads the front-end configuration recorded in b (as recipe.FrontendOf does).
func frontendOf(b *models.Bundle) (dsp.FrontendConfig, error) {
	if b == nil || b.UBM == nil {
		return dsp.FrontendConfig{}, errors.New("engine: bundle has no UBM")
	}
	if len(b.Meta.FrontEnd) == 0 {
		return dsp.FrontendConfig{}, errors.New("engine: model bundle records no front-end configuration")
	}
	cfg, err := dsp.ParseFrontendConfig(b.Meta.FrontEnd)
	if err != nil {
		return cfg, fmt.Errorf("engine: model bundle: %w", err)
	}
	return cfg, nil
}

// SampleRate is the rate, in samples per second, of the audio sessions expect.
func (e *Engine) SampleRate() int { return e.fecfg.MFCC.SampleRate }

// Config returns the engine's policy, defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Thresholds returns the LLR thresholds the policy's rates came to (with a verifier fusing two
// speaker systems, those of fused trials; FirstSystemThresholds those of the others).
func (e *Engine) Thresholds() Thresholds { return e.th }

// FirstSystemThresholds returns the thresholds of trials scored by the first speaker system
// alone in an engine that fuses two (Thresholds otherwise).
func (e *Engine) FirstSystemThresholds() Thresholds { return e.th1 }

// ThresholdsAt returns the thresholds of a trial whose test side has speechSeconds of net speech,
// both sides carrying the second system's statistics: Thresholds while the verifier fuses such a
// test (under the fusion's limit), FirstSystemThresholds from the limit on (and always without
// a second system in the verifier).
func (e *Engine) ThresholdsAt(speechSeconds float64) Thresholds {
	if e.v.Second() != nil && e.b.FusesTest(speechSeconds*100) {
		return e.th
	}
	return e.th1
}

// trialThresholds returns the thresholds a trial of enroll against test is judged by: th when
// the verifier fuses it, th1 when its LLR is the first system's alone.
func (e *Engine) trialThresholds(enroll, test *models.Probe) *Thresholds {
	if e.v.Fuses(enroll, test) {
		return &e.th
	}
	return &e.th1
}

// Bundle returns the engine's model bundle.
func (e *Engine) Bundle() *models.Bundle { return e.b }

// Stats returns the Baum-Welch statistics of the voiced frames of a whole recording (samples in
// [-1, 1) at SampleRate), as a session fed the same audio accumulates them (with a second
// system, its statistics too: models.Stats.Second).
func (e *Engine) Stats(samples []float32) (*models.Stats, error) {
	st := e.b.NewStats()
	if err := accumulateAll(e.fecfg, e.b, st, samples); err != nil {
		return nil, err
	}
	if e.fecfg2 != nil {
		if err := accumulateAll(*e.fecfg2, e.b.Second, st.Second, samples); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// accumulateAll adds the voiced frames of a whole recording, through front end cfg, to st with
// bundle b's UBM, a burst at a time as a session does.
func accumulateAll(cfg dsp.FrontendConfig, b *models.Bundle, st *models.Stats, samples []float32) error {
	fe, err := dsp.NewFrontend(cfg)
	if err != nil {
		return err
	}
	fe.Push(samples)
	fe.Flush()
	gs := b.NewStatsScratch()
	d := fe.Dim()
	buf := make([]float32, burstFrames*d) // voiced frames, accumulated a burst at a time
	n := 0
	for {
		voiced, ok := fe.Next(buf[n*d : (n+1)*d])
		if !ok {
			b.UBM.AccumulateFrames(st, buf[:n*d], gs)
			return nil
		}
		if voiced {
			if n++; n == burstFrames {
				b.UBM.AccumulateFrames(st, buf, gs)
				n = 0
			}
		}
	}
}

// Prepare turns statistics (of an enrollment, or a watchlisted voice) into a probe for
// Voiceprints and Watchlist sources.
func (e *Engine) Prepare(s *models.Stats) (*models.Probe, error) {
	return e.v.Prepare(s, e.v.NewScratch())
}

// PrepareAudio turns enrollment audio (samples in [-1, 1) at SampleRate) into a probe, with the
// statistics of its augmented copy when the bundle augments enrollments.
func (e *Engine) PrepareAudio(x []float32) (*models.Probe, error) {
	st, err := e.Stats(x)
	if err != nil {
		return nil, err
	}
	var aug *models.Stats
	if e.aug != nil {
		if aug, err = e.augmentedStats(x); err != nil {
			return nil, err
		}
	}
	return e.v.PrepareEnrollment(st, aug, e.v.NewScratch())
}

// snapshot is the working space of one assessment, pooled across sessions: a spare front end to
// flush, a copy of the statistics, the provisional tail's frames and the verifier's scratch.
type snapshot struct {
	fe    *dsp.Frontend
	stats *models.Stats
	tail  []float32 // provisional frames, Dim each
	voice []bool
	vs    *models.VerifierScratch
	// The second system's front end and provisional frames (nil and empty without one).
	fe2   *dsp.Frontend
	tail2 []float32
}

// callStats returns zeroed statistics for a call: with the second system's only when calls feed
// it (Config.SecondSystem).
func (e *Engine) callStats() *models.Stats {
	if e.live2 {
		return e.b.NewStats()
	}
	return e.b.UBM.NewStats()
}

func (e *Engine) getSnapshot() *snapshot {
	if s, ok := e.pool.Get().(*snapshot); ok {
		return s
	}
	fe, err := dsp.NewFrontend(e.fecfg)
	if err != nil {
		panic(err) // validated in New
	}
	snap := &snapshot{fe: fe, stats: e.callStats(), vs: e.v.NewScratch()}
	if e.live2 {
		if snap.fe2, err = dsp.NewFrontend(*e.fecfg2); err != nil {
			panic(err) // validated in New
		}
	}
	return snap
}
