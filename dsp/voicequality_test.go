package dsp

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// vqOf returns the voice-quality statistics of x pushed in one piece.
func vqOf(t *testing.T, x []float32) ([]float64, int) {
	t.Helper()
	return vqOfCfg(t, TelephoneVoiceQuality(), x)
}

// halfRateVQ is TelephoneVoiceQuality analysing the pitch and the cepstral peak at 4 kHz.
func halfRateVQ() VoiceQualityConfig {
	c := TelephoneVoiceQuality()
	c.HalfRate = true
	return c
}

// vqConfigs are the configurations the known-value tests hold for.
var vqConfigs = []struct {
	name string
	cfg  VoiceQualityConfig
}{{"8 kHz", TelephoneVoiceQuality()}, {"half rate", halfRateVQ()}}

// vqBenchConfigs are vqConfigs and the half-rate one with the harmonics' phase structure.
var vqBenchConfigs = append(vqConfigs[:len(vqConfigs):len(vqConfigs)], struct {
	name string
	cfg  VoiceQualityConfig
}{"half rate phase", phaseVQ()})

// vqOfCfg is vqOf with a configuration.
func vqOfCfg(t *testing.T, cfg VoiceQualityConfig, x []float32) ([]float64, int) {
	t.Helper()
	st, err := NewVoiceQualityStats(cfg, -60)
	if err != nil {
		t.Fatal(err)
	}
	st.Push(x)
	out := make([]float64, VoiceQualityDim)
	return out, st.Stats(out)
}

// harmonics is one second of a 100 Hz complex of 30 equal harmonics at 8 kHz: in phase (a
// pulse train) or with random phases (the same spectrum, scattered phases).
func harmonics(randomPhase bool, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	ph := make([]float64, 31)
	for h := range ph {
		if randomPhase {
			ph[h] = 2 * math.Pi * rng.Float64()
		}
	}
	x := make([]float32, 8000)
	for i := range x {
		var v float64
		for h := 1; h <= 30; h++ {
			v += math.Cos(2*math.Pi*100*float64(h*i)/8000 + ph[h])
		}
		x[i] = float32(0.02 * v)
	}
	return x
}

func TestVoiceQualityKnown(t *testing.T) {
	sine := make([]float32, 8000)
	for i := range sine {
		sine[i] = float32(0.3 * math.Sin(2*math.Pi*125*float64(i)/8000))
	}
	noise := make([]float32, 8000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = float32(0.1 * rng.NormFloat64())
	}
	pulses, scattered := harmonics(false, 1), harmonics(true, 1)
	frames := (8000-320)/80 + 1
	tests := []struct {
		name  string
		x     []float32
		check func(s []float64, n int) string
	}{
		{"sine: every frame voiced, autocorrelation 1 at the period, no jitter or shimmer", sine, func(s []float64, n int) string {
			if n != frames || s[0] != 1 || math.Abs(s[1]-1) > 0.02 || s[9] > 1e-3 || s[10] > 1e-6 {
				return "want all voiced, mean autocorrelation ~1, jitter under 0.1 %, shimmer 0"
			}
			return ""
		}},
		{"white noise: nothing voiced", noise, func(s []float64, n int) string {
			if n != frames || s[0] > 0.05 {
				return "want at most 5 % voiced"
			}
			return ""
		}},
		{"pulse train: voiced, peaky residual, a clear cepstral peak", pulses, func(s []float64, n int) string {
			if s[0] != 1 || s[7] < math.Log(15) || s[5] < 1 {
				return "want all voiced, residual log kurtosis over log 15, CPP over 1"
			}
			return ""
		}},
		{"the same harmonics, random phases: voiced, Gaussian-like residual", scattered, func(s []float64, n int) string {
			if s[0] != 1 || s[7] > math.Log(6) {
				return "want all voiced and residual log kurtosis under log 6"
			}
			return ""
		}},
		{"silence: no frame counted", make([]float32, 8000), func(s []float64, n int) string {
			for _, v := range s {
				if v != 0 {
					return "want zeros"
				}
			}
			if n != 0 {
				return "want no frames"
			}
			return ""
		}},
	}
	for _, c := range vqConfigs {
		for _, tc := range tests {
			s, n := vqOfCfg(t, c.cfg, tc.x)
			if msg := tc.check(s, n); msg != "" {
				t.Errorf("%s, %s: %s; got %d frames, %.4g", c.name, tc.name, msg, n, s)
			}
		}
	}
}

// The relative pitch-period change between consecutive voiced frames: a tone at 100 Hz, then at
// 80 Hz, changes its period once, by 25 samples in 100 (0.2, the cap), between two frames.
func TestVoiceQualityJitter(t *testing.T) {
	x := make([]float32, 16000)
	phase := 0.0
	for i := range x {
		f := 100.0
		if i >= 8000 {
			f = 80
		}
		phase += 2 * math.Pi * f / 8000
		x[i] = float32(0.3 * math.Sin(phase))
	}
	for _, c := range vqConfigs {
		s, _ := vqOfCfg(t, c.cfg, x)
		if s[0] != 1 {
			t.Fatalf("%s: voiced share %.3f, want 1", c.name, s[0])
		}
		// Frames straddling the change see a mix, so the 0.2 of one jump is spread over a few
		// pairs; the total over the 195 pairs is still about 0.2.
		pairs := float64((16000-320)/80 + 1 - 1)
		if got := s[9] * pairs; got < 0.15 || got > 0.3 {
			t.Errorf("%s: total period change %.3f, want about 0.2", c.name, got)
		}
	}
}

func TestVoiceQualityChunking(t *testing.T) {
	x := harmonics(true, 9)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range x {
		x[i] += float32(0.01 * rng.NormFloat64())
	}
	whole, n := vqOf(t, x)
	st, err := NewVoiceQualityStats(TelephoneVoiceQuality(), -60)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(x); {
		k := min(1+rng.IntN(300), len(x)-off)
		st.Push(x[off : off+k])
		off += k
	}
	got := make([]float64, VoiceQualityDim)
	if m := st.Stats(got); m != n {
		t.Fatalf("frames %d in chunks, %d whole", m, n)
	}
	for i := range got {
		if got[i] != whole[i] {
			t.Errorf("statistic %d: %g in chunks, %g whole", i, got[i], whole[i])
		}
	}
	st.Reset()
	st.Push(x)
	st.Stats(got)
	for i := range got {
		if got[i] != whole[i] {
			t.Errorf("after Reset, statistic %d: %g, want %g", i, got[i], whole[i])
		}
	}
	// A whole recording in one call keeps no more than two frames of samples pending: a live
	// session's memory does not depend on its client's chunks.
	if c := cap(st.pending); c > 2*st.fl {
		t.Errorf("pending samples' capacity %d after one %d-sample push, want at most %d", c, len(x), 2*st.fl)
	}
}

func TestVoiceQualityConfigValidate(t *testing.T) {
	ok := TelephoneVoiceQuality()
	bad := []func(c *VoiceQualityConfig){
		func(c *VoiceQualityConfig) { c.SampleRate = 0 },
		func(c *VoiceQualityConfig) { c.MinF0 = 0 },
		func(c *VoiceQualityConfig) { c.MaxF0 = c.MinF0 },
		func(c *VoiceQualityConfig) { c.FrameLengthMs = 15 },
		func(c *VoiceQualityConfig) { c.VoicedMin = 1 },
		func(c *VoiceQualityConfig) { c.LPCOrder = 0 },
		func(c *VoiceQualityConfig) { c.SampleRate, c.HalfRate = 8001, true },
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := halfRateVQ().Validate(); err != nil {
		t.Fatal(err)
	}
	for i, f := range bad {
		c := ok
		f(&c)
		if c.Validate() == nil {
			t.Errorf("case %d: want an error", i)
		}
	}
}

func BenchmarkVoiceQuality8k(b *testing.B) {
	noise := make([]float32, 8000)
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range noise {
		noise[i] = float32(0.1 * rng.NormFloat64())
	}
	for _, c := range vqBenchConfigs {
		// One second at a 10 ms shift (100 frames): voiced throughout, and unvoiced throughout.
		for _, in := range []struct {
			name string
			x    []float32
		}{{"voiced", harmonics(true, 2)}, {"unvoiced", noise}} {
			b.Run(strings.ReplaceAll(c.name, " ", "-")+"/"+in.name, func(b *testing.B) {
				st, err := NewVoiceQualityStats(c.cfg, -60)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(in.x)) * 4)
				for b.Loop() {
					st.Reset()
					st.Push(in.x)
				}
			})
		}
	}
}

// With HalfRate the pitch analysis's autocorrelation is that of the band below 2 kHz at every
// other full-rate lag (the even extension of power bins 0-128, summed directly here), and the
// LPC residual is the full rate's (its autocorrelation summed in the time domain, not taken
// from the transform).
func TestVoiceQualityHalfRateAutocorrelation(t *testing.T) {
	st, err := NewVoiceQualityStats(halfRateVQ(), -60)
	if err != nil {
		t.Fatal(err)
	}
	x := harmonics(true, 3)
	for i := range st.fl {
		st.frame[i] = float64(x[i]) * st.window[i]
	}
	st.fft.power(st.frame, st.pow)
	st.inverseEven(st.fftA, st.na, st.pow, st.ra)
	if st.na != st.n/2 || st.lo != 10 || st.hi != 67 {
		t.Fatalf("transform %d of %d, lags %d-%d; want %d, 10-67", st.na, st.n, st.lo, st.hi, st.n/2)
	}
	for _, j := range []int{0, 1, 10, 40, 67, 128} {
		var want float64
		for k := 0; k <= st.na/2; k++ {
			c := 2.0
			if k == 0 || k == st.na/2 {
				c = 1
			}
			want += c * st.pow[k] * math.Cos(2*math.Pi*float64(j*k)/float64(st.na))
		}
		if math.Abs(st.ra[j]-want) > 1e-9*math.Abs(st.ra[0]) {
			t.Errorf("half-rate autocorrelation at lag %d: %g, want %g", j, st.ra[j], want)
		}
	}
	// The LPC residual is the full rate's in both: on a signal voiced in every frame either way,
	// its kurtosis statistics agree.
	y := harmonics(false, 3)
	a, na := vqOfCfg(t, TelephoneVoiceQuality(), y)
	b, nb := vqOfCfg(t, halfRateVQ(), y)
	if a[0] != 1 || b[0] != 1 || na != nb {
		t.Fatalf("voiced shares %g and %g over %d and %d frames, want 1 over the same frames", a[0], b[0], na, nb)
	}
	for _, i := range []int{7, 8} {
		if math.Abs(a[i]-b[i]) > 1e-6 { // the deviation is a square root of a difference of sums
			t.Errorf("statistic %d: %g at 8 kHz, %g at half rate; want equal", i, a[i], b[i])
		}
	}
}

// LFCCConfig.VoiceQuality appends exactly VoiceQualityStats' statistics to the long-term
// statistics and leaves the rest as they were, in any chunking.
func TestLFCCVoiceQuality(t *testing.T) {
	x := harmonics(true, 4)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range x {
		x[i] += float32(0.005 * rng.NormFloat64())
	}
	stats := func(cfg LFCCConfig, chunk int) []float64 {
		l, err := NewLFCC(cfg)
		if err != nil {
			t.Fatal(err)
		}
		l.EnableSpectralStats(-50)
		for off := 0; off < len(x); off += chunk {
			l.Push(x[off:min(off+chunk, len(x))])
		}
		l.Flush()
		out := make([]float64, cfg.SpectralStatsDim())
		if l.SpectralStats(out) == 0 {
			t.Fatal("no frames counted")
		}
		return out
	}
	plain := TelephoneLFCC()
	with := plain
	with.VoiceQuality = true
	if err := with.Validate(); err != nil {
		t.Fatal(err)
	}
	if with.SpectralStatsDim() != plain.SpectralStatsDim()+VoiceQualityDim {
		t.Fatalf("dimension %d, want %d", with.SpectralStatsDim(), plain.SpectralStatsDim()+VoiceQualityDim)
	}
	for _, tc := range []struct{ half, phase bool }{{false, false}, {true, false}, {true, true}} {
		with.VoiceQualityHalfRate, with.VoiceQualityPhase = tc.half, tc.phase
		vq := TelephoneVoiceQuality()
		vq.HalfRate, vq.HarmonicPhase = tc.half, tc.phase
		if with.VoiceQualityStatsDim() != vq.Dim() || with.SpectralStatsDim() != plain.SpectralStatsDim()+vq.Dim() {
			t.Fatalf("%+v: dimensions %d and %d, want %d", tc, with.VoiceQualityStatsDim(), with.SpectralStatsDim(), vq.Dim())
		}
		st, err := NewVoiceQualityStats(vq, -50)
		if err != nil {
			t.Fatal(err)
		}
		st.Push(x)
		want := append(stats(plain, len(x)), make([]float64, vq.Dim())...)
		st.Stats(want[len(want)-vq.Dim():])
		for _, chunk := range []int{len(x), 97} {
			got := stats(with, chunk)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v, chunk %d: statistic %d = %g, want %g", tc, chunk, i, got[i], want[i])
				}
			}
		}
	}
}

// MaxFrames stops the statistics after that many counted frames: they equal those of the
// samples that make exactly those frames.
func TestVoiceQualityMaxFrames(t *testing.T) {
	x := harmonics(true, 11)
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range x {
		x[i] += float32(0.01 * rng.NormFloat64())
	}
	cfg := TelephoneVoiceQuality()
	cfg.FrameShiftMs, cfg.MaxFrames = 20, 12
	capped, err := NewVoiceQualityStats(cfg, -60)
	if err != nil {
		t.Fatal(err)
	}
	capped.Push(x)
	got := make([]float64, VoiceQualityDim)
	if n := capped.Stats(got); n != 12 {
		t.Fatalf("%d frames counted, want 12", n)
	}
	cfg.MaxFrames = 0
	plain, err := NewVoiceQualityStats(cfg, -60)
	if err != nil {
		t.Fatal(err)
	}
	plain.Push(x[:11*160+320])
	want := make([]float64, VoiceQualityDim)
	if n := plain.Stats(want); n != 12 {
		t.Fatalf("truncated: %d frames, want 12", n)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("statistic %d: %g capped, %g on the truncated samples", i, got[i], want[i])
		}
	}
	// Past the cap the work buffers are dropped (a long call keeps only the sums), more audio
	// changes nothing, and Reset makes the accumulator whole again.
	capped.Push(x[:800])
	if capped.frame != nil || capped.pending != nil {
		t.Error("work buffers kept past the cap")
	}
	if capped.Stats(got); got[1] != want[1] {
		t.Errorf("statistic 1 after more audio past the cap: %g, want %g", got[1], want[1])
	}
	capped.Reset()
	capped.Push(x)
	if n := capped.Stats(got); n != 12 || got[5] != want[5] {
		t.Errorf("after Reset: %d frames, CPP %g; want 12, %g", n, got[5], want[5])
	}
}
