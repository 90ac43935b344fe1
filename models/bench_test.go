package models

import (
	"fmt"
	"testing"
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
			for i := 0; i < b.N; i++ {
				g.Accumulate(s, frames[i%len(frames)], sc)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
