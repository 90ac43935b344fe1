package engine

// Decision is the outcome of one comparison.
type Decision string

const (
	// Match: the LLR reached the match threshold (a stated false-accept rate).
	Match Decision = "match"
	// Mismatch: the LLR fell to the mismatch threshold (a stated false-reject rate).
	Mismatch Decision = "mismatch"
	// Inconclusive: the LLR lies between the thresholds, or there was too little speech.
	Inconclusive Decision = "inconclusive"
	// NotAssessed: the comparison was not made (the spoof countermeasure when the bundle has none).
	NotAssessed Decision = "not_assessed"
)

// Reason is a machine-readable cause of an assessment's risk.
type Reason string

const (
	// ReasonVoiceMismatch: the voice does not match the claimed subject's voiceprint.
	ReasonVoiceMismatch Reason = "VOICE_MISMATCH"
	// ReasonKnownFraudster: the voice matches a watchlist entry.
	ReasonKnownFraudster Reason = "KNOWN_FRAUDSTER"
	// ReasonSyntheticVoice: the spoofing countermeasure flagged the voice as synthetic or replayed.
	ReasonSyntheticVoice Reason = "SYNTHETIC_VOICE"
	// ReasonInsufficientSpeech: too little net speech for a conclusive judgement.
	ReasonInsufficientSpeech Reason = "INSUFFICIENT_SPEECH"
	// ReasonNoConsent: the claimed subject has a voiceprint but no active consent to use it.
	ReasonNoConsent Reason = "NO_CONSENT"
	// ReasonNoVoiceprint: the claimed subject has no voiceprint.
	ReasonNoVoiceprint Reason = "NO_VOICEPRINT"
)

// Band is the coarse risk level shown to an agent.
type Band string

const (
	BandLow    Band = "low"    // risk below Config.MediumRisk
	BandMedium Band = "medium" // risk from Config.MediumRisk to below Config.HighRisk
	BandHigh   Band = "high"   // risk of at least Config.HighRisk
)

// Verification is the 1:1 comparison with the claimed subject's voiceprint. SubjectID is empty
// while nobody has been claimed (Decision is then inconclusive).
type Verification struct {
	SubjectID string   `json:"subject_id"`
	LLR       float64  `json:"llr"` // calibrated log-likelihood ratio, nats; 0 = no evidence
	Decision  Decision `json:"decision"`
}

// WatchlistHit is a watchlist entry whose LLR against the caller reached the watchlist threshold.
type WatchlistHit struct {
	EntryID string  `json:"entry_id"`
	Label   string  `json:"label"`
	LLR     float64 `json:"llr"` // calibrated log-likelihood ratio, nats
}

// Spoof is the synthetic-or-replayed-voice countermeasure's verdict: LLR is its score, larger
// favouring spoofing (models.Countermeasure.Combine: the GMMs' mean frame log-likelihood ratio in
// nats per frame, or its fusion with the long-term spectral statistics classifier, in units of
// bona fide standard deviations); the threshold is a stated false-alarm rate, Config.SpoofFAR.
// Decision is spoof, bonafide, inconclusive (under MinSpoofSeconds of speech) or not_assessed
// (the bundle has no countermeasure; LLR 0).
type Spoof struct {
	LLR      float64  `json:"llr"`
	Decision Decision `json:"decision"`
}

// Assessment is one progressive verdict on a call, in the JSON shape of DESIGN.md.
type Assessment struct {
	CallID        string         `json:"call_id"`
	Seq           int            `json:"seq"`            // 1, 2, 3, ... within the call
	SpeechSeconds float64        `json:"speech_seconds"` // net speech (voiced frames) so far, seconds
	Final         bool           `json:"final"`          // emitted by Stop
	Verification  Verification   `json:"verification"`
	Watchlist     []WatchlistHit `json:"watchlist"` // best first; empty, never null
	Spoof         Spoof          `json:"spoof"`
	Risk          int            `json:"risk"` // 0-100
	Band          Band           `json:"band"`
	Reasons       []Reason       `json:"reasons"` // empty, never null

	// matchThreshold is the match threshold (LLR, nats) the verification was compared with:
	// Thresholds.Match or, through a degraded channel, Thresholds.MatchDegraded; 0 when no
	// comparison was made (compared false).
	matchThreshold float64
	compared       bool
}

// MatchThreshold returns the match threshold (calibrated LLR, nats) that a's verification LLR
// was compared with — the clean- or degraded-channel one (Thresholds), whichever applied — and
// false when no comparison was made (no claim, no usable voiceprint or too little speech).
func (a *Assessment) MatchThreshold() (float64, bool) {
	return a.matchThreshold, a.compared
}

// HasReason reports whether r is among a's reasons.
func (a *Assessment) HasReason(r Reason) bool {
	for _, x := range a.Reasons {
		if x == r {
			return true
		}
	}
	return false
}
