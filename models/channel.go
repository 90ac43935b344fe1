package models

import "errors"

// ChannelDetector estimates from a recording's i-vector how likely it is that the recording came
// through a degraded telephone channel (mobile codec, background noise, band limit, gain) rather
// than a clean one. i-vectors carry the channel as strongly as the speaker, so a linear classifier
// on the length-normalised i-vector separates the two well. The calibration uses the estimate to
// weight the scorers by channel: the back end trained on clean speech where the channel is clean,
// the one trained with degraded copies where it is not (CalibrationDurationHingeChannel).
type ChannelDetector struct {
	// Linear is the logistic-regression classifier on LengthNorm(i-vector): its score is the
	// log-odds of a degraded channel at a balanced prior.
	Linear *LinearScorer
	// Novelty, when present, also scores how far the i-vector lies from clean recordings'
	// (channels the linear classifier was never shown); the two probabilities combine as
	// independent evidence of a degraded channel: 1 − (1 − p_linear)(1 − p_novelty).
	Novelty *ChannelNovelty
}

// TrainChannelDetector fits a detector on i-vectors of clean and of degraded recordings (both
// as extracted, before any back end); l2 is the classifier's L2 weight on standardised inputs.
func TrainChannelDetector(clean, degraded [][]float64, l2 float64) (*ChannelDetector, error) {
	norm := func(xs [][]float64) [][]float64 {
		out := make([][]float64, len(xs))
		for i, x := range xs {
			out[i] = LengthNorm(append([]float64(nil), x...))
		}
		return out
	}
	l, err := TrainLogistic(norm(degraded), norm(clean), l2, 30)
	if err != nil {
		return nil, err
	}
	return &ChannelDetector{Linear: l}, nil
}

// Validate checks the classifier.
func (d *ChannelDetector) Validate() error {
	if d == nil || d.Linear == nil {
		return errors.New("models: channel detector has no classifier")
	}
	if err := d.Linear.Validate(); err != nil {
		return err
	}
	if d.Novelty != nil {
		if err := d.Novelty.Validate(); err != nil {
			return err
		}
		if len(d.Novelty.Mean) != len(d.Linear.W) {
			return errors.New("models: channel novelty and classifier differ in dimension")
		}
	}
	return nil
}

// Degraded returns the probability in [0, 1] that the recording with i-vector iv (length R),
// extracted from frames voiced frames, came through a degraded channel. tmp is scratch of
// length ≥ 2R (nil allocates).
func (d *ChannelDetector) Degraded(iv []float64, frames float64, tmp []float64) float64 {
	R := len(iv)
	if len(tmp) < 2*R {
		tmp = make([]float64, 2*R)
	}
	x := LengthNorm(append(tmp[:0], iv...))
	p := sigmoid(d.Linear.Score(x))
	if d.Novelty != nil {
		p = 1 - (1-p)*(1-d.Novelty.Degraded(x, frames, tmp[R:2*R]))
	}
	return p
}

// marshalChannel serialises d as the CHAN section: dims(R), Mean[R], Scale[R], W[R], then B.
func marshalChannel(d *ChannelDetector) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	l := d.Linear
	return payload(dims(len(l.W)), l.Mean, l.Scale, l.W, []float64{l.B}), nil
}

// parseChannel reads a CHAN section.
func parseChannel(r *reader) (*ChannelDetector, error) {
	n := r.dim()
	l := &LinearScorer{Mean: r.floats(n), Scale: r.floats(n), W: r.floats(n)}
	b := r.floats(1)
	if err := r.done(); err != nil {
		return nil, err
	}
	l.B = b[0]
	d := &ChannelDetector{Linear: l}
	if err := d.Validate(); err != nil {
		return nil, errors.Join(ErrMalformed, err)
	}
	return d, nil
}
