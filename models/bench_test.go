package models

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/voxguard/voxguard/internal/cputime"
)

// BenchmarkAccumulate measures per-frame Baum-Welch accumulation on one core
// (C=512 or 1024 components, D=60, top-C=10), reported as frames/s.
func BenchmarkAccumulate(b *testing.B) {
	for _, tc := range []struct{ C, sel int }{{512, 0}, {512, 20}, {1024, 0}, {1024, 20}} {
		b.Run(fmt.Sprintf("C=%d/selectDims=%d", tc.C, tc.sel), func(b *testing.B) {
			r := newRand(10)
			g := randGMM(r, tc.C, 60, 1)
			frames := sampleGMM(r, g, nil, 1000)
			s := NewStats(tc.C, 60)
			sc := g.NewScratch(10, tc.sel)
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				g.Accumulate(s, frames[i%len(frames)], sc)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			if cpu := cputime.Process() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu.Seconds(), "frames/cpu-s")
			}
		})
	}
}

// BenchmarkIVectorExtract measures one i-vector extraction from the
// statistics of a 4 s utterance (400 frames, top-10) with a D=60 UBM.
func BenchmarkIVectorExtract(b *testing.B) {
	for _, tc := range []struct {
		C, R int
		skip float64
	}{{256, 200, 0}, {512, 100, 0}, {512, 200, 0}, {512, 200, 0.01}, {512, 400, 0}, {1024, 200, 0}} {
		C, R := tc.C, tc.R
		b.Run(fmt.Sprintf("C=%d/R=%d/skipBelow=%g", C, R, tc.skip), func(b *testing.B) {
			r := newRand(11)
			g := randGMM(r, C, 60, 1)
			e, err := InitIVectorExtractor(g, R, 1)
			if err != nil {
				b.Fatal(err)
			}
			e.SkipBelow = tc.skip
			s := statsOf(g, sampleGMM(r, g, nil, 400), 10)
			active := 0
			for _, n := range s.N {
				if n > 0 && n >= tc.skip {
					active++
				}
			}
			ws := e.NewScratch()
			runtime.GC()
			out := make([]float64, R)
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				if err := e.Extract(s, out, ws); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/ivector")
			b.ReportMetric(float64(active), "active-components")
			if cpu := cputime.Process() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/ivector")
			}
		})
	}
}

// BenchmarkUBMEMIteration times one EM iteration (parallel E-step + M-step)
// on 500k frames × 60 dims with 512 components, all cores.
func BenchmarkUBMEMIteration(b *testing.B) {
	r := newRand(12)
	g := randGMM(r, 512, 60, 1)
	frames := sampleGMM(r, g, nil, 500000)
	floor := make([]float64, 60)
	for d := range floor {
		floor[d] = 1e-3
	}
	cfg := UBMConfig{Components: 512}
	cfg.defaults()
	runtime.GC()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		if _, err := emIteration(g, frames, floor, &cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/iteration")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/iteration")
	}
}

// BenchmarkIVectorTrainIteration times one EM iteration of the i-vector
// extractor on 200 utterances (400 frames each) with C=512, D=60, R=200.
func BenchmarkIVectorTrainIteration(b *testing.B) {
	r := newRand(13)
	g := randGMM(r, 512, 60, 1)
	var stats []*Stats
	for i := 0; i < 200; i++ {
		stats = append(stats, statsOf(g, sampleGMM(r, g, nil, 400), 10))
	}
	runtime.GC()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		if _, err := TrainIVectorExtractor(g, stats, IVectorTrainConfig{R: 200, Iters: 1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/iteration")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/iteration")
	}
}

// BenchmarkIVectorExtractBatch measures batched extraction (IVBatchSize
// utterances per call, one core), reported per i-vector.
func BenchmarkIVectorExtractBatch(b *testing.B) {
	for _, tc := range []struct{ C, R int }{{256, 200}, {512, 200}, {512, 400}} {
		b.Run(fmt.Sprintf("C=%d/R=%d", tc.C, tc.R), func(b *testing.B) {
			r := newRand(11)
			g := randGMM(r, tc.C, 60, 1)
			e, err := InitIVectorExtractor(g, tc.R, 1)
			if err != nil {
				b.Fatal(err)
			}
			stats := make([]*Stats, IVBatchSize)
			out := make([][]float64, IVBatchSize)
			for i := range stats {
				stats[i] = statsOf(g, sampleGMM(r, g, nil, 400), 10)
				out[i] = make([]float64, tc.R)
			}
			ws := e.NewBatchScratch()
			runtime.GC()
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				if err := e.ExtractBatch(stats, out, ws); err != nil {
					b.Fatal(err)
				}
			}
			per := float64(b.N * IVBatchSize)
			b.ReportMetric(float64(b.Elapsed().Microseconds())/per, "µs/ivector")
			if cpu := cputime.Process() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/per, "cpu-µs/ivector")
			}
		})
	}
}

// BenchmarkAccumulateHierarchical measures two-level selection on a UBM with
// family structure (C = 512 or 1024 in 64 groups, 4 groups expanded, top-10).
func BenchmarkAccumulateHierarchical(b *testing.B) {
	for _, tc := range []struct{ fam, per int }{{64, 8}, {64, 16}} {
		b.Run(fmt.Sprintf("C=%d/groups=%d/expand=4", tc.fam*tc.per, tc.fam), func(b *testing.B) {
			g := clusteredGMM(14, tc.fam, tc.per, 60)
			if err := g.BuildHierarchy(tc.fam); err != nil {
				b.Fatal(err)
			}
			frames := sampleGMM(newRand(15), g, nil, 1000)
			s := NewStats(g.C, 60)
			sc := g.NewScratch(10, 0)
			sc.Groups = 4
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				g.Accumulate(s, frames[i%len(frames)], sc)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			if cpu := cputime.Process() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu.Seconds(), "frames/cpu-s")
			}
		})
	}
}
