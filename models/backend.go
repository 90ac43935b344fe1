package models

import "errors"

// Backend is the i-vector back end: subtraction of the training i-vectors'
// global mean (if Mean is set), optional LDA, optional WCCN, optional length
// normalisation, then PLDA scoring (or cosine scoring when PLDA is nil).
type Backend struct {
	Mean       []float64
	LDA        *Affine
	WCCN       *Affine
	LengthNorm bool
	PLDA       *PLDA
}

// BackendConfig controls TrainBackend.
type BackendConfig struct {
	LDADim     int  // 0: no LDA
	WCCN       bool // apply WCCN after LDA
	LengthNorm bool // length-normalise before PLDA/cosine (recommended)
	PLDA       bool // train PLDA; otherwise score by cosine
	PLDAIters  int  // EM iterations for PLDA (default 10)
}

// TrainBackend fits the back end on labelled i-vectors (labels: speaker
// index per vector), each stage on the output of the previous one.
func TrainBackend(ivecs [][]float64, labels []int, cfg BackendConfig) (*Backend, error) {
	if len(ivecs) == 0 {
		return nil, errors.New("models: no i-vectors to train the back end")
	}
	b := &Backend{LengthNorm: cfg.LengthNorm, Mean: make([]float64, len(ivecs[0]))}
	for _, v := range ivecs {
		if len(v) != len(b.Mean) {
			return nil, errors.New("models: i-vectors differ in dimension")
		}
		axpy(1/float64(len(ivecs)), v, b.Mean)
	}
	x := mapAll(ivecs, func(v []float64) []float64 {
		out := append([]float64(nil), v...)
		axpy(-1, b.Mean, out)
		return out
	})
	var err error
	if cfg.LDADim > 0 {
		if b.LDA, err = TrainLDA(x, labels, cfg.LDADim); err != nil {
			return nil, err
		}
		x = mapAll(x, func(v []float64) []float64 { return b.LDA.Apply(nil, v) })
	}
	if cfg.WCCN {
		if b.WCCN, err = TrainWCCN(x, labels); err != nil {
			return nil, err
		}
		x = mapAll(x, func(v []float64) []float64 { return b.WCCN.Apply(nil, v) })
	}
	if cfg.LengthNorm {
		x = mapAll(x, func(v []float64) []float64 { return LengthNorm(append([]float64(nil), v...)) })
	}
	if cfg.PLDA {
		it := cfg.PLDAIters
		if it <= 0 {
			it = 10
		}
		if b.PLDA, err = TrainPLDA(x, labels, it); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func mapAll(x [][]float64, f func([]float64) []float64) [][]float64 {
	out := make([][]float64, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	return out
}

// Embed maps an i-vector through LDA, WCCN and length normalisation into the
// scoring space and returns a new slice.
func (b *Backend) Embed(ivec []float64) []float64 {
	v := append([]float64(nil), ivec...)
	if b.Mean != nil {
		axpy(-1, b.Mean, v)
	}
	if b.LDA != nil {
		v = b.LDA.Apply(nil, v)
	}
	if b.WCCN != nil {
		v = b.WCCN.Apply(nil, v)
	}
	if b.LengthNorm {
		LengthNorm(v)
	}
	return v
}

// Score returns the raw verification score of embedded test vector test
// against one or more embedded enrollment vectors: the PLDA LLR (exact
// n-vs-1 formula) if a PLDA model is present, else the cosine with the
// average enrollment direction.
func (b *Backend) Score(enroll [][]float64, test []float64) float64 {
	if b.PLDA != nil {
		return b.PLDA.Score(enroll, test)
	}
	return CosineMulti(enroll, test)
}

// Cohort returns the top-N moments of the scores of embedded vector v (as a
// single-session model) against each embedded cohort vector, for ASNorm.
// scratch, if at least len(cohort) long, avoids an allocation.
func (b *Backend) Cohort(v []float64, cohort [][]float64, topN int, scratch []float64) CohortMoments {
	scratch = resizeF64(scratch, len(cohort))
	one := [][]float64{v}
	for i, c := range cohort {
		scratch[i] = b.Score(one, c)
	}
	return TopNMoments(scratch, topN)
}

// Backend returns the bundle's back end (nil models are simply absent).
func (bd *Bundle) Backend() *Backend {
	return &Backend{Mean: bd.IVectorMean, LDA: bd.LDA, WCCN: bd.WCCN, LengthNorm: bd.Meta.LengthNorm, PLDA: bd.PLDA}
}
