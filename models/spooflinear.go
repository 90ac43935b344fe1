package models

import (
	"errors"
	"fmt"
	"math"
)

// LinearScorer is an L2-regularised logistic-regression classifier on standardised
// recording-level features (the countermeasure's long-term spectral statistics):
//
//	score(x) = B + Σ_i W_i (x_i − Mean_i) / Scale_i
//
// a log-odds of spoof versus bona fide at the balanced training prior.
type LinearScorer struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
	W     []float64 `json:"w"`
	B     float64   `json:"b"`
}

// Validate checks the shapes and values.
func (l *LinearScorer) Validate() error {
	n := len(l.W)
	if n == 0 || len(l.Mean) != n || len(l.Scale) != n {
		return errors.New("models: linear scorer has inconsistent dimensions")
	}
	for i := range n {
		if !(l.Scale[i] > 0) || math.IsNaN(l.W[i]) || math.IsInf(l.W[i], 0) || math.IsNaN(l.Mean[i]) {
			return fmt.Errorf("models: linear scorer has a bad value at %d", i)
		}
	}
	if math.IsNaN(l.B) || math.IsInf(l.B, 0) {
		return errors.New("models: linear scorer bias is not finite")
	}
	return nil
}

// Dim is the length of the feature vectors scored.
func (l *LinearScorer) Dim() int { return len(l.W) }

// Score returns the classifier's log-odds for x (length len(W)).
func (l *LinearScorer) Score(x []float64) float64 {
	s := l.B
	for i, w := range l.W {
		s += w * (x[i] - l.Mean[i]) / l.Scale[i]
	}
	return s
}

// TrainLogistic fits a LinearScorer separating pos (label 1, spoof) from neg (label 0, bona
// fide) by Newton's method on the class-balanced mean logistic loss plus (l2/2)·|W|² on features
// standardised over both classes:
//
//	L = ½ mean_pos softplus(−s) + ½ mean_neg softplus(s) + (l2/2) Σ W_i²
func TrainLogistic(pos, neg [][]float64, l2 float64, iters int) (*LinearScorer, error) {
	if len(pos) == 0 || len(neg) == 0 {
		return nil, errors.New("models: logistic regression needs both classes")
	}
	if !(l2 > 0) {
		return nil, errors.New("models: logistic regression needs a positive L2 weight")
	}
	if iters <= 0 {
		iters = 30
	}
	D := len(pos[0])
	mean, scale, err := standardisation(pos, neg)
	if err != nil {
		return nil, err
	}
	l := &LinearScorer{Mean: mean, Scale: scale, W: make([]float64, D)}
	P := D + 1 // parameters: W then B
	z := make([]float64, P)
	H := make([]float64, P*P)
	g := make([]float64, P)
	for range iters {
		clear(H)
		clear(g)
		for c, set := range [][][]float64{neg, pos} {
			wt := 0.5 / float64(len(set))
			y := float64(c)
			for _, x := range set {
				for i := range D {
					z[i] = (x[i] - l.Mean[i]) / l.Scale[i]
				}
				z[D] = 1
				s := l.B + dot(l.W, z[:D])
				p := 1 / (1 + math.Exp(-s))
				r := wt * (p - y)
				h := wt * p * (1 - p)
				for i := range P {
					g[i] += r * z[i]
					if h == 0 {
						continue
					}
					hz := h * z[i]
					row := H[i*P : i*P+i+1]
					for j := range row {
						row[j] += hz * z[j]
					}
				}
			}
		}
		for i := range D {
			g[i] += l2 * l.W[i]
			H[i*P+i] += l2
		}
		H[D*P+D] += 1e-9
		if err := cholesky(H, P); err != nil {
			return nil, fmt.Errorf("models: logistic regression: %w", err)
		}
		cholSolve(H, P, g)
		var step float64
		for i := range D {
			l.W[i] -= g[i]
			step = max(step, math.Abs(g[i]))
		}
		l.B -= g[D]
		if step < 1e-8 {
			break
		}
	}
	return l, l.Validate()
}

// standardisation returns the mean and standard deviation (+1e-9) of every feature over both
// classes' vectors, checking that they all have the length of pos[0].
func standardisation(pos, neg [][]float64) (mean, scale []float64, err error) {
	D := len(pos[0])
	n := float64(len(pos) + len(neg))
	mean, scale = make([]float64, D), make([]float64, D)
	for k, set := range [][][]float64{pos, neg} {
		for i, x := range set {
			if len(x) != D {
				return nil, nil, fmt.Errorf("models: feature vector %d has length %d, want %d", i+k*len(pos), len(x), D)
			}
			for j, v := range x {
				mean[j] += v / n
			}
		}
	}
	for _, set := range [][][]float64{pos, neg} {
		for _, x := range set {
			for j, v := range x {
				d := v - mean[j]
				scale[j] += d * d / n
			}
		}
	}
	for j := range scale {
		scale[j] = math.Sqrt(scale[j]) + 1e-9
	}
	return mean, scale, nil
}

// SpoofFusion combines the GMM score and the linear scorer's score as a weighted sum of z-scores,
// each standardised by its mean and standard deviation on held-out bona fide speech:
//
//	fused = w (gmm − GMMMean)/GMMStd + (1 − w) (lin − LinMean)/LinStd,   w = GMMWeight
//
// With a frame network (Countermeasure.Net) that fused score and the network's are standardised
// the same way and summed once more (FuseNet):
//
//	total = (1 − v) (fused − FusedMean)/FusedStd + v (net − NetMean)/NetStd,   v = NetWeight
type SpoofFusion struct {
	GMMWeight float64 `json:"gmm_weight"`
	GMMMean   float64 `json:"gmm_mean"`
	GMMStd    float64 `json:"gmm_std"`
	LinMean   float64 `json:"lin_mean"`
	LinStd    float64 `json:"lin_std"`
	NetWeight float64 `json:"net_weight,omitempty"`
	FusedMean float64 `json:"fused_mean,omitempty"`
	FusedStd  float64 `json:"fused_std,omitempty"`
	NetMean   float64 `json:"net_mean,omitempty"`
	NetStd    float64 `json:"net_std,omitempty"`
	// VQWeight, VQMean and VQStd fuse a voice-source scorer (Countermeasure.VQ) in FuseVQ.
	VQWeight float64 `json:"vq_weight,omitempty"`
	VQMean   float64 `json:"vq_mean,omitempty"`
	VQStd    float64 `json:"vq_std,omitempty"`
	// SpecWeight, SpecMean and SpecStd fuse a spectrum network (Countermeasure.Spec) with the
	// other systems' total (BaseMean, BaseStd) in FuseSpec.
	SpecWeight float64 `json:"spec_weight,omitempty"`
	SpecMean   float64 `json:"spec_mean,omitempty"`
	SpecStd    float64 `json:"spec_std,omitempty"`
	BaseMean   float64 `json:"base_mean,omitempty"`
	BaseStd    float64 `json:"base_std,omitempty"`
}

// FuseSpec returns the total score of a recording whose other systems' total (Combine) is base
// and whose spectrum network's log-odds is spec: each standardised on held-out bona fide
// recordings, weighted 1 − SpecWeight and SpecWeight (with SpecWeight 1, base is ignored).
func (f *SpoofFusion) FuseSpec(base, spec float64) float64 {
	z := f.SpecWeight * (spec - f.SpecMean) / f.SpecStd
	if f.SpecWeight >= 1 {
		return z
	}
	return z + (1-f.SpecWeight)*(base-f.BaseMean)/f.BaseStd
}

// FuseVQ returns the total score of a recording whose two-system fused score (Fuse) is fused,
// whose frame network's mean log-odds is net and whose voice-source scorer's log-odds is vq:
// each standardised on held-out bona fide recordings, weighted 1 − NetWeight − VQWeight,
// NetWeight and VQWeight.
func (f *SpoofFusion) FuseVQ(fused, net, vq float64) float64 {
	return (1-f.NetWeight-f.VQWeight)*(fused-f.FusedMean)/f.FusedStd + f.NetWeight*(net-f.NetMean)/f.NetStd +
		f.VQWeight*(vq-f.VQMean)/f.VQStd
}

// SetSpec estimates FuseSpec's standardisation from held-out bona fide recordings' other-systems
// totals base and spectrum network log-odds spec; w is the network's weight in (0, 1].
func (f *SpoofFusion) SetSpec(base, spec []float64, w float64) error {
	bm, bs, sm, ss, err := standardisePair("spectrum network", base, spec, w)
	if err != nil {
		return err
	}
	f.SpecWeight, f.BaseMean, f.BaseStd, f.SpecMean, f.SpecStd = w, bm, bs, sm, ss
	return nil
}

// SetVQ estimates FuseVQ's standardisation of the voice-source scores from held-out bona fide
// recordings' scores vq (SetNet first); w is its weight, with NetWeight + w < 1.
func (f *SpoofFusion) SetVQ(vq []float64, w float64) error {
	if !(w > 0 && f.NetWeight+w < 1) {
		return errors.New("models: voice-source weight must be positive and leave the fused score a share")
	}
	if len(vq) < 2 {
		return errors.New("models: voice-source fusion needs at least two bona fide scores")
	}
	f.VQWeight = w
	f.VQMean, f.VQStd = meanStd(vq)
	if !(f.VQStd > 0) {
		return errors.New("models: voice-source fusion: bona fide scores without spread")
	}
	return nil
}

// FuseNet returns the total score of a recording whose two-system fused score (Fuse) is fused
// and whose frame network's mean log-odds is net.
func (f *SpoofFusion) FuseNet(fused, net float64) float64 {
	return (1-f.NetWeight)*(fused-f.FusedMean)/f.FusedStd + f.NetWeight*(net-f.NetMean)/f.NetStd
}

// SetNet estimates FuseNet's standardisation from held-out bona fide recordings' fused scores
// and frame network scores; v is the network's weight in (0, 1].
func (f *SpoofFusion) SetNet(fused, net []float64, v float64) error {
	fm, fs, nm, ns, err := standardisePair("frame network", fused, net, v)
	if err != nil {
		return err
	}
	f.NetWeight, f.FusedMean, f.FusedStd, f.NetMean, f.NetStd = v, fm, fs, nm, ns
	return nil
}

// standardisePair checks a fusion of the paired bona fide scores base and sys (at least two,
// each with spread) in which system (named in errors) has weight w in (0, 1], and returns
// their means and sample standard deviations.
func standardisePair(system string, base, sys []float64, w float64) (bm, bs, sm, ss float64, err error) {
	if !(w > 0 && w <= 1) {
		return 0, 0, 0, 0, fmt.Errorf("models: %s weight outside (0, 1]", system)
	}
	if len(base) < 2 || len(base) != len(sys) {
		return 0, 0, 0, 0, fmt.Errorf("models: %s fusion needs at least two paired bona fide scores", system)
	}
	bm, bs = meanStd(base)
	sm, ss = meanStd(sys)
	if !(bs > 0) || !(ss > 0) {
		return 0, 0, 0, 0, fmt.Errorf("models: %s fusion: bona fide scores without spread", system)
	}
	return bm, bs, sm, ss, nil
}

// meanStd is the mean and sample standard deviation of v.
func meanStd(v []float64) (m, s float64) {
	for _, x := range v {
		m += x / float64(len(v))
	}
	for _, x := range v {
		s += (x - m) * (x - m) / float64(len(v)-1)
	}
	return m, math.Sqrt(s)
}

// Fuse returns the fused score.
func (f *SpoofFusion) Fuse(gmm, lin float64) float64 {
	return f.GMMWeight*(gmm-f.GMMMean)/f.GMMStd + (1-f.GMMWeight)*(lin-f.LinMean)/f.LinStd
}

// NewSpoofFusion estimates the fusion's standardisation from the two scores of held-out bona
// fide recordings; w is the GMM's weight in [0, 1].
func NewSpoofFusion(gmm, lin []float64, w float64) (*SpoofFusion, error) {
	if !(w >= 0 && w <= 1) {
		return nil, errors.New("models: fusion weight outside [0, 1]")
	}
	if len(gmm) < 2 || len(gmm) != len(lin) {
		return nil, errors.New("models: fusion needs at least two paired bona fide scores")
	}
	ms := func(v []float64) (m, s float64) {
		m, s = meanStd(v)
		return m, s + 1e-9
	}
	f := &SpoofFusion{GMMWeight: w}
	f.GMMMean, f.GMMStd = ms(gmm)
	f.LinMean, f.LinStd = ms(lin)
	return f, nil
}
