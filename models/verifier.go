package models

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/voxguard/voxguard/internal/vec"
)

// Verifier turns Baum-Welch statistics into calibrated speaker-verification scores with a
// bundle's components: statistics → i-vector → LDA → WCCN (if present) → length normalisation →
// PLDA with adaptive S-norm against the bundle's cohort; the same for the alternative back end
// and GMM-UBM linear scoring when the bundle has them; then the bundle's calibration fuses the
// scores into a log-likelihood ratio in nats. It holds read-only precomputed state and is safe for
// concurrent use; each goroutine needs its own VerifierScratch.
type Verifier struct {
	b *Bundle
	// MinFrames is the least net speech, in voiced frames, each side needs to be judged; with
	// less, Score reports insufficient speech and an LLR of exactly 0.
	MinFrames float64
	topN      int
	cohort    [][]float64 // cohort vectors in PLDA u-space
	qmax      float64     // largest duration input q the calibration was trained on (+Inf: none recorded)
	rmax      float64     // largest enrollment duration input r the calibration was trained on (+Inf: none recorded)
	main, alt *pldaN1     // fast single-enrollment scoring of the PLDA back ends and their cohorts
	alt2      *pldaN1     // the same for the second alternative back end (nil without one)
	lnKnot    float64     // ln(knot seconds) of the hinged calibration layout
	augment   bool        // the bundle scores augmented enrollments too (EnrollAugmentKey)
	second    *Verifier   // the bundle's second system (Bundle.Second), nil without one
}

// Second returns the verifier of the bundle's second speaker system (Bundle.Second), or nil.
// Its probes come from statistics of that system's own front end and UBM; a trial's LLR is
// Bundle.FuseLLR of the two systems' LLRs.
func (v *Verifier) Second() *Verifier { return v.second }

// EnrollAugmentKey is the Metadata.Extra key that makes a bundle score every trial a second way:
// each PLDA back end also scores the test against the enrollment's statistics pooled with those
// of a degraded copy of its audio (dsp.ChannelAugmentation; the value names the augmentation,
// EnrollAugmentChannelV1), and the calibration fuses both ways, weighting them by the detected
// channel. A voiceprint that has heard its owner through a band-limited, noisy channel matches
// degraded calls better (bench/README.md, "Enrollment augmentation").
const EnrollAugmentKey = "enroll_augment"

// EnrollAugmentChannelV1 is EnrollAugmentKey's value for dsp.DefaultChannelAugmentation seeded
// with dsp.AudioSeed of each recording's samples, one copy per recording.
const EnrollAugmentChannelV1 = "channel-v1"

// EnrollAugment returns the enrollment augmentation the bundle's scorers expect (the value of
// EnrollAugmentKey), or "" when it has none.
func (b *Bundle) EnrollAugment() string { return b.Meta.Extra[EnrollAugmentKey] }

// WithDomainMean returns a verifier that centres i-vectors on a mean adapted to a deployment's
// own recordings instead of the training data's: for each PLDA back end, weight·domain +
// (1 − weight)·(its LDA's training mean), weight in [0, 1]. domain is the mean of the raw
// i-vectors (IVector) of unlabelled in-domain recordings; mean-centring on it is the classic
// unsupervised remedy for a channel or population the training data lacked. It is a verifier
// on AdaptDomainMean's copy of the bundle, with the receiver's MinFrames; the receiver is not
// changed. A second system (Bundle.Second) keeps its training means: its i-vectors need their
// own domain mean (recipe.AdaptToDomain adapts both).
func (v *Verifier) WithDomainMean(domain []float64, weight float64) (*Verifier, error) {
	adapted, err := AdaptDomainMean(v.b, domain, weight, "")
	if err != nil {
		return nil, err
	}
	return v.WithBundle(adapted)
}

// WithBundle returns a verifier on b (e.g. an adapted copy of the receiver's bundle) with the
// receiver's MinFrames; the receiver is not changed.
func (v *Verifier) WithBundle(b *Bundle) (*Verifier, error) {
	c, err := NewVerifier(b)
	if err != nil {
		return nil, err
	}
	c.MinFrames = v.MinFrames
	return c, nil
}

// AdaptDomainMean returns a copy of the bundle whose PLDA back ends centre i-vectors on a
// deployment's own recordings: each back end's LDA mean becomes weight·domain + (1 −
// weight)·(its training mean), weight in [0, 1], domain the mean raw i-vector (Verifier.IVector)
// of unlabelled in-domain recordings. A verifier on the copy scores exactly as WithDomainMean on
// the original (the cohort, calibration and channel detector stay as trained). The copy shares
// every other component with b, which is not modified (the embedded default may be passed), and
// records note in Meta.Extra[DomainAdaptedKey].
func AdaptDomainMean(b *Bundle, domain []float64, weight float64, note string) (*Bundle, error) {
	if b.Extractor == nil || b.LDA == nil {
		return nil, errors.New("models: bundle lacks the i-vector extractor or LDA to adapt")
	}
	if len(domain) != b.Extractor.R || len(b.LDA.Mean) != len(domain) {
		return nil, fmt.Errorf("models: domain mean of dimension %d, i-vectors have %d", len(domain), b.Extractor.R)
	}
	if !(weight >= 0 && weight <= 1) {
		return nil, fmt.Errorf("models: domain mean weight %v outside [0, 1]", weight)
	}
	mix := func(a *Affine) *Affine {
		c := *a
		c.Mean = make([]float64, len(a.Mean))
		for i := range c.Mean {
			c.Mean[i] = weight*domain[i] + (1-weight)*a.Mean[i]
		}
		return &c
	}
	c := *b
	c.LDA = mix(b.LDA)
	if b.Alt != nil && b.Alt.LDA != nil {
		alt := *b.Alt
		alt.LDA = mix(b.Alt.LDA)
		c.Alt = &alt
	}
	if b.Alt2 != nil && b.Alt2.LDA != nil {
		alt := *b.Alt2
		alt.LDA = mix(b.Alt2.LDA)
		c.Alt2 = &alt
	}
	c.Meta.Extra = map[string]string{}
	for k, v := range b.Meta.Extra {
		c.Meta.Extra[k] = v
	}
	c.Meta.Extra[DomainAdaptedKey] = note
	return &c, nil
}

// DomainAdaptedKey is the Metadata.Extra key that records a bundle's domain adaptation
// (AdaptDomainMean): what it was adapted on, for provenance.
const DomainAdaptedKey = "domain_adapted"

// IVector returns the raw i-vector of s (a new slice of length R): what WithDomainMean's domain
// mean averages.
func (v *Verifier) IVector(s *Stats, ws *VerifierScratch) ([]float64, error) {
	if err := v.b.Extractor.Extract(s, ws.x, ws.iv); err != nil {
		return nil, err
	}
	return append([]float64(nil), ws.x[:v.b.Extractor.R]...), nil
}

// CalibrationWidth is the number of inputs the bundle's calibration takes, under the layout its
// metadata names: the raw scores
// (PLDA, then the alternative PLDA and GMM when present), then — for duration-aware
// calibration — each raw score times q and q itself, where q = ln(min(enrollment, test net
// speech) / 1 s); for the hinged layout, with h = max(0, q − ln knot), the inputs are s, s·q,
// s·h, s·q·h, q·h, h and q; the channel-aware hinged layout adds, before q, s·p, s·p·h, p and
// p·h, where p is the larger of the two sides' probabilities of a degraded channel
// (ChannelDetector). q is always the last input.
func CalibrationWidth(b *Bundle) int {
	n := b.Scorers()
	switch b.Meta.Extra["calibration"] {
	case CalibrationDuration:
		n = 2*n + 1
	case CalibrationDurationHinge:
		n = 4*n + 3
	case CalibrationDurationHingeChannel:
		n = 6*n + 5
	case CalibrationDurationHingeChannelEnroll:
		n = 8*n + 7
	}
	return n
}

// Scorers is the number of raw scores the bundle's back ends give a trial: the PLDA's, then the
// alternative PLDAs' and the GMM scorer's when present (two with GMMLinear.KeepLinear: with and
// without the quadratic term), then, when the bundle augments
// enrollments, the PLDA's and the alternative PLDA's against the augmented enrollment.
func (b *Bundle) Scorers() int {
	n := 1
	if b.Alt != nil {
		n++
	}
	if b.Alt2 != nil {
		n++
	}
	if b.GMM != nil {
		n++
		if b.GMM.KeepLinear {
			n++
		}
	}
	if b.EnrollAugment() != "" {
		n++
		if b.Alt != nil {
			n++
		}
	}
	return n
}

// Metadata.Extra["calibration"] values: the layouts of the calibration's inputs.
const (
	// CalibrationDuration: raw scores s, s·q and q; the weight of each score is linear in q.
	CalibrationDuration = "duration"
	// CalibrationDurationHinge: s, s·q, s·h, s·q·h, q·h, h and q with h = max(0, q − ln knot):
	// a duration-linear fusion f (the CalibrationDuration inputs) whose scale and offset bend at
	// the knot (CalibrationKnotKey), llr = (a + b·h)·f + c·h + d, expanded into one linear map,
	// so that long trials get their own calibration instead of the one short trials, the
	// majority, impose.
	CalibrationDurationHinge = "duration-hinge"
	// CalibrationDurationHingeChannel: the hinged layout whose duration-linear fusion also has
	// inputs s·p and p, p in [0, 1] the probability that the worse side's channel is degraded
	// (the bundle's ChannelDetector), so that each scorer's weight moves with the channel:
	// f = Σ (u + v·q + c·p)·s + e·p + g·q + f0, then llr = (a + b·h)·f + ch·h + d as for
	// CalibrationDurationHinge, expanded into one linear map.
	CalibrationDurationHingeChannel = "duration-hinge-channel"
	// CalibrationDurationHingeChannelEnroll: the channel-aware hinged layout whose duration-linear
	// fusion also has inputs s·r and r, r = ln(enrollment net speech / 1 s) clamped like q, so
	// that a short enrollment's scores get their own weight (q, the shorter side's duration,
	// cannot tell a 5 s enrollment from a 30 s one against the same 1 s test): f = Σ (u + v·q +
	// c·p + y·r)·s + e·p + e_r·r + g·q + f0, then llr = (a + b·h)·f + ch·h + d, expanded. Inputs
	// after CalibrationDurationHingeChannel's, before q: s·r, s·r·h, r and r·h.
	CalibrationDurationHingeChannelEnroll = "duration-hinge-channel-enroll"
)

// hingedLayout reports whether a calibration layout is one of the hinged ones (a knot needed).
func hingedLayout(l string) bool {
	return l == CalibrationDurationHinge || l == CalibrationDurationHingeChannel || l == CalibrationDurationHingeChannelEnroll
}

// channelLayout reports whether a calibration layout takes the channel detector's probability.
func channelLayout(l string) bool {
	return l == CalibrationDurationHingeChannel || l == CalibrationDurationHingeChannelEnroll
}

// CalibrationKnotKey is the Metadata.Extra key of the hinged layout's knot, in seconds of net
// speech (a decimal number).
const CalibrationKnotKey = "calibration_knot_seconds"

// CalibrationQMaxKey is the Metadata.Extra key recording the largest q = ln(min speech / 1 s) among
// the calibration's training trials (a decimal number). Longer trials are calibrated as if they
// were that long: the linear calibration is not extrapolated beyond the durations it has seen.
const CalibrationQMaxKey = "calibration_qmax"

// CalibrationRMaxKey is the Metadata.Extra key recording the largest r = ln(enrollment speech /
// 1 s) among the calibration's training trials (CalibrationDurationHingeChannelEnroll): longer
// enrollments are calibrated as if they were that long.
const CalibrationRMaxKey = "calibration_rmax"

// CalibrationInputs appends to dst the inputs of the bundle's calibration for a trial: the raw
// scores and, for duration-aware calibration, their products with q (and h) and q (see
// CalibrationWidth).
func (v *Verifier) CalibrationInputs(dst []float64, enroll, test *Probe) []float64 {
	n0 := len(dst)
	dst = v.RawScores(dst, enroll, test)
	layout := v.b.Meta.Extra["calibration"]
	if layout != CalibrationDuration && !hingedLayout(layout) {
		return dst
	}
	n1 := len(dst)
	q := min(math.Log(max(min(enroll.Frames, test.Frames), 1)/100), v.qmax)
	for _, s := range dst[n0:n1] {
		dst = append(dst, s*q)
	}
	if hingedLayout(layout) {
		h := max(0, q-v.lnKnot)
		for _, s := range dst[n0:n1] {
			dst = append(dst, s*h)
		}
		for _, s := range dst[n0:n1] {
			dst = append(dst, s*q*h)
		}
		dst = append(dst, q*h, h)
		if channelLayout(layout) {
			p := max(enroll.Channel, test.Channel)
			for _, s := range dst[n0:n1] {
				dst = append(dst, s*p)
			}
			for _, s := range dst[n0:n1] {
				dst = append(dst, s*p*h)
			}
			dst = append(dst, p, p*h)
		}
		if layout == CalibrationDurationHingeChannelEnroll {
			r := min(math.Log(max(enroll.Frames, 1)/100), v.rmax)
			for _, s := range dst[n0:n1] {
				dst = append(dst, s*r)
			}
			for _, s := range dst[n0:n1] {
				dst = append(dst, s*r*h)
			}
			dst = append(dst, r, r*h)
		}
	}
	return append(dst, q)
}

// DefaultMinFrames is the default least net speech for a judgement: 0.2 s at 100 frames/s (a
// single spoken digit carries 0.2-0.5 s). Calibration is trained down to 0.25 s, so LLRs from
// such short speech are weak, as they should be, not overconfident.
const DefaultMinFrames = 20

// Probe is one side of a trial prepared for scoring: its PLDA-space vector, its net speech and
// its cohort moments. Probes are immutable once prepared and may be shared between goroutines.
type Probe struct {
	U      []float64     // PLDA u-space vector
	Frames float64       // net speech in voiced frames (zeroth-order statistics total)
	Cohort CohortMoments // top-N moments of its scores against the cohort
	// Channel is the probability in [0, 1] that the side came through a degraded channel (0
	// when the bundle has no ChannelDetector).
	Channel float64

	// The alternative PLDA back end's vector and cohort moments (when the bundle has one).
	U2      []float64
	Cohort2 CohortMoments
	// The second alternative back end's (Bundle.Alt2), when the bundle has one.
	U3      []float64
	Cohort3 CohortMoments

	// Second is the same side prepared by the bundle's second system (Verifier.Second), when the
	// bundle has one and the statistics had the second's (Stats.Second); nil otherwise.
	Second *Probe

	// With a bundle that augments enrollments (EnrollAugmentKey), an enrollment's vectors and
	// cohort moments in each PLDA back end from its statistics pooled with its augmented copy's
	// (PrepareEnrollment); the plain ones when there was no copy to pool.
	UA, U2A           []float64
	CohortA, Cohort2A CohortMoments

	// GMM linear scoring (when the bundle has it): the probe as a model and as a test, with the
	// cohort moments of each role.
	GModel, GTest     []float32
	GAsModel, GAsTest CohortMoments
	// With a quadratic GMM scorer (GMMLinear.Quadratic): the model's ‖o_c‖² (GMMLinear.Quad) and
	// the test's occupancy shares (GMMLinear.Occupancy), C values each; nil otherwise.
	GModelQ, GTestN []float32
	// With GMMLinear.KeepLinear: the cohort moments of the scores without the quadratic term.
	GAsModel0, GAsTest0 CohortMoments
	// gRuns lists GTest's blocks that are not all zero (vec.NonzeroRuns), for vec.DotRuns; nil:
	// use vec.Dot.
	gRuns []int32
}

// VerifierScratch is per-goroutine working space.
type VerifierScratch struct {
	iv      *IVScratch
	x, y    []float64
	ch      []float64
	scores  []float64
	gscores []float64
	gbuf    []float32
	gtest   []float32        // the GMM test vector of the last PrepareTest
	gruns   []int32          // its non-zero blocks
	gfull   []float32        // with a fully whitened GMM scorer: the statistics in its whitening
	second  *VerifierScratch // the second system's (Verifier.Second), nil without one
}

// NewVerifier checks that b has every component verification needs and precomputes the cohort.
func NewVerifier(b *Bundle) (*Verifier, error) {
	switch {
	case b == nil || b.UBM == nil || b.Extractor == nil || b.PLDA == nil:
		return nil, errors.New("models: bundle lacks the UBM, i-vector extractor or PLDA needed for verification")
	case b.Calibration == nil:
		return nil, errors.New("models: bundle has no calibration, so its scores would not be LLRs")
	case len(b.Calibration.Weights) != CalibrationWidth(b):
		return nil, fmt.Errorf("models: calibration fuses %d scores; the bundle's scorers produce %d", len(b.Calibration.Weights), CalibrationWidth(b))
	case channelLayout(b.Meta.Extra["calibration"]) && b.Channel == nil:
		return nil, errors.New("models: channel-aware calibration needs the bundle's channel detector")
	case b.Alt2 != nil && (b.Alt == nil || b.EnrollAugment() != ""):
		return nil, errors.New("models: a second alternative back end needs the first, and does not combine with enrollment augmentation")
	}
	v := &Verifier{b: b, MinFrames: DefaultMinFrames, topN: b.Meta.SNormTopN, qmax: math.Inf(1), rmax: math.Inf(1)}
	switch a := b.EnrollAugment(); a {
	case "":
	case EnrollAugmentChannelV1:
		v.augment = true
	default:
		return nil, fmt.Errorf("models: bundle wants enrollment augmentation %q, which this build does not know", a)
	}
	if s, ok := b.Meta.Extra[CalibrationQMaxKey]; ok {
		q, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(q) {
			return nil, fmt.Errorf("models: bundle's %s %q is not a number", CalibrationQMaxKey, s)
		}
		v.qmax = q
	}
	if s, ok := b.Meta.Extra[CalibrationRMaxKey]; ok {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(r) {
			return nil, fmt.Errorf("models: bundle's %s %q is not a number", CalibrationRMaxKey, s)
		}
		v.rmax = r
	}
	if l := b.Meta.Extra["calibration"]; hingedLayout(l) {
		k, err := strconv.ParseFloat(b.Meta.Extra[CalibrationKnotKey], 64)
		if err != nil || !(k > 0) || math.IsInf(k, 0) {
			return nil, fmt.Errorf("models: hinged calibration needs a positive %s, got %q", CalibrationKnotKey, b.Meta.Extra[CalibrationKnotKey])
		}
		v.lnKnot = math.Log(k)
	}
	for _, c := range b.Cohort {
		if len(c) != b.PLDA.Dim {
			return nil, fmt.Errorf("models: cohort vector of dimension %d, PLDA has %d", len(c), b.PLDA.Dim)
		}
		v.cohort = append(v.cohort, c)
	}
	v.main = newPLDAN1(b.PLDA, v.cohort)
	if a := b.Alt; a != nil {
		for _, c := range a.Cohort {
			if len(c) != a.PLDA.Dim {
				return nil, fmt.Errorf("models: alternative cohort vector of dimension %d, its PLDA has %d", len(c), a.PLDA.Dim)
			}
		}
		v.alt = newPLDAN1(a.PLDA, a.Cohort)
	}
	if a := b.Alt2; a != nil {
		for _, c := range a.Cohort {
			if len(c) != a.PLDA.Dim {
				return nil, fmt.Errorf("models: second alternative cohort vector of dimension %d, its PLDA has %d", len(c), a.PLDA.Dim)
			}
		}
		v.alt2 = newPLDAN1(a.PLDA, a.Cohort)
	}
	if b.Second != nil {
		if err := b.validateSecond(); err != nil {
			return nil, err
		}
		sv, err := NewVerifier(b.Second)
		if err != nil {
			return nil, fmt.Errorf("models: second system: %w", err)
		}
		v.second = sv
	}
	return v, nil
}

// Bundle returns the verifier's bundle.
func (v *Verifier) Bundle() *Bundle { return v.b }

// NewScratch returns working space for one goroutine.
func (v *Verifier) NewScratch() *VerifierScratch {
	ws := &VerifierScratch{iv: v.b.Extractor.NewScratch(), x: make([]float64, v.b.Extractor.R),
		ch: make([]float64, 2*v.b.Extractor.R), scores: make([]float64, len(v.cohort))}
	if v.b.GMM != nil {
		ws.gscores = make([]float64, len(v.b.GMM.CohortN))
		ws.gbuf = make([]float32, len(v.b.GMM.CohortN))
	}
	if v.second != nil {
		ws.second = v.second.NewScratch()
	}
	return ws
}

// Prepare extracts the i-vector of s, maps it through each PLDA back end, scores it against
// their cohorts and, when the bundle has GMM linear scoring, derives its GMM vectors, so the
// probe can serve as an enrollment or a test. With a bundle that augments enrollments, the
// probe as an enrollment scores as one without an augmented copy (PrepareEnrollment with nil).
func (v *Verifier) Prepare(s *Stats, ws *VerifierScratch) (*Probe, error) {
	return v.PrepareEnrollment(s, nil, ws)
}

// PrepareEnrollment is Prepare for an enrollment whose audio also went through the bundle's
// enrollment augmentation (Bundle.EnrollAugment), aug being the statistics of the augmented
// copies: the augmented scorers see s pooled with aug. aug nil (an enrollment from a call's
// statistics, whose audio is gone) makes them see s alone. Bundles without augmentation ignore
// aug.
func (v *Verifier) PrepareEnrollment(s, aug *Stats, ws *VerifierScratch) (*Probe, error) {
	p, err := v.prepare(s, ws, true)
	if err != nil || !v.augment {
		return p, err
	}
	if aug == nil {
		p.UA, p.CohortA, p.U2A, p.Cohort2A = p.U, p.Cohort, p.U2, p.Cohort2
		return p, nil
	}
	pooled := s.Clone()
	if err := pooled.Add(aug); err != nil {
		return nil, fmt.Errorf("models: augmented enrollment statistics: %w", err)
	}
	if err := v.b.Extractor.Extract(pooled, ws.x, ws.iv); err != nil {
		return nil, err
	}
	iv := ws.x[:v.b.Extractor.R]
	p.UA, p.CohortA = v.side(iv, v.b.LDA, v.b.WCCN, v.b.PLDA, v.main, ws)
	if a := v.b.Alt; a != nil {
		p.U2A, p.Cohort2A = v.side(iv, a.LDA, nil, a.PLDA, v.alt, ws)
	}
	return p, nil
}

// PrepareTest is Prepare for a probe that will only be scored as a test (a live call at each
// assessment): it skips the enrollment-side GMM vector and its cohort pass, and its GMM test
// vector lives in ws (no 120 KB allocation per assessment), so the probe is valid only until the
// next PrepareTest with ws. Score reports insufficient evidence if such a probe is passed as an
// enrollment.
func (v *Verifier) PrepareTest(s *Stats, ws *VerifierScratch) (*Probe, error) {
	return v.prepare(s, ws, false)
}

// PrepareTestOwned is PrepareTest for a probe kept beyond the next use of ws (a scoring list's
// tests): its GMM test vector is its own. It scores as a test exactly as Prepare's probe does.
func (v *Verifier) PrepareTestOwned(s *Stats, ws *VerifierScratch) (*Probe, error) {
	p, err := v.prepare(s, ws, false)
	if err != nil {
		return nil, err
	}
	p.GTest, p.gRuns = slices.Clone(p.GTest), slices.Clone(p.gRuns)
	if q := p.Second; q != nil {
		q.GTest, q.gRuns = slices.Clone(q.GTest), slices.Clone(q.gRuns)
	}
	return p, nil
}

func (v *Verifier) prepare(s *Stats, ws *VerifierScratch, asModel bool) (*Probe, error) {
	p, err := v.prepareOwn(s, ws, asModel)
	if err != nil || v.second == nil || s.Second == nil {
		return p, err
	}
	if !asModel && !v.b.FusesTest(p.Frames) {
		return p, nil // a test past the fusion's limit is scored by the first system alone
	}
	if p.Second, err = v.second.prepareOwn(s.Second, ws.second, asModel); err != nil {
		return nil, fmt.Errorf("models: second system: %w", err)
	}
	return p, nil
}

// prepareOwn is prepare for v's own system, without its second.
func (v *Verifier) prepareOwn(s *Stats, ws *VerifierScratch, asModel bool) (*Probe, error) {
	if err := v.b.Extractor.Extract(s, ws.x, ws.iv); err != nil {
		return nil, err
	}
	iv := ws.x[:v.b.Extractor.R]
	// Each voiced frame's posteriors sum to one, so the total is a whole number of frames up to
	// rounding, which differs between UBMs: rounded, two systems on the same VAD agree on which
	// sides have MinFrames (a sum of 20 frames' posteriors can come out 19.9999999).
	p := &Probe{Frames: math.Round(s.Frames()*1e6) / 1e6}
	if v.b.Channel != nil {
		p.Channel = v.b.Channel.Degraded(iv, p.Frames, ws.ch)
	}
	p.U, p.Cohort = v.side(iv, v.b.LDA, v.b.WCCN, v.b.PLDA, v.main, ws)
	if a := v.b.Alt; a != nil {
		p.U2, p.Cohort2 = v.side(iv, a.LDA, nil, a.PLDA, v.alt, ws)
	}
	if a := v.b.Alt2; a != nil {
		p.U3, p.Cohort3 = v.side(iv, a.LDA, nil, a.PLDA, v.alt2, ws)
	}
	if g := v.b.GMM; g != nil {
		// The extraction left the whitened centred statistics in ws.iv.f32 (float32; zero only
		// where N_c = 0, and so F_c = 0, with the default SkipBelow): the test vector is them
		// over the total occupancy, with no second pass over the statistics.
		f32 := ws.iv.f32
		if g.FullWhitened && v.b.Extractor.SkipBelow == 0 {
			if cap(ws.gfull) < len(f32) {
				ws.gfull = make([]float32, len(f32))
			}
			ws.gfull = ws.gfull[:len(f32)]
			v.b.Extractor.Rewhiten(ws.gfull, f32, s.N)
			f32 = ws.gfull
		}
		// The whitened centred statistics in float64, computed at most once (for the test vector
		// when the extraction skipped components, and for the model vector).
		var wc []float64
		whitened := func() []float64 {
			if wc == nil {
				wc = WhitenedCentredFull(v.b.UBM, v.b.GMMWhitening(), s)
			}
			return wc
		}
		switch {
		case v.b.Extractor.SkipBelow == 0 && !asModel:
			if cap(ws.gtest) < len(f32) {
				ws.gtest = make([]float32, len(f32))
			}
			p.GTest = testVector32Into(ws.gtest, s.N, f32)
			ws.gruns, _ = vec.NonzeroRuns(ws.gruns[:0], p.GTest, vec.DotBlock)
			p.gRuns = ws.gruns
		case v.b.Extractor.SkipBelow == 0:
			p.GTest = testVector32(s.N, f32)
		default:
			p.GTest = TestVector(s.N, whitened())
		}
		p.GTestN = g.Occupancy(s.N)
		p.GAsTest = g.asTest(p.GTest, p.GTestN, v.topN, ws.gscores, ws.gbuf, &p.GAsTest0)
		if asModel {
			p.GModel = g.ModelVector(s.N, whitened())
			p.GModelQ = g.Quad(p.GModel)
			p.GAsModel = g.asModel(p.GModel, p.GModelQ, v.topN, ws.gscores, ws.gbuf, &p.GAsModel0)
		}
	}
	return p, nil
}

// side maps an i-vector through one back end — LDA, WCCN (optional), length normalisation,
// PLDA transform — and returns its u-space vector and cohort moments.
func (v *Verifier) side(iv []float64, lda, wccn *Affine, plda *PLDA, fast *pldaN1, ws *VerifierScratch) ([]float64, CohortMoments) {
	x := append([]float64(nil), iv...)
	if lda != nil {
		x = lda.Apply(nil, x)
	}
	if wccn != nil {
		x = wccn.Apply(nil, x)
	}
	u := plda.Transform(nil, LengthNorm(x))
	m := CohortMoments{Mean: 0, Std: 1}
	if n := len(fast.cohortC); n > 0 {
		if cap(ws.scores) < n {
			ws.scores = make([]float64, n)
		}
		if cap(ws.y) < plda.Dim {
			ws.y = make([]float64, plda.Dim)
		}
		sc := ws.scores[:n]
		fast.cohortScores(sc, ws.y[:plda.Dim], u)
		m = TopNMoments(sc, v.topN)
	}
	return u, m
}

// RawScores appends the S-normalised scores of test against enroll, before calibration: the
// PLDA score, the alternative PLDA back ends' scores (the second's times p, below) and the GMM
// linear score, each when the bundle has it, in that order; then, with enrollment augmentation,
// the two PLDA back ends' scores against the augmented enrollment, each times p, the larger of
// the two sides' probabilities of a degraded channel (1 without a channel detector).
func (v *Verifier) RawScores(dst []float64, enroll, test *Probe) []float64 {
	dst = append(dst, v.PrescreenScore(enroll, test))
	if v.b.Alt != nil {
		dst = append(dst, v.altScore(enroll.U2, enroll.Cohort2, test))
	}
	if v.b.Alt2 != nil {
		// The third back end is for degraded calls: gated by the probability of a degraded
		// channel, as the augmented enrollment's scores below, so that the fusion cannot lean
		// on it for clean calls (ungated, it cost the ~12 s clean tests 0.2-0.3 points of EER
		// over two seeds: bench/README.md).
		s := v.alt2.llr(enroll.U3, test.U3)
		if len(v.b.Alt2.Cohort) > 0 {
			s = ASNorm(s, enroll.Cohort3, test.Cohort3)
		}
		dst = append(dst, v.channelGate(enroll, test)*s)
	}
	if v.b.GMM != nil {
		g := float64(vec.DotRuns(enroll.GModel, test.GTest, test.gRuns)) // = Dot, bit for bit
		plain := g
		g += v.b.GMM.quadTerm(enroll.GModelQ, test.GTestN) // as GMMLinear.Raw
		if len(v.b.GMM.CohortN) > 0 {
			g = ASNorm(g, enroll.GAsModel, test.GAsTest)
			plain = ASNorm(plain, enroll.GAsModel0, test.GAsTest0)
		}
		dst = append(dst, g)
		if v.b.GMM.KeepLinear {
			dst = append(dst, plain)
		}
	}
	if v.augment {
		// The augmented enrollment is for degraded calls: its scores are gated by the
		// probability of a degraded channel (the calibration's p), so that on clean calls,
		// where it is the weaker enrollment, the fusion cannot lean on it. Measured over two
		// seeds: ungated, the ~12 s clean tests' EER rose from 0.75 to 1.34%; gated, to 1.11%
		// (bench/README.md, "Enrollment augmentation").
		p := v.channelGate(enroll, test)
		ua, ca := enroll.UA, enroll.CohortA
		if ua == nil { // a probe prepared before augmentation was known: the plain enrollment
			ua, ca = enroll.U, enroll.Cohort
		}
		dst = append(dst, p*v.mainScore(ua, ca, test))
		if v.b.Alt != nil {
			u2, c2 := enroll.U2A, enroll.Cohort2A
			if u2 == nil {
				u2, c2 = enroll.U2, enroll.Cohort2
			}
			dst = append(dst, p*v.altScore(u2, c2, test))
		}
	}
	return dst
}

// channelGate is the weight of the scorers meant for degraded calls: the larger of the two
// sides' probabilities of a degraded channel (1 without a channel detector).
func (v *Verifier) channelGate(enroll, test *Probe) float64 {
	if v.b.Channel == nil {
		return 1
	}
	return max(enroll.Channel, test.Channel)
}

// PrescreenScore is the main PLDA back end's score of test against enroll, S-normalised when
// the bundle has a cohort: the first of RawScores, and the cheap one (two low-dimensional
// embeddings, no supervector), for ranking a large watchlist before the full Score of its best
// entries. It is not calibrated: compare it only with other PrescreenScores of the same test.
func (v *Verifier) PrescreenScore(enroll, test *Probe) float64 {
	return v.mainScore(enroll.U, enroll.Cohort, test)
}

// mainScore is the main PLDA back end's S-normalised score of test against an enrollment's
// u-space vector u with cohort moments m.
func (v *Verifier) mainScore(u []float64, m CohortMoments, test *Probe) float64 {
	s := v.main.llr(u, test.U)
	if len(v.cohort) > 0 {
		s = ASNorm(s, m, test.Cohort)
	}
	return s
}

// altScore is mainScore for the alternative back end.
func (v *Verifier) altScore(u []float64, m CohortMoments, test *Probe) float64 {
	s := v.alt.llr(u, test.U2)
	if len(v.b.Alt.Cohort) > 0 {
		s = ASNorm(s, m, test.Cohort2)
	}
	return s
}

// Score returns the calibrated LLR (nats) that test and enroll are the same speaker, and
// whether both sides had enough net speech to be judged; when either has fewer than MinFrames
// voiced frames the LLR is exactly 0: no evidence either way. With a second system (Second) and
// both probes prepared from statistics that have the second's (Stats.Second), the LLR is the
// fusion of both systems' (Bundle.FuseLLR) while the test side is shorter than the fusion's
// limit (Bundle.FusesTest); otherwise, as for a voiceprint stored before the bundle had a second
// system, it is the first system's own calibrated LLR.
func (v *Verifier) Score(enroll, test *Probe) (llr float64, sufficient bool) {
	llr, sufficient = v.scoreOwn(enroll, test, v.MinFrames)
	if !sufficient || !v.Fuses(enroll, test) {
		return llr, sufficient
	}
	l2, ok := v.second.scoreOwn(enroll.Second, test.Second, v.MinFrames)
	if !ok {
		return llr, true // rounding aside the systems agree on sufficiency; the first's LLR stands
	}
	return v.b.FuseLLR(llr, l2), true
}

// Fuses reports whether Score gives the fusion of both systems for enroll against test: v has a
// second system, both probes carry its side (Probe.Second) and the test is under the fusion's
// limit (Bundle.FusesTest); otherwise a sufficient trial's LLR is the first system's own.
func (v *Verifier) Fuses(enroll, test *Probe) bool {
	return v.second != nil && enroll != nil && test != nil && enroll.Second != nil && test.Second != nil && v.b.FusesTest(test.Frames)
}

// scoreOwn is Score for v's own system, without its second, judging sides with at least
// minFrames voiced frames (the first system's MinFrames for both).
func (v *Verifier) scoreOwn(enroll, test *Probe, minFrames float64) (llr float64, sufficient bool) {
	if enroll.Frames < minFrames || test.Frames < minFrames {
		return 0, false
	}
	if v.b.GMM != nil && (enroll.GModel == nil || test.GTest == nil) {
		return 0, false // a test-only probe (PrepareTest) cannot enroll
	}
	var buf [48]float64
	llr = v.b.Calibration.Apply(v.CalibrationInputs(buf[:0], enroll, test)...)
	if math.IsNaN(llr) || math.IsInf(llr, 0) {
		return 0, false
	}
	return llr, true
}

// ThresholdAtFAR returns the calibrated-LLR threshold above which a fraction far of impostor
// trials would be accepted, interpolated (in log FAR) between the operating points the bundle
// recorded on held-out speakers. A rate outside the measured range is an error: the bundle
// cannot vouch for it.
func (v *Verifier) ThresholdAtFAR(far float64) (float64, error) { return v.b.ThresholdAtFAR(far) }

// ThresholdAtFAR is Verifier.ThresholdAtFAR from b's recorded operating points alone
// (Metadata.FARThresholds), without a verifier: b.FirstSystem().ThresholdAtFAR gives the first
// system's own.
func (b *Bundle) ThresholdAtFAR(far float64) (float64, error) {
	return thresholdAt(b.Meta.FARThresholds, far)
}

// ThresholdAtFARDegraded is Verifier.ThresholdAtFARDegraded from b's recorded operating points
// alone (Metadata.FARThresholdsDegraded).
func (b *Bundle) ThresholdAtFARDegraded(far float64) (float64, error) {
	return thresholdAt(b.Meta.FARThresholdsDegraded, far)
}

// ThresholdAtFARDegraded is ThresholdAtFAR for trials through a degraded channel (Degraded), from
// the operating points measured on such trials alone (Metadata.FARThresholdsDegraded); an error
// when the bundle has none.
func (v *Verifier) ThresholdAtFARDegraded(far float64) (float64, error) {
	return v.b.ThresholdAtFARDegraded(far)
}

// Degraded reports whether a trial of enroll against test counts as through a degraded channel
// for ThresholdAtFARDegraded: the channel detector's probability is at least 0.5 on a side.
func Degraded(enroll, test *Probe) bool {
	return enroll != nil && test != nil && max(enroll.Channel, test.Channel) >= 0.5
}

// thresholdAt interpolates operating points pts (ascending FAR) at far, in log FAR.
func thresholdAt(pts []FARPoint, far float64) (float64, error) {
	if len(pts) == 0 {
		return 0, errors.New("models: bundle records no false-accept operating points")
	}
	if far < pts[0].FAR || far > pts[len(pts)-1].FAR {
		return 0, fmt.Errorf("models: false-accept rate %g outside the measured range %g-%g", far, pts[0].FAR, pts[len(pts)-1].FAR)
	}
	for i := 1; i < len(pts); i++ {
		if far <= pts[i].FAR {
			a, b := pts[i-1], pts[i]
			if b.FAR == a.FAR {
				return b.LLR, nil
			}
			t := (math.Log(far) - math.Log(a.FAR)) / (math.Log(b.FAR) - math.Log(a.FAR))
			return a.LLR + t*(b.LLR-a.LLR), nil
		}
	}
	return pts[0].LLR, nil
}

// EnrolledCohort extends each scorer's adaptive S-norm cohort with a run's own enrolled models:
// for a trial of model m against test t, the test side is normalised against the bundle's cohort
// and every enrolled model but m (leaving m out matters: t's score against m is the trial's own
// score, and a target's would pull its own normalisation up), and — with ModelSide — the model
// side against the bundle's cohort and the other enrolled models' tests. The enrolled models are
// the deployment's own speakers, recorded on its own channels, so they are an in-domain cohort
// where the bundle's training speakers are not. It needs no labels. The test side's scores
// against the enrolled models are the run's whole score matrix (every test against every model),
// so PrepareTest costs one trial per enrolled model.
//
// Use: NewEnrolledCohort, then PrepareModel for every model (concurrently if wished), then for each
// test PrepareTest and Score (both safe for concurrent use once the models are prepared).
type EnrolledCohort struct {
	v      *Verifier
	models []*Probe // as prepared
	sides  []*Probe // the models with their model-side moments against the extended cohort
	member []bool   // the models in the cohort: those with at least MinFrames of speech
	model  bool
	active bool
}

// NewEnrolledCohort returns the extended cohort of the enrolled models (which must have been
// prepared by Prepare, not PrepareTest). Models with less than v.MinFrames of speech, which
// cannot be scored, stay out of it. With fewer than minModels models in it (and always with
// fewer than 2) it is inactive: Score is then exactly Verifier.Score, with the bundle's cohort
// alone.
func (v *Verifier) NewEnrolledCohort(enrolled []*Probe, modelSide bool, minModels int) *EnrolledCohort {
	c := &EnrolledCohort{v: v, models: enrolled, sides: append([]*Probe(nil), enrolled...), model: modelSide,
		member: make([]bool, len(enrolled))}
	n := 0
	for i, m := range enrolled {
		if m.Frames >= v.MinFrames {
			c.member[i] = true
			n++
		}
	}
	c.active = n >= max(minModels, 2)
	return c
}

// Active reports whether the enrolled models take part in the normalisation.
func (c *EnrolledCohort) Active() bool { return c.active }

// cohortScorers lists, in RawScores order, which scorers are S-normalised and take part in an
// EnrolledCohort. The second alternative back end (Bundle.Alt2) is not among them: it keeps the
// bundle's cohort in every trial.
func (v *Verifier) cohortScorers() (main, alt, gmm bool) {
	main = len(v.cohort) > 0
	alt = v.b.Alt != nil && len(v.b.Alt.Cohort) > 0
	gmm = v.b.GMM != nil && len(v.b.GMM.CohortN) > 0
	return
}

// BundleCohortScores returns p's raw scores against the bundle's cohort for each S-normalised
// scorer (nil for a scorer absent or not normalised): [0] the main PLDA, [1] the alternative
// PLDA, [2] the GMM in the model role (asModel; p must come from Prepare) or the test role. The top-N
// moments of each are p's cohort moments for that scorer (Probe.Cohort, Cohort2, GAsModel or
// GAsTest).
func (v *Verifier) BundleCohortScores(p *Probe, asModel bool, ws *VerifierScratch) (sc [3][]float64) {
	mainOK, altOK, gmmOK := v.cohortScorers()
	if mainOK {
		sc[0] = make([]float64, len(v.main.cohortC))
		v.main.cohortScores(sc[0], make([]float64, v.b.PLDA.Dim), p.U)
	}
	if altOK {
		sc[1] = make([]float64, len(v.alt.cohortC))
		v.alt.cohortScores(sc[1], make([]float64, v.b.Alt.PLDA.Dim), p.U2)
	}
	if gmmOK {
		// cohortScores leaves the scores in sc (reordered by the top-N selection, which
		// does not matter here).
		g := v.b.GMM
		sc[2] = make([]float64, len(g.CohortN))
		if asModel {
			g.asModel(p.GModel, p.GModelQ, v.topN, sc[2], ws.gbuf, nil)
		} else {
			g.asTest(p.GTest, p.GTestN, v.topN, sc[2], ws.gbuf, nil)
		}
	}
	return sc
}

// PrepareModel computes enrolled model i's model-side moments (with ModelSide; otherwise it
// does nothing). Calls for different i may run concurrently.
func (c *EnrolledCohort) PrepareModel(i int, ws *VerifierScratch) {
	if !c.active || !c.model || !c.member[i] {
		return
	}
	v, m := c.v, c.models[i]
	sc := v.BundleCohortScores(m, true, ws)
	p := *m
	for j, o := range c.models {
		if j == i || !c.member[j] {
			continue
		}
		v.appendPairScores(&sc, m, o) // m as the model, the cohort's o as its test
	}
	if sc[0] != nil {
		p.Cohort = TopNMoments(sc[0], v.topN)
	}
	if sc[1] != nil {
		p.Cohort2 = TopNMoments(sc[1], v.topN)
	}
	if sc[2] != nil {
		p.GAsModel = TopNMoments(sc[2], v.topN)
	}
	c.sides[i] = &p
}

// appendPairScores appends to each non-nil list of sc the raw score of model m against test t by
// that scorer: main PLDA, alternative PLDA, GMM linear (PLDA is symmetric in its two sides).
func (v *Verifier) appendPairScores(sc *[3][]float64, m, t *Probe) {
	if sc[0] != nil {
		sc[0] = append(sc[0], v.main.llr(m.U, t.U))
	}
	if sc[1] != nil {
		sc[1] = append(sc[1], v.alt.llr(m.U2, t.U2))
	}
	if sc[2] != nil {
		sc[2] = append(sc[2], v.b.GMM.Raw(m.GModel, m.GModelQ, t.GTest, t.GTestN))
	}
}

// CohortTest is a test's summary of its scores against the extended cohort (PrepareTest).
type CohortTest struct{ loo [3]LeaveOneOut }

// PrepareTest scores test t against the bundle's cohort and every enrolled model.
func (c *EnrolledCohort) PrepareTest(t *Probe, ws *VerifierScratch) *CohortTest {
	ct := &CohortTest{}
	if !c.active {
		return ct
	}
	v := c.v
	sc := v.BundleCohortScores(t, false, ws)
	for j, m := range c.models {
		if !c.member[j] {
			continue
		}
		v.appendPairScores(&sc, m, t)
	}
	for k := range sc {
		if sc[k] != nil {
			ct.loo[k] = NewLeaveOneOut(sc[k], v.topN)
		}
	}
	return ct
}

// Sides returns the two sides of the trial of enrolled model m against test t (prepared by
// PrepareTest into ct) with their cohort moments against the extended cohort, m left out of the
// test side's.
func (c *EnrolledCohort) Sides(m int, t *Probe, ct *CohortTest) (enroll, test Probe) {
	enroll, test = *c.sides[m], *t
	if !c.active || !c.member[m] {
		return enroll, test // not scored: too little speech (Verifier.Score)
	}
	v, e := c.v, c.models[m]
	mainOK, altOK, gmmOK := v.cohortScorers()
	if mainOK {
		test.Cohort = ct.loo[0].Without(v.main.llr(e.U, t.U))
	}
	if altOK {
		test.Cohort2 = ct.loo[1].Without(v.alt.llr(e.U2, t.U2))
	}
	if gmmOK {
		test.GAsTest = ct.loo[2].Without(v.b.GMM.Raw(e.GModel, e.GModelQ, t.GTest, t.GTestN))
	}
	return enroll, test
}

// Score is Verifier.Score of enrolled model m against test t with the extended cohort.
func (c *EnrolledCohort) Score(m int, t *Probe, ct *CohortTest) (llr float64, sufficient bool) {
	if !c.active || !c.member[m] {
		return c.v.Score(c.models[m], t)
	}
	e, te := c.Sides(m, t, ct)
	return c.v.Score(&e, &te)
}
