// Package models holds voxguard's speaker statistics: a diagonal-covariance
// Gaussian mixture universal background model (UBM) with top-C Gaussian
// selection, zeroth- and first-order Baum-Welch statistics, MAP adaptation with
// GMM-UBM log-likelihood-ratio scoring, an i-vector extractor, the LDA / WCCN /
// length-normalisation / PLDA / cosine back end, adaptive S-norm, logistic
// regression calibration to log-likelihood ratios, and the versioned binary
// model bundle that carries all of them.
//
// The package is pure maths: it sees feature frames ([]float32 of length D,
// typically D = 60 MFCC+Δ+ΔΔ at 100 frames/s) and never audio, sockets or
// files. Natural logarithms are used throughout; every score labelled LLR is a
// natural-log likelihood ratio log p(x|target)/p(x|non-target).
package models
