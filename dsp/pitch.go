package dsp

import (
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// Pitch-period analysis for the spoofing countermeasure's prosodic-perturbation features
// (jitter, shimmer, F0 contour smoothness). Frames of PitchWindowMs are analysed every
// PitchHopMs; each frame's normalised autocorrelation
//
//	r(τ) = Σ_{n<N} x[n] x[n+τ] / sqrt(Σ_{n<N} x[n]² · Σ_{n<N} x[n+τ]²),   N = PitchIntegrationMs
//
// is evaluated for every lag τ of F0 in [PitchMinF0, PitchMaxF0] (plus one lag either side). The
// period is the smallest lag whose local maximum reaches PitchOctaveRatio of the largest local
// maximum (a guard against picking a multiple of the period), refined by parabolic interpolation;
// the frame is voiced when its level reaches the floor and the interpolated peak reaches
// PitchVoicingThreshold. No DC removal or filtering is applied.
const (
	PitchMinF0            = 60.0 // Hz, lowest F0 searched
	PitchMaxF0            = 400.0
	PitchIntegrationMs    = 30.0 // ms, the autocorrelation's summation length N
	PitchHopMs            = 10.0 // ms between frames
	PitchVoicingThreshold = 0.5  // least normalised autocorrelation peak of a voiced frame
	PitchOctaveRatio      = 0.9  // a shorter lag's peak wins if it reaches this share of the best
	// PitchMaxPeriodFactor: consecutive voiced frames whose periods differ by a larger factor
	// (octave errors, voicing onsets) do not count towards jitter, shimmer or smoothness (as
	// Praat's "maximum period factor" 1.3).
	PitchMaxPeriodFactor = 1.3
	// PitchCycleRange: a single cycle's period is searched within this factor of the frame's.
	PitchCycleRange = 0.2
	// ProsodyDim is the number of prosodic features PitchTracker.Features writes.
	ProsodyDim = 8
)

// PitchFrame is one analysed frame.
type PitchFrame struct {
	LevelDB float64 // RMS level of the N summed samples, dBFS
	Voiced  bool
	Period  float64 // pitch period in samples (interpolated); 0 when unvoiced
	Peak    float64 // normalised autocorrelation at the period (interpolated), in [-1, 1]
	Amp     float64 // largest absolute sample in the first round(Period) samples of the frame
	// Cycle, when set, gives the lengths (samples) of the frame's first two pitch cycles and
	// their RMS amplitudes (see Analyse).
	Cycle     bool
	Cycle1    float64
	Cycle2    float64
	CycleAmp1 float64
	CycleAmp2 float64
}

// ProsodyStats are a recording's accumulated pitch statistics. Pairs are consecutive voiced
// frames whose periods differ by at most PitchMaxPeriodFactor; triples are three consecutive
// voiced frames forming two such pairs.
type ProsodyStats struct {
	Frames int // frames whose level reaches the floor
	Voiced int // voiced frames among them
	Pairs  int
	// Jitter is the mean |ΔT0| over pairs divided by the mean T0 over voiced frames (a fraction).
	Jitter float64
	// Shimmer is the mean |Δ ln Amp| over pairs (nats).
	Shimmer float64
	// Smoothness is the mean |Δ² ln F0| over triples (nats per frame²; 0: perfectly linear contour).
	Smoothness float64
	// Peak is the mean normalised autocorrelation peak over voiced frames.
	Peak float64
	// LogF0Std is the standard deviation of ln F0 over voiced frames (nats).
	LogF0Std float64
	// Cycles is the number of voiced frames whose first two cycles were measured; CycleJitter
	// is the mean |Cycle1 − Cycle2| over them divided by the mean (Cycle1 + Cycle2)/2 (a
	// fraction: cycle-to-cycle jitter), CycleShimmer the mean |ln(CycleAmp1/CycleAmp2)| (nats).
	Cycles       int
	CycleJitter  float64
	CycleShimmer float64
}

// PitchTracker runs the pitch-period analysis on a stream of samples in constant memory and
// without allocating after construction, accumulating ProsodyStats. Frame t covers samples
// [t·hop, t·hop+window) of the stream, whatever the chunking of Push. Not safe for concurrent use.
type PitchTracker struct {
	rate                   int
	n, lagMin, lagMax, hop int
	win                    int
	minLevelDB             float64
	buf                    []float32 // the current window, fill samples so far
	fill                   int
	r                      []float64 // r(τ) for τ = lagMin-1 .. lagMax+1
	rc                     []float64 // single-cycle correlations
	cycles                 int
	sumCycDT, sumCycT      float64
	sumCycDA               float64
	frames, voiced, pairs  int
	triples                int
	sumT0, sumDT0, sumDAmp float64
	sumD2, sumPeak         float64
	meanLogT0, m2LogT0     float64 // running mean and Σ squared deviations of ln T0 (Welford)
	prevOK, pairOK         bool    // previous frame voiced; the previous two forming a pair
	prevT0, prev2T0        float64 // their periods
	prevAmp                float64
}

// NewPitchTracker returns a tracker for audio at rate samples per second whose frames below
// minLevelDB (dBFS) are neither counted nor voiced.
func NewPitchTracker(rate int, minLevelDB float64) *PitchTracker {
	p := &PitchTracker{rate: rate, minLevelDB: minLevelDB}
	fs := float64(rate)
	p.n = int(math.Round(fs * PitchIntegrationMs / 1000))
	p.hop = max(int(math.Round(fs*PitchHopMs/1000)), 1)
	p.lagMin = max(int(math.Floor(fs/PitchMaxF0)), 2)
	p.lagMax = int(math.Ceil(fs / PitchMinF0))
	p.win = p.n + p.lagMax + 1
	p.buf = make([]float32, p.win)
	p.r = make([]float64, p.lagMax-p.lagMin+3)
	p.rc = make([]float64, p.lagMax+3)
	return p
}

// WindowLength is the samples one frame spans (N plus the longest lag searched, plus one).
func (p *PitchTracker) WindowLength() int { return p.win }

// Hop is the samples between frames.
func (p *PitchTracker) Hop() int { return p.hop }

// Reset forgets all input and statistics.
func (p *PitchTracker) Reset() {
	rate, lv := p.rate, p.minLevelDB
	buf, r, rc := p.buf, p.r, p.rc
	*p = PitchTracker{rate: rate, minLevelDB: lv, n: p.n, hop: p.hop, lagMin: p.lagMin, lagMax: p.lagMax, win: p.win, buf: buf, r: r, rc: rc}
}

// Push analyses every frame the samples complete.
func (p *PitchTracker) Push(samples []float32) {
	for len(samples) > 0 {
		k := copy(p.buf[p.fill:], samples)
		p.fill += k
		samples = samples[k:]
		if p.fill < p.win {
			return
		}
		p.add(p.Analyse(p.buf))
		copy(p.buf, p.buf[p.hop:])
		p.fill = p.win - p.hop
	}
}

// Analyse returns the analysis of one frame x (at least WindowLength samples; only those are
// used). It does not change the accumulated statistics.
func (p *PitchTracker) Analyse(x []float32) PitchFrame {
	x = x[:p.win]
	n := p.n
	v := func(a []float32) blas32.Vector { return blas32.Vector{N: n, Inc: 1, Data: a[:n]} }
	e0 := float64(blas32.Dot(v(x), v(x)))
	f := PitchFrame{LevelDB: 10 * math.Log10(max(e0/float64(n), 1e-20))}
	if f.LevelDB < p.minLevelDB || e0 <= 0 {
		return f
	}
	lo := p.lagMin - 1
	// Energy of x[τ : τ+n], slid from τ = lo.
	var et float64
	for _, s := range x[lo : lo+n] {
		et += float64(s) * float64(s)
	}
	for i := range p.r {
		tau := lo + i
		if i > 0 {
			a, b := float64(x[tau-1]), float64(x[tau+n-1])
			et += b*b - a*a
		}
		c := float64(blas32.Dot(v(x), v(x[tau:])))
		if et > 1e-12*e0 {
			p.r[i] = c / math.Sqrt(e0*max(et, 0))
		} else {
			p.r[i] = 0
		}
	}
	best := math.Inf(-1)
	for i := 1; i < len(p.r)-1; i++ {
		if p.r[i] >= p.r[i-1] && p.r[i] >= p.r[i+1] {
			best = max(best, p.r[i])
		}
	}
	if !(best > 0) {
		return f
	}
	pick := 0
	for i := 1; i < len(p.r)-1; i++ {
		if p.r[i] >= p.r[i-1] && p.r[i] >= p.r[i+1] && p.r[i] >= PitchOctaveRatio*best {
			pick = i
			break
		}
	}
	a, b, c := p.r[pick-1], p.r[pick], p.r[pick+1]
	var d float64
	if den := a - 2*b + c; den < 0 {
		d = min(max(0.5*(a-c)/den, -0.5), 0.5)
	}
	f.Peak = b - 0.25*(a-c)*d
	if f.Peak < PitchVoicingThreshold {
		f.Peak = 0
		return f
	}
	f.Voiced = true
	f.Period = float64(lo+pick) + d
	m := min(max(int(math.Round(f.Period)), 1), len(x))
	for _, s := range x[:m] {
		f.Amp = max(f.Amp, math.Abs(float64(s)))
	}
	if c1, a1, ok := p.cycle(x, 0, f.Period); ok {
		if c2, a2, ok := p.cycle(x, int(math.Round(c1)), f.Period); ok && a1 > 0 && a2 > 0 {
			f.Cycle, f.Cycle1, f.Cycle2, f.CycleAmp1, f.CycleAmp2 = true, c1, c2, a1, a2
		}
	}
	return f
}

// cycle measures the pitch cycle starting at sample a of x given the frame's period T (samples):
// with L = round(T), the lag τ within PitchCycleRange of T maximising the normalised correlation
// of x[a : a+L] with x[a+τ : a+τ+L] (parabolically interpolated), and the RMS of x[a : a+L]. ok is
// false when x is too short or the best correlation is under PitchVoicingThreshold.
func (p *PitchTracker) cycle(x []float32, a int, T float64) (period, rms float64, ok bool) {
	L := int(math.Round(T))
	lo := max(int(math.Floor((1-PitchCycleRange)*T)), 2)
	hi := int(math.Ceil((1 + PitchCycleRange) * T))
	if a+hi+1+L > len(x) || hi-lo+3 > len(p.rc) {
		return 0, 0, false
	}
	v := func(s []float32) blas32.Vector { return blas32.Vector{N: L, Inc: 1, Data: s[:L]} }
	e0 := float64(blas32.Dot(v(x[a:]), v(x[a:])))
	if !(e0 > 0) {
		return 0, 0, false
	}
	rc := p.rc[:hi-lo+3]
	best := -1
	for i := range rc {
		s := x[a+lo-1+i:]
		e := float64(blas32.Dot(v(s), v(s)))
		rc[i] = 0
		if e > 1e-12*e0 {
			rc[i] = float64(blas32.Dot(v(x[a:]), v(s))) / math.Sqrt(e0*e)
		}
		if i > 0 && i < len(rc)-1 && (best < 0 || rc[i] > rc[best]) {
			best = i
		}
	}
	if best < 1 || best > len(rc)-2 {
		return 0, 0, false
	}
	l, b, c := rc[best-1], rc[best], rc[best+1]
	var d float64
	if den := l - 2*b + c; den < 0 {
		d = min(max(0.5*(l-c)/den, -0.5), 0.5)
	}
	if b-0.25*(l-c)*d < PitchVoicingThreshold {
		return 0, 0, false
	}
	return float64(lo-1+best) + d, math.Sqrt(e0 / float64(L)), true
}

// add accumulates one frame.
func (p *PitchTracker) add(f PitchFrame) {
	if f.LevelDB < p.minLevelDB {
		p.prevOK, p.pairOK = false, false
		return
	}
	p.frames++
	if !f.Voiced || !(f.Amp > 0) {
		p.prevOK, p.pairOK = false, false
		return
	}
	p.voiced++
	if f.Cycle {
		p.cycles++
		p.sumCycDT += math.Abs(f.Cycle1 - f.Cycle2)
		p.sumCycT += (f.Cycle1 + f.Cycle2) / 2
		p.sumCycDA += math.Abs(math.Log(f.CycleAmp1 / f.CycleAmp2))
	}
	t := f.Period
	lt := math.Log(t)
	p.sumT0 += t
	p.sumPeak += f.Peak
	d := lt - p.meanLogT0
	p.meanLogT0 += d / float64(p.voiced)
	p.m2LogT0 += d * (lt - p.meanLogT0)
	pair := p.prevOK && max(t, p.prevT0)/min(t, p.prevT0) <= PitchMaxPeriodFactor
	if pair {
		p.pairs++
		p.sumDT0 += math.Abs(t - p.prevT0)
		p.sumDAmp += math.Abs(math.Log(f.Amp) - math.Log(p.prevAmp))
		if p.pairOK {
			p.triples++
			p.sumD2 += math.Abs(lt - 2*math.Log(p.prevT0) + math.Log(p.prev2T0))
		}
	}
	p.prev2T0, p.pairOK = p.prevT0, pair
	p.prevOK, p.prevT0, p.prevAmp = true, t, f.Amp
}

// Stats returns the statistics accumulated so far (zeros where nothing was counted).
func (p *PitchTracker) Stats() ProsodyStats {
	s := ProsodyStats{Frames: p.frames, Voiced: p.voiced, Pairs: p.pairs}
	if p.voiced > 0 {
		nv := float64(p.voiced)
		s.Peak = p.sumPeak / nv
		s.LogF0Std = math.Sqrt(max(p.m2LogT0/nv, 0))
		if p.pairs > 0 {
			s.Jitter = p.sumDT0 / float64(p.pairs) / (p.sumT0 / nv)
			s.Shimmer = p.sumDAmp / float64(p.pairs)
		}
		if p.triples > 0 {
			s.Smoothness = p.sumD2 / float64(p.triples)
		}
		if p.cycles > 0 {
			s.Cycles = p.cycles
			s.CycleJitter = p.sumCycDT / p.sumCycT
			s.CycleShimmer = p.sumCycDA / float64(p.cycles)
		}
	}
	return s
}

// prosodyFloor keeps the logarithms of Features finite (and tames the lower tail).
const prosodyFloor = 1e-3

// Features writes the ProsodyDim recording-level features of the statistics so far to dst: the
// voiced share of the counted frames, ln(Jitter + 0.001), ln(Shimmer + 0.001),
// ln(Smoothness + 0.001), the mean peak, LogF0Std, ln(CycleJitter + 0.001) and
// ln(CycleShimmer + 0.001).
func (p *PitchTracker) Features(dst []float64) {
	s := p.Stats()
	dst = dst[:ProsodyDim]
	dst[0] = float64(s.Voiced) / float64(max(s.Frames, 1))
	dst[1] = math.Log(s.Jitter + prosodyFloor)
	dst[2] = math.Log(s.Shimmer + prosodyFloor)
	dst[3] = math.Log(s.Smoothness + prosodyFloor)
	dst[4] = s.Peak
	dst[5] = s.LogF0Std
	dst[6] = math.Log(s.CycleJitter + prosodyFloor)
	dst[7] = math.Log(s.CycleShimmer + prosodyFloor)
}
