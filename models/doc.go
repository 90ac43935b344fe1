// Package models holds voxguard's speaker statistics: a diagonal-covariance
// Gaussian mixture universal background model (UBM) with top-C Gaussian
// selection, zeroth- and first-order Baum-Welch statistics, MAP adaptation with
// GMM-UBM log-likelihood-ratio scoring, an i-vector extractor, the LDA / WCCN /
// length-normalisation / PLDA / cosine back end, adaptive S-norm, logistic
// regression calibration to log-likelihood ratios, and the versioned binary
// model bundle that carries all of them. Evaluation measures live in the
// subpackage metrics.
//
// The package is pure maths: it sees feature frames ([]float32 of length D,
// typically D = 60 MFCC+Δ+ΔΔ at 100 frames/s) and never audio, sockets or
// files. Natural logarithms are used throughout; every score labelled LLR is a
// natural-log likelihood ratio log p(x|target)/p(x|non-target).
//
// Training (offline, see Example):
//
//	ubm, _, _ := TrainUBM(SubsampleFrames(frames, 500000, seed), UBMConfig{Components: 512})
//	stats, _ := ubm.UtteranceStats(utterances, 10, 0, 0)
//	ext, _ := TrainIVectorExtractor(ubm, stats, IVectorTrainConfig{R: 200, MinDiv: true})
//	ivs, _ := ext.ExtractAll(stats, 0)
//	be, _ := TrainBackend(ivs, speakerLabels, BackendConfig{LDADim: 150, LengthNorm: true, PLDA: true})
//	cal, _ := TrainCalibration(devTargetScores, devNonTargetScores, 0.01)
//	(&Bundle{...}).WriteTo(w)
//
// Scoring (a live call accumulates statistics frame by frame in constant
// memory; a voiceprint is the sum of its enrollment sessions' statistics):
//
//	v, _ := NewVerifier(bundle)                  // bundle from ReadBundle(r, frontEndConfig)
//	gs, st := bundle.UBM.NewScratch(topC, 0), bundle.UBM.NewStats()
//	bundle.UBM.Accumulate(st, frame, gs)         // every 10 ms frame, no allocation
//	ws := v.NewScratch()                         // per goroutine
//	probe, _ := v.Prepare(st, ws)                // at decision points
//	llr, ok := v.Score(voiceprintProbe, probe)   // calibrated LLR; ok false: too little speech
//
// Concurrency: models (GMM, IVectorExtractor, Backend, PLDA, Verifier) are
// read-only once built and may be shared; every goroutine needs its own
// Scratch / IVScratch.
package models
