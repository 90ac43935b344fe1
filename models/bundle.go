package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/voxguard/voxguard/internal/vec"
)

// Bundle file format (all integers little-endian):
//
//	"VXGB"                magic
//	uint32                format version (1, or BundleVersion when a section needs it)
//	uint64                body length in bytes (≤ MaxBundleSize)
//	body                  sections, each: [4]byte tag, uint64 length, payload
//	uint32                CRC-32 (Castagnoli) of the body
//
// Payloads start with uint32 dimensions followed by float32 values. Sections
// (all optional, at most once each): "META" metadata JSON; "UBM " C, D,
// weights[C], means[C·D], vars[C·D]; "TVAR" C, D, R, T[C·D·R] (needs "UBM ");
// "MEAN" dim, i-vector mean[dim];
// "LDA " and "WCCN" in, out, mean[in], M[out·in]; "PLDA" dim, mean[dim],
// A[dim·dim], psi[dim]; "CALB" K, weights[K], bias, pEff; "COHR" n, dim,
// vectors[n·dim]; "SPOF" the spoofing countermeasure (see marshalSpoof); "CHAN" R, the channel
// detector's mean[R], scale[R], weights[R], bias (see marshalChannel); "CHNV" its novelty score
// (see marshalNovelty); "GCOH" n, C, D, the GMM
// scorer's relevance factor, cohort N[n·C], F[n·C·D]. Unknown tags are skipped
// so that readers of the same version tolerate additions.
//
// Version 2 marks a bundle an older reader would misread without an error: one whose
// countermeasure scores its long-term statistics with a perceptron (Countermeasure.LTSSNet) or
// normalises its frames (Countermeasure.StaticCMN), fields version-1 readers would ignore,
// scoring against thresholds set on other scores. Version 3 marks a bundle whose GMM scorer
// projects its model vectors ("GNAP": k, C, D, then the k·C·D values of an orthonormal basis in
// half precision, padded to 4 bytes; needs "GCOH"), which older readers would skip while the
// calibration expects projected scores. Version 4 marks a bundle whose i-vector extractor
// whitens with its own residual variances ("TVSD": C, D, then C·D scale factors k, the
// extractor whitening by k/σ; needs "TVAR"), which older readers would skip while T expects
// them. Version 5 marks a bundle whose countermeasure has a frame network (Countermeasure.Net:
// "frame_net" in the SPOF JSON, its parameters after the GMMs: mean[D], std[D], then per layer
// W[out·in], B[out]), which older readers would refuse as malformed rather than by version.
// Version 6 marks a bundle whose GMM scorer keeps the quadratic term (GMMLinear.Quadratic:
// "GQUA" with the single dimension 1, or 2 when it also gives the plain score,
// GMMLinear.KeepLinear; needs "GCOH"), which older readers would skip while the calibration
// expects its scores. Version 7 marks a bundle whose countermeasure has a voice-source scorer
// (Countermeasure.VQ: "vq_mlp" in the SPOF JSON), which older readers would ignore while the
// thresholds expect its share of the score. Version 8 marks a bundle whose i-vector extractor
// whitens with full per-component covariances ("TVFW": C, D, then C·D(D+1)/2 values, each
// component's lower-packed whitening matrix; needs "TVAR"), which older readers would skip while T
// expects it, or whose metadata sets GMMFullWhiteningKey, which older readers would ignore.
// Version 9 marks a bundle with a second speaker system (Bundle.Second: "SUB2" holds a whole
// nested bundle file, header and checksum included; its metadata, Metadata.Fusion, says how
// the two LLRs combine), which older readers would skip, scoring with the first system alone
// against thresholds set on the fused LLR; an outer bundle's version is at least its nested
// one's. Version 10 marks a bundle that stores its extractor's T in half precision ("TVAH": C, D,
// R, then the C·D·R values as in "TVAR" but 2 bytes each, padded to 4 bytes;
// Metadata.HalfPrecisionT), which older readers would skip, having no extractor. Version 11
// marks a bundle whose countermeasure has a spectrum network (Countermeasure.Spec: "spec_net"
// in the SPOF JSON, its parameters after the frame network's), which older readers would refuse
// as malformed rather than by version. Version 12 marks a spectrum network with members (an
// ensemble: SpecNet.Members in its JSON, their parameters after its own), whose extra parameters
// older readers would refuse as malformed. Version 13 marks spectrum networks on further front
// ends (Countermeasure.SpecViews: "spec_views" in the SPOF JSON, their parameters after the
// spectrum network's), which older readers would refuse as malformed. Version 14 marks a
// spectrum network (or member, or view) with a one-class head (SpecNet.CosineScale), which
// older readers would read without an error and score as a linear output. Every other bundle is
// still written as version 1.
const (
	bundleMagic = "VXGB"
	// BundleVersion is the newest format version, written only when a section needs it; every
	// version from 1 up to it is read.
	BundleVersion uint32 = 14
	// MaxBundleSize bounds the body length a reader accepts (1 GiB).
	MaxBundleSize = 1 << 30
)

// Errors reported by ReadBundle; test with errors.Is. The returned errors
// wrap these with details.
var (
	ErrBadMagic           = errors.New("models: not a voxguard model bundle (bad magic)")
	ErrUnsupportedVersion = errors.New("models: unsupported model bundle version")
	ErrTruncated          = errors.New("models: model bundle is truncated")
	ErrChecksum           = errors.New("models: model bundle checksum mismatch (corrupt file)")
	ErrMalformed          = errors.New("models: malformed model bundle")
)

// formatVersion is the oldest format version that reads b correctly.
func (b *Bundle) formatVersion() uint32 {
	if b.Spoof != nil && b.Spoof.Spec != nil {
		oneClass := b.Spoof.Spec.oneClass()
		for _, v := range b.Spoof.SpecViews {
			oneClass = oneClass || v.Net != nil && v.Net.oneClass()
		}
		if oneClass {
			return 14
		}
		if len(b.Spoof.SpecViews) > 0 {
			return 13
		}
		if len(b.Spoof.Spec.Members) > 0 {
			return 12
		}
		return 11
	}
	if b.Meta.HalfPrecisionT && b.Extractor != nil {
		return 10
	}
	if b.Second != nil {
		return max(9, b.Second.formatVersion())
	}
	if b.Extractor != nil && b.Extractor.FullWhitening() != nil {
		return 8
	}
	if _, ok := b.Meta.Extra[GMMFullWhiteningKey]; ok {
		return 8
	}
	if b.Spoof != nil && b.Spoof.VQ != nil {
		return 7
	}
	if b.GMM != nil && b.GMM.Quadratic {
		return 6
	}
	if b.Spoof != nil && b.Spoof.Net != nil {
		return 5
	}
	if b.Extractor != nil && b.Extractor.VarianceScale() != nil {
		return 4
	}
	if b.GMM != nil && len(b.GMM.NAP) > 0 {
		return 3
	}
	if b.Spoof != nil && (b.Spoof.LTSSNet != nil || b.Spoof.StaticCMN > 0) {
		return 2
	}
	return 1
}

// FrontEndMismatchError reports that a bundle was trained with a different
// feature front-end configuration than the caller uses. Both are canonical JSON.
type FrontEndMismatchError struct {
	Bundle, Caller json.RawMessage
}

func (e *FrontEndMismatchError) Error() string {
	return fmt.Sprintf("models: model bundle was trained with front end %s but the caller uses %s; retrain the models or use the matching front-end configuration", e.Bundle, e.Caller)
}

// Metadata describes a bundle. FrontEnd is the feature front-end
// configuration the models were trained with, opaque to this package.
type Metadata struct {
	Created     string            `json:"created,omitempty"`
	Description string            `json:"description,omitempty"`
	FrontEnd    json.RawMessage   `json:"front_end,omitempty"`
	TopC        int               `json:"top_c,omitempty"`       // Gaussian selection size used in training
	SelectDims  int               `json:"select_dims,omitempty"` // see Scratch.SelectDims
	HierGroups  int               `json:"hier_groups,omitempty"` // GMM.BuildHierarchy(k) after loading, 0: none
	HierExpand  int               `json:"hier_expand,omitempty"` // Scratch.Groups
	MinPost     float64           `json:"min_post,omitempty"`    // Scratch.MinPost: the statistics drop posteriors below it (0: keep all TopC)
	SNormTopN   int               `json:"snorm_top_n,omitempty"` // adaptive S-norm cohort size
	LengthNorm  bool              `json:"length_norm,omitempty"` // back end length-normalises (see Backend)
	Extra       map[string]string `json:"extra,omitempty"`
	// FARThresholds are calibrated-LLR thresholds at stated false-accept rates, measured on
	// held-out non-target trials; ascending FAR.
	FARThresholds []FARPoint `json:"far_thresholds,omitempty"`
	// FARThresholdsDegraded are the same measured on held-out non-target trials through a
	// degraded channel alone (the channel detector's p ≥ 0.5 on a side), where impostors score
	// higher; absent in bundles without a channel detector.
	FARThresholdsDegraded []FARPoint `json:"far_thresholds_degraded,omitempty"`
	// Fusion, with a Second system, is [w₁, w₂, b]: a trial's LLR is w₁·(this system's
	// calibrated LLR) + w₂·(the second's) + b, in nats, trained on held-out trials of both.
	Fusion []float64 `json:"fusion,omitempty"`
	// FusionMaxSeconds, with a Second system, is the test side's net speech (seconds, at 100
	// voiced frames per second) from which a trial is scored by the first system alone: the
	// fusion serves shorter tests, where the second system helps most, and a live call stops
	// feeding the second system once it has this much speech (Bundle.FusesTest). 0: every
	// trial is fused.
	FusionMaxSeconds float64 `json:"fusion_max_seconds,omitempty"`
	// FirstFARThresholds and FirstFARThresholdsDegraded, with a Second system, are the first
	// system's own operating points (FARThresholds and FARThresholdsDegraded as it was trained,
	// before the fusion replaced them), for scoring with the first system alone
	// (Bundle.FirstSystem).
	FirstFARThresholds         []FARPoint `json:"first_far_thresholds,omitempty"`
	FirstFARThresholdsDegraded []FARPoint `json:"first_far_thresholds_degraded,omitempty"`
	// HalfPrecisionT stores the i-vector extractor's T in half precision (section "TVAH"
	// instead of "TVAR"): 2 bytes per value instead of 4, half the largest section's size, where
	// extraction reads T at most in half precision anyway (in int8 with a scale per row where
	// the machine has the kernels: readOnceMatrix). Values round to the nearest half, within
	// 2⁻¹¹ relative; a bundle read back holds those rounded values, so training rounds T once,
	// before anything is derived from it (recipe's TV stage writes its checkpoint so).
	HalfPrecisionT bool `json:"half_precision_t,omitempty"`
}

// FARPoint is one operating point: accepting trials whose LLR exceeds LLR falsely accepted a
// fraction FAR of held-out non-target trials.
type FARPoint struct {
	FAR float64 `json:"far"`
	LLR float64 `json:"llr"`
}

// Bundle is everything a verification deployment needs; any model may be nil.
type Bundle struct {
	Meta        Metadata
	UBM         *GMM
	Extractor   *IVectorExtractor
	IVectorMean []float64 // global i-vector mean subtracted first by the back end
	LDA         *Affine
	WCCN        *Affine
	PLDA        *PLDA
	Calibration *Calibration
	Cohort      [][]float64 // impostor cohort vectors (PLDA u-space) for S-norm
	// Alt, when present, is a second PLDA back end on the same i-vectors (trained on other
	// data, e.g. with degraded-channel copies), fused by the calibration.
	Alt *AltBackend
	// Alt2, when present (with Alt), is a third PLDA back end (sections BLDA, BPLD, BCOH),
	// trained on more degraded-channel data than Alt (recipe's TrainConfig.ThirdBackend); its
	// score follows Alt's, multiplied by the detected probability of a degraded channel, so that
	// the calibration reads it on degraded calls only.
	Alt2 *AltBackend
	// GMM, when present, adds GMM-UBM linear scoring with its own cohort; the calibration then
	// fuses the scores in the order PLDA, Alt, Alt2, GMM.
	GMM *GMMLinear
	// Spoof, when present, is the spoofing countermeasure (section "SPOF", see marshalSpoof).
	Spoof *Countermeasure
	// Channel, when present, estimates each side's channel degradation from its i-vector for
	// the channel-aware calibration layout (section "CHAN").
	Channel *ChannelDetector
	// Second, when present, is a second complete speaker system on another front end (its own
	// Meta.FrontEnd, UBM, extractor, back ends and calibration; no countermeasure and no
	// Second of its own), stored as a whole nested bundle in section "SUB2". Each trial's LLR
	// is then Meta.Fusion's combination of the two systems' calibrated LLRs (FuseLLR).
	Second *Bundle

	selGroups int // groups scored per frame by two-level selection (SelectionGroupsKey); 0: off
}

// validateSecond checks the pairing of Second and Meta.Fusion: both or neither; a second
// system with what verification needs, no countermeasure and no second system of its own.
func (b *Bundle) validateSecond() error {
	sb := b.Second
	switch {
	case sb == nil && len(b.Meta.Fusion) == 0:
		return nil
	case sb == nil:
		return errors.New("models: fusion weights without a second system")
	case len(b.Meta.Fusion) != 3:
		return fmt.Errorf("models: a second system needs fusion weights [w1 w2 b], got %d values", len(b.Meta.Fusion))
	case sb.Second != nil || sb.Spoof != nil:
		return errors.New("models: the second system may hold neither a system nor a countermeasure of its own")
	case sb.UBM == nil || sb.Extractor == nil || sb.PLDA == nil || sb.Calibration == nil:
		return errors.New("models: the second system lacks its UBM, extractor, PLDA or calibration")
	case len(sb.Meta.FrontEnd) == 0:
		return errors.New("models: the second system records no front end")
	}
	for _, w := range b.Meta.Fusion {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("models: fusion weight %g", w)
		}
	}
	if m := b.Meta.FusionMaxSeconds; !(m >= 0 && m < math.Inf(1)) {
		return fmt.Errorf("models: fusion limit %g s", m)
	}
	return nil
}

// NewStats returns zeroed statistics for the bundle's UBM and, with a second system, for its
// UBM too (Stats.Second).
func (b *Bundle) NewStats() *Stats {
	s := b.UBM.NewStats()
	if b.Second != nil {
		s.Second = b.Second.UBM.NewStats()
	}
	return s
}

// FirstSystem returns the bundle as its first system alone: a shallow copy without the second
// system and its fusion, with the first system's own operating points (Metadata.
// FirstFARThresholds) where the bundle kept them. Without a second system it returns b.
func (b *Bundle) FirstSystem() *Bundle {
	if b.Second == nil {
		return b
	}
	c := *b
	c.Second = nil
	c.Meta.Fusion, c.Meta.FusionMaxSeconds = nil, 0
	if c.Meta.FirstFARThresholds != nil {
		c.Meta.FARThresholds, c.Meta.FARThresholdsDegraded = c.Meta.FirstFARThresholds, c.Meta.FirstFARThresholdsDegraded
	}
	c.Meta.FirstFARThresholds, c.Meta.FirstFARThresholdsDegraded = nil, nil
	return &c
}

// FusesTest reports whether a trial whose test side has frames voiced frames (Probe.Frames) is
// scored by the fusion of both systems (Metadata.FusionMaxSeconds): never without a second
// system.
func (b *Bundle) FusesTest(frames float64) bool {
	if b.Second == nil {
		return false
	}
	m := b.Meta.FusionMaxSeconds
	return m <= 0 || frames < m*100
}

// FuseLLR combines the first system's calibrated LLR l1 and the second's l2 into the bundle's
// LLR (Metadata.Fusion), in nats; without a second system it returns l1.
func (b *Bundle) FuseLLR(l1, l2 float64) float64 {
	if f := b.Meta.Fusion; len(f) == 3 && b.Second != nil {
		return f[0]*l1 + f[1]*l2 + f[2]
	}
	return l1
}

// AltBackend is an alternative PLDA back end: LDA, length normalisation, PLDA and its S-norm
// cohort (u-space), stored in the ALDA, APLD and ACOH sections.
type AltBackend struct {
	LDA    *Affine
	PLDA   *PLDA
	Cohort [][]float64
}

// WriteTo serialises b (float64 parameters are stored as float32).
func (b *Bundle) WriteTo(w io.Writer) (int64, error) {
	var body bytes.Buffer
	meta, err := json.Marshal(b.Meta)
	if err != nil {
		return 0, err
	}
	section(&body, "META", meta)
	if g := b.UBM; g != nil {
		if err := g.Validate(); err != nil {
			return 0, err
		}
		section(&body, "UBM ", payload(dims(g.C, g.D), g.Weights, g.Means, g.Vars))
	}
	if e := b.Extractor; e != nil {
		if b.UBM == nil || b.UBM.C != e.C || b.UBM.D != e.D {
			return 0, errors.New("models: bundle extractor needs a UBM of the same shape")
		}
		if b.Meta.HalfPrecisionT {
			section(&body, "TVAH", halfPayload(dims(e.C, e.D, e.R), e.T))
		} else {
			section(&body, "TVAR", payload(dims(e.C, e.D, e.R), e.T))
		}
		if w := e.FullWhitening(); w != nil {
			section(&body, "TVFW", payload(dims(e.C, e.D), w))
		}
		if k := e.VarianceScale(); k != nil {
			section(&body, "TVSD", payload(dims(e.C, e.D), k))
		}
	}
	if len(b.IVectorMean) > 0 {
		section(&body, "MEAN", payload(dims(len(b.IVectorMean)), b.IVectorMean))
	}
	for _, a := range []struct {
		tag string
		m   *Affine
	}{{"LDA ", b.LDA}, {"WCCN", b.WCCN}} {
		if a.m != nil {
			if err := a.m.Validate(); err != nil {
				return 0, err
			}
			section(&body, a.tag, payload(dims(a.m.In, a.m.Out), a.m.Mean, a.m.M))
		}
	}
	if p := b.PLDA; p != nil {
		if err := p.Validate(); err != nil {
			return 0, err
		}
		section(&body, "PLDA", payload(dims(p.Dim), p.Mean, p.A, p.Psi))
	}
	if c := b.Calibration; c != nil {
		if err := c.Validate(); err != nil {
			return 0, err
		}
		section(&body, "CALB", payload(dims(len(c.Weights)), c.Weights, []float64{c.Bias, c.PEff}))
	}
	if len(b.Cohort) > 0 {
		dim := len(b.Cohort[0])
		flat := make([]float64, 0, len(b.Cohort)*dim)
		for _, v := range b.Cohort {
			if len(v) != dim {
				return 0, errors.New("models: cohort vectors differ in dimension")
			}
			flat = append(flat, v...)
		}
		section(&body, "COHR", payload(dims(len(b.Cohort), dim), flat))
	}
	for _, alt := range []struct {
		a    *AltBackend
		tags [3]string
		name string
	}{{b.Alt, [3]string{"ALDA", "APLD", "ACOH"}, "alternative"}, {b.Alt2, [3]string{"BLDA", "BPLD", "BCOH"}, "second alternative"}} {
		a := alt.a
		if a == nil {
			continue
		}
		if a.LDA == nil || a.PLDA == nil {
			return 0, fmt.Errorf("models: %s back end needs an LDA and a PLDA", alt.name)
		}
		if err := a.LDA.Validate(); err != nil {
			return 0, err
		}
		if err := a.PLDA.Validate(); err != nil {
			return 0, err
		}
		section(&body, alt.tags[0], payload(dims(a.LDA.In, a.LDA.Out), a.LDA.Mean, a.LDA.M))
		section(&body, alt.tags[1], payload(dims(a.PLDA.Dim), a.PLDA.Mean, a.PLDA.A, a.PLDA.Psi))
		if len(a.Cohort) > 0 {
			flat := make([]float64, 0, len(a.Cohort)*len(a.Cohort[0]))
			for _, v := range a.Cohort {
				if len(v) != a.PLDA.Dim {
					return 0, fmt.Errorf("models: %s cohort vectors differ in dimension", alt.name)
				}
				flat = append(flat, v...)
			}
			section(&body, alt.tags[2], payload(dims(len(a.Cohort), a.PLDA.Dim), flat))
		}
	}
	if b.Alt2 != nil && b.Alt == nil {
		return 0, errors.New("models: a second alternative back end needs the first")
	}
	if g := b.GMM; g != nil {
		if b.UBM == nil {
			return 0, errors.New("models: GMM scoring needs a UBM")
		}
		n := len(g.CohortN)
		flatN := make([]float64, 0, n*b.UBM.C)
		flatF := make([]float64, 0, n*b.UBM.C*b.UBM.D)
		for i := range g.CohortN {
			if len(g.CohortN[i]) != b.UBM.C || len(g.CohortF[i]) != b.UBM.C*b.UBM.D {
				return 0, errors.New("models: GMM cohort entry does not match the UBM")
			}
			flatN = append(flatN, g.CohortN[i]...)
			flatF = append(flatF, g.CohortF[i]...)
		}
		section(&body, "GCOH", payload(dims(n, b.UBM.C, b.UBM.D), []float64{g.Relevance}, flatN, flatF))
		if g.Quadratic {
			k := 1
			if g.KeepLinear {
				k = 2 // the plain linear score too, as a further scorer
			}
			section(&body, "GQUA", payload(dims(k)))
		}
		if len(g.NAP) > 0 {
			// k, C, D, then the basis in half precision (2 bytes per value, padded to 4).
			p := payload(dims(len(g.NAP), b.UBM.C, b.UBM.D))
			h := make([]uint16, b.UBM.C*b.UBM.D)
			for _, r := range g.NAP {
				if len(r) != len(h) {
					return 0, errors.New("models: GMM NAP direction does not match the UBM")
				}
				vec.ToF16(h, r)
				for _, x := range h {
					p = binary.LittleEndian.AppendUint16(p, x)
				}
			}
			if len(p)%4 != 0 {
				p = append(p, 0, 0)
			}
			section(&body, "GNAP", p)
		}
	}
	if b.Spoof != nil {
		p, err := marshalSpoof(b.Spoof)
		if err != nil {
			return 0, err
		}
		section(&body, "SPOF", p)
	}
	if b.Channel != nil {
		p, err := marshalChannel(b.Channel)
		if err != nil {
			return 0, err
		}
		section(&body, "CHAN", p)
		if b.Channel.Novelty != nil {
			p, err := marshalNovelty(b.Channel.Novelty)
			if err != nil {
				return 0, err
			}
			section(&body, "CHNV", p)
		}
	}
	if err := b.validateSecond(); err != nil {
		return 0, err
	}
	if sb := b.Second; sb != nil {
		var nested bytes.Buffer
		if _, err := sb.WriteTo(&nested); err != nil {
			return 0, fmt.Errorf("models: second system: %w", err)
		}
		section(&body, "SUB2", nested.Bytes())
	}
	if body.Len() > MaxBundleSize {
		return 0, fmt.Errorf("models: bundle body of %d bytes exceeds %d", body.Len(), MaxBundleSize)
	}
	hdr := make([]byte, 0, 16)
	hdr = append(hdr, bundleMagic...)
	hdr = binary.LittleEndian.AppendUint32(hdr, b.formatVersion())
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(body.Len()))
	crc := binary.LittleEndian.AppendUint32(nil, crc32.Checksum(body.Bytes(), castagnoli))
	var n int64
	for _, part := range [][]byte{hdr, body.Bytes(), crc} {
		k, err := w.Write(part)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func dims(d ...int) []uint32 {
	out := make([]uint32, len(d))
	for i, v := range d {
		out[i] = uint32(v)
	}
	return out
}

func payload(ds []uint32, vals ...[]float64) []byte {
	n := 4 * len(ds)
	for _, v := range vals {
		n += 4 * len(v)
	}
	b := make([]byte, 0, n)
	for _, d := range ds {
		b = binary.LittleEndian.AppendUint32(b, d)
	}
	for _, v := range vals {
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x)))
		}
	}
	return b
}

// halfPayload is payload with the values in half precision (rounded to nearest), padded to 4
// bytes.
func halfPayload(ds []uint32, v []float64) []byte {
	b := make([]byte, 0, 4*len(ds)+2*len(v)+2)
	for _, d := range ds {
		b = binary.LittleEndian.AppendUint32(b, d)
	}
	h := make([]uint16, len(v))
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	vec.ToF16(h, f)
	for _, x := range h {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	if len(v)%2 == 1 {
		b = append(b, 0, 0)
	}
	return b
}

func section(w *bytes.Buffer, tag string, p []byte) {
	w.WriteString(tag)
	var l [8]byte
	binary.LittleEndian.PutUint64(l[:], uint64(len(p)))
	w.Write(l[:])
	w.Write(p)
}

// ReadBundleFile reads the bundle file at path (ReadBundle, any front end); errors name the path.
func ReadBundleFile(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := ReadBundle(f, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// ReadBundle parses a bundle written by Bundle.WriteTo. If wantFrontEnd is
// non-nil, the bundle's front-end configuration must equal it as JSON (key
// order and whitespace do not matter), otherwise a *FrontEndMismatchError is
// returned. Corrupt, truncated or foreign input yields an error wrapping
// ErrBadMagic, ErrUnsupportedVersion, ErrTruncated, ErrChecksum or
// ErrMalformed; no allocation is sized by an unchecked field.
func ReadBundle(r io.Reader, wantFrontEnd json.RawMessage) (*Bundle, error) {
	var hdr [16]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n >= 4 && string(hdr[:4]) != bundleMagic {
			return nil, ErrBadMagic
		}
		return nil, fmt.Errorf("%w: header (%d of 16 bytes)", ErrTruncated, n)
	}
	if string(hdr[:4]) != bundleMagic {
		return nil, ErrBadMagic
	}
	if v := binary.LittleEndian.Uint32(hdr[4:]); v < 1 || v > BundleVersion {
		return nil, fmt.Errorf("%w: file has version %d, this build reads versions 1 to %d", ErrUnsupportedVersion, v, BundleVersion)
	}
	size := binary.LittleEndian.Uint64(hdr[8:])
	if size > MaxBundleSize {
		return nil, fmt.Errorf("%w: body length %d exceeds %d", ErrMalformed, size, MaxBundleSize)
	}
	var body bytes.Buffer // grows with the data actually present
	if n, err := io.CopyN(&body, r, int64(size)); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: body has %d of %d bytes", ErrTruncated, n, size)
		}
		return nil, err
	}
	var crc [4]byte
	if _, err := io.ReadFull(r, crc[:]); err != nil {
		return nil, fmt.Errorf("%w: missing checksum", ErrTruncated)
	}
	if crc32.Checksum(body.Bytes(), castagnoli) != binary.LittleEndian.Uint32(crc[:]) {
		return nil, ErrChecksum
	}
	b, err := parseBody(body.Bytes())
	if err != nil {
		return nil, err
	}
	if err := b.PrepareSelection(); err != nil {
		return nil, err
	}
	if err := b.PreparePrecisionRank(); err != nil {
		return nil, err
	}
	if wantFrontEnd != nil {
		got, err1 := canonicalJSON(b.Meta.FrontEnd)
		want, err2 := canonicalJSON(wantFrontEnd)
		if err2 != nil {
			return nil, fmt.Errorf("models: caller's front-end configuration is not valid JSON: %w", err2)
		}
		if err1 != nil || !bytes.Equal(got, want) {
			return nil, &FrontEndMismatchError{Bundle: got, Caller: want}
		}
	}
	return b, nil
}

// canonicalJSON re-encodes JSON with sorted keys and no insignificant space.
func canonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage("null"), nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return json.RawMessage(raw), err
	}
	return json.Marshal(v)
}

// reader decodes a payload with bounds checks.
type reader struct {
	b   []byte
	tag string
	err error
}

func (r *reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: section %q: %s", ErrMalformed, r.tag, fmt.Sprintf(format, a...))
	}
}

func (r *reader) dim() int {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 4 {
		r.fail("missing dimension")
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	if v == 0 || v > 1<<24 {
		r.fail("dimension %d out of range", v)
		return 0
	}
	return int(v)
}

// floats reads the product of ds float32 values, refusing counts larger than
// the bytes left before allocating.
func (r *reader) floats(ds ...int) []float64 {
	n, ok := r.count(4, ds)
	if !ok {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(r.b[4*i:])))
	}
	r.b = r.b[4*n:]
	return out
}

// halves reads the product of ds half-precision values (then the padding to 4 bytes, if any),
// refusing counts larger than the bytes left before allocating; non-finite values are refused.
func (r *reader) halves(ds ...int) []float32 {
	n, ok := r.count(2, ds)
	if !ok {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = vec.FromF16(binary.LittleEndian.Uint16(r.b[2*i:]))
		if math.IsInf(float64(out[i]), 0) || math.IsNaN(float64(out[i])) {
			r.fail("value %d is not finite", i)
			return nil
		}
	}
	r.b = r.b[2*n:]
	if n%2 == 1 && len(r.b) >= 2 {
		r.b = r.b[2:]
	}
	return out
}

// count returns the product of ds, the number of values of width bytes to read, refusing (ok
// false, the reader failed) a product larger than the bytes left.
func (r *reader) count(width int, ds []int) (n uint64, ok bool) {
	if r.err != nil {
		return 0, false
	}
	left := uint64(len(r.b) / width)
	n = 1
	for _, d := range ds {
		if d <= 0 || n > left/uint64(d) {
			r.fail("needs more data than the section holds")
			return 0, false
		}
		n *= uint64(d)
	}
	return n, true
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

func parseBody(body []byte) (*Bundle, error) {
	b := &Bundle{}
	seen := map[string]bool{}
	var tvar, tvsd, tvfw, gcoh, gnap *reader
	var novelty *ChannelNovelty // CHNV belongs to CHAN's detector
	tvarHalf := false           // tvar is "TVAH": T in half precision
	gqua, gkeep := false, false
	alt := func() *AltBackend {
		if b.Alt == nil {
			b.Alt = &AltBackend{}
		}
		return b.Alt
	}
	alt2 := func() *AltBackend {
		if b.Alt2 == nil {
			b.Alt2 = &AltBackend{}
		}
		return b.Alt2
	}
	for len(body) > 0 {
		if len(body) < 12 {
			return nil, fmt.Errorf("%w: section header cut short", ErrMalformed)
		}
		tag := string(body[:4])
		n := binary.LittleEndian.Uint64(body[4:12])
		body = body[12:]
		if n > uint64(len(body)) {
			return nil, fmt.Errorf("%w: section %q claims %d bytes, %d left", ErrMalformed, tag, n, len(body))
		}
		if seen[tag] {
			return nil, fmt.Errorf("%w: duplicate section %q", ErrMalformed, tag)
		}
		seen[tag] = true
		r := &reader{b: body[:n], tag: tag}
		body = body[n:]
		switch tag {
		case "META":
			if err := json.Unmarshal(r.b, &b.Meta); err != nil {
				return nil, fmt.Errorf("%w: metadata: %v", ErrMalformed, err)
			}
			r.b = nil
		case "UBM ":
			C, D := r.dim(), r.dim()
			g := &GMM{C: C, D: D, Weights: r.floats(C), Means: r.floats(C, D), Vars: r.floats(C, D)}
			if err := r.done(); err != nil {
				return nil, err
			}
			if err := g.Precompute(); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			b.UBM = g
		case "TVAR", "TVAH":
			if tvar != nil {
				return nil, fmt.Errorf("%w: both TVAR and TVAH", ErrMalformed)
			}
			tvar, tvarHalf = r, tag == "TVAH" // needs the UBM, which may come later
			continue
		case "TVFW":
			tvfw = r // needs the extractor
			continue
		case "TVSD":
			tvsd = r // needs the extractor
			continue
		case "MEAN":
			d := r.dim()
			b.IVectorMean = r.floats(d)
			if err := r.done(); err != nil {
				return nil, err
			}
		case "LDA ", "WCCN":
			a, err := r.affine()
			if err != nil {
				return nil, err
			}
			if tag == "LDA " {
				b.LDA = a
			} else {
				b.WCCN = a
			}
		case "PLDA":
			p, err := r.plda()
			if err != nil {
				return nil, err
			}
			b.PLDA = p
		case "CALB":
			k := r.dim()
			w := r.floats(k)
			tail := r.floats(2)
			if err := r.done(); err != nil {
				return nil, err
			}
			b.Calibration = &Calibration{Weights: w, Bias: tail[0], PEff: tail[1]}
			if err := b.Calibration.Validate(); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
			}
		case "SPOF":
			cm, err := parseSpoof(r)
			if err != nil {
				return nil, err
			}
			b.Spoof = cm
		case "CHAN":
			d, err := parseChannel(r)
			if err != nil {
				return nil, err
			}
			b.Channel = d
		case "CHNV":
			n, err := parseNovelty(r)
			if err != nil {
				return nil, err
			}
			novelty = n
		case "GCOH":
			gcoh = r // needs the UBM, which may come later
			continue
		case "GNAP":
			gnap = r // belongs to the GMM cohort's scorer
			continue
		case "GQUA":
			k := r.dim()
			if k != 1 && k != 2 {
				return nil, fmt.Errorf("%w: GQUA section is %d, not 1 or 2", ErrMalformed, k)
			}
			if err := r.done(); err != nil {
				return nil, err
			}
			gqua, gkeep = true, k == 2
		case "ALDA":
			a, err := r.affine()
			if err != nil {
				return nil, err
			}
			alt().LDA = a
		case "APLD":
			p, err := r.plda()
			if err != nil {
				return nil, err
			}
			alt().PLDA = p
		case "ACOH":
			c, err := r.vectors()
			if err != nil {
				return nil, err
			}
			alt().Cohort = c
		case "BLDA":
			a, err := r.affine()
			if err != nil {
				return nil, err
			}
			alt2().LDA = a
		case "BPLD":
			p, err := r.plda()
			if err != nil {
				return nil, err
			}
			alt2().PLDA = p
		case "BCOH":
			c, err := r.vectors()
			if err != nil {
				return nil, err
			}
			alt2().Cohort = c
		case "COHR":
			c, err := r.vectors()
			if err != nil {
				return nil, err
			}
			b.Cohort = c
		case "SUB2":
			sb, err := ReadBundle(bytes.NewReader(r.b), nil)
			if err != nil {
				return nil, fmt.Errorf("%w: second system: %v", ErrMalformed, err)
			}
			b.Second, r.b = sb, nil
		}
	}
	if err := b.validateSecond(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for _, alt := range []struct {
		a    *AltBackend
		name string
	}{{b.Alt, "alternative"}, {b.Alt2, "second alternative"}} {
		a := alt.a
		if a == nil {
			continue
		}
		switch {
		case a.LDA == nil || a.PLDA == nil:
			return nil, fmt.Errorf("%w: %s back end lacks its LDA or PLDA section", ErrMalformed, alt.name)
		case a.LDA.Out != a.PLDA.Dim:
			return nil, fmt.Errorf("%w: %s LDA gives %d dimensions, its PLDA takes %d", ErrMalformed, alt.name, a.LDA.Out, a.PLDA.Dim)
		}
		for _, c := range a.Cohort {
			if len(c) != a.PLDA.Dim {
				return nil, fmt.Errorf("%w: %s cohort dimension %d, PLDA %d", ErrMalformed, alt.name, len(c), a.PLDA.Dim)
			}
		}
	}
	if b.Alt2 != nil && b.Alt == nil {
		return nil, fmt.Errorf("%w: a second alternative back end without the first", ErrMalformed)
	}
	if novelty != nil {
		if b.Channel == nil {
			return nil, fmt.Errorf("%w: channel novelty without a channel detector", ErrMalformed)
		}
		b.Channel.Novelty = novelty
		if err := b.Channel.Validate(); err != nil {
			return nil, errors.Join(ErrMalformed, err)
		}
	}
	if gnap != nil && gcoh == nil {
		return nil, fmt.Errorf("%w: GMM NAP without a GMM cohort", ErrMalformed)
	}
	if gqua && gcoh == nil {
		return nil, fmt.Errorf("%w: GMM quadratic term without a GMM cohort", ErrMalformed)
	}
	if gcoh != nil {
		if b.UBM == nil {
			return nil, fmt.Errorf("%w: GMM cohort without a UBM", ErrMalformed)
		}
		n, C, D := gcoh.dim(), gcoh.dim(), gcoh.dim()
		rel := gcoh.floats(1)
		flatN := gcoh.floats(n, C)
		flatF := gcoh.floats(n, C, D)
		if err := gcoh.done(); err != nil {
			return nil, err
		}
		if C != b.UBM.C || D != b.UBM.D {
			return nil, fmt.Errorf("%w: GMM cohort is for %dx%d, UBM is %dx%d", ErrMalformed, C, D, b.UBM.C, b.UBM.D)
		}
		g := &GMMLinear{Relevance: rel[0], Quadratic: gqua, KeepLinear: gkeep}
		for i := range n {
			g.CohortN = append(g.CohortN, flatN[i*C:(i+1)*C:(i+1)*C])
			g.CohortF = append(g.CohortF, flatF[i*C*D:(i+1)*C*D:(i+1)*C*D])
		}
		if gnap != nil {
			k, nc, nd := gnap.dim(), gnap.dim(), gnap.dim()
			flat := gnap.halves(k, nc, nd)
			if err := gnap.done(); err != nil {
				return nil, err
			}
			if nc != C || nd != D {
				return nil, fmt.Errorf("%w: GMM NAP is for %dx%d, UBM is %dx%d", ErrMalformed, nc, nd, C, D)
			}
			for i := range k {
				g.NAP = append(g.NAP, flat[i*C*D:(i+1)*C*D:(i+1)*C*D])
			}
		}
		if err := g.Prepare(b.UBM); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		b.GMM = g
	}
	if tvar != nil {
		if b.UBM == nil {
			return nil, fmt.Errorf("%w: T matrix without a UBM", ErrMalformed)
		}
		C, D, R := tvar.dim(), tvar.dim(), tvar.dim()
		var T []float64
		if tvarHalf {
			h := tvar.halves(C, D, R)
			T = make([]float64, len(h))
			for i, x := range h {
				T[i] = float64(x)
			}
		} else {
			T = tvar.floats(C, D, R)
		}
		if err := tvar.done(); err != nil {
			return nil, err
		}
		if C != b.UBM.C || D != b.UBM.D {
			return nil, fmt.Errorf("%w: T matrix is for %dx%d, UBM is %dx%d", ErrMalformed, C, D, b.UBM.C, b.UBM.D)
		}
		e, err := NewIVectorExtractor(b.UBM, T, R)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if tvsd != nil {
			if c, d := tvsd.dim(), tvsd.dim(); c != C || d != D {
				return nil, fmt.Errorf("%w: extractor variances are for %dx%d, T for %dx%d", ErrMalformed, c, d, C, D)
			}
			k := tvsd.floats(C, D)
			if err := tvsd.done(); err != nil {
				return nil, err
			}
			if err := e.SetVarianceScale(k); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
			}
		}
		if tvfw != nil {
			if c, d := tvfw.dim(), tvfw.dim(); c != C || d != D {
				return nil, fmt.Errorf("%w: extractor whitening is for %dx%d, T for %dx%d", ErrMalformed, c, d, C, D)
			}
			w := tvfw.floats(C, trilLen(D))
			if err := tvfw.done(); err != nil {
				return nil, err
			}
			if err := e.SetFullWhitening(w); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
			}
		}
		b.Extractor = e
	} else if tvsd != nil || tvfw != nil {
		return nil, fmt.Errorf("%w: extractor variances or whitening without an extractor", ErrMalformed)
	}
	if d := b.Channel; d != nil && (b.Extractor == nil || len(d.Linear.W) != b.Extractor.R) {
		return nil, fmt.Errorf("%w: channel detector takes %d-dimensional i-vectors, the extractor gives %s", ErrMalformed, len(d.Linear.W), extractorDim(b.Extractor))
	}
	return b, nil
}

func extractorDim(e *IVectorExtractor) string {
	if e == nil {
		return "none"
	}
	return fmt.Sprint(e.R)
}

// affine reads an LDA/WCCN-style section: In, Out, Mean[In], M[Out·In].
func (r *reader) affine() (*Affine, error) {
	in, out := r.dim(), r.dim()
	a := &Affine{In: in, Out: out, Mean: r.floats(in), M: r.floats(out, in)}
	return a, r.done()
}

// plda reads a PLDA section: Dim, Mean[Dim], A[Dim·Dim], Psi[Dim], and validates it.
func (r *reader) plda() (*PLDA, error) {
	d := r.dim()
	p := &PLDA{Dim: d, Mean: r.floats(d), A: r.floats(d, d), Psi: r.floats(d)}
	if err := r.done(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return p, nil
}

// vectors reads a cohort section: n, dim, then n vectors of dim values.
func (r *reader) vectors() ([][]float64, error) {
	n, d := r.dim(), r.dim()
	flat := r.floats(n, d)
	if err := r.done(); err != nil {
		return nil, err
	}
	out := make([][]float64, n)
	for i := range out {
		out[i] = flat[i*d : (i+1)*d : (i+1)*d]
	}
	return out, nil
}
