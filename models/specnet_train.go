package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/voxguard/voxguard/internal/vec"
)

// SpecNetConfig configures TrainSpecNet. Zero values take the defaults in brackets.
type SpecNetConfig struct {
	// Bins is the number of frequency bins the network reads (128).
	Bins int
	// InputScale multiplies the mean-removed log power (1/3).
	InputScale float32
	// Layers is the architecture before the head: convolutions (Kind, K, Out; In is filled in),
	// pools and norms (batch normalisation while training). Default: the light CNN of
	// DefaultSpecLayers.
	Layers []SpecLayer
	// Hidden is the head's width after max-feature-map (32).
	Hidden int
	// Crop is the length, in frames, of the excerpt drawn from a recording for each example
	// (150); shorter recordings are repeated to fill it.
	Crop int
	// Steps is the number of minibatches (1,500); Batch the examples of each class in one (32).
	Steps, Batch int
	// LR is Adam's peak learning rate (1e-3), reached by a linear warm-up over the first tenth of
	// the steps from LR/25, then annealed to zero on a half cosine; L2 is the weight decay added
	// to every weight's gradient (1e-4).
	LR, L2 float64
	// Dropout is the head input's dropout probability (0.5; negative: none).
	Dropout float64
	// FreqMask and TimeMask are the widest masks (SpecAugment) zeroed in each example: up to
	// FreqMask−1 consecutive bins and TimeMask−1 consecutive frames (16, 20; negative: none).
	FreqMask, TimeMask int
	// Seed sets the initial weights and every draw.
	Seed uint64
	// OneClass trains a one-class head (OC-softmax, Zhang et al. 2021, "One-class learning
	// towards synthetic voice spoofing detection"): the output is the cosine between the hidden
	// layer and a learnt direction, bona fide examples drawn above a cosine of OneClassBona (0.9)
	// and spoofed ones pushed below OneClassSpoof (0.2), each margin's loss scaled by
	// OneClassScale (20). The exported network's log-odds are OneClassScale·(centre − cosine),
	// the centre halfway between the margins. Meant to keep bona fide speech compact without
	// fitting a boundary to the spoofs seen, for spoofs of kinds never seen.
	OneClass bool
	// Progress, if set, is called after every step with the step count and the running loss.
	Progress func(step int, loss float64)
}

// DefaultSpecLayers is the default architecture (Out after max-feature-map): a 5×5 convolution
// to 16 channels, then three blocks of a 1×1 and a 3×3 convolution, each pooled, with batch
// normalisation between.
func DefaultSpecLayers(width int) []SpecLayer {
	w := max(width, 1)
	c := func(k, out int) SpecLayer { return SpecLayer{Kind: SpecConv, K: k, Out: out * w} }
	p := func(out int) SpecLayer { return SpecLayer{Kind: SpecPool, Out: out * w} }
	n := func(out int) SpecLayer { return SpecLayer{Kind: SpecNorm, Out: out * w} }
	return []SpecLayer{
		c(5, 16), p(16),
		c(1, 16), n(16), c(3, 24), p(24), n(24),
		c(1, 24), n(24), c(3, 32), p(32), n(32),
		c(1, 32), n(32), c(3, 32), p(32),
	}
}

func (c *SpecNetConfig) defaults() {
	if c.Bins <= 0 {
		c.Bins = 128
	}
	if c.InputScale <= 0 {
		c.InputScale = 1.0 / 3
	}
	if len(c.Layers) == 0 {
		c.Layers = DefaultSpecLayers(1)
	}
	if c.Hidden <= 0 {
		c.Hidden = 32
	}
	if c.Crop <= 0 {
		c.Crop = 150
	}
	if c.Steps <= 0 {
		c.Steps = 1500
	}
	if c.Batch <= 0 {
		c.Batch = 32
	}
	if c.LR <= 0 {
		c.LR = 1e-3
	}
	if c.L2 == 0 {
		c.L2 = 1e-4
	}
	if c.Dropout == 0 {
		c.Dropout = 0.5
	}
	if c.FreqMask == 0 {
		c.FreqMask = 16
	}
	if c.TimeMask == 0 {
		c.TimeMask = 20
	}
}

// SpecRecording is one training recording's log power spectrum: T rows of Stride values (at
// least the network's Bins), as dsp.LogSpectrogram gives them.
type SpecRecording struct {
	X      []float32
	T      int
	Stride int
	mean   []float32 // the first Bins values' mean row, once TrainSpecNet has computed it
}

// specTrain is a SpecNet being trained: its tensors, their gradients and Adam moments, and the
// norms' learnt scales, shifts and running statistics.
type specTrain struct {
	net     *SpecNet
	gamma   [][]float32 // per layer: a norm's learnt scale (nil for other layers)
	beta    [][]float32
	runMean [][]float32
	runVar  [][]float32
	invStd  [][]float32 // a norm's batch 1/√(var+ε), from the last forward pass
	// params lists every trainable tensor; pW, pB, pGamma, pBeta give a layer's index in it (−1:
	// none), pW1 … pB2 the head's.
	params                [][]float32
	pW, pB, pGamma, pBeta []int
	pW1, pB1, pW2, pB2    int
	grads, m, v           [][]float32
	exGrads               [][][]float32 // per example, per tensor (norms' stay unused)
	decay                 []bool        // weight decay applies (weights, not biases or norms)
	dropout               float64
	training              bool
	oneClass              bool // the head is a cosine (SpecNetConfig.OneClass)
}

// The one-class head's margins and scale (SpecNetConfig.OneClass), the paper's values.
const (
	OneClassBona  = 0.9
	OneClassSpoof = 0.2
	OneClassScale = 20
)

func newSpecTrain(c SpecNetConfig, rng *rand.Rand) (*specTrain, error) {
	n := &SpecNet{Bins: c.Bins, Hidden: c.Hidden, InputScale: c.InputScale}
	st := &specTrain{net: n, dropout: c.Dropout, oneClass: c.OneClass}
	add := func(p []float32, decay bool) int {
		st.params = append(st.params, p)
		st.grads = append(st.grads, make([]float32, len(p)))
		st.m = append(st.m, make([]float32, len(p)))
		st.v = append(st.v, make([]float32, len(p)))
		st.decay = append(st.decay, decay)
		return len(st.params) - 1
	}
	uniform := func(p []float32, bound float64) {
		for i := range p {
			p[i] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	L := len(c.Layers)
	st.pW, st.pB, st.pGamma, st.pBeta = make([]int, L), make([]int, L), make([]int, L), make([]int, L)
	st.gamma, st.beta = make([][]float32, L), make([][]float32, L)
	st.runMean, st.runVar, st.invStd = make([][]float32, L), make([][]float32, L), make([][]float32, L)
	ch := 1
	for i, l := range c.Layers {
		st.pW[i], st.pB[i], st.pGamma[i], st.pBeta[i] = -1, -1, -1, -1
		switch l.Kind {
		case SpecConv:
			if l.K < 1 || l.K%2 == 0 || l.Out < 1 {
				return nil, fmt.Errorf("models: spectrum network layer %d: bad convolution", i)
			}
			l.In = ch
			fanIn := float64(l.K * l.K * l.In)
			l.W = make([]float32, l.K*l.K*l.In*2*l.Out)
			l.B = make([]float32, 2*l.Out)
			// PyTorch's default initialisation (Kaiming uniform, a = √5): bound 1/√fan-in.
			uniform(l.W, 1/math.Sqrt(fanIn))
			uniform(l.B, 1/math.Sqrt(fanIn))
			st.pW[i], st.pB[i] = add(l.W, true), add(l.B, false)
			ch = l.Out
		case SpecPool:
			l.Out = ch
		case SpecNorm:
			l.Out = ch
			l.Scale, l.Shift = make([]float32, ch), make([]float32, ch)
			st.gamma[i], st.beta[i] = make([]float32, ch), make([]float32, ch)
			st.runMean[i], st.runVar[i] = make([]float32, ch), make([]float32, ch)
			for c := range ch {
				st.gamma[i][c], st.runVar[i][c] = 1, 1
			}
			st.pGamma[i], st.pBeta[i] = add(st.gamma[i], false), add(st.beta[i], false)
		default:
			return nil, fmt.Errorf("models: spectrum network: unknown layer kind %q", l.Kind)
		}
		n.Layers = append(n.Layers, l)
	}
	chOut, f := n.flatDim()
	if f < 1 {
		return nil, errors.New("models: spectrum network pools away every frequency bin")
	}
	D := chOut * f
	n.W1, n.B1 = make([]float32, 2*c.Hidden*D), make([]float32, 2*c.Hidden)
	n.W2 = make([]float32, c.Hidden)
	uniform(n.W1, 1/math.Sqrt(float64(D)))
	uniform(n.B1, 1/math.Sqrt(float64(D)))
	uniform(n.W2, 1/math.Sqrt(float64(c.Hidden)))
	b2 := []float32{float32((2*rng.Float64() - 1) / math.Sqrt(float64(c.Hidden)))}
	// A one-class head's direction has no weight decay: its length does not matter, and a
	// shrinking one would make the cosine's gradient (∝ 1/|W2|) blow up. Its output bias stays
	// drawn (the same draws follow) but unused, at zero.
	if c.OneClass {
		b2[0] = 0
	}
	st.pW1, st.pB1, st.pW2, st.pB2 = add(n.W1, true), add(n.B1, false), add(n.W2, !c.OneClass), add(b2, false)
	return st, nil
}

// exGrad returns example b's gradient buffer for tensor k, zeroed.
func (st *specTrain) exGrad(b, k int) []float32 {
	g := st.exGrads[b][k]
	clear(g)
	return g
}

// export returns the network in inference form: norms folded from their running statistics.
func (st *specTrain) export() *SpecNet {
	n := st.net
	for i := range n.Layers {
		l := &n.Layers[i]
		if l.Kind != SpecNorm {
			continue
		}
		for c := range l.Out {
			s := st.gamma[i][c] / float32(math.Sqrt(float64(st.runVar[i][c])+specNormEps))
			l.Scale[c] = s
			l.Shift[c] = st.beta[i][c] - st.runMean[i][c]*s
		}
	}
	n.B2 = st.params[st.pB2][0]
	if st.oneClass {
		n.B2 = 0
		n.CosineScale = OneClassScale
		n.CosineCentre = (OneClassBona + OneClassSpoof) / 2
	}
	return n
}

const specNormEps = 1e-5

// specCache holds one example's activations for the backward pass and scratch kept across
// steps (every example of a run has the same shape).
type specCache struct {
	acts []specAct   // acts[i]: input of layer i; acts[L]: the last output
	out  [][]float32 // storage of acts[i+1]
	cols [][]float32 // a convolution's im2col matrix (nil for 1×1: its input)
	pre  [][]float32 // a convolution's output before max-feature-map
	arg  [][]int32   // a pool's argmax
	xhat [][]float32 // a norm's normalised input
	dPre [][]float32 // backward scratch
	dIn  [][]float32 // gradient by layer i's input
	h    []float32   // head input after dropout
	mask []float32   // dropout's multipliers
	u    []float32   // head hidden pre-activations (2·Hidden)
	z    float64     // logit (a one-class head: the cosine)
	// A one-class head's norms of the hidden layer and of W2 (cosineNorms), for the backward
	// pass.
	en, wn float32
}

// parallel runs f(i) for i in [0, n) on GOMAXPROCS goroutines (parallelFor).
func parallel(n int, f func(i int)) { parallelFor(n, runtime.GOMAXPROCS(0), f) }

// forward runs a batch (each example T × Bins, one channel) through the network, filling the
// caches; norms use the batch's statistics while training, their running ones otherwise.
func (st *specTrain) forward(xs []specAct, cs []*specCache, rng []*rand.Rand) {
	n := st.net
	B, L := len(xs), len(n.Layers)
	for b := range B {
		c := cs[b]
		c.acts = append(c.acts[:0], xs[b])
		if len(c.out) != L {
			c.out, c.cols, c.pre = make([][]float32, L), make([][]float32, L), make([][]float32, L)
			c.arg, c.xhat = make([][]int32, L), make([][]float32, L)
			c.dPre, c.dIn = make([][]float32, L), make([][]float32, L)
		}
	}
	for i := range n.Layers {
		l := &n.Layers[i]
		switch l.Kind {
		case SpecConv:
			parallel(B, func(b int) {
				c := cs[b]
				a := c.acts[i]
				m := a.t * a.f
				if l.K > 1 {
					c.cols[i] = grow(c.cols[i], m*l.K*l.K*a.c)
				}
				c.pre[i] = grow(c.pre[i], m*2*l.Out)
				c.out[i] = grow(c.out[i], m*l.Out)
				c.acts = append(c.acts, convMFM(l, a, c.cols[i], c.pre[i], c.out[i], true))
			})
		case SpecPool:
			parallel(B, func(b int) {
				c := cs[b]
				a := c.acts[i]
				k := (a.t / 2) * (a.f / 2) * a.c
				c.arg[i], c.out[i] = grow(c.arg[i], k), grow(c.out[i], k)
				c.acts = append(c.acts, pool2(a, c.arg[i], c.out[i]))
			})
		case SpecNorm:
			C := l.Out
			mean, inv := make([]float32, C), grow(st.invStd[i], C)
			st.invStd[i] = inv
			if st.training {
				m64, v64, cnt := make([]float64, C), make([]float64, C), 0
				for b := range B {
					x := cs[b].acts[i].x
					for j := 0; j < len(x); j += C {
						for c, v := range x[j : j+C] {
							m64[c] += float64(v)
						}
					}
					cnt += len(x) / C
				}
				for c := range C {
					m64[c] /= float64(cnt)
				}
				for b := range B {
					x := cs[b].acts[i].x
					for j := 0; j < len(x); j += C {
						for c, v := range x[j : j+C] {
							d := float64(v) - m64[c]
							v64[c] += d * d
						}
					}
				}
				for c := range C {
					vr := v64[c] / float64(cnt)
					mean[c], inv[c] = float32(m64[c]), float32(1/math.Sqrt(vr+specNormEps))
					unbiased := vr * float64(cnt) / float64(max(cnt-1, 1))
					st.runMean[i][c] = float32(0.9*float64(st.runMean[i][c]) + 0.1*m64[c])
					st.runVar[i][c] = float32(0.9*float64(st.runVar[i][c]) + 0.1*unbiased)
				}
			} else {
				for c := range C {
					mean[c] = st.runMean[i][c]
					inv[c] = float32(1 / math.Sqrt(float64(st.runVar[i][c])+specNormEps))
				}
			}
			g, be := st.gamma[i], st.beta[i]
			parallel(B, func(b int) {
				c := cs[b]
				a := c.acts[i]
				c.xhat[i], c.out[i] = grow(c.xhat[i], len(a.x)), grow(c.out[i], len(a.x))
				xh, y := c.xhat[i], c.out[i]
				for j := 0; j < len(a.x); j += C {
					for ch := range C {
						v := (a.x[j+ch] - mean[ch]) * inv[ch]
						xh[j+ch] = v
						y[j+ch] = v*g[ch] + be[ch]
					}
				}
				c.acts = append(c.acts, specAct{t: a.t, f: a.f, c: a.c, x: y})
			})
		}
	}
	b2 := st.params[st.pB2][0]
	H := n.Hidden
	parallel(B, func(b int) {
		c := cs[b]
		h := n.headIn(c.acts[L])
		c.mask = nil
		if st.training && st.dropout > 0 {
			c.mask = make([]float32, len(h))
			keep := float32(1 / (1 - st.dropout))
			for j := range h {
				if rng[b].Float64() >= st.dropout {
					c.mask[j] = keep
				}
				h[j] *= c.mask[j]
			}
		}
		c.h = h
		D := len(h)
		c.u = grow(c.u, 2*H)
		z := b2
		for j := range 2 * H {
			u := n.B1[j]
			w := n.W1[j*D : (j+1)*D]
			for k, x := range h {
				u += w[k] * x
			}
			c.u[j] = u
		}
		var ee, ww float32
		for j := range H {
			e := max(c.u[j], c.u[j+H])
			z += n.W2[j] * e
			ee += e * e
			ww += n.W2[j] * n.W2[j]
		}
		c.z = float64(z)
		if st.oneClass {
			c.en, c.wn = cosineNorms(ee, ww)
			c.z = float64((z - b2) / (c.en * c.wn))
		}
	})
}

// backward sets st.grads to the gradient of the batch's loss, given dz[b], the loss's
// derivative by example b's logit (training mode only). Each example's gradients are summed in
// example order, so a run is reproducible whatever the scheduling.
func (st *specTrain) backward(cs []*specCache, dz []float64) {
	n := st.net
	B, H, L := len(cs), n.Hidden, len(n.Layers)
	if len(st.exGrads) != B {
		st.exGrads = make([][][]float32, B)
		for b := range B {
			st.exGrads[b] = make([][]float32, len(st.params))
			for k, p := range st.params {
				st.exGrads[b][k] = make([]float32, len(p))
			}
		}
	}
	dActs := make([][]float32, B) // gradient by the current layer's output, per example
	parallel(B, func(b int) {
		c := cs[b]
		D := len(c.h)
		g := float32(dz[b])
		dW1, dB1 := st.exGrad(b, st.pW1), st.exGrad(b, st.pB1)
		dW2, dB2 := st.exGrad(b, st.pW2), st.exGrad(b, st.pB2)
		dB2[0] = g
		// A one-class head: g is the loss's derivative by the cosine s = w·e / (|w|·|e|), whose
		// derivatives are w/(|w||e|) − s·e/|e|² by e and e/(|w||e|) − s·w/|w|² by w.
		s, en, wn := float32(c.z), c.en, c.wn
		if st.oneClass {
			dB2[0] = 0
		}
		dh := make([]float32, D)
		for j := range H {
			m, src := c.u[j], j
			if c.u[j+H] > c.u[j] {
				m, src = c.u[j+H], j+H
			}
			dW2[j] = g * m
			du := g * n.W2[j]
			if st.oneClass {
				dW2[j] = g * (m/(wn*en) - s*n.W2[j]/(wn*wn))
				du = g * (n.W2[j]/(wn*en) - s*m/(en*en))
			}
			dB1[src] = du
			w, row := n.W1[src*D:(src+1)*D], dW1[src*D:(src+1)*D]
			for k, x := range c.h {
				row[k] = du * x
				dh[k] += du * w[k]
			}
		}
		if c.mask != nil {
			for k := range dh {
				dh[k] *= c.mask[k]
			}
		}
		// Through the time average.
		a := c.acts[L]
		da := make([]float32, len(a.x))
		inv := 1 / float32(a.t)
		for t := range a.t {
			for f := range a.f {
				row := da[(t*a.f+f)*a.c : (t*a.f+f+1)*a.c]
				for ch := range row {
					row[ch] = dh[ch*a.f+f] * inv
				}
			}
		}
		dActs[b] = da
	})
	for i := L - 1; i >= 0; i-- {
		l := &n.Layers[i]
		switch l.Kind {
		case SpecConv:
			parallel(B, func(b int) {
				c := cs[b]
				a := c.acts[i]
				m, o2, kk := a.t*a.f, 2*l.Out, l.K*l.K*a.c
				pre, dOut := c.pre[i], dActs[b]
				c.dPre[i] = grow(c.dPre[i], m*o2)
				dPre := c.dPre[i]
				dBias := st.exGrad(b, st.pB[i])
				mfmBackward(pre, dOut, dPre, dBias, m, l.Out)
				in := a.x
				if l.K > 1 {
					in = c.cols[i]
				}
				vec.Sgemm(true, false, kk, o2, m, 1, in, kk, dPre, o2, 0, st.exGrads[b][st.pW[i]], o2)
				if i == 0 {
					dActs[b] = nil
					return
				}
				c.dIn[i] = grow(c.dIn[i], m*kk)
				vec.Sgemm(false, true, m, kk, o2, 1, dPre, o2, l.W, o2, 0, c.dIn[i], kk)
				if l.K == 1 {
					dActs[b] = c.dIn[i]
				} else {
					dActs[b] = col2im(c.dIn[i], a, l.K)
				}
			})
		case SpecPool:
			parallel(B, func(b int) {
				a := cs[b].acts[i]
				dx := make([]float32, len(a.x))
				for j, src := range cs[b].arg[i] {
					dx[src] += dActs[b][j]
				}
				dActs[b] = dx
			})
		case SpecNorm:
			C := l.Out
			sumD, sumDX, cnt := make([]float64, C), make([]float64, C), 0
			for b := range B {
				xh, d := cs[b].xhat[i], dActs[b]
				for j := 0; j < len(d); j += C {
					for ch := range C {
						sumD[ch] += float64(d[j+ch])
						sumDX[ch] += float64(d[j+ch]) * float64(xh[j+ch])
					}
				}
				cnt += len(d) / C
			}
			gG, gBe := st.grads[st.pGamma[i]], st.grads[st.pBeta[i]]
			for ch := range C {
				gG[ch] = float32(sumDX[ch])
				gBe[ch] = float32(sumD[ch])
			}
			g, inv, N := st.gamma[i], st.invStd[i], float32(cnt)
			parallel(B, func(b int) {
				xh, d := cs[b].xhat[i], dActs[b]
				for j := 0; j < len(d); j += C {
					for ch := range C {
						// dx = γ·invstd/N · (N·dy − Σdy − x̂·Σ(dy·x̂))
						d[j+ch] = g[ch] * inv[ch] / N * (N*d[j+ch] - float32(sumD[ch]) - xh[j+ch]*float32(sumDX[ch]))
					}
				}
			})
		}
	}
	parallel(len(st.params), func(k int) {
		for i := range L {
			if k == st.pGamma[i] || k == st.pBeta[i] {
				return
			}
		}
		g := st.grads[k]
		copy(g, st.exGrads[0][k])
		for b := 1; b < B; b++ {
			addTo(g, st.exGrads[b][k])
		}
	})
}

// mfmBackward is max-feature-map's backward pass over m positions of out channels: each
// output's gradient dOut goes to the larger of its two inputs in pre (channel c, or c + out on a
// tie's other side: c wins ties, as the forward pass), the other input's gradient dPre is 0, and
// both inputs' convolution biases gather theirs in dBias. A bit mask instead of a branch: which
// input won is as good as random, and the mispredictions cost 3 times the work (~14 % of a
// training step).
func mfmBackward(pre, dOut, dPre, dBias []float32, m, out int) {
	o2 := 2 * out
	bl, bh := dBias[:out], dBias[out:o2]
	for p := range m {
		yy, dd, gg := pre[p*o2:(p+1)*o2], dPre[p*o2:(p+1)*o2], dOut[p*out:(p+1)*out]
		lo, hi, dlo, dhi := yy[:out], yy[out:o2], dd[:out], dd[out:o2]
		for ch, g := range gg {
			mk := uint32(0)
			if lo[ch] >= hi[ch] {
				mk = ^uint32(0)
			}
			gb := math.Float32bits(g)
			a, b := math.Float32frombits(gb&mk), math.Float32frombits(gb&^mk)
			dlo[ch], dhi[ch] = a, b
			bl[ch] += a
			bh[ch] += b
		}
	}
}

func addTo(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

// col2im sums each im2col row's gradient back onto the positions it was copied from.
func col2im(dCols []float32, a specAct, k int) []float32 {
	p := k / 2
	row := k * k * a.c
	dx := make([]float32, len(a.x))
	for t := range a.t {
		for f := range a.f {
			d := dCols[(t*a.f+f)*row : (t*a.f+f+1)*row]
			j := 0
			for dt := -p; dt <= p; dt++ {
				tt := t + dt
				for df := -p; df <= p; df++ {
					ff := f + df
					if tt >= 0 && tt < a.t && ff >= 0 && ff < a.f {
						dst := dx[(tt*a.f+ff)*a.c : (tt*a.f+ff+1)*a.c]
						for c, v := range d[j : j+a.c] {
							dst[c] += v
						}
					}
					j += a.c
				}
			}
		}
	}
	return dx
}

// TrainSpecNet fits a SpecNet to bona fide (label 0) and spoofed (label 1) recordings by Adam on
// the binary cross-entropy. Each class is a list of groups; a minibatch draws Batch examples of
// each class, each from a group drawn uniformly and a recording drawn uniformly within it, as a
// Crop-frame excerpt at a random offset with SpecAugment masks. It stores each recording's mean
// row in the recording (the groups' elements are updated in place).
func TrainSpecNet(bona, spoof [][]SpecRecording, c SpecNetConfig) (*SpecNet, error) {
	c.defaults()
	for _, cls := range [][][]SpecRecording{bona, spoof} {
		if len(cls) == 0 {
			return nil, errors.New("models: spectrum network needs recordings of both classes")
		}
		for _, g := range cls {
			if len(g) == 0 {
				return nil, errors.New("models: spectrum network: an empty group")
			}
			for i := range g {
				r := &g[i]
				if r.T < 1 || r.Stride < c.Bins || len(r.X) < r.T*r.Stride {
					return nil, fmt.Errorf("models: spectrum network: a recording of %d frames × %d (need %d bins)", r.T, r.Stride, c.Bins)
				}
				r.mean = specMean(r.X, r.T, r.Stride, c.Bins)
			}
		}
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x5bec))
	st, err := newSpecTrain(c, rng)
	if err != nil {
		return nil, err
	}
	if c.Crop < st.net.MinFrames() {
		return nil, fmt.Errorf("models: spectrum network: crops of %d frames, the pools need %d", c.Crop, st.net.MinFrames())
	}
	st.training = true
	B := 2 * c.Batch
	rngs := make([]*rand.Rand, B)
	for b := range rngs {
		rngs[b] = rand.New(rand.NewPCG(c.Seed, uint64(b)+1))
	}
	xs := make([]specAct, B)
	cs := make([]*specCache, B)
	for b := range cs {
		cs[b] = &specCache{}
	}
	dz := make([]float64, B)
	running := 0.0
	for step := range c.Steps {
		for b := range B {
			cls := bona
			if b >= c.Batch {
				cls = spoof
			}
			g := cls[rng.IntN(len(cls))]
			xs[b] = cropSpec(g[rng.IntN(len(g))], c, rng)
		}
		st.forward(xs, cs, rngs)
		loss := 0.0
		for b := range B {
			y := 0.0
			if b >= c.Batch {
				y = 1
			}
			l, d := exampleLoss(cs[b].z, y, c.OneClass)
			loss += l
			dz[b] = d / float64(B)
		}
		loss /= float64(B)
		st.backward(cs, dz)
		st.adam(step, c)
		if step == 0 {
			running = loss
		} else {
			running = 0.98*running + 0.02*loss
		}
		if c.Progress != nil {
			c.Progress(step+1, running)
		}
		if math.IsNaN(running) {
			return nil, errors.New("models: spectrum network training diverged")
		}
	}
	st.training = false
	n := st.export()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return n, nil
}

// exampleLoss is one example's loss and its derivative by the head's output z (the logit, or
// with oneClass the cosine) for class y (1: spoofed): the logistic loss, or the one-class
// margins' softplus(α(m_bona − z)) for bona fide and softplus(α(z − m_spoof)) for spoofs.
func exampleLoss(z, y float64, oneClass bool) (loss, dz float64) {
	// softplus(x) = log(1 + e^x), stably.
	softplus := func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }
	if oneClass {
		if y == 1 {
			x := OneClassScale * (z - OneClassSpoof)
			return softplus(x), OneClassScale / (1 + math.Exp(-x))
		}
		x := OneClassScale * (OneClassBona - z)
		return softplus(x), -OneClassScale / (1 + math.Exp(-x))
	}
	return softplus(z) - y*z, 1/(1+math.Exp(-z)) - y
}

// cropSpec draws a Crop-frame excerpt of r (repeated if shorter) with SpecAugment masks.
func cropSpec(r SpecRecording, c SpecNetConfig, rng *rand.Rand) specAct {
	a := specAct{t: c.Crop, f: c.Bins, c: 1, x: make([]float32, c.Crop*c.Bins)}
	off := 0
	if r.T > c.Crop {
		off = rng.IntN(r.T - c.Crop + 1)
	}
	for t := range c.Crop {
		src := (off + t) % r.T
		row := a.x[t*c.Bins : (t+1)*c.Bins]
		for k, v := range r.X[src*r.Stride : src*r.Stride+c.Bins] {
			row[k] = (v - r.mean[k]) * c.InputScale
		}
	}
	if c.FreqMask > 0 {
		w := rng.IntN(c.FreqMask)
		f0 := rng.IntN(c.Bins - w + 1)
		for t := range c.Crop {
			clear(a.x[t*c.Bins+f0 : t*c.Bins+f0+w])
		}
	}
	if c.TimeMask > 0 {
		w := rng.IntN(c.TimeMask)
		if w < c.Crop {
			t0 := rng.IntN(c.Crop - w + 1)
			clear(a.x[t0*c.Bins : (t0+w)*c.Bins])
		}
	}
	return a
}

// adam applies one Adam step (β 0.9, 0.999) at the schedule's learning rate for step.
func (st *specTrain) adam(step int, c SpecNetConfig) {
	warm := max(c.Steps/10, 1)
	var lr float64
	if step < warm {
		lr = c.LR * (1.0/25 + (1-1.0/25)*float64(step)/float64(warm))
	} else {
		lr = c.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step-warm)/float64(max(c.Steps-warm, 1))))
	}
	const b1, b2, eps = 0.9, 0.999, 1e-8
	t := float64(step + 1)
	c1, c2 := 1-math.Pow(b1, t), 1-math.Pow(b2, t)
	parallel(len(st.params), func(k int) {
		p, g, m, v := st.params[k], st.grads[k], st.m[k], st.v[k]
		l2 := float32(0)
		if st.decay[k] {
			l2 = float32(c.L2)
		}
		for i := range p {
			gi := g[i] + l2*p[i]
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			p[i] -= float32(lr * float64(m[i]) / c1 / (math.Sqrt(float64(v[i])/c2) + eps))
		}
	})
}
