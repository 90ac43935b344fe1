package recipe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/models"
)

// DefaultSpoofMinLevelDB is the frame level (dBFS) below which the countermeasure ignores frames.
const DefaultSpoofMinLevelDB = -50

// DefaultSpoofGMMWeight is the GMM's weight in the fused countermeasure score, chosen on the
// leave-one-family-out study of bench/README.md: the GMM is nearly perfect on the synthesis
// families it was trained on but generalised poorly to unseen ones, the long-term statistics
// scorer the other way round. With the logistic regression and raw cepstra (until c13) the mean
// held-out EERs (clean / mobile codecs) were 0.5: 9.4 / 12.4 %, 0.25: 8.2 / 13.3 %, 0.1: 8.1 /
// 14.9 %, and 0.25 was the compromise; with the perceptron and the running cepstral mean
// normalisation (c15) the GMM generalises better and 0.5 is as good on clean speech and better
// after codecs (ten TTS families and replay held out: 5.48 / 10.26 % against 5.36 / 11.84 % at
// 0.25), and so it was on the countermeasures trained on all eight families.
const DefaultSpoofGMMWeight = 0.5

// DefaultSpoofL2 is the L2 weight of the long-term-statistics classifier (on standardised
// features, class-balanced mean loss), chosen on the leave-one-family-out study among 0.001, 0.01,
// 0.1, 0.3 and 1 (mean held-out LTSS EER 8.0 % clean / 16.3 % codecs at 0.1, 8.1 / 17.5 at 0.01).
const DefaultSpoofL2 = 0.1

// DefaultSpoofHidden is train-spoof's default number of hidden units of the perceptron scoring
// the long-term statistics (models.MLPScorer); 0 would mean the logistic regression of
// models.LinearScorer, the scorer until 2026-12-03. Measured that day (bench/README.md, "RHVoice,
// every Debian engine in training, and a perceptron"): on the leave-one-family-out study (eleven
// families and replay) 16 hidden units gave lower held-out EERs than the logistic regression on
// nine of twelve families (that scorer alone 7.49 → 6.29 % mean clean, 16.71 → 13.95 % after
// codecs; fused 5.83 → 5.16 % and 13.07 → 11.47 %); the countermeasure shipped in c13 is c11's
// recipe with it, which separates 20 of the 24 family × channel conditions as well or better and
// lets fewer spoofs through at 1 % in every one.
const DefaultSpoofHidden = 16

// DefaultSpoofStaticCMN is train-spoof's default for --static-cmn (models.Countermeasure.StaticCMN
// over the static cepstra: each frame's statics lose their running mean over the recording so
// far). On the leave-one-family-out study in the shipped configuration (bench/README.md, "Per-recording
// mean normalisation") the fused score's mean held-out EER over the ten TTS families and replay
// went 6.45 → 5.36 % clean and 13.04 → 11.84 % after codecs (whole-recording means, which a live
// call cannot use, gave 5.58 / 12.19 %); the TTS families gain, replay and the vocoders lose a
// little (their evidence is the channel colouration the normalisation removes). Shipped in c14.
const DefaultSpoofStaticCMN = true

// DefaultSpoofMLPL2 is the perceptron's weight decay (class-balanced mean loss, standardised
// features).
const DefaultSpoofMLPL2 = 0.03

// DefaultSpoofProsody is train-spoof's default for dsp.LFCCConfig.Prosody: whether the
// long-term statistics carry the prosodic-perturbation features (pitch jitter, shimmer, F0
// contour smoothness; dsp.PitchTracker). Off: on the leave-one-family-out study they lowered
// the mean held-out EER only slightly (9.23 → 9.14 % clean, 15.4 → 13.8 % after codecs; vocoder-lpc
// 15.6 → 19.7 %), and with every family in training the 1 % threshold flagged 2.35 % instead of
// 1.10 % of codec bona fide speech. See bench/README.md, "Prosodic-perturbation features".
const DefaultSpoofProsody = false

// DefaultSpoofModulation is train-spoof's default for dsp.LFCCConfig.Modulation: whether the
// long-term statistics carry the multi-scale temporal modulation statistics (2026-12-03, ninth
// session; see bench/README.md, "Temporal modulation statistics").
const DefaultSpoofModulation = false

// DefaultSpoofVoiceQuality is train-spoof's default for dsp.LFCCConfig.VoiceQuality: whether the
// long-term statistics carry the voice-source statistics of dsp.VoiceQualityStats (on since c31,
// 2026-12-05, twenty-second session; see bench/README.md, "A WORLD-style vocoder, and
// voice-source statistics"). Training configurations that cannot have their scorer (no frame
// network or no perceptron) leave them out unless asked.
const DefaultSpoofVoiceQuality = true

// DefaultSpoofModulationLow, DefaultSpoofModulationHigh and DefaultSpoofModulationShape are
// train-spoof's defaults for the modulation statistics' band range (Hz; 0: the whole band) and
// shape normalisation (dsp.LFCCConfig).
const (
	DefaultSpoofModulationLow   = 0.0
	DefaultSpoofModulationHigh  = 0.0
	DefaultSpoofModulationShape = false
)

// DefaultSpoofFrameStep is train-spoof's default models.Countermeasure.FrameStep: the GMMs score
// every second frame (30 ms windows every 30 ms instead of every 15 ms), half the countermeasure's
// largest per-frame cost. Retrained with every family (bench/README.md), the held-out evaluation
// EERs moved by at most 0.6 points either way (clean and after codecs; 100 spoofs per family),
// and the false flags at the 1 % threshold went from 7 to 6 of 637 codec files. Two-level
// frame selection (FrameSelection) was measured too and is not the default: at 32/4, 32/8, 16/4
// or 64/8 it raised the spread of held-out bona fide GMM scores (1.07 → 1.18-1.31), which lowers
// the GMM's weight in the fusion, and let 1-2 more spoofs in 100 through per family.
const DefaultSpoofFrameStep = 2

// SpoofTrainConfig configures TrainSpoof.
type SpoofTrainConfig struct {
	Bonafide, Spoof []string       // WAV files of each class
	LFCC            dsp.LFCCConfig // front end (default dsp.TelephoneLFCC)
	MinLevelDB      float64        // frames below this level are skipped (default DefaultSpoofMinLevelDB)
	Components      int            // GMM components per class (default 256)
	Iters           int            // EM iterations at full size (default 8)
	MaxFrames       int            // frames per class used for training, evenly subsampled (default 200000)
	HoldOut         int            // every HoldOut-th bona fide file is kept out of training to set thresholds (default 5; <0 none)
	// HoldOutSpeakers deals the bona fide speakers (SpeakerOfPath) into HoldOut folds instead and
	// sets the thresholds on every bona fide file scored by a model trained without its speaker
	// (trainSpoofCrossFit: HoldOut countermeasures are trained), as a deployment's callers are
	// voices the model never heard.
	HoldOutSpeakers bool
	// BonafideGroups, if set, gives each Bonafide file a condition group (e.g. the folder it was
	// listed from: clean, codec, ...). Operating points then hold in every group: each threshold
	// is the largest of the groups' thresholds at that false-alarm rate.
	BonafideGroups []int
	// ThresholdConfidence, if in (0, 1), with HoldOutSpeakers, sets each threshold so that its
	// false-alarm rate holds on unseen speakers with that confidence rather than on the average
	// training speaker: within each group the speakers are resampled with replacement
	// (ThresholdBootstraps times, seeded) and the threshold is this quantile of the resamples'
	// thresholds. Bona fide scores cluster by speaker (one voice the models find unusual takes
	// several of a 1% share), so the plain quantile of ~100 speakers' scores was exceeded on
	// new speakers (bench/README.md). 0: the plain quantile.
	ThresholdConfidence float64
	// BonafideScores, if set, receives the scores the thresholds were set on: one line
	// "path<TAB>group<TAB>speaker<TAB>score" per bona fide file (HoldOutSpeakers only; the score
	// is "NaN" for a file too short for the spectrum network, which is left out).
	BonafideScores io.Writer
	// SpoofGroups, if set, gives each Spoof file a group (train-spoof: the family, the name of the
	// folder above its --spoof folder). The spoof GMM then trains on the same number of frames
	// from every group (BalancedFrames) instead of frames drawn uniformly, in which families of
	// long recordings (replay and vocoders made from bona fide recordings of 5 s and more,
	// against 2.5 s of synthetic sentence) took half the spoof model (bench/README.md, "Shipped
	// 2026-12-04 (c26 ...)").
	SpoofGroups []int
	FARs        []float64         // false-alarm rates of the stored operating points (default 0.5%, 1%, 2%, 5%)
	Workers     int               // goroutines (default GOMAXPROCS)
	Log         io.Writer         // progress, may be nil
	Info        map[string]string // provenance stored in the model
	NoLTSS      bool              // GMMs only (the ASVspoof baseline), no long-term-statistics system
	L2          float64           // L2 weight of the logistic regression, with Hidden 0 (default DefaultSpoofL2)
	// Hidden, if > 0, scores the long-term statistics with a perceptron of that many hidden units
	// (models.MLPScorer); 0: a logistic regression (models.LinearScorer). train-spoof's default
	// is DefaultSpoofHidden.
	Hidden int
	MLPL2  float64 // the perceptron's weight decay (default DefaultSpoofMLPL2)
	// MLPEnsemble, if > 1, averages that many perceptrons trained from different initial weights
	// (models.MLPConfig.Ensemble).
	MLPEnsemble    int
	heldGroups     []int       // groups of the held-out files (TrainSpoof)
	spoofGMM       *models.GMM // the spoof class's GMM when already trained on the same spoof set (trainSpoofCrossFit)
	GMMWeight      float64     // weight of the GMM z-score in the fusion, the rest going to the classifier (default DefaultSpoofGMMWeight; <0: 0)
	FrameSelection string      // models.Countermeasure.FrameSelection, "K/G"; empty: every component
	FrameStep      int         // models.Countermeasure.FrameStep; 0 or 1: every frame
	StaticCMN      int         // models.Countermeasure.StaticCMN: static dimensions whose running mean is removed; 0: none
	// FrameNet, if not empty, adds a third system: a frame classifier (models.FrameNet) with these
	// hidden layer widths over the GMMs' frames, NetContext frames of context on each side
	// (0: the default 3), fused with weight NetWeight (default DefaultSpoofNetWeight). Needs the
	// long-term statistics system.
	FrameNet   []int
	NetContext int
	NetWeight  float64
	NetEpochs  int // passes over 200,000 frames of each class (default 4)
	NetStep    int // models.FrameNet.Step: classify every NetStep-th frame; 0: FrameStep
	// BalanceNet, with SpoofGroups, draws the frame network's spoof frames about evenly over the
	// groups (GroupRepeats) instead of uniformly over all spoof frames.
	BalanceNet bool
	// VQWeight, if > 0, scores the voice-source statistics (LFCC.VoiceQuality, which end the
	// long-term statistics) with a perceptron of their own (models.Countermeasure.VQ) instead of
	// with the rest, fused with this weight beside the frame network's. Needs VoiceQuality and
	// FrameNet.
	VQWeight float64
	// Spec, if set, adds a spectrum network (models.SpecNet), fused with the other systems, and
	// sets the operating points from the fused scores: with HoldOutSpeakers one network is
	// trained without each speaker fold (the last fold's is kept, with that fold's other
	// systems) and the folds' fused out-of-speaker scores are pooled; otherwise it trains
	// without the held-out files, which set the thresholds.
	Spec *SpecNetTrainConfig
	// Seed selects the draw of the training's random choices: the frames subsampled for the
	// GMMs and the perceptrons' and frame network's initial weights and shuffles. 0 gives the
	// draw every countermeasure so far was trained with; another value, another draw of the same
	// recipe (to measure its spread).
	Seed uint64
}

// DefaultSpoofVQShiftMs is train-spoof's default --vq-shift-ms, the voice-source statistics'
// frame shift: 20 ms halves their work against 10 ms (0.99 ms CPU per audio second) for 0.1
// point of mean EER in leave-one-family-out (bench/README.md).
const DefaultSpoofVQShiftMs = 20.0

// DefaultSpoofVQMaxFrames is train-spoof's default --vq-max-frames (since c31): the voice-source
// statistics stop after 3 s of speech (150 frames at 20 ms), the first assessment's. In
// leave-one-family-out that gave 4.18 / 10.69 % against 4.13 / 10.53 % at 5 s (mean EER clean /
// after codecs; bench/README.md). It bounds a call's share of their work to ~1.5 CPU ms, all of
// it in the call's first seconds, which is what 1,000 calls starting together can afford.
const DefaultSpoofVQMaxFrames = 150

// DefaultSpoofVQHalfRate is train-spoof's default --vq-half-rate (dsp.VoiceQualityConfig.HalfRate;
// since c31): the pitch and cepstral peak found below 2 kHz. It costs about 28 % less work than
// the 8 kHz analysis and was more accurate in leave-one-family-out.
const DefaultSpoofVQHalfRate = true

// DefaultSpoofVQPhase is train-spoof's default --vq-phase (dsp.VoiceQualityConfig.HarmonicPhase).
const DefaultSpoofVQPhase = false

// DefaultSpoofVQWeight is train-spoof's default --vq-weight (since c31): the voice-source scorer's
// weight in the fusion. At 0.2 more vocoded speech was caught but 12 of 637 dev mobile-codec
// bona fide files were flagged; at 0.1, 6, as without it (bench/README.md).
const DefaultSpoofVQWeight = 0.1

// DefaultSpoofFrameNet is train-spoof's default --frame-net (since c23): two hidden layers.
const DefaultSpoofFrameNet = "128,64"

// DefaultSpoofNetStep is train-spoof's default --net-step (since c23): every 4th frame, half the
// network's cost of the GMMs' step 2 at the same leave-one-family-out EERs (bench/README.md).
const DefaultSpoofNetStep = 4

// DefaultSpoofNetWeight is the frame network's weight in the fusion (SpoofTrainConfig.NetWeight).
const DefaultSpoofNetWeight = 0.3

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
	if c.GMMWeight == 0 {
		c.GMMWeight = DefaultSpoofGMMWeight
	}
	c.GMMWeight = max(c.GMMWeight, 0)
	if c.L2 <= 0 {
		c.L2 = DefaultSpoofL2
	}
	if c.MLPL2 <= 0 {
		c.MLPL2 = DefaultSpoofMLPL2
	}
	if c.HoldOut == 0 {
		c.HoldOut = 5
	}
	if c.NetContext <= 0 {
		c.NetContext = 3
	}
	if c.NetWeight <= 0 {
		c.NetWeight = DefaultSpoofNetWeight
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

// SpoofFeatures are one recording's countermeasure inputs: its LFCC frames (with deltas) whose
// level reaches the floor, and its long-term spectral statistics over the same frames.
type SpoofFeatures struct {
	Frames [][]float32
	Stats  []float64
	// Specs are the recording's log power spectra for a countermeasure with a spectrum network
	// (AddSpecs), one per front end it lists (models.Countermeasure.SpecFrontEnds); nil otherwise.
	Specs []models.SpecRecording
}

// SpoofFeaturesOf decodes a WAV file, resamples it to cfg.SampleRate and computes its
// countermeasure features with frames below minLevelDB dropped.
func SpoofFeaturesOf(path string, cfg dsp.LFCCConfig, minLevelDB float64) (*SpoofFeatures, error) {
	s, err := ReadMono(path, cfg.SampleRate)
	if err != nil {
		return nil, err
	}
	return SpoofFeaturesOfSamples(s, cfg, minLevelDB)
}

// ReadMono decodes a WAV file's first channel as samples in [-1, 1), resampled to rate (Hz)
// when the file has another; errors name the file.
func ReadMono(path string, rate int) ([]float32, error) {
	a, err := audio.ReadWAVFile(path)
	if err != nil {
		return nil, err
	}
	s, err := a.Channel(0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if a.SampleRate != rate {
		if s, err = audio.Resample(s, a.SampleRate, rate); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return s, nil
}

// SpoofFeaturesOfSamples computes the countermeasure features of samples in [-1, 1) at
// cfg.SampleRate.
func SpoofFeaturesOfSamples(s []float32, cfg dsp.LFCCConfig, minLevelDB float64) (*SpoofFeatures, error) {
	l, err := dsp.NewLFCC(cfg)
	if err != nil {
		return nil, err
	}
	l.EnableSpectralStats(minLevelDB)
	l.Push(s)
	l.Flush()
	f := &SpoofFeatures{Stats: make([]float64, cfg.SpectralStatsDim())}
	for {
		row := make([]float32, cfg.Dim())
		lv, ok := l.Next(row)
		if !ok {
			break
		}
		if lv >= minLevelDB {
			f.Frames = append(f.Frames, row)
		}
	}
	l.SpectralStats(f.Stats)
	return f, nil
}

// ExtractSpoofFeatures runs SpoofFeaturesOf on every path on workers goroutines, in order.
func ExtractSpoofFeatures(paths []string, cfg dsp.LFCCConfig, minLevelDB float64, workers int, bar *progress.Bar) ([]*SpoofFeatures, error) {
	out := make([]*SpoofFeatures, len(paths))
	err := Parallel(len(paths), workers, bar, func(_, i int) error {
		f, err := SpoofFeaturesOf(paths[i], cfg, minLevelDB)
		out[i] = f
		return err
	})
	return out, err
}

// SpoofGMMScores returns the GMM score (mean frame LLR) of each recording on workers goroutines.
func SpoofGMMScores(cm *models.Countermeasure, recs []*SpoofFeatures, workers int) []float64 {
	gmm, _ := SpoofFrameScores(cm, recs, workers)
	return gmm
}

// SpoofFrameScores returns each recording's mean frame LLR of the countermeasure's GMMs and its
// frame network's mean log-odds (0 without a network), as a live call's SpoofScorer computes them.
func SpoofFrameScores(cm *models.Countermeasure, recs []*SpoofFeatures, workers int) (gmm, net []float64) {
	if workers <= 0 {
		workers = runtimeProcs()
	}
	scorers := make([]*models.SpoofScorer, max(workers, 1))
	for i := range scorers {
		scorers[i] = models.NewSpoofScorer(cm)
	}
	gmm, net = make([]float64, len(recs)), make([]float64, len(recs))
	_ = Parallel(len(recs), workers, nil, func(w, i int) error {
		s := scorers[w]
		s.Reset()
		for _, x := range recs[i].Frames {
			s.Add(x, 0)
		}
		gmm[i], net[i] = s.LLR(), s.NetScore()
		return nil
	})
	return gmm, net
}

// ScoreSpoof returns the countermeasure's score of each recording (GMM score fused with the
// long-term-statistics score, and the frame network's, when the countermeasure has them; then
// with the spectrum network's, when it has one: a recording without its spectrum (AddSpecs) or
// too short for the network scores NaN, no verdict, as the engine gives none).
func ScoreSpoof(cm *models.Countermeasure, recs []*SpoofFeatures, workers int) []float64 {
	out, net := SpoofFrameScores(cm, recs, workers)
	for i, r := range recs {
		out[i] = cm.Combine(out[i], r.Stats, net[i])
	}
	if cm.Spec != nil {
		specs := make([][]models.SpecRecording, len(recs)) // missing spectra: NaN
		for i, r := range recs {
			specs[i] = r.Specs
		}
		for i, v := range SpecLogits(cm, specs, workers) {
			out[i] = cm.Fusion.FuseSpec(out[i], v) // NaN in, NaN out
		}
	}
	return out
}

// SpecLogits returns the mean log-odds of cm's spectrum networks (models.Countermeasure.SpecLogit)
// of each recording, given its spectra by cm's front ends (NaN for one missing or too short), on
// workers goroutines.
func SpecLogits(cm *models.Countermeasure, specs [][]models.SpecRecording, workers int) []float64 {
	out := make([]float64, len(specs))
	_ = Parallel(len(specs), workers, nil, func(_, i int) error {
		v, ok := cm.SpecLogit(specs[i])
		if !ok {
			v = math.NaN()
		}
		out[i] = v
		return nil
	})
	return out
}

// AddSpecs computes, for a countermeasure with a spectrum network, the log power spectrum of
// each recording (paths[i] for recs[i]) that the network reads; without one it does nothing.
func AddSpecs(cm *models.Countermeasure, recs []*SpoofFeatures, paths []string, workers int, bar *progress.Bar) error {
	if cm.Spec == nil {
		return nil
	}
	fes := cm.SpecFrontEnds()
	for i := range recs {
		recs[i].Specs = make([]models.SpecRecording, len(fes))
	}
	for k, raw := range fes {
		var fe dsp.SpecConfig
		if err := json.Unmarshal(raw, &fe); err != nil {
			return fmt.Errorf("spoof: countermeasure spectrum front end: %w", err)
		}
		var b *progress.Bar
		if k == 0 {
			b = bar
		}
		specs, err := ExtractSpecs(paths, fe, cm.SpecSeconds, workers, b)
		if err != nil {
			return err
		}
		for i := range recs {
			recs[i].Specs[k] = specs[i]
		}
	}
	return nil
}

// TrainSpoofModel trains the countermeasure on features already extracted and sets its fusion
// and operating points on the held-out bona fide recordings held (at least two).
func TrainSpoofModel(c SpoofTrainConfig, bona, spoof, held []*SpoofFeatures) (*models.Countermeasure, error) {
	c.defaults()
	fe, err := json.Marshal(c.LFCC)
	if err != nil {
		return nil, err
	}
	cm := &models.Countermeasure{FrontEnd: fe, MinLevelDB: c.MinLevelDB, Info: c.Info, FrameSelection: c.FrameSelection, FrameStep: c.FrameStep, StaticCMN: c.StaticCMN}
	for i, set := range [][]*SpoofFeatures{bona, spoof} {
		if i == 1 && c.spoofGMM != nil {
			cm.Spoof = c.spoofGMM
			continue
		}
		grouped := i == 1 && len(c.SpoofGroups) == len(set)
		byGroup := map[int][][]float32{}
		var all [][]float32
		for k, r := range set {
			f := r.Frames
			if c.StaticCMN > 0 {
				f = models.CausalCMN(r.Frames, c.StaticCMN)
			}
			all = append(all, f...)
			if grouped {
				byGroup[c.SpoofGroups[k]] = append(byGroup[c.SpoofGroups[k]], f...)
			}
		}
		if len(all) < 2*c.Components {
			return nil, fmt.Errorf("spoof: %d frames are too few for %d components", len(all), c.Components)
		}
		if grouped && len(byGroup) > 1 {
			all = balancedFrames(byGroup, c.MaxFrames, 1000*c.Seed)
		} else {
			all = models.SubsampleFrames(all, c.MaxFrames, uint64(7+i)+1000*c.Seed)
		}
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
	if len(held) < 2 {
		return nil, errors.New("spoof: need at least two held-out bona fide recordings for the operating points")
	}
	vqDim := 0
	if c.VQWeight > 0 {
		if !c.LFCC.VoiceQuality || len(c.FrameNet) == 0 || c.NoLTSS || c.Hidden <= 0 {
			return nil, errors.New("spoof: a voice-source scorer needs the voice-source statistics, the perceptron on the long-term statistics and the frame network")
		}
		vqDim = c.LFCC.VoiceQualityStatsDim()
	}
	if !c.NoLTSS {
		// stats returns the recordings' statistics [lo, len−hi) (those with frames).
		stats := func(set []*SpoofFeatures, lo, hi int) [][]float64 {
			var out [][]float64
			for _, r := range set {
				if len(r.Frames) > 0 {
					out = append(out, r.Stats[lo:len(r.Stats)-hi])
				}
			}
			return out
		}
		if c.Hidden > 0 {
			cm.LTSSNet, err = models.TrainMLP(stats(spoof, 0, vqDim), stats(bona, 0, vqDim), models.MLPConfig{Hidden: c.Hidden, L2: c.MLPL2, Seed: 1 + 1000*c.Seed, Workers: c.Workers, Ensemble: c.MLPEnsemble})
		} else {
			cm.LTSS, err = models.TrainLogistic(stats(spoof, 0, 0), stats(bona, 0, 0), c.L2, 0)
		}
		if err != nil {
			return nil, err
		}
		if vqDim > 0 {
			n := c.LFCC.SpectralStatsDim()
			if cm.VQ, err = models.TrainMLP(stats(spoof, n-vqDim, 0), stats(bona, n-vqDim, 0), models.MLPConfig{Hidden: c.Hidden, L2: c.MLPL2, Seed: 1 + 1000*c.Seed, Workers: c.Workers}); err != nil {
				return nil, err
			}
		}
		lin := make([]float64, len(held))
		for i, r := range held {
			lin[i] = cm.StatsScore(r.Stats)
		}
		if cm.Fusion, err = models.NewSpoofFusion(SpoofGMMScores(cm, held, c.Workers), lin, c.GMMWeight); err != nil {
			return nil, err
		}
	}
	if len(c.FrameNet) > 0 {
		if c.NoLTSS {
			return nil, errors.New("spoof: the frame network needs the long-term statistics system")
		}
		if err := trainSpoofNet(c, cm, bona, spoof, held); err != nil {
			return nil, err
		}
	}
	cm.FARThresholds = spoofOperatingPoints(ScoreSpoof(cm, held, c.Workers), c.heldGroups, nil, c.FARs, 0)
	return cm, cm.Validate()
}

// BalancedFrames draws n frames over the groups, n/len(groups) from each (all of a smaller
// group's), group g subsampled with seed 100+g, in group order: the spoof GMM's family-balanced
// training sample (SpoofTrainConfig.SpoofGroups).
func BalancedFrames(groups map[int][][]float32, n int) [][]float32 {
	return balancedFrames(groups, n, 0)
}

// balancedFrames is BalancedFrames with group g subsampled with seed 100+g+offset.
func balancedFrames(groups map[int][][]float32, n int, offset uint64) [][]float32 {
	keys := slices.Sorted(maps.Keys(groups))
	var out [][]float32
	for _, g := range keys {
		out = append(out, models.SubsampleFrames(groups[g], n/len(keys), uint64(100+g)+offset)...)
	}
	return out
}

// GroupRepeats returns how many times to repeat each recording (frames[i] frames, in group
// groups[i]) so that every group holds about as many frames as the one with the most: a whole
// number per group, at least 1. A frame drawn uniformly from the repeated recordings is then
// about uniform over the groups (SpoofTrainConfig.BalanceNet).
func GroupRepeats(frames, groups []int) []int {
	total := map[int]int{}
	for i, n := range frames {
		total[groups[i]] += n
	}
	most := 0
	for _, n := range total {
		most = max(most, n)
	}
	out := make([]int, len(frames))
	for i := range frames {
		out[i] = max(1, int(math.Round(float64(most)/float64(max(total[groups[i]], 1)))))
	}
	return out
}

// repeatByGroup repeats recs as GroupRepeats says; the frames themselves are shared, not copied.
func repeatByGroup(recs []*SpoofFeatures, groups []int) []*SpoofFeatures {
	frames := make([]int, len(recs))
	for i, r := range recs {
		frames[i] = len(r.Frames)
	}
	var out []*SpoofFeatures
	for i, k := range GroupRepeats(frames, groups) {
		for range k {
			out = append(out, recs[i])
		}
	}
	return out
}

// trainSpoofNet trains cm's frame network on the bona fide and spoof recordings' frames, as the
// GMMs see them, and adds it to the fusion, standardised on the held-out bona fide recordings.
func trainSpoofNet(c SpoofTrainConfig, cm *models.Countermeasure, bona, spoof, held []*SpoofFeatures) error {
	frames := func(set []*SpoofFeatures) [][][]float32 {
		var out [][][]float32
		for _, r := range set {
			switch {
			case len(r.Frames) == 0:
			case c.StaticCMN > 0:
				out = append(out, models.CausalCMN(r.Frames, c.StaticCMN))
			default:
				out = append(out, r.Frames)
			}
		}
		return out
	}
	if c.Log != nil {
		fmt.Fprintf(c.Log, "spoof: training the frame network (hidden %v, context %d)\n", c.FrameNet, c.NetContext)
	}
	sp := spoof
	if c.BalanceNet && len(c.SpoofGroups) == len(spoof) {
		sp = repeatByGroup(spoof, c.SpoofGroups)
	}
	net, err := models.TrainFrameNet(frames(bona), frames(sp), models.FrameNetConfig{Context: c.NetContext, Hidden: c.FrameNet, Epochs: c.NetEpochs, Seed: 1 + 1000*c.Seed})
	if err != nil {
		return err
	}
	net.Step = c.NetStep
	cm.Net = net
	gmm, ns := SpoofFrameScores(cm, held, c.Workers)
	fused := make([]float64, len(held))
	for i, r := range held {
		fused[i] = cm.Fusion.Fuse(gmm[i], cm.StatsScore(r.Stats))
	}
	if err := cm.Fusion.SetNet(fused, ns, c.NetWeight); err != nil {
		return err
	}
	if cm.VQ == nil {
		return nil
	}
	vq := make([]float64, len(held))
	for i, r := range held {
		vq[i] = cm.VQScore(r.Stats)
	}
	if err := cm.Fusion.SetVQ(vq, c.VQWeight); err != nil {
		return fmt.Errorf("%w (do the bona fide recordings have voiced speech? Without it, train without the voice-source statistics)", err)
	}
	return nil
}

// DefaultSpoofThresholdConfidence is train-spoof's default --threshold-confidence
// (SpoofTrainConfig.ThresholdConfidence).
const DefaultSpoofThresholdConfidence = 0.9

// ThresholdBootstraps is how many speaker resamples set a threshold with
// SpoofTrainConfig.ThresholdConfidence.
const ThresholdBootstraps = 400

// spoofOperatingPoints returns the thresholds at fars on bona fide scores; with groups (one per
// score), the largest threshold over the groups with at least 20 scores at each rate. With
// speakers (one per score) and conf in (0, 1), each group's threshold is the conf quantile of
// its thresholds over speaker resamples (speakerBootstrapPoints).
func spoofOperatingPoints(scores []float64, groups []int, speakers []string, fars []float64, conf float64) []models.FARPoint {
	boot := conf > 0 && conf < 1 && len(speakers) == len(scores)
	points := func(idx []int, g int) []models.FARPoint {
		if boot {
			return speakerBootstrapPoints(scores, speakers, idx, fars, conf, uint64(g))
		}
		v := make([]float64, len(idx))
		for j, i := range idx {
			v[j] = scores[i]
		}
		return models.OperatingPoints(v, fars)
	}
	all := make([]int, len(scores))
	for i := range all {
		all[i] = i
	}
	pts := points(all, -1)
	if len(groups) != len(scores) {
		return pts
	}
	by := map[int][]int{}
	for i, g := range groups {
		by[g] = append(by[g], i)
	}
	for _, g := range slices.Sorted(maps.Keys(by)) {
		if len(by[g]) < 20 {
			continue
		}
		for i, p := range points(by[g], g) {
			pts[i].LLR = max(pts[i].LLR, p.LLR)
		}
	}
	return pts
}

// speakerBootstrapPoints returns, for each rate in fars, the conf quantile of the thresholds at
// that rate over ThresholdBootstraps resamples of the speakers of scores[idx] (each resample
// draws as many speakers as there are, with replacement, and takes all their scores), seeded by
// seed. The result is never below the plain threshold of scores[idx].
func speakerBootstrapPoints(scores []float64, speakers []string, idx []int, fars []float64, conf float64, seed uint64) []models.FARPoint {
	bySpk := map[string][]float64{}
	for _, i := range idx {
		bySpk[speakers[i]] = append(bySpk[speakers[i]], scores[i])
	}
	names := slices.Sorted(maps.Keys(bySpk))
	v := make([]float64, 0, len(idx))
	for _, n := range names {
		v = append(v, bySpk[n]...)
	}
	plain := models.OperatingPoints(v, fars)
	rng := rand.New(rand.NewPCG(0x5eed7415, seed))
	th := make([][]float64, len(plain))
	for range ThresholdBootstraps {
		v = v[:0]
		for range names {
			v = append(v, bySpk[names[rng.IntN(len(names))]]...)
		}
		for i, p := range models.OperatingPoints(v, fars) {
			th[i] = append(th[i], p.LLR)
		}
	}
	for i := range plain {
		sort.Float64s(th[i])
		q := th[i][min(int(math.Floor(conf*float64(len(th[i])))), len(th[i])-1)]
		plain[i].LLR = max(plain[i].LLR, q)
	}
	return plain
}

// SpeakerOfPath is the speaker of a bona fide recording for HoldOutSpeakers: the part of the
// file name before its first '_' (make_spoof_data.py's "<corpus><speaker>_<utterance>.wav"),
// else the name of its folder (the corpora's "<speaker>/<utterance>.wav"). Leading copy prefixes
// of one or two lower-case letters and '_' ("n_", "d_", "p_", "t_", "tm_": the bench scripts'
// names for degraded copies of a recording) are skipped, so that a copy belongs to its original's
// speaker and not to a pseudo-speaker of all copies of its kind.
func SpeakerOfPath(path string) string {
	base := filepath.Base(path)
	for {
		head, rest, ok := strings.Cut(base, "_")
		if !ok || !isCopyPrefix(head) || !strings.Contains(rest, "_") {
			break
		}
		base = rest
	}
	if i := strings.IndexByte(base, '_'); i > 0 {
		return base[:i]
	}
	return filepath.Base(filepath.Dir(path))
}

// isCopyPrefix reports whether s is one or two lower-case ASCII letters.
func isCopyPrefix(s string) bool {
	if len(s) < 1 || len(s) > 2 {
		return false
	}
	for _, c := range []byte(s) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// TrainSpoof extracts LFCC frames from c.Bonafide and c.Spoof, holds out every HoldOut-th bona
// fide file, trains the countermeasure and sets its operating points on the held-out files.
func TrainSpoof(c SpoofTrainConfig) (*models.Countermeasure, error) {
	c.defaults()
	if len(c.Bonafide) == 0 || len(c.Spoof) == 0 {
		return nil, fmt.Errorf("spoof: need bona fide and spoof files (have %d and %d)", len(c.Bonafide), len(c.Spoof))
	}
	if c.HoldOutSpeakers && c.HoldOut > 1 {
		return trainSpoofCrossFit(c)
	}
	var train, held []string
	for i, p := range c.Bonafide {
		if c.HoldOut > 0 && i%c.HoldOut == c.HoldOut-1 {
			held = append(held, p)
			if len(c.BonafideGroups) == len(c.Bonafide) {
				c.heldGroups = append(c.heldGroups, c.BonafideGroups[i])
			}
		} else {
			train = append(train, p)
		}
	}
	bona, err := ExtractSpoofFeatures(train, c.LFCC, c.MinLevelDB, c.Workers, progress.New(c.Log, "bona fide LFCC", len(train)))
	if err != nil {
		return nil, err
	}
	hb, err := ExtractSpoofFeatures(held, c.LFCC, c.MinLevelDB, c.Workers, progress.New(c.Log, "held-out LFCC", len(held)))
	if err != nil {
		return nil, err
	}
	sp, err := ExtractSpoofFeatures(c.Spoof, c.LFCC, c.MinLevelDB, c.Workers, progress.New(c.Log, "spoof LFCC", len(c.Spoof)))
	if err != nil {
		return nil, err
	}
	if c.Info == nil {
		c.Info = map[string]string{}
	}
	c.Info["bonafide_files"] = fmt.Sprint(len(train))
	c.Info["heldout_bonafide_files"] = fmt.Sprint(len(held))
	c.Info["spoof_files"] = fmt.Sprint(len(c.Spoof))
	cm, err := TrainSpoofModel(c, bona, sp, hb)
	if err != nil || c.Spec == nil {
		return cm, err
	}
	// The spectrum network: trained without the held-out files, which set the thresholds.
	var heldIdx []int
	for i := range c.Bonafide {
		if c.HoldOut > 0 && i%c.HoldOut == c.HoldOut-1 {
			heldIdx = append(heldIdx, i)
		}
	}
	base := ScoreSpoof(cm, hb, c.Workers)
	bona, sp, hb = nil, nil, nil // the frames are not needed any more: room for the spectra
	sfs, err := trainSpecFolds(c, [][]int{heldIdx}, [][]float64{base}, []string{"spectrum network"})
	if err != nil {
		return nil, err
	}
	sf := sfs[0]
	if err := applySpec(c, cm, sf); err != nil {
		return nil, err
	}
	baseFAR := cm.FARThresholds // the other systems' own, on the same held-out files
	if _, err := specOperatingPoints(c, cm, sf.fused, sf.primaryFused, c.heldGroups, nil); err != nil {
		return nil, err
	}
	cm.BaseFARThresholds = baseFAR
	return cm, cm.Validate()
}

// trainSpoofCrossFit is TrainSpoof with HoldOutSpeakers: the bona fide speakers (SpeakerOfPath)
// are dealt into HoldOut folds; a countermeasure is trained without each fold's speakers and
// scores them, and the operating points are set on all those out-of-speaker scores together (so
// on every bona fide file, by a model that never heard the voice, instead of on a fifth of the
// files by a model that heard the same voices in other files). The model returned is the last
// fold's. The fused scores of different folds are comparable because each is a sum of z-scores
// normalised on that model's own held-out bona fide files.
func trainSpoofCrossFit(c SpoofTrainConfig) (*models.Countermeasure, error) {
	K := c.HoldOut
	var spks []string
	for _, p := range c.Bonafide {
		spks = append(spks, SpeakerOfPath(p))
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(spks)))
	if len(uniq) < K {
		return nil, fmt.Errorf("spoof: %d bona fide speakers are too few for %d speaker folds", len(uniq), K)
	}
	fold := map[string]int{}
	for i, sp := range uniq {
		fold[sp] = i % K
	}
	all, err := ExtractSpoofFeatures(c.Bonafide, c.LFCC, c.MinLevelDB, c.Workers, progress.New(c.Log, "bona fide LFCC", len(c.Bonafide)))
	if err != nil {
		return nil, err
	}
	sp, err := ExtractSpoofFeatures(c.Spoof, c.LFCC, c.MinLevelDB, c.Workers, progress.New(c.Log, "spoof LFCC", len(c.Spoof)))
	if err != nil {
		return nil, err
	}
	grouped := len(c.BonafideGroups) == len(c.Bonafide)
	var pooled []float64
	var pooledGroups []int
	var pooledIdx []int // indices into c.Bonafide of pooled's scores
	var cm *models.Countermeasure
	// With a spectrum network, one is trained without each fold's speakers too, after the other
	// systems (their frames then freed); their fused scores of the held-out files, pooled, set
	// the thresholds, and the last fold's network is kept with the last fold's other systems.
	var specHeld [][]int
	var specBase [][]float64
	var specNames []string
	if c.Spec != nil {
		sc := *c.Spec
		sc.defaults()
		if _, _, _, err := specFrontEnds(sc); err != nil {
			return nil, err
		}
	}
	for f := range K {
		var bona, held []*SpoofFeatures
		var heldIdx []int
		fc := c
		fc.heldGroups = nil
		for i, r := range all {
			if fold[spks[i]] != f {
				bona = append(bona, r)
				continue
			}
			held = append(held, r)
			heldIdx = append(heldIdx, i)
			if grouped {
				fc.heldGroups = append(fc.heldGroups, c.BonafideGroups[i])
			}
		}
		if c.Log != nil {
			fmt.Fprintf(c.Log, "spoof: speaker fold %d of %d: %d bona fide files held out\n", f+1, K, len(held))
		}
		fc.Info = map[string]string{}
		for k, v := range c.Info {
			fc.Info[k] = v
		}
		fc.Info["bonafide_files"] = fmt.Sprint(len(bona))
		fc.Info["heldout_bonafide_files"] = fmt.Sprint(len(held))
		if cm != nil {
			fc.spoofGMM = cm.Spoof // the spoof set is the same in every fold
		}
		m, err := TrainSpoofModel(fc, bona, sp, held)
		if err != nil {
			return nil, fmt.Errorf("speaker fold %d: %w", f+1, err)
		}
		base := ScoreSpoof(m, held, c.Workers)
		pooled = append(pooled, base...)
		pooledGroups = append(pooledGroups, fc.heldGroups...)
		pooledIdx = append(pooledIdx, heldIdx...)
		cm = m
		if c.Spec != nil {
			specHeld, specBase = append(specHeld, heldIdx), append(specBase, base)
			specNames = append(specNames, fmt.Sprintf("spectrum network, fold %d of %d", f+1, K))
		}
	}
	var specFused, specPrimary []float64
	if c.Spec != nil {
		all, sp = nil, nil // the frames are not needed any more: room for the spectra
		sfs, err := trainSpecFolds(c, specHeld, specBase, specNames)
		if err != nil {
			return nil, err
		}
		for _, sf := range sfs {
			specFused = append(specFused, sf.fused...)
			specPrimary = append(specPrimary, sf.primaryFused...)
		}
		if err := applySpec(c, cm, sfs[K-1]); err != nil {
			return nil, err
		}
	}
	pooledSpk := make([]string, len(pooledIdx))
	for j, i := range pooledIdx {
		pooledSpk[j] = spks[i]
	}
	// The other systems' thresholds; with a network they judge what it has not scored, and its
	// fused scores set the thresholds proper.
	baseFAR := spoofOperatingPoints(pooled, pooledGroups, pooledSpk, c.FARs, c.ThresholdConfidence)
	nThr := len(pooled)
	if c.Spec != nil {
		pooled = specFused
		var err error
		if nThr, err = specOperatingPoints(c, cm, specFused, specPrimary, pooledGroups, pooledSpk); err != nil {
			return nil, err
		}
		cm.BaseFARThresholds = baseFAR
	} else {
		cm.FARThresholds = baseFAR
	}
	if c.BonafideScores != nil {
		for j, i := range pooledIdx {
			g := 0
			if grouped {
				g = c.BonafideGroups[i]
			}
			if _, err := fmt.Fprintf(c.BonafideScores, "%s\t%d\t%s\t%.6g\n", c.Bonafide[i], g, pooledSpk[j], pooled[j]); err != nil {
				return nil, fmt.Errorf("spoof: bona fide scores: %w", err)
			}
		}
	}
	if c.ThresholdConfidence > 0 && c.ThresholdConfidence < 1 {
		cm.Info["threshold_speaker_confidence"] = fmt.Sprint(c.ThresholdConfidence)
	}
	cm.Info["spoof_files"] = fmt.Sprint(len(c.Spoof))
	cm.Info["threshold_bonafide_files"] = fmt.Sprint(nThr)
	cm.Info["threshold_speaker_folds"] = fmt.Sprint(K)
	return cm, cm.Validate()
}

// SpoofLFCCConfig decodes a countermeasure's front-end configuration.
func SpoofLFCCConfig(cm *models.Countermeasure) (dsp.LFCCConfig, error) {
	var c dsp.LFCCConfig
	if err := json.Unmarshal(cm.FrontEnd, &c); err != nil {
		return c, fmt.Errorf("spoof: countermeasure front end: %w", err)
	}
	return c, c.Validate()
}

// ParseFamilyGroups reads --family-group values NAME=F1,F2,... into a map from each family to
// its group's name (train-spoof's, and bench/spoof/lofo's, balance groups). A family may be in
// one group only.
func ParseFamilyGroups(vals []string) (map[string]string, error) {
	alias := map[string]string{}
	for _, v := range vals {
		name, list, ok := strings.Cut(v, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.TrimSpace(list) == "" {
			return nil, fmt.Errorf("--family-group %q: want NAME=FAMILY[,FAMILY]", v)
		}
		for _, f := range strings.Split(list, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if prev, dup := alias[f]; dup {
				return nil, fmt.Errorf("family %q is in two --family-group groups (%s and %s)", f, prev, name)
			}
			alias[f] = name
		}
	}
	return alias, nil
}
