package dsp

// Frontend is the streaming front end: Push samples in any chunking, pull finished frames with
// Next, and call Flush at the end of the recording to release the frames held back for
// look-ahead. The frames and voiced flags it yields are identical, bit for bit, to those of
// Process on the whole recording, whatever the chunking. Once warm it allocates nothing per
// frame, provided the VAD mean uses a finite window (a whole-recording mean must keep every frame
// until the end). Not safe for concurrent use.
type Frontend struct {
	cfg    FrontendConfig
	mfcc   *mfccComputer
	scales [][]float64 // delta filters per order
	maxOff int         // half-width of the widest delta filter

	in    []float32 // pending samples, [-1, 1)
	inPos int       // start of the next MFCC frame within in

	ended  bool // Flush called
	nRaw   int  // MFCC frames computed
	nDelta int  // frames with deltas computed
	nOut   int  // frames emitted

	raw frameRing // MFCC frames (NumCeps)
	win frameRing // frames with deltas (Dim), awaiting normalisation and VAD

	// Sliding normalisation state: running sum over win frames [normLo, normHi).
	normSum        []float64
	normLo, normHi int
	// VAD state: running sum of log energies over [vadLo, vadHi) (windowed mean), or the total.
	vadSum       float64
	vadLo, vadHi int
	acc          []float64 // delta accumulator
	warpLUT      []float64 // Φ⁻¹((r+½)/N) for a full window, indexed by 2r
}

// NewFrontend returns a streaming front end for cfg.
func NewFrontend(cfg FrontendConfig) (*Frontend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Norm == "" {
		cfg.Norm = NormNone
	}
	m, err := newMFCCComputer(cfg.MFCC)
	if err != nil {
		return nil, err
	}
	f := &Frontend{cfg: cfg, mfcc: m, scales: deltaScales(cfg.DeltaOrder, DeltaWindow)}
	f.maxOff = (len(f.scales[len(f.scales)-1]) - 1) / 2
	f.raw = newFrameRing(cfg.MFCC.NumCeps, 2*f.maxOff+2)
	f.win = newFrameRing(cfg.Dim(), f.lookahead()+8)
	f.normSum = make([]float64, cfg.Dim())
	f.acc = make([]float64, cfg.Dim())
	if cfg.Norm == NormWarp {
		n := cfg.NormWindow
		f.warpLUT = make([]float64, 2*n)
		for twoR := range f.warpLUT {
			f.warpLUT[twoR] = normalQuantile((float64(twoR)/2 + 0.5) / float64(n))
		}
	}
	return f, nil
}

// lookahead is the largest span of delta frames the normalisation and VAD stage holds at once:
// a window (the frames it reaches are produced only as they are needed) and a margin.
func (f *Frontend) lookahead() int {
	n := f.cfg.NormWindow + 2
	if v := f.cfg.VAD; v != nil {
		n = max(n, v.MeanWindow+2, 2*v.FramesContext+2)
	}
	return n
}

// Config returns the front end's configuration.
func (f *Frontend) Config() FrontendConfig { return f.cfg }

// Dim is the dimension of the frames Next yields.
func (f *Frontend) Dim() int { return f.cfg.Dim() }

// Push appends samples (in [-1, 1), at the configured sample rate). It must not be called after
// Flush without a Reset.
func (f *Frontend) Push(samples []float32) {
	if f.ended {
		panic("dsp: Frontend.Push after Flush")
	}
	// Drop consumed samples before growing the buffer.
	if f.inPos > 0 && len(f.in)+len(samples) > cap(f.in) {
		n := copy(f.in, f.in[f.inPos:])
		f.in = f.in[:n]
		f.inPos = 0
	}
	f.in = append(f.in, samples...)
}

// Reserve tells the front end to expect about n frames. When every frame must be kept until
// the end (a VAD mean over the whole recording), the frame store is sized once instead of
// growing by copies; otherwise it does nothing.
func (f *Frontend) Reserve(n int) {
	if f.nDelta == 0 && f.need(0) < 0 {
		f.win.presize(n + 1)
	}
}

// Flush declares the end of the recording: the frames held back for look-ahead become available
// to Next, computed as batch processing computes the end of a recording.
func (f *Frontend) Flush() { f.ended = true }

// Reset returns the front end to its initial state, keeping its buffers.
func (f *Frontend) Reset() {
	f.in, f.inPos = f.in[:0], 0
	f.ended = false
	f.nRaw, f.nDelta, f.nOut = 0, 0, 0
	clear(f.normSum)
	f.normLo, f.normHi, f.vadSum, f.vadLo, f.vadHi = 0, 0, 0, 0, 0
	f.mfcc.reset()
}

// Frames is the number of frames Next has yielded since the start (or the last Reset).
func (f *Frontend) Frames() int { return f.nOut }

// CopyFrom makes f an independent copy of src's full state, reusing f's buffers where they are
// large enough. A call session uses it to flush a snapshot and see the frames that would be
// final if the recording ended now, without disturbing the live front end.
func (f *Frontend) CopyFrom(src *Frontend) {
	f.cfg, f.scales, f.maxOff, f.warpLUT = src.cfg, src.scales, src.maxOff, src.warpLUT
	f.mfcc = src.mfcc.scratchTwin(f.mfcc)
	f.in = append(f.in[:0], src.in[src.inPos:]...)
	f.inPos = 0
	f.ended, f.nRaw, f.nDelta, f.nOut = src.ended, src.nRaw, src.nDelta, src.nOut
	f.raw.copyFrom(&src.raw)
	f.win.copyFrom(&src.win)
	f.normSum = append(f.normSum[:0], src.normSum...)
	f.normLo, f.normHi, f.vadSum, f.vadLo, f.vadHi = src.normLo, src.normHi, src.vadSum, src.vadLo, src.vadHi
	f.acc = append(f.acc[:0], src.acc...)
}

// produceRaw computes the next MFCC frame if enough samples are pending.
func (f *Frontend) produceRaw() bool {
	fl, fs := f.cfg.MFCC.FrameLength(), f.cfg.MFCC.FrameShift()
	if len(f.in)-f.inPos < fl {
		return false
	}
	frame := f.in[f.inPos : f.inPos+fl]
	f.inPos += fs
	f.raw.reserve(f.nDelta-f.maxOff, f.nRaw+1)
	f.mfcc.compute(frame, 32768, f.raw.at(f.nRaw))
	f.nRaw++
	return true
}

// produceDelta computes the next frame with deltas if its look-ahead is available.
func (f *Frontend) produceDelta() bool {
	t := f.nDelta
	for f.nRaw <= t+f.maxOff {
		if !f.produceRaw() {
			if !f.ended || t >= f.nRaw {
				return false
			}
			break // end of recording: frames beyond the end are clamped
		}
	}
	lo := f.nOut
	if f.cfg.Norm != NormNone {
		lo = min(lo, f.normLo)
	}
	if f.cfg.VAD != nil {
		lo = min(lo, f.vadLo, f.nOut-f.cfg.VAD.FramesContext)
	}
	f.win.reserve(max(lo, 0), t+1)
	out := f.win.at(t)
	d := f.cfg.MFCC.NumCeps
	last := f.nRaw - 1
	// Delta filters are antisymmetric (odd orders) or symmetric (even orders) about the centre,
	// so frames t+j and t-j are combined first: one multiply-add per pair and order.
	acc := f.acc[:len(f.scales)*d]
	centre := f.raw.at(min(t, last))[:d]
	for i, s := range f.scales {
		w := s[(len(s)-1)/2]
		a := acc[i*d : (i+1)*d]
		for k, v := range centre {
			a[k] = w * float64(v)
		}
	}
	for j := 1; j <= f.maxOff; j++ {
		hi := f.raw.at(min(t+j, last))[:d]
		lo := f.raw.at(max(t-j, 0))[:d]
		for i, s := range f.scales {
			off := (len(s) - 1) / 2
			if j > off {
				continue
			}
			w := s[off+j] // s[off-j] = ±w
			if w == 0 {
				continue
			}
			a := acc[i*d : (i+1)*d]
			if i%2 == 1 {
				for k := range a {
					a[k] += w * (float64(hi[k]) - float64(lo[k]))
				}
			} else {
				for k := range a {
					a[k] += w * (float64(hi[k]) + float64(lo[k]))
				}
			}
		}
	}
	for k, v := range acc {
		out[k] = float32(v)
	}
	f.nDelta++
	return true
}

// need is the number of delta frames that must exist before frame t is final, or -1 when it is
// final only at the end of the recording.
func (f *Frontend) need(t int) int {
	n := t + 1
	if f.cfg.Norm != NormNone {
		_, e := windowBoundsAhead(t, f.cfg.NormWindow, f.cfg.NormAhead, -1)
		n = max(n, e)
	}
	if v := f.cfg.VAD; v != nil {
		n = max(n, t+v.FramesContext+1)
		if v.EnergyMeanScale != 0 {
			if v.MeanWindow == 0 {
				return -1
			}
			_, e := windowBoundsAhead(t, v.MeanWindow, v.MeanAhead, -1)
			n = max(n, e)
		}
	}
	return n
}

// Next writes the next final frame into dst (length Dim) and reports whether it is voiced; ok is
// false when no frame is final yet (push more samples, or Flush).
func (f *Frontend) Next(dst []float32) (voiced, ok bool) {
	t := f.nOut
	for {
		if t < f.nDelta {
			n := f.need(t)
			if f.ended && f.nDelta == f.nRaw && f.inputDrained() {
				break // every frame exists: the recording's length is known
			}
			if n >= 0 && f.nDelta >= n {
				break
			}
		}
		if !f.produceDelta() {
			if f.ended && t < f.nDelta {
				break
			}
			return false, false
		}
	}
	total := -1
	if f.ended && f.inputDrained() && f.nDelta == f.nRaw {
		total = f.nDelta
	}
	voiced = f.vad(t, total)
	f.normalize(t, total, dst[:f.cfg.Dim()])
	f.nOut++
	return voiced, true
}

// inputDrained reports whether no further MFCC frame can come from the pending samples.
func (f *Frontend) inputDrained() bool {
	return len(f.in)-f.inPos < f.cfg.MFCC.FrameLength()
}

// slide moves a running window [lo, hi) to [s, e), calling add(i, ±1) for frames entering and
// leaving, in the order Kaldi's apply-cmvn-sliding updates its sum.
func slide(lo, hi *int, s, e int, add func(i int, sign float64)) {
	if *lo == *hi { // empty: start afresh
		*lo, *hi = s, s
	}
	for *lo < s {
		add(*lo, -1)
		*lo++
	}
	for *hi < e {
		add(*hi, 1)
		*hi++
	}
}

func (f *Frontend) vad(t, total int) bool {
	v := f.cfg.VAD
	if v == nil {
		return true
	}
	threshold := v.EnergyThreshold
	if v.EnergyMeanScale != 0 {
		s, e := 0, total
		if v.MeanWindow > 0 {
			s, e = windowBoundsAhead(t, v.MeanWindow, v.MeanAhead, total)
		}
		slide(&f.vadLo, &f.vadHi, s, e, func(i int, sign float64) {
			f.vadSum += sign * float64(f.win.at(i)[0])
		})
		threshold += v.EnergyMeanScale * (f.vadSum / float64(e-s))
	}
	var num, den int
	last := f.nDelta - 1
	for t2 := t - v.FramesContext; t2 <= t+v.FramesContext; t2++ {
		if t2 >= 0 && t2 <= last && (total < 0 || t2 < total) {
			den++
			if float64(f.win.at(t2)[0]) > threshold {
				num++
			}
		}
	}
	return float64(num) >= float64(den)*v.ProportionThreshold
}

func (f *Frontend) normalize(t, total int, dst []float32) {
	x := f.win.at(t)
	switch f.cfg.Norm {
	case NormNone:
		copy(dst, x)
	case NormCMN:
		s, e := windowBoundsAhead(t, f.cfg.NormWindow, f.cfg.NormAhead, total)
		sum := f.normSum[:len(x)]
		slide(&f.normLo, &f.normHi, s, e, func(i int, sign float64) {
			for k, v := range f.win.at(i)[:len(sum)] {
				sum[k] += sign * float64(v)
			}
		})
		dst = dst[:len(x)]
		if n := e - s; f.cfg.NormPriorFrames > 0 && n < f.cfg.NormWindow {
			// A short window's mean, drawn towards the prior (FrontendConfig.NormPrior).
			tau := f.cfg.NormPriorFrames * (1 - float64(n)/float64(f.cfg.NormWindow))
			inv := 1 / (float64(n) + tau)
			dst[0] = float32(float64(x[0]) - sum[0]/float64(n))
			for k := 1; k < len(x); k++ {
				dst[k] = float32(float64(x[k]) - (sum[k]+tau*f.cfg.NormPrior[k])*inv)
			}
			return
		}
		inv := 1 / float64(e-s)
		for k, v := range x {
			dst[k] = float32(float64(v) - sum[k]*inv)
		}
	case NormWarp:
		s, e := windowBoundsAhead(t, f.cfg.NormWindow, f.cfg.NormAhead, total)
		f.normLo, f.normHi = s, e
		n := e - s
		for k, v := range x {
			var below, equal int
			for i := s; i < e; i++ {
				switch w := f.win.at(i)[k]; {
				case w < v:
					below++
				case w == v:
					equal++
				}
			}
			twoR := 2*below + equal - 1
			if n == f.cfg.NormWindow {
				dst[k] = float32(f.warpLUT[twoR])
			} else {
				dst[k] = float32(normalQuantile((float64(twoR)/2 + 0.5) / float64(n)))
			}
		}
	}
}

// Process runs the front end over a whole recording and returns every frame and its voiced flag.
func Process(samples []float32, cfg FrontendConfig) (frames [][]float32, voiced []bool, err error) {
	f, err := NewFrontend(cfg)
	if err != nil {
		return nil, nil, err
	}
	// The whole recording is known: read it in place rather than copying it, and size the frame
	// store once when the VAD needs every frame before deciding any.
	f.in = samples
	f.Flush()
	n := cfg.MFCC.NumFrames(len(samples))
	f.Reserve(n)
	flat := make([]float32, n*cfg.Dim())
	frames, voiced = make([][]float32, 0, n), make([]bool, 0, n)
	for i := 0; ; i++ {
		var dst []float32
		if i < n {
			dst = flat[i*cfg.Dim() : (i+1)*cfg.Dim()]
		} else {
			dst = make([]float32, cfg.Dim())
		}
		v, ok := f.Next(dst)
		if !ok {
			break
		}
		frames, voiced = append(frames, dst), append(voiced, v)
	}
	return frames, voiced, nil
}
