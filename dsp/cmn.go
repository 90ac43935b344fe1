package dsp

import "math"

// SlidingCMN subtracts from each frame the mean over a centred window of w frames (Kaldi
// apply-cmvn-sliding --cmn-window=w --center=true --norm-vars=false); recordings shorter than the
// window are normalised by their overall mean.
func SlidingCMN(feats [][]float32, w int) [][]float32 {
	T := len(feats)
	out := make([][]float32, T)
	for t := range out {
		s, e := windowBounds(t, w, T)
		d := len(feats[t])
		row := make([]float32, d)
		for k := range d {
			var sum float64
			for _, f := range feats[s:e] {
				sum += float64(f[k])
			}
			row[k] = float32(float64(feats[t][k]) - sum/float64(e-s))
		}
		out[t] = row
	}
	return out
}

// FeatureWarp maps each coefficient to the standard normal quantile of its rank within a centred
// window of w frames (feature warping): rank r of N (values strictly smaller, plus half of the
// other equal ones) becomes Φ⁻¹((r + ½)/N).
func FeatureWarp(feats [][]float32, w int) [][]float32 {
	T := len(feats)
	out := make([][]float32, T)
	for t := range out {
		s, e := windowBounds(t, w, T)
		d := len(feats[t])
		row := make([]float32, d)
		for k := range d {
			row[k] = float32(warpValue(feats[t][k], feats[s:e], k))
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
