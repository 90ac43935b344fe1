package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// phaseVQ is the half-rate telephone configuration with the harmonics' phase structure.
func phaseVQ() VoiceQualityConfig {
	c := halfRateVQ()
	c.HarmonicPhase = true
	return c
}

// complexTone appends seconds of a harmonic complex of fundamental f0 (Hz, at 8 kHz) with
// harmonics 1..n of amplitude 1/√h and phases ph[h] to x.
func complexTone(x []float32, f0, seconds float64, n int, ph []float64) []float32 {
	start := len(x)
	for i := range int(seconds * 8000) {
		t := float64(start+i) / 8000
		var v float64
		for h := 1; h <= n; h++ {
			v += math.Cos(2*math.Pi*f0*float64(h)*t+ph[h]) / math.Sqrt(float64(h))
		}
		x = append(x, float32(0.05*v))
	}
	return x
}

func randomPhases(rng *rand.Rand, n int) []float64 {
	ph := make([]float64, n+1)
	for h := range ph {
		ph[h] = 2 * math.Pi * rng.Float64()
	}
	return ph
}

func phaseStats(t *testing.T, cfg VoiceQualityConfig, x []float32) []float64 {
	t.Helper()
	st, err := NewVoiceQualityStats(cfg, -60)
	if err != nil {
		t.Fatal(err)
	}
	st.Push(x)
	out := make([]float64, cfg.Dim())
	if st.Stats(out) == 0 {
		t.Fatal("no frame counted")
	}
	return out
}

// secondDiff is the second difference of the phases at harmonic k (wrapped to (−π, π]).
func secondDiff(ph []float64, k int) float64 {
	return math.Remainder(ph[k+1]-2*ph[k]+ph[k-1], 2*math.Pi)
}

func TestHarmonicPhaseKnown(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	a, b := randomPhases(rng, 30), randomPhases(rng, 30)
	steady := complexTone(nil, 123, 2, 30, a)
	halves := complexTone(complexTone(nil, 123, 1.5, 30, a), 123, 1.5, 30, b)
	// Phases wandering from one 20 ms frame to the next: a new set every 20 ms.
	var wander []float32
	for range 100 {
		wander = complexTone(wander, 123, 0.02, 30, randomPhases(rng, 30))
	}
	for _, tc := range []struct {
		name string
		x    []float32
		r, s func(k int) float64 // expected resultant lengths for second difference k (3..9)
		tol  float64
	}{
		{"steady phases", steady, func(int) float64 { return 1 }, func(int) float64 { return 1 }, 0.02},
		{"two halves", halves,
			func(k int) float64 { return math.Abs(math.Cos((secondDiff(a, k) - secondDiff(b, k)) / 2)) },
			func(int) float64 { return 1 }, 0.08},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := phaseStats(t, phaseVQ(), tc.x)
			for j := range phasePairs {
				k := j + 3
				if r := got[VoiceQualityDim+j]; math.Abs(r-tc.r(k)) > tc.tol {
					t.Errorf("resultant length at k=%d: %.3f, want %.3f", k, r, tc.r(k))
				}
				if s := got[VoiceQualityDim+phasePairs+j]; math.Abs(s-tc.s(k)) > tc.tol {
					t.Errorf("frame-to-frame steadiness at k=%d: %.3f, want %.3f", k, s, tc.s(k))
				}
			}
		})
	}
	t.Run("wandering phases", func(t *testing.T) {
		got := phaseStats(t, phaseVQ(), wander)
		for j := range 2 * phasePairs {
			// About 70 frames of independent phases: a resultant length of ~1/√70 ≈ 0.12.
			if v := got[VoiceQualityDim+j]; v > 0.4 {
				t.Errorf("statistic %d: %.3f for scattered phases, want well under 1", VoiceQualityDim+j, v)
			}
		}
	})
}

// A delay, a gain and the voice-source statistics' other settings leave the phase statistics
// as they are; without HarmonicPhase the first VoiceQualityDim statistics are unchanged.
func TestHarmonicPhaseInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	x := complexTone(nil, 137, 2, 25, randomPhases(rng, 25))
	for i := range x { // a slow vibrato-free amplitude change, to make the frames differ
		x[i] *= float32(1 + 0.3*math.Sin(2*math.Pi*float64(i)/8000))
	}
	base := phaseStats(t, phaseVQ(), x)
	delayed := make([]float32, 37, 37+len(x))
	for _, v := range x {
		delayed = append(delayed, 0.5*v)
	}
	moved := phaseStats(t, phaseVQ(), delayed)
	for j := VoiceQualityDim; j < len(base); j++ {
		if math.Abs(base[j]-moved[j]) > 0.02 {
			t.Errorf("statistic %d: %.4f, delayed and halved %.4f", j, base[j], moved[j])
		}
	}
	plain := phaseStats(t, halfRateVQ(), x)
	if len(plain) != VoiceQualityDim || len(base) != VoiceQualityDim+HarmonicPhaseDim {
		t.Fatalf("lengths %d and %d", len(plain), len(base))
	}
	for j := range plain {
		if plain[j] != base[j] {
			t.Errorf("statistic %d: %v without the phase statistics, %v with", j, plain[j], base[j])
		}
	}
}

// A voice whose tenth harmonic is above 0.45 times the rate gives no phase statistics.
func TestHarmonicPhaseHighPitch(t *testing.T) {
	x := complexTone(nil, 380, 1, 9, make([]float64, 10))
	got := phaseStats(t, phaseVQ(), x)
	if got[0] == 0 {
		t.Fatal("the tone is not voiced")
	}
	for j := VoiceQualityDim; j < len(got); j++ {
		if got[j] != 0 {
			t.Errorf("statistic %d: %v, want 0", j, got[j])
		}
	}
}

func TestHarmonicPhaseChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	x := complexTone(nil, 111, 1.5, 30, randomPhases(rng, 30))
	want := phaseStats(t, phaseVQ(), x)
	st, err := NewVoiceQualityStats(phaseVQ(), -60)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(x); i += 77 {
		st.Push(x[i:min(i+77, len(x))])
	}
	got := make([]float64, phaseVQ().Dim())
	st.Stats(got)
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("statistic %d: %v in 77-sample chunks, %v in one", j, got[j], want[j])
		}
	}
}
