package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLinearBankHandWorked checks the linear filterbank against triangles worked by hand: 8 kHz,
// an 8-point FFT (bins at 0, 1000, 2000, 3000, 4000 Hz), two filters over 0-4000 Hz, so edges at
// 0, 1333.3, 2666.7 and 4000 Hz.
func TestLinearBankHandWorked(t *testing.T) {
	c := LFCCConfig{SampleRate: 8000, FrameLengthMs: 1, FrameShiftMs: 1, NumFilters: 2, LowFreq: 0, HighFreq: 4000, NumCeps: 2}
	if c.PaddedLength() != 8 {
		t.Fatalf("padded length %d, want 8", c.PaddedLength())
	}
	bank := linearBank(c)
	want := []struct {
		start int
		w     []float64
	}{
		{1, []float64{0.75, 0.5}}, // 1000 Hz rising (1000/1333.3), 2000 Hz falling ((2666.7-2000)/1333.3)
		{2, []float64{0.5, 0.75}}, // 2000 Hz rising, 3000 Hz falling
	}
	for b, w := range want {
		f := bank[b]
		if f.start != w.start || len(f.w) != len(w.w) {
			t.Fatalf("filter %d: start %d weights %v, want start %d weights %v", b, f.start, f.w, w.start, w.w)
		}
		for i := range w.w {
			if math.Abs(f.w[i]-w.w[i]) > 1e-12 {
				t.Errorf("filter %d weight %d = %v, want %v", b, i, f.w[i], w.w[i])
			}
		}
	}
}

func TestLFCCConfigValidate(t *testing.T) {
	ok := TelephoneLFCC()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.Dim() != 60 || ok.FrameLength() != 240 || ok.FrameShift() != 120 || ok.PaddedLength() != 256 {
		t.Fatalf("telephone LFCC: dim %d frame %d shift %d fft %d", ok.Dim(), ok.FrameLength(), ok.FrameShift(), ok.PaddedLength())
	}
	for _, tc := range []struct {
		name string
		mod  func(*LFCCConfig)
	}{
		{"rate", func(c *LFCCConfig) { c.SampleRate = 0 }},
		{"filters", func(c *LFCCConfig) { c.NumFilters = 1 }},
		{"high above Nyquist", func(c *LFCCConfig) { c.HighFreq = 4001 }},
		{"ceps > filters", func(c *LFCCConfig) { c.NumCeps = 21 }},
		{"delta order", func(c *LFCCConfig) { c.DeltaOrder = 3 }},
		{"preemph", func(c *LFCCConfig) { c.PreemphCoeff = 1 }},
	} {
		c := TelephoneLFCC()
		tc.mod(&c)
		if c.Validate() == nil {
			t.Errorf("%s: invalid config accepted", tc.name)
		}
	}
}

// TestLFCCMatchesReference compares the cepstra of a random frame with a direct, slow
// implementation of the definition: DC removal, pre-emphasis, Hamming window, a naive DFT,
// triangles evaluated from their formula, natural log, orthonormal DCT-II.
func TestLFCCMatchesReference(t *testing.T) {
	c := TelephoneLFCC()
	m, err := newLFCCComputer(c)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	n, N := c.FrameLength(), c.PaddedLength()
	frame := make([]float32, n)
	for i := range frame {
		frame[i] = float32(0.2 * r.NormFloat64())
	}
	out := make([]float32, c.NumCeps)
	m.compute(frame, out)

	var mean float64
	for _, v := range frame {
		mean += float64(v) / float64(n)
	}
	x := make([]float64, N)
	for i := range n {
		cur := float64(frame[i]) - mean
		prev := cur
		if i > 0 {
			prev = float64(frame[i-1]) - mean
		}
		x[i] = (cur - c.PreemphCoeff*prev) * (0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(n-1)))
	}
	pow := make([]float64, N/2+1)
	for k := range pow {
		var re, im float64
		for i, v := range x {
			re += v * math.Cos(2*math.Pi*float64(k*i)/float64(N))
			im -= v * math.Sin(2*math.Pi*float64(k*i)/float64(N))
		}
		pow[k] = re*re + im*im
	}
	F := c.NumFilters
	width := (c.HighFreq - c.LowFreq) / float64(F+1)
	logE := make([]float64, F)
	for b := range F {
		centre := c.LowFreq + float64(b+1)*width
		var e float64
		for k, p := range pow {
			hz := float64(k) * float64(c.SampleRate) / float64(N)
			e += math.Max(0, 1-math.Abs(hz-centre)/width) * p
		}
		logE[b] = math.Log(e)
	}
	for k := range c.NumCeps {
		norm := math.Sqrt(2 / float64(F))
		if k == 0 {
			norm = math.Sqrt(1 / float64(F))
		}
		var s float64
		for j, v := range logE {
			s += norm * math.Cos(math.Pi/float64(F)*(float64(j)+0.5)*float64(k)) * v
		}
		if math.Abs(float64(out[k])-s) > 1e-4*math.Max(1, math.Abs(s)) {
			t.Errorf("c%d = %v, reference %v", k, out[k], s)
		}
	}
}

// TestLFCCTonePeak: a pure tone puts the largest filter energy in the filter centred on it.
func TestLFCCTonePeak(t *testing.T) {
	c := TelephoneLFCC()
	m, _ := newLFCCComputer(c)
	frame := make([]float32, c.FrameLength())
	delta := 4000.0 / 21
	for _, b := range []int{2, 9, 15} {
		f := delta * float64(b+1) // centre of filter b
		for i := range frame {
			frame[i] = float32(0.5 * math.Sin(2*math.Pi*f*float64(i)/8000))
		}
		out := make([]float32, c.NumCeps)
		m.compute(frame, out)
		best := 0
		for j, v := range m.logE {
			if v > m.logE[best] {
				best = j
			}
		}
		if best != b {
			t.Errorf("tone at %.0f Hz peaks in filter %d, want %d", f, best, b)
		}
	}
}

// TestLFCCStreamingMatchesBatch: pushing in random chunks gives the batch output exactly.
func TestLFCCStreamingMatchesBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 8000*3+77)
	for i := range x {
		x[i] = float32(0.3*math.Sin(float64(i)*0.05) + 0.05*r.NormFloat64())
	}
	cfg := TelephoneLFCC()
	batch, lv, err := ComputeLFCC(x, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != cfg.NumFrames(len(x)) || len(lv) != len(batch) {
		t.Fatalf("%d frames, want %d", len(batch), cfg.NumFrames(len(x)))
	}
	// Deltas must equal AddDeltas on the static part.
	static := make([][]float32, len(batch))
	for i, f := range batch {
		static[i] = f[:cfg.NumCeps]
	}
	ref := AddDeltas(static, 2)
	for i := range ref {
		for k := range ref[i] {
			if math.Abs(float64(ref[i][k]-batch[i][k])) > 1e-5 {
				t.Fatalf("frame %d dim %d: %v vs AddDeltas %v", i, k, batch[i][k], ref[i][k])
			}
		}
	}
	l, _ := NewLFCC(cfg)
	row := make([]float32, cfg.Dim())
	var got [][]float32
	for off := 0; off < len(x); {
		n := min(1+r.IntN(700), len(x)-off)
		l.Push(x[off : off+n])
		off += n
		for {
			if _, ok := l.Next(row); !ok {
				break
			}
			got = append(got, append([]float32(nil), row...))
		}
	}
	l.Flush()
	for {
		if _, ok := l.Next(row); !ok {
			break
		}
		got = append(got, append([]float32(nil), row...))
	}
	if len(got) != len(batch) {
		t.Fatalf("streaming gave %d frames, batch %d", len(got), len(batch))
	}
	for i := range got {
		for k := range got[i] {
			if got[i][k] != batch[i][k] {
				t.Fatalf("frame %d dim %d: streaming %v batch %v", i, k, got[i][k], batch[i][k])
			}
		}
	}
	// Digital silence reports a very low level.
	_, lv0, _ := ComputeLFCC(make([]float32, 1000), cfg)
	if lv0[0] > -150 {
		t.Errorf("silence level %v dBFS", lv0[0])
	}
}

// TestSpectralStats: a steady tone's mean log spectrum peaks at its bin, with a standard
// deviation near 0 there; the statistics do not depend on the chunking and skip quiet frames.
func TestSpectralStats(t *testing.T) {
	cfg := TelephoneLFCC()
	x := make([]float32, 8000)
	for i := range x {
		x[i] = float32(0.3 * math.Sin(2*math.Pi*1000*float64(i)/8000)) // bin 1000/31.25 = 32
	}
	x = append(x, make([]float32, 4000)...) // digital silence, below the floor
	K := cfg.PaddedLength()/2 + 1
	run := func(chunk int) ([]float64, int) {
		l, _ := NewLFCC(cfg)
		l.EnableSpectralStats(-50)
		for off := 0; off < len(x); off += chunk {
			l.Push(x[off:min(off+chunk, len(x))])
		}
		l.Flush()
		out := make([]float64, cfg.SpectralStatsDim())
		return out, l.SpectralStats(out)
	}
	a, n := run(len(x))
	// Frames wholly in the tone count, and the few straddling the silence; the silence does not.
	if len(a) != 2*K || n < cfg.NumFrames(8000) || n > cfg.NumFrames(8000)+2 {
		t.Fatalf("%d stats over %d frames, want %d over %d-%d", len(a), n, 2*K, cfg.NumFrames(8000), cfg.NumFrames(8000)+2)
	}
	best := 0
	var avg float64
	for k := range K {
		if a[k] > a[best] {
			best = k
		}
		avg += a[k] / float64(K)
	}
	if best != 32 || math.Abs(avg) > 1e-9 || a[K+32] > 1 {
		t.Errorf("tone: mean peaks at bin %d (want 32), bins average %v (want 0), std at the peak %v", best, avg, a[K+32])
	}
	b, _ := run(333)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			t.Fatalf("stat %d: %v in one chunk, %v in chunks of 333", i, a[i], b[i])
		}
	}
	l, _ := NewLFCC(cfg)
	l.EnableSpectralStats(-50)
	if l.SpectralStats(a) != 0 || a[0] != 0 {
		t.Error("empty statistics not zero")
	}
}

// TestSpectralFlux: a steady tone barely changes from frame to frame at its bin; white noise does.
func TestSpectralFlux(t *testing.T) {
	cfg := TelephoneLFCC()
	cfg.SpectralFlux = true
	K := cfg.PaddedLength()/2 + 1
	r := rand.New(rand.NewPCG(9, 9))
	tone, nz := make([]float32, 8000), make([]float32, 8000)
	for i := range tone {
		tone[i] = float32(0.3 * math.Sin(2*math.Pi*1000*float64(i)/8000))
		nz[i] = float32(0.1 * r.NormFloat64())
	}
	flux := func(x []float32) []float64 {
		l, _ := NewLFCC(cfg)
		l.EnableSpectralStats(-50)
		l.Push(x)
		out := make([]float64, cfg.SpectralStatsDim())
		l.SpectralStats(out)
		return out[2*K:]
	}
	if len(flux(tone)) != K {
		t.Fatalf("flux has %d bins, want %d", len(flux(tone)), K)
	}
	ft, fn := flux(tone)[32], flux(nz)[32]
	if !(ft < 0.05 && fn > 0.5) {
		t.Errorf("flux at 1 kHz: tone %v (want ~0), noise %v (want ~1)", ft, fn)
	}
}

// TestModulationHandWorked feeds the modulation statistics log power spectra worked by hand
// (every bin of frame t at the same level, so every sub-band's mean is that level) and checks the
// mean absolute change per lag, and that pairs spanning a frame below the floor are left out.
func TestModulationHandWorked(t *testing.T) {
	cfg := TelephoneLFCC()
	cfg.Modulation = true
	K := cfg.PaddedLength()/2 + 1
	flat := func(level float64) []float64 {
		p := make([]float64, K)
		for i := range p {
			p[i] = math.Exp(level)
		}
		return p
	}
	mod := func(levels []float64) []float64 {
		l, _ := NewLFCC(cfg)
		l.EnableSpectralStats(-50)
		for _, v := range levels {
			if math.IsNaN(v) {
				l.accumulate(nil, -100) // a frame below the floor
				continue
			}
			l.accumulate(flat(v), 0)
		}
		out := make([]float64, cfg.SpectralStatsDim())
		l.SpectralStats(out)
		return out[len(out)-ModulationDim:]
	}
	ramp, alt, gap := make([]float64, 20), make([]float64, 20), make([]float64, 0, 21)
	for i := range ramp {
		ramp[i] = float64(i) / 4  // rises 0.25 per frame
		alt[i] = float64(i%2) * 3 // 0, 3, 0, 3, ...
	}
	gap = append(append(append(gap, ramp[:10]...), math.NaN()), ramp[10:]...)
	for _, tc := range []struct {
		name   string
		levels []float64
		want   [4]float64 // per lag 1, 2, 4, 8
	}{
		{"ramp", ramp, [4]float64{0.25, 0.5, 1, 2}},
		{"alternating", alt, [4]float64{3, 0, 0, 0}},
		// Two runs of 10 frames: lag 8 pairs exist in each (2 + 2), none across the gap.
		{"ramp with a gap", gap, [4]float64{0.25, 0.5, 1, 2}},
		{"one frame", ramp[:1], [4]float64{0, 0, 0, 0}},
	} {
		m := mod(tc.levels)
		for j := range ModulationLags {
			for b := range ModulationBands {
				if got := m[j*ModulationBands+b]; math.Abs(got-tc.want[j]) > 1e-9 {
					t.Errorf("%s: lag %d band %d = %v, want %v", tc.name, ModulationLags[j], b, got, tc.want[j])
				}
			}
		}
	}
	// Shape: each band's four means divided by their sum (0.25 + 0.5 + 1 + 2 = 3.75).
	cfg.ModulationShape = true
	m := mod(ramp)
	for j, want := range []float64{0.25, 0.5, 1, 2} {
		if got := m[j*ModulationBands]; math.Abs(got-want/3.75) > 1e-9 {
			t.Errorf("shape, lag %d: %v, want %v", ModulationLags[j], got, want/3.75)
		}
	}
	cfg.ModulationShape = false
	// Band range: 250-3500 Hz at 8 kHz with a 256-point FFT (31.25 Hz bins) is bins 8..112.
	cfg.ModulationLowFreq, cfg.ModulationHighFreq = 250, 3500
	if lo, hi := cfg.modulationBins(); lo != 8 || hi != 113 {
		t.Errorf("250-3500 Hz: bins [%d, %d), want [8, 113)", lo, hi)
	}
	// Only bins 8..112 count: a ramp outside them changes nothing.
	outside := make([]float64, K)
	l2, _ := NewLFCC(cfg)
	l2.EnableSpectralStats(-50)
	for i := range 10 {
		for k := range outside {
			outside[k] = 1
			if k < 8 || k >= 113 {
				outside[k] = math.Exp(float64(i))
			}
		}
		l2.accumulate(outside, 0)
	}
	got := make([]float64, cfg.SpectralStatsDim())
	l2.SpectralStats(got)
	for i, v := range got[len(got)-ModulationDim:] {
		if v != 0 {
			t.Fatalf("band range: statistic %d = %v, want 0 (changes only outside 250-3500 Hz)", i, v)
		}
	}
	cfg.ModulationHighFreq = 300 // 2 bins: fewer than ModulationBands
	if cfg.Validate() == nil {
		t.Error("a modulation range narrower than ModulationBands bins validated")
	}
	cfg.ModulationLowFreq, cfg.ModulationHighFreq = 0, 0
	// The counts: a single run of 20 frames has 20−L pairs at lag L; two runs of 10, 2·(10−L).
	l, _ := NewLFCC(cfg)
	l.EnableSpectralStats(-50)
	for _, v := range gap {
		if math.IsNaN(v) {
			l.accumulate(nil, -100)
		} else {
			l.accumulate(flat(v), 0)
		}
	}
	for j, lag := range ModulationLags {
		if want := 2 * (10 - lag); l.modN[j] != want {
			t.Errorf("lag %d: %d pairs, want %d", lag, l.modN[j], want)
		}
	}
}

// TestSpectralStatsOwnWindow: with StatsFrameLengthMs the statistics use their own, longer
// window (finer bins), independently of the chunking, and the LFCC frames are unchanged.
func TestSpectralStatsOwnWindow(t *testing.T) {
	cfg := TelephoneLFCC()
	cfg.StatsFrameLengthMs = 64 // 512 samples, 257 bins of 15.6 Hz
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.SpectralStatsDim() != 2*257 {
		t.Fatalf("dim %d, want %d", cfg.SpectralStatsDim(), 2*257)
	}
	x := make([]float32, 8000)
	for i := range x {
		x[i] = float32(0.3 * math.Sin(2*math.Pi*1000*float64(i)/8000)) // bin 64
	}
	run := func(chunk int) ([]float64, int, [][]float32) {
		l, _ := NewLFCC(cfg)
		l.EnableSpectralStats(-50)
		for off := 0; off < len(x); off += chunk {
			l.Push(x[off:min(off+chunk, len(x))])
		}
		l.Flush()
		var frames [][]float32
		for {
			row := make([]float32, cfg.Dim())
			if _, ok := l.Next(row); !ok {
				break
			}
			frames = append(frames, row)
		}
		out := make([]float64, cfg.SpectralStatsDim())
		return out, l.SpectralStats(out), frames
	}
	a, n, fa := run(len(x))
	if n != 1+(8000-512)/256 {
		t.Errorf("%d statistics frames, want %d", n, 1+(8000-512)/256)
	}
	best := 0
	for k := range 257 {
		if a[k] > a[best] {
			best = k
		}
	}
	if best != 64 {
		t.Errorf("tone peaks at bin %d, want 64", best)
	}
	b, _, fb := run(97)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			t.Fatalf("stat %d differs with chunking: %v vs %v", i, a[i], b[i])
		}
	}
	ref, _, _ := ComputeLFCC(x, cfg)
	if len(fa) != len(ref) || len(fb) != len(ref) || fa[3][5] != ref[3][5] || fb[7][30] != ref[7][30] {
		t.Error("the statistics window changed the LFCC frames")
	}
	cfg.StatsFrameLengthMs = -1
	if cfg.Validate() == nil {
		t.Error("negative statistics window accepted")
	}
}

// TestLFCCSkipBelow: with SkipBelow, frames reaching the floor are bit for bit those of
// ComputeLFCC, quieter frames are zeros with their true level, the spectral statistics are
// unchanged, and all of that whatever the chunking — on audio that alternates speech-level
// noise bursts, quiet stretches, single loud frames and digital silence.
func TestLFCCSkipBelow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var x []float32
	for seg := range 40 {
		n := 200 + r.IntN(3000)
		amp := []float64{0.2, 0.001, 0, 0.05, 0.0005}[seg%5]
		for i := range n {
			v := amp * (math.Sin(float64(i)*0.07) + r.NormFloat64())
			if seg%5 == 4 && i == n/2 {
				v = 0.5 // one loud sample in a quiet stretch
			}
			x = append(x, float32(v))
		}
	}
	cfg := TelephoneLFCC()
	cfg.SpectralFlux = true
	cfg.Modulation = true
	batch, lv, err := ComputeLFCC(x, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		skip, specMin float64
		maxChunk      int
	}{
		{"floor -50, stats -50", -50, -50, 700},
		{"floor -50, stats -50, 20 ms chunks", -50, -50, 0},
		{"floor -40, stats -55", -40, -55, 333},
		{"floor -60, stats -50", -60, -50, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(skip bool) (rows [][]float32, levels []float64, stats []float64) {
				l, _ := NewLFCC(cfg)
				l.EnableSpectralStats(tc.specMin)
				if skip {
					l.SkipBelow(tc.skip)
				}
				row := make([]float32, cfg.Dim())
				drain := func() {
					for {
						v, ok := l.Next(row)
						if !ok {
							return
						}
						rows, levels = append(rows, append([]float32(nil), row...)), append(levels, v)
					}
				}
				rc := rand.New(rand.NewPCG(5, 6))
				for off := 0; off < len(x); {
					n := 160
					if tc.maxChunk > 0 {
						n = 1 + rc.IntN(tc.maxChunk)
					}
					n = min(n, len(x)-off)
					l.Push(x[off : off+n])
					off += n
					drain()
				}
				l.Flush()
				drain()
				stats = make([]float64, cfg.SpectralStatsDim())
				l.SpectralStats(stats)
				return rows, levels, stats
			}
			rows, levels, stats := run(true)
			_, _, want := run(false)
			if len(rows) != len(batch) {
				t.Fatalf("%d frames, want %d", len(rows), len(batch))
			}
			quiet, loud := 0, 0
			for i := range rows {
				if levels[i] != lv[i] {
					t.Fatalf("frame %d: level %v, want %v", i, levels[i], lv[i])
				}
				for k := range rows[i] {
					w := batch[i][k]
					if lv[i] < tc.skip {
						w = 0
					}
					if rows[i][k] != w {
						t.Fatalf("frame %d (%.1f dBFS) dim %d: %v, want %v", i, lv[i], k, rows[i][k], w)
					}
				}
				if lv[i] < tc.skip {
					quiet++
				} else {
					loud++
				}
			}
			if quiet == 0 || loud == 0 {
				t.Fatalf("test audio has %d quiet and %d loud frames; want both", quiet, loud)
			}
			for i := range stats {
				if stats[i] != want[i] {
					t.Fatalf("spectral statistic %d: %v, want %v", i, stats[i], want[i])
				}
			}
		})
	}
}
