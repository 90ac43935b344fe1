package dsp

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/voxguard/voxguard/internal/vec"
)

// MGDConfig configures the modified group delay (MGD) of Hegde, Murthy and Gadde ("Significance
// of the modified group delay feature in speech recognition", 2007) and its long-term statistics,
// a phase-aware counterpart of the long-term spectral statistics of LFCC.SpectralStats. Each
// frame x[n] (DC removed, optionally pre-emphasised, windowed, zero-padded to FFTSize):
//
//	X = DFT(x), Y = DFT(n·x[n]), S = |X| cepstrally smoothed (quefrencies below Lifter kept),
//	τ(k) = (X_R Y_R + X_I Y_I) / S^(2·Gamma),  MGD(k) = sign(τ)·|τ|^Alpha,  k = 0..FFTSize/2.
//
// With Gamma = Alpha = 1 and no smoothing (Lifter > FFTSize/2) τ is the group delay −dφ/dω in
// samples. A magnitude-only resynthesis (Griffin-Lim, a vocoder) keeps |X| but not the phase, to
// which the power spectrum and every feature computed from it are blind.
type MGDConfig struct {
	SampleRate    int     `json:"sample_rate"`     // samples per second
	FrameLengthMs float64 `json:"frame_length_ms"` // analysis window length
	FrameShiftMs  float64 `json:"frame_shift_ms"`  // hop between frames
	FFTSize       int     `json:"fft_size"`        // power of two >= the frame length (0: the next one)
	Lifter        int     `json:"lifter"`          // cepstral coefficients c0..c(Lifter-1) kept for S
	Alpha         float64 `json:"alpha"`           // compression exponent of τ
	Gamma         float64 `json:"gamma"`           // exponent of the smoothed spectrum in the denominator
	PreemphCoeff  float64 `json:"preemph_coeff"`   // pre-emphasis coefficient (0 disables)
	// Peakiness adds to the statistics the mean and standard deviation over frames of the log
	// kurtosis of the frame whitened by S (X/S transformed back: the phase with a flat
	// envelope). Pulse-like voiced excitation, whose harmonics are phase-aligned at the glottal
	// closures, is peaky; the same magnitudes with scattered phases are not.
	Peakiness bool `json:"peakiness,omitempty"`
}

// TelephoneMGD is the MGD on the countermeasure's LFCC framing (dsp.TelephoneLFCC: 30 ms / 15 ms
// at 8 kHz, a 256-point FFT, Hamming window), with the usual α = 0.4, γ = 0.9 and a cepstral
// lifter of 8 (the spectral envelope, well below the pitch quefrencies of 20-130 samples).
func TelephoneMGD() MGDConfig {
	return MGDConfig{SampleRate: 8000, FrameLengthMs: 30, FrameShiftMs: 15, Lifter: 8, Alpha: 0.4, Gamma: 0.9}
}

// FrameLength is the analysis window in samples.
func (c MGDConfig) FrameLength() int { return msSamples(c.SampleRate, c.FrameLengthMs) }

// FrameShift is the hop between frames in samples.
func (c MGDConfig) FrameShift() int { return msSamples(c.SampleRate, c.FrameShiftMs) }

// N is the FFT size.
func (c MGDConfig) N() int {
	if c.FFTSize > 0 {
		return c.FFTSize
	}
	return pow2AtLeast(c.FrameLength(), 8)
}

// Bins is the number of MGD values per frame, N/2+1.
func (c MGDConfig) Bins() int { return c.N()/2 + 1 }

// StatsDim is the length of MGDStats.Stats: per-bin mean and standard deviation, then with
// Peakiness its two statistics.
func (c MGDConfig) StatsDim() int {
	if c.Peakiness {
		return 2*c.Bins() + 2
	}
	return 2 * c.Bins()
}

// Validate reports a configuration the analysis cannot run.
func (c MGDConfig) Validate() error {
	n := c.N()
	switch {
	case c.SampleRate <= 0:
		return errors.New("mgd: sample rate must be positive")
	case c.FrameLength() < 2 || c.FrameShift() < 1:
		return errors.New("mgd: frame length and shift must be positive")
	case n < 8 || n&(n-1) != 0 || n < c.FrameLength():
		return fmt.Errorf("mgd: FFT size %d must be a power of two >= 8 and >= the frame length %d", n, c.FrameLength())
	case c.Lifter < 1:
		return errors.New("mgd: lifter must be at least 1")
	case c.Alpha <= 0 || c.Gamma < 0:
		return errors.New("mgd: alpha must be positive and gamma non-negative")
	case c.PreemphCoeff < 0 || c.PreemphCoeff >= 1:
		return errors.New("mgd: pre-emphasis coefficient must be in [0, 1)")
	}
	return nil
}

// MGD computes modified group delay spectra of frames of a fixed length; allocation-free after
// construction, not safe for concurrent use.
type MGD struct {
	cfg    MGDConfig
	n      int // FFT size
	lift   int // cepstral coefficients kept, at most n/2+1
	fft    *fourier.CmplxFFT
	z      []complex128 // FFT input and output, length n
	logm   []float64    // log |X(k)|, k = 0..n/2
	cep    []float64    // c0..c(lift-1)
	fwd    []float64    // (n/2+1) × lift: w_k cos(2π k q / n) / n, w_k = 1 at k = 0 and n/2, else 2
	inv    []float64    // (n/2+1) × lift: w_q cos(2π k q / n)
	xr, xi []float64    // X(k), k = 0..n/2
	num    []float64    // X_R Y_R + X_I Y_I
	logS   []float64    // log S(k), the cepstrally smoothed log magnitude
}

// NewMGD returns an MGD computer for cfg (only FFTSize, Lifter, Alpha and Gamma matter to
// Compute; framing is MGDStats's).
func NewMGD(cfg MGDConfig) (*MGD, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := cfg.N()
	h := n/2 + 1
	m := &MGD{cfg: cfg, n: n, lift: min(cfg.Lifter, h), fft: fourier.NewCmplxFFT(n), z: make([]complex128, n),
		logm: make([]float64, h), xr: make([]float64, h), xi: make([]float64, h), num: make([]float64, h),
		logS: make([]float64, h)}
	m.cep = make([]float64, m.lift)
	m.fwd, m.inv = make([]float64, h*m.lift), make([]float64, h*m.lift)
	w := func(i int) float64 {
		if i == 0 || i == n/2 {
			return 1
		}
		return 2
	}
	for k := range h {
		for q := range m.lift {
			c := math.Cos(2 * math.Pi * float64(k*q%n) / float64(n))
			m.fwd[k*m.lift+q] = w(k) * c / float64(n)
			m.inv[k*m.lift+q] = w(q) * c
		}
	}
	return m, nil
}

// Compute writes the modified group delay of frame (already windowed; at most FFTSize samples,
// zero-padded) at bins k = 0..FFTSize/2 to out, in samples (before the Alpha compression).
func (m *MGD) Compute(frame []float64, out []float64) {
	n, h := m.n, m.n/2+1
	out = out[:h]
	// One complex FFT of z = x + i·(n·x) gives X and Y: X = (Z(k) + conj Z(n-k))/2,
	// Y = (Z(k) - conj Z(n-k))/(2i).
	for i := range n {
		if i < len(frame) {
			m.z[i] = complex(frame[i], float64(i)*frame[i])
		} else {
			m.z[i] = 0
		}
	}
	m.fft.Coefficients(m.z, m.z)
	for k := range h {
		j := (n - k) % n
		zr, zi, cr, ci := real(m.z[k]), imag(m.z[k]), real(m.z[j]), -imag(m.z[j])
		xr, xi := 0.5*(zr+cr), 0.5*(zi+ci)
		// (Z - conj)/(2i) = (dr + i di)/(2i) = (di - i dr)/2
		yr, yi := 0.5*(zi-ci), -0.5*(zr-cr)
		m.xr[k], m.xi[k] = xr, xi
		m.num[k] = xr*yr + xi*yi
		m.logm[k] = 0.5 * vec.Log(max(xr*xr+xi*xi, logFloor))
	}
	// Real cepstrum of log|X| (even in k), truncated to lift coefficients, back to a log
	// spectrum: log S(k) = Σ_q w_q c_q cos(2πkq/n), w = 1 at q = 0 and n/2, else 2.
	lift := m.lift
	cep := m.cep[:lift]
	clear(cep)
	for k, l := range m.logm {
		row := m.fwd[k*lift : (k+1)*lift]
		for q := range cep {
			cep[q] += l * row[q]
		}
	}
	// τ = num / S^(2γ); sign(τ)·|τ|^α = sign(num)·exp(α·(ln|num| − 2γ·ln S)).
	g2, a := 2*m.cfg.Gamma, m.cfg.Alpha
	for k := range h {
		row := m.inv[k*lift : (k+1)*lift]
		var ls float64
		for q, c := range cep {
			ls += c * row[q]
		}
		m.logS[k] = ls
		num := m.num[k]
		if num == 0 {
			out[k] = 0
			continue
		}
		v := math.Exp(a * (vec.Log(max(math.Abs(num), 0x1p-1022)) - g2*ls))
		if num < 0 {
			v = -v
		}
		out[k] = v
	}
}

// Peakiness returns the log kurtosis, ln(n·Σe⁴/(Σe²)²), of the last Compute's frame whitened by
// its smoothed spectrum: e = IDFT(X/S) over the n = FFTSize points (0 for a zero frame). A single
// pulse gives ln n, white Gaussian noise about ln 3.
func (m *MGD) Peakiness() float64 {
	n, h := m.n, m.n/2+1
	// IDFT of a Hermitian spectrum W: e = conj(DFT(conj W))/n; e is real, so e = Re(DFT(conj W))/n
	// (the 1/n cancels in the kurtosis).
	for k := range h {
		g := math.Exp(-m.logS[k])
		m.z[k] = complex(m.xr[k]*g, -m.xi[k]*g)
		if k > 0 && k < n/2 {
			m.z[n-k] = complex(real(m.z[k]), -imag(m.z[k]))
		}
	}
	m.fft.Coefficients(m.z, m.z)
	var s2, s4 float64
	for _, c := range m.z[:n] {
		v := real(c)
		v2 := v * v
		s2 += v2
		s4 += v2 * v2
	}
	if s2 <= 0 {
		return 0
	}
	return math.Log(float64(n) * s4 / (s2 * s2))
}

// MGDStats accumulates long-term statistics of the modified group delay of a recording: per FFT
// bin, the mean and standard deviation of MGD over the frames whose level reaches a floor. Frames
// and levels are those of the LFCC front end with the same framing (snip edges; level = RMS after
// DC removal, dBFS), so with TelephoneMGD the frames are exactly the ones LFCC.SpectralStats
// counts. Each frame is scaled to unit RMS first (the MGD with Gamma ≠ 1 is not gain invariant).
// Push samples in any chunking; the statistics equal those of one Push. Not safe for concurrent
// use.
type MGDStats struct {
	cfg     MGDConfig
	mgd     *MGD
	minDB   float64
	window  []float64
	pending []float32
	frame   []float64
	row     []float64
	s, q    []float64
	pk      [2]float64 // Σ peakiness, Σ peakiness²
	n       int
}

// NewMGDStats returns an accumulator over frames of at least minLevelDB.
func NewMGDStats(cfg MGDConfig, minLevelDB float64) (*MGDStats, error) {
	mgd, err := NewMGD(cfg)
	if err != nil {
		return nil, err
	}
	fl, h := cfg.FrameLength(), cfg.Bins()
	st := &MGDStats{cfg: cfg, mgd: mgd, minDB: minLevelDB, window: make([]float64, fl), frame: make([]float64, fl),
		row: make([]float64, h), s: make([]float64, h), q: make([]float64, h)}
	for i := range st.window {
		st.window[i] = 0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(fl-1))
	}
	return st, nil
}

// Reset forgets all input.
func (st *MGDStats) Reset() {
	st.pending = st.pending[:0]
	clear(st.s)
	clear(st.q)
	st.pk = [2]float64{}
	st.n = 0
}

// Push appends samples (in [-1, 1), at the configured rate).
func (st *MGDStats) Push(samples []float32) {
	st.pending = append(st.pending, samples...)
	fl, fs := st.cfg.FrameLength(), st.cfg.FrameShift()
	off := 0
	for len(st.pending)-off >= fl {
		st.frameAt(st.pending[off : off+fl])
		off += fs
	}
	if off > 0 {
		st.pending = append(st.pending[:0], st.pending[min(off, len(st.pending)):]...)
	}
}

// frameAt adds one frame if its level reaches the floor.
func (st *MGDStats) frameAt(x []float32) {
	n := len(x)
	mean, e := frameStats(x)
	if e <= 0 || frameLevelDB(e, n) < st.minDB {
		return
	}
	g := 1 / math.Sqrt(e/float64(n))
	c := st.cfg.PreemphCoeff
	prev := float64(x[0]) - mean
	for i, v := range x {
		d := float64(v) - mean
		p := prev
		if i == 0 {
			p = d
		}
		st.frame[i] = g * (d - c*p) * st.window[i]
		prev = d
	}
	st.mgd.Compute(st.frame, st.row)
	for k, v := range st.row {
		st.s[k] += v
		st.q[k] += v * v
	}
	if st.cfg.Peakiness {
		p := st.mgd.Peakiness()
		st.pk[0] += p
		st.pk[1] += p * p
	}
	st.n++
}

// Stats writes the per-bin mean MGD, then the per-bin standard deviations, then with Peakiness the
// mean and standard deviation of MGD.Peakiness, to dst (StatsDim long) and returns the number of
// frames counted (0: dst zeroed).
func (st *MGDStats) Stats(dst []float64) int {
	h := len(st.s)
	dst = dst[:st.cfg.StatsDim()]
	if st.n == 0 {
		clear(dst)
		return 0
	}
	n := float64(st.n)
	for k := range h {
		m := st.s[k] / n
		dst[k] = m
		dst[h+k] = math.Sqrt(max(st.q[k]/n-m*m, 0))
	}
	if st.cfg.Peakiness {
		m := st.pk[0] / n
		dst[2*h], dst[2*h+1] = m, math.Sqrt(max(st.pk[1]/n-m*m, 0))
	}
	return st.n
}

// ComputeMGDStats returns the MGD long-term statistics of samples and the number of frames they
// cover.
func ComputeMGDStats(samples []float32, cfg MGDConfig, minLevelDB float64) ([]float64, int, error) {
	st, err := NewMGDStats(cfg, minLevelDB)
	if err != nil {
		return nil, 0, err
	}
	st.Push(samples)
	out := make([]float64, cfg.StatsDim())
	return out, st.Stats(out), nil
}
