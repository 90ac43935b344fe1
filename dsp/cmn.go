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
