package engine

import (
	"fmt"
	"math"
	"time"

	"github.com/voxguard/voxguard/models"
)

// Config is a deployment's session and decision policy. Zero values take the defaults of
// DefaultConfig.
type Config struct {
	// FirstAfter is the net speech (voiced audio) before the first assessment.
	FirstAfter time.Duration
	// Every is the further net speech between progressive assessments.
	Every time.Duration
	// CheckEvery is the audio-time spacing of the positions at which a session checks whether an
	// assessment is due: it bounds the assessment's lateness in audio time.
	CheckEvery time.Duration
	// ConclusiveSpeech is the net speech under which an inconclusive verification is reported
	// with reason INSUFFICIENT_SPEECH (above it, inconclusive means the voices are just close).
	ConclusiveSpeech time.Duration
	// TailStride thins the provisional tail of a progressive assessment: the voiced frames at the
	// end of the audio so far whose normalisation window is not yet complete (up to ~1.5 s), which
	// each progressive assessment accumulates afresh and then discards. With stride k > 1 it
	// accumulates every k-th of them, weighted so that they count as many frames as the whole
	// tail. Final frames, and so the final assessment, are unaffected. 0: the default; 1: every
	// frame.
	TailStride int
	// SecondSystem scores sessions (live calls, and recordings pushed through one) with the
	// bundle's second speaker system too (models.Bundle.Second): each session feeds both front
	// ends until the fusion's limit of net speech (models.Metadata.FusionMaxSeconds) or
	// Session.DropSecondSystem, and every assessment under it is the fusion of both (serve's
	// default, which sheds it under load; Engine.WithSecondSystem derives such an engine for
	// recordings from one without). Off (the zero value), the engine scores with the
	// first system alone and its own thresholds (models.Bundle.FirstSystem), so a call costs what
	// a one-system bundle's does, and its statistics (Session.Stats) are the first system's
	// alone; enrollments from audio still keep both systems' statistics, so that voiceprints
	// made now serve a fused engine later. No effect without a second system.
	SecondSystem bool

	// MatchFAR is the target false-accept rate of a "match" verification decision.
	MatchFAR float64
	// MismatchFRR is the target false-reject rate of a "mismatch" decision: the share of genuine
	// callers who would be flagged VOICE_MISMATCH.
	MismatchFRR float64
	// WatchlistFAR is the target false-alarm rate, per watchlist entry, of a watchlist hit.
	WatchlistFAR float64
	// WatchlistPrior is the prior probability that a caller is a given watchlisted fraudster, used
	// to turn a watchlist LLR into a risk.
	WatchlistPrior float64
	// SpoofFAR is the target false-alarm rate, on bona fide speech, of SYNTHETIC_VOICE (used when
	// the bundle has a spoofing countermeasure).
	SpoofFAR float64
	// MaxWatchlistHits caps the hits listed per assessment (best first).
	MaxWatchlistHits int
	// WatchlistShortlist bounds the cost of a large watchlist: with more entries than this, each
	// assessment ranks them all by the cheap main-PLDA score (models.Verifier.PrescreenScore) and
	// gives only this many best the full fused score (61 KB of model vector each with the default bundle, 123 KB with c27's).
	// A fraudster's own entry ranks near the top, so hits are found as with every entry scored,
	// unless one would rank below this many others on that back end alone. 0: the default (64);
	// negative: score every entry fully.
	WatchlistShortlist int

	// MediumRisk and HighRisk are the lower bounds (0-100) of the medium and high bands.
	MediumRisk, HighRisk int
}

// DefaultConfig returns the default policy: first assessment after 3 s of net speech, then every
// 2 s; match at 1% FAR, mismatch at 1% FRR, watchlist hits at 0.1% FAR per entry.
func DefaultConfig() Config {
	return Config{
		FirstAfter: 3 * time.Second, Every: 2 * time.Second, CheckEvery: 200 * time.Millisecond,
		ConclusiveSpeech: 10 * time.Second, TailStride: 1,
		MatchFAR: 0.01, MismatchFRR: 0.01, WatchlistFAR: 0.001, WatchlistPrior: 0.01,
		MaxWatchlistHits: 5, WatchlistShortlist: 64, MediumRisk: 40, HighRisk: 70, SpoofFAR: DefaultSpoofFAR,
	}
}

// withDefaults fills zero fields from DefaultConfig and validates the result.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	for _, p := range []struct{ v, d *time.Duration }{{&c.FirstAfter, &d.FirstAfter}, {&c.Every, &d.Every},
		{&c.CheckEvery, &d.CheckEvery}, {&c.ConclusiveSpeech, &d.ConclusiveSpeech}} {
		if *p.v == 0 {
			*p.v = *p.d
		}
	}
	for _, p := range []struct{ v, d *float64 }{{&c.MatchFAR, &d.MatchFAR}, {&c.MismatchFRR, &d.MismatchFRR},
		{&c.WatchlistFAR, &d.WatchlistFAR}, {&c.WatchlistPrior, &d.WatchlistPrior}, {&c.SpoofFAR, &d.SpoofFAR}} {
		if *p.v == 0 {
			*p.v = *p.d
		}
		if !(*p.v > 0 && *p.v < 1) {
			return c, fmt.Errorf("engine: rate %g outside (0, 1)", *p.v)
		}
	}
	if c.TailStride == 0 {
		c.TailStride = d.TailStride
	}
	if c.MaxWatchlistHits == 0 {
		c.MaxWatchlistHits = d.MaxWatchlistHits
	}
	if c.WatchlistShortlist == 0 {
		c.WatchlistShortlist = d.WatchlistShortlist
	}
	if c.MediumRisk == 0 && c.HighRisk == 0 {
		c.MediumRisk, c.HighRisk = d.MediumRisk, d.HighRisk
	}
	switch {
	case c.FirstAfter < 0 || c.Every <= 0 || c.CheckEvery <= 0 || c.ConclusiveSpeech < 0:
		return c, fmt.Errorf("engine: negative or zero durations in %+v", c)
	case c.TailStride < 1:
		return c, fmt.Errorf("engine: tail stride %d below 1", c.TailStride)
	case !(0 < c.MediumRisk && c.MediumRisk < c.HighRisk && c.HighRisk <= 100):
		return c, fmt.Errorf("engine: risk bands %d, %d not in 0 < medium < high <= 100", c.MediumRisk, c.HighRisk)
	}
	return c, nil
}

// Thresholds are the LLR (nats) decision thresholds a Config's rates come to for a bundle.
type Thresholds struct {
	Match     float64 // verification LLR >= Match: match
	Mismatch  float64 // verification LLR <= Mismatch: mismatch
	Watchlist float64 // watchlist LLR >= Watchlist: hit
	// MatchDegraded and WatchlistDegraded replace Match and Watchlist for trials through a
	// degraded channel (models.Degraded), where impostors score higher: the same rates, measured
	// on such trials (equal to Match and Watchlist when the bundle has no such measurement).
	MatchDegraded, WatchlistDegraded float64
	// MatchSource and WatchlistSource say where the thresholds came from: "bundle" (measured
	// non-target scores) or "bound" (the calibration bound, see Config.thresholds).
	MatchSource, WatchlistSource string
}

// FARThresholder gives the LLR threshold at which a false-accept rate is reached on the
// bundle's held-out non-target scores (models.Verifier.ThresholdAtFAR).
type FARThresholder interface {
	ThresholdAtFAR(far float64) (float64, error)
}

// degradedThresholder is a FARThresholder that also knows the rates on degraded-channel trials
// (models.Verifier.ThresholdAtFARDegraded).
type degradedThresholder interface {
	ThresholdAtFARDegraded(far float64) (float64, error)
}

// thresholds turns c's rates into LLR thresholds. With th (the bundle's measured operating
// points) the match and watchlist thresholds are empirical. Without th, for a rate th cannot
// vouch for (outside its measured range), and for the mismatch threshold always, they are the
// bound every calibrated LLR obeys: for non-targets P(LLR >= t) <= e^-t, for targets
// P(LLR <= -t) <= e^-t, so t = -ln(rate) keeps at most the stated rate.
func (c Config) thresholds(th FARThresholder) Thresholds {
	t := Thresholds{Match: -math.Log(c.MatchFAR), Mismatch: math.Log(c.MismatchFRR), Watchlist: -math.Log(c.WatchlistFAR),
		MatchSource: "bound", WatchlistSource: "bound"}
	if th != nil {
		if v, err := th.ThresholdAtFAR(c.MatchFAR); err == nil {
			t.Match, t.MatchSource = v, "bundle"
		}
		if v, err := th.ThresholdAtFAR(c.WatchlistFAR); err == nil {
			t.Watchlist, t.WatchlistSource = v, "bundle"
		}
	}
	if t.Mismatch >= t.Match {
		t.Mismatch = t.Match - 1
	}
	// The degraded-channel thresholds: measured where the clean ones were, never below them.
	degraded := func(far, clean float64, source string) float64 {
		if d, ok := th.(degradedThresholder); ok && source == "bundle" {
			if v, err := d.ThresholdAtFARDegraded(far); err == nil {
				return max(v, clean)
			}
		}
		return clean
	}
	t.MatchDegraded = degraded(c.MatchFAR, t.Match, t.MatchSource)
	t.WatchlistDegraded = degraded(c.WatchlistFAR, t.Watchlist, t.WatchlistSource)
	return t
}

// match is the match threshold for a trial of enroll against test (MatchDegraded through a
// degraded channel).
func (t Thresholds) match(enroll, test *models.Probe) float64 {
	if models.Degraded(enroll, test) {
		return t.MatchDegraded
	}
	return t.Match
}

// watchlist is the watchlist threshold for a trial of entry against test.
func (t Thresholds) watchlist(entry, test *models.Probe) float64 {
	if models.Degraded(entry, test) {
		return t.WatchlistDegraded
	}
	return t.Watchlist
}
