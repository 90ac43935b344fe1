package models

import (
	"errors"
	"fmt"
)

// Verifier is the loaded scoring chain of a bundle: statistics → i-vector →
// back end → score → adaptive S-norm against the cohort → calibration. All
// fields are read-only after NewVerifier, so one Verifier may serve many
// goroutines, each with its own scratch memory.
type Verifier struct {
	UBM         *GMM
	Extractor   *IVectorExtractor
	Backend     *Backend
	Cohort      [][]float64 // embedded cohort vectors (back-end space)
	SNormTopN   int
	Calibration *Calibration
	TopC        int
	SelectDims  int
	HierExpand  int
	MinPost     float64
	PostScale   float64 // 0 or 1: none
}

// NewVerifier assembles a Verifier from a bundle that has at least a UBM, an
// extractor and a back end; the cohort and calibration are optional. If the
// bundle asks for hierarchical selection, the hierarchy is built here.
func NewVerifier(b *Bundle) (*Verifier, error) {
	if b.UBM == nil || b.Extractor == nil {
		return nil, errors.New("models: a verifier needs a bundle with a UBM and an i-vector extractor")
	}
	v := &Verifier{UBM: b.UBM, Extractor: b.Extractor, Backend: b.Backend(), SNormTopN: b.Meta.SNormTopN,
		Calibration: b.Calibration, TopC: b.Meta.TopC, SelectDims: b.Meta.SelectDims, HierExpand: b.Meta.HierExpand,
		MinPost: b.Meta.MinPost, PostScale: b.Meta.PosteriorScale}
	if v.TopC <= 0 {
		v.TopC = 10
	}
	if b.Meta.HierGroups > 0 {
		if err := v.UBM.BuildHierarchy(b.Meta.HierGroups); err != nil {
			return nil, err
		}
	}
	for _, c := range b.Cohort {
		if len(c) != v.Extractor.R {
			return nil, fmt.Errorf("models: cohort vector of dimension %d, i-vectors have %d", len(c), v.Extractor.R)
		}
		v.Cohort = append(v.Cohort, v.Backend.Embed(c))
	}
	return v, nil
}

// NewScratch returns accumulation scratch memory configured as the bundle says.
func (v *Verifier) NewScratch() *Scratch {
	sc := v.UBM.NewScratch(v.TopC, v.SelectDims)
	sc.Groups = v.HierExpand
	sc.MinPost = v.MinPost
	return sc
}

// scaled applies the bundle's posterior scale to a copy of s (s itself if none).
func (v *Verifier) scaled(s *Stats) *Stats {
	if v.PostScale == 0 || v.PostScale == 1 {
		return s
	}
	c := s.Clone()
	c.Scale(v.PostScale)
	return c
}

// Embed returns the back-end embedding of statistics s.
func (v *Verifier) Embed(s *Stats, ws *IVScratch) ([]float64, error) {
	s = v.scaled(s)
	iv := make([]float64, v.Extractor.R)
	if err := v.Extractor.Extract(s, iv, ws); err != nil {
		return nil, err
	}
	return v.Backend.Embed(iv), nil
}

// Voiceprint is an enrolled model in back-end space: one embedding per
// enrollment session (scored with the multi-session formula) and the
// enrollment side's cohort moments for S-norm.
type Voiceprint struct {
	Embeddings [][]float64
	Cohort     CohortMoments
}

// Enroll builds a voiceprint from the embeddings of one or more sessions.
func (v *Verifier) Enroll(embeddings [][]float64) (*Voiceprint, error) {
	if len(embeddings) == 0 {
		return nil, errors.New("models: enrollment needs at least one session")
	}
	vp := &Voiceprint{Embeddings: embeddings, Cohort: CohortMoments{0, 1}}
	if len(v.Cohort) > 0 {
		sc := make([]float64, len(v.Cohort))
		for i, c := range v.Cohort {
			sc[i] = v.Backend.Score(embeddings, c)
		}
		vp.Cohort = TopNMoments(sc, v.SNormTopN)
	}
	return vp, nil
}

// TestCohort returns the test side's cohort moments (identity moments if
// there is no cohort); compute it once per test and reuse it across models.
func (v *Verifier) TestCohort(test []float64) CohortMoments {
	if len(v.Cohort) == 0 {
		return CohortMoments{0, 1}
	}
	return v.Backend.Cohort(test, v.Cohort, v.SNormTopN, nil)
}

// Score returns the score of test against vp: the back-end score, S-normed
// if there is a cohort, then calibrated if there is a calibration. With a
// calibration the result is a natural-log likelihood ratio; without one it
// is an uncalibrated score and must not be shown as an LLR.
func (v *Verifier) Score(vp *Voiceprint, test []float64, testCohort CohortMoments) float64 {
	s := v.Backend.Score(vp.Embeddings, test)
	if len(v.Cohort) > 0 {
		s = ASNorm(s, vp.Cohort, testCohort)
	}
	if v.Calibration != nil {
		s = v.Calibration.Apply(s)
	}
	return s
}

// EmbedAll returns the back-end embeddings of many statistics, extracting
// i-vectors in batches on workers goroutines (≤ 0: GOMAXPROCS).
func (v *Verifier) EmbedAll(stats []*Stats, workers int) ([][]float64, error) {
	if v.PostScale != 0 && v.PostScale != 1 {
		stats = append([]*Stats(nil), stats...)
		for i, s := range stats {
			stats[i] = v.scaled(s)
		}
	}
	ivs, err := v.Extractor.ExtractAll(stats, workers)
	if err != nil {
		return nil, err
	}
	return mapAll(ivs, v.Backend.Embed), nil
}
