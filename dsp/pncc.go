package dsp

import (
	"fmt"
	"math"

	"github.com/voxguard/voxguard/internal/vec"
)

// PNCC configures power-normalised processing of the mel filterbank energies after Kim and
// Stern's power-normalised cepstral coefficients (PNCC, IEEE/ACM TASLP 24(7), 2016), in place of
// the logarithm, for robustness to additive noise. Both parts are causal, so streaming and batch
// computation agree:
//
//   - Suppress: asymmetric noise suppression with temporal masking. Per filter, the medium-time
//     power Q (the mean of the last 2·pnccM+1 frames' energies; the paper centres that window,
//     here it ends at the frame) loses its lower envelope (an asymmetric low-pass filter that
//     rises slowly, λ 0.999, and falls fast, λ 0.5: the noise floor), is half-wave rectified,
//     floored by the same filter run on the rectified power, and masked after onsets (a peak
//     decaying by 0.85 per frame; power under it drops to 0.2 of it). Frames under twice the
//     floor are taken as non-speech and keep only the floor. The ratio of the processed to the
//     unprocessed medium-time power, averaged over ±pnccN neighbouring filters, weighs the
//     frame's own energies.
//   - Exponent > 0: each frame's energies are divided by their mean over the filters (so that,
//     as with the logarithm, the cepstra other than C0 do not depend on the level) and raised to
//     the power Exponent (the paper's 1/15) instead of taking their logarithm. The paper divides
//     by a slowly tracked mean power instead, which leaves short recordings at the mercy of its
//     starting value.
//
// The zero value disables both. Exponent must be set whenever Suppress is.
type PNCC struct {
	Exponent float64 `json:"exponent"`
	Suppress bool    `json:"suppress"`
}

// PNCC's fixed constants (Kim and Stern 2016, Table I; the reference implementation's values).
const (
	pnccM       = 2     // medium-time window: 2M+1 frames
	pnccN       = 4     // weight smoothing: ±N filters
	pnccLambdaA = 0.999 // asymmetric filter, rising
	pnccLambdaB = 0.5   // asymmetric filter, falling
	pnccLambdaT = 0.85  // temporal masking: peak decay per frame
	pnccMuT     = 0.2   // temporal masking: suppression under the peak
	pnccC       = 2.0   // excitation: medium-time power over c times the lower envelope
)

// Enabled reports whether p changes anything.
func (p PNCC) Enabled() bool { return p != PNCC{} }

// Validate checks an enabled configuration.
func (p PNCC) Validate() error {
	if !p.Enabled() {
		return nil
	}
	if !(p.Exponent > 0 && p.Exponent <= 1) {
		return fmt.Errorf("mfcc: PNCC exponent %g outside (0, 1]", p.Exponent)
	}
	return nil
}

// TelephonePNCC is the PNCC processing `voxguard train --pncc` enables: suppression on, exponent
// 1/15.
func TelephonePNCC() PNCC { return PNCC{Exponent: 1.0 / 15, Suppress: true} }

// pnccState is the running state of PNCC for one stream of nb filters.
type pnccState struct {
	cfg   PNCC
	ring  []float64 // the last 2M+1 frames' energies, nb each
	head  int       // ring slot the next frame goes to
	n     int       // frames in ring (≤ 2M+1)
	seen  bool      // the envelopes have been initialised
	bias  []float64 // lower envelope of Q
	floor []float64 // lower envelope of the rectified power
	peak  []float64 // temporal-masking peak
	q, w  []float64 // scratch: medium-time power, weights
}

func newPNCCState(cfg PNCC, nb int) *pnccState {
	return &pnccState{cfg: cfg, ring: make([]float64, (2*pnccM+1)*nb),
		bias: make([]float64, nb), floor: make([]float64, nb), peak: make([]float64, nb),
		q: make([]float64, nb), w: make([]float64, nb)}
}

func (s *pnccState) reset() { s.head, s.n, s.seen = 0, 0, false }

// copyFrom makes s a deep copy of src (same configuration and size).
func (s *pnccState) copyFrom(src *pnccState) {
	s.cfg, s.head, s.n, s.seen = src.cfg, src.head, src.n, src.seen
	copy(s.ring, src.ring)
	copy(s.bias, src.bias)
	copy(s.floor, src.floor)
	copy(s.peak, src.peak)
}

// apply turns one frame's filterbank energies e (nb, non-negative) into the values the DCT takes
// in place of their logarithms.
func (s *pnccState) apply(e []float64) {
	nb := len(e)
	if s.cfg.Suppress {
		copy(s.ring[s.head*nb:(s.head+1)*nb], e)
		s.head = (s.head + 1) % (2*pnccM + 1)
		s.n = min(s.n+1, 2*pnccM+1)
		q := s.q[:nb]
		clear(q)
		for f := range s.n {
			for i, v := range s.ring[f*nb : (f+1)*nb] {
				q[i] += v
			}
		}
		for i := range q {
			q[i] /= float64(s.n)
		}
		if !s.seen {
			s.seen = true
			for i, v := range q {
				s.bias[i] = 0.9 * v
				r := max(v-s.bias[i], 0)
				s.floor[i], s.peak[i] = 0.9*r, r
			}
		}
		w := s.w[:nb]
		for i, v := range q {
			s.bias[i] = asymmetric(s.bias[i], v)
			r := max(v-s.bias[i], 0)
			s.floor[i] = asymmetric(s.floor[i], r)
			out := r
			s.peak[i] *= pnccLambdaT
			if v < pnccC*s.bias[i] {
				out = s.floor[i]
			} else if r <= s.peak[i] {
				out = pnccMuT * s.peak[i]
			}
			s.peak[i] = max(s.peak[i], r)
			out = max(out, s.floor[i])
			w[i] = out / max(v, math.SmallestNonzeroFloat64)
		}
		// Weights averaged over neighbouring filters scale the frame's own energies (into q).
		for i := range e {
			lo, hi := max(i-pnccN, 0), min(i+pnccN, nb-1)
			t := 0.0
			for _, x := range w[lo : hi+1] {
				t += x
			}
			q[i] = e[i] * t / float64(hi-lo+1)
		}
		copy(e, q)
	}
	mean := 0.0
	for _, v := range e {
		mean += v
	}
	mean /= float64(nb)
	if !(mean > 0) {
		// A silent frame (digital zero): every value equal, as the logarithm's floor makes them.
		for i := range e {
			e[i] = 1
		}
		return
	}
	// (e/mean)^a as exp(a·ln(e/mean)), four filters at a time (vec.PowRatio): within 1e-12
	// relative of math.Pow at a tenth of its cost, which the power law otherwise doubles the
	// front end with.
	vec.PowRatio(e, e, mean, s.cfg.Exponent)
}

// asymmetric is one step of PNCC's asymmetric low-pass filter of x with state y: slow to rise,
// fast to fall.
func asymmetric(y, x float64) float64 {
	if x > y {
		return pnccLambdaA*y + (1-pnccLambdaA)*x
	}
	return pnccLambdaB*y + (1-pnccLambdaB)*x
}
