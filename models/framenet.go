package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/voxguard/voxguard/internal/vec"
)

// FrameNet is a small feed-forward classifier of countermeasure frames: the frame to classify
// and Context frames on each side (clamped at the recording's ends), each standardised by Mean
// and Std, concatenated, then hidden layers with ReLU and one output, the log-odds that the
// frame is spoofed. A recording's score is the mean log-odds of its frames (FrameNetScore).
type FrameNet struct {
	// Context is the number of frames on each side of the classified frame.
	Context int `json:"context"`
	// Step, if > 0, classifies every Step-th frame of a recording (the 1st, the (1+Step)-th, …);
	// 0: the countermeasure's FrameStep.
	Step int `json:"step,omitempty"`
	// Sizes are the layer widths: the input ((2·Context+1)·D), the hidden layers, then 1.
	Sizes []int `json:"sizes"`
	// Mean and Std standardise each of the D frame dimensions.
	Mean, Std []float32 `json:"-"`
	// W[l] is layer l's weight matrix, Sizes[l+1] × Sizes[l] row-major; B[l] its biases.
	W, B [][]float32 `json:"-"`

	once sync.Once
	pool sync.Pool   // *frameNetScratch shared by the scorers between passes (a live call holds none)
	wp   [][]float32 // W with each row zero-padded to cols[l] (a multiple of 8) for the AVX2 kernel
	cols []int       // padded layer input widths
}

// pad builds the padded weights (once; W must not change afterwards).
func (n *FrameNet) pad() {
	n.once.Do(func() {
		L := len(n.W)
		n.wp, n.cols = make([][]float32, L), make([]int, L+1)
		for l := range L + 1 {
			n.cols[l] = (n.Sizes[l] + 7) &^ 7
		}
		for l := range L {
			in, pc := n.Sizes[l], n.cols[l]
			wp := make([]float32, n.Sizes[l+1]*pc)
			for i := range n.Sizes[l+1] {
				copy(wp[i*pc:i*pc+in], n.W[l][i*in:(i+1)*in])
			}
			n.wp[l] = wp
		}
	})
}

// Dim is the frame dimension D the network reads.
func (n *FrameNet) Dim() int { return len(n.Mean) }

// Validate checks the shapes and that every parameter is finite.
func (n *FrameNet) Validate() error {
	L := len(n.Sizes) - 1
	switch {
	case n.Context < 0 || n.Context > 50:
		return fmt.Errorf("models: frame network context %d outside 0-50", n.Context)
	case n.Step < 0 || n.Step > 50:
		return fmt.Errorf("models: frame network step %d outside 0-50", n.Step)
	case L < 1 || n.Sizes[L] != 1:
		return errors.New("models: frame network needs at least one layer and a single output")
	case len(n.Mean) == 0 || len(n.Std) != len(n.Mean) || n.Sizes[0] != (2*n.Context+1)*len(n.Mean):
		return errors.New("models: frame network input does not match its standardisation")
	case len(n.W) != L || len(n.B) != L:
		return errors.New("models: frame network has the wrong number of layers")
	}
	for l := range L {
		if n.Sizes[l] <= 0 || n.Sizes[l] > 1<<16 || len(n.W[l]) != n.Sizes[l]*n.Sizes[l+1] || len(n.B[l]) != n.Sizes[l+1] {
			return fmt.Errorf("models: frame network layer %d has inconsistent dimensions", l)
		}
	}
	for _, s := range n.Std {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return errors.New("models: frame network has a bad standardisation")
		}
	}
	for _, v := range [][][]float32{{n.Mean}, n.W, n.B} {
		for _, x := range v {
			for _, f := range x {
				if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
					return errors.New("models: frame network has a non-finite parameter")
				}
			}
		}
	}
	return nil
}

// frameNetBatch is the most frames a scratch evaluates in one pass over the weights.
const frameNetBatch = 16

// frameNetScratch holds the activations of up to frameNetBatch evaluations.
type frameNetScratch struct {
	act [][]float32 // act[l]: layer l's inputs, frameNetBatch rows of the padded width
}

func (n *FrameNet) newScratch() *frameNetScratch {
	n.pad()
	s := &frameNetScratch{act: make([][]float32, len(n.Sizes))}
	for l, k := range n.cols {
		s.act[l] = make([]float32, frameNetBatch*k)
	}
	return s
}

// standardise writes frame x standardised into dst (both D long).
func (n *FrameNet) standardise(dst, x []float32) {
	for k, v := range x[:len(n.Mean)] {
		dst[k] = (v - n.Mean[k]) / n.Std[k]
	}
}

// logit returns the network's output for the window of frames frame(−Context) … frame(+Context)
// (each D long, already standardised).
func (n *FrameNet) logit(frame func(j int) []float32, s *frameNetScratch) float64 {
	var out [1]float64
	n.logits(out[:], func(_, j int) []float32 { return frame(j) }, s)
	return out[0]
}

// logits writes to out[b] the network's output for window b (frame(b, j), j = −Context …
// Context, each frame already standardised), len(out) ≤ frameNetBatch windows at once, in s
// (nil: a scratch from the network's pool): with AVX2 each weight row is read once for
// three windows (vec.GemvAdd3), and each output is bit for bit what logit computes for its
// window alone.
func (n *FrameNet) logits(out []float64, frame func(b, j int) []float32, s *frameNetScratch) {
	if s == nil {
		if p, ok := n.pool.Get().(*frameNetScratch); ok {
			s = p
		} else {
			s = n.newScratch()
		}
		defer n.pool.Put(s)
	}
	D := len(n.Mean)
	nb := len(out)
	for b := range nb {
		in := s.act[0][b*n.cols[0] : (b+1)*n.cols[0]]
		for j := -n.Context; j <= n.Context; j++ {
			copy(in[(j+n.Context)*D:(j+n.Context+1)*D], frame(b, j))
		}
	}
	L := len(n.W)
	for l := range L {
		pc, rows, pr := n.cols[l], n.Sizes[l+1], n.cols[l+1]
		in, act := s.act[l], s.act[l+1]
		y := func(b int) []float32 { return act[b*pr : b*pr+rows] }
		x := func(b int) []float32 { return in[b*pc : (b+1)*pc] }
		for b := range nb {
			copy(y(b), n.B[l])
		}
		b := 0
		if vec.Accelerated() {
			// The AVX2 kernels' summation order depends only on the row length, and GemvAdd3
			// adds each vector's product bit for bit as GemvAdd does.
			for ; b+3 <= nb; b += 3 {
				vec.GemvAdd3(y(b), y(b+1), y(b+2), n.wp[l], x(b), x(b+1), x(b+2), pc)
			}
			for ; b < nb; b++ {
				vec.GemvAdd(y(b), n.wp[l], x(b), pc)
			}
		} else {
			// In order, in single precision (gonum's kernels, GemvAdd's fallback, can round
			// differently with the operands' alignment, and a stream must score as its batch).
			for ; b < nb; b++ {
				yb, xb := y(b), x(b)
				for i := range rows {
					row := n.wp[l][i*pc : (i+1)*pc]
					var v float32
					for k, w := range row {
						v += w * xb[k]
					}
					yb[i] += v
				}
			}
		}
		if l < L-1 {
			for b := range nb {
				yb := y(b)
				for i, v := range yb {
					yb[i] = max(v, 0)
				}
			}
		}
	}
	for b := range nb {
		out[b] = float64(s.act[L][b*n.cols[L]])
	}
}

// FrameNetScore is the mean log-odds of a recording's frames (in order, D each; 0 for none),
// every step-th frame classified (step ≤ 1: every frame) — what SpoofScorer accumulates.
func (n *FrameNet) FrameNetScore(frames [][]float32, step int) float64 {
	if len(frames) == 0 {
		return 0
	}
	step = max(step, 1)
	s := n.newScratch()
	std := make([][]float32, len(frames))
	for t, x := range frames {
		std[t] = make([]float32, len(n.Mean))
		n.standardise(std[t], x)
	}
	var ts [frameNetBatch]int
	var out [frameNetBatch]float64
	sum, cnt, nb := 0.0, 0, 0
	flush := func() {
		n.logits(out[:nb], func(b, j int) []float32 { return std[min(max(ts[b]+j, 0), len(frames)-1)] }, s)
		for _, v := range out[:nb] {
			sum += v
			cnt++
		}
		nb = 0
	}
	for t := 0; t < len(frames); t += step {
		ts[nb] = t
		if nb++; nb == frameNetBatch {
			flush()
		}
	}
	flush()
	return sum / float64(cnt)
}

// FrameNetConfig sets TrainFrameNet's network and optimisation.
type FrameNetConfig struct {
	Context  int     // frames each side (default 3)
	Hidden   []int   // hidden layer widths (default 128, 64)
	Epochs   int     // passes (default 4)
	PerClass int     // frames of each class drawn per epoch (default 200,000)
	Batch    int     // minibatch (default 256)
	LR       float64 // Adam learning rate, decayed linearly to half over the epochs (default 1e-3)
	L2       float64 // weight decay (default 1e-4)
	Seed     uint64  // initial weights and frame draws
}

func (c *FrameNetConfig) defaults() {
	if c.Context == 0 {
		c.Context = 3
	}
	if len(c.Hidden) == 0 {
		c.Hidden = []int{128, 64}
	}
	if c.Epochs <= 0 {
		c.Epochs = 4
	}
	if c.PerClass <= 0 {
		c.PerClass = 200000
	}
	if c.Batch <= 0 {
		c.Batch = 256
	}
	if c.LR <= 0 {
		c.LR = 1e-3
	}
	if c.L2 < 0 {
		c.L2 = 0
	} else if c.L2 == 0 {
		c.L2 = 1e-4
	}
}

// TrainFrameNet fits a FrameNet to the frames of bona fide (label 0) and spoofed (label 1)
// recordings (each recording's frames in order, all of dimension D) with Adam on the binary
// cross-entropy, both classes drawn equally often. Training is in float64; the network is stored
// in float32.
func TrainFrameNet(bona, spoof [][][]float32, c FrameNetConfig) (*FrameNet, error) {
	c.defaults()
	type ref struct{ r, t int32 }
	refs := func(recs [][][]float32) []ref {
		var out []ref
		for i, r := range recs {
			for t := range r {
				out = append(out, ref{int32(i), int32(t)})
			}
		}
		return out
	}
	neg, pos := refs(bona), refs(spoof)
	if len(neg) == 0 || len(pos) == 0 {
		return nil, errors.New("models: frame network needs frames of both classes")
	}
	D := len(bona[neg[0].r][0])
	for _, set := range [][][][]float32{bona, spoof} {
		for _, r := range set {
			for _, f := range r {
				if len(f) != D {
					return nil, errors.New("models: frame network training frames differ in dimension")
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x6672616d656e6574))
	// Standardisation from up to 50,000 frames of each class.
	mean, sq := make([]float64, D), make([]float64, D)
	cnt := 0
	for ci, set := range [][]ref{neg, pos} {
		recs := [][][][]float32{bona, spoof}[ci]
		for range min(50000, len(set)) {
			f := set[rng.IntN(len(set))]
			for k, v := range recs[f.r][f.t] {
				mean[k] += float64(v)
				sq[k] += float64(v) * float64(v)
			}
			cnt++
		}
	}
	n := &FrameNet{Context: c.Context, Mean: make([]float32, D), Std: make([]float32, D)}
	mu, sd := make([]float64, D), make([]float64, D)
	for k := range D {
		mu[k] = mean[k] / float64(cnt)
		sd[k] = math.Sqrt(max(sq[k]/float64(cnt)-mu[k]*mu[k], 1e-8))
		n.Mean[k], n.Std[k] = float32(mu[k]), float32(sd[k])
	}
	n.Sizes = append([]int{(2*c.Context + 1) * D}, c.Hidden...)
	n.Sizes = append(n.Sizes, 1)
	L := len(n.Sizes) - 1
	w, b := make([][]float64, L), make([][]float64, L)
	mw, vw, mb, vb := make([][]float64, L), make([][]float64, L), make([][]float64, L), make([][]float64, L)
	gw, gb := make([][]float64, L), make([][]float64, L)
	for l := range L {
		in, out := n.Sizes[l], n.Sizes[l+1]
		if in <= 0 || out <= 0 {
			return nil, errors.New("models: frame network layer widths must be positive")
		}
		w[l] = make([]float64, in*out)
		s := math.Sqrt(2 / float64(in))
		for i := range w[l] {
			w[l][i] = rng.NormFloat64() * s
		}
		b[l] = make([]float64, out)
		mw[l], vw[l], gw[l] = make([]float64, in*out), make([]float64, in*out), make([]float64, in*out)
		mb[l], vb[l], gb[l] = make([]float64, out), make([]float64, out), make([]float64, out)
	}
	B := c.Batch
	acts, grads := make([][]float64, L+1), make([][]float64, L+1)
	for l, k := range n.Sizes {
		acts[l], grads[l] = make([]float64, B*k), make([]float64, B*k)
	}
	labels := make([]float64, B)
	recsOf := [][][][]float32{bona, spoof}
	input := func(dst []float64, cls int, f ref) {
		r := recsOf[cls][f.r]
		for j := -c.Context; j <= c.Context; j++ {
			x := r[min(max(int(f.t)+j, 0), len(r)-1)]
			o := (j + c.Context) * D
			for k := range D {
				dst[o+k] = (float64(x[k]) - mu[k]) / sd[k]
			}
		}
	}
	type draw struct {
		cls int
		f   ref
	}
	const b1, b2, eps = 0.9, 0.999, 1e-8
	// Frames drawn per class and epoch: PerClass, or four times the smaller class's frames when
	// that is fewer (a tiny training set gains nothing from redrawing the same frames).
	per := min(c.PerClass, 4*min(len(neg), len(pos)))
	step := 0
	for ep := range c.Epochs {
		sel := make([]draw, 0, 2*per)
		for cls, set := range [][]ref{neg, pos} {
			for range per {
				sel = append(sel, draw{cls, set[rng.IntN(len(set))]})
			}
		}
		rng.Shuffle(len(sel), func(i, j int) { sel[i], sel[j] = sel[j], sel[i] })
		rate := c.LR * (1 - 0.5*float64(ep)/float64(max(c.Epochs-1, 1)))
		for s := 0; s+B <= len(sel); s += B {
			in0 := n.Sizes[0]
			for r := range B {
				input(acts[0][r*in0:(r+1)*in0], sel[s+r].cls, sel[s+r].f)
				labels[r] = float64(sel[s+r].cls)
			}
			for l := range L {
				in, out := n.Sizes[l], n.Sizes[l+1]
				a := acts[l+1]
				for r := range B {
					copy(a[r*out:(r+1)*out], b[l])
				}
				blas64.Gemm(blas.NoTrans, blas.Trans, 1,
					blas64.General{Rows: B, Cols: in, Stride: in, Data: acts[l]},
					blas64.General{Rows: out, Cols: in, Stride: in, Data: w[l]},
					1, blas64.General{Rows: B, Cols: out, Stride: out, Data: a})
				if l < L-1 {
					for i, v := range a {
						a[i] = max(v, 0)
					}
				}
			}
			for r := range B {
				p := 1 / (1 + math.Exp(-acts[L][r]))
				grads[L][r] = (p - labels[r]) / float64(B)
			}
			for l := L - 1; l >= 0; l-- {
				in, out := n.Sizes[l], n.Sizes[l+1]
				g := grads[l+1]
				blas64.Gemm(blas.Trans, blas.NoTrans, 1,
					blas64.General{Rows: B, Cols: out, Stride: out, Data: g},
					blas64.General{Rows: B, Cols: in, Stride: in, Data: acts[l]},
					0, blas64.General{Rows: out, Cols: in, Stride: in, Data: gw[l]})
				clear(gb[l])
				for r := range B {
					for j := range out {
						gb[l][j] += g[r*out+j]
					}
				}
				if l > 0 {
					blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
						blas64.General{Rows: B, Cols: out, Stride: out, Data: g},
						blas64.General{Rows: out, Cols: in, Stride: in, Data: w[l]},
						0, blas64.General{Rows: B, Cols: in, Stride: in, Data: grads[l]})
					for i, v := range acts[l] {
						if v <= 0 {
							grads[l][i] = 0
						}
					}
				}
			}
			step++
			c1, c2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
			adam := func(p, g, m, v []float64, decay float64) {
				for i, gv := range g {
					gv += decay * p[i]
					m[i] = b1*m[i] + (1-b1)*gv
					v[i] = b2*v[i] + (1-b2)*gv*gv
					p[i] -= rate * (m[i] / c1) / (math.Sqrt(v[i]/c2) + eps)
				}
			}
			for l := range L {
				adam(w[l], gw[l], mw[l], vw[l], c.L2)
				adam(b[l], gb[l], mb[l], vb[l], 0)
			}
		}
	}
	n.W, n.B = make([][]float32, L), make([][]float32, L)
	for l := range L {
		n.W[l], n.B[l] = toF32(w[l]), toF32(b[l])
	}
	return n, n.Validate()
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// FrameNetScores is FrameNetScore of each recording, on workers goroutines (0: every core).
func (n *FrameNet) FrameNetScores(recs [][][]float32, step, workers int) []float64 {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]float64, len(recs))
	parallelFor(len(recs), workers, func(i int) { out[i] = n.FrameNetScore(recs[i], step) })
	return out
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
