package engine

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"sort"

	"github.com/voxguard/voxguard/models"
)

// assess scores stats (voiced frames of net speech) against the claim and the watchlist and
// fuses the results into an Assessment.
func (s *Session) assess(stats *models.Stats, voiced int, final bool, vs *models.VerifierScratch) Assessment {
	e := s.e
	s.seq++
	a := Assessment{
		CallID: s.callID, Seq: s.seq, SpeechSeconds: s.seconds(voiced), Final: final,
		Verification: Verification{SubjectID: s.claim, Decision: Inconclusive},
		Watchlist:    []WatchlistHit{},
		Spoof:        Spoof{Decision: NotAssessed},
		Reasons:      []Reason{},
	}
	var probe *models.Probe
	if voiced > 0 {
		probe, _ = e.v.PrepareTest(stats, vs) // an error (degenerate statistics) counts as no evidence
	}
	insufficient := voiced < s.first || probe == nil
	p := 0.0 // probability of fraud, before the reasons' floors and caps
	if s.claim != "" {
		switch {
		case errors.Is(s.claimErr, ErrNoConsent):
			a.Reasons = append(a.Reasons, ReasonNoConsent)
		case s.claimErr != nil:
			a.Reasons = append(a.Reasons, ReasonNoVoiceprint)
		case probe != nil:
			llr, ok := e.v.Score(s.claimProbe, probe)
			a.Verification.LLR = llr
			if !ok {
				insufficient = true
				break
			}
			th := e.trialThresholds(s.claimProbe, probe)
			a.matchThreshold, a.compared = th.match(s.claimProbe, probe), true
			switch {
			case llr >= a.matchThreshold:
				a.Verification.Decision = Match
			case llr <= th.Mismatch:
				a.Verification.Decision = Mismatch
				a.Reasons = append(a.Reasons, ReasonVoiceMismatch)
			case voiced < s.conclusive:
				insufficient = true
			}
			p = 1 / (1 + math.Exp(llr)) // P(other speaker | llr) at even prior odds
		}
	}
	if probe != nil && e.wl != nil {
		prior := math.Log(e.cfg.WatchlistPrior / (1 - e.cfg.WatchlistPrior))
		for _, w := range s.shortlist(e.wl.Entries(), probe) {
			if w.Probe == nil {
				continue
			}
			llr, ok := e.v.Score(w.Probe, probe)
			if !ok {
				continue
			}
			p = math.Max(p, 1/(1+math.Exp(-(llr+prior))))
			if llr >= e.trialThresholds(w.Probe, probe).watchlist(w.Probe, probe) {
				a.Watchlist = append(a.Watchlist, WatchlistHit{EntryID: w.ID, Label: w.Label, LLR: llr})
			}
		}
		sort.SliceStable(a.Watchlist, func(i, j int) bool { return a.Watchlist[i].LLR > a.Watchlist[j].LLR })
		if len(a.Watchlist) > e.cfg.MaxWatchlistHits {
			a.Watchlist = a.Watchlist[:e.cfg.MaxWatchlistHits]
		}
		if len(a.Watchlist) > 0 {
			a.Reasons = append(a.Reasons, ReasonKnownFraudster)
		}
	}
	if insufficient {
		a.Reasons = append(a.Reasons, ReasonInsufficientSpeech)
	}
	if s.sp != nil { // spoofing countermeasure: SYNTHETIC_VOICE outranks a match (spoof.go)
		sp := s.sp.Current()
		if final {
			sp = s.sp.Final()
		}
		applySpoof(&a, sp)
	}
	a.Risk, a.Band = e.fuse(p, a.Reasons)
	return a
}

// shortlist returns the watchlist entries an assessment scores in full: all of them, or, with more
// than Config.WatchlistShortlist, that many with the best PrescreenScore against probe (ties in
// watchlist order). Its buffers are the session's, reused.
func (s *Session) shortlist(entries []WatchlistEntry, probe *models.Probe) []WatchlistEntry {
	k := s.e.cfg.WatchlistShortlist
	if k < 0 || len(entries) <= k {
		return entries
	}
	s.wlRank = s.wlRank[:0]
	for i, w := range entries {
		if w.Probe != nil {
			s.wlRank = append(s.wlRank, rankedEntry{i, s.e.v.PrescreenScore(w.Probe, probe)})
		}
	}
	slices.SortStableFunc(s.wlRank, func(a, b rankedEntry) int { return cmp.Compare(b.score, a.score) })
	s.wlShort = s.wlShort[:0]
	for _, r := range s.wlRank[:min(k, len(s.wlRank))] {
		s.wlShort = append(s.wlShort, entries[r.i])
	}
	return s.wlShort
}

// rankedEntry is a watchlist entry's index and prescreen score.
type rankedEntry struct {
	i     int
	score float64
}

// fuse turns a fraud probability and the reasons into a 0-100 risk and its band. The band is
// high exactly when a high reason (VOICE_MISMATCH, KNOWN_FRAUDSTER, SYNTHETIC_VOICE) is present,
// and at least medium when the caller could not be verified (INSUFFICIENT_SPEECH, NO_VOICEPRINT,
// NO_CONSENT); within those bounds the risk is 100 times the probability.
func (e *Engine) fuse(p float64, reasons []Reason) (int, Band) {
	risk := int(math.Round(100 * p))
	high, medium := false, false
	for _, r := range reasons {
		switch r {
		case ReasonVoiceMismatch, ReasonKnownFraudster, ReasonSyntheticVoice:
			high = true
		default:
			medium = true
		}
	}
	switch {
	case high:
		risk = max(risk, e.cfg.HighRisk)
	case medium:
		risk = min(max(risk, e.cfg.MediumRisk), e.cfg.HighRisk-1)
	default:
		risk = min(risk, e.cfg.HighRisk-1)
	}
	risk = min(max(risk, 0), 100)
	switch {
	case risk >= e.cfg.HighRisk:
		return risk, BandHigh
	case risk >= e.cfg.MediumRisk:
		return risk, BandMedium
	}
	return risk, BandLow
}
