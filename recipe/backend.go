package recipe

import (
	"fmt"
	"runtime"

	"github.com/voxguard/voxguard/models"
)

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// trainBackend fits LDA, length normalisation and PLDA on labelled i-vectors, and returns the
// PLDA-space vectors of the training data too.
func (c *TrainConfig) trainBackend(x [][]float64, labels []int, nSpk int) (*models.Affine, *models.PLDA, error) {
	dim := min(c.LDADim, nSpk-1, len(x[0]))
	lda, err := models.TrainLDA(x, labels, dim)
	if err != nil {
		return nil, nil, fmt.Errorf("LDA: %w", err)
	}
	y := make([][]float64, len(x))
	for i, v := range x {
		y[i] = models.LengthNorm(lda.Apply(nil, v))
	}
	plda, err := models.TrainPLDA(y, labels, c.PLDAIters)
	if err != nil {
		return nil, nil, fmt.Errorf("PLDA: %w", err)
	}
	return lda, plda, nil
}

// toU maps an i-vector through LDA, length normalisation and the PLDA transform.
func toU(lda *models.Affine, plda *models.PLDA, v []float64) []float64 {
	return plda.Transform(nil, models.LengthNorm(lda.Apply(nil, v)))
}

// cohortOf picks up to n training vectors spread evenly over the list, in u-space.
func cohortOf(lda *models.Affine, plda *models.PLDA, x [][]float64, n int) [][]float64 {
	step := max(1, len(x)/n)
	var out [][]float64
	for i := 0; i < len(x) && len(out) < n; i += step {
		out = append(out, toU(lda, plda, x[i]))
	}
	return out
}

// original reports whether an utterance comes from an un-augmented corpus folder (augmented
// copies carry a "~" in their file names, as bench/augment/make_augmented.py writes them).
func original(u Utt) bool {
	for _, r := range u.ID {
		if r == '~' {
			return false
		}
	}
	return true
}

// backend trains the final LDA/PLDA on every speaker and the calibration on two held-out folds:
// for each half of the speakers a back end trained on the other half scores trials among them
// (30 s and 3 s enrollments against whole recordings and their 1 s and 3 s openings), with the
// other half as S-norm cohort; the pooled scores train the logistic-regression calibration.
func (c *TrainConfig) backend(tv *models.Bundle, ts *trainSet, stats []*models.Stats, iv *ivecSet) (*models.Bundle, error) {
	nSpk := len(ts.names)
	var tar, non [][]float64
	for fold := range 2 {
		var trX [][]float64
		var trL []int
		relabel := map[int]int{}
		for i, s := range ts.spk {
			if s%2 != fold {
				if _, ok := relabel[s]; !ok {
					relabel[s] = len(relabel)
				}
				trX = append(trX, iv.full[i])
				trL = append(trL, relabel[s])
			}
		}
		lda, plda, err := c.trainBackend(trX, trL, len(relabel))
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", fold, err)
		}
		b := &models.Bundle{UBM: tv.UBM, Extractor: tv.Extractor, LDA: lda, PLDA: plda,
			Calibration: &models.Calibration{Weights: []float64{1}}, Cohort: cohortOf(lda, plda, trX, c.CohortSize)}
		b.Meta.SNormTopN = c.SNormTopN
		v, err := models.NewVerifier(b)
		if err != nil {
			return nil, err
		}
		t, n, err := c.foldTrials(v, tv, ts, stats, iv, fold)
		if err != nil {
			return nil, err
		}
		tar, non = append(tar, t...), append(non, n...)
	}
	c.logf("calibration: %d target and %d non-target held-out trials", len(tar), len(non))
	cal, err := models.TrainCalibration(tar, non, 0.5)
	if err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	c.logf("calibration: llr = %.4f * score %+.4f", cal.Weights[0], cal.Bias)

	lda, plda, err := c.trainBackend(iv.full, ts.spk, nSpk)
	if err != nil {
		return nil, err
	}
	return &models.Bundle{UBM: tv.UBM, Extractor: tv.Extractor, LDA: lda, PLDA: plda, Calibration: cal,
		Cohort: cohortOf(lda, plda, iv.full, c.CohortSize)}, nil
}

// foldTrials scores the held-out fold's trials with v and returns target and non-target rows.
func (c *TrainConfig) foldTrials(v *models.Verifier, tv *models.Bundle, ts *trainSet, stats []*models.Stats, iv *ivecSet, fold int) (tar, non [][]float64, err error) {
	ws := v.NewScratch()
	bySpk := map[int][]int{}
	for i, s := range ts.spk {
		if s%2 == fold && original(ts.utts[i]) {
			bySpk[s] = append(bySpk[s], i)
		}
	}
	type model struct {
		spk   int
		probe *models.Probe
	}
	var enrolls []model
	type test struct {
		spk   int
		probe *models.Probe
	}
	var tests []test
	embedIV := func(x []float64, frames float64) *models.Probe {
		e := models.LengthNorm(v.Bundle().LDA.Apply(nil, x))
		return v.PrepareEmbedding(e, frames, ws)
	}
	used := map[int]bool{}
	for s, idx := range bySpk {
		// 30 s enrollment: whole recordings until EnrollFrames voiced frames.
		sum := models.NewStats(tv.UBM.C, tv.UBM.D)
		for _, i := range idx {
			if sum.Frames() >= float64(c.EnrollFrames) {
				break
			}
			if err := sum.Add(stats[i]); err != nil {
				return nil, nil, err
			}
			used[i] = true
		}
		p, err := v.Prepare(sum, ws)
		if err != nil {
			return nil, nil, err
		}
		enrolls = append(enrolls, model{s, p})
		// Short enrollment: the 3 s opening of the first recording.
		if first := idx[0]; iv.s3[first] != nil {
			enrolls = append(enrolls, model{s, embedIV(iv.s3[first], 300)})
		}
	}
	for s, idx := range bySpk {
		for _, i := range idx {
			if used[i] {
				continue
			}
			tests = append(tests, test{s, embedIV(iv.full[i], stats[i].Frames())})
			if iv.s1[i] != nil {
				tests = append(tests, test{s, embedIV(iv.s1[i], 100)})
			}
			if iv.s3[i] != nil {
				tests = append(tests, test{s, embedIV(iv.s3[i], 300)})
			}
		}
	}
	for _, m := range enrolls {
		for _, t := range tests {
			row := []float64{v.RawScore(m.probe, t.probe)}
			if m.spk == t.spk {
				tar = append(tar, row)
			} else {
				non = append(non, row)
			}
		}
	}
	return tar, non, nil
}
