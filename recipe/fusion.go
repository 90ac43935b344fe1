package recipe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

// CalibrationTrialsFile is the file in a training run's work folder (TrainConfig.WorkDir) that
// keeps its held-out calibration trials' calibrated LLRs (CalibrationTrial), so that two systems
// trained on the same recordings with different front ends can be fused (FuseSystems).
const CalibrationTrialsFile = "calibration_trials.bin"

const calTrialsMagic = "VXCT"

// CalibrationTrial is one held-out calibration trial of a training run: its key (a digest of
// what both sides are made of, equal in two runs on the same recordings), whether it is a target
// trial and, for non-targets, not known to be cross-sex, its calibrated LLR in nats, the
// calibration's duration input q (ln seconds of net speech on the shorter side) and the detected
// probability of a degraded channel on the worse side (NaN without a channel detector).
type CalibrationTrial struct {
	Key            uint64
	Target         bool
	SameSex        bool
	LLR, Q, PWorse float64
}

// writeCalibrationTrials writes the calibrated trials of a run to path, replacing it atomically.
func writeCalibrationTrials(path string, cal *models.Calibration, tar, non [][]float64, sameSex []bool, keys trialKeys, pIdx int) error {
	if len(keys.tar) != len(tar) || len(keys.non) != len(non) || len(sameSex) != len(non) {
		return errors.New("recipe: calibration trials and their keys differ in number")
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	hdr := append([]byte(calTrialsMagic), 1, 0, 0, 0)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(tar)+len(non)))
	w.Write(hdr)
	rec := make([]byte, 0, 33)
	put := func(k uint64, flags byte, row []float64) {
		p := math.NaN()
		if pIdx >= 0 {
			p = row[pIdx]
		}
		rec = binary.LittleEndian.AppendUint64(rec[:0], k)
		rec = append(rec, flags)
		for _, v := range []float64{cal.Apply(row...), row[len(row)-1], p} {
			rec = binary.LittleEndian.AppendUint64(rec, math.Float64bits(v))
		}
		w.Write(rec)
	}
	for i, row := range tar {
		put(keys.tar[i], 1, row)
	}
	for i, row := range non {
		var fl byte
		if sameSex[i] {
			fl = 2
		}
		put(keys.non[i], fl, row)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadCalibrationTrials reads a CalibrationTrialsFile.
func ReadCalibrationTrials(path string) ([]CalibrationTrial, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[:4]) != calTrialsMagic || binary.LittleEndian.Uint32(hdr[4:]) != 1 {
		return nil, fmt.Errorf("%s: not a calibration-trials file of version 1", path)
	}
	n := binary.LittleEndian.Uint64(hdr[8:])
	if n > 1<<32 {
		return nil, fmt.Errorf("%s: %d trials is not plausible", path, n)
	}
	out := make([]CalibrationTrial, 0, n)
	var rec [33]byte
	for range n {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			return nil, fmt.Errorf("%s: truncated after %d trials", path, len(out))
		}
		fl := func(o int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(rec[o:])) }
		out = append(out, CalibrationTrial{Key: binary.LittleEndian.Uint64(rec[:]), Target: rec[8]&1 != 0,
			SameSex: rec[8]&2 != 0, LLR: fl(9), Q: fl(17), PWorse: fl(25)})
	}
	return out, nil
}

// SecondSubdir is the folder, inside a training run's work folder, of its second system's
// checkpoints and held-out trials (TrainConfig.SecondFrontend).
const SecondSubdir = "second"

// trainWithSecond is Train with c.SecondFrontend: the first system, then the second, then their
// fusion.
func trainWithSecond(c TrainConfig) (*models.Bundle, error) {
	if c.WorkDir == "" {
		return nil, errors.New("recipe: a second system needs a work folder for the held-out trials the fusion is trained on")
	}
	first := c
	first.SecondFrontend = nil
	if first.Frontend.MFCC.SampleRate == 0 {
		first.Frontend = DefaultTrainConfig().Frontend
	}
	if err := c.SecondFrontend.Validate(); err != nil {
		return nil, fmt.Errorf("recipe: second front end: %w", err)
	}
	if !dsp.SameFrames(first.Frontend, *c.SecondFrontend) {
		return nil, errors.New("recipe: the second front end must frame the audio and decide voiced frames as the first does (only its cepstra may differ)")
	}
	second := first
	second.Frontend = *c.SecondFrontend
	if c.SecondComponents > 0 {
		second.Components = c.SecondComponents
	}
	if c.SecondIVectorDim > 0 {
		second.IVectorDim = c.SecondIVectorDim
	}
	if c.SecondSelectionGroups != "" {
		second.SelectionGroups = c.SecondSelectionGroups
	}
	second.WorkDir = filepath.Join(c.WorkDir, SecondSubdir)
	if err := os.MkdirAll(second.WorkDir, 0o755); err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) {
		if c.Log != nil {
			fmt.Fprintf(c.Log, format+"\n", a...)
		}
	}
	logf("first system")
	a, err := Train(first)
	if err != nil {
		return nil, err
	}
	logf("second system")
	b, err := Train(second)
	if err != nil {
		return nil, fmt.Errorf("second system: %w", err)
	}
	ta, err := ReadCalibrationTrials(filepath.Join(first.WorkDir, CalibrationTrialsFile))
	if err != nil {
		return nil, err
	}
	tb, err := ReadCalibrationTrials(filepath.Join(second.WorkDir, CalibrationTrialsFile))
	if err != nil {
		return nil, err
	}
	return FuseSystems(a, b, ta, tb, c.FusionMaxSeconds, c.Log)
}

// FuseSystems returns a copy of primary with second nested as its second system
// (models.Bundle.Second) and the fusion of their LLRs trained, by the same prior-weighted
// logistic regression as every calibration (effective prior 0.5), on the held-out calibration
// trials the two training runs share (matched by key; a and b as ReadCalibrationTrials gives
// them). With maxSeconds > 0 (models.Metadata.FusionMaxSeconds) the fusion serves only tests
// with less net speech: it is trained on the trials whose shorter side has less (the held-out
// trials do not say which side is the test), and the rest are scored by the first system alone.
// The fused bundle's false-accept thresholds are measured again, as training measures them, on
// the same-sex non-target trials' LLRs as the bundle gives them: fused below the limit, the
// first system's from it on; the first system's own are kept (models.Metadata.
// FirstFARThresholds). Neither input is modified; second's countermeasure, if any, is dropped.
// log (nil: silent) gets the match count and the weights.
func FuseSystems(primary, second *models.Bundle, a, b []CalibrationTrial, maxSeconds float64, log io.Writer) (*models.Bundle, error) {
	if primary.Second != nil || second.Second != nil {
		return nil, errors.New("recipe: a bundle to fuse already has a second system")
	}
	if !(maxSeconds >= 0 && maxSeconds < math.Inf(1)) {
		return nil, fmt.Errorf("recipe: fusion limit %g s", maxSeconds)
	}
	out := *primary
	out.Meta.Extra = maps.Clone(primary.Meta.Extra)
	sb := *second
	sb.Spoof = nil
	out.Second = &sb
	out.Meta.FusionMaxSeconds = maxSeconds
	// fused reports whether a trial of duration input q (ln seconds of net speech on the shorter
	// side, at 100 frames per second) is scored by the fusion: the bundle's own rule.
	fused := func(q float64) bool { return out.FusesTest(math.Exp(q) * 100) }
	byKey := make(map[uint64]int, len(b))
	dup := map[uint64]bool{}
	for i, t := range b {
		if _, ok := byKey[t.Key]; ok {
			dup[t.Key] = true
		}
		byKey[t.Key] = i
	}
	var tar, non, nonSame, nonSameDeg [][]float64
	matched := 0
	for _, t := range a {
		j, ok := byKey[t.Key]
		if !ok || dup[t.Key] || b[j].Target != t.Target {
			continue
		}
		matched++
		row := []float64{t.LLR, b[j].LLR, t.Q}
		if t.Target {
			tar = append(tar, row)
			continue
		}
		non = append(non, row)
		if t.SameSex {
			nonSame = append(nonSame, row)
			if t.PWorse >= 0.5 {
				nonSameDeg = append(nonSameDeg, row)
			}
		}
	}
	if log != nil {
		fmt.Fprintf(log, "fusion: %d of %d and %d held-out trials matched (%d target, %d non-target)\n", matched, len(a), len(b), len(tar), len(non))
	}
	// Trials whose sides are made of the same recordings (a speaker with few recordings enrolls
	// the same way twice) share a key and are left out: about 2 % of c39's recipe's trials.
	if 20*matched < 19*len(a) || 20*matched < 19*len(b) {
		return nil, fmt.Errorf("recipe: only %d of %d and %d held-out calibration trials match: were both systems trained on the same recordings and folds?", matched, len(a), len(b))
	}
	// The fusion learns from the trials it will serve.
	cols := func(rows [][]float64) [][]float64 {
		var kept [][]float64
		for _, r := range rows {
			if fused(r[2]) {
				kept = append(kept, r[:2])
			}
		}
		return kept
	}
	ft, fn := cols(tar), cols(non)
	if len(ft) < 100 || len(fn) < 100 {
		return nil, fmt.Errorf("recipe: only %d target and %d non-target held-out trials under the fusion's limit of %g s", len(ft), len(fn), maxSeconds)
	}
	fusion, err := models.TrainCalibration(ft, fn, 0.5)
	if err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	if log != nil {
		fmt.Fprintf(log, "fusion: llr = %.4f·first %+.4f·second %+.4f", fusion.Weights[0], fusion.Weights[1], fusion.Bias)
		if maxSeconds > 0 {
			fmt.Fprintf(log, " under %g s of test speech (%d target, %d non-target trials), the first system's alone from it on", maxSeconds, len(ft), len(fn))
		}
		fmt.Fprintln(log)
	}
	out.Meta.Fusion = []float64{fusion.Weights[0], fusion.Weights[1], fusion.Bias}
	out.Meta.FirstFARThresholds, out.Meta.FirstFARThresholdsDegraded = primary.Meta.FARThresholds, primary.Meta.FARThresholdsDegraded
	// Rows are [l1, l2, q]: the LLR the bundle gives such a trial.
	llr := func(r []float64) float64 {
		if fused(r[2]) {
			return out.FuseLLR(r[0], r[1])
		}
		return r[0]
	}
	out.Meta.FARThresholds = operatingPointsOf(llr, nonSame)
	if primary.Meta.FARThresholdsDegraded != nil {
		out.Meta.FARThresholdsDegraded = operatingPointsOf(llr, nonSameDeg)
	}
	return &out, nil
}
