package dsp

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNoiseSuppression feeds the tracker periodograms of stationary white noise (exponentially
// distributed bin powers of mean 1) with, after 2 s, a tone 20 dB above the noise in one bin,
// on for 0.3 s and off for 0.3 s like speech (a tone that never stops is stationary noise to the
// estimator, and goes): once the window has filled, the noise bins lose most of their power while
// the tone keeps nearly all of its.
func TestNoiseSuppression(t *testing.T) {
	cfg := TelephoneNoiseSuppression()
	const bins, tone = 129, 40
	tr := newNoiseTracker(cfg, bins)
	rng := rand.New(rand.NewPCG(1, 2))
	pow := make([]float64, bins)
	var noiseIn, noiseOut, toneIn, toneOut float64
	for frame := range 400 {
		for k := range pow {
			pow[k] = rng.ExpFloat64()
		}
		on := frame >= 200 && frame/30%2 == 0
		if on {
			pow[tone] += 100
		}
		in := append([]float64(nil), pow...)
		tr.apply(pow)
		for k, p := range pow {
			if p > in[k] || p < cfg.Floor*in[k]*(1-1e-12) {
				t.Fatalf("frame %d bin %d: %g out of [floor·P, P] for P = %g", frame, k, p, in[k])
			}
		}
		if frame >= 200 {
			for k := range pow {
				if k == tone {
					if on {
						toneIn, toneOut = toneIn+in[k], toneOut+pow[k]
					}
				} else {
					noiseIn, noiseOut = noiseIn+in[k], noiseOut+pow[k]
				}
			}
		}
	}
	nr, tr2 := 10*math.Log10(noiseOut/noiseIn), 10*math.Log10(toneOut/toneIn)
	t.Logf("noise %.1f dB, tone %.2f dB", nr, tr2)
	if nr > -3 {
		t.Errorf("noise attenuated by only %.1f dB", -nr)
	}
	if tr2 < -0.2 {
		t.Errorf("tone attenuated by %.2f dB", -tr2)
	}
}

func TestNoiseSuppressionValidate(t *testing.T) {
	ok := TelephoneNoiseSuppression()
	cases := []struct {
		name string
		edit func(*NoiseSuppression)
		want string
	}{
		{"default", func(*NoiseSuppression) {}, ""},
		{"off", func(n *NoiseSuppression) { *n = NoiseSuppression{} }, ""},
		{"window not a multiple", func(n *NoiseSuppression) { n.WindowFrames = 100; n.SubWindows = 7 }, "multiple"},
		{"no sub-windows", func(n *NoiseSuppression) { n.SubWindows = 0 }, "multiple"},
		{"smoothing 1", func(n *NoiseSuppression) { n.Smoothing = 1 }, "smoothing"},
		{"zero bias", func(n *NoiseSuppression) { n.Bias = 0 }, "bias"},
		{"zero floor", func(n *NoiseSuppression) { n.Floor = 0 }, "floor"},
		{"NaN floor", func(n *NoiseSuppression) { n.Floor = math.NaN() }, "floor"},
	}
	for _, c := range cases {
		n := ok
		c.edit(&n)
		err := n.Validate()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
