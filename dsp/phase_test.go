package dsp

import (
	"math"
	"testing"
)

// The group delay of a pure delay x[n] = a·δ[n−d] is d samples at every frequency: X = a·e^{−iωd},
// Y = a·d·e^{−iωd}, so X_R Y_R + X_I Y_I = a²d, and the cepstrally smoothed |X| of a flat spectrum
// is exactly a, giving τ = a^(2−2γ)·d and MGD = (a^(2−2γ)·d)^α.
func TestMGDPureDelay(t *testing.T) {
	for _, tc := range []struct {
		alpha, gamma, a float64
		lifter, d       int
	}{
		{1, 1, 1, 8, 1}, {1, 0.9, 1, 8, 5}, {1, 0.9, 1, 129, 37}, {0.4, 0.9, 1, 8, 200},
		{1, 0.9, 0.01, 8, 17}, {0.4, 0.9, 3, 20, 100}, {1, 1, 1, 8, 0},
	} {
		cfg := MGDConfig{SampleRate: 8000, FrameLengthMs: 30, FrameShiftMs: 15, Lifter: tc.lifter, Alpha: tc.alpha, Gamma: tc.gamma}
		m, err := NewMGD(cfg)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, cfg.FrameLength())
		x[tc.d] = tc.a
		out := make([]float64, cfg.Bins())
		m.Compute(x, out)
		want := math.Pow(math.Pow(tc.a, 2-2*tc.gamma)*float64(tc.d), tc.alpha)
		for k, v := range out {
			if math.Abs(v-want) > 1e-9*max(1, want) {
				t.Fatalf("%+v: bin %d: MGD %g, want %g", tc, k, v, want)
			}
		}
		// Whitened, a pulse stays a pulse: kurtosis n.
		if p, want := m.Peakiness(), math.Log(float64(cfg.N())); math.Abs(p-want) > 1e-9 {
			t.Fatalf("%+v: peakiness %g, want ln %d = %g", tc, p, cfg.N(), want)
		}
	}
}

// With α = γ = 1 and every cepstral coefficient kept (no smoothing), the MGD is the group delay.
// For x = δ[n] + b·δ[n−1]: X = 1 + b·e^{−iω}, Y = b·e^{−iω}, so
// τ(ω) = Re(conj(X)·Y)/|X|² = (b² + b·cos ω)/(1 + 2b·cos ω + b²), for a minimum-phase (|b| < 1)
// and a maximum-phase (|b| > 1) zero alike.
func TestMGDFirstOrderGroupDelay(t *testing.T) {
	cfg := MGDConfig{SampleRate: 8000, FrameLengthMs: 30, FrameShiftMs: 15, Lifter: 1000, Alpha: 1, Gamma: 1}
	m, err := NewMGD(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.N()
	out := make([]float64, cfg.Bins())
	for _, b := range []float64{0.5, -0.8, 2, -3} {
		x := []float64{1, b}
		m.Compute(x, out)
		for k, v := range out {
			w := 2 * math.Pi * float64(k) / float64(n)
			want := (b*b + b*math.Cos(w)) / (1 + 2*b*math.Cos(w) + b*b)
			if math.Abs(v-want) > 1e-9*max(1, math.Abs(want)) {
				t.Fatalf("b=%g: bin %d: group delay %g, want %g", b, k, v, want)
			}
		}
	}
}

func TestMGDStats(t *testing.T) {
	x := readS16(t, "libri_8.s16")
	cfg := TelephoneMGD()
	cfg.Peakiness = true
	whole, n, err := ComputeMGDStats(x, cfg, -50)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || len(whole) != 2*129+2 {
		t.Fatalf("%d frames, %d statistics", n, len(whole))
	}
	// Speech is peakier than noise once whitened (mean ln kurtosis above ln 3).
	if whole[258] < math.Log(3) {
		t.Errorf("mean peakiness of speech %g", whole[258])
	}
	// The frames counted are LFCC.SpectralStats's.
	l, _ := NewLFCC(TelephoneLFCC())
	l.EnableSpectralStats(-50)
	l.Push(x)
	l.Flush()
	if ln := l.SpectralStats(make([]float64, TelephoneLFCC().SpectralStatsDim())); ln != n {
		t.Errorf("MGD statistics over %d frames, long-term spectral statistics over %d", n, ln)
	}
	// Any chunking gives the same statistics; so does any gain (frames are scaled to unit RMS)
	// as long as no frame crosses the level floor.
	st, _ := NewMGDStats(cfg, -50)
	for _, chunk := range []int{1, 7, 160, 1000} {
		st.Reset()
		for p := 0; p < len(x); p += chunk {
			st.Push(x[p:min(p+chunk, len(x))])
		}
		got := make([]float64, cfg.StatsDim())
		if st.Stats(got) != n {
			t.Fatalf("chunk %d: frame count differs", chunk)
		}
		for i := range got {
			if got[i] != whole[i] {
				t.Fatalf("chunk %d: statistic %d = %g, want %g", chunk, i, got[i], whole[i])
			}
		}
	}
	loud := make([]float32, len(x))
	for i, v := range x {
		loud[i] = 0.5 * v
	}
	half, n2, _ := ComputeMGDStats(loud, cfg, -200)
	ref, n1, _ := ComputeMGDStats(x, cfg, -200)
	if n1 != n2 {
		t.Fatalf("%d vs %d frames", n1, n2)
	}
	for i := range ref {
		if math.Abs(half[i]-ref[i]) > 1e-9*max(1, math.Abs(ref[i])) {
			t.Fatalf("statistic %d: %g at half gain, %g", i, half[i], ref[i])
		}
	}
	// Silence counts no frame and zeroes the statistics.
	z, nz, _ := ComputeMGDStats(make([]float32, 8000), cfg, -50)
	if nz != 0 || z[0] != 0 || z[len(z)-1] != 0 {
		t.Fatalf("silence: %d frames, %g .. %g", nz, z[0], z[len(z)-1])
	}
	if testing.AllocsPerRun(5, func() { st.Reset(); st.Push(x[:1600]) }) > 0 {
		t.Error("MGDStats.Push allocates in steady state")
	}
}

func TestMGDConfigValidate(t *testing.T) {
	bad := []MGDConfig{
		{},
		{SampleRate: 8000, FrameLengthMs: 30, FrameShiftMs: 15, Lifter: 0, Alpha: 0.4, Gamma: 0.9},
		{SampleRate: 8000, FrameLengthMs: 30, FrameShiftMs: 15, FFTSize: 128, Lifter: 8, Alpha: 0.4, Gamma: 0.9},
		{SampleRate: 8000, FrameLengthMs: 30, FrameShiftMs: 15, FFTSize: 300, Lifter: 8, Alpha: 0.4, Gamma: 0.9},
		{SampleRate: 8000, FrameLengthMs: 30, FrameShiftMs: 15, Lifter: 8, Alpha: 0, Gamma: 0.9},
	}
	for _, c := range bad {
		if c.Validate() == nil {
			t.Errorf("%+v: accepted", c)
		}
	}
	if err := TelephoneMGD().Validate(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkMGDStats8k is the MGD long-term statistics of ~10 s of speech at 8 kHz (every frame
// counted: level floor -200 dBFS), streamed in 20 ms chunks; /peak adds the peakiness.
func BenchmarkMGDStats8k(b *testing.B) {
	x := benchAudio(b)
	for _, peak := range []bool{false, true} {
		name := "mgd"
		if peak {
			name = "peak"
		}
		b.Run(name, func(b *testing.B) {
			cfg := TelephoneMGD()
			cfg.Peakiness = peak
			st, _ := NewMGDStats(cfg, -200)
			dst := make([]float64, cfg.StatsDim())
			b.ReportAllocs()
			for b.Loop() {
				st.Reset()
				streamChunks(x, st.Push, func() {}, nil)
				st.Stats(dst)
			}
			reportRealTime(b, len(x), 8000)
			b.ReportMetric(b.Elapsed().Seconds()*1e3/(float64(len(x))/8000*float64(b.N)), "ms_cpu/s_audio")
		})
	}
}
