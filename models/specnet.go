package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sync"

	"github.com/voxguard/voxguard/internal/vec"
)

// SpecNet is a light convolutional network (after the ASVspoof LCNN: convolutions whose
// channels are halved by max-feature-map, 2×2 max pooling, batch normalisation) that classifies
// a recording's log power spectrum as bona fide or spoofed. Its input is a T × Bins matrix (time
// by frequency, each row one frame's natural-log power spectrum, rows in time order); the layers
// keep a T' × F' × C activation, the head averages it over time, then two fully connected layers
// (the first with max-feature-map) give one output, the log-odds that the recording is spoofed.
// Averaging over time makes the network take recordings of any length of at least MinFrames.
// Before the first layer each input row has the recording's mean row subtracted (the channel's
// colouring) and is multiplied by InputScale.
type SpecNet struct {
	// Bins is the number of frequency bins read from each input row (the first Bins).
	Bins int `json:"bins"`
	// InputScale multiplies the mean-removed log power.
	InputScale float32 `json:"input_scale"`
	// Layers, in order.
	Layers []SpecLayer `json:"layers"`
	// Hidden is the head's width after max-feature-map (its first layer has 2·Hidden outputs).
	Hidden int `json:"hidden"`
	// W1 (2·Hidden × Flat, row-major) and B1 are the head's first layer, over the time-averaged
	// activation flattened channel-major (index c·F' + f, as the reference implementation does);
	// W2 (Hidden) and B2 the output.
	W1, B1, W2 []float32 `json:"-"`
	B2         float32   `json:"-"`
	// CosineScale, if positive, makes the output a one-class score (OC-softmax, Zhang et al.
	// 2021): the log-odds are CosineScale·(CosineCentre − cos(W2, e)), e the head's Hidden
	// max-feature-map outputs, W2 the direction training drew bona fide speech towards; B2 is
	// then unused (zero). Zero: the linear output W2·e + B2.
	CosineScale  float32 `json:"cosine_scale,omitempty"`
	CosineCentre float32 `json:"cosine_centre,omitempty"`
	// Members, if any, are further networks of the same input (Bins) trained from other seeds:
	// Logit returns the mean of this network's log-odds and theirs (an ensemble). A member has
	// no members of its own.
	Members []*SpecNet `json:"members,omitempty"`
}

// Kinds of SpecLayer.
const (
	// SpecConv is a K × K convolution (zero padding K/2, stride 1) from In to 2·Out channels
	// followed by max-feature-map: output channel c is the larger of channels c and c + Out.
	SpecConv = "conv"
	// SpecPool is 2 × 2 max pooling with stride 2 over time and frequency (an odd last row or
	// column is dropped).
	SpecPool = "pool"
	// SpecNorm is a per-channel affine map, y = x·Scale + Shift: batch normalisation in its
	// inference form.
	SpecNorm = "norm"
)

// SpecLayer is one layer of a SpecNet.
type SpecLayer struct {
	Kind string `json:"kind"`
	// K is a convolution's kernel size (odd); In and Out its input channels and its output
	// channels after max-feature-map. A pool or norm layer keeps its input's channels (Out).
	K   int `json:"k,omitempty"`
	In  int `json:"in,omitempty"`
	Out int `json:"out"`
	// W (K·K·In × 2·Out, row-major: row (dt·K + df)·In + i, column o) and B (2·Out) are a
	// convolution's weights and biases; Scale and Shift (Out) a norm layer's.
	W, B, Scale, Shift []float32 `json:"-"`
}

// Validate checks the layers' shapes chain and the weights' lengths.
func (n *SpecNet) Validate() error {
	if n.Bins < 1 || len(n.Layers) == 0 || n.Hidden < 1 || !(n.InputScale > 0) {
		return errors.New("models: spectrum network needs bins, an input scale, layers and a head")
	}
	ch, f := 1, n.Bins
	for i, l := range n.Layers {
		switch l.Kind {
		case SpecConv:
			if l.K < 1 || l.K%2 == 0 || l.In != ch || l.Out < 1 {
				return fmt.Errorf("models: spectrum network layer %d: bad convolution %d×%d %d→%d (input has %d channels)", i, l.K, l.K, l.In, l.Out, ch)
			}
			if len(l.W) != l.K*l.K*l.In*2*l.Out || len(l.B) != 2*l.Out {
				return fmt.Errorf("models: spectrum network layer %d: weights of the wrong length", i)
			}
			ch = l.Out
		case SpecPool:
			if l.Out != ch {
				return fmt.Errorf("models: spectrum network layer %d: pool of %d channels after %d", i, l.Out, ch)
			}
			f /= 2
		case SpecNorm:
			if l.Out != ch || len(l.Scale) != ch || len(l.Shift) != ch {
				return fmt.Errorf("models: spectrum network layer %d: bad normalisation", i)
			}
		default:
			return fmt.Errorf("models: spectrum network layer %d: unknown kind %q", i, l.Kind)
		}
	}
	if f < 1 {
		return errors.New("models: spectrum network pools away every frequency bin")
	}
	if len(n.W1) != 2*n.Hidden*ch*f || len(n.B1) != 2*n.Hidden || len(n.W2) != n.Hidden {
		return errors.New("models: spectrum network head of the wrong size")
	}
	if !(n.CosineScale >= 0 && n.CosineScale <= 1e3) || !(n.CosineCentre >= -1 && n.CosineCentre <= 1) ||
		n.CosineScale == 0 && n.CosineCentre != 0 || n.CosineScale > 0 && n.B2 != 0 {
		return errors.New("models: spectrum network has a bad one-class head (scale in [0, 1000], centre in [-1, 1], no output bias)")
	}
	for _, w := range [][]float32{n.W1, n.B1, n.W2, {n.B2}} {
		for _, v := range w {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return errors.New("models: spectrum network has a non-finite weight")
			}
		}
	}
	for i, m := range n.Members {
		if m == nil || len(m.Members) > 0 || m.Bins != n.Bins {
			return fmt.Errorf("models: spectrum network member %d: missing, nested or of other bins", i+1)
		}
		if err := m.Validate(); err != nil {
			return fmt.Errorf("models: spectrum network member %d: %w", i+1, err)
		}
	}
	return nil
}

// MinFrames is the fewest input frames the network (and each of its Members) needs: one per
// time step its pools halve.
func (n *SpecNet) MinFrames() int {
	m := 1
	for _, l := range n.Layers {
		if l.Kind == SpecPool {
			m *= 2
		}
	}
	for _, o := range n.Members {
		m = max(m, o.MinFrames())
	}
	return m
}

// flatDim is the head's input length: channels × frequency bins after the last layer.
func (n *SpecNet) flatDim() (ch, f int) {
	ch, f = 1, n.Bins
	for _, l := range n.Layers {
		switch l.Kind {
		case SpecConv:
			ch = l.Out
		case SpecPool:
			f /= 2
		}
	}
	return ch, f
}

// specAct is an activation: T × F × C, channel-last.
type specAct struct {
	t, f, c int
	x       []float32
}

// im2col writes into dst (T·F × K·K·C) each position's zero-padded K × K neighbourhood: for
// each time offset, the K positions along frequency are one contiguous run of K·C values. Runs
// wholly inside the input are copied in one piece (by a plain loop when short: the first layer's
// runs are K values, too few for memmove's call to pay), the edges' channel by channel.
func im2col(dst []float32, a specAct, k int) {
	p := k / 2
	C := a.c
	row := k * k * C
	kc := k * C
	for t := range a.t {
		for dt := -p; dt <= p; dt++ {
			off := (dt + p) * kc
			tt := t + dt
			if tt < 0 || tt >= a.t {
				for f := range a.f {
					clear(dst[(t*a.f+f)*row+off:][:kc])
				}
				continue
			}
			src := a.x[tt*a.f*C : (tt+1)*a.f*C]
			for f := range a.f {
				seg := dst[(t*a.f+f)*row+off:][:kc]
				lo := f - p
				if lo >= 0 && lo+k <= a.f {
					s := src[lo*C:][:kc]
					if kc < 32 {
						for i := range seg {
							seg[i] = s[i]
						}
					} else {
						copy(seg, s)
					}
					continue
				}
				for j := range k {
					sj := seg[j*C:][:C]
					if ff := lo + j; ff < 0 || ff >= a.f {
						clear(sj)
					} else {
						copy(sj, src[ff*C:][:C])
					}
				}
			}
		}
	}
}

// specDirectConv lets Logit convolve a one-channel input directly (directConv); tests turn it
// off to compare with the im2col path.
var specDirectConv = true

// directConv is the convolution of a one-channel a and its max-feature-map into out by
// vec.Conv1Chan32MFM (16 outputs, so 32 sums, per position), the input padded with zeros in
// scratch (at least (t+K−1)·(f+K−1) long); false where that has no kernel.
func directConv(l *SpecLayer, a specAct, scratch, out []float32) bool {
	p := l.K / 2
	fp := a.f + l.K - 1
	pad := scratch[:(a.t+l.K-1)*fp]
	clear(pad)
	for t := range a.t {
		copy(pad[(t+p)*fp+p:][:a.f], a.x[t*a.f:(t+1)*a.f])
	}
	return vec.Conv1Chan32MFM(out, pad, l.W, l.B, a.t, a.f, l.K)
}

// convMFM applies a convolution layer and its max-feature-map to a, using cols (the im2col
// matrix, unused for 1×1), pre (the output before max-feature-map) and out (nil: allocated) as
// storage. With keepPre (training) pre is left holding the sums with their biases, which the
// backward pass compares; without (scoring), it holds them without their biases, or nothing for
// a one-channel input convolved directly (directConv), and the outputs come from vectorised
// kernels with the same bits.
func convMFM(l *SpecLayer, a specAct, cols, pre, out []float32, keepPre bool) specAct {
	n := a.t * a.f
	kk := l.K * l.K * a.c
	o2 := 2 * l.Out
	if out == nil {
		out = make([]float32, n*l.Out)
	}
	o := specAct{t: a.t, f: a.f, c: l.Out, x: out[:n*l.Out]}
	// The first layer (one channel in) when scoring: no im2col matrix, no sums stored, the same
	// bits.
	if !keepPre && specDirectConv && a.c == 1 && l.K > 1 && o2 == 32 && directConv(l, a, cols, o.x) {
		return o
	}
	var in []float32
	if l.K == 1 {
		in = a.x
	} else {
		im2col(cols[:n*kk], a, l.K)
		in = cols[:n*kk]
	}
	y := pre[:n*o2]
	vec.Sgemm(false, false, n, o2, kk, 1, in, kk, l.W, o2, 0, y, o2)
	if !keepPre {
		vec.MaxFeatureMap(o.x, y, l.B, n, l.Out)
		return o
	}
	// The biases are added here, in the same pass as the max-feature-map (pre keeps the sums,
	// which training's backward pass compares).
	b0, b1 := l.B[:l.Out], l.B[l.Out:o2]
	for i := range n {
		yy := y[i*o2 : (i+1)*o2]
		y0, y1, oo := yy[:len(b0)], yy[len(b0):][:len(b0)], o.x[i*l.Out:][:len(b0)]
		for c, b := range b0 {
			u, v := y0[c]+b, y1[c]+b1[c]
			y0[c], y1[c] = u, v
			oo[c] = max(u, v)
		}
	}
	return o
}

// pool2 is 2 × 2 max pooling with stride 2 into out (nil: allocated); arg (if not nil, the
// output's length) records each output's source index in a.x.
func pool2(a specAct, arg []int32, out []float32) specAct {
	o := specAct{t: a.t / 2, f: a.f / 2, c: a.c}
	if out == nil {
		out = make([]float32, o.t*o.f*o.c)
	}
	o.x = out[:o.t*o.f*o.c]
	C := a.c
	for t := range o.t {
		for f := range o.f {
			// The four inputs' channel vectors, each contiguous.
			i00 := ((2*t)*a.f + 2*f) * C
			i01, i10 := i00+C, i00+a.f*C
			i11 := i10 + C
			x00, x01, x10, x11 := a.x[i00:i00+C], a.x[i01:i01+C], a.x[i10:i10+C], a.x[i11:i11+C]
			j := (t*o.f + f) * C
			dst := o.x[j : j+C]
			if arg == nil {
				vec.Max4(dst, x00, x01, x10, x11)
				continue
			}
			ag := arg[j : j+C]
			for c := range dst {
				// The first of the largest, scanning (0,0), (0,1), (1,0), (1,1). The index is
				// chosen by conditional moves and the value by max (NaN in, NaN out, as
				// vec.Max4): a branch on which is larger, as good as random, cost 4.7 times as
				// much.
				best, bi := x00[c], int32(i00+c)
				v, k := x01[c], int32(i01+c)
				if v > best {
					bi = k
				}
				best = max(best, v)
				v, k = x10[c], int32(i10+c)
				if v > best {
					bi = k
				}
				best = max(best, v)
				v, k = x11[c], int32(i11+c)
				if v > best {
					bi = k
				}
				dst[c], ag[c] = max(best, v), bi
			}
		}
	}
	return o
}

// Logit returns the network's log-odds that the recording whose T × Bins log power spectrum is
// spec (row-major, T·stride values, row t at spec[t·stride:]) is spoofed, averaged with its
// Members'; ok is false if T is under MinFrames.
func (n *SpecNet) Logit(spec []float32, T, stride int) (logit float64, ok bool) {
	if T < n.MinFrames() || stride < n.Bins {
		return 0, false
	}
	logit = n.logit(spec, T, stride)
	if len(n.Members) == 0 {
		return logit, true
	}
	for _, m := range n.Members {
		logit += m.logit(spec, T, stride)
	}
	return logit / float64(1+len(n.Members)), true
}

// logit is Logit of this network alone, for T of at least MinFrames.
func (n *SpecNet) logit(spec []float32, T, stride int) float64 {
	sc := specScratchPool.Get().(*specScratch)
	defer specScratchPool.Put(sc)
	// Two activation buffers, used in turn; a layer's output never aliases its input.
	sc.act[0] = grow(sc.act[0], T*n.Bins)
	a := specAct{t: T, f: n.Bins, c: 1, x: sc.act[0]}
	cur := 0
	mean := specMean(spec, T, stride, n.Bins)
	for t := range T {
		row := a.x[t*n.Bins : (t+1)*n.Bins]
		for k, v := range spec[t*stride : t*stride+n.Bins] {
			row[k] = (v - mean[k]) * n.InputScale
		}
	}
	for i := range n.Layers {
		l := &n.Layers[i]
		switch l.Kind {
		case SpecConv:
			m := a.t * a.f
			if l.K > 1 {
				sc.cols = grow(sc.cols, m*l.K*l.K*a.c)
			}
			sc.pre = grow(sc.pre, m*2*l.Out)
			cur ^= 1
			sc.act[cur] = grow(sc.act[cur], m*l.Out)
			a = convMFM(l, a, sc.cols, sc.pre, sc.act[cur], false)
		case SpecPool:
			cur ^= 1
			sc.act[cur] = grow(sc.act[cur], (a.t/2)*(a.f/2)*a.c)
			a = pool2(a, nil, sc.act[cur])
		case SpecNorm:
			vec.ScaleShiftRows(a.x, l.Scale, l.Shift)
		}
	}
	h := n.headIn(a)
	return float64(n.head(h))
}

// specScratch is Logit's working memory (tens of MB for 6 s of speech), pooled so that live
// calls scoring in turn reuse it rather than feed the garbage collector.
type specScratch struct {
	act       [2][]float32
	cols, pre []float32
}

var specScratchPool = sync.Pool{New: func() any { return new(specScratch) }}

// specMean is the mean of the first bins values of spec's T rows.
func specMean(spec []float32, T, stride, bins int) []float32 {
	m := make([]float64, bins)
	for t := range T {
		for k, v := range spec[t*stride : t*stride+bins] {
			m[k] += float64(v)
		}
	}
	out := make([]float32, bins)
	for k, v := range m {
		out[k] = float32(v / float64(T))
	}
	return out
}

// headIn averages a over time and flattens it channel-major.
func (n *SpecNet) headIn(a specAct) []float32 {
	h := make([]float32, a.c*a.f)
	for t := range a.t {
		for f := range a.f {
			row := a.x[(t*a.f+f)*a.c : (t*a.f+f+1)*a.c]
			for c, v := range row {
				h[c*a.f+f] += v
			}
		}
	}
	inv := 1 / float32(a.t)
	for i := range h {
		h[i] *= inv
	}
	return h
}

// head applies the two fully connected layers to h (the second a one-class cosine if
// CosineScale is set).
func (n *SpecNet) head(h []float32) float32 {
	H, D := n.Hidden, len(h)
	out := n.B2
	var ee, ww float32
	for j := range H {
		u, v := n.B1[j], n.B1[j+H]
		wu, wv := n.W1[j*D:(j+1)*D], n.W1[(j+H)*D:(j+H+1)*D]
		for i, x := range h {
			u += wu[i] * x
			v += wv[i] * x
		}
		e := max(u, v)
		out += n.W2[j] * e
		ee += e * e
		ww += n.W2[j] * n.W2[j]
	}
	if n.CosineScale == 0 {
		return out
	}
	return n.CosineScale * (n.CosineCentre - cosine(out, ee, ww))
}

// cosineFloor bounds the norms a one-class head divides by, so that an all-zero hidden layer
// scores a cosine of 0 rather than NaN.
const cosineFloor = 1e-6

// cosineNorms returns √ee and √ww, each at least cosineFloor: the norms a one-class head
// divides by.
func cosineNorms(ee, ww float32) (en, wn float32) {
	return max(float32(math.Sqrt(float64(ee))), cosineFloor), max(float32(math.Sqrt(float64(ww))), cosineFloor)
}

// cosine is dot / (|e|·|w|) for squared norms ee and ww (cosineNorms).
func cosine(dot, ee, ww float32) float32 {
	en, wn := cosineNorms(ee, ww)
	return dot / (en * wn)
}

// oneClass reports whether n or any of its members has a one-class head.
func (n *SpecNet) oneClass() bool {
	if n.CosineScale > 0 {
		return true
	}
	for _, m := range n.Members {
		if m.oneClass() {
			return true
		}
	}
	return false
}

// readWeights reads the network's parameters, in marshalSpoof's order, for the shapes its JSON
// gave (checked first, so that a malformed section cannot ask for absurd allocations).
func (n *SpecNet) readWeights(r *reader) error {
	ch, f := 1, n.Bins
	if n.Bins < 1 || n.Bins > 1<<12 || n.Hidden < 1 || n.Hidden > 1<<12 || len(n.Layers) > 64 {
		return fmt.Errorf("%w: countermeasure spectrum network of bad shape", ErrMalformed)
	}
	for i := range n.Layers {
		l := &n.Layers[i]
		switch l.Kind {
		case SpecConv:
			if l.K < 1 || l.K > 15 || l.In != ch || l.Out < 1 || l.Out > 1<<10 {
				return fmt.Errorf("%w: countermeasure spectrum network layer %d of bad shape", ErrMalformed, i)
			}
			l.W, l.B = toF32(r.floats(l.K*l.K*l.In, 2*l.Out)), toF32(r.floats(2*l.Out))
			ch = l.Out
		case SpecNorm:
			if l.Out != ch {
				return fmt.Errorf("%w: countermeasure spectrum network layer %d of bad shape", ErrMalformed, i)
			}
			l.Scale, l.Shift = toF32(r.floats(ch)), toF32(r.floats(ch))
		case SpecPool:
			f /= 2
		}
	}
	if f < 1 {
		return fmt.Errorf("%w: countermeasure spectrum network pools away its input", ErrMalformed)
	}
	D := ch * f
	n.W1, n.B1, n.W2 = toF32(r.floats(2*n.Hidden, D)), toF32(r.floats(2*n.Hidden)), toF32(r.floats(n.Hidden))
	if b := r.floats(1); len(b) == 1 {
		n.B2 = float32(b[0])
	}
	if len(n.Members) > 16 {
		return fmt.Errorf("%w: countermeasure spectrum network of %d members", ErrMalformed, len(n.Members))
	}
	for i, m := range n.Members {
		if m == nil || len(m.Members) > 0 {
			return fmt.Errorf("%w: countermeasure spectrum network member %d missing or nested", ErrMalformed, i+1)
		}
		if err := m.readWeights(r); err != nil {
			return err
		}
	}
	return nil
}

// appendWeights appends the network's parameters, then each member's, in readWeights' order.
func (n *SpecNet) appendWeights(out []byte) []byte {
	// The shapes are in the JSON: each convolution's W and B, each norm's Scale and Shift, in
	// layer order, then the head.
	for _, l := range n.Layers {
		switch l.Kind {
		case SpecConv:
			out = append(out, payload(nil, toF64(l.W), toF64(l.B))...)
		case SpecNorm:
			out = append(out, payload(nil, toF64(l.Scale), toF64(l.Shift))...)
		}
	}
	out = append(out, payload(nil, toF64(n.W1), toF64(n.B1), toF64(n.W2), []float64{float64(n.B2)})...)
	for _, m := range n.Members {
		out = m.appendWeights(out)
	}
	return out
}

// specNetMagic opens EncodeSpecNet's encoding.
const specNetMagic = "VXSN"

// EncodeSpecNet returns n, with its members, as bytes (a training checkpoint, not a bundle):
// "VXSN", the length of its JSON (uint32, little-endian) and the JSON, its parameters as a
// bundle stores them (float32), then the CRC-32C of everything before. The parameters are
// float32 already, so DecodeSpecNet gives back the same network bit for bit.
func EncodeSpecNet(n *SpecNet) ([]byte, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	js, err := json.Marshal(n)
	if err != nil {
		return nil, err
	}
	out := append([]byte(specNetMagic), binary.LittleEndian.AppendUint32(nil, uint32(len(js)))...)
	out = append(out, js...)
	out = n.appendWeights(out)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli)), nil
}

// DecodeSpecNet reads EncodeSpecNet's encoding; a damaged or truncated one is an error
// wrapping ErrChecksum or ErrMalformed.
func DecodeSpecNet(b []byte) (*SpecNet, error) {
	if len(b) < len(specNetMagic)+8 || string(b[:len(specNetMagic)]) != specNetMagic {
		return nil, fmt.Errorf("%w: not a spectrum network", ErrMalformed)
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, ErrChecksum
	}
	body = body[len(specNetMagic):]
	m := binary.LittleEndian.Uint32(body)
	if uint64(m) > uint64(len(body)-4) {
		return nil, fmt.Errorf("%w: spectrum network JSON of %d bytes exceeds the data", ErrMalformed, m)
	}
	n := &SpecNet{}
	// A field this build does not know would change what the network computes: refused.
	dec := json.NewDecoder(bytes.NewReader(body[4 : 4+m]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(n); err != nil {
		return nil, fmt.Errorf("%w: spectrum network: %v", ErrMalformed, err)
	}
	r := &reader{b: body[4+m:], tag: specNetMagic}
	if err := n.readWeights(r); err != nil {
		return nil, err
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return n, nil
}
