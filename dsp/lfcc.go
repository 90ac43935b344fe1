package dsp

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/voxguard/voxguard/internal/vec"
)

// LFCCConfig configures linear-frequency cepstral coefficients, the front end of the ASVspoof
// baseline spoofing countermeasure. Frequencies are in Hz, durations in milliseconds. Each frame:
// DC removal, pre-emphasis, a Hamming window, the power spectrum of the frame zero-padded to a
// power of two, NumFilters triangular filters equally spaced on a linear frequency axis between
// LowFreq and HighFreq, the natural log, an orthonormal DCT-II keeping NumCeps coefficients (C0
// included), then deltas up to DeltaOrder (Kaldi's regression with DeltaWindow).
type LFCCConfig struct {
	SampleRate    int     `json:"sample_rate"`     // samples per second
	FrameLengthMs float64 `json:"frame_length_ms"` // analysis window length
	FrameShiftMs  float64 `json:"frame_shift_ms"`  // hop between frames
	NumFilters    int     `json:"num_filters"`     // triangular filters on the linear axis
	LowFreq       float64 `json:"low_freq"`        // lowest filter edge
	HighFreq      float64 `json:"high_freq"`       // highest filter edge (<= Nyquist)
	NumCeps       int     `json:"num_ceps"`        // cepstra kept, C0 included
	PreemphCoeff  float64 `json:"preemph_coeff"`   // pre-emphasis coefficient (0 disables)
	DeltaOrder    int     `json:"delta_order"`     // 0 static only, 1 +Δ, 2 +Δ+ΔΔ
	// SpectralFlux adds to the long-term spectral statistics the per-bin mean absolute change of
	// log power between consecutive frames (see LFCC.SpectralStats).
	SpectralFlux bool `json:"spectral_flux,omitempty"`
	// StatsFrameLengthMs, if > 0, gives the long-term spectral statistics their own analysis
	// window (shifted by half of it) instead of the LFCC frames, for a finer frequency resolution.
	StatsFrameLengthMs float64 `json:"stats_frame_length_ms,omitempty"`
	// Prosody appends to the long-term statistics ProsodyDim prosodic-perturbation features of
	// the recording (pitch-period jitter, shimmer, F0 contour smoothness; see PitchTracker).
	Prosody bool `json:"prosody,omitempty"`
	// Modulation appends to the long-term statistics ModulationDim multi-scale temporal
	// modulation statistics: for ModulationBands sub-bands of the log power spectrum and each lag
	// of ModulationLags frames, the mean absolute change of the sub-band's log power over that lag
	// (see LFCC.SpectralStats). Over-smoothed parametric synthesis and vocoders change more slowly
	// at short lags than speech does.
	Modulation bool `json:"modulation,omitempty"`
	// ModulationLowFreq and ModulationHighFreq bound the sub-bands of the modulation statistics
	// (Hz; 0 and 0: FFT bin 1 up to Nyquist). A telephone passband (e.g. 250-3500 Hz) keeps out
	// the edges where a band-limited channel leaves only a constant floor.
	ModulationLowFreq  float64 `json:"modulation_low_freq,omitempty"`
	ModulationHighFreq float64 `json:"modulation_high_freq,omitempty"`
	// ModulationShape divides each sub-band's mean absolute changes by their sum over the lags,
	// keeping the shape of its modulation spectrum and dropping its overall variability.
	ModulationShape bool `json:"modulation_shape,omitempty"`
	// VoiceQuality appends to the long-term statistics the VoiceQualityDim voice-source
	// statistics of VoiceQualityStats (TelephoneVoiceQuality's framing at the configured rate,
	// over frames reaching the statistics' level floor): voicing, band harmonicity, cepstral peak
	// prominence, LPC-residual kurtosis, jitter and shimmer.
	VoiceQuality bool `json:"voice_quality,omitempty"`
	// VoiceQualityShiftMs and VoiceQualityMaxFrames, if > 0, replace TelephoneVoiceQuality's
	// frame shift (ms) and set its MaxFrames.
	VoiceQualityShiftMs   float64 `json:"voice_quality_shift_ms,omitempty"`
	VoiceQualityMaxFrames int     `json:"voice_quality_max_frames,omitempty"`
	// VoiceQualityHalfRate sets VoiceQualityConfig.HalfRate (the pitch and cepstral peak found
	// below a quarter of the sample rate, at half the work of their transforms).
	VoiceQualityHalfRate bool `json:"voice_quality_half_rate,omitempty"`
	// VoiceQualityPhase sets VoiceQualityConfig.HarmonicPhase (the harmonics' phase structure,
	// HarmonicPhaseDim more statistics at the end of the voice-source statistics).
	VoiceQualityPhase bool `json:"voice_quality_phase,omitempty"`
}

// modulationBins returns the FFT bin range [lo, hi) the modulation sub-bands divide.
func (c LFCCConfig) modulationBins() (lo, hi int) {
	sc := c.statsConfig()
	n := sc.PaddedLength()
	k := n/2 + 1
	lo, hi = 1, k
	if c.ModulationLowFreq > 0 {
		lo = max(1, int(math.Ceil(c.ModulationLowFreq*float64(n)/float64(c.SampleRate))))
	}
	if c.ModulationHighFreq > 0 {
		hi = min(k, int(math.Floor(c.ModulationHighFreq*float64(n)/float64(c.SampleRate)))+1)
	}
	return lo, hi
}

// modulationBinCount is the number of FFT bins the modulation sub-bands divide.
func (c LFCCConfig) modulationBinCount() int {
	lo, hi := c.modulationBins()
	return hi - lo
}

// ModulationBands is the number of equal-width sub-bands of the modulation statistics (they
// divide FFT bins 1 to PaddedLength/2, or the LFCCConfig.ModulationLowFreq-HighFreq range).
const ModulationBands = 16

// ModulationLags are the lags, in frames of the long-term statistics, of the modulation
// statistics (15, 30, 60 and 120 ms with the 15 ms shift of TelephoneLFCC).
var ModulationLags = [...]int{1, 2, 4, 8}

// ModulationDim is the number of modulation statistics LFCCConfig.Modulation appends.
const ModulationDim = ModulationBands * len(ModulationLags)

// statsConfig is the framing of the long-term spectral statistics.
func (c LFCCConfig) statsConfig() LFCCConfig {
	if c.StatsFrameLengthMs > 0 {
		c.FrameLengthMs, c.FrameShiftMs = c.StatsFrameLengthMs, c.StatsFrameLengthMs/2
	}
	return c
}

// TelephoneLFCC is the ASVspoof baseline LFCC adapted to the 8 kHz telephone band: 30 ms / 15 ms
// frames, 20 linear filters over 0-4000 Hz, 19 coefficients plus C0, deltas and double deltas
// (60 dimensions).
func TelephoneLFCC() LFCCConfig {
	return LFCCConfig{SampleRate: 8000, FrameLengthMs: 30, FrameShiftMs: 15, NumFilters: 20,
		LowFreq: 0, HighFreq: 4000, NumCeps: 20, PreemphCoeff: 0.97, DeltaOrder: 2}
}

// FrameLength is the analysis window in samples.
func (c LFCCConfig) FrameLength() int { return msSamples(c.SampleRate, c.FrameLengthMs) }

// FrameShift is the hop between frames in samples.
func (c LFCCConfig) FrameShift() int { return msSamples(c.SampleRate, c.FrameShiftMs) }

// PaddedLength is the FFT size: the frame length rounded up to a power of two (at least 8).
func (c LFCCConfig) PaddedLength() int { return pow2AtLeast(c.FrameLength(), 8) }

// Dim is the output dimension: NumCeps × (DeltaOrder+1).
func (c LFCCConfig) Dim() int { return c.NumCeps * (c.DeltaOrder + 1) }

// NumFrames is the number of frames snip-edges framing yields for n samples.
func (c LFCCConfig) NumFrames(n int) int {
	fl, fs := c.FrameLength(), c.FrameShift()
	if n < fl {
		return 0
	}
	return 1 + (n-fl)/fs
}

// Validate reports a configuration the front end cannot run.
func (c LFCCConfig) Validate() error {
	switch {
	case c.SampleRate <= 0:
		return errors.New("lfcc: sample rate must be positive")
	case c.FrameLength() < 2 || c.FrameShift() < 1:
		return errors.New("lfcc: frame length and shift must be positive")
	case c.NumFilters < 2:
		return errors.New("lfcc: need at least two filters")
	case c.LowFreq < 0 || c.HighFreq <= c.LowFreq || c.HighFreq > float64(c.SampleRate)/2:
		return fmt.Errorf("lfcc: filter range %g-%g Hz invalid for %d Hz sampling", c.LowFreq, c.HighFreq, c.SampleRate)
	case c.NumCeps < 1 || c.NumCeps > c.NumFilters:
		return fmt.Errorf("lfcc: num_ceps %d must be in 1..num_filters", c.NumCeps)
	case c.DeltaOrder < 0 || c.DeltaOrder > 2:
		return errors.New("lfcc: delta order must be 0, 1 or 2")
	case c.PreemphCoeff < 0 || c.PreemphCoeff >= 1:
		return errors.New("lfcc: pre-emphasis coefficient must be in [0, 1)")
	case c.StatsFrameLengthMs < 0 || (c.StatsFrameLengthMs > 0 && c.statsConfig().FrameShift() < 1):
		return errors.New("lfcc: statistics frame length must be 0 or at least two samples")
	case c.Modulation && c.modulationBinCount() < ModulationBands:
		return fmt.Errorf("lfcc: modulation range %g-%g Hz holds fewer than %d FFT bins", c.ModulationLowFreq, c.ModulationHighFreq, ModulationBands)
	case c.VoiceQuality && c.voiceQualityConfig().Validate() != nil:
		return fmt.Errorf("lfcc: voice quality statistics: %w", c.voiceQualityConfig().Validate())
	}
	return nil
}

// voiceQualityConfig is the VoiceQualityStats configuration of LFCCConfig.VoiceQuality.
func (c LFCCConfig) voiceQualityConfig() VoiceQualityConfig {
	v := TelephoneVoiceQuality()
	v.SampleRate = c.SampleRate
	if c.VoiceQualityShiftMs != 0 { // a negative shift fails Validate
		v.FrameShiftMs = c.VoiceQualityShiftMs
	}
	v.MaxFrames = c.VoiceQualityMaxFrames
	v.HalfRate = c.VoiceQualityHalfRate
	v.HarmonicPhase = c.VoiceQualityPhase
	return v
}

// VoiceQualityStatsDim is the number of voice-source statistics that end the long-term
// statistics with VoiceQuality (0 without).
func (c LFCCConfig) VoiceQualityStatsDim() int {
	if !c.VoiceQuality {
		return 0
	}
	return c.voiceQualityConfig().Dim()
}

// linearBank returns NumFilters triangles with NumFilters+2 equally spaced edges from LowFreq to
// HighFreq, evaluated at FFT bin frequencies k·SampleRate/PaddedLength, k = 0..PaddedLength/2.
// Filter b rises from edge b to edge b+1 and falls to edge b+2 (peak weight 1).
func linearBank(c LFCCConfig) []melFilter {
	padded := c.PaddedLength()
	binWidth := float64(c.SampleRate) / float64(padded)
	delta := (c.HighFreq - c.LowFreq) / float64(c.NumFilters+1)
	bank := make([]melFilter, c.NumFilters)
	for b := range bank {
		left := c.LowFreq + float64(b)*delta
		center := left + delta
		right := center + delta
		f := melFilter{start: -1}
		for i := 0; i <= padded/2; i++ {
			hz := binWidth * float64(i)
			if hz > left && hz < right {
				w := (hz - left) / delta
				if hz > center {
					w = (right - hz) / delta
				}
				if f.start < 0 {
					f.start = i
				}
				f.w = append(f.w, w)
			}
		}
		if f.start < 0 { // narrower than a bin: the nearest bin
			f.start = min(int(math.Round(center/binWidth)), padded/2)
			f.w = []float64{1}
		}
		bank[b] = f
	}
	return bank
}

// lfccComputer turns one frame into static LFCCs and its log energy; allocation-free.
type lfccComputer struct {
	cfg    LFCCConfig
	n      int
	window []float64
	bank   []melFilter
	dct    []float64 // NumCeps × NumFilters
	fft    *realFFT
	buf    []float64
	pow    []float64
	logE   []float64
}

func newLFCCComputer(c LFCCConfig) (*lfccComputer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	fft, err := newRealFFT(c.PaddedLength())
	if err != nil {
		return nil, err
	}
	t := lfccTablesFor(c)
	return &lfccComputer{cfg: c, n: c.FrameLength(), fft: fft, bank: t.bank, window: t.window, dct: t.dct,
		buf: make([]float64, c.PaddedLength()), pow: make([]float64, c.PaddedLength()/2+1),
		logE: make([]float64, c.NumFilters)}, nil
}

// lfccTables are the read-only tables of an LFCC configuration, shared by every computer of it.
type lfccTables struct {
	window, dct []float64
	bank        []melFilter
}

// lfccTableCache maps an LFCCConfig (validated) to its *lfccTables.
var lfccTableCache sync.Map

// lfccTablesFor returns c's shared tables, computing them on first use.
func lfccTablesFor(c LFCCConfig) *lfccTables {
	return cachedTables(&lfccTableCache, c, func() *lfccTables { return newLFCCTables(c) })
}

func newLFCCTables(c LFCCConfig) *lfccTables {
	n := c.FrameLength()
	t := &lfccTables{bank: linearBank(c), window: make([]float64, n), dct: make([]float64, c.NumCeps*c.NumFilters)}
	for i := range t.window {
		t.window[i] = 0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(n-1))
	}
	nf := float64(c.NumFilters)
	for k := range c.NumCeps {
		norm := math.Sqrt(2 / nf)
		if k == 0 {
			norm = math.Sqrt(1 / nf)
		}
		for j := range c.NumFilters {
			t.dct[k*c.NumFilters+j] = norm * math.Cos(math.Pi/nf*(float64(j)+0.5)*float64(k))
		}
	}
	return t
}

// compute writes NumCeps static coefficients of frame (FrameLength samples in [-1, 1)) to out
// and returns the frame's RMS level in dB relative to full scale (before pre-emphasis, after DC
// removal; -200 for digital silence).
func (m *lfccComputer) compute(frame []float32, out []float32) float64 {
	mean, e := frameStats(frame[:m.n])
	m.spectrum(frame, mean, out)
	return frameLevelDB(e, m.n)
}

// spectrum writes frame's NumCeps static coefficients to out, given the frame's mean (as
// frameStats gives it), and leaves its power spectrum in m.pow.
func (m *lfccComputer) spectrum(frame []float32, mean float64, out []float32) {
	n := m.n
	frame = frame[:n]
	c := m.cfg.PreemphCoeff
	prev := float64(frame[0]) - mean
	buf := m.buf[:n]
	win := m.window[:n]
	for i := range buf {
		x := float64(frame[i]) - mean
		p := prev
		if i == 0 {
			p = x
		}
		buf[i] = (x - c*p) * win[i]
		prev = x
	}
	clear(m.buf[n:])
	m.fft.power(m.buf, m.pow)
	for b, f := range m.bank {
		p := m.pow[f.start : f.start+len(f.w)]
		var s float64
		for i, w := range f.w {
			s += w * p[i]
		}
		m.logE[b] = s
	}
	vec.LogFloor(m.logE, m.logE, logFloor)
	nf := len(m.logE)
	for k := range out[:m.cfg.NumCeps] {
		row := m.dct[k*nf : (k+1)*nf]
		var s float64
		for j, v := range m.logE {
			s += row[j] * v
		}
		out[k] = float32(s)
	}
}

// frameStats returns the mean of frame's samples and the energy (sum of squares) of the frame
// minus that mean. Four interleaved running sums keep the additions off one dependency chain.
func frameStats(frame []float32) (mean, energy float64) {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(frame); i += 4 {
		f := frame[i : i+4 : i+4]
		s0 += float64(f[0])
		s1 += float64(f[1])
		s2 += float64(f[2])
		s3 += float64(f[3])
	}
	for ; i < len(frame); i++ {
		s0 += float64(frame[i])
	}
	mean = ((s0 + s1) + (s2 + s3)) / float64(len(frame))
	var e0, e1, e2, e3 float64
	i = 0
	for ; i+4 <= len(frame); i += 4 {
		f := frame[i : i+4 : i+4]
		x0, x1, x2, x3 := float64(f[0])-mean, float64(f[1])-mean, float64(f[2])-mean, float64(f[3])-mean
		e0 += x0 * x0
		e1 += x1 * x1
		e2 += x2 * x2
		e3 += x3 * x3
	}
	for ; i < len(frame); i++ {
		x := float64(frame[i]) - mean
		e0 += x * x
	}
	return mean, (e0 + e1) + (e2 + e3)
}

// frameLevelDB is the level in dBFS of n samples with energy e (sum of squares), -200 for silence.
func frameLevelDB(e float64, n int) float64 {
	if e <= 0 {
		return -200
	}
	return 10 * math.Log10(e/float64(n))
}

// LFCC is a streaming LFCC front end: push samples (at the configured rate, in [-1, 1)) in chunks
// of any size, pull frames with deltas. Frame t with deltas is available once the static frames
// up to t+2·DeltaWindow exist (or at Flush), and the output equals ComputeLFCC on the
// concatenated samples. Not safe for concurrent use.
type LFCC struct {
	cfg     LFCCConfig
	comp    *lfccComputer
	scales  [][]float64
	pending []float32   // samples from the start of frame nStatic on
	static  [][]float32 // static frames still needed, from index base
	free    [][]float32 // recycled rows, so that steady-state streaming allocates nothing
	energy  []float64   // levels (dBFS) of the frames from index base on, nLevel-base of them
	means   []float64   // with SkipBelow, those frames' sample means (frameStats)
	base    int         // index of static[0]
	nStatic int         // static frames computed (or, below skipBelow, skipped) so far
	nLevel  int         // frames whose level is known (nStatic ≤ nLevel ≤ nStatic+reach)
	nOut    int         // frames emitted
	ended   bool
	// skipBelow (dBFS, SkipBelow): frames whose level is below it are emitted as zeros, and a
	// static frame no emitted frame needs is not computed. -Inf: every frame computed.
	skipBelow float64

	// Long-term spectral statistics (see EnableSpectralStats).
	specOn       bool
	specMin      float64       // level floor, dBFS
	specN        int           // frames accumulated
	specS, specQ []float64     // Σ log power, Σ (log power)² per FFT bin
	specF, specP []float64     // Σ |Δ log power| per bin, previous counted frame's log power
	specV        []float64     // scratch: this frame's log power per bin
	acc          []float64     // scratch: NumCeps sums of Next
	specFN       int           // frame pairs in specF
	specPrev     bool          // the previous frame was counted
	specComp     *lfccComputer // own framing (StatsFrameLengthMs), or nil: the LFCC frames
	specPending  []float32
	specFrame    []float32
	specRow      []float32
	pitch        *PitchTracker      // prosodic features (LFCCConfig.Prosody), or nil
	vq           *VoiceQualityStats // voice-source statistics (LFCCConfig.VoiceQuality), or nil
	// Modulation statistics (LFCCConfig.Modulation): the last modRing frames' sub-band log powers
	// (ring, newest at modHead), the run of consecutive counted frames, and per lag and band the
	// summed absolute changes and their counts.
	modRing [][ModulationBands]float64
	modHead int
	modRun  int
	modSum  []float64 // len(ModulationLags)×ModulationBands
	modN    [len(ModulationLags)]int
	modLo   int // FFT bins [modLo, modHi) make the sub-bands
	modHi   int
}

// NewLFCC returns a streaming front end for cfg.
func NewLFCC(cfg LFCCConfig) (*LFCC, error) {
	comp, err := newLFCCComputer(cfg)
	if err != nil {
		return nil, err
	}
	return &LFCC{cfg: cfg, comp: comp, scales: deltaScales(cfg.DeltaOrder, DeltaWindow),
		acc: make([]float64, cfg.NumCeps), skipBelow: math.Inf(-1)}, nil
}

// SkipBelow makes the front end skip the work a consumer that ignores every frame below
// minLevelDB (dBFS) would waste: such frames come out of Next with their level but all-zero
// coefficients, and the spectrum of a frame is computed only when a frame within the delta
// window around it reaches minLevelDB. Frames that reach it are exactly as without SkipBelow, and
// so are the spectral statistics when minLevelDB is at most their floor (EnableSpectralStats).
// Frames come out of Next up to 2·DeltaWindow frames later than without it. It must be called
// before the first Push.
func (l *LFCC) SkipBelow(minLevelDB float64) { l.skipBelow = minLevelDB }

// Config returns the front end's configuration.
func (l *LFCC) Config() LFCCConfig { return l.cfg }

// Reset forgets all input, ready for a new recording.
func (l *LFCC) Reset() {
	l.free = append(l.free, l.static...)
	l.pending, l.static, l.energy, l.means = l.pending[:0], l.static[:0], l.energy[:0], l.means[:0]
	l.base, l.nStatic, l.nLevel, l.nOut, l.ended = 0, 0, 0, 0, false
	l.specN, l.specFN, l.specPrev = 0, 0, false
	l.specPending = l.specPending[:0]
	l.modHead, l.modRun, l.modN = 0, 0, [len(ModulationLags)]int{}
	clear(l.modSum)
	clear(l.specS)
	clear(l.specQ)
	clear(l.specF)
	if l.pitch != nil {
		l.pitch.Reset()
	}
	if l.vq != nil {
		l.vq.Reset()
	}
}

// EnableSpectralStats makes the front end also accumulate long-term spectral statistics (the
// mean and standard deviation over frames of each FFT bin's log power, as in Muckenhirn et al.,
// "Long-term spectral statistics for voice presentation attack detection", 2017) over the frames
// whose level reaches minLevelDB. It must be called before the first Push.
func (l *LFCC) EnableSpectralStats(minLevelDB float64) {
	sc := l.cfg.statsConfig()
	k := sc.PaddedLength()/2 + 1
	if l.cfg.StatsFrameLengthMs > 0 {
		comp, err := newLFCCComputer(sc)
		if err != nil {
			panic(err) // Validate checks the stats framing
		}
		l.specComp, l.specFrame, l.specRow = comp, make([]float32, sc.FrameLength()), make([]float32, sc.NumCeps)
	}
	l.specOn, l.specMin = true, minLevelDB
	l.specS, l.specQ, l.specV = make([]float64, k), make([]float64, k), make([]float64, k)
	if l.cfg.SpectralFlux {
		l.specF, l.specP = make([]float64, k), make([]float64, k)
	}
	if l.cfg.Prosody {
		l.pitch = NewPitchTracker(l.cfg.SampleRate, minLevelDB)
	}
	if l.cfg.VoiceQuality {
		vq, err := NewVoiceQualityStats(l.cfg.voiceQualityConfig(), minLevelDB)
		if err != nil {
			panic(err) // Validate checks the configuration
		}
		l.vq = vq
	}
	if l.cfg.Modulation {
		l.modRing = make([][ModulationBands]float64, ModulationLags[len(ModulationLags)-1]+1)
		l.modSum = make([]float64, ModulationDim)
		l.modLo, l.modHi = l.cfg.modulationBins()
	}
}

// SpectralStatsDim is the length of the vector SpectralStats writes: twice the number of FFT
// bins, PaddedLength/2+1, or three times with SpectralFlux, plus ProsodyDim with Prosody, plus
// ModulationDim with Modulation, plus VoiceQualityStatsDim with VoiceQuality.
func (c LFCCConfig) SpectralStatsDim() int {
	k := c.statsConfig().PaddedLength()/2 + 1
	n := 2 * k
	if c.SpectralFlux {
		n = 3 * k
	}
	if c.Prosody {
		n += ProsodyDim
	}
	if c.Modulation {
		n += ModulationDim
	}
	return n + c.VoiceQualityStatsDim()
}

// SpectralStats writes the long-term spectral statistics so far to dst (SpectralStatsDim long):
// the per-bin mean log power minus its average over bins (which removes the overall gain), then
// the per-bin standard deviations, then with SpectralFlux the per-bin mean absolute change of
// log power between consecutive counted frames, then with Prosody the PitchTracker's Features
// (its frames reaching the same level floor), then with Modulation, lag by lag
// (ModulationLags) and band by band, the mean absolute change of the sub-band's mean log power
// between counted frames that many frames apart with every frame between them counted too (0
// where no such pair exists yet), then with VoiceQuality the VoiceQualityStats (of its own
// frames reaching the same level floor). It returns the number of spectral frames they cover (0: dst
// zeroed).
func (l *LFCC) SpectralStats(dst []float64) int {
	k := len(l.specS)
	dst = dst[:l.cfg.SpectralStatsDim()]
	if l.specN == 0 {
		clear(dst)
		return 0
	}
	n := float64(l.specN)
	var avg float64
	for i := range k {
		m := l.specS[i] / n
		dst[i] = m
		avg += m / float64(k)
		dst[k+i] = math.Sqrt(max(l.specQ[i]/n-m*m, 0))
	}
	for i := range k {
		dst[i] -= avg
	}
	if l.specF != nil {
		for i := range k {
			dst[2*k+i] = l.specF[i] / float64(max(l.specFN, 1))
		}
	}
	tail := len(dst)
	if l.vq != nil {
		d := l.cfg.VoiceQualityStatsDim()
		l.vq.Stats(dst[tail-d : tail])
		tail -= d
	}
	if l.modSum != nil {
		m := dst[tail-ModulationDim : tail]
		for j, n := range l.modN {
			for b := range ModulationBands {
				m[j*ModulationBands+b] = l.modSum[j*ModulationBands+b] / float64(max(n, 1))
			}
		}
		if l.cfg.ModulationShape {
			for b := range ModulationBands {
				var sum float64
				for j := range ModulationLags {
					sum += m[j*ModulationBands+b]
				}
				for j := range ModulationLags {
					if sum > 0 {
						m[j*ModulationBands+b] /= sum
					}
				}
			}
		}
		tail -= ModulationDim
	}
	if l.pitch != nil {
		l.pitch.Features(dst[tail-ProsodyDim : tail])
	}
	return l.specN
}

// Push appends samples.
func (l *LFCC) Push(samples []float32) {
	if l.pitch != nil {
		l.pitch.Push(samples)
	}
	if l.vq != nil {
		l.vq.Push(samples)
	}
	l.pending = append(l.pending, samples...)
	fl, fs := l.cfg.FrameLength(), l.cfg.FrameShift()
	if !math.IsInf(l.skipBelow, -1) {
		// Levels first, up to the delta reach ahead of the static frames: whether a static
		// frame is needed depends on the levels of the frames around it.
		for {
			start := (l.nLevel - l.nStatic) * fs
			if start+fl > len(l.pending) {
				break
			}
			mean, e := frameStats(l.pending[start : start+fl])
			l.energy = append(l.energy, frameLevelDB(e, fl))
			l.means = append(l.means, mean)
			l.nLevel++
		}
	}
	l.statics()
	if l.specComp != nil {
		l.specPending = append(l.specPending, samples...)
		sc := l.specComp.cfg
		fl, fs := sc.FrameLength(), sc.FrameShift()
		off := 0
		for len(l.specPending)-off >= fl {
			copy(l.specFrame, l.specPending[off:off+fl])
			l.accumulate(l.specComp.pow, l.specComp.compute(l.specFrame, l.specRow))
			off += fs
		}
		if off > 0 {
			l.specPending = append(l.specPending[:0], l.specPending[min(off, len(l.specPending)):]...)
		}
	}
}

// statics computes the static frames that are due: every complete frame without SkipBelow;
// with it, those whose levels within the delta reach ahead are known (all of them after Flush).
func (l *LFCC) statics() {
	fl, fs := l.cfg.FrameLength(), l.cfg.FrameShift()
	skip := !math.IsInf(l.skipBelow, -1)
	reach := len(l.scales[len(l.scales)-1]) / 2
	off := 0
	for len(l.pending)-off >= fl {
		if skip && l.nStatic+reach >= l.nLevel && !l.ended {
			break
		}
		var row []float32
		if n := len(l.free); n > 0 {
			row, l.free = l.free[n-1], l.free[:n-1]
		} else {
			row = make([]float32, l.cfg.NumCeps)
		}
		t := l.nStatic
		spec := l.specOn && l.specComp == nil
		if skip && !l.needed(t, reach) && !(spec && l.energy[t-l.base] >= l.specMin) {
			clear(row)
			if spec {
				l.accumulate(nil, l.energy[t-l.base]) // below the floor: resets the flux chain
			}
		} else {
			var lv float64
			if skip {
				lv = l.energy[t-l.base] // with the mean, computed in Push
				l.comp.spectrum(l.pending[off:off+fl], l.means[t-l.base], row)
			} else {
				lv = l.comp.compute(l.pending[off:off+fl], row)
				l.energy = append(l.energy, lv)
				l.nLevel++
			}
			if spec {
				l.accumulate(l.comp.pow, lv)
			}
		}
		l.static = append(l.static, row)
		l.nStatic++
		off += fs
	}
	if off > 0 {
		l.pending = append(l.pending[:0], l.pending[min(off, len(l.pending)):]...)
	}
}

// needed reports whether an emitted frame within reach of static frame t reaches skipBelow (the
// levels known so far: those of frames beyond the end do not exist).
func (l *LFCC) needed(t, reach int) bool {
	for u := max(t-reach, 0); u <= min(t+reach, l.nLevel-1); u++ {
		if l.energy[u-l.base] >= l.skipBelow {
			return true
		}
	}
	return false
}

// accumulate adds one frame's power spectrum of level lv (dBFS) to the long-term statistics.
func (l *LFCC) accumulate(pow []float64, lv float64) {
	if lv < l.specMin {
		l.specPrev = false
		l.modRun = 0
		return
	}
	flux := l.specF != nil && l.specPrev
	vec.LogFloor(l.specV, pow, logFloor)
	for k, v := range l.specV[:len(pow)] {
		l.specS[k] += v
		l.specQ[k] += v * v
		if l.specF != nil {
			if flux {
				l.specF[k] += math.Abs(v - l.specP[k])
			}
			l.specP[k] = v
		}
	}
	if flux {
		l.specFN++
	}
	if l.modSum != nil {
		l.modulation(l.specV[:len(pow)])
	}
	l.specN++
	l.specPrev = true
}

// modulation adds one counted frame's log power per bin (v, PaddedLength/2+1 values) to the
// modulation statistics.
func (l *LFCC) modulation(v []float64) {
	R := len(l.modRing)
	l.modHead = (l.modHead + 1) % R
	cur := &l.modRing[l.modHead]
	bins := l.modHi - l.modLo
	for b := range ModulationBands {
		lo, hi := l.modLo+b*bins/ModulationBands, l.modLo+(b+1)*bins/ModulationBands
		var s float64
		for _, x := range v[lo:hi] {
			s += x
		}
		cur[b] = s / float64(hi-lo)
	}
	l.modRun++
	for j, lag := range ModulationLags {
		if l.modRun <= lag {
			break
		}
		old := &l.modRing[(l.modHead-lag+R)%R]
		sum := l.modSum[j*ModulationBands : (j+1)*ModulationBands]
		for b := range sum {
			sum[b] += math.Abs(cur[b] - old[b])
		}
		l.modN[j]++
	}
}

// Flush marks the end of the input: the remaining frames become available.
func (l *LFCC) Flush() {
	l.ended = true
	l.statics()
}

// Next writes the next frame (Dim values) to dst and returns its level in dBFS; ok is false when
// no frame is available yet (or any more).
func (l *LFCC) Next(dst []float32) (levelDB float64, ok bool) {
	t := l.nOut
	reach := len(l.scales[len(l.scales)-1]) / 2
	if t >= l.nStatic || (!l.ended && t+reach >= l.nStatic) {
		return 0, false
	}
	d := l.cfg.NumCeps
	if l.energy[t-l.base] < l.skipBelow {
		clear(dst[:l.cfg.Dim()])
		return l.next(t, reach)
	}
	// Frame by frame, every coefficient's sum at once (independent additions); each sum still
	// runs over j = −off … off in order, so the result is what a sum per coefficient gives.
	acc := l.acc[:d]
	for i, s := range l.scales {
		off := (len(s) - 1) / 2
		clear(acc)
		for j := -off; j <= off; j++ {
			src := min(max(t+j, 0), l.nStatic-1)
			vec.AxpyF32F64(s[j+off], l.static[src-l.base][:d], acc)
		}
		for k, a := range acc {
			dst[i*d+k] = float32(a)
		}
	}
	return l.next(t, reach)
}

// next returns frame t's level, counts it emitted and drops the static frames no later frame
// needs (t+1-reach and beyond stay).
func (l *LFCC) next(t, reach int) (float64, bool) {
	levelDB := l.energy[t-l.base]
	l.nOut++
	if drop := l.nOut - reach - l.base; drop > 64 {
		l.free = append(l.free, l.static[:drop]...)
		l.static = append(l.static[:0], l.static[drop:]...)
		l.energy = append(l.energy[:0], l.energy[drop:]...)
		if len(l.means) > 0 {
			l.means = append(l.means[:0], l.means[drop:]...)
		}
		l.base += drop
	}
	return levelDB, true
}

// ComputeLFCC returns the LFCC matrix with deltas (one row of cfg.Dim() per frame) of samples in
// [-1, 1) at cfg.SampleRate, and each frame's level in dBFS.
func ComputeLFCC(samples []float32, cfg LFCCConfig) (frames [][]float32, levelDB []float64, err error) {
	l, err := NewLFCC(cfg)
	if err != nil {
		return nil, nil, err
	}
	l.Push(samples)
	l.Flush()
	n := cfg.NumFrames(len(samples))
	flat := make([]float32, n*cfg.Dim())
	frames = make([][]float32, 0, n)
	levelDB = make([]float64, 0, n)
	for t := range n {
		row := flat[t*cfg.Dim() : (t+1)*cfg.Dim() : (t+1)*cfg.Dim()]
		lv, ok := l.Next(row)
		if !ok {
			break
		}
		frames = append(frames, row)
		levelDB = append(levelDB, lv)
	}
	return frames, levelDB, nil
}
