package engine

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/store"
)

// Enrollment problems: machine-readable reasons a sample or an enrollment was refused.
const (
	ProblemNoSpeech      = "NO_SPEECH"           // the sample has less net speech than MinSampleSpeech
	ProblemLowSNR        = "LOW_SNR"             // voiced frames are too close to the background noise
	ProblemClipping      = "CLIPPING"            // too many samples at full scale
	ProblemSecondVoice   = "SECOND_VOICE"        // the two halves of the sample sound like different speakers
	ProblemInsufficient  = "INSUFFICIENT_SPEECH" // the accepted samples total less than MinSpeech
	ProblemWatchlistHit  = "KNOWN_FRAUDSTER"     // the voice matches a watchlist entry
	ProblemNoConsent     = "NO_CONSENT"          // the subject has no active consent to voice verification
	ProblemNoSamples     = "NO_SAMPLES"          // nothing to enroll
	ProblemWrongStatsDim = "INCOMPATIBLE_STATS"  // statistics of another model
)

// EnrollPolicy are enrollment's quality gates. Zero fields take DefaultEnrollPolicy's values.
type EnrollPolicy struct {
	MinSpeech       time.Duration // net speech the accepted samples (plus earlier voiceprints) must total
	MinSampleSpeech time.Duration // net speech a sample needs to count at all
	MinSNR          float64       // dB, voiced against unvoiced frame energy
	MaxClipping     float64       // largest share of samples at or beyond ±0.999 full scale
	// SecondVoiceSpeech is the net speech each half of a sample needs for the second-voice
	// check (shorter samples are not checked).
	SecondVoiceSpeech time.Duration
	// SecondVoiceLLR: a sample whose halves score below it is refused (default: the engine's
	// mismatch threshold, i.e. a stated false-reject rate).
	SecondVoiceLLR float64
	// AllowWatchlistHits stores a voiceprint even when it matches a watchlist entry (the hits
	// are reported either way).
	AllowWatchlistHits bool
}

// DefaultEnrollPolicy returns the default gates: 20 s of net speech in all, 2 s per sample, SNR
// of at least 15 dB, at most 1% clipped samples, second voice checked on halves of 4 s or more.
func DefaultEnrollPolicy() EnrollPolicy {
	return EnrollPolicy{MinSpeech: 20 * time.Second, MinSampleSpeech: 2 * time.Second, MinSNR: 15,
		MaxClipping: 0.01, SecondVoiceSpeech: 4 * time.Second}
}

func (p EnrollPolicy) withDefaults(e *Engine) EnrollPolicy {
	d := DefaultEnrollPolicy()
	if p.MinSpeech == 0 {
		p.MinSpeech = d.MinSpeech
	}
	if p.MinSampleSpeech == 0 {
		p.MinSampleSpeech = d.MinSampleSpeech
	}
	if p.MinSNR == 0 {
		p.MinSNR = d.MinSNR
	}
	if p.MaxClipping == 0 {
		p.MaxClipping = d.MaxClipping
	}
	if p.SecondVoiceSpeech == 0 {
		p.SecondVoiceSpeech = d.SecondVoiceSpeech
	}
	if p.SecondVoiceLLR == 0 {
		p.SecondVoiceLLR = e.th.Mismatch
	}
	return p
}

// SampleReport is the quality report of one enrollment sample.
type SampleReport struct {
	Source        string   `json:"source"`         // e.g. "upload:1", "call:<id>"
	SpeechSeconds float64  `json:"speech_seconds"` // net speech
	SNRdB         *float64 `json:"snr_db"`         // null when unknown (statistics from a call)
	Clipping      *float64 `json:"clipping"`       // share of clipped samples; null when unknown
	// SecondVoiceLLR is the LLR that the sample's two halves are the same speaker; null when
	// the sample was too short to check.
	SecondVoiceLLR *float64 `json:"second_voice_llr"`
	Accepted       bool     `json:"accepted"`
	Problems       []string `json:"problems"` // why it was refused; empty, never null
}

// Sample is one analysed enrollment sample: its statistics and quality report.
type Sample struct {
	Stats *models.Stats
	// AugStats, with a bundle that augments enrollments (models.Bundle.EnrollAugment), are the
	// statistics of a degraded copy of the sample's audio (dsp.ChannelAugmentation); nil for a
	// sample made from statistics (a finished call's), whose audio is gone.
	AugStats *models.Stats
	Report   SampleReport
}

// EnrollmentReport says what an enrollment did and why.
type EnrollmentReport struct {
	SubjectID     string         `json:"subject_id"`
	Accepted      bool           `json:"accepted"`
	VoiceprintID  string         `json:"voiceprint_id,omitempty"`
	SpeechSeconds float64        `json:"speech_seconds"`          // net speech of the accepted samples
	PriorSeconds  float64        `json:"prior_speech_seconds"`    // net speech of earlier voiceprints merged with it
	Problems      []string       `json:"problems"`                // why the enrollment was refused; empty, never null
	Samples       []SampleReport `json:"samples"`                 // per sample
	Watchlist     []WatchlistHit `json:"watchlist"`               // watchlist screening hits; empty, never null
	Threshold     float64        `json:"watchlist_threshold_llr"` // the LLR a hit must reach
}

// AnalyzeAudio computes the statistics and quality of an enrollment recording (samples in
// [-1, 1) at SampleRate): net speech, SNR (mean energy of voiced frames over unvoiced ones),
// clipping, and the second-voice check (the LLR of the first half of the voiced frames
// against the second half).
func (e *Engine) AnalyzeAudio(source string, samples []float32, pol EnrollPolicy) (Sample, error) {
	pol = pol.withDefaults(e)
	fe, err := dsp.NewFrontend(e.fecfg)
	if err != nil {
		return Sample{}, err
	}
	fe.Push(samples)
	fe.Flush()
	d := fe.Dim()
	var voicedFrames []float32
	var flags []bool
	frame := make([]float32, d)
	for {
		voiced, ok := fe.Next(frame)
		if !ok {
			break
		}
		flags = append(flags, voiced)
		if voiced {
			voicedFrames = append(voicedFrames, frame...)
		}
	}
	nv := len(voicedFrames) / d
	gs := e.b.NewStatsScratch()
	halves := [2]*models.Stats{e.b.UBM.NewStats(), e.b.UBM.NewStats()}
	for i := range nv {
		e.b.UBM.Accumulate(halves[min(1, 2*i/max(nv, 1))], voicedFrames[i*d:(i+1)*d], gs)
	}
	total := halves[0].Clone()
	if err := total.Add(halves[1]); err != nil {
		return Sample{}, err
	}
	if e.fecfg2 != nil { // the second system's statistics of the whole recording
		total.Second = e.b.Second.UBM.NewStats()
		if err := accumulateAll(*e.fecfg2, e.b.Second, total.Second, samples); err != nil {
			return Sample{}, err
		}
	}
	rep := SampleReport{Source: source, SpeechSeconds: e.frameSeconds(nv), Problems: []string{}}
	snr := e.snr(samples, flags)
	clip := clipping(samples)
	rep.SNRdB, rep.Clipping = &snr, &clip
	if nv/2 >= e.framesOf(pol.SecondVoiceSpeech) {
		ws := e.v.NewScratch()
		a, errA := e.v.Prepare(halves[0], ws)
		b, errB := e.v.Prepare(halves[1], ws)
		if errA == nil && errB == nil {
			if llr, ok := e.v.Score(a, b); ok {
				rep.SecondVoiceLLR = &llr
			}
		}
	}
	e.gate(&rep, pol)
	smp := Sample{Stats: total, Report: rep}
	if e.aug != nil && rep.Accepted {
		if smp.AugStats, err = e.augmentedStats(samples); err != nil {
			return Sample{}, err
		}
	}
	return smp, nil
}

// augmentedStats returns the statistics of the voiced frames of the bundle's augmented copy of
// samples (seeded by the samples themselves, as training did).
func (e *Engine) augmentedStats(samples []float32) (*models.Stats, error) {
	return e.Stats(e.aug.Apply(samples, e.fecfg.MFCC.SampleRate, dsp.AudioSeed(samples)))
}

// AnalyzeStats wraps statistics already accumulated (a finished call's) as an enrollment
// sample: only the net speech gate applies, since the audio is gone.
func (e *Engine) AnalyzeStats(source string, s *models.Stats, pol EnrollPolicy) Sample {
	pol = pol.withDefaults(e)
	rep := SampleReport{Source: source, Problems: []string{}}
	if s == nil || s.C != e.b.UBM.C || s.D != e.b.UBM.D {
		rep.Problems = append(rep.Problems, ProblemWrongStatsDim)
		return Sample{Report: rep}
	}
	rep.SpeechSeconds = math.Round(s.Frames()*e.fecfg.MFCC.FrameShiftMs/10) / 100
	e.gate(&rep, pol)
	return Sample{Stats: s.Clone(), Report: rep}
}

// gate applies the policy to a report.
func (e *Engine) gate(rep *SampleReport, pol EnrollPolicy) {
	if rep.SpeechSeconds < pol.MinSampleSpeech.Seconds() {
		rep.Problems = append(rep.Problems, ProblemNoSpeech)
	}
	if rep.SNRdB != nil && *rep.SNRdB < pol.MinSNR {
		rep.Problems = append(rep.Problems, ProblemLowSNR)
	}
	if rep.Clipping != nil && *rep.Clipping > pol.MaxClipping {
		rep.Problems = append(rep.Problems, ProblemClipping)
	}
	if rep.SecondVoiceLLR != nil && *rep.SecondVoiceLLR < pol.SecondVoiceLLR {
		rep.Problems = append(rep.Problems, ProblemSecondVoice)
	}
	rep.Accepted = len(rep.Problems) == 0
}

func (e *Engine) frameSeconds(frames int) float64 {
	return math.Round(float64(frames)*e.fecfg.MFCC.FrameShiftMs/10) / 100
}

func (e *Engine) framesOf(d time.Duration) int {
	return int(math.Ceil(d.Seconds() * 1000 / e.fecfg.MFCC.FrameShiftMs))
}

// snr estimates the signal-to-noise ratio in dB: the mean energy of the frames the VAD calls
// voiced over that of the others (or, with fewer than 10 unvoiced frames, the quietest tenth of
// all frames). It is capped at 99 dB (digital silence).
func (e *Engine) snr(x []float32, voiced []bool) float64 {
	m := e.fecfg.MFCC
	fl, sh := m.FrameLength(), m.FrameShift()
	var energies []float64
	var sig, noise float64
	var ns, nn int
	for i := 0; i < len(voiced) && i*sh+fl <= len(x); i++ {
		en := 0.0
		for _, v := range x[i*sh : i*sh+fl] {
			en += float64(v) * float64(v)
		}
		en /= float64(fl)
		energies = append(energies, en)
		if voiced[i] {
			sig += en
			ns++
		} else {
			noise += en
			nn++
		}
	}
	if ns == 0 {
		return 0
	}
	sig /= float64(ns)
	if nn < 10 {
		sort.Float64s(energies)
		k := max(1, len(energies)/10)
		noise, nn = 0, k
		for _, v := range energies[:k] {
			noise += v
		}
	}
	noise /= float64(nn)
	if noise < 1e-12 {
		return 99
	}
	return math.Min(99, 10*math.Log10(sig/noise))
}

// clipping returns the share of samples at or beyond ±0.999 full scale.
func clipping(x []float32) float64 {
	if len(x) == 0 {
		return 0
	}
	n := 0
	for _, v := range x {
		if v >= 0.999 || v <= -0.999 {
			n++
		}
	}
	return float64(n) / float64(len(x))
}

// Screen scores statistics against the watchlist and returns the hits (LLR at least the
// watchlist threshold), best first.
func (e *Engine) Screen(s *models.Stats) ([]WatchlistHit, error) {
	hits := []WatchlistHit{}
	if e.wl == nil {
		return hits, nil
	}
	p, err := e.v.Prepare(s, e.v.NewScratch())
	if err != nil {
		return hits, err
	}
	for _, w := range e.wl.Entries() {
		if w.Probe == nil {
			continue
		}
		if llr, ok := e.v.Score(w.Probe, p); ok && llr >= e.trialThresholds(w.Probe, p).watchlist(w.Probe, p) {
			hits = append(hits, WatchlistHit{EntryID: w.ID, Label: w.Label, LLR: llr})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].LLR > hits[j].LLR })
	return hits, nil
}

// Enroll merges the accepted samples into a new voiceprint of subjectID, stored with
// store.AddVoiceprint (which enforces consent), after the gates: the accepted samples plus
// the subject's earlier voiceprints must reach MinSpeech, and the new voice is screened
// against the watchlist (a hit refuses it unless AllowWatchlistHits). A refusal is not an
// error: the report says why. Errors are the store's (store.ErrNotFound for an unknown
// subject) or ErrNoConsent.
func (e *Engine) Enroll(sv *StoreVoices, actor, subjectID string, samples []Sample, pol EnrollPolicy) (EnrollmentReport, error) {
	pol = pol.withDefaults(e)
	rep := EnrollmentReport{SubjectID: subjectID, Problems: []string{}, Samples: []SampleReport{},
		Watchlist: []WatchlistHit{}, Threshold: e.th.Watchlist}
	if _, err := sv.st.GetSubject(subjectID); err != nil {
		return rep, err
	}
	if _, ok, err := sv.st.ActiveConsent(subjectID, store.PurposeVoiceVerification); err != nil {
		return rep, err
	} else if !ok {
		sv.st.Audit(actor, "enrollment", sv.st.SubjectTarget(subjectID), store.OutcomeDeniedPrefix+"no-consent")
		return rep, ErrNoConsent
	}
	merged := e.b.NewStats()
	merged.UBM = 0
	if merged.Second != nil {
		merged.Second.UBM = 0
	}
	var mergedAug *models.Stats // the accepted samples' augmented copies, when any has one
	for _, s := range samples {
		rep.Samples = append(rep.Samples, s.Report)
		if s.Report.Accepted && s.Stats != nil {
			if err := merged.Add(s.Stats); err != nil {
				return rep, err
			}
			rep.SpeechSeconds += s.Report.SpeechSeconds
			if s.AugStats != nil {
				if mergedAug == nil {
					mergedAug = e.b.UBM.NewStats()
					mergedAug.UBM = 0
				}
				if err := mergedAug.Add(s.AugStats); err != nil {
					return rep, err
				}
			}
		}
	}
	rep.SpeechSeconds = math.Round(rep.SpeechSeconds*100) / 100
	if len(samples) == 0 {
		rep.Problems = append(rep.Problems, ProblemNoSamples)
		return rep, nil
	}
	prior, priorSecs, err := sv.StoredStats(subjectID)
	if err != nil {
		return rep, err
	}
	rep.PriorSeconds = priorSecs
	if rep.SpeechSeconds+priorSecs < pol.MinSpeech.Seconds() {
		rep.Problems = append(rep.Problems, ProblemInsufficient)
		return rep, nil
	}
	if rep.SpeechSeconds == 0 {
		rep.Problems = append(rep.Problems, ProblemNoSamples)
		return rep, nil
	}
	screen := merged.Clone()
	if prior != nil {
		if err := screen.Add(prior); err != nil {
			return rep, err
		}
	}
	rep.Threshold = e.th1.Watchlist // the screen's LLRs are the first system's alone, unless:
	if screen.Second != nil {
		rep.Threshold = e.ThresholdsAt(screen.Frames() / 100).Watchlist
	}
	if rep.Watchlist, err = e.Screen(screen); err != nil {
		return rep, fmt.Errorf("engine: screening the enrollment: %w", err)
	}
	if len(rep.Watchlist) > 0 {
		sv.st.Audit(actor, "enrollment.screen", sv.st.SubjectTarget(subjectID), "watchlist-hit:"+rep.Watchlist[0].EntryID)
		if !pol.AllowWatchlistHits {
			rep.Problems = append(rep.Problems, ProblemWatchlistHit)
			return rep, nil
		}
	}
	vp := sv.voiceprintOf(merged)
	if mergedAug != nil {
		a := sv.voiceprintOf(mergedAug)
		vp.AugN, vp.AugF = a.N, a.F
	}
	vp.SubjectID, vp.SpeechSeconds, vp.Source = subjectID, rep.SpeechSeconds, samples[0].Report.Source
	if len(samples) > 1 {
		vp.Source = fmt.Sprintf("%s+%d", samples[0].Report.Source, len(samples)-1)
	}
	vp.Quality = quality(rep.Samples)
	stored, err := sv.st.AddVoiceprint(actor, vp)
	if errors.Is(err, store.ErrNoConsent) {
		return rep, ErrNoConsent
	}
	if err != nil {
		return rep, err
	}
	sv.Invalidate(subjectID)
	rep.Accepted, rep.VoiceprintID = true, stored.ID
	return rep, nil
}

// quality summarises the accepted samples' measures for the stored voiceprint.
func quality(rs []SampleReport) map[string]float64 {
	q := map[string]float64{}
	minSNR, maxClip := math.Inf(1), 0.0
	for _, r := range rs {
		if !r.Accepted {
			continue
		}
		if r.SNRdB != nil {
			minSNR = math.Min(minSNR, *r.SNRdB)
		}
		if r.Clipping != nil {
			maxClip = math.Max(maxClip, *r.Clipping)
		}
	}
	if !math.IsInf(minSNR, 1) {
		q["snr_db_min"] = minSNR
	}
	q["clipping_max"] = maxClip
	return q
}
