package recipe

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/models"
)

// DefaultSpoofMinLevelDB is the frame level (dBFS) below which the countermeasure ignores frames.
const DefaultSpoofMinLevelDB = -50

// SpoofTrainConfig configures TrainSpoof.
type SpoofTrainConfig struct {
	Bonafide, Spoof []string          // WAV files of each class
	LFCC            dsp.LFCCConfig    // front end (default dsp.TelephoneLFCC)
	MinLevelDB      float64           // frames below this level are skipped (default DefaultSpoofMinLevelDB)
	Components      int               // GMM components per class (default 256)
	Iters           int               // EM iterations at full size (default 8)
	MaxFrames       int               // frames per class used for training, evenly subsampled (default 200000)
	HoldOut         int               // every HoldOut-th bona fide file is kept out of training to set thresholds (default 5; <0 none)
	FARs            []float64         // false-alarm rates of the stored operating points (default 0.5%, 1%, 2%, 5%)
	Workers         int               // goroutines (default GOMAXPROCS)
	Log             io.Writer         // progress, may be nil
	Info            map[string]string // provenance stored in the model
}

func (c *SpoofTrainConfig) defaults() {
	if c.LFCC.SampleRate == 0 {
		c.LFCC = dsp.TelephoneLFCC()
	}
	if c.MinLevelDB == 0 {
		c.MinLevelDB = DefaultSpoofMinLevelDB
	}
	if c.Components <= 0 {
		c.Components = 256
	}
	if c.Iters <= 0 {
		c.Iters = 8
	}
	if c.MaxFrames <= 0 {
		c.MaxFrames = 200000
	}
	if c.HoldOut == 0 {
		c.HoldOut = 5
	}
	if len(c.FARs) == 0 {
		c.FARs = []float64{0.005, 0.01, 0.02, 0.05}
	}
}

// ListWAVs returns every .wav file under the given files or folders (recursively, following a
// symlinked file but not symlinked folders), sorted per argument.
func ListWAVs(roots []string) ([]string, error) {
	var out []string
	for _, root := range roots {
		var files []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".wav") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

// SpoofFramesOf decodes a WAV file, resamples it to cfg.SampleRate and returns its LFCC frames
// (with deltas) whose level reaches minLevelDB.
func SpoofFramesOf(path string, cfg dsp.LFCCConfig, minLevelDB float64) ([][]float32, error) {
	a, err := audio.ReadWAVFile(path)
	if err != nil {
		return nil, err
	}
	s, err := a.Channel(0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if a.SampleRate != cfg.SampleRate {
		if s, err = audio.Resample(s, a.SampleRate, cfg.SampleRate); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	frames, level, err := dsp.ComputeLFCC(s, cfg)
	if err != nil {
		return nil, err
	}
	kept := frames[:0]
	for t, f := range frames {
		if level[t] >= minLevelDB {
			kept = append(kept, f)
		}
	}
	return kept, nil
}

// ExtractSpoofFrames runs SpoofFramesOf on every path on workers goroutines, in order.
func ExtractSpoofFrames(paths []string, cfg dsp.LFCCConfig, minLevelDB float64, workers int, bar *progress.Bar) ([][][]float32, error) {
	out := make([][][]float32, len(paths))
	err := parallel(len(paths), workers, bar, func(_, i int) error {
		f, err := SpoofFramesOf(paths[i], cfg, minLevelDB)
		out[i] = f
		return err
	})
	return out, err
}

// ScoreSpoofFrames returns the countermeasure score (mean frame LLR) of each recording's frames
// (already level-filtered) on workers goroutines.
func ScoreSpoofFrames(cm *models.Countermeasure, recs [][][]float32, workers int) []float64 {
	if workers <= 0 {
		workers = runtimeProcs()
	}
	scorers := make([]*models.SpoofScorer, max(workers, 1))
	for i := range scorers {
		scorers[i] = models.NewSpoofScorer(cm)
	}
	out := make([]float64, len(recs))
	_ = parallel(len(recs), workers, nil, func(w, i int) error {
		s := scorers[w]
		s.Reset()
		for _, x := range recs[i] {
			s.Add(x, 0)
		}
		out[i] = s.LLR()
		return nil
	})
	return out
}

// TrainSpoofModel trains the two GMMs on frames already extracted (one slice per recording) and
// sets operating points on the held-out bona fide recordings heldBona (none: no points).
func TrainSpoofModel(c SpoofTrainConfig, bona, spoof, heldBona [][][]float32) (*models.Countermeasure, error) {
	c.defaults()
	fe, err := json.Marshal(c.LFCC)
	if err != nil {
		return nil, err
	}
	cm := &models.Countermeasure{FrontEnd: fe, MinLevelDB: c.MinLevelDB, Info: c.Info}
	for i, set := range [][][][]float32{bona, spoof} {
		var all [][]float32
		for _, r := range set {
			all = append(all, r...)
		}
		if len(all) < 2*c.Components {
			return nil, fmt.Errorf("spoof: %d frames are too few for %d components", len(all), c.Components)
		}
		all = models.SubsampleFrames(all, c.MaxFrames, uint64(7+i))
		name := [2]string{"bona fide", "spoof"}[i]
		if c.Log != nil {
			fmt.Fprintf(c.Log, "spoof: training the %s GMM (%d components) on %d frames\n", name, c.Components, len(all))
		}
		g, _, err := models.TrainUBM(all, models.UBMConfig{Components: c.Components, Iters: c.Iters, SplitIters: 2, Workers: c.Workers})
		if err != nil {
			return nil, err
		}
		if i == 0 {
			cm.Bonafide = g
		} else {
			cm.Spoof = g
		}
	}
	if err := cm.Prepare(); err != nil {
		return nil, err
	}
	if len(heldBona) > 0 {
		cm.FARThresholds = models.OperatingPoints(ScoreSpoofFrames(cm, heldBona, c.Workers), c.FARs)
	}
	return cm, nil
}

// TrainSpoof extracts LFCC frames from c.Bonafide and c.Spoof, holds out every HoldOut-th bona
// fide file, trains the countermeasure and sets its operating points on the held-out files.
func TrainSpoof(c SpoofTrainConfig) (*models.Countermeasure, error) {
	c.defaults()
	if len(c.Bonafide) == 0 || len(c.Spoof) == 0 {
		return nil, fmt.Errorf("spoof: need bona fide and spoof files (have %d and %d)", len(c.Bonafide), len(c.Spoof))
	}
	var train, held []string
	for i, p := range c.Bonafide {
		if c.HoldOut > 0 && i%c.HoldOut == c.HoldOut-1 {
			held = append(held, p)
		} else {
			train = append(train, p)
		}
	}
	bona, err := ExtractSpoofFrames(train, c.LFCC, c.MinLevelDB, c.Workers, progress.New(c.Log, "bona fide LFCC", len(train)))
	if err != nil {
		return nil, err
	}
	hb, err := ExtractSpoofFrames(held, c.LFCC, c.MinLevelDB, c.Workers, progress.New(c.Log, "held-out LFCC", len(held)))
	if err != nil {
		return nil, err
	}
	sp, err := ExtractSpoofFrames(c.Spoof, c.LFCC, c.MinLevelDB, c.Workers, progress.New(c.Log, "spoof LFCC", len(c.Spoof)))
	if err != nil {
		return nil, err
	}
	if c.Info == nil {
		c.Info = map[string]string{}
	}
	c.Info["bonafide_files"] = fmt.Sprint(len(train))
	c.Info["heldout_bonafide_files"] = fmt.Sprint(len(held))
	c.Info["spoof_files"] = fmt.Sprint(len(c.Spoof))
	return TrainSpoofModel(c, bona, sp, hb)
}

// SpoofLFCCConfig decodes a countermeasure's front-end configuration.
func SpoofLFCCConfig(cm *models.Countermeasure) (dsp.LFCCConfig, error) {
	var c dsp.LFCCConfig
	if err := json.Unmarshal(cm.FrontEnd, &c); err != nil {
		return c, fmt.Errorf("spoof: countermeasure front end: %w", err)
	}
	return c, c.Validate()
}
