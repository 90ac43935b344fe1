package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func maxAbsDiff(a, b [][]float32) float64 {
	var worst float64
	for i := range a {
		for k := range a[i] {
			worst = max(worst, math.Abs(float64(a[i][k])-float64(b[i][k])))
		}
	}
	return worst
}

func column0(m [][]float32) []float32 {
	out := make([]float32, len(m))
	for i, r := range m {
		out[i] = r[0]
	}
	return out
}

// frontendConfigs are the pipelines the property tests run: every stage on and off.
func frontendConfigs() map[string]FrontendConfig {
	kaldiVAD, ctxVAD := KaldiVAD(), KaldiVAD()
	ctxVAD.FramesContext, ctxVAD.MeanWindow = 2, 50
	full := TelephoneFrontend()
	short := TelephoneFrontend()
	short.NormWindow, short.VAD.MeanWindow = 40, 30
	denoised := TelephoneFrontend()
	denoised.MFCC.Noise = TelephoneNoiseSuppression()
	denoised.MFCC.Noise.WindowFrames, denoised.MFCC.Noise.SubWindows = 60, 4 // several sub-windows within the fixture
	pncc := TelephoneFrontend()
	pncc.MFCC.PNCC = TelephonePNCC()
	ahead := TelephoneFrontend()
	ahead.NormWindow, ahead.VAD.MeanWindow = 80, 60 // shorter than the fixtures, so the placement matters
	ahead.NormAhead, ahead.VAD.MeanAhead = 7, 3
	aheadWarp := FrontendConfig{MFCC: TelephoneMFCC(), DeltaOrder: 1, Norm: NormWarp, NormWindow: 41, NormAhead: 1}
	// A window longer than the fixtures, so that every frame's mean takes the prior in.
	prior := TelephoneFrontend()
	prior.NormWindow, prior.NormPriorFrames, prior.NormPrior = 400, 60, testPrior(prior.Dim())
	priorAhead := prior
	priorVAD := *prior.VAD
	priorAhead.VAD = &priorVAD
	priorAhead.NormAhead, priorAhead.VAD.MeanAhead = 30, 30
	return map[string]FrontendConfig{
		"mfcc only":              {MFCC: TelephoneMFCC(), Norm: NormNone},
		"deltas":                 {MFCC: TelephoneMFCC(), DeltaOrder: 2, Norm: NormNone},
		"kaldi vad":              {MFCC: TelephoneMFCC(), DeltaOrder: 1, VAD: &kaldiVAD, Norm: NormNone},
		"context vad + cmn":      {MFCC: TelephoneMFCC(), DeltaOrder: 2, VAD: &ctxVAD, Norm: NormCMN, NormWindow: 100},
		"warp":                   {MFCC: TelephoneMFCC(), DeltaOrder: 2, Norm: NormWarp, NormWindow: 51},
		"telephone default":      full,
		"windows reaching ahead": ahead,
		"warp reaching ahead":    aheadWarp,
		"short windows":          short,
		"noise suppression":      denoised,
		"pncc":                   pncc,
		"wideband with deltas":   {MFCC: WidebandMFCC(), DeltaOrder: 2, Norm: NormCMN, NormWindow: 300},
		"cmn with a prior":       prior,
		"prior reaching ahead":   priorAhead,
	}
}

// testPrior is a normalisation prior for tests: values spread over the range of cepstra.
func testPrior(dim int) []float64 {
	p := make([]float64, dim)
	for k := range p {
		p[k] = float64(k%20)*0.7 - 6
	}
	return p
}

// priorCMNRef normalises a recording shorter than its window with the prior, from the
// definition: coefficient 0 minus the recording's mean, every other minus the mean of its
// frames and τ(1 − n/w) frames equal to the prior.
func priorCMNRef(feats [][]float32, cfg FrontendConfig) [][]float32 {
	n := len(feats)
	tau := cfg.NormPriorFrames * (1 - float64(n)/float64(cfg.NormWindow))
	out := make([][]float32, n)
	for t := range feats {
		out[t] = make([]float32, len(feats[t]))
		for k, x := range feats[t] {
			var sum float64
			for _, f := range feats {
				sum += float64(f[k])
			}
			mean := sum / float64(n)
			if k > 0 {
				mean = (sum + tau*cfg.NormPrior[k]) / (float64(n) + tau)
			}
			out[t][k] = float32(float64(x) - mean)
		}
	}
	return out
}

// batchReference composes the batch functions the way Kaldi's tools are chained.
func batchReference(t *testing.T, samples []float32, cfg FrontendConfig) ([][]float32, []bool) {
	t.Helper()
	mfcc, err := ComputeMFCC(samples, cfg.MFCC)
	if err != nil {
		t.Fatal(err)
	}
	voiced := make([]bool, len(mfcc))
	for i := range voiced {
		voiced[i] = true
	}
	if cfg.VAD != nil {
		voiced = ComputeVAD(column0(mfcc), *cfg.VAD)
	}
	feats := AddDeltas(mfcc, cfg.DeltaOrder)
	switch {
	case cfg.NormPriorFrames > 0 && len(feats) < cfg.NormWindow:
		feats = priorCMNRef(feats, cfg)
	case cfg.NormAhead > 0 && cfg.Norm != NormNone:
		feats = normAheadRef(feats, cfg.NormWindow, cfg.NormAhead, cfg.Norm)
	case cfg.Norm == NormCMN:
		feats = SlidingCMN(feats, cfg.NormWindow)
	case cfg.Norm == NormWarp:
		feats = FeatureWarp(feats, cfg.NormWindow)
	}
	return feats, voiced
}

// aheadWindowRef is the window of w frames reaching ahead frames past t in a recording of n,
// written out from the definition: [t+ahead+1−w, t+ahead+1), moved right at the start and left
// at the end so that it keeps w frames, or the whole recording when it is shorter.
func aheadWindowRef(t, w, ahead, n int) (int, int) {
	s := t + ahead + 1 - w
	if s < 0 {
		s = 0
	}
	if s+w > n {
		s = n - w
	}
	if s < 0 {
		return 0, n
	}
	return s, s + w
}

// normAheadRef normalises each frame over its window reaching ahead (the reference for
// NormAhead): the window's mean subtracted (cmn) or the rank mapped to a normal (warp).
func normAheadRef(feats [][]float32, w, ahead int, norm Normalization) [][]float32 {
	out := make([][]float32, len(feats))
	for t := range feats {
		s, e := aheadWindowRef(t, w, ahead, len(feats))
		row := make([]float32, len(feats[t]))
		for k, x := range feats[t] {
			if norm == NormWarp {
				row[k] = float32(warpValue(x, feats[s:e], k))
				continue
			}
			var sum float64
			for _, f := range feats[s:e] {
				sum += float64(f[k])
			}
			row[k] = float32(float64(x) - sum/float64(e-s))
		}
		out[t] = row
	}
	return out
}

// TestFrontendMatchesBatchTools checks the streaming pipeline against the composition of the
// independent batch implementations of each Kaldi tool.
func TestFrontendMatchesBatchTools(t *testing.T) {
	for name, cfg := range frontendConfigs() {
		t.Run(name, func(t *testing.T) {
			khz := cfg.MFCC.SampleRate / 1000
			for _, utt := range fixtureUtterances {
				samples := readS16(t, fmt.Sprintf("%s_%d.s16", utt, khz))
				got, gotV, err := Process(samples, cfg)
				if err != nil {
					t.Fatal(err)
				}
				want, wantV := batchReference(t, samples, cfg)
				if len(got) != len(want) {
					t.Fatalf("%s: %d frames, want %d", utt, len(got), len(want))
				}
				// Running sums differ from fresh sums only by rounding.
				tol := 1e-4
				if cfg.Norm == NormWarp {
					tol = 1e-6
				}
				if d := maxAbsDiff(got, want); d > tol {
					t.Errorf("%s: max difference %g", utt, d)
				}
				for i := range gotV {
					if gotV[i] != wantV[i] {
						t.Errorf("%s: frame %d voiced %v, want %v", utt, i, gotV[i], wantV[i])
						break
					}
				}
			}
		})
	}
}

// TestFrontendChunkingInvariance is the property test: random chunkings, from single samples
// to the whole recording, give bit-identical frames and flags.
func TestFrontendChunkingInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for name, cfg := range frontendConfigs() {
		t.Run(name, func(t *testing.T) {
			samples := readS16(t, fmt.Sprintf("libri_%d.s16", cfg.MFCC.SampleRate/1000))
			want, wantV, err := Process(samples, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for trial := range 6 {
				f, _ := NewFrontend(cfg)
				var got [][]float32
				var gotV []bool
				pull := func() {
					for {
						dst := make([]float32, f.Dim())
						v, ok := f.Next(dst)
						if !ok {
							return
						}
						got, gotV = append(got, dst), append(gotV, v)
					}
				}
				maxChunk := []int{1, 7, 80, 1000, 20000, len(samples)}[trial]
				for pos := 0; pos < len(samples); {
					n := min(1+rng.IntN(maxChunk), len(samples)-pos)
					f.Push(samples[pos : pos+n])
					pos += n
					if rng.IntN(3) > 0 {
						pull()
					}
				}
				f.Flush()
				pull()
				if len(got) != len(want) {
					t.Fatalf("chunks up to %d: %d frames, want %d", maxChunk, len(got), len(want))
				}
				for i := range want {
					if gotV[i] != wantV[i] {
						t.Fatalf("chunks up to %d: frame %d voiced differs", maxChunk, i)
					}
					for k := range want[i] {
						if math.Float32bits(got[i][k]) != math.Float32bits(want[i][k]) {
							t.Fatalf("chunks up to %d: frame %d coef %d = %g, want %g", maxChunk, i, k, got[i][k], want[i][k])
						}
					}
				}
			}
		})
	}
}

// TestFrontendSnapshot checks that flushing a copy mid-stream gives exactly the batch result on
// the audio so far, and leaves the original untouched.
func TestFrontendSnapshot(t *testing.T) {
	denoised := TelephoneFrontend()
	denoised.MFCC.Noise = TelephoneNoiseSuppression()
	denoised.MFCC.Noise.WindowFrames, denoised.MFCC.Noise.SubWindows = 60, 4
	for name, cfg := range map[string]FrontendConfig{"telephone": TelephoneFrontend(), "noise suppression": denoised} {
		t.Run(name, func(t *testing.T) { testFrontendSnapshot(t, cfg) })
	}
}

// testFrontendSnapshot: snapshots taken mid-stream (twice into the same spare, so that its
// buffers and running state are reused) and flushed give exactly the batch result on the audio
// so far, and leave the live front end unchanged.
func testFrontendSnapshot(t *testing.T, cfg FrontendConfig) {
	samples := readS16(t, "libri_8.s16")
	full, _, _ := Process(samples, cfg)
	f, _ := NewFrontend(cfg)
	dst := make([]float32, f.Dim())
	var live [][]float32
	var snap Frontend
	pos := 0
	// Before each snapshot the live front end moves on alone, so a snapshot that started from a
	// fresh running state, or kept its previous one, instead of copying the live one would differ.
	for _, cut := range []int{4001, 9001, 13001, 17001} {
		want, _, _ := Process(samples[:cut], cfg)
		f.Push(samples[pos:cut])
		pos = cut
		if cut == 4001 || cut == 13001 {
			for {
				if _, ok := f.Next(dst); !ok {
					break
				}
				live = append(live, append([]float32(nil), dst...))
			}
			continue
		}
		// The snapshot is taken before the live front end has framed the new audio, so it
		// computes those frames itself, from the running state (noise estimate) it copied.
		snap.CopyFrom(f)
		snap.Flush()
		got := append([][]float32(nil), live...)
		for {
			if _, ok := snap.Next(dst); !ok {
				break
			}
			got = append(got, append([]float32(nil), dst...))
		}
		if len(got) != len(want) || maxAbsDiff(got, want) != 0 {
			t.Fatalf("snapshot at %d: %d frames (diff %g), want %d identical", cut, len(got), maxAbsDiff(got, want), len(want))
		}
		for {
			if _, ok := f.Next(dst); !ok {
				break
			}
			live = append(live, append([]float32(nil), dst...))
		}
	}
	f.Push(samples[pos:])
	f.Flush()
	for {
		if _, ok := f.Next(dst); !ok {
			break
		}
		live = append(live, append([]float32(nil), dst...))
	}
	if len(live) != len(full) || maxAbsDiff(live, full) != 0 {
		t.Fatalf("original after snapshot: %d frames, want %d identical", len(live), len(full))
	}
}

// TestCMNMatchesTorchaudio compares sliding CMN with torchaudio.functional.sliding_window_cmn.
func TestCMNMatchesTorchaudio(t *testing.T) {
	for _, utt := range fixtureUtterances {
		for _, tc := range []struct {
			config string
			khz    int
			mfcc   MFCCConfig
		}{{"telephone", 8, TelephoneMFCC()}, {"wideband", 16, WidebandMFCC()}} {
			base := fmt.Sprintf("%s_%d.%s", utt, tc.khz, tc.config)
			want := readMatrix(t, base+".cmn")
			if d := maxAbsDiff(SlidingCMN(readMatrix(t, base+".mfcc"), 300), want); d > 1e-4 {
				t.Errorf("%s: batch CMN of the reference MFCCs differs by %g", base, d)
			}
			got, _, err := Process(readS16(t, fmt.Sprintf("%s_%d.s16", utt, tc.khz)), FrontendConfig{MFCC: tc.mfcc, Norm: NormCMN, NormWindow: 300})
			if err != nil {
				t.Fatal(err)
			}
			if share, worst, where := agreement(t, got, want, 1e-3); share < 0.999 {
				t.Errorf("%s: %.3f%% within 1e-3, worst %g at %s", base, 100*share, worst, where)
			}
		}
	}
}

func TestDeltaScalesHandWorked(t *testing.T) {
	s := deltaScales(2, 2)
	want := [][]float64{{1}, {-0.2, -0.1, 0, 0.1, 0.2}, {0.04, 0.04, 0.01, -0.04, -0.1, -0.04, 0.01, 0.04, 0.04}}
	for i := range want {
		for j := range want[i] {
			if math.Abs(s[i][j]-want[i][j]) > 1e-15 {
				t.Fatalf("order %d tap %d = %g, want %g", i, j, s[i][j], want[i][j])
			}
		}
	}
	// A ramp x_t = 3t has slope 3 and no curvature away from the edges; at the first frame the
	// clamped window sees [0 0 0 3 6]: Δ = (0·-2 + 0·-1 + 3·1 + 6·2)/10 = 1.5.
	ramp := make([][]float32, 12)
	for i := range ramp {
		ramp[i] = []float32{float32(3 * i)}
	}
	d := AddDeltas(ramp, 2)
	for i := 4; i < 8; i++ {
		if math.Abs(float64(d[i][1])-3) > 1e-6 || math.Abs(float64(d[i][2])) > 1e-6 {
			t.Fatalf("frame %d: Δ=%g ΔΔ=%g, want 3 and 0", i, d[i][1], d[i][2])
		}
	}
	if math.Abs(float64(d[0][1])-1.5) > 1e-6 {
		t.Fatalf("edge Δ = %g, want 1.5", d[0][1])
	}
}

func TestComputeVADHandWorked(t *testing.T) {
	e := []float32{0, 0, 20, 20, 20, 0, 0, 20}
	// mean 10 -> threshold 5 + 0.5·10 = 10.
	tests := []struct {
		name string
		cfg  VADConfig
		want []bool
	}{
		{"kaldi defaults", KaldiVAD(), []bool{false, false, true, true, true, false, false, true}},
		// context 1, proportion 0.6: frame 1 sees {0,0,20}: 1/3 < 0.6; frame 5 sees {20,0,0}; frame 7 sees {0,20}: 1 >= 1.2? no.
		{"context 1", VADConfig{EnergyThreshold: 5, EnergyMeanScale: 0.5, FramesContext: 1, ProportionThreshold: 0.6},
			[]bool{false, false, true, true, true, false, false, false}},
		// no mean term: threshold 5.
		{"absolute", VADConfig{EnergyThreshold: 5, ProportionThreshold: 0.6}, []bool{false, false, true, true, true, false, false, true}},
		// window of 2 frames centred like CMN: frame 2 uses [1,3): mean 10 -> 10; frame 5 uses [4,6): mean 10.
		{"window 2", VADConfig{EnergyThreshold: 5, EnergyMeanScale: 0.5, ProportionThreshold: 0.6, MeanWindow: 2},
			[]bool{false, false, true, true, true, false, false, true}},
	}
	for _, tc := range tests {
		got := ComputeVAD(e, tc.cfg)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: frame %d = %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

func TestWindowBounds(t *testing.T) {
	tests := []struct{ t, w, n, s, e int }{
		{0, 300, 1000, 0, 300}, {149, 300, 1000, 0, 300}, {150, 300, 1000, 0, 300}, {151, 300, 1000, 1, 301},
		{999, 300, 1000, 700, 1000}, {5, 300, 100, 0, 100}, {151, 300, -1, 1, 301}, {0, 5, 3, 0, 3},
	}
	for _, tc := range tests {
		s, e := windowBounds(tc.t, tc.w, tc.n)
		if s != tc.s || e != tc.e {
			t.Errorf("windowBounds(%d,%d,%d) = [%d,%d), want [%d,%d)", tc.t, tc.w, tc.n, s, e, tc.s, tc.e)
		}
		if s2, e2 := windowBoundsAhead(tc.t, tc.w, 0, tc.n); s2 != s || e2 != e {
			t.Errorf("windowBoundsAhead(%d,%d,0,%d) = [%d,%d), want windowBounds' [%d,%d)", tc.t, tc.w, tc.n, s2, e2, s, e)
		}
	}
	// Reaching 30 frames ahead: [t−269, t+31), shifted right at the start, left at the end.
	ahead := []struct{ t, w, a, n, s, e int }{
		{0, 300, 30, 1000, 0, 300}, {269, 300, 30, 1000, 0, 300}, {270, 300, 30, 1000, 1, 301},
		{500, 300, 30, 1000, 231, 531}, {990, 300, 30, 1000, 700, 1000}, {500, 300, 30, -1, 231, 531},
		{5, 300, 30, 100, 0, 100}, {10, 20, 1, 100, 0, 20}, {30, 20, 1, 100, 12, 32}, {2, 5, 4, 6, 1, 6},
	}
	for _, tc := range ahead {
		s, e := windowBoundsAhead(tc.t, tc.w, tc.a, tc.n)
		if s != tc.s || e != tc.e {
			t.Errorf("windowBoundsAhead(%d,%d,%d,%d) = [%d,%d), want [%d,%d)", tc.t, tc.w, tc.a, tc.n, s, e, tc.s, tc.e)
		}
		if tc.n >= 0 {
			if rs, re := aheadWindowRef(tc.t, tc.w, tc.a, tc.n); rs != s || re != e {
				t.Errorf("reference window (%d,%d,%d,%d) = [%d,%d), windowBoundsAhead [%d,%d)", tc.t, tc.w, tc.a, tc.n, rs, re, s, e)
			}
		}
	}
}

func TestFeatureWarpHandWorked(t *testing.T) {
	// Five distinct values in one window: ranks 0..4 -> Φ⁻¹(0.1), Φ⁻¹(0.3), 0, ...
	x := [][]float32{{5}, {1}, {3}, {2}, {4}}
	w := FeatureWarp(x, 5)
	want := []float64{1.2815515655446004, -1.2815515655446004, 0, -0.5244005127080407, 0.5244005127080407}
	for i := range w {
		if math.Abs(float64(w[i][0])-want[i]) > 1e-6 {
			t.Errorf("frame %d warped to %g, want %g", i, w[i][0], want[i])
		}
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []func(*FrontendConfig){
		func(c *FrontendConfig) { c.MFCC.SampleRate = 0 },
		func(c *FrontendConfig) { c.MFCC.NumCeps = 40 },
		func(c *FrontendConfig) { c.MFCC.HighFreq = 5000 },
		func(c *FrontendConfig) { c.MFCC.WindowType = "hamming" },
		func(c *FrontendConfig) { c.DeltaOrder = 3 },
		func(c *FrontendConfig) { c.Norm = "zscore" },
		func(c *FrontendConfig) { c.NormWindow = 1 },
		func(c *FrontendConfig) { c.VAD.ProportionThreshold = 1.5 },
		func(c *FrontendConfig) { c.NormAhead = -1 },
		func(c *FrontendConfig) { c.NormAhead = c.NormWindow },
		func(c *FrontendConfig) { c.VAD.MeanAhead = c.VAD.MeanWindow },
		func(c *FrontendConfig) { c.VAD.MeanWindow, c.VAD.MeanAhead = 0, 5 },
		func(c *FrontendConfig) { c.MFCC.Scale = "bark" },
		func(c *FrontendConfig) { c.NormPriorFrames = 60 },                                                    // no prior
		func(c *FrontendConfig) { c.NormPrior = testPrior(c.Dim()) },                                          // no weight
		func(c *FrontendConfig) { c.NormPrior, c.NormPriorFrames = testPrior(c.Dim()), -1 },                   // negative weight
		func(c *FrontendConfig) { c.NormPrior, c.NormPriorFrames = testPrior(c.Dim()-1), 60 },                 // wrong length
		func(c *FrontendConfig) { c.NormPrior, c.NormPriorFrames = []float64{math.NaN()}, 60 },                // not finite
		func(c *FrontendConfig) { c.NormPrior, c.NormPriorFrames, c.Norm = testPrior(c.Dim()), 60, NormWarp }, // not CMN
	}
	for i, mutate := range bad {
		c := TelephoneFrontend()
		v := *c.VAD
		c.VAD = &v
		mutate(&c)
		if _, err := NewFrontend(c); err == nil {
			t.Errorf("case %d: invalid config accepted", i)
		}
	}
	if _, err := NewFrontend(TelephoneFrontend()); err != nil {
		t.Fatal(err)
	}
	ok := TelephoneFrontend()
	ok.NormAhead, ok.VAD.MeanAhead = 30, 30
	if _, err := NewFrontend(ok); err != nil {
		t.Fatalf("30 frames ahead: %v", err)
	}
}

// TestLinearFilterbankHandWorked checks the linear-frequency filterbank against triangles worked
// out by hand: three filters over 0-4000 Hz centred at 1000, 2000 and 3000 Hz, on 256-point FFT
// bins 31.25 Hz apart, so filter b covers bins 32b+1 .. 32b+63 (edges excluded) and peaks at bin
// 32(b+1) with weight 1.
func TestLinearFilterbankHandWorked(t *testing.T) {
	c := TelephoneMFCC()
	c.Scale, c.NumMelBins, c.NumCeps, c.LowFreq, c.HighFreq = ScaleLinear, 3, 3, 0, 4000
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	bank := melBank(c)
	if len(bank) != 3 {
		t.Fatalf("%d filters, want 3", len(bank))
	}
	for b, f := range bank {
		if f.start != 32*b+1 || len(f.w) != 63 {
			t.Errorf("filter %d: bins %d..%d, want %d..%d", b, f.start, f.start+len(f.w)-1, 32*b+1, 32*b+63)
			continue
		}
		for j, w := range f.w {
			hz := 31.25 * float64(f.start+j)
			centre := 1000 * float64(b+1)
			want := 1 - math.Abs(hz-centre)/1000
			if math.Abs(w-want) > 1e-12 {
				t.Errorf("filter %d at %g Hz: weight %g, want %g", b, hz, w, want)
			}
		}
	}
	// The mel default is untouched: its filters are narrower at the bottom than at the top.
	c.Scale = ""
	mel := melBank(c)
	if !(len(mel[0].w) < len(mel[2].w)) {
		t.Errorf("mel filters %d and %d bins wide: want the lowest narrowest", len(mel[0].w), len(mel[2].w))
	}
}

// TestFrontendSteadyStateAllocations checks that a warm front end allocates nothing per frame.
func TestFrontendSteadyStateAllocations(t *testing.T) {
	samples := readS16(t, "libri_8.s16")
	f, _ := NewFrontend(TelephoneFrontend())
	dst := make([]float32, f.Dim())
	chunk := 160
	pos := 0
	step := func() {
		f.Push(samples[pos : pos+chunk])
		pos = (pos + chunk) % (len(samples) - chunk)
		for {
			if _, ok := f.Next(dst); !ok {
				break
			}
		}
	}
	for range 2000 { // warm up past the first windows
		step()
	}
	if a := testing.AllocsPerRun(500, step); a != 0 {
		t.Fatalf("%g allocations per 20 ms chunk in steady state", a)
	}
}

// TestCopyFromReusesBuffers: a repeated snapshot into the same spare allocates nothing once the
// spare is sized (the engine snapshots at every assessment).
func TestCopyFromReusesBuffers(t *testing.T) {
	samples := readS16(t, "libri_8.s16")
	f, _ := NewFrontend(TelephoneFrontend())
	f.Push(samples)
	dst := make([]float32, f.Dim())
	for {
		if _, ok := f.Next(dst); !ok {
			break
		}
	}
	var spare Frontend
	spare.CopyFrom(f)
	if a := testing.AllocsPerRun(20, func() { spare.CopyFrom(f) }); a != 0 {
		t.Fatalf("%g allocations per repeated CopyFrom", a)
	}
	if spare.mfcc == f.mfcc || spare.mfcc.fft == f.mfcc.fft {
		t.Fatal("the snapshot shares the live front end's scratch space")
	}
}

// BenchmarkFrontend8kNorm is BenchmarkFrontend8k (the telephone front end streamed in 20 ms
// chunks) with each normalisation and the telephone-band filterbank, so the cost of feature
// warping in the live engine can be compared with sliding CMN's.
func BenchmarkFrontend8kNorm(b *testing.B) {
	warp := TelephoneFrontend()
	warp.Norm = NormWarp
	band := TelephoneFrontend()
	band.MFCC.LowFreq, band.MFCC.HighFreq = 300, 3400
	for _, c := range []struct {
		name string
		cfg  FrontendConfig
	}{{"cmn", TelephoneFrontend()}, {"warp", warp}, {"cmn-300-3400Hz", band}} {
		b.Run(c.name, func(b *testing.B) {
			benchFrontend(b, c.cfg)
		})
	}
}

// TestFrontendRingSize: the frame ring sized from the windows (lookahead) never has to grow while
// streaming, whatever the bounded configuration: growing would copy the live frames mid-call.
func TestFrontendRingSize(t *testing.T) {
	for name, cfg := range frontendConfigs() {
		if v := cfg.VAD; v != nil && v.EnergyMeanScale != 0 && v.MeanWindow == 0 {
			continue // compute-vad's whole-recording mean: nothing is final before the end
		}
		t.Run(name, func(t *testing.T) {
			one := readS16(t, fmt.Sprintf("libri_%d.s16", cfg.MFCC.SampleRate/1000))
			var samples []float32
			for len(samples) < 12*cfg.MFCC.SampleRate*4 { // well over three windows of frames
				samples = append(samples, one...)
			}
			f, _ := NewFrontend(cfg)
			slots := len(f.win.data)
			dst := make([]float32, f.Dim())
			step := cfg.MFCC.SampleRate / 50
			for pos := 0; pos < len(samples); pos += step {
				f.Push(samples[pos:min(pos+step, len(samples))])
				for {
					if _, ok := f.Next(dst); !ok {
						break
					}
				}
			}
			f.Flush()
			for {
				if _, ok := f.Next(dst); !ok {
					break
				}
			}
			if len(f.win.data) != slots {
				t.Errorf("ring grew from %d to %d floats", slots, len(f.win.data))
			}
		})
	}
}

// TestSameFrames checks which front-end differences keep two systems' frames in step.
func TestSameFrames(t *testing.T) {
	base := TelephoneFrontend()
	cases := []struct {
		name   string
		change func(*FrontendConfig)
		same   bool
	}{
		{"identical", func(*FrontendConfig) {}, true},
		{"linear filterbank", func(c *FrontendConfig) { c.MFCC.Scale, c.MFCC.NumMelBins = ScaleLinear, 30 }, true},
		{"power law", func(c *FrontendConfig) { c.MFCC.PNCC = PNCC{Exponent: TelephonePNCC().Exponent} }, true},
		{"normalisation", func(c *FrontendConfig) { c.Norm = NormWarp }, true},
		{"normalisation window", func(c *FrontendConfig) { c.NormWindow = 200 }, false},
		{"frame shift", func(c *FrontendConfig) { c.MFCC.FrameShiftMs = 20 }, false},
		{"C0 not energy", func(c *FrontendConfig) { c.MFCC.UseEnergy = false }, false},
		{"VAD threshold", func(c *FrontendConfig) { v := *c.VAD; v.EnergyThreshold++; c.VAD = &v }, false},
		{"no VAD", func(c *FrontendConfig) { c.VAD = nil }, false},
	}
	for _, tc := range cases {
		b := base
		v := *base.VAD
		b.VAD = &v
		tc.change(&b)
		if got := SameFrames(base, b); got != tc.same {
			t.Errorf("%s: SameFrames %v, want %v", tc.name, got, tc.same)
		}
	}
}

// TestNormPriorLeavesFullWindows checks that the normalisation prior changes nothing where the
// window is full (a recording at least NormWindow frames long) and, on a shorter recording,
// nothing in coefficient 0 (the energy), and that FrameSum sums the un-normalised frames.
func TestNormPriorLeavesFullWindows(t *testing.T) {
	samples := readS16(t, "libri_8.s16")
	for _, w := range []int{100, 400} {
		plain := TelephoneFrontend()
		plain.NormWindow = w
		prior := plain
		prior.NormPriorFrames, prior.NormPrior = 60, testPrior(plain.Dim())
		want, _, err := Process(samples, plain)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := Process(samples, prior)
		if err != nil {
			t.Fatal(err)
		}
		short := len(want) < w
		changed := 0
		for i := range want {
			for k := range want[i] {
				same := math.Float32bits(got[i][k]) == math.Float32bits(want[i][k])
				if !same {
					changed++
				}
				if !same && (!short || k == 0) {
					t.Fatalf("window %d (%d frames): frame %d coefficient %d = %g, plain CMN %g", w, len(want), i, k, got[i][k], want[i][k])
				}
			}
		}
		if short && changed == 0 {
			t.Fatalf("window %d over %d frames: the prior changed nothing", w, len(want))
		}
	}
	cfg := TelephoneFrontend()
	sum, n, err := FrameSum(samples, cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw := cfg
	raw.Norm, raw.NormWindow = NormNone, 0
	frames, _, _ := Process(samples, raw)
	if n != len(frames) {
		t.Fatalf("FrameSum counted %d frames, Process gives %d", n, len(frames))
	}
	for k := range sum {
		var want float64
		for _, f := range frames {
			want += float64(f[k])
		}
		if sum[k] != want {
			t.Fatalf("FrameSum coefficient %d = %g, want %g", k, sum[k], want)
		}
	}
}
