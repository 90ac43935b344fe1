package recipe

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"time"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/internal/progress"
	"github.com/voxguard/voxguard/models"
)

// TrainConfig is everything `voxguard train` decides. Zero values take the defaults of
// DefaultTrainConfig.
type TrainConfig struct {
	Corpora  []string           // corpus folders laid out <speaker>/<utt>.wav
	Exclude  map[string]bool    // "corpus/speaker" keys held out of training
	Frontend dsp.FrontendConfig // feature pipeline, recorded in the bundle

	Components int // UBM Gaussians
	TopC       int // Gaussians kept per frame for statistics
	SelectDims int // dimensions used to pre-rank Gaussians (0 = all)
	// MinPost drops a frame's selected components whose posterior is below it and renormalises
	// the rest (Kaldi's --min-post; models.Scratch.MinPost): fewer statistics updates per
	// frame. 0 keeps all TopC.
	MinPost      float64
	UBMFrames    int // frames sampled for UBM training
	UBMIters     int // EM iterations at full size
	IVectorDim   int // i-vector dimension R
	IVectorIters int // total-variability EM iterations
	// IVectorVariances re-estimates the extractor's residual variances (diagonal) at every EM
	// iteration instead of keeping the UBM's (models.IVectorTrainConfig.Second).
	IVectorVariances bool
	// IVectorFullCov whitens the extractor's statistics with each component's full covariance
	// (models.FullCovWhitening; bundle format version 8) instead of the UBM's diagonal one,
	// estimated on the extractor's training recordings (every IVectorFullCovStride-th frame).
	// The default since c32 (three seeds: 12 s tests and FSDD better at every one, 4 s and
	// degraded tests at two; bench/README.md). Not with IVectorVariances.
	IVectorFullCov bool
	// HalfPrecisionT stores the extractor's T in half precision (models.Metadata.HalfPrecisionT:
	// bundle section "TVAH", bundle format version 10), halving its size; the TV stage rounds T
	// so in its checkpoint, before the back ends are trained on its i-vectors. The default since
	// c44, whose second system is as large as its first (bench/README.md).
	HalfPrecisionT bool
	// GMMFullCov makes the GMM scorer whiten its statistics with the extractor's full
	// covariances too (models.GMMLinear.FullWhitened; needs IVectorFullCov). Experimental.
	GMMFullCov bool
	// IVectorFullCovStride is the frame stride of that estimate (default 2).
	IVectorFullCovStride int
	LDADim               int // LDA output dimension (capped at speakers-1)
	PLDAIters            int // PLDA EM iterations
	CohortSize           int // S-norm cohort vectors kept in the bundle
	SNormTopN            int // adaptive S-norm top-N
	EnrollFrames         int // voiced frames of a calibration-trial enrollment
	Relevance            int // MAP relevance factor of GMM-UBM linear scoring (0: no GMM scorer)
	GMMCohort            int // speakers in the GMM scorer's S-norm cohort
	// GMMQuadratic keeps the quadratic term of the GMM scorer's linear approximation
	// (models.GMMLinear.Quadratic; bundle format version 6). The default since c24: over two
	// seeds 4 s tests 1.64/2.00 -> 1.32/1.76 % EER, 1:N 80.7/81.9 -> 87.8/84.9 % (bench/README.md).
	GMMQuadratic bool
	// GMMKeepLinear (experimental, with GMMQuadratic) also gives the GMM score without the term
	// as a further scorer for the calibration to weigh by channel.
	GMMKeepLinear bool
	// AugmentBackendOnly keeps augmented copies (file names with "~") out of the UBM and the
	// i-vector extractor, which then model clean speech; the copies still train LDA/PLDA and
	// the calibration, which must learn channel variability. Measured on the development
	// trials: with copies in the UBM/extractor the clean 30 s/4 s EER rose from 3.05% to 4.01%.
	AugmentBackendOnly bool
	// SpeedFront, with AugmentBackendOnly, lets the speed-perturbed copies ("~sp") train the UBM
	// and the i-vector extractor too (the degraded ones, "~aug", stay out): they are clean
	// speech, and their shifted pitch and formants widen the voices the total-variability space
	// has seen. Measured on the development trials (bench/README.md, c10): 30 s/4 s EER 2.22 ->
	// 1.80%, degraded 13.6 -> 10.4%, 1:N detection 60 -> 81%.
	SpeedFront bool
	// AugmentExtractor, with AugmentBackendOnly, lets the degraded copies ("~aug") train the
	// i-vector extractor while the UBM stays with the recordings inFront chooses: the UBM, and
	// so every stored voiceprint's statistics, are unchanged. Measured on the development trials
	// (bench/README.md, c30; three seeds): degraded-channel EER 7.82 -> 6.89 % on the mean and
	// lower at every seed, the other telephone conditions even or better, FSDD's calibration
	// worse (Cllr 0.76 -> 0.85).
	AugmentExtractor bool
	// FormantExtractor, with AugmentBackendOnly, lets the formant-warped copies ("~vt",
	// bench/trials/make_vtlp.py) train the i-vector extractor too — the clean ones, and with
	// AugmentExtractor their degraded copies — while the UBM stays as it was. The default since
	// c35 (bench/README.md, "Formant-warped speakers in the back ends and the extractor": on the
	// mean of three seeds lower EER than with the copies in the back ends only on five of six
	// development conditions); it changes nothing when no "~vt" copies are given.
	FormantExtractor bool
	// AltBackend trains two PLDA back ends when degraded copies ("~aug") are present: the main
	// one without them (best on clean speech), the alternative with them (best on degraded
	// channels); the calibration fuses both with the GMM scorer.
	AltBackend bool
	// CalibrationKnot, in seconds of net speech, makes the calibration's weights piecewise
	// linear in the log duration with a bend there (models.CalibrationDurationHinge); 0 keeps
	// them linear (models.CalibrationDuration).
	CalibrationKnot float64
	// CalibrationFolds is the number of speaker folds the calibration's trials come from: each
	// fold's speakers are scored by a back end trained on the others (values below 2 mean 2,
	// the default: halves). More folds were measured and not adopted (bench/README.md,
	// "Calibration folds, and where the degraded channel's errors are").
	CalibrationFolds int
	// CalibrationDegradedRepeat, if above 1, counts each degraded-copy ("~aug") test side of the
	// calibration's held-out trials that many times, weighing the degraded channel's trials
	// against the clean ones in the calibration's cross-entropy (0 and 1: once, the default).
	// Experimental (bench/README.md, "A second degraded copy of every recording").
	CalibrationDegradedRepeat int
	// CalibrationShortRecordings makes the calibration's opening sides (a test recording's first
	// 25, 50, 100 or 300 voiced frames, an enrollment's first 300) short recordings of their
	// own: the recording's audio cut after that voiced frame, run through the front end as a
	// whole, so that they are normalised (and VAD-decided) as a test of that length is, instead
	// of being cut from the whole recording's normalised frames. Experimental (measured on c47:
	// the short conditions' calibration worse; bench/README.md).
	CalibrationShortRecordings bool
	// CalibrationPieceEnrollments adds to each calibration fold speaker an enrollment side made
	// of five ~1 s pieces (PieceEnrollment openings of PieceFrames voiced frames of the recordings
	// its main enrollment draws on, each cut and normalised as a short recording), so that the
	// calibration sees enrollments of short answers as well as of long speech. Experimental
	// (measured on c47: short enrollments' LLRs still too high, long tests' calibration worse;
	// bench/README.md); not with EnrollAugment.
	CalibrationPieceEnrollments bool
	// CalibrationPieceFrames is the length of each piece of CalibrationPieceEnrollments'
	// enrollments, in voiced frames (0: PieceFrames); the side takes as many pieces as make
	// PieceEnrollment·PieceFrames frames in all (shorter pieces, more of them: an enrollment of
	// single words). Experimental.
	CalibrationPieceFrames int
	// CalibrationEnrollDuration gives the channel-aware hinged calibration the enrollment's own
	// net speech too (models.CalibrationDurationHingeChannelEnroll), so that trials with short
	// enrollments (the calibration's 3 s openings) are weighed apart from those with 20-40 s
	// ones at the same test duration. Experimental (measured on c47: better with 30 s
	// enrollments, worse with short ones; bench/README.md).
	CalibrationEnrollDuration bool
	// CalibrationSameSex trains the calibration on the held-out non-target trials between
	// speakers not known to be of different sexes only (as its operating points already are):
	// cross-sex impostors are the easy ones, and a calibration trained with them maps a raw score
	// to a higher LLR than the same-sex impostors a fraudster's claim brings. Experimental.
	CalibrationSameSex bool
	// ExtraCopies says what the second and later degraded copies of a recording ("~aug1",
	// "~aug2", ...: make_augmented.py --first-copy) train, one of the ExtraCopies* values; ""
	// means ExtraCopiesAll. The default, ExtraCopiesExtractor since c36: the i-vector extractor,
	// and, like every degraded copy, the calibration's held-out trials (bench/README.md, "A
	// second degraded copy of every recording").
	ExtraCopies string
	// ChannelFusion, with a hinged calibration and degraded copies ("~aug") in training, trains a
	// channel detector on the i-vectors (clean versus degraded recordings) and makes each
	// scorer's calibration weight depend on the detected channel
	// (models.CalibrationDurationHingeChannel).
	ChannelFusion bool
	// ChannelNovelty, with ChannelFusion, adds to the channel detector a novelty score: how far
	// a recording's i-vector lies from the clean training recordings' distribution, for its
	// amount of speech (models.ChannelNovelty), so that channels no training copy went through
	// are not calibrated as clean ones. Off by default: measured better on the trained channels
	// and worse on channels never trained on (bench/README.md, "A novelty score for the channel
	// detector").
	ChannelNovelty bool
	// FrontHoldout, in [0, 1), keeps that fraction of the training speakers (with their copies;
	// by a hash of the speaker's name) out of the UBM and the i-vector extractor, and trains the
	// calibration on trials among them alone, scored by back ends trained on the other speakers:
	// the calibration's i-vectors then come, like a deployment's, from speakers the extractor
	// never fitted (whose i-vectors spread less than its training speakers'). The final back ends
	// train on every speaker; the channel detector on the held-out speakers alone. 0: every
	// speaker trains everything, and the calibration is cross-fitted over CalibrationFolds folds.
	FrontHoldout float64
	// SelectionGroups, as "K/G", makes the statistics use two-level Gaussian selection
	// (models.SelectionGroupsKey): the UBM's components clustered into K groups, the best G
	// scored per frame. "" pre-ranks every component on SelectDims dimensions.
	SelectionGroups string
	// SelectionGroupMax, with SelectionGroups, caps the groups' size (models.SelectionGroupMaxKey):
	// balanced groups, so that the best G hold at most G × SelectionGroupMax components; 0: plain
	// k-means groups.
	SelectionGroupMax int
	// PrecisionRank, if > 0 and below the UBM's size, makes i-vector extraction use a rank-K
	// posterior precision (models.PrecisionRankKey) for the back end and in the bundle: ~4x less
	// memory traffic per extraction at 128 of 512, with the development EERs unchanged (bench/README.md).
	PrecisionRank int
	// EnrollAugment names the enrollment augmentation the bundle's scorers use
	// (models.EnrollAugmentKey; dsp.ChannelAugmentationV1) — every calibration trial's enrollment
	// then also pools a degraded copy of its audio — or "" for none.
	EnrollAugment string
	// GMMNAP, if > 0, with degraded copies ("~aug") present and a GMM scorer (Relevance > 0),
	// gives the GMM scorer a nuisance attribute projection of that rank (models.TrainNAP): the
	// directions in which a recording's model vector moves between its clean original and its
	// degraded copy, removed from every model vector. Measured on the development trials
	// (bench/README.md, c16-c17), rank 40 over three seeds: 30 s/4 s EER 1.98 -> 1.82%, degraded
	// 10.48 -> 10.23%, 1:N detection 70 -> 78%; rank 80 with a GMM cohort of 32: degraded 9.98%.
	// 0: none.
	GMMNAP int
	// IVectorNAP, if > 0 and degraded copies are present, removes from the i-vectors entering
	// the main (clean) PLDA back end the directions in which a recording's i-vector moves most
	// between it and its degraded copy (folded into its LDA). Experimental; 0: none.
	IVectorNAP int
	// IVectorNAPAlt applies IVectorNAP to the alternative back end (trained with the degraded
	// copies) instead of the main one.
	IVectorNAPAlt bool
	// ThirdBackend, with AltBackend and degraded copies of speed-perturbed recordings among the
	// training data (both "~sp" and "~aug" in their names), keeps those copies out of the
	// alternative back end and trains a third PLDA back end (Bundle.Alt2) on everything, for
	// the channel-aware calibration to read on degraded calls (its score gated by the detected
	// channel, models.Verifier.RawScores). Ignored with EnrollAugment, which the verifier does
	// not combine with it.
	ThirdBackend bool
	// CohortAll draws the main back end's S-norm cohort from every training vector, degraded
	// copies included, instead of from the clean vectors it trains on (with degraded copies in
	// training only): the adaptive S-norm can then pick cohort members in a degraded test's
	// channel. Experimental.
	CohortAll bool
	// WhitenLDA scales each LDA output to unit total variance over the back end's training
	// vectors before length normalisation. Experimental.
	WhitenLDA bool
	// BackendExcerpts lists excerpt lengths in voiced frames (10 ms each): every recording that
	// trains a back end and has at least n+50 voiced frames also gives, for each n, the i-vector
	// of n consecutive voiced frames at a seeded random offset, as one more session of its
	// speaker in the LDA and PLDA training of every back end (not in the UBM, the extractor,
	// the channel detector, the nuisance projections, the S-norm cohorts or the calibration's
	// trials), so that the back ends see how far a short test's i-vector strays. Experimental;
	// empty: none.
	BackendExcerpts []int
	// NormPriorFrames, if positive, fits a normalisation prior (dsp.FrontendConfig.NormPrior:
	// the mean of un-normalised frames over up to NormPriorRecordings original training
	// recordings) before any features are computed and sets the front end's NormPriorFrames to
	// it, so that short recordings keep more of their speaker's spectrum through CMN; with a
	// second front end, each fits its own; a front end normalised otherwise than by CMN fits
	// none. Default 60 (since c47: bench/README.md, "A prior in
	// the short windows' CMN"); 0: plain CMN, as every bundle before c47.
	NormPriorFrames float64
	// SecondFrontend, when set, trains a second complete speaker system on these features (the
	// same recordings, settings and seed; its checkpoints in WorkDir/second) after the first,
	// and fuses the two on the held-out calibration trials both wrote (FuseSystems): the bundle
	// holds the second as models.Bundle.Second. It must frame and VAD the audio as Frontend
	// does (dsp.SameFrames), so that the two systems judge the same voiced frames. Needs WorkDir.
	SecondFrontend *dsp.FrontendConfig
	// SecondComponents, SecondIVectorDim and SecondSelectionGroups size the second system's UBM,
	// i-vectors and Gaussian selection (0 or "": the first system's): a smaller second system
	// costs a live call less.
	SecondComponents, SecondIVectorDim int
	SecondSelectionGroups              string
	// FusionMaxSeconds is the test speech (seconds) from which a fused bundle scores with the
	// first system alone (models.Metadata.FusionMaxSeconds; 0: always fused). Default 10, the
	// engine's ConclusiveSpeech.
	FusionMaxSeconds float64
	Seed             uint64 // seed of every random choice
	Workers          int    // goroutines (0 = GOMAXPROCS)
	WorkDir          string // checkpoints of finished stages (resumable); "" = none
	Log              io.Writer

	selGroups int // groups per frame of SelectionGroups, once prepared
}

// DefaultTrainConfig returns the configuration of voxguard's default bundle.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Frontend: dsp.TelephoneFrontend(), Components: 256, TopC: 10, SelectDims: 20,
		UBMFrames: 400000, UBMIters: 8, IVectorDim: 150, IVectorIters: 6, IVectorFullCov: true, LDADim: 80, PLDAIters: 10,
		CohortSize: 600, SNormTopN: 200, EnrollFrames: 2000, Relevance: 16, GMMCohort: 32, Seed: 1,
		AugmentBackendOnly: true, AugmentExtractor: true, SpeedFront: true, FormantExtractor: true, AltBackend: true, ThirdBackend: true, CalibrationKnot: 8, ChannelFusion: true, SelectionGroups: "64/8", MinPost: 0.025,
		PrecisionRank: 128, GMMNAP: 80, GMMQuadratic: true, CalibrationFolds: 2, ExtraCopies: ExtraCopiesExtractor,
		FusionMaxSeconds: 10, HalfPrecisionT: true, NormPriorFrames: 60,
	}
}

// trainSet is the training material in memory.
type trainSet struct {
	utts  []Utt
	feats []*Features
	spk   []int // speaker index per utterance
	names []string
	sex   map[string]string // SpeakerKey -> "f" or "m" where the corpus says (speakers.tsv)
}

func (c *TrainConfig) logf(format string, a ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", a...)
	}
}

func (c *TrainConfig) bar(label string, n int) *progress.Bar { return progress.New(c.Log, label, n) }

// Train runs every stage and returns the finished bundle. Stages whose checkpoint exists in
// WorkDir (written by an earlier run with the same front end and sizes) are loaded, not redone.
func Train(c TrainConfig) (*models.Bundle, error) {
	if c.SecondFrontend != nil {
		return trainWithSecond(c)
	}
	d := DefaultTrainConfig()
	// Non-positive sizes take the defaults.
	for _, f := range [][2]*int{{&c.Components, &d.Components}, {&c.TopC, &d.TopC}, {&c.UBMFrames, &d.UBMFrames},
		{&c.UBMIters, &d.UBMIters}, {&c.IVectorDim, &d.IVectorDim}, {&c.IVectorIters, &d.IVectorIters},
		{&c.LDADim, &d.LDADim}, {&c.PLDAIters, &d.PLDAIters}, {&c.CohortSize, &d.CohortSize},
		{&c.SNormTopN, &d.SNormTopN}, {&c.EnrollFrames, &d.EnrollFrames}, {&c.GMMCohort, &d.GMMCohort}} {
		if *f[0] <= 0 {
			*f[0] = *f[1]
		}
	}
	if c.Frontend.MFCC.SampleRate == 0 {
		c.Frontend = d.Frontend
	}
	if c.GMMNAP < 0 {
		return nil, fmt.Errorf("recipe: GMM NAP rank %d is negative", c.GMMNAP)
	}
	if c.ExtraCopies != "" && !slices.Contains(ExtraCopiesModes, c.ExtraCopies) {
		return nil, fmt.Errorf("recipe: unknown ExtraCopies %q (want one of %s)", c.ExtraCopies, strings.Join(ExtraCopiesModes, ", "))
	}
	if !(c.MinPost >= 0 && c.MinPost < 1) {
		return nil, fmt.Errorf("recipe: minimum posterior %g outside [0, 1)", c.MinPost)
	}
	if c.CalibrationPieceFrames < 0 || c.CalibrationPieceFrames > 0 && c.CalibrationPieceFrames < 10 {
		return nil, fmt.Errorf("recipe: calibration piece length %d voiced frames: want 0 (the default) or at least 10", c.CalibrationPieceFrames)
	}
	if c.CalibrationPieceEnrollments && c.EnrollAugment != "" {
		return nil, errors.New("recipe: piece enrollments in the calibration do not combine with enrollment augmentation")
	}
	if !(c.FrontHoldout >= 0 && c.FrontHoldout < 1) {
		return nil, fmt.Errorf("recipe: front hold-out %g outside [0, 1)", c.FrontHoldout)
	}
	if err := c.Frontend.Validate(); err != nil {
		return nil, err
	}
	if c.WorkDir != "" {
		if err := os.MkdirAll(c.WorkDir, 0o755); err != nil {
			return nil, err
		}
	}
	start := time.Now()

	ts, err := c.loadTrainSet() // fits the front end's normalisation prior first, if asked
	if err != nil {
		return nil, err
	}
	fe, err := json.Marshal(c.Frontend)
	if err != nil {
		return nil, err
	}
	meta := models.Metadata{Created: time.Now().UTC().Format(time.RFC3339), FrontEnd: fe, TopC: c.TopC,
		SelectDims: c.SelectDims, SNormTopN: c.SNormTopN, MinPost: c.MinPost, HalfPrecisionT: c.HalfPrecisionT,
		Description: fmt.Sprintf("trained on %d recordings of %d speakers", len(ts.utts), len(ts.names)),
		Extra:       map[string]string{"components": fmt.Sprint(c.Components), "ivector_dim": fmt.Sprint(c.IVectorDim)}}
	for k, v := range c.calibrationLayout(false) {
		meta.Extra[k] = v
	}
	// The recordings the UBM and the extractor learn from.
	front := make([]bool, len(ts.utts))
	tvFront := make([]bool, len(ts.utts))
	nFront, nTV := 0, 0
	for i, u := range ts.utts {
		front[i], tvFront[i] = c.inFront(u), c.inExtractor(u)
		if c.frontHeld(u) {
			front[i], tvFront[i] = false, false
		}
		if front[i] {
			nFront++
		}
		if tvFront[i] {
			nTV++
		}
	}
	stageKey := func(n int) string { return fmt.Sprintf("c%d-r%d-s%d-n%d", c.Components, c.IVectorDim, c.Seed, n) }
	key := stageKey(nFront)
	// The extractor's checkpoint is named after its own recordings; "-ax" tells one trained with
	// the degraded copies apart from an --augment-front run's, which has as many.
	tvKeyBase := key
	if nTV != nFront {
		tvKeyBase = stageKey(nTV) + "-ax"
	}

	// Stage 1: UBM. Its checkpoint's name leaves out the i-vector dimension, which the UBM does
	// not depend on, so that runs with another --ivector-dim reuse it; one saved under the older
	// name, with the dimension in it, is still found.
	ubmSig := stageSignature(ts.utts, ts.feats, front, "ubm", c.Components, c.UBMFrames, c.UBMIters, c.Seed)
	ubmName := fmt.Sprintf("ubm-c%d-s%d-n%d", c.Components, c.Seed, nFront)
	if c.WorkDir != "" {
		if _, err := os.Stat(filepath.Join(c.WorkDir, ubmName+".vxgb")); err != nil {
			if _, err := os.Stat(filepath.Join(c.WorkDir, "ubm-"+key+".vxgb")); err == nil {
				ubmName = "ubm-" + key
			}
		}
	}
	ubm, err := checkpoint(&c, ubmName, fe, ubmSig, func() (*models.Bundle, error) {
		g, err := c.trainUBM(ts, front)
		return &models.Bundle{Meta: meta, UBM: g}, err
	})
	if err != nil {
		return nil, err
	}
	if c.SelectionGroups != "" {
		meta.Extra[models.SelectionGroupsKey] = c.SelectionGroups
		if c.SelectionGroupMax > 0 {
			meta.Extra[models.SelectionGroupMaxKey] = strconv.Itoa(c.SelectionGroupMax)
		}
		if err := c.prepareSelection(ubm.UBM); err != nil {
			return nil, err
		}
	}
	// Stage 2: statistics of every recording.
	stats, err := c.accumulate(ubm.UBM, ts)
	if err != nil {
		return nil, err
	}
	// Stage 3: total-variability matrix, trained on statistics that depend on the selection.
	tvKey := "tv-" + tvKeyBase + selectionKey(c.SelectionGroups, c.SelectionGroupMax, c.MinPost) + itersKey(c.IVectorIters)
	if c.IVectorVariances {
		tvKey += "-vu"
	}
	if c.IVectorFullCov {
		if c.IVectorVariances {
			return nil, errors.New("recipe: IVectorFullCov and IVectorVariances exclude each other")
		}
		tvKey += fmt.Sprintf("-fc%d", c.fullCovStride())
	} else if c.GMMFullCov {
		return nil, errors.New("recipe: GMMFullCov needs IVectorFullCov")
	}
	if c.HalfPrecisionT {
		tvKey += "-h16" // its checkpoint holds T rounded; one holding float32 T is another stage
	}
	tvSettings := []any{"tv", ubmSig, c.SelectionGroups, c.SelectionGroupMax, c.MinPost,
		c.TopC, c.SelectDims, c.IVectorDim, c.IVectorIters, c.IVectorVariances, c.Seed}
	if c.IVectorFullCov { // only then, so that earlier diagonal checkpoints stay valid
		tvSettings = append(tvSettings, "fullcov", c.fullCovStride())
	}
	tvSig := stageSignature(ts.utts, ts.feats, tvFront, tvSettings...)
	tv, err := checkpoint(&c, tvKey, fe, tvSig, func() (*models.Bundle, error) {
		var tvStats []*models.Stats
		for i, s := range stats {
			if tvFront[i] {
				tvStats = append(tvStats, s)
			}
		}
		c.logf("i-vector extractor: R=%d, %d iterations on %d recordings", c.IVectorDim, c.IVectorIters, len(tvStats))
		var second []float64
		if c.IVectorVariances {
			if second, err = c.secondOrder(ubm.UBM, ts, tvFront); err != nil {
				return nil, err
			}
		}
		var fullW []float64
		if c.IVectorFullCov {
			if fullW, err = c.fullWhitening(ubm.UBM, ts, tvFront); err != nil {
				return nil, err
			}
		}
		bar := c.bar("total variability", c.IVectorIters)
		e, err := models.TrainIVectorExtractor(ubm.UBM, tvStats, models.IVectorTrainConfig{
			R: c.IVectorDim, Iters: c.IVectorIters, MinDiv: true, Seed: c.Seed, Workers: c.Workers,
			Second: second, FullWhitening: fullW, Progress: func(int, time.Duration) { bar.Add(1) }})
		bar.Done()
		return &models.Bundle{Meta: meta, UBM: ubm.UBM, Extractor: e}, err
	})
	if err != nil {
		return nil, err
	}
	if c.PrecisionRank > 0 && c.PrecisionRank < tv.Extractor.C {
		kept, err := tv.Extractor.SetPrecisionRank(c.PrecisionRank)
		if err != nil {
			return nil, err
		}
		meta.Extra[models.PrecisionRankKey] = strconv.Itoa(c.PrecisionRank)
		c.logf("i-vector precision of rank %d (%.1f%% of the per-component matrices' energy)", c.PrecisionRank, 100*kept)
	}
	// Stage 4: i-vectors of whole recordings.
	iv, err := c.ivectors(tv.Extractor, stats)
	if err != nil {
		return nil, err
	}
	// Stage 5: channel detector (for the channel-aware calibration).
	if c.channelAware(ts) {
		var clean, deg [][]float64
		for i, u := range ts.utts {
			if c.outOfBackEnds(u) || !c.detectorTrains(u) {
				continue
			}
			if degraded(u) {
				deg = append(deg, iv[i])
			} else {
				clean = append(clean, iv[i])
			}
		}
		if tv.Channel, err = models.TrainChannelDetector(clean, deg, ChannelDetectorL2); err != nil {
			return nil, fmt.Errorf("channel detector: %w", err)
		}
		c.logf("channel detector: trained on %d clean and %d degraded recordings", len(clean), len(deg))
		if c.ChannelNovelty {
			if tv.Channel.Novelty, err = c.channelNovelty(tv, ts, stats, iv); err != nil {
				return nil, fmt.Errorf("channel novelty: %w", err)
			}
		}
		for k, v := range c.calibrationLayout(true) {
			meta.Extra[k] = v
		}
	}
	// Stage 6: back end, calibrated on held-out folds.
	ex, err := c.excerpts(tv, ts)
	if err != nil {
		return nil, err
	}
	b, err := c.backend(tv, ts, stats, iv, ex)
	if err != nil {
		return nil, err
	}
	if c.EnrollAugment != "" {
		meta.Extra[models.EnrollAugmentKey] = c.EnrollAugment
	}
	meta.FARThresholds = b.Meta.FARThresholds
	meta.FARThresholdsDegraded = b.Meta.FARThresholdsDegraded
	meta.Extra[models.CalibrationQMaxKey] = b.Meta.Extra[models.CalibrationQMaxKey]
	if r, ok := b.Meta.Extra[models.CalibrationRMaxKey]; ok {
		meta.Extra[models.CalibrationRMaxKey] = r
	}
	if b.GMM != nil && b.GMM.FullWhitened {
		meta.Extra[models.GMMFullWhiteningKey] = "1"
	}
	b.Meta = meta
	c.logf("training finished in %s", time.Since(start).Round(time.Second))
	return b, nil
}

// detectorTrains reports whether u trains the channel detector: every recording, or with
// FrontHoldout the held-out speakers' alone, whose i-vectors, like a deployment's, come from
// speakers the extractor never fitted.
func (c *TrainConfig) detectorTrains(u Utt) bool { return c.FrontHoldout <= 0 || c.frontHeld(u) }

// ChannelDetectorL2 is the L2 weight of the channel detector's logistic regression.
const ChannelDetectorL2 = 0.01

// The channel novelty score's training (models.NoveltyTrainConfig): speaker folds for
// cross-fitting, the covariance's shrinkage, the range of voiced frames its duration term spans
// (and of the excerpts drawn to fit it).
const (
	noveltyFolds     = 5
	noveltyShrink    = 0.015
	noveltyMinFrames = 30
	noveltyMaxFrames = 500
)

// channelNovelty trains the channel detector's novelty score on the back ends' original
// recordings and their degraded copies: each whole recording (the clean ones fit the Gaussian)
// and one excerpt of each, of 30-300 voiced
// frames drawn log-uniformly (seeded per recording), so that the clean distance is fitted
// across the durations calls are judged at. Folds split by source speaker (a speed-perturbed or
// formant-warped copy goes with its source).
func (c *TrainConfig) channelNovelty(tv *models.Bundle, ts *trainSet, stats []*models.Stats, iv [][]float64) (*models.ChannelNovelty, error) {
	fold := func(u Utt) int { return int(sourceSpeakerHash(u) % noveltyFolds) }
	var samples []models.NoveltySample
	var jobs []excerptJob
	for i, u := range ts.utts {
		// Originals and their degraded copies only: calls are real speakers, not speed-perturbed
		// or formant-warped ones, which lie farther from the clean recordings. (Measured with
		// and without those copies: the dev speakers' clean tests sat at z −0.11 and −0.13, the
		// bias bench/README.md describes, not the copies' doing.)
		if c.outOfBackEnds(u) || !c.detectorTrains(u) || !(original(u) || degraded(u) && !degradedSpeed(u)) {
			continue
		}
		deg := degraded(u)
		samples = append(samples, models.NoveltySample{X: models.LengthNorm(append([]float64(nil), iv[i]...)),
			Frames: stats[i].Frames(), Degraded: deg, Fit: !deg, Fold: fold(u)})
		m := len(ts.feats[i].Frames)
		r := rand.New(rand.NewPCG(c.Seed, 0x6e6f76<<32|uint64(i)))
		n := int(math.Round(noveltyMinFrames * math.Pow(300.0/noveltyMinFrames, r.Float64())))
		if m >= n+10 {
			jobs = append(jobs, excerptJob{i, r.IntN(m - n + 1), n})
		}
	}
	ivs, frames, err := c.excerptIVectors(tv, ts, jobs, "channel novelty excerpts")
	if err != nil {
		return nil, err
	}
	ex := make([]models.NoveltySample, len(jobs))
	for j, jb := range jobs {
		u := ts.utts[jb.utt]
		ex[j] = models.NoveltySample{X: models.LengthNorm(ivs[j]), Frames: frames[j], Degraded: degraded(u), Fold: fold(u)}
	}
	samples = append(samples, ex...)
	nov, err := models.TrainChannelNovelty(samples, models.NoveltyTrainConfig{Folds: noveltyFolds, Shrink: noveltyShrink,
		MinFrames: noveltyMinFrames, MaxFrames: noveltyMaxFrames, L2: ChannelDetectorL2})
	if err != nil {
		return nil, err
	}
	c.logf("channel novelty: %d recordings and %d excerpts; clean ln d = %.3f %+.3f·ln frames; classifier on (z, z·lf, lf) %.3g",
		len(samples)-len(ex), len(ex), nov.LogDist0, nov.LogDist1, nov.Logit.W)
	return nov, nil
}

// channelAware reports whether training makes a channel-aware calibration.
func (c *TrainConfig) channelAware(ts *trainSet) bool {
	return c.ChannelFusion && c.CalibrationKnot > 0 && hasDegraded(ts)
}

// inFront reports whether u trains the UBM and the i-vector extractor: everything without
// AugmentBackendOnly; else the originals and, with SpeedFront, clean speed-perturbed copies.
func (c *TrainConfig) inFront(u Utt) bool {
	return !c.AugmentBackendOnly || original(u) || (c.SpeedFront && speedCopy(u) && !degraded(u))
}

// inExtractor reports whether u trains the i-vector extractor: what trains the UBM (inFront)
// and, with AugmentExtractor, the degraded copies too; formant-warped copies and their degraded
// copies only with FormantExtractor (else they train the back ends only); second and later
// degraded copies not with ExtraCopies "backends" or "calibration".
func (c *TrainConfig) inExtractor(u Utt) bool {
	if (c.ExtraCopies == ExtraCopiesBackends || c.ExtraCopies == ExtraCopiesCalibration) && laterCopy(u) && !c.inFront(u) {
		return false
	}
	if formantCopy(u) {
		return c.inFront(u) || (c.FormantExtractor && (!degraded(u) || c.AugmentExtractor))
	}
	return c.inFront(u) || (c.AugmentExtractor && degraded(u))
}

// ExtraCopiesModes lists the TrainConfig.ExtraCopies values.
var ExtraCopiesModes = []string{ExtraCopiesAll, ExtraCopiesBackends, ExtraCopiesExtractor, ExtraCopiesCalibration}

// TrainConfig.ExtraCopies values: what second and later degraded copies train. Every one of them
// also tests the calibration (its held-out trials take every degraded copy).
const (
	ExtraCopiesAll         = "all"         // like the first copies: extractor, back ends, detector
	ExtraCopiesBackends    = "backends"    // the back ends and channel detector, not the extractor
	ExtraCopiesExtractor   = "extractor"   // the i-vector extractor, not the back ends or detector
	ExtraCopiesCalibration = "calibration" // nothing: they only test the calibration
)

// laterCopy reports whether u is a second or later degraded copy of its recording ("~aug<k>",
// k ≥ 1).
func laterCopy(u Utt) bool {
	_, k, ok := strings.Cut(u.ID, "~aug")
	return ok && k != "" && k != "0"
}

// calibrationLayout is the Metadata.Extra entries naming the calibration's input layout
// (channel: the channel-aware hinged layout).
func (c *TrainConfig) calibrationLayout(channel bool) map[string]string {
	if c.CalibrationKnot > 0 {
		layout := models.CalibrationDurationHinge
		if channel {
			layout = models.CalibrationDurationHingeChannel
			if c.CalibrationEnrollDuration {
				layout = models.CalibrationDurationHingeChannelEnroll
			}
		}
		return map[string]string{"calibration": layout,
			models.CalibrationKnotKey: strconv.FormatFloat(c.CalibrationKnot, 'g', -1, 64)}
	}
	return map[string]string{"calibration": models.CalibrationDuration}
}

// itersKey is the part of an extractor checkpoint's name recording its EM iterations: "" for
// the historical 6 (so older checkpoints stay valid), else "-itN", so that extractors trained
// for different iterations keep their own checkpoints side by side in one work folder (the
// stage signature alone would only refuse the other one and overwrite it).
func itersKey(iters int) string {
	if iters == 6 {
		return ""
	}
	return "-it" + strconv.Itoa(iters)
}

// selectionKey is the part of a checkpoint name recording the Gaussian selection its statistics
// used: "" for 64/8 plain groups without pruning (so older checkpoints stay valid), "-all" for
// no groups, else "-gK-G"; then "-maxN" for balanced groups, "-mpP" with posterior pruning.
func selectionKey(groups string, groupMax int, minPost float64) string {
	k := ""
	switch groups {
	case "64/8":
	case "":
		k = "-all"
	default:
		k = "-g" + strings.ReplaceAll(groups, "/", "-")
	}
	if groups != "" && groupMax > 0 {
		k += "-max" + strconv.Itoa(groupMax)
	}
	if minPost > 0 {
		k += "-mp" + strconv.FormatFloat(minPost, 'g', -1, 64)
	}
	return k
}

// stageSigKey is the metadata entry of a checkpoint holding its stage's signature.
const stageSigKey = "stage_signature"

// stageSignature is a digest of what a training stage's result depends on besides the front end
// (which ReadBundle checks): the recordings it learns from (those of utts that use marks, by
// corpus, speaker and file name, in order, each with its audio's length and CRC-32C from feats,
// so that a folder of copies made again with other content under the same names, or another
// folder given in its place, does not resume a stale stage, while the same recordings copied or
// unpacked again, with new file times, do) and the settings given.
func stageSignature(utts []Utt, feats []*Features, use []bool, settings ...any) string {
	h := sha256.New()
	for _, v := range settings {
		fmt.Fprintf(h, "%T %v\n", v, v)
	}
	for i, u := range utts {
		if use[i] {
			fmt.Fprintf(h, "%s/%s/%s %d %08x\n", u.Corpus, u.Speaker, u.ID, feats[i].Samples, feats[i].Digest)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// checkpoint loads WorkDir/name.vxgb if present and valid, else runs stage and saves its result
// with sig, the stage's signature. A checkpoint saved with another signature (other recordings
// or settings that the name does not record) is not resumed; one saved before signatures were
// recorded is.
func checkpoint(c *TrainConfig, name string, fe json.RawMessage, sig string, stage func() (*models.Bundle, error)) (*models.Bundle, error) {
	path := ""
	if c.WorkDir != "" {
		path = filepath.Join(c.WorkDir, name+".vxgb")
		if f, err := os.Open(path); err == nil {
			b, err := models.ReadBundle(f, fe)
			f.Close()
			if err == nil {
				if got, ok := b.Meta.Extra[stageSigKey]; ok && got != sig {
					err = errors.New("trained on other recordings or with other settings")
				}
			}
			if err == nil {
				delete(b.Meta.Extra, stageSigKey)
				c.logf("stage %s: resumed from %s", name, path)
				return b, nil
			}
			c.logf("stage %s: ignoring unusable checkpoint (%v)", name, err)
		}
	}
	b, err := stage()
	if err != nil {
		return nil, err
	}
	saved := *b // the stage's metadata may be shared with the bundle being built: sign a copy
	saved.Meta.Extra = maps.Clone(b.Meta.Extra)
	if saved.Meta.Extra == nil {
		saved.Meta.Extra = map[string]string{}
	}
	saved.Meta.Extra[stageSigKey] = sig
	var buf bytes.Buffer
	if _, err := saved.WriteTo(&buf); err != nil {
		return nil, err
	}
	if path != "" {
		if err := writeFileAtomic(path, buf.Bytes()); err != nil {
			return nil, err
		}
	}
	// A resumed run goes on from what the checkpoint holds (float32 parameters, and what
	// ReadBundle derives from them), so a run that trained the stage goes on from the same
	// encoding, written or not: resumed or not, with a work folder or without, a seed gives one
	// bundle.
	back, err := models.ReadBundle(bytes.NewReader(buf.Bytes()), fe)
	if err != nil {
		return nil, fmt.Errorf("recipe: stage %s does not read back: %w", name, err)
	}
	delete(back.Meta.Extra, stageSigKey)
	return back, nil
}

// writeBundleFile writes b atomically: to a temporary file, synced, then renamed.
func writeBundleFile(path string, b *models.Bundle) error {
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// writeFileAtomic writes data to path atomically: to a temporary file, synced, then renamed.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bundle-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteBundleFile writes a bundle to path atomically.
func WriteBundleFile(path string, b *models.Bundle) error { return writeBundleFile(path, b) }

func (c *TrainConfig) loadTrainSet() (*trainSet, error) {
	if len(c.Corpora) == 0 {
		return nil, errors.New("no corpus given")
	}
	ts := &trainSet{}
	excluded := map[string]bool{}
	for _, dir := range c.Corpora {
		utts, err := ListCorpus(dir)
		if err != nil {
			return nil, err
		}
		for _, u := range utts {
			if c.Exclude[u.SpeakerKey()] {
				excluded[u.SpeakerKey()] = true
				continue
			}
			ts.utts = append(ts.utts, u)
		}
	}
	ts.sex = map[string]string{}
	for _, dir := range c.Corpora {
		sx, err := ReadSexes(dir)
		if err != nil {
			return nil, err
		}
		for k, v := range sx {
			ts.sex[k] = v
		}
	}
	index := map[string]int{}
	for _, u := range ts.utts {
		if _, ok := index[u.SpeakerKey()]; !ok {
			index[u.SpeakerKey()] = len(ts.names)
			ts.names = append(ts.names, u.SpeakerKey())
		}
	}
	c.logf("training set: %d recordings of %d speakers (%d speakers held out)", len(ts.utts), len(ts.names), len(excluded))
	if len(ts.names) < 2 {
		return nil, errors.New("training needs recordings of at least two speakers")
	}
	paths := make([]string, len(ts.utts))
	for i, u := range ts.utts {
		paths[i] = u.Path
	}
	if c.NormPriorFrames > 0 && c.Frontend.NormPriorFrames == 0 && c.Frontend.Norm == dsp.NormCMN {
		if err := c.fitNormPrior(ts.utts); err != nil {
			return nil, err
		}
	}
	feats, err := ExtractAll(paths, c.Frontend, 0, c.Workers, c.bar("features", len(paths)))
	if err != nil {
		return nil, err
	}
	// Keep recordings with some speech.
	kept := ts.utts[:0]
	var frames int
	for i, f := range feats {
		if len(f.Frames) >= 10 {
			kept = append(kept, ts.utts[i])
			ts.feats = append(ts.feats, f)
			ts.spk = append(ts.spk, index[ts.utts[i].SpeakerKey()])
			frames += len(f.Frames)
		}
	}
	ts.utts = kept
	c.logf("features: %d voiced frames (%.1f h of net speech)", frames, float64(frames)/360000)
	return ts, nil
}

func (c *TrainConfig) trainUBM(ts *trainSet, use []bool) (*models.GMM, error) {
	var total int
	for i, f := range ts.feats {
		if use[i] {
			total += len(f.Frames)
		}
	}
	step := max(1, (total+c.UBMFrames-1)/c.UBMFrames)
	var frames [][]float32
	k := 0
	for i, f := range ts.feats {
		if !use[i] {
			continue
		}
		for _, fr := range f.Frames {
			if k%step == 0 {
				frames = append(frames, fr)
			}
			k++
		}
	}
	c.logf("UBM: %d components on %d frames (every %d-th)", c.Components, len(frames), step)
	// EM iterations: SplitIters after each of log2(C) doublings, then Iters at full size.
	splits := 0
	for n := 1; n < c.Components; n *= 2 {
		splits++
	}
	bar := c.bar("UBM EM", splits*3+c.UBMIters)
	g, _, err := models.TrainUBM(frames, models.UBMConfig{Components: c.Components, Iters: c.UBMIters, SplitIters: 3,
		Workers: c.Workers, Progress: func(comps, iter int, ll float64, took time.Duration) { bar.Add(1) }})
	bar.Done()
	return g, err
}

func (c *TrainConfig) accumulate(ubm *models.GMM, ts *trainSet) ([]*models.Stats, error) {
	workers := c.workers()
	scratch := make([]*models.Scratch, workers)
	for i := range scratch {
		scratch[i] = c.statsScratch(ubm)
	}
	stats := make([]*models.Stats, len(ts.feats))
	err := Parallel(len(ts.feats), workers, c.bar("statistics", len(ts.feats)), func(w, i int) error {
		s := models.NewStats(ubm.C, ubm.D)
		ubm.AccumulateUtterance(s, ts.feats[i].Frames, scratch[w])
		stats[i] = s
		return nil
	})
	return stats, err
}

// secondOrder sums the second-order statistics (Σ_t γ_{t,c} x_{t,d}², C·D values) of the
// recordings marked in use, for the extractor's variance update.
func (c *TrainConfig) secondOrder(ubm *models.GMM, ts *trainSet, use []bool) ([]float64, error) {
	sq, _, err := c.sumOverRecordings(ubm, ts, use, ubm.C*ubm.D, "second-order statistics",
		func(st *models.Stats, buf []float64, frames [][]float32, sc *models.Scratch) {
			for _, x := range frames {
				ubm.AccumulateSecond(st, buf, x, sc)
			}
		})
	return sq, err
}

func (c *TrainConfig) fullCovStride() int {
	if c.IVectorFullCovStride > 0 {
		return c.IVectorFullCovStride
	}
	return 2
}

// fullWhitening estimates the extractor's full-covariance whitening (models.FullCovWhitening,
// 100 frames of smoothing towards the UBM's diagonal) from every fullCovStride-th frame of the
// recordings marked in use.
func (c *TrainConfig) fullWhitening(ubm *models.GMM, ts *trainSet, use []bool) ([]float64, error) {
	stride := c.fullCovStride()
	S, tot, err := c.sumOverRecordings(ubm, ts, use, ubm.C*ubm.D*(ubm.D+1)/2, "full covariances",
		func(st *models.Stats, buf []float64, frames [][]float32, sc *models.Scratch) {
			for t := 0; t < len(frames); t += stride {
				ubm.AccumulateSecondFull(st, buf, frames[t], sc)
			}
		})
	if err != nil {
		return nil, err
	}
	return models.FullCovWhitening(ubm, tot.N, tot.F, S, 100)
}

// sumOverRecordings runs acc on the frames of every recording marked in use, each recording into
// a cleared buffer of n values and cleared statistics of its own, and returns the buffers' and the
// statistics' sums. Recordings are taken in blocks and added in recording order, so the sums do
// not depend on the workers.
func (c *TrainConfig) sumOverRecordings(ubm *models.GMM, ts *trainSet, use []bool, n int, label string,
	acc func(st *models.Stats, buf []float64, frames [][]float32, sc *models.Scratch)) ([]float64, *models.Stats, error) {
	workers := c.workers()
	scratch := make([]*models.Scratch, workers)
	for i := range scratch {
		scratch[i] = c.statsScratch(ubm)
	}
	var idx []int
	for i, u := range use {
		if u {
			idx = append(idx, i)
		}
	}
	total := make([]float64, n)
	tot := models.NewStats(ubm.C, ubm.D)
	block := 4 * workers
	bufs := make([][]float64, block)
	st := make([]*models.Stats, block)
	for i := range bufs {
		bufs[i] = make([]float64, n)
		st[i] = models.NewStats(ubm.C, ubm.D)
	}
	bar := c.bar(label, len(idx))
	for lo := 0; lo < len(idx); lo += block {
		hi := min(lo+block, len(idx))
		err := Parallel(hi-lo, workers, nil, func(w, j int) error {
			clear(bufs[j])
			st[j].Reset()
			acc(st[j], bufs[j], ts.feats[idx[lo+j]].Frames, scratch[w])
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		for j := 0; j < hi-lo; j++ {
			for k, v := range bufs[j] {
				total[k] += v
			}
			if err := tot.Add(st[j]); err != nil {
				return nil, nil, err
			}
		}
		bar.Add(hi - lo)
	}
	bar.Done()
	return total, tot, nil
}

// prepareSelection builds the UBM's selection hierarchy for SelectionGroups, the way a bundle
// with that metadata is prepared when read.
func (c *TrainConfig) prepareSelection(ubm *models.GMM) error {
	b := &models.Bundle{UBM: ubm, Meta: models.Metadata{TopC: c.TopC, SelectDims: c.SelectDims, MinPost: c.MinPost,
		Extra: map[string]string{models.SelectionGroupsKey: c.SelectionGroups}}}
	if c.SelectionGroupMax > 0 {
		b.Meta.Extra[models.SelectionGroupMaxKey] = strconv.Itoa(c.SelectionGroupMax)
	}
	if err := b.PrepareSelection(); err != nil {
		return err
	}
	c.selGroups = b.NewStatsScratch().Groups
	return nil
}

// statsScratch is scratch for accumulating statistics as the trained bundle will.
func (c *TrainConfig) statsScratch(ubm *models.GMM) *models.Scratch {
	sc := ubm.NewScratch(c.TopC, c.SelectDims)
	sc.Groups = c.selGroups
	sc.MinPost = c.MinPost
	return sc
}

func (c *TrainConfig) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return max(1, runtimeProcs())
}

// ivectors extracts the i-vector of every whole recording.
func (c *TrainConfig) ivectors(e *models.IVectorExtractor, stats []*models.Stats) ([][]float64, error) {
	workers := c.workers()
	ws := make([]*models.IVScratch, workers)
	for i := range ws {
		ws[i] = e.NewScratch()
	}
	out := make([][]float64, len(stats))
	err := Parallel(len(stats), workers, c.bar("i-vectors", len(stats)), func(k, i int) error {
		v := make([]float64, e.R)
		out[i] = v
		return e.Extract(stats[i], v, ws[k])
	})
	return out, err
}

// NormPriorRecordings is the most original training recordings, evenly spread over the list,
// whose frames fitNormPrior averages.
const NormPriorRecordings = 3000

// fitNormPrior sets c.Frontend's normalisation prior (NormPriorFrames, and NormPrior the mean of
// every un-normalised frame, voiced or not, of up to NormPriorRecordings of utts' original
// recordings, evenly spread) and validates the front end again.
func (c *TrainConfig) fitNormPrior(utts []Utt) error {
	var paths []string
	for _, u := range utts {
		if original(u) {
			paths = append(paths, u.Path)
		}
	}
	if len(paths) == 0 {
		return errors.New("recipe: no original recordings to fit the normalisation prior on")
	}
	if len(paths) > NormPriorRecordings {
		picked := make([]string, NormPriorRecordings)
		for i := range picked {
			picked[i] = paths[i*len(paths)/NormPriorRecordings]
		}
		paths = picked
	}
	workers := c.workers()
	xs := make([]*FeatureExtractor, workers)
	for k := range xs {
		var err error
		if xs[k], err = NewFeatureExtractor(c.Frontend, 0); err != nil {
			return err
		}
	}
	sums := make([][]float64, len(paths))
	counts := make([]int, len(paths))
	err := Parallel(len(paths), workers, c.bar("normalisation prior", len(paths)), func(k, i int) error {
		s, err := xs[k].Samples(paths[i])
		if err != nil {
			return err
		}
		sums[i], counts[i], err = dsp.FrameSum(s, c.Frontend)
		return err
	})
	if err != nil {
		return err
	}
	mean := make([]float64, c.Frontend.Dim())
	n := 0
	for i, s := range sums { // in list order: the same bits whatever the workers
		for k, v := range s {
			mean[k] += v
		}
		n += counts[i]
	}
	if n == 0 {
		return errors.New("recipe: the normalisation prior's recordings hold no frames")
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	c.Frontend.NormPrior, c.Frontend.NormPriorFrames = mean, c.NormPriorFrames
	c.logf("normalisation prior: mean of %d frames of %d recordings, weight %g frames", n, len(paths), c.NormPriorFrames)
	return c.Frontend.Validate()
}
