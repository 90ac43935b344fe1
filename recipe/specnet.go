package recipe

import (
	"encoding/json"
	"errors"
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
	// Spoof lists spoof files only the network trains on, beside SpoofTrainConfig.Spoof (which
	// every system trains on), and SpoofGroups their groups, numbered as
	// SpoofTrainConfig.SpoofGroups (used when both are set, one per file): families that made the
	// other systems worse but teach the network.
	Spoof       []string
	SpoofGroups []int
	// Members is the number of networks trained, each from its own seed (Net.Seed, then
	// Net.Seed + DefaultSpecMemberSeedStep, …), whose log-odds are averaged (models.SpecNet.Members):
	// an ensemble costs Members times the training and the scoring (default 1).
	Members int
}

// DefaultSpecMemberSeedStep separates the seeds of an ensemble's networks.
const DefaultSpecMemberSeedStep = 1000

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
	if c.Members <= 0 {
		c.Members = 1
	}
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

// specData holds the spectra the spectrum network trains on and scores: every bona fide file's
// (c.Bonafide's, in order) and every spoof file's (c.Spoof's, then c.Spec.Spoof's), by their
// groups when set (each group drawn equally often in training).
type specData struct {
	sc          SpecNetTrainConfig
	bona        []models.SpecRecording
	spoofGroups [][]models.SpecRecording
}

// newSpecData extracts the spectra of c's files.
func newSpecData(c SpoofTrainConfig) (*specData, error) {
	d := &specData{sc: *c.Spec}
	d.sc.defaults()
	bar := func(name string, n int) *progress.Bar { return progress.New(c.Log, name, n) }
	var err error
	if d.bona, err = ExtractSpecs(c.Bonafide, d.sc.FrontEnd, d.sc.Seconds, c.Workers, bar("bona fide spectra", len(c.Bonafide))); err != nil {
		return nil, err
	}
	paths := append(append([]string(nil), c.Spoof...), d.sc.Spoof...)
	sp, err := ExtractSpecs(paths, d.sc.FrontEnd, d.sc.Seconds, c.Workers, bar("spoof spectra", len(paths)))
	if err != nil {
		return nil, err
	}
	if len(c.SpoofGroups) == len(c.Spoof) && len(d.sc.SpoofGroups) == len(d.sc.Spoof) {
		idx := map[int]int{}
		for i, g := range append(append([]int(nil), c.SpoofGroups...), d.sc.SpoofGroups...) {
			k, ok := idx[g]
			if !ok {
				k = len(d.spoofGroups)
				idx[g] = k
				d.spoofGroups = append(d.spoofGroups, nil)
			}
			if sp[i].T > 0 { // a file under one frame (32 ms) has nothing to learn from
				d.spoofGroups[k] = append(d.spoofGroups[k], sp[i])
			}
		}
	} else {
		d.spoofGroups = [][]models.SpecRecording{nil}
		for _, r := range sp {
			if r.T > 0 {
				d.spoofGroups[0] = append(d.spoofGroups[0], r)
			}
		}
	}
	return d, nil
}

// specFold is a spectrum network trained without some bona fide files, and its fusion with the
// other systems standardised on those held-out files.
type specFold struct {
	net   *models.SpecNet
	f     models.SpoofFusion // the Spec* and Base* fields
	fused []float64          // the held-out files' fused scores (NaN: too short for the network)
}

// fold trains a network on every bona fide file but those of held (indices into c.Bonafide,
// whose other systems' scores, by models that never heard their speakers, are base) and on all
// the spoof files, then scores and fuses the held-out files.
func (d *specData) fold(c SpoofTrainConfig, held []int, base []float64, name string) (*specFold, error) {
	out := map[int]bool{}
	for _, i := range held {
		out[i] = true
	}
	var train []models.SpecRecording
	for i, r := range d.bona {
		if !out[i] && r.T > 0 {
			train = append(train, r)
		}
	}
	nc := d.sc.Net
	if nc.Seed == 0 {
		nc.Seed = c.Seed + 1
	}
	steps := nc.Steps
	if steps <= 0 {
		steps = 1500
	}
	var net *models.SpecNet
	for m := range d.sc.Members {
		label := name
		if d.sc.Members > 1 {
			label = fmt.Sprintf("%s, network %d of %d", name, m+1, d.sc.Members)
		}
		mc := nc
		mc.Seed = nc.Seed + uint64(m)*DefaultSpecMemberSeedStep
		tb := progress.New(c.Log, label, steps)
		t0 := time.Now()
		mc.Progress = func(int, float64) { tb.Add(1) }
		n, err := models.TrainSpecNet([][]models.SpecRecording{train}, d.spoofGroups, mc)
		tb.Done()
		if err != nil {
			return nil, err
		}
		if c.Log != nil {
			fmt.Fprintf(c.Log, "spoof: %s trained in %s on %d bona fide files\n", label, time.Since(t0).Round(time.Second), len(train))
		}
		if net == nil {
			net = n
		} else {
			net.Members = append(net.Members, n)
		}
	}
	hs := make([]models.SpecRecording, len(held))
	for j, i := range held {
		hs[j] = d.bona[i]
	}
	scores := SpecScores(net, hs, c.Workers)
	var ss, bs []float64
	for j, v := range scores {
		if !math.IsNaN(v) {
			ss, bs = append(ss, v), append(bs, base[j])
		}
	}
	sf := &specFold{net: net}
	if err := sf.f.SetSpec(bs, ss, d.sc.Weight); err != nil {
		return nil, fmt.Errorf("spoof: %d held-out bona fide files long enough for the spectrum network: %w", len(ss), err)
	}
	sf.fused = make([]float64, len(held))
	for j, v := range scores {
		sf.fused[j] = math.NaN()
		if !math.IsNaN(v) {
			sf.fused[j] = sf.f.FuseSpec(base[j], v)
		}
	}
	return sf, nil
}

// apply puts the fold's network and fusion into cm (whose other systems' fusion it keeps).
func (d *specData) apply(cm *models.Countermeasure, sf *specFold) error {
	if cm.Fusion == nil {
		cm.Fusion = &models.SpoofFusion{}
	}
	f := cm.Fusion
	f.SpecWeight, f.SpecMean, f.SpecStd, f.BaseMean, f.BaseStd = sf.f.SpecWeight, sf.f.SpecMean, sf.f.SpecStd, sf.f.BaseMean, sf.f.BaseStd
	fe, err := json.Marshal(d.sc.FrontEnd)
	if err != nil {
		return err
	}
	cm.Spec, cm.SpecFrontEnd, cm.SpecSeconds = sf.net, fe, d.sc.Seconds
	if n := len(sf.net.Members); n > 0 {
		if cm.Info == nil {
			cm.Info = map[string]string{}
		}
		cm.Info["spec_networks"] = fmt.Sprint(1 + n)
	}
	return nil
}

// specOperatingPoints sets cm's operating points from fused held-out scores (NaN: left out)
// with their groups and speakers (as spoofOperatingPoints takes them; nil: one group, no
// speaker resampling), and returns how many scores set them.
func specOperatingPoints(c SpoofTrainConfig, cm *models.Countermeasure, fused []float64, groups []int, speakers []string) (int, error) {
	var fs []float64
	var gs []int
	var ss []string
	for i, v := range fused {
		if math.IsNaN(v) {
			continue
		}
		fs = append(fs, v)
		if len(groups) == len(fused) {
			gs = append(gs, groups[i])
		}
		if len(speakers) == len(fused) {
			ss = append(ss, speakers[i])
		}
	}
	if len(fs) < 2 {
		return 0, errors.New("spoof: too few held-out bona fide scores for the thresholds")
	}
	cm.FARThresholds = spoofOperatingPoints(fs, gs, ss, c.FARs, c.ThresholdConfidence)
	if cm.Info == nil {
		cm.Info = map[string]string{}
	}
	cm.Info["spec_threshold_bonafide_files"] = fmt.Sprint(len(fs))
	return len(fs), nil
}
