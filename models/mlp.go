package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/optimize"
)

// MLPScorer is a one-hidden-layer perceptron on standardised recording-level features (the
// countermeasure's long-term spectral statistics), a non-linear alternative to LinearScorer:
//
//	score(x) = B2 + Σ_j W2_j tanh(B1_j + Σ_i W1_{j,i} (x_i − Mean_i) / Scale_i)
//
// a log-odds of spoof versus bona fide at the balanced training prior. W1 is row-major,
// Hidden × len(Mean).
type MLPScorer struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
	W1    []float64 `json:"w1"`
	B1    []float64 `json:"b1"`
	W2    []float64 `json:"w2"`
	B2    float64   `json:"b2"`
}

// Dim is the length of the feature vectors scored.
func (m *MLPScorer) Dim() int { return len(m.Mean) }

// Hidden is the number of hidden units.
func (m *MLPScorer) Hidden() int { return len(m.B1) }

// Validate checks the shapes and values.
func (m *MLPScorer) Validate() error {
	d, h := len(m.Mean), len(m.B1)
	if d == 0 || h == 0 || len(m.Scale) != d || len(m.W1) != h*d || len(m.W2) != h {
		return errors.New("models: MLP scorer has inconsistent dimensions")
	}
	for i := range d {
		if !(m.Scale[i] > 0) || !isFinite(m.Mean[i]) {
			return fmt.Errorf("models: MLP scorer has a bad standardisation at %d", i)
		}
	}
	for _, v := range [][]float64{m.W1, m.B1, m.W2, {m.B2}} {
		for _, x := range v {
			if !isFinite(x) {
				return errors.New("models: MLP scorer has a non-finite weight")
			}
		}
	}
	return nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Score returns the scorer's log-odds for x (length len(Mean)).
func (m *MLPScorer) Score(x []float64) float64 {
	z := make([]float64, len(m.Mean))
	for i := range z {
		z[i] = (x[i] - m.Mean[i]) / m.Scale[i]
	}
	d := len(z)
	s := m.B2
	for j, w2 := range m.W2 {
		s += w2 * math.Tanh(m.B1[j]+dot(m.W1[j*d:(j+1)*d], z))
	}
	return s
}

// MLPConfig configures TrainMLP.
type MLPConfig struct {
	Hidden  int     // hidden units (default 16)
	L2      float64 // weight decay on W1 and W2 (required, > 0)
	Iters   int     // L-BFGS iterations at most (default 300)
	Seed    uint64  // initial weights
	Workers int     // goroutines (default all cores)
	// Ensemble, if > 1, trains that many perceptrons from seeds Seed, Seed+1, … and returns
	// their average: one scorer with Ensemble·Hidden hidden units whose log-odds is the mean of
	// theirs (the same scores as averaging them, in the same format).
	Ensemble int
}

// TrainMLP fits an MLPScorer separating pos (label 1, spoof) from neg (label 0, bona fide) by
// L-BFGS on the class-balanced mean logistic loss plus (L2/2)·(|W1|² + |W2|²), on features
// standardised over both classes (as TrainLogistic). Deterministic for a given configuration.
func TrainMLP(pos, neg [][]float64, c MLPConfig) (*MLPScorer, error) {
	if c.Ensemble > 1 {
		k := c.Ensemble
		c.Ensemble = 0
		var avg *MLPScorer
		for i := range k {
			ci := c
			ci.Seed = c.Seed + uint64(i)
			m, err := TrainMLP(pos, neg, ci)
			if err != nil {
				return nil, err
			}
			if avg == nil {
				avg = &MLPScorer{Mean: m.Mean, Scale: m.Scale}
			}
			avg.W1 = append(avg.W1, m.W1...)
			avg.B1 = append(avg.B1, m.B1...)
			for _, w := range m.W2 {
				avg.W2 = append(avg.W2, w/float64(k))
			}
			avg.B2 += m.B2 / float64(k)
		}
		return avg, avg.Validate()
	}
	if len(pos) == 0 || len(neg) == 0 {
		return nil, errors.New("models: MLP needs both classes")
	}
	if !(c.L2 > 0) {
		return nil, errors.New("models: MLP needs a positive L2 weight")
	}
	if c.Hidden <= 0 {
		c.Hidden = 16
	}
	if c.Iters <= 0 {
		c.Iters = 300
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	D, H := len(pos[0]), c.Hidden
	mean, scale, err := standardisation(pos, neg)
	if err != nil {
		return nil, err
	}
	m := &MLPScorer{Mean: mean, Scale: scale}
	all := append(append([][]float64{}, pos...), neg...)
	z := make([][]float64, len(all))
	y := make([]float64, len(all))
	wt := make([]float64, len(all))
	for n, x := range all {
		z[n] = make([]float64, D)
		for i, v := range x {
			z[n][i] = (v - m.Mean[i]) / m.Scale[i]
		}
		if n < len(pos) {
			y[n], wt[n] = 1, 0.5/float64(len(pos))
		} else {
			wt[n] = 0.5 / float64(len(neg))
		}
	}
	// Parameters: W1 (H·D), B1 (H), W2 (H), B2.
	P := H*D + 2*H + 1
	x0 := make([]float64, P)
	rng := rand.New(rand.NewPCG(c.Seed, 0x6d6c70))
	for i := range H * D {
		x0[i] = rng.NormFloat64() / math.Sqrt(float64(D))
	}
	for j := range H {
		x0[H*D+H+j] = rng.NormFloat64() / math.Sqrt(float64(H))
	}
	// Items are split into a fixed number of contiguous chunks; per-chunk gradients are summed in
	// order, so the result depends neither on scheduling nor on the number of workers.
	chunks := min(16, len(all))
	grads := make([][]float64, chunks)
	losses := make([]float64, chunks)
	for k := range grads {
		grads[k] = make([]float64, P)
	}
	eval := func(x, grad []float64) float64 {
		W1, B1, W2, B2 := x[:H*D], x[H*D:H*D+H], x[H*D+H:H*D+2*H], x[P-1]
		var wg sync.WaitGroup
		sem := make(chan struct{}, c.Workers)
		for k := range chunks {
			wg.Add(1)
			sem <- struct{}{}
			go func(k int) {
				defer func() { <-sem; wg.Done() }()
				g := grads[k]
				clear(g)
				losses[k] = 0
				a := make([]float64, H)
				lo, hi := k*len(all)/chunks, (k+1)*len(all)/chunks
				for n := lo; n < hi; n++ {
					zn := z[n]
					s := B2
					for j := range H {
						a[j] = math.Tanh(B1[j] + dot(W1[j*D:(j+1)*D], zn))
						s += W2[j] * a[j]
					}
					// softplus(s) − y·s is the logistic loss of log-odds s for label y.
					losses[k] += wt[n] * (softplus(s) - y[n]*s)
					r := wt[n] * (1/(1+math.Exp(-s)) - y[n])
					if grad == nil {
						continue
					}
					g[P-1] += r
					for j := range H {
						g[H*D+H+j] += r * a[j]
						d := r * W2[j] * (1 - a[j]*a[j])
						g[H*D+j] += d
						row := g[j*D : (j+1)*D]
						for i, v := range zn {
							row[i] += d * v
						}
					}
				}
			}(k)
		}
		wg.Wait()
		var loss float64
		for k := range chunks {
			loss += losses[k]
		}
		var reg float64
		for _, w := range W1 {
			reg += w * w
		}
		for _, w := range W2 {
			reg += w * w
		}
		loss += c.L2 / 2 * reg
		if grad != nil {
			clear(grad)
			for k := range chunks {
				for i, v := range grads[k] {
					grad[i] += v
				}
			}
			for i := range H * D {
				grad[i] += c.L2 * W1[i]
			}
			for j := range H {
				grad[H*D+H+j] += c.L2 * W2[j]
			}
		}
		return loss
	}
	prob := optimize.Problem{Func: func(x []float64) float64 { return eval(x, nil) }, Grad: func(grad, x []float64) { eval(x, grad) }}
	res, err := optimize.Minimize(prob, x0, &optimize.Settings{MajorIterations: c.Iters, GradientThreshold: 1e-7}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("models: MLP training: %w", err)
	}
	x := res.X
	m.W1 = append([]float64(nil), x[:H*D]...)
	m.B1 = append([]float64(nil), x[H*D:H*D+H]...)
	m.W2 = append([]float64(nil), x[H*D+H:H*D+2*H]...)
	m.B2 = x[P-1]
	return m, m.Validate()
}
