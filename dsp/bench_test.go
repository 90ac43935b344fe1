package dsp

import "testing"

// benchAudio is ~10 s of real speech: the libri fixture repeated.
func benchAudio(b *testing.B) []float32 {
	s := readS16(b, "libri_8.s16")
	var out []float32
	for len(out) < 80000 {
		out = append(out, s...)
	}
	return out
}

// reportRealTime reports seconds of audio processed per CPU-second (the "x real time" figure).
func reportRealTime(b *testing.B, samples, rate int) {
	b.ReportMetric(float64(samples)/float64(rate)*float64(b.N)/b.Elapsed().Seconds(), "x_realtime")
}

// streamChunks feeds x to push in 20 ms chunks at 8 kHz (160 samples), calling drain after each,
// then, with flush, flushes and drains once more: audio as a call session streams it.
func streamChunks(x []float32, push func([]float32), drain, flush func()) {
	for pos := 0; pos < len(x); pos += 160 {
		push(x[pos:min(pos+160, len(x))])
		drain()
	}
	if flush != nil {
		flush()
		drain()
	}
}

// drainFrontend returns a function that takes every frame f has ready into dst.
func drainFrontend(f *Frontend, dst []float32) func() {
	return func() {
		for {
			if _, ok := f.Next(dst); !ok {
				return
			}
		}
	}
}

func BenchmarkMFCC8k(b *testing.B) {
	x := benchAudio(b)
	cfg := FrontendConfig{MFCC: TelephoneMFCC(), Norm: NormNone}
	f, _ := NewFrontend(cfg)
	dst := make([]float32, f.Dim())
	b.ReportAllocs()
	for b.Loop() {
		f.Reset()
		f.Push(x)
		f.Flush()
		for {
			if _, ok := f.Next(dst); !ok {
				break
			}
		}
	}
	reportRealTime(b, len(x), 8000)
}

// BenchmarkFrontend8k is the whole 8 kHz feature pipeline after decoding: MFCC, deltas and
// double deltas, VAD and sliding CMN, streamed in 20 ms chunks as a call arrives.
func BenchmarkFrontend8k(b *testing.B) { benchFrontend(b, TelephoneFrontend()) }

// benchFrontend streams benchAudio through a front end of cfg in 20 ms chunks.
func benchFrontend(b *testing.B, cfg FrontendConfig) {
	x := benchAudio(b)
	f, err := NewFrontend(cfg)
	if err != nil {
		b.Fatal(err)
	}
	drain := drainFrontend(f, make([]float32, f.Dim()))
	b.ReportAllocs()
	for b.Loop() {
		f.Reset()
		streamChunks(x, f.Push, drain, f.Flush)
	}
	reportRealTime(b, len(x), 8000)
}

// BenchmarkLFCC8k is the countermeasure's front end as a call streams it in 20 ms chunks: LFCC,
// deltas and double deltas, and the long-term spectral statistics of the frames above -50 dBFS.
// BenchmarkLFCC8k streams the countermeasure's front end (with its spectral statistics) in
// 20 ms chunks: every frame computed, and as the engine runs it, skipping frames below the
// countermeasure's -50 dBFS floor (LFCC.SkipBelow).
func BenchmarkLFCC8k(b *testing.B) {
	x := benchAudio(b)
	for _, skip := range []bool{false, true} {
		name := "all"
		if skip {
			name = "skip-below-50dB"
		}
		b.Run(name, func(b *testing.B) {
			l, err := NewLFCC(TelephoneLFCC())
			if err != nil {
				b.Fatal(err)
			}
			l.EnableSpectralStats(-50)
			if skip {
				l.SkipBelow(-50)
			}
			dst := make([]float32, l.Config().Dim())
			drain := func() {
				for {
					if _, ok := l.Next(dst); !ok {
						return
					}
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				l.Reset()
				streamChunks(x, l.Push, drain, l.Flush)
			}
			reportRealTime(b, len(x), 8000)
		})
	}
}

// BenchmarkFrontend8kPNCC is BenchmarkFrontend8k with PNCC's processing of the mel energies
// (dsp.PNCC): the power law alone, and with the noise suppression.
func BenchmarkFrontend8kPNCC(b *testing.B) {
	for _, p := range []PNCC{{Exponent: TelephonePNCC().Exponent}, TelephonePNCC()} {
		cfg := TelephoneFrontend()
		cfg.MFCC.PNCC = p
		name := "power"
		if p.Suppress {
			name = "full"
		}
		b.Run(name, func(b *testing.B) { benchFrontend(b, cfg) })
	}
}
