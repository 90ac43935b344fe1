package recipe

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/models"
)

// SpecNetTrainConfig configures the countermeasure's spectrum network (SpoofTrainConfig.Spec):
// a light CNN on each recording's log power spectrum (models.SpecNet, dsp.LogSpectrogram).
type SpecNetTrainConfig struct {
	// FrontEnd is the spectrum front end (default dsp.TelephoneSpec).
	FrontEnd dsp.SpecConfig
	// Seconds is how much of a recording's audio, from its start, the network reads, in
	// training and when scoring (default DefaultSpecSeconds).
	Seconds float64
	// Weight is the network's weight in the fusion with the other systems (default
	// DefaultSpecWeight; 1: the network alone decides).
	Weight float64
	// Net configures the network and its training (models.SpecNetConfig defaults).
	Net models.SpecNetConfig
}

// DefaultSpecSeconds is the audio, in seconds from a recording's start, the spectrum network
// reads by default.
const DefaultSpecSeconds = 6.0

// DefaultSpecWeight is the spectrum network's default weight in the countermeasure's fusion.
const DefaultSpecWeight = 0.8

func (c *SpecNetTrainConfig) defaults() {
	if c.FrontEnd.SampleRate == 0 {
		c.FrontEnd = dsp.TelephoneSpec()
	}
	if c.Seconds <= 0 {
		c.Seconds = DefaultSpecSeconds
	}
	if c.Weight <= 0 {
		c.Weight = DefaultSpecWeight
	}
	c.Weight = min(c.Weight, 1)
}

// SpecOfFile returns the log power spectrum (dsp.LogSpectrogram) of the first seconds of a WAV
// file's audio, resampled to the front end's rate.
func SpecOfFile(path string, fe dsp.SpecConfig, seconds float64) (models.SpecRecording, error) {
	s, err := ReadMono(path, fe.SampleRate)
	if err != nil {
		return models.SpecRecording{}, err
	}
	return SpecOfSamples(s, fe, seconds)
}

// SpecOfSamples is SpecOfFile on samples in [-1, 1) at the front end's rate.
func SpecOfSamples(s []float32, fe dsp.SpecConfig, seconds float64) (models.SpecRecording, error) {
	if n := int(seconds * float64(fe.SampleRate)); len(s) > n {
		s = s[:n]
	}
	rows, T, err := dsp.LogSpectrogram(s, fe, nil)
	if err != nil {
		return models.SpecRecording{}, err
	}
	// A copy the size of the rows kept: the spectrogram's buffer held every frame.
	return models.SpecRecording{X: append([]float32(nil), rows...), T: T, Stride: fe.Bins}, nil
}

// ExtractSpecs runs SpecOfFile on every path on workers goroutines, in order.
func ExtractSpecs(paths []string, fe dsp.SpecConfig, seconds float64, workers int, bar *progress.Bar) ([]models.SpecRecording, error) {
	out := make([]models.SpecRecording, len(paths))
	err := Parallel(len(paths), workers, bar, func(_, i int) error {
		r, err := SpecOfFile(paths[i], fe, seconds)
		out[i] = r
		return err
	})
	return out, err
}

// SpecScores returns the network's log-odds of each recording (NaN for one too short for it)
// on workers goroutines.
func SpecScores(n *models.SpecNet, recs []models.SpecRecording, workers int) []float64 {
	out := make([]float64, len(recs))
	_ = Parallel(len(recs), workers, nil, func(_, i int) error {
		r := recs[i]
		v, ok := n.Logit(r.X, r.T, r.Stride)
		if !ok {
			v = math.NaN()
		}
		out[i] = v
		return nil
	})
	return out
}

// addSpecNet trains the spectrum network on the bona fide files train (every group of
// bona fide speech pooled) and the spoof files (by SpoofGroups, when set: each group drawn
// equally often), and fuses it into cm: the held-out bona fide files held, whose other-systems'
// scores are base (by speakers those systems never heard), set the network's and the base's
// standardisation, then cm's operating points from the fused scores (heldGroups as
// spoofOperatingPoints takes them). The network never trains on held.
func addSpecNet(c SpoofTrainConfig, cm *models.Countermeasure, train, held []string, base []float64, heldGroups []int) error {
	sc := c.Spec
	sc.defaults()
	bar := func(name string, n int) *progress.Bar { return progress.New(c.Log, name, n) }
	bona, err := ExtractSpecs(train, sc.FrontEnd, sc.Seconds, c.Workers, bar("bona fide spectra", len(train)))
	if err != nil {
		return err
	}
	sp, err := ExtractSpecs(c.Spoof, sc.FrontEnd, sc.Seconds, c.Workers, bar("spoof spectra", len(c.Spoof)))
	if err != nil {
		return err
	}
	hs, err := ExtractSpecs(held, sc.FrontEnd, sc.Seconds, c.Workers, bar("held-out spectra", len(held)))
	if err != nil {
		return err
	}
	var spoofGroups [][]models.SpecRecording
	if len(c.SpoofGroups) == len(c.Spoof) {
		idx := map[int]int{}
		for i, g := range c.SpoofGroups {
			k, ok := idx[g]
			if !ok {
				k = len(spoofGroups)
				idx[g] = k
				spoofGroups = append(spoofGroups, nil)
			}
			spoofGroups[k] = append(spoofGroups[k], sp[i])
		}
	} else {
		spoofGroups = [][]models.SpecRecording{sp}
	}
	nc := sc.Net
	if nc.Seed == 0 {
		nc.Seed = c.Seed + 1
	}
	steps := nc.Steps
	if steps <= 0 {
		steps = 1500
	}
	tb := bar("spectrum network", steps)
	t0 := time.Now()
	nc.Progress = func(int, float64) { tb.Add(1) }
	net, err := models.TrainSpecNet([][]models.SpecRecording{bona}, spoofGroups, nc)
	tb.Done()
	if err != nil {
		return err
	}
	if c.Log != nil {
		fmt.Fprintf(c.Log, "spoof: spectrum network trained in %s\n", time.Since(t0).Round(time.Second))
	}
	scores := SpecScores(net, hs, c.Workers)
	var ok []int
	for i, v := range scores {
		if !math.IsNaN(v) {
			ok = append(ok, i)
		}
	}
	if len(ok) < 2 {
		return fmt.Errorf("spoof: %d held-out bona fide files long enough for the spectrum network", len(ok))
	}
	ss, bs := make([]float64, len(ok)), make([]float64, len(ok))
	for j, i := range ok {
		ss[j], bs[j] = scores[i], base[i]
	}
	if cm.Fusion == nil {
		cm.Fusion = &models.SpoofFusion{}
	}
	f := cm.Fusion
	f.SpecWeight = sc.Weight
	f.SpecMean, f.SpecStd = meanStd(ss)
	f.BaseMean, f.BaseStd = meanStd(bs)
	fe, err := json.Marshal(sc.FrontEnd)
	if err != nil {
		return err
	}
	cm.Spec, cm.SpecFrontEnd, cm.SpecSeconds = net, fe, sc.Seconds
	fused := make([]float64, len(ok))
	var groups []int
	for j, i := range ok {
		fused[j] = f.FuseSpec(bs[j], ss[j])
		if len(heldGroups) == len(held) {
			groups = append(groups, heldGroups[i])
		}
	}
	cm.FARThresholds = spoofOperatingPoints(fused, groups, c.FARs)
	if cm.Info == nil {
		cm.Info = map[string]string{}
	}
	cm.Info["spec_bonafide_files"] = fmt.Sprint(len(train))
	cm.Info["spec_spoof_files"] = fmt.Sprint(len(c.Spoof))
	cm.Info["spec_threshold_bonafide_files"] = fmt.Sprint(len(ok))
	return cm.Validate()
}

// meanStd is the mean and (population) standard deviation of v, the latter at least 1e-6.
func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, max(math.Sqrt(std/float64(len(v))), 1e-6)
}
