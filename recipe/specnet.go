package recipe

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
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
	// Views are further spectrum front ends (dsp.SpecConfig), each with its own network(s)
	// trained as the first front end's are (its training excerpt and SpecAugment masks scaled
	// to its frame shift and bins: SpecNetConfigFor), whose log-odds are averaged with the first
	// network's (models.Countermeasure.SpecViews): a short window's spectrum, where a voiced
	// sound's glottal pulses show, beside the shipped 32 ms one's harmonics. Each costs about
	// what the first network costs, in training and per call. The front ends' spectra are held
	// in memory one at a time.
	Views []dsp.SpecConfig
	// WorkDir, if set, keeps each network as soon as it is trained (named after a digest of its
	// spectra, settings, seed and held-out files), and a later run with the same ones reads it
	// back instead of training it again: a run stopped part way resumes. "" = none.
	WorkDir string
}

// DefaultSpecMemberSeedStep separates the seeds of an ensemble's networks.
const DefaultSpecMemberSeedStep = 1000

// DefaultSpecViewSeedStep separates the seeds of the networks of different front ends
// (SpecNetTrainConfig.Views): view v's networks start from the first's seeds + v·this.
const DefaultSpecViewSeedStep = 100

// specCropSeconds is the training excerpt, in seconds, SpecNetConfigFor gives a front end: the
// default network's 150 frames at 10 ms.
const specCropSeconds = 1.5

// SpecNetConfigFor returns nc for a network on fe's spectrum: Bins set to fe's, and a zero
// Crop, FreqMask or TimeMask scaled from the defaults for the shipped front end
// (dsp.TelephoneSpec: 150 frames, 16 of 128 bins, 20 of 150 frames) to the same duration and
// proportions of fe's frames and bins. For dsp.TelephoneSpec it gives exactly the defaults.
func SpecNetConfigFor(nc models.SpecNetConfig, fe dsp.SpecConfig) models.SpecNetConfig {
	nc.Bins = fe.Bins
	if nc.Crop == 0 {
		nc.Crop = max(1, int(math.Round(specCropSeconds*float64(fe.SampleRate)/float64(fe.FrameShift))))
	}
	if nc.FreqMask == 0 {
		nc.FreqMask = max(2, 16*fe.Bins/128)
	}
	if nc.TimeMask == 0 {
		nc.TimeMask = max(2, 20*nc.Crop/150)
	}
	return nc
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

// specData holds one front end's spectra the spectrum network trains on and scores: every
// bona fide file's (c.Bonafide's, in order) and every spoof file's (c.Spoof's, then
// c.Spec.Spoof's), by their groups when set (each group drawn equally often in training).
type specData struct {
	fe          dsp.SpecConfig
	net         models.SpecNetConfig // its networks' configuration, seed unset
	seed        uint64               // added to each of its networks' seeds
	members     int
	bona        []models.SpecRecording
	spoofGroups [][]models.SpecRecording
	digest      []byte // of the spectra, for WorkDir's checkpoint names (computed when first needed)
}

// dataDigest returns a SHA-256 of the front end and every spectrum d trains on, by group.
func (d *specData) dataDigest() []byte {
	if d.digest != nil {
		return d.digest
	}
	h := sha256.New()
	fmt.Fprintf(h, "%+v\n", d.fe)
	var buf []byte
	put := func(rs []models.SpecRecording) {
		fmt.Fprintf(h, "%d recordings\n", len(rs))
		for _, r := range rs {
			buf = binary.LittleEndian.AppendUint32(buf[:0], uint32(r.T))
			buf = binary.LittleEndian.AppendUint32(buf, uint32(r.Stride))
			for _, v := range r.X[:r.T*r.Stride] {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
			h.Write(buf)
		}
	}
	put(d.bona)
	for _, g := range d.spoofGroups {
		put(g)
	}
	d.digest = h.Sum(nil)
	return d.digest
}

// checkpointPath is where WorkDir keeps the network trained with mc (its Progress ignored)
// without the bona fide files held.
func (d *specData) checkpointPath(workDir string, mc models.SpecNetConfig, held []int) string {
	h := sha256.New()
	h.Write(d.dataDigest())
	mc.Progress = nil
	// Fields added since the forty-fourth session are left out at their zero value, so that
	// networks kept before them keep their names.
	cfg := strings.Replace(fmt.Sprintf("%+v", mc), " OneClass:false", "", 1)
	fmt.Fprintf(h, "%s\n%v\n", cfg, held)
	return filepath.Join(workDir, fmt.Sprintf("specnet-%x.vxsn", h.Sum(nil)[:12]))
}

// trainOrResume trains a network with mc, or reads it from workDir's checkpoint (label names
// it in c.Log), and keeps it there when trained.
func (d *specData) trainOrResume(c SpoofTrainConfig, workDir string, train []models.SpecRecording, held []int, mc models.SpecNetConfig, label string) (*models.SpecNet, error) {
	path := ""
	if workDir != "" {
		path = d.checkpointPath(workDir, mc, held)
		if b, err := os.ReadFile(path); err == nil {
			n, err := models.DecodeSpecNet(b)
			if err == nil {
				if c.Log != nil {
					fmt.Fprintf(c.Log, "spoof: %s resumed from %s\n", label, path)
				}
				return n, nil
			}
			if c.Log != nil {
				fmt.Fprintf(c.Log, "spoof: %s: ignoring unusable checkpoint %s (%v)\n", label, path, err)
			}
		}
	}
	steps := mc.Steps
	if steps <= 0 {
		steps = 1500
	}
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
	if path != "" {
		b, err := models.EncodeSpecNet(n)
		if err == nil {
			err = os.MkdirAll(workDir, 0o755)
		}
		if err == nil {
			err = writeFileAtomic(path, b)
		}
		if err != nil {
			return nil, fmt.Errorf("spoof: keeping %s: %w", label, err)
		}
	}
	return n, nil
}

// specFrontEnds returns sc's front ends (sc with defaults set), the first's then each view's,
// with their networks' configurations and seed offsets, all validated.
func specFrontEnds(sc SpecNetTrainConfig) (fes []dsp.SpecConfig, nets []models.SpecNetConfig, seeds []uint64, err error) {
	fes = append([]dsp.SpecConfig{sc.FrontEnd}, sc.Views...)
	for v, fe := range fes {
		if err := fe.Validate(); err != nil {
			return nil, nil, nil, fmt.Errorf("spoof: spectrum front end %d: %w", v+1, err)
		}
		nc := sc.Net
		if v > 0 {
			nc = SpecNetConfigFor(nc, fe)
		}
		nets = append(nets, nc)
		seeds = append(seeds, uint64(v)*DefaultSpecViewSeedStep)
	}
	return fes, nets, seeds, nil
}

// newSpecData extracts the spectra of c's files by front end v of specFrontEnds(c.Spec).
func newSpecData(c SpoofTrainConfig, v int) (*specData, error) {
	sc := *c.Spec
	sc.defaults()
	fes, nets, seeds, err := specFrontEnds(sc)
	if err != nil {
		return nil, err
	}
	d := &specData{fe: fes[v], net: nets[v], seed: seeds[v], members: sc.Members}
	bar := func(name string, n int) *progress.Bar {
		if len(fes) > 1 {
			name = fmt.Sprintf("%s (front end %d of %d)", name, v+1, len(fes))
		}
		return progress.New(c.Log, name, n)
	}
	if d.bona, err = ExtractSpecs(c.Bonafide, d.fe, sc.Seconds, c.Workers, bar("bona fide spectra", len(c.Bonafide))); err != nil {
		return nil, err
	}
	paths := append(append([]string(nil), c.Spoof...), sc.Spoof...)
	sp, err := ExtractSpecs(paths, d.fe, sc.Seconds, c.Workers, bar("spoof spectra", len(paths)))
	if err != nil {
		return nil, err
	}
	if len(c.SpoofGroups) == len(c.Spoof) && len(sc.SpoofGroups) == len(sc.Spoof) {
		idx := map[int]int{}
		for i, g := range append(append([]int(nil), c.SpoofGroups...), sc.SpoofGroups...) {
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

// specFold is the spectrum networks trained without some bona fide files (one per front end,
// the first's first), and their fusion with the other systems standardised on those held-out
// files.
type specFold struct {
	nets  []*models.SpecNet
	f     models.SpoofFusion // the Spec* and Base* fields
	fused []float64          // the held-out files' fused scores (NaN: too short for a network)
	// With views, the first network alone (models.Countermeasure.SpecPrimary): its log-odds'
	// standardisation and the held-out files' scores fused so (NaN as in fused).
	primary      *models.SpecPrimary
	primaryFused []float64
}

// train trains the front end's network (with its members) on every bona fide file but those of
// held (indices into c.Bonafide) and on all the spoof files, and returns it with its log-odds
// of the held-out files (NaN: too short for it).
func (d *specData) train(c SpoofTrainConfig, held []int, name string) (*models.SpecNet, []float64, error) {
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
	nc := d.net
	if nc.Seed == 0 {
		nc.Seed = c.Seed + 1
	}
	nc.Seed += d.seed
	var net *models.SpecNet
	for m := range d.members {
		label := name
		if d.members > 1 {
			label = fmt.Sprintf("%s, network %d of %d", name, m+1, d.members)
		}
		mc := nc
		mc.Seed = nc.Seed + uint64(m)*DefaultSpecMemberSeedStep
		n, err := d.trainOrResume(c, c.Spec.WorkDir, train, held, mc, label)
		if err != nil {
			return nil, nil, err
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
	return net, SpecScores(net, hs, c.Workers), nil
}

// trainSpecFolds trains, for each split f, the spectrum networks of every front end without the
// bona fide files held[f] (indices into c.Bonafide, whose other systems' scores, by models that
// never heard their speakers, are base[f]), then fuses the held-out files' mean log-odds with
// base[f]. The front ends are taken in turn, so that only one's spectra are in memory.
func trainSpecFolds(c SpoofTrainConfig, held [][]int, base [][]float64, names []string) ([]*specFold, error) {
	sc := *c.Spec
	sc.defaults()
	nv := 1 + len(sc.Views)
	folds := make([]*specFold, len(held))
	logits := make([][][]float64, len(held)) // split, front end, held-out file
	for f := range folds {
		folds[f] = &specFold{}
	}
	for v := range nv {
		d, err := newSpecData(c, v)
		if err != nil {
			return nil, err
		}
		for f := range held {
			name := names[f]
			if nv > 1 {
				name = fmt.Sprintf("%s, front end %d of %d", name, v+1, nv)
			}
			net, lg, err := d.train(c, held[f], name)
			if err != nil {
				return nil, err
			}
			folds[f].nets = append(folds[f].nets, net)
			logits[f] = append(logits[f], lg)
		}
	}
	for f, sf := range folds {
		mean := make([]float64, len(held[f]))
		for j := range mean {
			for _, lg := range logits[f] {
				mean[j] += lg[j] // NaN if any network could not score the file
			}
			mean[j] /= float64(nv)
		}
		var ss, bs []float64
		for j, v := range mean {
			if !math.IsNaN(v) {
				ss, bs = append(ss, v), append(bs, base[f][j])
			}
		}
		if err := sf.f.SetSpec(bs, ss, sc.Weight); err != nil {
			return nil, fmt.Errorf("spoof: %d held-out bona fide files long enough for the spectrum network: %w", len(ss), err)
		}
		sf.fused = make([]float64, len(mean))
		for j, v := range mean {
			sf.fused[j] = math.NaN()
			if !math.IsNaN(v) {
				sf.fused[j] = sf.f.FuseSpec(base[f][j], v)
			}
		}
		if nv > 1 {
			// The first network alone, on the files all of them scored (so that its thresholds
			// are set on the same files as the mean's).
			var ps []float64
			for j, v := range mean {
				if !math.IsNaN(v) {
					ps = append(ps, logits[f][0][j])
				}
			}
			pf := sf.f
			if err := pf.SetSpec(bs, ps, sc.Weight); err != nil {
				return nil, fmt.Errorf("spoof: the first spectrum network alone: %w", err)
			}
			sf.primary = &models.SpecPrimary{Mean: pf.SpecMean, Std: pf.SpecStd}
			sf.primaryFused = make([]float64, len(mean))
			for j, v := range mean {
				sf.primaryFused[j] = math.NaN()
				if !math.IsNaN(v) {
					sf.primaryFused[j] = pf.FuseSpec(base[f][j], logits[f][0][j])
				}
			}
		}
	}
	return folds, nil
}

// applySpec puts the split's networks and fusion into cm (whose other systems' fusion it keeps).
func applySpec(c SpoofTrainConfig, cm *models.Countermeasure, sf *specFold) error {
	sc := *c.Spec
	sc.defaults()
	fes, _, _, err := specFrontEnds(sc)
	if err != nil {
		return err
	}
	if cm.Fusion == nil {
		cm.Fusion = &models.SpoofFusion{}
	}
	f := cm.Fusion
	f.SpecWeight, f.SpecMean, f.SpecStd, f.BaseMean, f.BaseStd = sf.f.SpecWeight, sf.f.SpecMean, sf.f.SpecStd, sf.f.BaseMean, sf.f.BaseStd
	raw := make([]json.RawMessage, len(fes))
	for i, fe := range fes {
		if raw[i], err = json.Marshal(fe); err != nil {
			return err
		}
	}
	cm.Spec, cm.SpecFrontEnd, cm.SpecSeconds, cm.SpecViews, cm.SpecPrimary = sf.nets[0], raw[0], sc.Seconds, nil, nil
	if sf.primary != nil {
		p := *sf.primary // its operating points are set by specOperatingPoints
		cm.SpecPrimary = &p
	}
	for i := 1; i < len(fes); i++ {
		cm.SpecViews = append(cm.SpecViews, models.SpecView{Net: sf.nets[i], FrontEnd: raw[i]})
	}
	if cm.Info == nil {
		cm.Info = map[string]string{}
	}
	if n := len(sf.nets[0].Members); n > 0 {
		cm.Info["spec_networks"] = fmt.Sprint(1 + n)
	}
	if len(fes) > 1 {
		cm.Info["spec_front_ends"] = fmt.Sprint(len(fes))
	}
	return nil
}

// specOperatingPoints sets cm's operating points from fused held-out scores (NaN: left out)
// with their groups and speakers (as spoofOperatingPoints takes them; nil: one group, no
// speaker resampling), and returns how many scores set them. With a primary network
// (cm.SpecPrimary), primary holds the same files' scores by the first network alone, which
// set its operating points the same way.
func specOperatingPoints(c SpoofTrainConfig, cm *models.Countermeasure, fused, primary []float64, groups []int, speakers []string) (int, error) {
	points := func(scores []float64) ([]models.FARPoint, int, error) {
		var fs []float64
		var gs []int
		var ss []string
		for i, v := range scores {
			if math.IsNaN(v) {
				continue
			}
			fs = append(fs, v)
			if len(groups) == len(scores) {
				gs = append(gs, groups[i])
			}
			if len(speakers) == len(scores) {
				ss = append(ss, speakers[i])
			}
		}
		if len(fs) < 2 {
			return nil, 0, errors.New("spoof: too few held-out bona fide scores for the thresholds")
		}
		return spoofOperatingPoints(fs, gs, ss, c.FARs, c.ThresholdConfidence), len(fs), nil
	}
	pts, n, err := points(fused)
	if err != nil {
		return 0, err
	}
	cm.FARThresholds = pts
	if cm.SpecPrimary != nil {
		if len(primary) != len(fused) {
			return 0, errors.New("spoof: the first spectrum network's held-out scores are missing")
		}
		if cm.SpecPrimary.FARThresholds, _, err = points(primary); err != nil {
			return 0, err
		}
	}
	if cm.Info == nil {
		cm.Info = map[string]string{}
	}
	cm.Info["spec_threshold_bonafide_files"] = fmt.Sprint(n)
	return n, nil
}
