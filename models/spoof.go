package models

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/voxguard/voxguard/internal/vec"
)

// Countermeasure is the spoofing countermeasure (issue 7): two diagonal GMMs over front-end frames
// (LFCC with deltas in the shipped recipe), one trained on bona fide speech and one on synthetic
// or replayed speech. A recording's score is the spoof-versus-bona-fide log-likelihood ratio
// averaged over its frames whose level reaches MinLevelDB:
//
//	LLR = (1/T) Σ_t [log p(x_t | spoof) − log p(x_t | bona fide)]   (nats per frame)
//
// Positive values favour spoofing. The score is the ASVspoof baseline's, not a calibrated
// likelihood ratio of the whole recording; its operating points are stated as false-alarm rates
// on held-out bona fide speech (FARThresholds).
type Countermeasure struct {
	// FrontEnd is the frame front end's configuration as JSON (a dsp.LFCCConfig), opaque here.
	FrontEnd json.RawMessage `json:"front_end"`
	// MinLevelDB: frames whose RMS level (dBFS) is below it are skipped (silence carries channel,
	// not voice, evidence).
	MinLevelDB float64 `json:"min_level_db"`
	// FARThresholds are score thresholds at stated false-alarm rates on held-out bona fide
	// recordings (a fraction FAR of them scored above LLR); ascending FAR.
	FARThresholds []FARPoint `json:"far_thresholds,omitempty"`
	// BaseFARThresholds, with a spectrum network (Spec), are the same operating points for the
	// other systems' fused score alone (Combine), set on the same held-out recordings: a live
	// call is judged on them until its first SpecSeconds of audio are in, or for the rest of the
	// call once a server short of processor time sheds the network, so that the network runs
	// once per call. Without them (bundles before the thirty-eighth session) the network scores
	// the audio so far at every assessment.
	BaseFARThresholds []FARPoint `json:"base_far_thresholds,omitempty"`
	// LTSS, when present, is a second system: a linear classifier on the recording's long-term
	// spectral statistics (dsp.LFCC.SpectralStats), fused with the GMM score by Fusion.
	LTSS   *LinearScorer `json:"ltss,omitempty"`
	Fusion *SpoofFusion  `json:"fusion,omitempty"`
	// LTSSNet, when present, replaces LTSS as the second system: a one-hidden-layer perceptron on
	// the same statistics (LTSS is then absent), fused with the GMM score by Fusion.
	LTSSNet *MLPScorer `json:"ltss_mlp,omitempty"`
	// Net, when present, is a third system: a classifier of the same frames the GMMs score (after
	// StaticCMN), with context (FrameNet), scoring every FrameStep-th frame; its mean frame
	// log-odds are fused with the other two by Fusion (SpoofFusion.NetWeight). Net.Step, when
	// set, replaces FrameStep for the network.
	Net *FrameNet `json:"frame_net,omitempty"`
	// VQ, when present, is a fourth system: a perceptron on the last VQ.Dim() long-term
	// statistics (the voice-source statistics, dsp.LFCCConfig.VoiceQuality, which end the vector);
	// the second system then reads the statistics before them. It is fused with the others by
	// Fusion (SpoofFusion.VQWeight) and needs Net.
	VQ *MLPScorer `json:"vq_mlp,omitempty"`
	// Spec, when present, is a fifth system: a convolutional network on the recording's log
	// power spectrum (SpecNet; its front end SpecFrontEnd, a dsp.SpecConfig as JSON, opaque
	// here) over at most its first SpecSeconds of audio, fused last (SpoofFusion.FuseSpec).
	Spec         *SpecNet        `json:"spec_net,omitempty"`
	SpecFrontEnd json.RawMessage `json:"spec_front_end,omitempty"`
	SpecSeconds  float64         `json:"spec_seconds,omitempty"`
	// SpecViews, with Spec, are further spectrum networks, each on its own front end's
	// spectrum of the same first SpecSeconds of audio (a shorter window's, say, where a
	// voiced sound's glottal pulses show); SpecLogit averages their log-odds with Spec's, and
	// that mean is what Fusion's Spec* fields standardise.
	SpecViews []SpecView `json:"spec_views,omitempty"`
	// SpecPrimary, with SpecViews, judges a recording whose views were not run (a server short
	// of processor time sheds them before Spec itself): Spec's log-odds alone, standardised and
	// thresholded on the same held-out bona fide recordings as the mean of all of them. Without
	// it (bundles before the forty-sixth session) the views go only with Spec.
	SpecPrimary *SpecPrimary `json:"spec_primary,omitempty"`
	// Info is free-form provenance (training data, sizes).
	Info map[string]string `json:"info,omitempty"`
	// FrameSelection, "K/G" (e.g. "32/4"), scores each frame's log-likelihood under each GMM
	// over the members of only the G best of K component groups (GMM.BuildHierarchy): K + C·G/K
	// Gaussians per frame instead of C. Empty: every component (exact). Thresholds are only
	// valid for the selection they were measured with, so train-spoof stores it here.
	FrameSelection string `json:"frame_selection,omitempty"`
	selGroups      int    // G of FrameSelection once prepared; 0: exact
	// FrameStep, if > 1, scores only every FrameStep-th frame that reaches MinLevelDB with the
	// GMMs (the 1st, the (1+FrameStep)-th, …); all of them still count as speech (Frames).
	FrameStep int `json:"frame_step,omitempty"`
	// StaticCMN, if > 0, removes from the first StaticCMN dimensions of each frame (the static
	// cepstra) their running mean over the recording's frames so far, that frame included
	// (CausalCMN), before the GMMs score it: the recording's channel colouration, estimated as a
	// live call can. The GMMs are trained on frames normalised the same way.
	StaticCMN int `json:"static_cmn,omitempty"`

	Bonafide *GMM `json:"-"`
	Spoof    *GMM `json:"-"`
}

// Validate checks that both GMMs are present, valid and of the same dimension.
func (cm *Countermeasure) Validate() error {
	if cm.Bonafide == nil || cm.Spoof == nil {
		return errors.New("models: countermeasure needs a bona fide and a spoof GMM")
	}
	if err := cm.Bonafide.Validate(); err != nil {
		return err
	}
	if err := cm.Spoof.Validate(); err != nil {
		return err
	}
	if cm.Bonafide.D != cm.Spoof.D {
		return fmt.Errorf("models: countermeasure GMMs have dimensions %d and %d", cm.Bonafide.D, cm.Spoof.D)
	}
	if cm.LTSS != nil && cm.LTSSNet != nil {
		return errors.New("models: countermeasure has both a linear and a perceptron scorer")
	}
	if st := cm.statsScorer(); st != nil {
		if err := st.Validate(); err != nil {
			return err
		}
		if f := cm.Fusion; f == nil || !(f.GMMStd > 0) || !(f.LinStd > 0) {
			return errors.New("models: countermeasure with a long-term statistics scorer needs a valid fusion")
		}
	}
	if cm.Net != nil {
		if err := cm.Net.Validate(); err != nil {
			return err
		}
		if cm.Net.Dim() != cm.Bonafide.D {
			return fmt.Errorf("models: countermeasure frame network reads %d dimensions, its GMMs %d", cm.Net.Dim(), cm.Bonafide.D)
		}
		if f := cm.Fusion; f == nil || cm.statsScorer() == nil || !(f.NetWeight > 0 && f.NetWeight <= 1) || !(f.NetStd > 0) || !(f.FusedStd > 0) {
			return errors.New("models: countermeasure with a frame network needs a long-term statistics scorer and a fusion with a frame network weight")
		}
	}
	if cm.VQ != nil {
		if err := cm.VQ.Validate(); err != nil {
			return err
		}
		f := cm.Fusion
		if cm.Net == nil || f == nil || !(f.VQWeight > 0 && f.NetWeight+f.VQWeight < 1) || !(f.VQStd > 0) {
			return errors.New("models: countermeasure with a voice-source scorer needs a frame network and a fusion with weights summing under 1")
		}
	}
	if cm.Spec != nil {
		if err := cm.Spec.Validate(); err != nil {
			return err
		}
		f := cm.Fusion
		if f == nil || !(f.SpecWeight > 0 && f.SpecWeight <= 1) || !(f.SpecStd > 0) || !(f.BaseStd > 0) {
			return errors.New("models: countermeasure with a spectrum network needs a fusion with its weight")
		}
		if len(cm.SpecFrontEnd) == 0 || !(cm.SpecSeconds > 0) {
			return errors.New("models: countermeasure with a spectrum network needs its front end and seconds")
		}
	}
	if len(cm.SpecViews) > 0 && cm.Spec == nil {
		return errors.New("models: countermeasure has spectrum views but no spectrum network")
	}
	if len(cm.SpecViews) > maxSpecViews {
		return fmt.Errorf("models: countermeasure has %d spectrum views, at most %d", len(cm.SpecViews), maxSpecViews)
	}
	for i, v := range cm.SpecViews {
		if v.Net == nil || len(v.FrontEnd) == 0 {
			return fmt.Errorf("models: countermeasure spectrum view %d needs a network and its front end", i+1)
		}
		if err := v.Net.Validate(); err != nil {
			return fmt.Errorf("models: countermeasure spectrum view %d: %w", i+1, err)
		}
	}
	if p := cm.SpecPrimary; p != nil {
		if len(cm.SpecViews) == 0 {
			return errors.New("models: countermeasure has a primary spectrum network's operating points but no views")
		}
		if !(p.Std > 0) || math.IsInf(p.Std, 0) || math.IsNaN(p.Mean) || math.IsInf(p.Mean, 0) || len(p.FARThresholds) == 0 {
			return errors.New("models: countermeasure's primary spectrum network needs a finite standardisation and operating points")
		}
		for i := 1; i < len(p.FARThresholds); i++ {
			if p.FARThresholds[i].FAR < p.FARThresholds[i-1].FAR {
				return errors.New("models: countermeasure primary spectrum network thresholds are not in ascending FAR")
			}
		}
	}
	if cm.FrameStep < 0 {
		return errors.New("models: countermeasure frame_step is negative")
	}
	if cm.StaticCMN < 0 || cm.StaticCMN > cm.Bonafide.D {
		return fmt.Errorf("models: countermeasure static_cmn %d outside 0..%d", cm.StaticCMN, cm.Bonafide.D)
	}
	if cm.FrameSelection != "" {
		if _, _, err := parseGroups(cm.FrameSelection, min(cm.Bonafide.C, cm.Spoof.C)); err != nil {
			return fmt.Errorf("models: countermeasure frame_selection: %v", err)
		}
	}
	for _, pts := range [][]FARPoint{cm.FARThresholds, cm.BaseFARThresholds} {
		for i := 1; i < len(pts); i++ {
			if pts[i].FAR < pts[i-1].FAR {
				return errors.New("models: countermeasure thresholds are not in ascending FAR")
			}
		}
	}
	if len(cm.BaseFARThresholds) > 0 && cm.Spec == nil {
		return errors.New("models: countermeasure has base thresholds but no spectrum network")
	}
	return nil
}

// SpecPrimary is how Countermeasure.Spec's log-odds, alone, are fused and judged when its views
// are not run (Countermeasure.FusePrimary, PrimaryThreshold).
type SpecPrimary struct {
	// Mean and Std standardise Spec's log-odds (in nats) in place of SpoofFusion.SpecMean and
	// SpecStd; the fusion's weight and its other systems' standardisation stay.
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	// FARThresholds are the fused score's operating points, set as Countermeasure.FARThresholds
	// are, on the same held-out recordings; ascending FAR.
	FARThresholds []FARPoint `json:"far_thresholds"`
}

// SpecView is a spectrum network on its own front end (Countermeasure.SpecViews).
type SpecView struct {
	// Net is the network (it may have Members of its own).
	Net *SpecNet `json:"net"`
	// FrontEnd is its spectrum front end, a dsp.SpecConfig as JSON, opaque here.
	FrontEnd json.RawMessage `json:"front_end"`
}

// maxSpecViews bounds Countermeasure.SpecViews (a reader's guard against absurd sections).
const maxSpecViews = 8

// SpecFrontEnds returns the spectrum front ends (each a dsp.SpecConfig as JSON) whose spectra
// SpecLogit reads, in its order: Spec's, then each view's; nil without a spectrum network.
func (cm *Countermeasure) SpecFrontEnds() []json.RawMessage {
	if cm.Spec == nil {
		return nil
	}
	out := []json.RawMessage{cm.SpecFrontEnd}
	for _, v := range cm.SpecViews {
		out = append(out, v.FrontEnd)
	}
	return out
}

// SpecLogit returns the mean of the spectrum networks' log-odds that a recording is spoofed:
// Spec's on specs[0] and each SpecViews[i]'s on specs[i+1], the recording's spectra by the front
// ends SpecFrontEnds lists (each row-major, SpecRecording.T rows of Stride values). ok is false
// if any is too short for its network or missing, or cm has no spectrum network.
func (cm *Countermeasure) SpecLogit(specs []SpecRecording) (logit float64, ok bool) {
	if cm.Spec == nil || len(specs) != 1+len(cm.SpecViews) {
		return 0, false
	}
	for i, r := range specs {
		n := cm.Spec
		if i > 0 {
			n = cm.SpecViews[i-1].Net
		}
		v, ok := n.Logit(r.X, r.T, r.Stride)
		if !ok {
			return 0, false
		}
		logit += v
	}
	return logit / float64(len(specs)), true
}

// PrimaryLogit returns Spec's log-odds alone that a recording is spoofed, on its spectrum by
// SpecFrontEnds()[0] (for FusePrimary). ok is false if it is too short or cm has no network.
func (cm *Countermeasure) PrimaryLogit(spec SpecRecording) (logit float64, ok bool) {
	if cm.Spec == nil {
		return 0, false
	}
	return cm.Spec.Logit(spec.X, spec.T, spec.Stride)
}

// FusePrimary is Fusion.FuseSpec with Spec's log-odds alone (PrimaryLogit) standardised by
// SpecPrimary in place of the mean over the views; cm must have SpecPrimary.
func (cm *Countermeasure) FusePrimary(base, spec float64) float64 {
	f := *cm.Fusion
	f.SpecMean, f.SpecStd = cm.SpecPrimary.Mean, cm.SpecPrimary.Std
	return f.FuseSpec(base, spec)
}

// PrimaryThreshold is Threshold on SpecPrimary's operating points: the threshold of FusePrimary's
// score. ok is false without them.
func (cm *Countermeasure) PrimaryThreshold(far float64) (llr float64, ok bool) {
	if cm.SpecPrimary == nil {
		return 0, false
	}
	return spoofThresholdAt(cm.SpecPrimary.FARThresholds, far)
}

// PrimaryOnly returns a copy of cm that is its first spectrum network alone, as a recording
// whose views were not run is scored and judged: no views, Fusion's spectrum standardisation
// and the operating points SpecPrimary's. It shares cm's GMMs and networks. An error if cm has
// no SpecPrimary.
func (cm *Countermeasure) PrimaryOnly() (*Countermeasure, error) {
	if cm.SpecPrimary == nil || cm.Fusion == nil {
		return nil, errors.New("models: countermeasure has no primary spectrum network's operating points")
	}
	c := *cm
	f := *cm.Fusion
	f.SpecMean, f.SpecStd = cm.SpecPrimary.Mean, cm.SpecPrimary.Std
	c.Fusion, c.SpecViews, c.SpecPrimary = &f, nil, nil
	c.FARThresholds = append([]FARPoint(nil), cm.SpecPrimary.FARThresholds...)
	return &c, c.Validate()
}

// BaseOnly returns a copy of cm without its spectrum networks, as a recording they did not score
// is judged: the other systems' fused score at BaseFARThresholds. It shares cm's GMMs and
// scorers. An error if cm has no base thresholds.
func (cm *Countermeasure) BaseOnly() (*Countermeasure, error) {
	if len(cm.BaseFARThresholds) == 0 {
		return nil, errors.New("models: countermeasure has no operating points for its other systems alone")
	}
	c := *cm
	c.Spec, c.SpecFrontEnd, c.SpecSeconds, c.SpecViews, c.SpecPrimary = nil, nil, 0, nil, nil
	c.FARThresholds, c.BaseFARThresholds = append([]FARPoint(nil), cm.BaseFARThresholds...), nil
	return &c, c.Validate()
}

// Prepare validates cm and precomputes both GMMs' likelihood constants.
func (cm *Countermeasure) Prepare() error {
	if err := cm.Validate(); err != nil {
		return err
	}
	if err := cm.Bonafide.Precompute(); err != nil {
		return err
	}
	if err := cm.Spoof.Precompute(); err != nil {
		return err
	}
	cm.selGroups = 0
	if cm.FrameSelection == "" {
		return nil
	}
	k, g, _ := parseGroups(cm.FrameSelection, min(cm.Bonafide.C, cm.Spoof.C)) // checked by Validate
	for _, m := range []*GMM{cm.Bonafide, cm.Spoof} {
		if err := m.BuildHierarchy(k); err != nil {
			return err
		}
	}
	cm.selGroups = g
	return nil
}

// Combine returns the countermeasure's score of a recording from its mean frame LLR gmm, its
// long-term spectral statistics stats (ignored, and may be nil, without a second scorer) and its
// frame network's mean log-odds net (ignored without a network; SpoofScorer.NetScore).
func (cm *Countermeasure) Combine(gmm float64, stats []float64, net float64) float64 {
	st := cm.statsScorer()
	if st == nil {
		return gmm
	}
	f := cm.Fusion.Fuse(gmm, cm.StatsScore(stats))
	if cm.Net == nil {
		return f
	}
	if cm.VQ != nil {
		return cm.Fusion.FuseVQ(f, net, cm.VQScore(stats))
	}
	return cm.Fusion.FuseNet(f, net)
}

// statsScorer is the countermeasure's second system, a scorer of long-term statistics.
type statsScorer interface {
	Score(stats []float64) float64 // log-odds of spoof
	Validate() error
	Dim() int // length of the statistics vector
}

// statsScorer returns the second system (LTSSNet or LTSS), nil without one.
func (cm *Countermeasure) statsScorer() statsScorer {
	switch {
	case cm.LTSSNet != nil:
		return cm.LTSSNet
	case cm.LTSS != nil:
		return cm.LTSS
	}
	return nil
}

// StatsScore is the long-term statistics scorer's log-odds of spoof for stats (StatsDim long; 0
// without a scorer). With a voice-source scorer it reads the statistics before that one's.
func (cm *Countermeasure) StatsScore(stats []float64) float64 {
	if st := cm.statsScorer(); st != nil {
		return st.Score(stats[:st.Dim()])
	}
	return 0
}

// VQScore is the voice-source scorer's log-odds of spoof for stats (StatsDim long; 0 without
// one): it reads the last VQ.Dim() statistics.
func (cm *Countermeasure) VQScore(stats []float64) float64 {
	if cm.VQ == nil {
		return 0
	}
	return cm.VQ.Score(stats[len(stats)-cm.VQ.Dim():])
}

// StatsDim is the length of the long-term statistics vector the scorers want (0: none): the
// second scorer's, plus the voice-source scorer's after them.
func (cm *Countermeasure) StatsDim() int {
	st := cm.statsScorer()
	if st == nil {
		return 0
	}
	if cm.VQ != nil {
		return st.Dim() + cm.VQ.Dim()
	}
	return st.Dim()
}

// Dim is the frame dimension the countermeasure scores.
func (cm *Countermeasure) Dim() int { return cm.Bonafide.D }

// Threshold returns the score threshold at false-alarm rate far: the stored point with the
// largest FAR not above far (the strictest stated point if none is). ok is false without points.
func (cm *Countermeasure) Threshold(far float64) (llr float64, ok bool) {
	return spoofThresholdAt(cm.FARThresholds, far)
}

// BaseThreshold is Threshold on BaseFARThresholds: the threshold of the other systems' fused
// score when the spectrum network has not scored. ok is false without such points.
func (cm *Countermeasure) BaseThreshold(far float64) (llr float64, ok bool) {
	return spoofThresholdAt(cm.BaseFARThresholds, far)
}

// spoofThresholdAt returns the LLR of the point of pts (ascending FAR) with the largest FAR not above
// far, the first point if none is; ok is false without points.
func spoofThresholdAt(pts []FARPoint, far float64) (llr float64, ok bool) {
	if len(pts) == 0 {
		return 0, false
	}
	best := pts[0]
	for _, p := range pts {
		if p.FAR <= far+1e-12 {
			best = p
		}
	}
	return best.LLR, true
}

// gmmLogLik is log Σ_c w_c N(x; μ_c, σ²_c), allocation-free with scratch xx (length 2D) and
// ll (length C): every component's log density as one single-precision matrix-vector product
// (the affine form of Precompute, as GMM.Select does), then the log-sum-exp over the
// components within 50 nats of the best (the others add under e^-50 relative). Against the double-precision sum it differs by about 1e-4 nats per frame
// (TestGMMLogLikSinglePrecision; GMM.LogLikelihood is the double-precision one).
func gmmLogLik(g *GMM, x []float32, xx, ll []float32) float64 {
	D := g.D
	for d, v := range x[:D] {
		xx[2*d] = v * v
		xx[2*d+1] = v
	}
	ll = ll[:g.C]
	copy(ll, g.gconst3)
	vec.GemvAdd(ll, g.coef32, xx[:2*D], 2*D)
	return logSumExpLL(ll)
}

// logSumExpLL is log Σ exp(ll) over per-component log-likelihoods; −Inf or NaN when the largest
// is.
func logSumExpLL(ll []float32) float64 {
	mx := vec.Max(ll)
	if math.IsInf(float64(mx), -1) || math.IsNaN(float64(mx)) {
		return float64(mx)
	}
	return float64(mx) + math.Log(sumExpFrom(ll, mx))
}

// sumExpFrom is Σ exp(v − mx) over the values of ll within 50 nats of mx (the others add under
// e^-50 relative), to a relative error under 1e-6 (vec.SumExp: single-precision exponentials with
// AVX2, a fraction of the 1e-4 nats the single-precision likelihoods themselves carry).
func sumExpFrom(ll []float32, mx float32) float64 { return vec.SumExp(ll, mx, -50) }

// gmmLogLikSelected is gmmLogLik over the members of the best groups of g's hierarchy only
// (Countermeasure.FrameSelection); xx must already hold the frame's affine form.
func gmmLogLikSelected(g *GMM, groups int, xx []float32, sc *cmSelScratch) float64 {
	h := g.hier
	D := g.D
	pl := sc.pl[:h.k]
	copy(pl, h.pconst)
	vec.GemvAdd(pl, h.pcoef, xx, 2*D)
	n := topGroups(pl, groups, sc.ptop, sc.pidx)
	m := 0
	for p := 0; p < n; p++ {
		j := int(sc.pidx[p])
		lo, hi := h.start[j], h.start[j+1]
		ll := sc.ll[m : m+hi-lo]
		copy(ll, h.gconst[lo:hi])
		vec.GemvAdd(ll, h.coef[lo*2*D:hi*2*D], xx, 2*D)
		m += hi - lo
	}
	ll := sc.ll[:m]
	mx := float32(math.Inf(-1))
	for _, v := range ll {
		mx = max(mx, v)
	}
	if math.IsInf(float64(mx), -1) || math.IsNaN(float64(mx)) {
		return float64(mx)
	}
	return float64(mx) + math.Log(sumExpFrom(ll, mx))
}

// cmSelScratch is per-scorer memory for gmmLogLikSelected.
type cmSelScratch struct {
	pl, ptop, ll []float32
	pidx         []int32
}

// SpoofScorer accumulates a countermeasure score frame by frame in constant memory. Each
// goroutine needs its own; the zero value is not usable (see NewSpoofScorer).
type SpoofScorer struct {
	cm     *Countermeasure
	xx, ll []float32
	// AddFrames' batch of three: frames to score (normalised), their affine forms, their
	// per-component log-likelihoods
	bx, bxx, bll []float32
	cmnSum       []float64 // StaticCMN: running sums of the statics
	norm         []float32 // StaticCMN: the frame being scored, normalised
	sel          cmSelScratch
	sum          float64
	frames       int // frames that reached the level (and, if scored, had a finite LLR)
	scored       int // frames scored (every FrameStep-th)
	seen         int // frames that reached the level
	// Frame network (cm.Net): the last 2·Context+1 frames that reached the level, normalised as
	// the GMMs see them (ring[(i mod len)] holds frame i), the sum and count of the log-odds of
	// the frames classified with their full right context (every netStep-th).
	ring   [][]float32
	netSum float64
	netCnt int
	// netQ holds the frames whose right context is complete but that wait to be classified
	// frameNetBatch at a time (one pass over the network's weights for all of them).
	netQ   []int
	netOut []float64
}

// NewSpoofScorer returns an empty scorer for cm (which must have been prepared).
func NewSpoofScorer(cm *Countermeasure) *SpoofScorer {
	C := max(cm.Bonafide.C, cm.Spoof.C)
	s := &SpoofScorer{cm: cm, xx: make([]float32, 2*cm.Bonafide.D), ll: make([]float32, C)}
	if cm.StaticCMN > 0 {
		s.cmnSum, s.norm = make([]float64, cm.StaticCMN), make([]float32, cm.Bonafide.D)
	}
	if n := cm.Net; n != nil {
		// The ring keeps the context of every queued frame: the oldest is (frameNetBatch − 1)
		// steps before the newest, whose right context just arrived.
		s.ring = make([][]float32, 2*n.Context+1+(frameNetBatch-1)*cm.netStep())
		s.netQ, s.netOut = make([]int, 0, frameNetBatch), make([]float64, frameNetBatch)
		for i := range s.ring {
			s.ring[i] = make([]float32, cm.Bonafide.D)
		}
	}
	if cm.selGroups > 0 {
		s.sel = cmSelScratch{pl: make([]float32, C), ptop: make([]float32, cm.selGroups),
			pidx: make([]int32, cm.selGroups), ll: make([]float32, C)}
	}
	return s
}

// FrameLLR returns log p(x | spoof) − log p(x | bona fide) for one frame, in nats.
func (s *SpoofScorer) FrameLLR(x []float32) float64 {
	if g := s.cm.selGroups; g > 0 {
		D := s.cm.Bonafide.D
		for d, v := range x[:D] {
			s.xx[2*d] = v * v
			s.xx[2*d+1] = v
		}
		return gmmLogLikSelected(s.cm.Spoof, g, s.xx, &s.sel) - gmmLogLikSelected(s.cm.Bonafide, g, s.xx, &s.sel)
	}
	return gmmLogLik(s.cm.Spoof, x, s.xx, s.ll) - gmmLogLik(s.cm.Bonafide, x, s.xx, s.ll)
}

// Add scores one frame whose level is levelDB (dBFS); frames below the countermeasure's
// MinLevelDB are skipped. It reports whether the frame counted.
func (s *SpoofScorer) Add(x []float32, levelDB float64) bool {
	y, counted := s.admit(x, levelDB, s.norm)
	if y == nil {
		return counted
	}
	v := s.FrameLLR(y)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	s.tally(v)
	return true
}

// admit does Add's bookkeeping for a frame x of level levelDB: below MinLevelDB it returns
// (nil, false); a frame the FrameStep steps over is counted and returns (nil, true); a frame to
// score returns it — with StaticCMN normalised into dst, else x itself, or copied into dst when
// dst is given — and true.
func (s *SpoofScorer) admit(x []float32, levelDB float64, dst []float32) ([]float32, bool) {
	if levelDB < s.cm.MinLevelDB {
		return nil, false
	}
	s.seen++
	for k := range s.cmnSum {
		s.cmnSum[k] += float64(x[k])
	}
	if s.ring != nil {
		s.netPush(x)
	}
	if st := s.cm.FrameStep; st > 1 && (s.seen-1)%st != 0 {
		s.frames++ // speech, not scored
		return nil, true
	}
	if dst == nil {
		return x, true
	}
	copy(dst, x)
	for k, sum := range s.cmnSum {
		dst[k] = x[k] - float32(sum/float64(s.seen))
	}
	return dst, true
}

// AddFrames is Add for the frames of frames in order (contiguous, D floats each; levels[i] the
// level of the i-th), with the same result bit for bit. The frames it scores go through the
// GMMs three at a time, each GMM's matrix read once for the three (vec.GemvAdd3), where the
// AVX2 kernel applies and the countermeasure scores every component; otherwise frame by frame.
func (s *SpoofScorer) AddFrames(frames []float32, levels []float64) {
	D := s.cm.Bonafide.D
	if s.cm.selGroups > 0 || !vec.Accelerated() || (2*D)%8 != 0 {
		for i, lv := range levels {
			s.Add(frames[i*D:(i+1)*D], lv)
		}
		return
	}
	if len(s.bx) < 3*D {
		C := max(s.cm.Bonafide.C, s.cm.Spoof.C)
		s.bx, s.bxx, s.bll = make([]float32, 3*D), make([]float32, 6*D), make([]float32, 3*C)
	}
	np := 0 // frames waiting in s.bx to be scored
	for i, lv := range levels {
		if y, _ := s.admit(frames[i*D:(i+1)*D], lv, s.bx[np*D:(np+1)*D]); y == nil {
			continue
		}
		if np++; np == 3 {
			s.scoreThree()
			np = 0
		}
	}
	for k := range np {
		s.tally(s.FrameLLR(s.bx[k*D : (k+1)*D]))
	}
}

// scoreThree scores the three frames in s.bx, as FrameLLR each, and tallies them in order.
func (s *SpoofScorer) scoreThree() {
	D := s.cm.Bonafide.D
	for k := range 3 {
		xx := s.bxx[k*2*D : (k+1)*2*D]
		for d, v := range s.bx[k*D : (k+1)*D] {
			xx[2*d] = v * v
			xx[2*d+1] = v
		}
	}
	var spoof [3]float64
	for m, g := range []*GMM{s.cm.Spoof, s.cm.Bonafide} {
		C := g.C
		ll := s.bll[:3*C]
		for k := range 3 {
			copy(ll[k*C:(k+1)*C], g.gconst3)
		}
		vec.GemvAdd3(ll[:C], ll[C:2*C], ll[2*C:], g.coef32, s.bxx[:2*D], s.bxx[2*D:4*D], s.bxx[4*D:], 2*D)
		for k := range 3 {
			v := logSumExpLL(ll[k*C : (k+1)*C])
			if m == 0 {
				spoof[k] = v
			} else {
				s.tally(spoof[k] - v)
			}
		}
	}
}

// tally adds a scored frame's LLR, as Add does (a frame whose LLR is not finite does not count).
func (s *SpoofScorer) tally(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.sum += v
	s.frames++
	s.scored++
}

// netStep is the frame network's step: its own, else the GMMs' FrameStep (at least 1).
func (cm *Countermeasure) netStep() int {
	if cm.Net.Step > 0 {
		return cm.Net.Step
	}
	return max(cm.FrameStep, 1)
}

// netPush puts the s.seen-th frame x (raw; normalised here like the GMMs' frames, then
// standardised for the network) into the ring, and queues the frame Context before it, whose
// right context is now complete, if it is one of every netStep-th.
func (s *SpoofScorer) netPush(x []float32) {
	i := s.seen - 1
	dst := s.ring[i%len(s.ring)]
	copy(dst, x)
	for k, sum := range s.cmnSum {
		dst[k] = x[k] - float32(sum/float64(s.seen))
	}
	s.cm.Net.standardise(dst, dst)
	if c := i - s.cm.Net.Context; c >= 0 && c%s.cm.netStep() == 0 {
		if s.netQ = append(s.netQ, c); len(s.netQ) == frameNetBatch {
			s.netFlush()
		}
	}
}

// netFlush classifies the queued frames, whose right context is complete, and adds their
// log-odds in order.
func (s *SpoofScorer) netFlush() {
	if len(s.netQ) == 0 {
		return
	}
	out := s.netOut[:len(s.netQ)]
	last := s.seen - 1
	s.cm.Net.logits(out, func(b, j int) []float32 {
		return s.ring[min(max(s.netQ[b]+j, 0), last)%len(s.ring)]
	}, nil)
	for _, v := range out {
		s.netSum += v
		s.netCnt++
	}
	s.netQ = s.netQ[:0]
}

// netLogit is the network's log-odds of frame c with its context clamped to frames [0, last].
func (s *SpoofScorer) netLogit(c, last int) float64 {
	return s.cm.Net.logit(func(j int) []float32 {
		return s.ring[min(max(c+j, 0), last)%len(s.ring)]
	}, nil)
}

// NetScore is the frame network's mean log-odds over the frames so far, the last Context of
// them classified with the context they have (as FrameNet.FrameNetScore of the same frames):
// 0 without a network or a frame. It classifies the frames queued for a batch first.
func (s *SpoofScorer) NetScore() float64 {
	if s.ring == nil || s.seen == 0 {
		return 0
	}
	s.netFlush()
	sum, cnt := s.netSum, s.netCnt
	step := s.cm.netStep()
	for c := max(s.seen-s.cm.Net.Context, 0); c < s.seen; c++ {
		if c%step == 0 {
			sum += s.netLogit(c, s.seen-1)
			cnt++
		}
	}
	return sum / float64(cnt)
}

// Frames is the number of frames counted so far (reaching MinLevelDB; scored or stepped over).
func (s *SpoofScorer) Frames() int { return s.frames }

// LLR is the mean frame log-likelihood ratio of the scored frames so far (nats per frame; 0
// before any frame).
func (s *SpoofScorer) LLR() float64 {
	if s.scored == 0 {
		return 0
	}
	return s.sum / float64(s.scored)
}

// Reset forgets all frames.
func (s *SpoofScorer) Reset() {
	s.sum, s.frames, s.scored, s.seen = 0, 0, 0, 0
	s.netSum, s.netCnt = 0, 0
	s.netQ = s.netQ[:0]
	clear(s.cmnSum)
}

// CausalCMN returns copies of one recording's frames (in order) with the running mean of their
// first k dimensions — over the frames so far, the frame itself included — removed from those
// dimensions: what SpoofScorer does to each frame of a countermeasure with StaticCMN k.
func CausalCMN(frames [][]float32, k int) [][]float32 {
	out := make([][]float32, len(frames))
	sum := make([]float64, k)
	for i, f := range frames {
		g := append([]float32(nil), f...)
		for d := range k {
			sum[d] += float64(f[d])
			g[d] = f[d] - float32(sum[d]/float64(i+1))
		}
		out[i] = g
	}
	return out
}

// OperatingPoints returns the score thresholds at the given false-alarm rates on bona fide scores:
// for each far, the lowest threshold t such that at most a fraction far of bona fide scores exceed
// it, in ascending FAR.
func OperatingPoints(bonafide []float64, fars []float64) []FARPoint {
	if len(bonafide) == 0 {
		return nil
	}
	s := append([]float64(nil), bonafide...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	f := append([]float64(nil), fars...)
	sort.Float64s(f)
	var out []FARPoint
	for _, far := range f {
		k := min(max(int(math.Floor(far*float64(len(s)))), 0), len(s)-1)
		out = append(out, FARPoint{FAR: far, LLR: math.Nextafter(s[k], math.Inf(1))})
	}
	return out
}

// marshalSpoof encodes the "SPOF" section: uint32 JSON length, the JSON (Countermeasure fields),
// then for the bona fide and the spoof GMM in turn: C, D, weights[C], means[C·D], vars[C·D].
func marshalSpoof(cm *Countermeasure) ([]byte, error) {
	if err := cm.Validate(); err != nil {
		return nil, err
	}
	js, err := json.Marshal(cm)
	if err != nil {
		return nil, err
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(js)))
	out = append(out, js...)
	for _, g := range []*GMM{cm.Bonafide, cm.Spoof} {
		out = append(out, payload(dims(g.C, g.D), g.Weights, g.Means, g.Vars)...)
	}
	if n := cm.Net; n != nil {
		// The shapes are in the JSON (Sizes, Context); the parameters follow the GMMs.
		out = append(out, payload(nil, toF64(n.Mean), toF64(n.Std))...)
		for l := range n.W {
			out = append(out, payload(nil, toF64(n.W[l]), toF64(n.B[l]))...)
		}
	}
	if n := cm.Spec; n != nil {
		// The parameters follow the frame network's, then each view's.
		out = n.appendWeights(out)
		for _, v := range cm.SpecViews {
			out = v.Net.appendWeights(out)
		}
	}
	return out, nil
}

func parseSpoof(r *reader) (*Countermeasure, error) {
	if len(r.b) < 4 {
		return nil, fmt.Errorf("%w: section \"SPOF\" cut short", ErrMalformed)
	}
	n := binary.LittleEndian.Uint32(r.b)
	if uint64(n) > uint64(len(r.b)-4) {
		return nil, fmt.Errorf("%w: section \"SPOF\" JSON of %d bytes exceeds the section", ErrMalformed, n)
	}
	cm := &Countermeasure{}
	if err := json.Unmarshal(r.b[4:4+n], cm); err != nil {
		return nil, fmt.Errorf("%w: countermeasure: %v", ErrMalformed, err)
	}
	r.b = r.b[4+n:]
	var gs [2]*GMM
	for i := range gs {
		C, D := r.dim(), r.dim()
		gs[i] = &GMM{C: C, D: D, Weights: r.floats(C), Means: r.floats(C, D), Vars: r.floats(C, D)}
	}
	if n := cm.Net; n != nil {
		if len(n.Sizes) < 2 || n.Sizes[0] <= 0 || gs[0] == nil || gs[0].D <= 0 {
			return nil, fmt.Errorf("%w: countermeasure frame network without shapes", ErrMalformed)
		}
		D := gs[0].D
		n.Mean, n.Std = toF32(r.floats(D)), toF32(r.floats(D))
		n.W, n.B = make([][]float32, len(n.Sizes)-1), make([][]float32, len(n.Sizes)-1)
		for l := range n.W {
			n.W[l], n.B[l] = toF32(r.floats(n.Sizes[l+1], n.Sizes[l])), toF32(r.floats(n.Sizes[l+1]))
		}
	}
	if n := cm.Spec; n != nil {
		if err := n.readWeights(r); err != nil {
			return nil, err
		}
	}
	if len(cm.SpecViews) > maxSpecViews || (len(cm.SpecViews) > 0 && cm.Spec == nil) {
		return nil, fmt.Errorf("%w: countermeasure spectrum views without a network or too many", ErrMalformed)
	}
	for i, v := range cm.SpecViews {
		if v.Net == nil {
			return nil, fmt.Errorf("%w: countermeasure spectrum view %d without a network", ErrMalformed, i+1)
		}
		if err := v.Net.readWeights(r); err != nil {
			return nil, err
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	cm.Bonafide, cm.Spoof = gs[0], gs[1]
	if err := cm.Prepare(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return cm, nil
}
