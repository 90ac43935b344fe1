package dsp

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/voxguard/voxguard/internal/vec"
)

// logFloor is Kaldi's floor before taking a logarithm: FLT_EPSILON.
const logFloor = 1.1920928955078125e-07

// melScale is Kaldi's mel scale: 1127 ln(1 + f/700), f in Hz.
func melScale(f float64) float64 { return 1127 * math.Log(1+f/700) }

// melFilter is one triangular filter: weights for power-spectrum bins start..start+len(w)-1.
type melFilter struct {
	start int
	w     []float64
}

// melBank builds Kaldi's MelBanks: numBins triangles equally spaced on the mel scale between
// lowFreq and highFreq, evaluated at the FFT bin centres 0..padded/2-1 (the Nyquist bin is not used).
// With c.Scale "linear" the triangles are equally spaced in Hz instead.
func melBank(c MFCCConfig) []melFilter {
	padded := c.PaddedLength()
	binWidth := float64(c.SampleRate) / float64(padded)
	scale := melScale
	if c.Scale == ScaleLinear {
		scale = func(f float64) float64 { return f }
	}
	melLow, melHigh := scale(c.LowFreq), scale(c.highFreq())
	delta := (melHigh - melLow) / float64(c.NumMelBins+1)
	bank := make([]melFilter, c.NumMelBins)
	for b := range bank {
		left := melLow + float64(b)*delta
		center := melLow + float64(b+1)*delta
		right := melLow + float64(b+2)*delta
		f := melFilter{start: -1}
		for i := range padded / 2 {
			mel := scale(binWidth * float64(i))
			if mel > left && mel < right {
				var w float64
				if mel <= center {
					w = (mel - left) / (center - left)
				} else {
					w = (right - mel) / (right - center)
				}
				if f.start < 0 {
					f.start = i
				}
				// Bins inside the triangle are contiguous, so the index is start+len(w).
				f.w = append(f.w, w)
			}
		}
		if f.start < 0 {
			f.start = 0
		}
		bank[b] = f
	}
	return bank
}

// mfccComputer turns one frame of samples (16-bit integer scale) into cepstra. Its per-frame
// scratch space comes from its configuration's pool for the duration of one frame (a server runs
// one computer per live call, and per-call buffers missed the cache on every frame), so computing
// a frame allocates nothing in steady state. Not safe for concurrent use.
type mfccComputer struct {
	cfg      MFCCConfig
	frameLen int
	tab      *mfccTables
	window   []float64   // povey window
	bank     []melFilter // triangular filters
	dct      []float64   // NumCeps x NumMelBins DCT-II with the lifter folded into its rows
	fft      *realFFT
	dcw      []float64     // (1 − preemph)·window: the DC term's shape after pre-emphasis and window
	logFloor float64       // log of the energy floor, or -Inf
	noise    *noiseTracker // cfg.Noise's running state, or nil
	pncc     *pnccState    // cfg.PNCC's running state, or nil
}

// mfccScratch is one frame's working space.
type mfccScratch struct {
	buf  []float64 // padded frame
	pow  []float64 // power spectrum, padded/2+1
	mel  []float64 // log mel energies
	ceps []float64 // cepstra before conversion to float32
}

func newMFCCComputer(c MFCCConfig) (*mfccComputer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	fft, err := newRealFFT(c.PaddedLength())
	if err != nil {
		return nil, err
	}
	n := c.FrameLength()
	t := mfccTablesFor(c)
	m := &mfccComputer{
		cfg: c, frameLen: n, fft: fft, tab: t, bank: t.bank, window: t.window, dcw: t.dcw, dct: t.dct,
		logFloor: math.Inf(-1),
	}
	if c.EnergyFloor > 0 {
		m.logFloor = math.Log(c.EnergyFloor)
	}
	if c.Noise.Enabled() {
		m.noise = newNoiseTracker(c.Noise, c.PaddedLength()/2+1)
	}
	if c.PNCC.Enabled() {
		m.pncc = newPNCCState(c.PNCC, c.NumMelBins)
	}
	return m, nil
}

// mfccTables are the read-only tables of an MFCC configuration, shared by every computer of it
// (one per live call in a server: per-call copies were cache misses on every frame).
type mfccTables struct {
	window, dcw, dct []float64
	bank             []melFilter
	scratch          sync.Pool // *mfccScratch
}

// mfccTableCache maps an MFCCConfig (validated) to its *mfccTables.
var mfccTableCache sync.Map

// mfccTablesFor returns c's shared tables, computing them on first use.
func mfccTablesFor(c MFCCConfig) *mfccTables {
	return cachedTables(&mfccTableCache, c, func() *mfccTables { return newMFCCTables(c) })
}

// cachedTables returns cache[key], storing build() there first if absent (two goroutines may
// both build; one result is kept and returned to both).
func cachedTables[K comparable, V any](cache *sync.Map, key K, build func() V) V {
	if v, ok := cache.Load(key); ok {
		return v.(V)
	}
	v, _ := cache.LoadOrStore(key, build())
	return v.(V)
}

func newMFCCTables(c MFCCConfig) *mfccTables {
	n := c.FrameLength()
	t := &mfccTables{bank: melBank(c), window: make([]float64, n), dcw: make([]float64, n),
		dct: make([]float64, c.NumCeps*c.NumMelBins)}
	t.scratch.New = func() any {
		return &mfccScratch{buf: make([]float64, c.PaddedLength()), pow: make([]float64, c.PaddedLength()/2+1),
			mel: make([]float64, c.NumMelBins), ceps: make([]float64, c.NumCeps)}
	}
	a := 2 * math.Pi / float64(n-1)
	for i := range t.window {
		t.window[i] = math.Pow(0.5-0.5*math.Cos(a*float64(i)), 0.85)
		t.dcw[i] = (1 - c.PreemphCoeff) * t.window[i]
	}
	nb := float64(c.NumMelBins)
	for k := range c.NumCeps {
		norm := math.Sqrt(2 / nb)
		if k == 0 {
			norm = math.Sqrt(1 / nb)
		}
		lift := 1.0
		if c.CepstralLifter != 0 {
			lift = 1 + 0.5*c.CepstralLifter*math.Sin(math.Pi*float64(k)/c.CepstralLifter)
		}
		for j := range c.NumMelBins {
			t.dct[k*c.NumMelBins+j] = lift * norm * math.Cos(math.Pi/nb*(float64(j)+0.5)*float64(k))
		}
	}
	return t
}

// compute writes the NumCeps cepstra of frame (FrameLength samples) to out; scale brings the
// samples to Kaldi's 16-bit integer range (32768 for samples in [-1, 1), 1 if already there).
func (m *mfccComputer) compute(frame []float32, scale float64, out []float32) {
	n := m.frameLen
	frame = frame[:n]
	// One pass computes the sums for the mean and energy and z_i = (x_i − c·x_{i−1})·w_i
	// (pre-emphasis as Kaldi: x[i] −= c·x[i−1] from the end, x[0] −= c·x[0]; then the window).
	// DC removal is applied afterwards, exactly: ((x_i−μ) − c(x_{i−1}−μ))·w_i = z_i − μ(1−c)·w_i,
	// as one assembly axpy. Σ(x−μ)² = Σx² − nμ² (float64 keeps the cancellation error far
	// below 1 on the 16-bit scale).
	sc := m.tab.scratch.Get().(*mfccScratch)
	c := m.cfg.PreemphCoeff
	w := m.window[:n]
	buf := sc.buf[:n]
	prev := float64(frame[0]) * scale
	sum, sumSq := prev, prev*prev
	buf[0] = (prev - c*prev) * w[0]
	for i := 1; i < n; i++ {
		x := float64(frame[i]) * scale
		sum += x
		sumSq += x * x
		buf[i] = (x - c*prev) * w[i]
		prev = x
	}
	energy := sumSq
	if m.cfg.RemoveDCOffset {
		mean := sum / float64(n)
		energy = max(sumSq-sum*mean, 0)
		blas64.Implementation().Daxpy(n, -mean, m.dcw, 1, buf, 1)
	}
	if !m.cfg.RawEnergy {
		energy = 0
		for _, x := range buf {
			energy += x * x
		}
	}
	m.fft.power(sc.buf, sc.pow)
	if m.noise != nil {
		m.noise.apply(sc.pow)
	}
	for b, f := range m.bank {
		p := sc.pow[f.start : f.start+len(f.w)]
		var e float64
		for i, wt := range f.w {
			e += wt * p[i]
		}
		sc.mel[b] = e
	}
	if m.pncc != nil {
		m.pncc.apply(sc.mel)
	} else {
		vec.LogFloor(sc.mel, sc.mel, logFloor)
	}
	// DCT (with the lifter folded in): out = dct · mel, by gonum's assembly matrix-vector kernel.
	blas64.Implementation().Dgemv(blas.NoTrans, m.cfg.NumCeps, len(sc.mel), 1, m.dct, len(sc.mel), sc.mel, 1, 0, sc.ceps, 1)
	for k, v := range sc.ceps {
		out[k] = float32(v)
	}
	m.tab.scratch.Put(sc)
	if m.cfg.UseEnergy {
		le := vec.Log(max(energy, logFloor))
		if le < m.logFloor {
			le = m.logFloor
		}
		out[0] = float32(le)
	}
}

// NumFrames is the number of frames Kaldi's snip-edges framing yields for n samples.
func (c MFCCConfig) NumFrames(n int) int {
	fl, fs := c.FrameLength(), c.FrameShift()
	if n < fl {
		return 0
	}
	return 1 + (n-fl)/fs
}

// ComputeMFCC returns the MFCC matrix (one row of NumCeps per frame) of samples in [-1, 1) at
// c.SampleRate, as Kaldi's compute-mfcc-feats would compute it on the same 16-bit samples.
func ComputeMFCC(samples []float32, c MFCCConfig) ([][]float32, error) {
	m, err := newMFCCComputer(c)
	if err != nil {
		return nil, err
	}
	nf := c.NumFrames(len(samples))
	flat := make([]float32, nf*c.NumCeps)
	out := make([][]float32, nf)
	shift := c.FrameShift()
	for t := range nf {
		out[t] = flat[t*c.NumCeps : (t+1)*c.NumCeps]
		m.compute(samples[t*shift:t*shift+m.frameLen], 32768, out[t])
	}
	return out, nil
}

// scratchTwin returns a computer sharing m's read-only tables (window, filters, DCT, FFT
// twiddles, the scratch pool) with FFT work arrays of its own, reusing dst when dst is a previous
// twin of the same shape; scratch contents need no copying, as every frame overwrites them. The
// running noise estimate (MFCCConfig.Noise) and PNCC's envelopes are state, not scratch: the
// twin gets a copy of m's.
func (m *mfccComputer) scratchTwin(dst *mfccComputer) *mfccComputer {
	if dst != nil && dst != m && dst.dct != nil && &dst.dct[0] == &m.dct[0] &&
		dst.fft != nil && dst.fft != m.fft && (dst.noise == nil) == (m.noise == nil) && (dst.pncc == nil) == (m.pncc == nil) {
		if m.noise != nil {
			dst.noise.copyFrom(m.noise)
		}
		if m.pncc != nil {
			dst.pncc.copyFrom(m.pncc)
		}
		return dst
	}
	t := *m
	fft := *m.fft
	fft.re, fft.im = make([]float64, len(m.fft.re)), make([]float64, len(m.fft.im))
	t.fft = &fft
	if m.noise != nil {
		t.noise = newNoiseTracker(m.noise.cfg, m.cfg.PaddedLength()/2+1)
		t.noise.copyFrom(m.noise)
	}
	if m.pncc != nil {
		t.pncc = newPNCCState(m.pncc.cfg, m.cfg.NumMelBins)
		t.pncc.copyFrom(m.pncc)
	}
	return &t
}

// reset clears the computer's running state (the noise estimate, PNCC's envelopes) for a new
// recording.
func (m *mfccComputer) reset() {
	if m.noise != nil {
		m.noise.reset()
	}
	if m.pncc != nil {
		m.pncc.reset()
	}
}
