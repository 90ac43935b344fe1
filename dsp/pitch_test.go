package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pulses returns n samples of unit impulses scaled by amp(k) at offset+k·period.
func pulses(n, offset, period int, amp func(k int) float32) []float32 {
	x := make([]float32, n)
	for k, i := 0, offset; i < n; k, i = k+1, i+period {
		x[i] = amp(k)
	}
	return x
}

func tone(n int, hz, amp float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*hz*float64(i)/8000))
	}
	return x
}

func trackAll(x []float32) ProsodyStats {
	p := NewPitchTracker(8000, -50)
	p.Push(x)
	return p.Stats()
}

// TestPitchKnownSignals checks the accumulated statistics against hand-worked values. At 8 kHz a
// frame spans 375 samples (N = 240, lags 19..135) every 80, so one second gives 1+(8000-375)/80 =
// 96 frames. An impulse train of period 80 has r(80) = 1 and r(79) = r(81) = 0: the period is
// exactly 80. With amplitudes alternating 0.5, 0.4 each frame's first 80 samples hold one pulse,
// consecutive frames the next one: shimmer |ln 0.8| = 0.22314; the three pulses in each N give
// r(80) = 3g/sqrt((2+g²)(1+2g²)) with g = 0.8, i.e. 2.4/sqrt(2.64·2.28) = 0.97823 (r(160) = 1 is
// a multiple, r(80) reaches 0.9 of it). Each frame's first two cycles are 80 samples long, of RMS
// amplitudes in the same ratio (cycle shimmer ln 1.25 = |ln 0.8|). A 200 Hz tone of amplitude 0.5 has period 40 and peaks
// 0.5 at sample 10 of every period.
func TestPitchKnownSignals(t *testing.T) {
	g := 0.8
	alt := 3 * g / math.Sqrt((2+g*g)*(1+2*g*g))
	for _, tc := range []struct {
		name                string
		x                   []float32
		frames, voiced      int
		jitter, shimmer, sm float64
		peak, f0std         float64
		tol                 float64
	}{
		{"pulses T=80", pulses(8000, 10, 80, func(int) float32 { return 0.5 }), 96, 96, 0, 0, 0, 1, 0, 1e-12},
		{"pulses T=40", pulses(8000, 3, 40, func(int) float32 { return 0.5 }), 96, 96, 0, 0, 0, 1, 0, 1e-12},
		{"pulses T=80 shimmer 0.8", pulses(8000, 10, 80, func(k int) float32 { return [2]float32{0.5, 0.4}[k%2] }),
			96, 96, 0, math.Log(1 / 0.8), 0, alt, 0, 1e-6},
		{"tone 200 Hz", tone(8000, 200, 0.5), 96, 96, 0, 0, 0, 1, 0, 1e-5},
		{"silence", make([]float32, 8000), 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		s := trackAll(tc.x)
		if s.Cycles != tc.voiced || s.CycleJitter > tc.tol || math.Abs(s.CycleShimmer-tc.shimmer) > tc.tol {
			t.Errorf("%s: %d cycle pairs, cycle jitter %g, cycle shimmer %g; want %d, 0, %g", tc.name, s.Cycles, s.CycleJitter, s.CycleShimmer, tc.voiced, tc.shimmer)
		}
		if s.Frames != tc.frames || s.Voiced != tc.voiced {
			t.Errorf("%s: %d frames, %d voiced; want %d, %d", tc.name, s.Frames, s.Voiced, tc.frames, tc.voiced)
		}
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"jitter", s.Jitter, tc.jitter}, {"shimmer", s.Shimmer, tc.shimmer}, {"smoothness", s.Smoothness, tc.sm},
			{"peak", s.Peak, tc.peak}, {"ln F0 std", s.LogF0Std, tc.f0std}} {
			if math.Abs(c.got-c.want) > tc.tol {
				t.Errorf("%s: %s %.8g, want %.8g", tc.name, c.what, c.got, c.want)
			}
		}
	}
}

// TestPitchPeriodInterpolation: a 150 Hz tone's period, 53.333 samples, lies between lags;
// parabolic interpolation finds it to a tenth of a sample, and it stays steady (jitter < 0.1 %).
func TestPitchPeriodInterpolation(t *testing.T) {
	p := NewPitchTracker(8000, -50)
	x := tone(8000, 150, 0.3)
	f := p.Analyse(x[1000:])
	if !f.Voiced || math.Abs(f.Period-8000.0/150) > 0.1 || f.Peak < 0.99 {
		t.Errorf("150 Hz tone: %+v, want period 53.33", f)
	}
	p.Push(x)
	if s := p.Stats(); s.Voiced != 96 || s.Jitter > 1e-3 {
		t.Errorf("150 Hz tone: %+v", s)
	}
}

// TestPitchCycles: one frame of impulses at 5, 81, 165, 241, 325 (spacings 76, 84, 76, 84). Over
// N = 240, r(76) = 2 pairs / sqrt(3·3) = 2/3 and r(84) = 1/sqrt(3·2): the frame's period is 76.
// Its first cycle x[0:76] (the pulse at 5) matches x[76:152] (81): 76 samples; the second,
// x[76:152], matches x[160:236] (165): 84 samples; both cycles hold one unit pulse, equal RMS.
// Cycle jitter |76−84| / 80 = 0.1.
func TestPitchCycles(t *testing.T) {
	x := make([]float32, 375)
	for _, i := range []int{5, 81, 165, 241, 325} {
		x[i] = 1
	}
	p := NewPitchTracker(8000, -50)
	f := p.Analyse(x)
	want := PitchFrame{LevelDB: f.LevelDB, Voiced: true, Period: 76, Peak: 2.0 / 3, Amp: 1,
		Cycle: true, Cycle1: 76, Cycle2: 84, CycleAmp1: math.Sqrt(1.0 / 76), CycleAmp2: math.Sqrt(1.0 / 76)}
	if math.Abs(f.Peak-want.Peak) < 1e-12 {
		f.Peak = want.Peak
	}
	if f != want {
		t.Fatalf("frame %+v\nwant  %+v", f, want)
	}
	p.add(f)
	if s := p.Stats(); s.Cycles != 1 || math.Abs(s.CycleJitter-0.1) > 1e-12 || s.CycleShimmer != 0 {
		t.Errorf("stats %+v, want cycle jitter 0.1", s)
	}
}

// TestPitchNoise: white noise is (almost) never voiced.
func TestPitchNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 16000)
	for i := range x {
		x[i] = float32(rng.Float64() - 0.5)
	}
	s := trackAll(x)
	if s.Frames != 196 || float64(s.Voiced) > 0.05*float64(s.Frames) {
		t.Errorf("noise: %d of %d frames voiced", s.Voiced, s.Frames)
	}
}

// TestPitchPeriodChange: an impulse train whose period steps from 80 to 100 samples gives every
// frame a period of exactly 80 or 100, changing once; jitter is then 20 over the pairs divided by
// the mean period.
func TestPitchPeriodChange(t *testing.T) {
	x := append(pulses(4000, 10, 80, func(int) float32 { return 0.5 }), pulses(4000, 10, 100, func(int) float32 { return 0.5 })...)
	p := NewPitchTracker(8000, -50)
	var periods []float64
	for s := 0; s+p.WindowLength() <= len(x); s += p.Hop() {
		f := p.Analyse(x[s:])
		if !f.Voiced || (f.Period != 80 && f.Period != 100) {
			t.Fatalf("frame at %d: %+v", s, f)
		}
		if n := len(periods); n > 0 && periods[n-1] == 100 && f.Period == 80 {
			t.Fatalf("period back to 80 at %d", s)
		}
		periods = append(periods, f.Period)
	}
	var sum float64
	for _, v := range periods {
		sum += v
	}
	want := 20 / float64(len(periods)-1) / (sum / float64(len(periods)))
	p.Push(x)
	if s := p.Stats(); math.Abs(s.Jitter-want) > 1e-12 || s.Pairs != len(periods)-1 {
		t.Errorf("jitter %g over %d pairs, want %g over %d", s.Jitter, s.Pairs, want, len(periods)-1)
	}
}

// TestPitchAccumulator feeds frames directly. Periods 80, 82, 80, 82, 80: four pairs of |ΔT0| = 2,
// mean period 80.8, so jitter 2/80.8; ln T0 second differences ±2 ln(82/80) in the three triples.
// Amplitudes 1, 2, 1, 2, 1: shimmer ln 2. An octave jump (80 → 160) or an unvoiced frame breaks
// the chain.
func TestPitchAccumulator(t *testing.T) {
	v := func(T, amp float64) PitchFrame {
		return PitchFrame{LevelDB: -20, Voiced: true, Period: T, Peak: 0.9, Amp: amp}
	}
	uv := PitchFrame{LevelDB: -20}
	quiet := PitchFrame{LevelDB: -80}
	for _, tc := range []struct {
		name                             string
		in                               []PitchFrame
		frames, voiced, pairs            int
		jitter, shimmer, smooth, logf0sd float64
	}{
		{"alternating", []PitchFrame{v(80, 1), v(82, 2), v(80, 1), v(82, 2), v(80, 1)}, 5, 5, 4,
			2 / 80.8, math.Log(2), 2 * math.Log(82.0/80), math.Sqrt((3*math.Log(80)*math.Log(80)+2*math.Log(82)*math.Log(82))/5 - math.Pow((3*math.Log(80)+2*math.Log(82))/5, 2))},
		{"octave jump", []PitchFrame{v(80, 1), v(160, 1), v(80, 1)}, 3, 3, 0, 0, 0, 0, math.Sqrt(2.0/9) * math.Log(2)},
		{"gaps", []PitchFrame{v(80, 1), uv, v(82, 1), quiet, v(80, 1), v(84, 1)}, 5, 4, 1,
			4 / ((80 + 82 + 80 + 84) / 4.0), 0, 0, -1},
	} {
		p := NewPitchTracker(8000, -50)
		for _, f := range tc.in {
			p.add(f)
		}
		s := p.Stats()
		if s.Frames != tc.frames || s.Voiced != tc.voiced || s.Pairs != tc.pairs {
			t.Errorf("%s: counts %+v", tc.name, s)
		}
		if math.Abs(s.Jitter-tc.jitter) > 1e-12 || math.Abs(s.Shimmer-tc.shimmer) > 1e-12 || math.Abs(s.Smoothness-tc.smooth) > 1e-12 ||
			(tc.logf0sd >= 0 && math.Abs(s.LogF0Std-tc.logf0sd) > 1e-9) {
			t.Errorf("%s: %+v, want jitter %g shimmer %g smoothness %g ln F0 std %g", tc.name, s, tc.jitter, tc.shimmer, tc.smooth, tc.logf0sd)
		}
	}
}

// TestPitchStreamingEqualsBatch: any chunking gives the same statistics, bit for bit, and a
// reset tracker repeats them.
func TestPitchStreamingEqualsBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := tone(12000, 123, 0.3)
	for i := range x {
		x[i] += float32(0.05 * rng.NormFloat64())
		if i%67 == 0 {
			x[i] += 0.4
		}
	}
	want := trackAll(x)
	if want.Voiced < 50 {
		t.Fatalf("test signal too weakly voiced: %+v", want)
	}
	p := NewPitchTracker(8000, -50)
	for _, chunk := range []int{1, 7, 80, 160, 375, 1001, 12000} {
		p.Reset()
		for s := 0; s < len(x); s += chunk {
			p.Push(x[s:min(s+chunk, len(x))])
		}
		if got := p.Stats(); got != want {
			t.Errorf("chunks of %d: %+v, want %+v", chunk, got, want)
		}
	}
}

// TestPitchNoAllocs: streaming allocates nothing after construction.
func TestPitchNoAllocs(t *testing.T) {
	p := NewPitchTracker(8000, -50)
	x := tone(160, 180, 0.3)
	if a := testing.AllocsPerRun(100, func() { p.Push(x) }); a != 0 {
		t.Errorf("%g allocations per Push", a)
	}
}

// TestLFCCProsodyStats: with Prosody the long-term statistics end with the tracker's features,
// computed on the same samples; without it their width is unchanged (older bundles).
func TestLFCCProsodyStats(t *testing.T) {
	cfg := TelephoneLFCC()
	base := cfg.SpectralStatsDim()
	cfg.Prosody = true
	if cfg.SpectralStatsDim() != base+ProsodyDim {
		t.Fatalf("dim %d, want %d", cfg.SpectralStatsDim(), base+ProsodyDim)
	}
	x := tone(8000, 140, 0.3)
	l, err := NewLFCC(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.EnableSpectralStats(-50)
	for s := 0; s < len(x); s += 160 {
		l.Push(x[s : s+160])
	}
	got := make([]float64, cfg.SpectralStatsDim())
	l.SpectralStats(got)
	p := NewPitchTracker(8000, -50)
	p.Push(x)
	want := make([]float64, ProsodyDim)
	p.Features(want)
	for i, w := range want {
		if got[base+i] != w {
			t.Errorf("feature %d: %g, want %g", i, got[base+i], w)
		}
	}
	if want[0] != 1 {
		t.Errorf("voiced share of a tone %g, want 1", want[0])
	}
}

// BenchmarkPitchTracker: one second of voiced 8 kHz audio per operation.
func BenchmarkPitchTracker(b *testing.B) {
	x := tone(8000, 130, 0.3)
	p := NewPitchTracker(8000, -50)
	b.ReportAllocs()
	for b.Loop() {
		p.Push(x)
	}
}
