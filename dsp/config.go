package dsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// MFCCConfig holds the options of Kaldi's compute-mfcc-feats that voxguard uses. Frequencies are
// in Hz, durations in milliseconds. Options not listed are fixed at Kaldi's defaults: povey
// window, DC removal, power spectrum, snip-edges framing, no dither, log floor FLT_EPSILON.
type MFCCConfig struct {
	SampleRate     int     `json:"sample_rate"`      // samples per second
	FrameLengthMs  float64 `json:"frame_length_ms"`  // analysis window length
	FrameShiftMs   float64 `json:"frame_shift_ms"`   // hop between frames
	NumMelBins     int     `json:"num_mel_bins"`     // triangular mel filters
	LowFreq        float64 `json:"low_freq"`         // lowest filter edge
	HighFreq       float64 `json:"high_freq"`        // highest filter edge (> 0: absolute; <= 0: offset from Nyquist)
	NumCeps        int     `json:"num_ceps"`         // cepstra kept, C0 included
	PreemphCoeff   float64 `json:"preemph_coeff"`    // pre-emphasis coefficient
	CepstralLifter float64 `json:"cepstral_lifter"`  // liftering constant Q (0 disables)
	UseEnergy      bool    `json:"use_energy"`       // replace C0 by the log energy
	RawEnergy      bool    `json:"raw_energy"`       // energy before pre-emphasis and windowing
	EnergyFloor    float64 `json:"energy_floor"`     // floor on energy (not log), 0 = none
	WindowType     string  `json:"window_type"`      // only "povey" is supported
	RemoveDCOffset bool    `json:"remove_dc_offset"` // subtract each frame's mean
	// Noise, when enabled, subtracts a running estimate of stationary background noise from each
	// frame's power spectrum before the mel filterbank (the raw log energy is unchanged).
	Noise NoiseSuppression `json:"noise_suppression,omitzero"`
	// PNCC, when enabled, replaces the logarithm of the mel energies by PNCC's power-normalised
	// processing (the raw log energy in C0 is unchanged).
	PNCC PNCC `json:"pncc,omitzero"`
	// Scale places the filterbank's triangles: "" (Kaldi's mel scale) or "linear" (equally
	// spaced in Hz, as in LFCCs, which resolve the upper band, where vocal-tract length and
	// shape differ most between speakers, more finely than the mel scale).
	Scale string `json:"scale,omitempty"`
}

// ScaleLinear is MFCCConfig.Scale for a linear-frequency filterbank.
const ScaleLinear = "linear"

// NoiseSuppression configures spectral subtraction with a minimum-statistics noise estimate
// (after Martin 2001, simplified): per FFT bin, the power P is smoothed over frames,
// S = Smoothing·S + (1−Smoothing)·P, the noise is Bias times the minimum of S over the last
// WindowFrames frames (tracked as SubWindows sub-window minima, so it is causal and costs a few
// operations per bin), and the filterbank sees max(P − noise, Floor·P). It needs no look-ahead,
// so streaming and batch computation agree. The zero value disables it.
type NoiseSuppression struct {
	WindowFrames int     `json:"window_frames"` // frames the noise floor is the minimum over
	SubWindows   int     `json:"sub_windows"`   // sub-windows the window is tracked in (divides WindowFrames)
	Smoothing    float64 `json:"smoothing"`     // power smoothing over frames, in [0, 1)
	Bias         float64 `json:"bias"`          // noise = Bias · minimum (the minimum underestimates the mean)
	Floor        float64 `json:"floor"`         // spectral floor as a fraction of the frame's power, in (0, 1]
}

// TelephoneNoiseSuppression is the noise suppression `voxguard train --noise-suppression`
// enables: a 1.5 s window in six sub-windows, smoothing 0.7, bias 2.5 (the minimum of the
// smoothed periodogram of white noise over 1.5 s is ~0.35-0.4 of its mean), floor 0.05 (−13 dB).
func TelephoneNoiseSuppression() NoiseSuppression {
	return NoiseSuppression{WindowFrames: 150, SubWindows: 6, Smoothing: 0.7, Bias: 2.5, Floor: 0.05}
}

// Enabled reports whether n subtracts anything.
func (n NoiseSuppression) Enabled() bool { return n != NoiseSuppression{} }

// Validate checks an enabled configuration.
func (n NoiseSuppression) Validate() error {
	if !n.Enabled() {
		return nil
	}
	switch {
	case n.SubWindows < 1 || n.WindowFrames < n.SubWindows || n.WindowFrames%n.SubWindows != 0:
		return fmt.Errorf("mfcc: noise window of %d frames must be a positive multiple of its %d sub-windows", n.WindowFrames, n.SubWindows)
	case !(n.Smoothing >= 0 && n.Smoothing < 1):
		return fmt.Errorf("mfcc: noise smoothing %g outside [0, 1)", n.Smoothing)
	case !(n.Bias > 0):
		return fmt.Errorf("mfcc: noise bias %g must be positive", n.Bias)
	case !(n.Floor > 0 && n.Floor <= 1):
		return fmt.Errorf("mfcc: spectral floor %g outside (0, 1]", n.Floor)
	}
	return nil
}

// TelephoneMFCC is the 8 kHz narrowband configuration: 25 ms / 10 ms frames, 23 mel bins over
// 20-3700 Hz, 20 cepstra with the raw log energy in place of C0, lifter 22.
func TelephoneMFCC() MFCCConfig {
	return MFCCConfig{
		SampleRate: 8000, FrameLengthMs: 25, FrameShiftMs: 10,
		NumMelBins: 23, LowFreq: 20, HighFreq: 3700, NumCeps: 20,
		PreemphCoeff: 0.97, CepstralLifter: 22, UseEnergy: true, RawEnergy: true,
		WindowType: "povey", RemoveDCOffset: true,
	}
}

// WidebandMFCC is the 16 kHz configuration: 40 mel bins over 20-7600 Hz, 30 cepstra, otherwise
// as TelephoneMFCC.
func WidebandMFCC() MFCCConfig {
	c := TelephoneMFCC()
	c.SampleRate, c.NumMelBins, c.HighFreq, c.NumCeps = 16000, 40, 7600, 30
	return c
}

// FrameLength is the analysis window in samples.
func (c MFCCConfig) FrameLength() int { return msSamples(c.SampleRate, c.FrameLengthMs) }

// FrameShift is the hop between frames in samples.
func (c MFCCConfig) FrameShift() int { return msSamples(c.SampleRate, c.FrameShiftMs) }

// PaddedLength is the FFT size: the frame length rounded up to a power of two.
func (c MFCCConfig) PaddedLength() int { return pow2AtLeast(c.FrameLength(), 1) }

// msSamples is ms milliseconds at rate samples per second, in whole samples (truncated): the
// frame length and shift of every front end's configuration.
func msSamples(rate int, ms float64) int { return int(float64(rate) * ms / 1000) }

// pow2AtLeast is the smallest power of two that is at least n and at least lo (a power of two):
// the FFT size of a frame of n samples.
func pow2AtLeast(n, lo int) int {
	p := lo
	for p < n {
		p <<= 1
	}
	return p
}

func (c MFCCConfig) highFreq() float64 {
	if c.HighFreq > 0 {
		return c.HighFreq
	}
	return float64(c.SampleRate)/2 + c.HighFreq
}

// Validate reports the first inconsistent option.
func (c MFCCConfig) Validate() error {
	nyq := float64(c.SampleRate) / 2
	switch {
	case c.SampleRate < 1000 || c.SampleRate > 192000:
		return fmt.Errorf("mfcc: sample rate %d Hz out of range 1000-192000", c.SampleRate)
	case c.FrameLength() < 16 || c.FrameShift() < 1:
		return fmt.Errorf("mfcc: frame length %d and shift %d samples too small", c.FrameLength(), c.FrameShift())
	case c.PaddedLength() > 1<<15:
		return fmt.Errorf("mfcc: frame length %d samples too large", c.FrameLength())
	case c.NumMelBins < 3:
		return fmt.Errorf("mfcc: %d mel bins, need at least 3", c.NumMelBins)
	case c.NumCeps < 1 || c.NumCeps > c.NumMelBins:
		return fmt.Errorf("mfcc: %d cepstra must be between 1 and the %d mel bins", c.NumCeps, c.NumMelBins)
	case c.LowFreq < 0 || c.LowFreq >= c.highFreq() || c.highFreq() > nyq:
		return fmt.Errorf("mfcc: band %g-%g Hz not within 0-%g Hz", c.LowFreq, c.highFreq(), nyq)
	case c.WindowType != "povey":
		return fmt.Errorf("mfcc: window type %q not supported (only povey)", c.WindowType)
	case c.PreemphCoeff < 0 || c.PreemphCoeff > 1:
		return fmt.Errorf("mfcc: pre-emphasis %g outside [0, 1]", c.PreemphCoeff)
	case c.EnergyFloor < 0:
		return errors.New("mfcc: negative energy floor")
	case c.Scale != "" && c.Scale != ScaleLinear:
		return fmt.Errorf("mfcc: filterbank scale %q not supported (mel, the default, or %q)", c.Scale, ScaleLinear)
	}
	if err := c.PNCC.Validate(); err != nil {
		return err
	}
	return c.Noise.Validate()
}

// VADConfig holds the options of Kaldi's compute-vad, plus MeanWindow.
type VADConfig struct {
	EnergyThreshold     float64 `json:"energy_threshold"`     // constant term of the log-energy threshold
	EnergyMeanScale     float64 `json:"energy_mean_scale"`    // weight of the mean log energy in the threshold
	FramesContext       int     `json:"frames_context"`       // frames either side that vote
	ProportionThreshold float64 `json:"proportion_threshold"` // share of voting frames that must be above the threshold
	// MeanWindow is the number of frames over which the mean log energy is taken: 0 means the
	// whole recording, exactly as compute-vad (which then decides nothing until the end); a
	// positive value uses a centred window laid out like sliding CMN's, so the VAD streams with
	// bounded latency and follows level changes in long calls.
	MeanWindow int `json:"mean_window"`
	// MeanAhead, if positive, places the mean window to reach exactly MeanAhead frames past the
	// frame instead of centring it (FrontendConfig.NormAhead explains why).
	MeanAhead int `json:"mean_ahead,omitempty"`
}

// KaldiVAD returns compute-vad's defaults (threshold 5.0, mean scale 0.5, no context,
// proportion 0.6) with the mean over the whole recording.
func KaldiVAD() VADConfig {
	return VADConfig{EnergyThreshold: 5, EnergyMeanScale: 0.5, FramesContext: 0, ProportionThreshold: 0.6}
}

// Validate reports the first inconsistent option.
func (c VADConfig) Validate() error {
	switch {
	case c.FramesContext < 0 || c.FramesContext > 100:
		return fmt.Errorf("vad: frames context %d outside 0-100", c.FramesContext)
	case c.ProportionThreshold <= 0 || c.ProportionThreshold >= 1:
		return fmt.Errorf("vad: proportion threshold %g outside (0, 1)", c.ProportionThreshold)
	case c.MeanWindow < 0 || c.MeanWindow > 100000:
		return fmt.Errorf("vad: mean window %d outside 0-100000 frames", c.MeanWindow)
	case c.MeanAhead < 0 || (c.MeanAhead > 0 && c.MeanAhead >= c.MeanWindow):
		return fmt.Errorf("vad: mean lookahead %d frames must be 0 (centred) or less than the mean window (%d)", c.MeanAhead, c.MeanWindow)
	}
	return nil
}

// Normalization selects the per-recording feature normalisation.
type Normalization string

const (
	// NormNone leaves features as they are.
	NormNone Normalization = "none"
	// NormCMN subtracts the mean over a centred sliding window (Kaldi apply-cmvn-sliding
	// --center=true --norm-vars=false).
	NormCMN Normalization = "cmn"
	// NormWarp maps each coefficient to a standard normal by its rank within the sliding window
	// (feature warping, Pelecanos and Sridharan 2001).
	NormWarp Normalization = "warp"
)

// FrontendConfig is the whole front end: MFCC, deltas, VAD and normalisation. It is recorded in
// every model bundle, and a bundle refuses features computed with another configuration.
type FrontendConfig struct {
	MFCC MFCCConfig `json:"mfcc"`
	// DeltaOrder is 0 (static only), 1 (+deltas) or 2 (+double deltas); the window is 2.
	DeltaOrder int `json:"delta_order"`
	// VAD, when non-nil, marks each frame voiced or not; nil marks every frame voiced.
	VAD *VADConfig `json:"vad,omitempty"`
	// Norm is the normalisation and NormWindow its window in frames.
	Norm       Normalization `json:"norm"`
	NormWindow int           `json:"norm_window"`
	// NormAhead, if positive, places the normalisation window to reach exactly NormAhead frames
	// past each frame ([t+NormAhead+1−NormWindow, t+NormAhead+1), clamped like the centred one)
	// instead of centring it. A live session cannot finalise a frame before its window's last
	// frame has arrived, and re-derives the frames still waiting (the provisional tail) at every
	// assessment: with the centred 300-frame window that is 149 frames (1.5 s) per assessment,
	// with NormAhead 30 only 30. 0 centres the window (Kaldi --center=true).
	NormAhead int `json:"norm_ahead,omitempty"`
	// NormPrior and NormPriorFrames (CMN only) make the mean of a short window a prior-weighted
	// one. A window of n < NormWindow frames (a recording shorter than the window, or a live
	// call's first frames) takes its mean as if it also held τ·(1 − n/NormWindow) frames equal
	// to NormPrior, τ = NormPriorFrames; full windows are as without. Over a single short word
	// the window's own mean is mostly the word's phones, so subtracting it removes much of what
	// tells speakers apart; a mean drawn towards the typical recording's keeps it. NormPrior is
	// the mean of un-normalised frames over training recordings (Dim values; FrameSum's sums
	// over them divided by their frames, as `voxguard train` fits it); the first coefficient (the frame's energy, which follows the gain) always takes the
	// window's own mean. NormPriorFrames 0 (the default) turns the prior off.
	NormPrior       []float64 `json:"norm_prior,omitempty"`
	NormPriorFrames float64   `json:"norm_prior_frames,omitempty"`
}

// DeltaWindow is the half-width of the delta regression window (Kaldi add-deltas --delta-window).
const DeltaWindow = 2

// TelephoneFrontend is voxguard's speaker-recognition front end for 8 kHz calls: TelephoneMFCC,
// deltas and double deltas (60 dimensions), energy VAD with a 300-frame mean window, sliding
// CMN over 300 frames.
func TelephoneFrontend() FrontendConfig {
	vad := KaldiVAD()
	vad.MeanWindow = 300
	return FrontendConfig{MFCC: TelephoneMFCC(), DeltaOrder: 2, VAD: &vad, Norm: NormCMN, NormWindow: 300}
}

// ParseFrontendConfig decodes a front-end configuration as a model bundle records it (JSON) and
// validates it. A field this build does not know is an error, not ignored: a bundle trained with
// a front-end option added later must be refused, since computing its features without that
// option would silently score the wrong features.
func ParseFrontendConfig(data []byte) (FrontendConfig, error) {
	var cfg FrontendConfig
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("front-end configuration (a bundle from a newer voxguard?): %w", err)
	}
	return cfg, cfg.Validate()
}

// Dim is the dimension of the frames the front end produces.
func (c FrontendConfig) Dim() int { return c.MFCC.NumCeps * (c.DeltaOrder + 1) }

// Validate reports the first inconsistent option.
func (c FrontendConfig) Validate() error {
	if err := c.MFCC.Validate(); err != nil {
		return err
	}
	if c.DeltaOrder < 0 || c.DeltaOrder > 2 {
		return fmt.Errorf("frontend: delta order %d outside 0-2", c.DeltaOrder)
	}
	if c.VAD != nil {
		if err := c.VAD.Validate(); err != nil {
			return err
		}
	}
	switch c.Norm {
	case NormNone, "":
	case NormCMN, NormWarp:
		if c.NormWindow < 3 || c.NormWindow > 100000 {
			return fmt.Errorf("frontend: normalisation window %d outside 3-100000 frames", c.NormWindow)
		}
		if c.NormAhead < 0 || c.NormAhead >= c.NormWindow {
			return fmt.Errorf("frontend: normalisation lookahead %d frames must be 0 (centred) or less than the window (%d)", c.NormAhead, c.NormWindow)
		}
	default:
		return fmt.Errorf("frontend: unknown normalisation %q (none, cmn, warp)", c.Norm)
	}
	if c.NormPriorFrames != 0 || len(c.NormPrior) != 0 {
		switch {
		case !(c.NormPriorFrames > 0 && c.NormPriorFrames <= 100000):
			return fmt.Errorf("frontend: normalisation prior weight %g frames outside (0, 100000]", c.NormPriorFrames)
		case c.Norm != NormCMN:
			return fmt.Errorf("frontend: a normalisation prior needs CMN, not %q", c.Norm)
		case len(c.NormPrior) != c.Dim():
			return fmt.Errorf("frontend: normalisation prior of %d values for %d-dimensional frames", len(c.NormPrior), c.Dim())
		}
		for k, v := range c.NormPrior {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("frontend: normalisation prior value %d is %g", k, v)
			}
		}
	}
	return nil
}

// SameFrames reports whether front ends a and b frame the audio alike, decide the same frames
// voiced and make them final at the same time: the same sample rate, framing, energy (C0), VAD
// and normalisation window, whatever their filterbanks, cepstra or kind of normalisation. Two
// systems on such front ends judge the same voiced frames, and a live call feeds both in step.
func SameFrames(a, b FrontendConfig) bool {
	ma, mb := a.MFCC, b.MFCC
	same := ma.SampleRate == mb.SampleRate && ma.FrameLengthMs == mb.FrameLengthMs && ma.FrameShiftMs == mb.FrameShiftMs &&
		ma.UseEnergy && mb.UseEnergy && ma.RawEnergy == mb.RawEnergy && ma.EnergyFloor == mb.EnergyFloor &&
		ma.RemoveDCOffset == mb.RemoveDCOffset && ma.WindowType == mb.WindowType
	same = same && a.NormWindow == b.NormWindow && a.NormAhead == b.NormAhead && a.DeltaOrder == b.DeltaOrder
	if !same || (a.VAD == nil) != (b.VAD == nil) {
		return false
	}
	return a.VAD == nil || *a.VAD == *b.VAD
}
