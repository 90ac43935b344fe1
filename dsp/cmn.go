package dsp

import "math"

// SlidingCMN subtracts from each frame the mean over a centred window of w frames (Kaldi
// apply-cmvn-sliding --cmn-window=w --center=true --norm-vars=false); recordings shorter than the
// window are normalised by their overall mean.
func SlidingCMN(feats [][]float32, w int) [][]float32 {
	return perWindow(feats, w, func(x float32, window [][]float32, k int) float64 {
		var sum float64
		for _, f := range window {
			sum += float64(f[k])
		}
		return float64(x) - sum/float64(len(window))
	})
}

// FeatureWarp maps each coefficient to the standard normal quantile of its rank within a centred
// window of w frames (feature warping): rank r of N (values strictly smaller, plus half of the
// other equal ones) becomes Φ⁻¹((r + ½)/N).
func FeatureWarp(feats [][]float32, w int) [][]float32 {
	return perWindow(feats, w, warpValue)
}

// perWindow maps every coefficient x (column k of frame t) to f(x, window, k), where window is
// the centred window of w frames around t laid out as windowBounds does.
func perWindow(feats [][]float32, w int, f func(x float32, window [][]float32, k int) float64) [][]float32 {
	T := len(feats)
	out := make([][]float32, T)
	for t := range out {
		s, e := windowBounds(t, w, T)
		row := make([]float32, len(feats[t]))
		for k, x := range feats[t] {
			row[k] = float32(f(x, feats[s:e], k))
		}
		out[t] = row
	}
	return out
}

// warpValue is the warped value of x among column k of the window frames.
func warpValue(x float32, window [][]float32, k int) float64 {
	var below, equal int
	for _, f := range window {
		switch v := f[k]; {
		case v < x:
			below++
		case v == x:
			equal++
		}
	}
	// x itself is one of the equal values.
	r := float64(below) + 0.5*float64(equal-1)
	return normalQuantile((r + 0.5) / float64(len(window)))
}

// normalQuantile is Φ⁻¹(p), the standard normal quantile.
func normalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// FrameSum runs cfg's front end over samples without its normalisation and returns the sum of
// every frame (voiced or not: a normalisation window holds both) and their number: summed over
// training recordings and divided, the mean FrontendConfig.NormPrior wants.
func FrameSum(samples []float32, cfg FrontendConfig) (sum []float64, frames int, err error) {
	cfg.Norm, cfg.NormWindow, cfg.NormAhead, cfg.NormPrior, cfg.NormPriorFrames = NormNone, 0, 0, nil, 0
	fr, _, err := Process(samples, cfg)
	if err != nil {
		return nil, 0, err
	}
	sum = make([]float64, cfg.Dim())
	for _, f := range fr {
		for k, v := range f {
			sum[k] += float64(v)
		}
	}
	return sum, len(fr), nil
}
