package dsp

import (
	"errors"
	"math"
	"math/cmplx"

	"github.com/voxguard/voxguard/internal/vec"
)

// VoiceQualityDim is the number of statistics VoiceQualityStats.Stats writes without
// HarmonicPhase.
const VoiceQualityDim = 11

// HarmonicPhaseDim is the number of statistics HarmonicPhase adds (see VoiceQualityStats).
const HarmonicPhaseDim = 2 * phasePairs

// phaseHarmonics is the highest harmonic whose phase is measured (from the second); phasePairs
// the second differences of the phases of harmonics 2..phaseHarmonics.
const (
	phaseHarmonics = 10
	phasePairs     = phaseHarmonics - 3
)

// VoiceQualityConfig frames a recording for VoiceQualityStats.
type VoiceQualityConfig struct {
	SampleRate    int     // Hz (8000)
	FrameLengthMs float64 // analysis window, ms (40: two periods of a 50 Hz voice)
	FrameShiftMs  float64 // ms (10)
	MinF0, MaxF0  float64 // pitch search range, Hz (60-400)
	VoicedMin     float64 // normalised autocorrelation at the pitch lag that makes a frame voiced (0.5)
	LPCOrder      int     // order of the linear prediction whose residual's kurtosis is measured (12)
	// MaxFrames, if > 0, stops the statistics after that many counted frames (the first seconds
	// of speech bound the work of a long call).
	MaxFrames int
	// HalfRate finds the pitch and the cepstral peak in the band below a quarter of the sample
	// rate (0-2 kHz at 8 kHz), at half the rate: from the lower half of the frame's spectrum,
	// with transforms of half the size and half the logarithms. Lags are then in samples at
	// SampleRate/2. The band harmonicities and the LPC residual stay at the full rate.
	HalfRate bool `json:",omitempty"`
	// HarmonicPhase adds HarmonicPhaseDim statistics of the phase structure of the harmonics
	// (see VoiceQualityStats).
	HarmonicPhase bool `json:",omitempty"`
}

// Dim is the number of statistics VoiceQualityStats.Stats writes with c: VoiceQualityDim, plus
// HarmonicPhaseDim with HarmonicPhase.
func (c VoiceQualityConfig) Dim() int {
	if c.HarmonicPhase {
		return VoiceQualityDim + HarmonicPhaseDim
	}
	return VoiceQualityDim
}

// TelephoneVoiceQuality is the configuration for 8 kHz telephone speech.
func TelephoneVoiceQuality() VoiceQualityConfig {
	return VoiceQualityConfig{SampleRate: 8000, FrameLengthMs: 40, FrameShiftMs: 10, MinF0: 60, MaxF0: 400, VoicedMin: 0.5, LPCOrder: 12}
}

// Validate reports a configuration VoiceQualityStats cannot use.
func (c VoiceQualityConfig) Validate() error {
	fl := msSamples(c.SampleRate, c.FrameLengthMs)
	switch {
	case c.SampleRate <= 0 || fl < 32 || msSamples(c.SampleRate, c.FrameShiftMs) < 1:
		return errors.New("dsp: voice quality needs a positive rate, a frame of at least 32 samples and a shift")
	case !(c.MinF0 > 0 && c.MaxF0 > c.MinF0):
		return errors.New("dsp: voice quality needs 0 < MinF0 < MaxF0")
	case float64(c.SampleRate)/c.MinF0 >= float64(fl)-2:
		return errors.New("dsp: voice quality's frame must be longer than the longest pitch period")
	case !(c.VoicedMin > 0 && c.VoicedMin < 1):
		return errors.New("dsp: voice quality's VoicedMin must be in (0, 1)")
	case c.LPCOrder < 1 || c.LPCOrder >= fl/2:
		return errors.New("dsp: voice quality's LPC order must be in [1, frame/2)")
	case c.MaxFrames < 0:
		return errors.New("dsp: voice quality's MaxFrames must not be negative")
	case c.HalfRate && c.SampleRate%2 != 0:
		return errors.New("dsp: voice quality's HalfRate needs an even sample rate")
	}
	return nil
}

// VoiceQualityStats accumulates, over a recording's frames whose level reaches a floor, statistics
// of the voice source that a vocoder, a replay chain or a formant synthesiser reproduces badly.
// For each frame (Hann window, DC removed) it finds the pitch lag that maximises the normalised
// autocorrelation (corrected for the window's own decay) between MaxF0 and MinF0, or the shortest
// lag within 0.05 of it that is a local maximum (not a multiple of the period); a frame is voiced
// when the maximum reaches VoicedMin. Stats are, in order:
//
//	0  the share of counted frames that are voiced
//	1  the mean and 2 the standard deviation of the normalised autocorrelation at the pitch lag (voiced frames)
//	3  its mean over 0-1 kHz and 4 over 2-3.5 kHz alone (the harmonicity of the low and high band)
//	5  the mean and 6 the standard deviation of the cepstral peak prominence: the highest
//	   cepstrum (of the log power spectrum, natural log) over the pitch quefrencies above its
//	   least-squares line there
//	7  the mean and 8 the standard deviation of the log kurtosis of the LPC residual (how peaky the
//	   excitation is: glottal pulses are, scattered phases are not)
//	9  the mean relative change of the pitch period between consecutive voiced frames (jitter,
//	   each change capped at 0.2 so that octave errors do not dominate)
//	10 the mean absolute change of the log frame energy between consecutive voiced frames
//	   (shimmer, each capped at 2)
//
// With HarmonicPhase, the phase structure of the harmonics follows: in each voiced frame whose
// tenth harmonic lies below 0.45 times the rate, the complex amplitudes H_k of harmonics k = 2..10
// of the refined pitch under a Hann window of three periods (at most the frame) centred in the
// frame, and their second phase differences d_k = arg(H_{k+1} H_{k-1} / H_k²), k = 3..9. A
// delay, a gain or the fundamental's phase (which a telephone band removes) shifts the phases by
// amounts linear in k, which the second difference cancels; what is left is the shape of the
// glottal pulse and of the vocal tract's phase. Then
//
//	11-17 for k = 3..9, the mean resultant length |mean e^{i d_k}| over such frames: how steady
//	      the phase structure is over the recording (a formant synthesiser or a vocoder's fixed
//	      excitation: steadier than speech; scattered or reverberated phases: less)
//	18-24 for k = 3..9, |mean e^{i (d_k(t) − d_k(t'))}| over consecutive such frames t', t: how
//	      steady it is from one frame to the next
//
// Push samples in any chunking; the statistics equal those of one Push. Not safe for concurrent
// use; no allocation per frame.
type VoiceQualityStats struct {
	cfg        VoiceQualityConfig
	minDB      float64
	fl, fs, n  int // frame length, shift, FFT size
	lo, hi     int // lag range, samples (at half the rate with HalfRate)
	na         int // the size of the transforms of the pitch analysis: n, or n/2 with HalfRate
	window     []float64
	invBias    []float64 // 1 / the window's normalised autocorrelation, per lag
	rn         []float64 // scratch: the frame's corrected normalised autocorrelation per lag
	cosT       []float64 // cos(2π j / n)
	base       [2][]float64
	fft        *realFFT
	fftA       *realFFT  // the pitch analysis's transform (fft, or one of n/2 points)
	ra         []float64 // with HalfRate: the autocorrelation of the band below a quarter of the rate
	r8         []float64 // with HalfRate: the frame's autocorrelation at lags 0..LPCOrder
	pending    []float32
	frame      []float64
	ext        []float64 // an even spectrum extended to n points, to be transformed back
	xr, xi     []float64
	pow, r, lp []float64
	cep        []float64
	a, tmp     []float64

	counted, voiced   int
	sum               [VoiceQualityDim]float64 // Σ of each statistic's values (index as Stats)
	sq                [VoiceQualityDim]float64 // Σ of squares where a deviation is reported
	pairs             int
	prevVoiced        bool
	prevLag, prevLogE float64
	bandLo, bandHi    [2]int

	// HarmonicPhase: per second difference, Σ e^{i d_k} over frames (phaseN of them) and
	// Σ e^{i (d_k(t) − d_k(t'))} over consecutive pairs (phasePairsN); the previous frame's unit
	// phasors, valid when prevPhase.
	phaseSum, phaseStep [phasePairs]complex128
	phaseN, phasePairsN int
	prevPhase           bool
	prevU               [phasePairs]complex128
}

// NewVoiceQualityStats returns an accumulator over frames of at least minLevelDB (RMS after DC
// removal, dBFS).
func NewVoiceQualityStats(cfg VoiceQualityConfig, minLevelDB float64) (*VoiceQualityStats, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fl := msSamples(cfg.SampleRate, cfg.FrameLengthMs)
	rateA, step := float64(cfg.SampleRate), 1 // the pitch analysis's rate, and its lag in samples
	if cfg.HalfRate {
		rateA, step = rateA/2, 2
	}
	lo := int(math.Floor(rateA / cfg.MaxF0))
	hi := int(math.Ceil(rateA / cfg.MinF0))
	n := 1
	for n < fl+step*hi+1 { // no circular aliasing of the autocorrelation up to the longest lag
		n *= 2
	}
	na := n / step
	st := &VoiceQualityStats{cfg: cfg, minDB: minLevelDB, fl: fl, fs: msSamples(cfg.SampleRate, cfg.FrameShiftMs), n: n, na: na, lo: lo, hi: hi,
		window: make([]float64, fl), invBias: make([]float64, hi+2), cosT: make([]float64, n)}
	st.allocScratch()
	var err error
	if st.fft, err = newRealFFT(n); err != nil {
		return nil, err
	}
	st.fftA = st.fft
	if cfg.HalfRate {
		if st.fftA, err = newRealFFT(na); err != nil {
			return nil, err
		}
		st.fftA.useGo() // only its spectrum is taken: its Go work arrays now, not at the first frame
	}
	for i := range st.window {
		st.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(fl-1))
	}
	for j := range st.cosT {
		st.cosT[j] = math.Cos(2 * math.Pi * float64(j) / float64(n))
	}
	// The window's autocorrelation, by the same FFT route as the frames'.
	copy(st.frame, st.window)
	st.autocorr()
	for k := range st.invBias { // at the analysis lag k, the full-rate lag step·k
		st.invBias[k] = st.r[0] / st.r[step*k]
	}
	// Least-squares line over the pitch quefrencies: cpp = max_q c[q] − (α + β q), with
	// (α, β) = base · c[lo..hi].
	m := float64(hi - lo + 1)
	var sx, sxx float64
	for q := lo; q <= hi; q++ {
		sx += float64(q)
		sxx += float64(q * q)
	}
	den := m*sxx - sx*sx
	st.base[0], st.base[1] = make([]float64, hi-lo+1), make([]float64, hi-lo+1)
	for q := lo; q <= hi; q++ {
		st.base[0][q-lo] = (sxx - sx*float64(q)) / den
		st.base[1][q-lo] = (m*float64(q) - sx) / den
	}
	hz := float64(cfg.SampleRate) / float64(n) // the bands' bins are the full-rate spectrum's
	st.bandLo = [2]int{1, int(math.Round(1000 / hz))}
	st.bandHi = [2]int{int(math.Round(2000 / hz)), min(int(math.Round(3500/hz)), n/2-1)}
	return st, nil
}

// allocScratch makes the per-frame work buffers (also the pending samples').
func (st *VoiceQualityStats) allocScratch() {
	n, na, p := st.n, st.na, st.cfg.LPCOrder
	st.pending = make([]float32, 0, 2*st.fl)
	st.rn, st.frame, st.ext = make([]float64, st.hi+2), make([]float64, n), make([]float64, n)
	st.xr, st.xi, st.pow, st.r = make([]float64, n/2+1), make([]float64, n/2+1), make([]float64, n/2+1), make([]float64, n/2+1)
	st.lp, st.cep, st.a, st.tmp = make([]float64, na/2+1), make([]float64, na/2+1), make([]float64, p+1), make([]float64, p+1)
	if st.cfg.HalfRate {
		st.ra, st.r8 = make([]float64, na/2+1), make([]float64, p+1)
	}
}

// releaseScratch drops the work buffers once MaxFrames frames are counted: a long call keeps
// only the sums (~30 KB less per call) until Reset.
func (st *VoiceQualityStats) releaseScratch() {
	st.pending, st.rn, st.frame, st.ext, st.xr, st.xi, st.pow, st.r = nil, nil, nil, nil, nil, nil, nil, nil
	st.lp, st.cep, st.a, st.tmp, st.ra, st.r8 = nil, nil, nil, nil, nil, nil
}

// Reset forgets all input.
func (st *VoiceQualityStats) Reset() {
	if st.frame == nil {
		st.allocScratch()
	}
	st.pending = st.pending[:0]
	st.counted, st.voiced, st.pairs = 0, 0, 0
	st.sum, st.sq = [VoiceQualityDim]float64{}, [VoiceQualityDim]float64{}
	st.prevVoiced = false
	st.phaseSum, st.phaseStep = [phasePairs]complex128{}, [phasePairs]complex128{}
	st.phaseN, st.phasePairsN, st.prevPhase = 0, 0, false
}

// Push appends samples (in [-1, 1), at the configured rate).
func (st *VoiceQualityStats) Push(samples []float32) {
	for len(samples) > 0 {
		if st.cfg.MaxFrames > 0 && st.counted >= st.cfg.MaxFrames {
			if st.frame != nil {
				st.releaseScratch()
			}
			return // past the cap nothing more is counted
		}
		// At most a frame's length at a time, so the pending samples never outgrow two frames
		// whatever the caller's chunk (a 5 s chunk had kept 160 KB per session).
		k := min(len(samples), st.fl)
		st.pending = append(st.pending, samples[:k]...)
		samples = samples[k:]
		off := 0
		for len(st.pending)-off >= st.fl {
			st.frameAt(st.pending[off : off+st.fl])
			off += st.fs
		}
		if off > 0 {
			st.pending = append(st.pending[:0], st.pending[min(off, len(st.pending)):]...)
		}
	}
}

// autocorr sets pow to |FFT(frame)|² and r to its inverse transform (the frame's autocorrelation,
// times n).
func (st *VoiceQualityStats) autocorr() {
	st.fft.power(st.frame, st.pow)
	st.inverseEven(st.fft, st.n, st.pow, st.r)
}

// inverseEven writes n times the inverse DFT of the real, even spectrum whose bins 0..n/2 are
// spec into dst (n/2+1 points): Σ_k spec_ext[k]·cos(2πjk/n), computed by f (n ≤ st.n points) as
// the forward transform of the even extension (a real even sequence has a real, even transform).
func (st *VoiceQualityStats) inverseEven(f *realFFT, n int, spec, dst []float64) {
	ext := st.ext[:n]
	copy(ext, spec[:n/2+1])
	for k := 1; k < n/2; k++ {
		ext[n-k] = spec[k]
	}
	f.spectrum(ext, st.xr[:n/2+1], st.xi[:n/2+1])
	copy(dst[:n/2+1], st.xr[:n/2+1])
}

// bandCorr is the normalised autocorrelation at full-rate lag k of the power in bins [b0, b1],
// corrected by bias (the window's invBias at that lag).
func (st *VoiceQualityStats) bandCorr(b0, b1, k int, bias float64) float64 {
	var num, den float64
	for f := b0; f <= b1; f++ {
		num += st.pow[f] * st.cosT[(f*k)&(st.n-1)]
		den += st.pow[f]
	}
	if den <= 0 {
		return 0
	}
	return num / den * bias
}

// frameAt adds one frame if its level reaches the floor.
func (st *VoiceQualityStats) frameAt(x []float32) {
	if st.cfg.MaxFrames > 0 && st.counted >= st.cfg.MaxFrames {
		return
	}
	n := len(x)
	mean, e := frameStats(x)
	if e <= 0 || frameLevelDB(e, n) < st.minDB {
		st.prevVoiced, st.prevPhase = false, false
		return
	}
	st.counted++
	for i, v := range x { // frame[n:] is zero padding, never written
		st.frame[i] = (float64(v) - mean) * st.window[i]
	}
	ac, step := st.r, 1 // the pitch analysis's autocorrelation, and its lag in full-rate samples
	if st.cfg.HalfRate {
		// The lower half of the spectrum, transformed back at half the size, is the
		// autocorrelation of the frame low-passed at a quarter of the rate, at every other lag.
		st.fft.power(st.frame, st.pow)
		st.inverseEven(st.fftA, st.na, st.pow, st.ra)
		ac, step = st.ra, 2
	} else {
		st.autocorr()
	}
	r0 := ac[0]
	if r0 <= 0 {
		st.prevVoiced, st.prevPhase = false, false
		return
	}
	// rn[k]: the normalised autocorrelation at lag k, corrected for the window's decay.
	rn, inv := st.rn, 1/r0
	for k := st.lo; k <= st.hi; k++ {
		rn[k] = ac[k] * inv * st.invBias[k]
	}
	best, lag := math.Inf(-1), st.lo
	for k := st.lo; k <= st.hi; k++ {
		if rn[k] > best {
			best, lag = rn[k], k
		}
	}
	if best < st.cfg.VoicedMin {
		st.prevVoiced, st.prevPhase = false, false
		return
	}
	// The shortest lag that is a local maximum within 0.05 of the best: a periodic frame is as
	// correlated at twice its period, which is not its pitch.
	for k := st.lo + 1; k < lag; k++ {
		if v := rn[k]; v >= best-0.05 && v >= rn[k-1] && v >= rn[k+1] {
			best, lag = v, k
			break
		}
	}
	st.voiced++
	// Parabolic refinement of the lag.
	L := float64(lag)
	if lag > st.lo && lag < st.hi {
		a, c := rn[lag-1], rn[lag+1]
		if d := a - 2*best + c; d < 0 {
			L += 0.5 * (a - c) / d
		}
	}
	st.add(1, best)
	st.add(3, st.bandCorr(st.bandLo[0], st.bandLo[1], step*lag, st.invBias[lag]))
	st.add(4, st.bandCorr(st.bandHi[0], st.bandHi[1], step*lag, st.invBias[lag]))
	// Cepstral peak prominence (of the analysed band).
	for k, p := range st.pow[:st.na/2+1] {
		st.lp[k] = math.Log(p/r0 + 1e-10)
	}
	st.inverseEven(st.fftA, st.na, st.lp, st.cep)
	var alpha, beta float64
	for q := st.lo; q <= st.hi; q++ {
		alpha += st.base[0][q-st.lo] * st.cep[q]
		beta += st.base[1][q-st.lo] * st.cep[q]
	}
	cpp := math.Inf(-1)
	for q := st.lo; q <= st.hi; q++ {
		if v := st.cep[q] - (alpha + beta*float64(q)); v > cpp { // not max: its NaN and ±0 rules cost a third of this loop
			cpp = v
		}
	}
	st.add(5, cpp/float64(st.na))
	// LPC (Levinson-Durbin on the autocorrelation, white-noise corrected) and the residual's
	// log kurtosis over the frame.
	p := st.cfg.LPCOrder
	r := st.r
	if st.cfg.HalfRate { // the full-rate autocorrelation up to the order, in the time domain
		r = st.r8
		x := st.frame[:st.fl]
		for k := range r {
			r[k] = vec.DotF64(x[k:], x[:len(x)-k])
		}
	}
	a, tmp := st.a, st.tmp
	clear(a)
	errE := r[0] * 1.0001
	for i := 1; i <= p; i++ {
		acc := r[i]
		for j := 1; j < i; j++ {
			acc -= a[j] * r[i-j]
		}
		k := acc / errE
		copy(tmp, a)
		a[i] = k
		for j := 1; j < i; j++ {
			a[j] = tmp[j] - k*tmp[i-j]
		}
		errE *= 1 - k*k
		if errE <= 0 {
			break
		}
	}
	var m2, m4 float64
	for t := p; t < n; t++ {
		v := st.frame[t]
		for j := 1; j <= p; j++ {
			v -= a[j] * st.frame[t-j]
		}
		v2 := v * v
		m2 += v2
		m4 += v2 * v2
	}
	if m2 > 0 {
		cnt := float64(n - p)
		st.add(7, math.Log(m4/cnt/((m2/cnt)*(m2/cnt))))
	} else {
		st.add(7, 0)
	}
	logE := math.Log(e)
	if st.prevVoiced {
		st.pairs++
		st.sum[9] += min(math.Abs(L-st.prevLag)/L, 0.2)
		st.sum[10] += min(math.Abs(logE-st.prevLogE), 2)
	}
	st.prevVoiced, st.prevLag, st.prevLogE = true, L, logE
	if st.cfg.HarmonicPhase {
		st.harmonicPhase(x, mean, float64(step)*st.phasePeriod(L, float64(step)))
	}
}

// phasePeriod is the pitch period (analysis samples) for the harmonic phase analysis: the
// refined lag L, or L/3 or L/2 when the frame's power spectrum (st.pow) says so. The lag search
// compares integer lags, and when the period is not a whole number of samples its multiple can
// come out higher; a period m times too long puts most of the measured "harmonics" between the
// true ones. So below 2 kHz, if the multiples of 1/L that are not multiples of m/L hold on
// average less than a twentieth of the power of those that are, the period is L/m.
func (st *VoiceQualityStats) phasePeriod(L, step float64) float64 {
	rate := float64(st.cfg.SampleRate)
	f0 := rate / (step * L)
	binHz := rate / float64(st.n)
	for m := 3; m >= 2; m-- {
		var on, off float64
		var nOn, nOff int
		for h := 1; float64(h)*f0 < 2000; h++ {
			p := st.pow[int(math.Round(float64(h)*f0/binHz))]
			if h%m == 0 {
				on, nOn = on+p, nOn+1
			} else {
				off, nOff = off+p, nOff+1
			}
		}
		if nOn > 0 && nOff > 0 && off/float64(nOff) < 0.05*on/float64(nOn) {
			return L / float64(m)
		}
	}
	return L
}

// harmonicPhase adds a voiced frame's second phase differences (see VoiceQualityStats), given
// its samples, their mean and the pitch period in samples at the full rate.
func (st *VoiceQualityStats) harmonicPhase(x []float32, mean, period float64) {
	rate := float64(st.cfg.SampleRate)
	if phaseHarmonics*rate/period >= 0.45*rate {
		st.prevPhase = false
		return
	}
	w := min(int(3*period), len(x))
	seg := x[(len(x)-w)/2:][:w]
	// Goertzel recurrences at the harmonics kω, k = 2..phaseHarmonics, over the samples under a
	// Hann window (its cosine by recurrence too). H_k = s1 − e^{−ikω} s2 is the DFT at kω times
	// e^{ikω(w−1)}: a phase linear in k, which the second differences cancel.
	var s1, s2, cs, sn [phaseHarmonics + 1]float64
	omega := 2 * math.Pi / period
	c1, s1w := math.Cos(omega), math.Sin(omega)
	ck, sk := c1, s1w
	for k := 2; k <= phaseHarmonics; k++ {
		ck, sk = ck*c1-sk*s1w, sk*c1+ck*s1w
		cs[k], sn[k] = ck, sk
	}
	th := 2 * math.Pi / float64(w-1)
	ct := 2 * math.Cos(th)
	cCur, cPrev := 1.0, math.Cos(th) // cos(nθ) at n and n−1
	for _, v := range seg {
		y := (float64(v) - mean) * (0.5 - 0.5*cCur)
		for k := 2; k <= phaseHarmonics; k++ {
			s1[k], s2[k] = y+2*cs[k]*s1[k]-s2[k], s1[k]
		}
		cCur, cPrev = ct*cCur-cPrev, cCur
	}
	var h [phaseHarmonics + 1]complex128
	for k := 2; k <= phaseHarmonics; k++ {
		h[k] = complex(s1[k]-cs[k]*s2[k], sn[k]*s2[k])
	}
	var u [phasePairs]complex128
	for j := range u {
		k := j + 3
		q := h[k+1] * h[k-1] * cmplx.Conj(h[k]*h[k])
		a := cmplx.Abs(q)
		if !(a > 0) { // a silent harmonic (or NaN input): no phase
			st.prevPhase = false
			return
		}
		u[j] = q / complex(a, 0)
	}
	for j := range u {
		st.phaseSum[j] += u[j]
		if st.prevPhase {
			st.phaseStep[j] += u[j] * cmplx.Conj(st.prevU[j])
		}
	}
	st.phaseN++
	if st.prevPhase {
		st.phasePairsN++
	}
	st.prevU, st.prevPhase = u, true
}

// add accumulates a voiced frame's value of statistic i (and its square, for i's deviation at i+1).
func (st *VoiceQualityStats) add(i int, v float64) {
	st.sum[i] += v
	st.sq[i] += v * v
}

// Stats writes the configuration's Dim statistics (see VoiceQualityStats) to dst and returns the
// number of frames counted; statistics of voiced frames are 0 when there are none, the jitter and
// shimmer (and the frame-to-frame phase steadiness) 0 without two consecutive such frames.
func (st *VoiceQualityStats) Stats(dst []float64) int {
	dst = dst[:st.cfg.Dim()]
	clear(dst)
	if st.counted == 0 {
		return 0
	}
	dst[0] = float64(st.voiced) / float64(st.counted)
	if v := float64(st.voiced); v > 0 {
		for _, i := range []int{1, 5, 7} {
			m := st.sum[i] / v
			dst[i], dst[i+1] = m, math.Sqrt(max(st.sq[i]/v-m*m, 0))
		}
		dst[3], dst[4] = st.sum[3]/v, st.sum[4]/v
	}
	if st.pairs > 0 {
		dst[9], dst[10] = st.sum[9]/float64(st.pairs), st.sum[10]/float64(st.pairs)
	}
	if st.cfg.HarmonicPhase {
		ph := dst[VoiceQualityDim:]
		for j := range phasePairs {
			if st.phaseN > 0 {
				ph[j] = cmplx.Abs(st.phaseSum[j]) / float64(st.phaseN)
			}
			if st.phasePairsN > 0 {
				ph[phasePairs+j] = cmplx.Abs(st.phaseStep[j]) / float64(st.phasePairsN)
			}
		}
	}
	return st.counted
}
