package models

import (
	"errors"
	"fmt"
	"slices"
)

// Scorer names accepted in Metadata.Scorers.
const (
	// ScorerBackend is the back end's score: PLDA LLR if the bundle has PLDA,
	// else cosine; S-normed when there is a cohort.
	ScorerBackend = "backend"
	// ScorerCosine is the cosine with the average enrollment embedding,
	// S-normed when there is a cohort.
	ScorerCosine = "cosine"
	// ScorerGMMUBM is StatsGMMUBMScore of the MAP-adapted enrollment model
	// (relevance Metadata.Relevance, default 16) against the test statistics.
	ScorerGMMUBM = "gmmubm"
)

// Verifier is the loaded scoring chain of a bundle: statistics → i-vector →
// back end → raw scores of one or more scorers → adaptive S-norm against the
// cohort → calibration (fusion) to an LLR. All fields are read-only after
// NewVerifier, so one Verifier may serve many goroutines, each with its own
// scratch memory.
type Verifier struct {
	UBM         *GMM
	Extractor   *IVectorExtractor
	Backend     *Backend
	Cohort      [][]float64 // embedded cohort vectors (back-end space)
	SNormTopN   int
	Calibration *Calibration
	Scorers     []string // fused in this order; default [ScorerBackend]
	Relevance   float64
	TopC        int
	SelectDims  int
	HierExpand  int
	MinPost     float64
	PostScale   float64 // 0 or 1: none
}

// NewVerifier assembles a Verifier from a bundle that has at least a UBM and
// an i-vector extractor; back-end models, cohort and calibration are
// optional. If the bundle asks for hierarchical selection, the hierarchy is
// built here. A calibration must have one weight per scorer.
func NewVerifier(b *Bundle) (*Verifier, error) {
	if b.UBM == nil || b.Extractor == nil {
		return nil, errors.New("models: a verifier needs a bundle with a UBM and an i-vector extractor")
	}
	v := &Verifier{UBM: b.UBM, Extractor: b.Extractor, Backend: b.Backend(), SNormTopN: b.Meta.SNormTopN,
		Calibration: b.Calibration, Scorers: slices.Clone(b.Meta.Scorers), Relevance: b.Meta.Relevance,
		TopC: b.Meta.TopC, SelectDims: b.Meta.SelectDims, HierExpand: b.Meta.HierExpand,
		MinPost: b.Meta.MinPost, PostScale: b.Meta.PosteriorScale}
	if v.TopC <= 0 {
		v.TopC = 10
	}
	if v.Relevance <= 0 {
		v.Relevance = 16
	}
	if len(v.Scorers) == 0 {
		v.Scorers = []string{ScorerBackend}
	}
	for _, s := range v.Scorers {
		if s != ScorerBackend && s != ScorerCosine && s != ScorerGMMUBM {
			return nil, fmt.Errorf("models: unknown scorer %q in bundle metadata", s)
		}
	}
	if v.Calibration != nil && len(v.Calibration.Weights) != len(v.Scorers) {
		return nil, fmt.Errorf("models: calibration fuses %d scores but the bundle names %d scorers %v",
			len(v.Calibration.Weights), len(v.Scorers), v.Scorers)
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

// Side is one side of a trial (an enrolled voiceprint or a test probe):
// back-end embeddings (one per session), the statistics (summed over
// sessions; needed only by ScorerGMMUBM) and, per scorer, the S-norm cohort
// moments of this side.
type Side struct {
	Embeddings [][]float64
	Stats      *Stats
	Cohort     []CohortMoments // per scorer; identity moments where not applicable
	mapModel   *GMM            // MAP-adapted model (enrollment side, ScorerGMMUBM)
}

// Voiceprint is an enrolled model.
type Voiceprint = Side

// Enroll builds a voiceprint from the embeddings of one or more sessions and,
// if a GMM-UBM scorer is configured, their statistics (summed).
func (v *Verifier) Enroll(embeddings [][]float64, stats ...*Stats) (*Voiceprint, error) {
	if len(embeddings) == 0 {
		return nil, errors.New("models: enrollment needs at least one session")
	}
	vp, err := v.side(embeddings, stats)
	if err != nil {
		return nil, err
	}
	if slices.Contains(v.Scorers, ScorerGMMUBM) {
		if vp.Stats == nil {
			return nil, errors.New("models: the GMM-UBM scorer needs enrollment statistics")
		}
		if vp.mapModel, err = MAPAdaptMeans(v.UBM, vp.Stats, v.Relevance); err != nil {
			return nil, err
		}
	}
	return vp, nil
}

// Probe prepares a test side from one test embedding and its statistics
// (stats may be nil unless a GMM-UBM scorer is configured). Compute it once
// per test and reuse it against many voiceprints.
func (v *Verifier) Probe(embedding []float64, stats *Stats) (*Side, error) {
	p, err := v.side([][]float64{embedding}, []*Stats{stats})
	if err != nil {
		return nil, err
	}
	if p.Stats == nil && slices.Contains(v.Scorers, ScorerGMMUBM) {
		return nil, errors.New("models: the GMM-UBM scorer needs test statistics")
	}
	return p, nil
}

func (v *Verifier) side(embeddings [][]float64, stats []*Stats) (*Side, error) {
	s := &Side{Embeddings: embeddings, Cohort: make([]CohortMoments, len(v.Scorers))}
	for _, st := range stats {
		if st == nil {
			continue
		}
		if s.Stats == nil {
			s.Stats = st.Clone()
		} else if err := s.Stats.Add(st); err != nil {
			return nil, err
		}
	}
	buf := make([]float64, len(v.Cohort))
	for k, name := range v.Scorers {
		s.Cohort[k] = CohortMoments{0, 1}
		if len(v.Cohort) == 0 || name == ScorerGMMUBM {
			continue
		}
		for i, c := range v.Cohort {
			buf[i] = v.rawEmbeddingScore(name, embeddings, c)
		}
		s.Cohort[k] = TopNMoments(buf, v.SNormTopN)
	}
	return s, nil
}

func (v *Verifier) rawEmbeddingScore(name string, enroll [][]float64, test []float64) float64 {
	if name == ScorerCosine {
		return CosineMulti(enroll, test)
	}
	return v.Backend.Score(enroll, test)
}

// Scores returns the per-scorer scores of test against vp, in v.Scorers
// order, S-normed where there is a cohort — the inputs of the calibration
// (and what to collect on development trials to train it).
func (v *Verifier) Scores(vp, test *Side) []float64 {
	out := make([]float64, len(v.Scorers))
	for k, name := range v.Scorers {
		if name == ScorerGMMUBM {
			if vp.mapModel != nil && test.Stats != nil {
				out[k] = StatsGMMUBMScore(v.UBM, vp.mapModel, test.Stats) // invariant to the posterior scale
			}
			continue
		}
		s := v.rawEmbeddingScore(name, vp.Embeddings, test.Embeddings[0])
		if len(v.Cohort) > 0 {
			s = ASNorm(s, vp.Cohort[k], test.Cohort[k])
		}
		out[k] = s
	}
	return out
}

// Score returns the calibrated, fused log-likelihood ratio (natural log) of
// test against vp. Without a calibration it returns the first scorer's
// uncalibrated score, which must not be presented as an LLR.
func (v *Verifier) Score(vp, test *Side) float64 {
	s := v.Scores(vp, test)
	if v.Calibration != nil {
		return v.Calibration.Apply(s...)
	}
	return s[0]
}
