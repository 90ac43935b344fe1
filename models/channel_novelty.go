package models

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ChannelNovelty measures how far a recording's length-normalised i-vector lies from the
// distribution of clean training recordings', whatever the cause. The linear detector
// (ChannelDetector.Linear) knows the degradations it was trained on and little else: on channels
// made of parts no training copy went through (other codecs, music, hum, reverberation) it says
// "clean" for most recordings, and the calibration then treats them as clean. The novelty score
// does not depend on which degradation moved the i-vector, only on how far it moved.
//
// The score of a recording with length-normalised i-vector x and f voiced frames is
// z = ln d − (LogDist0 + LogDist1·lf), d = (x − Mean)ᵀ Precision (x − Mean) the squared
// Mahalanobis distance from the clean recordings' Gaussian, lf = ln(clamp(f, MinFrames,
// MaxFrames)): d measured against what clean recordings of that much speech give (short ones lie
// farther out). Logit maps (z, z·lf, lf) to the log-odds of a degraded channel, so that short
// recordings, where clean and degraded overlap, get probabilities nearer ½.
type ChannelNovelty struct {
	Mean      []float64 // R: mean of the clean recordings' length-normalised i-vectors
	Precision []float64 // R×R, row-major: inverse of their covariance (shrunk towards a multiple of I)
	// LogDist0 and LogDist1 give the clean recordings' expected ln d at lf (natural log units).
	LogDist0, LogDist1 float64
	// MinFrames and MaxFrames bound the voiced frames (10 ms each) lf is taken of.
	MinFrames, MaxFrames float64
	// Logit is the logistic regression on (z, z·lf, lf).
	Logit *LinearScorer
}

// NoveltyInputs is the number of inputs of ChannelNovelty.Logit.
const NoveltyInputs = 3

// Validate checks the shapes and values.
func (n *ChannelNovelty) Validate() error {
	if n == nil || n.Logit == nil {
		return errors.New("models: channel novelty has no classifier")
	}
	R := len(n.Mean)
	if R == 0 || len(n.Precision) != R*R {
		return errors.New("models: channel novelty has inconsistent dimensions")
	}
	if len(n.Logit.W) != NoveltyInputs {
		return fmt.Errorf("models: channel novelty classifier has %d inputs, want %d", len(n.Logit.W), NoveltyInputs)
	}
	for _, v := range append([]float64{n.LogDist0, n.LogDist1, n.MinFrames, n.MaxFrames}, n.Mean...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("models: channel novelty has a non-finite value")
		}
	}
	if !(n.MinFrames > 0 && n.MaxFrames >= n.MinFrames) {
		return fmt.Errorf("models: channel novelty frame range [%g, %g] is not valid", n.MinFrames, n.MaxFrames)
	}
	for _, v := range n.Precision {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("models: channel novelty precision has a non-finite value")
		}
	}
	return n.Logit.Validate()
}

// Distance returns the squared Mahalanobis distance d of a length-normalised i-vector x (length
// R) from the clean recordings' Gaussian. tmp is scratch of length ≥ R (nil allocates).
func (n *ChannelNovelty) Distance(x, tmp []float64) float64 {
	R := len(n.Mean)
	if len(tmp) < R {
		tmp = make([]float64, R)
	}
	c := tmp[:R]
	for i := range c {
		c[i] = x[i] - n.Mean[i]
	}
	var d float64
	for i, ci := range c {
		d += ci * dot(n.Precision[i*R:(i+1)*R], c)
	}
	return max(d, 1e-12)
}

// inputs returns the classifier's inputs (z, z·lf, lf) for distance d and frames f.
func (n *ChannelNovelty) inputs(d, frames float64) [NoveltyInputs]float64 {
	lf := math.Log(min(max(frames, n.MinFrames), n.MaxFrames))
	z := math.Log(d) - (n.LogDist0 + n.LogDist1*lf)
	return [NoveltyInputs]float64{z, z * lf, lf}
}

// Degraded returns the probability in [0, 1] that a recording with length-normalised i-vector x
// and the given voiced frames came through a degraded channel, by its novelty alone. tmp is
// scratch of length ≥ R (nil allocates).
func (n *ChannelNovelty) Degraded(x []float64, frames float64, tmp []float64) float64 {
	in := n.inputs(n.Distance(x, tmp), frames)
	return sigmoid(n.Logit.Score(in[:]))
}

// NoveltySample is one recording (or excerpt) for TrainChannelNovelty.
type NoveltySample struct {
	X        []float64 // length-normalised i-vector (LengthNorm)
	Frames   float64   // voiced frames it was extracted from
	Degraded bool      // whether it went through a degraded channel
	// Fit marks the clean whole recordings the Gaussian is fitted on (never with Degraded).
	Fit bool
	// Fold in [0, folds) is the cross-fitting fold: the sample's distance is measured against
	// the Gaussian fitted on the other folds' Fit samples (folds should split by speaker).
	Fold int
}

// NoveltyTrainConfig configures TrainChannelNovelty.
type NoveltyTrainConfig struct {
	Folds int // cross-fitting folds (≥ 2)
	// Shrink pulls the covariance towards (trace/R)·I by this fraction, in [0, 1).
	Shrink float64
	// MinFrames and MaxFrames bound the frames the duration term is taken of.
	MinFrames, MaxFrames float64
	L2                   float64 // the classifier's L2 weight on standardised inputs
}

// TrainChannelNovelty fits a ChannelNovelty: each sample's distance is measured against the
// Gaussian of the Fit samples of the other folds, so that clean recordings are not judged by a
// Gaussian they helped fit (in-sample distances are markedly smaller); the expected ln d of clean
// samples is fitted as a line in lf, and the classifier on the clean against the degraded samples.
// The returned Gaussian is fitted on every Fit sample.
func TrainChannelNovelty(samples []NoveltySample, c NoveltyTrainConfig) (*ChannelNovelty, error) {
	if c.Folds < 2 {
		return nil, errors.New("models: channel novelty needs at least 2 folds")
	}
	if !(c.Shrink >= 0 && c.Shrink < 1) {
		return nil, fmt.Errorf("models: channel novelty shrink %g not in [0, 1)", c.Shrink)
	}
	if len(samples) == 0 {
		return nil, errors.New("models: channel novelty needs samples")
	}
	R := len(samples[0].X)
	for i, s := range samples {
		if len(s.X) != R {
			return nil, fmt.Errorf("models: channel novelty sample %d has dimension %d, want %d", i, len(s.X), R)
		}
		if s.Fold < 0 || s.Fold >= c.Folds {
			return nil, fmt.Errorf("models: channel novelty sample %d in fold %d of %d", i, s.Fold, c.Folds)
		}
		if s.Fit && s.Degraded {
			return nil, fmt.Errorf("models: channel novelty sample %d is degraded but marked to fit the clean Gaussian", i)
		}
	}
	n := &ChannelNovelty{MinFrames: c.MinFrames, MaxFrames: c.MaxFrames}
	dist := make([]float64, len(samples))
	tmp := make([]float64, R)
	for k := range c.Folds {
		var fit [][]float64
		for _, s := range samples {
			if s.Fit && s.Fold != k {
				fit = append(fit, s.X)
			}
		}
		g, err := cleanGaussian(fit, c.Shrink)
		if err != nil {
			return nil, fmt.Errorf("models: channel novelty fold %d: %w", k, err)
		}
		for i, s := range samples {
			if s.Fold == k {
				dist[i] = g.Distance(s.X, tmp)
			}
		}
	}
	// ln d of the clean samples against lf: least squares for LogDist0, LogDist1.
	var sw, sx, sy, sxx, sxy float64
	for i, s := range samples {
		if s.Degraded {
			continue
		}
		x := math.Log(min(max(s.Frames, c.MinFrames), c.MaxFrames))
		y := math.Log(dist[i])
		sw++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	if sw < 2 {
		return nil, errors.New("models: channel novelty needs clean samples")
	}
	if den := sw*sxx - sx*sx; den > 1e-9*sw*sw {
		n.LogDist1 = (sw*sxy - sx*sy) / den
	}
	n.LogDist0 = (sy - n.LogDist1*sx) / sw
	var pos, neg [][]float64
	for i, s := range samples {
		in := n.inputs(dist[i], s.Frames)
		if s.Degraded {
			pos = append(pos, in[:])
		} else {
			neg = append(neg, in[:])
		}
	}
	l, err := TrainLogistic(pos, neg, c.L2, 30)
	if err != nil {
		return nil, fmt.Errorf("models: channel novelty classifier: %w", err)
	}
	n.Logit = l
	var fit [][]float64
	for _, s := range samples {
		if s.Fit {
			fit = append(fit, s.X)
		}
	}
	g, err := cleanGaussian(fit, c.Shrink)
	if err != nil {
		return nil, fmt.Errorf("models: channel novelty: %w", err)
	}
	n.Mean, n.Precision = g.Mean, g.Precision
	return n, n.Validate()
}

// cleanGaussian fits the mean and the inverse of the shrunk covariance of xs.
func cleanGaussian(xs [][]float64, shrink float64) (*ChannelNovelty, error) {
	if len(xs) < 2 {
		return nil, errors.New("too few clean recordings for a Gaussian")
	}
	R := len(xs[0])
	mean := make([]float64, R)
	for _, x := range xs {
		for i, v := range x {
			mean[i] += v
		}
	}
	for i := range mean {
		mean[i] /= float64(len(xs))
	}
	cov := mat.NewSymDense(R, nil)
	c := make([]float64, R)
	for _, x := range xs {
		for i := range c {
			c[i] = x[i] - mean[i]
		}
		cov.SymRankOne(cov, 1, mat.NewVecDense(R, c))
	}
	cov.ScaleSym(1/float64(len(xs)-1), cov)
	var tr float64
	for i := range R {
		tr += cov.At(i, i)
	}
	for i := range R {
		for j := i; j < R; j++ {
			v := (1 - shrink) * cov.At(i, j)
			if i == j {
				v += shrink * tr / float64(R)
			}
			cov.SetSym(i, j, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return nil, errors.New("clean covariance is not positive definite (raise the shrinkage)")
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, err
	}
	prec := make([]float64, R*R)
	for i := range R {
		for j := range R {
			prec[i*R+j] = inv.At(i, j)
		}
	}
	return &ChannelNovelty{Mean: mean, Precision: prec}, nil
}

// marshalNovelty serialises n as the CHNV section: dims(R), Mean[R], Precision[R·R], then
// LogDist0, LogDist1, MinFrames, MaxFrames, then the classifier's Mean[3], Scale[3], W[3] and B.
func marshalNovelty(n *ChannelNovelty) ([]byte, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	l := n.Logit
	return payload(dims(len(n.Mean)), n.Mean, n.Precision,
		[]float64{n.LogDist0, n.LogDist1, n.MinFrames, n.MaxFrames}, l.Mean, l.Scale, l.W, []float64{l.B}), nil
}

// parseNovelty reads a CHNV section.
func parseNovelty(r *reader) (*ChannelNovelty, error) {
	R := r.dim()
	n := &ChannelNovelty{Mean: r.floats(R), Precision: r.floats(R, R)}
	t := r.floats(4)
	l := &LinearScorer{Mean: r.floats(NoveltyInputs), Scale: r.floats(NoveltyInputs), W: r.floats(NoveltyInputs)}
	b := r.floats(1)
	if err := r.done(); err != nil {
		return nil, err
	}
	n.LogDist0, n.LogDist1, n.MinFrames, n.MaxFrames = t[0], t[1], t[2], t[3]
	l.B = b[0]
	n.Logit = l
	if err := n.Validate(); err != nil {
		return nil, errors.Join(ErrMalformed, err)
	}
	return n, nil
}
