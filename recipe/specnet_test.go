package recipe_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/engine"
	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

// TestTrainSpoofSpecNet trains a countermeasure with a (small, briefly trained) spectrum network
// on two synthetic classes, noise over a weak tone (bona fide, three speakers) and a harmonic
// tone (spoof): the network is fused in and stored, its thresholds come from the fused scores,
// the thresholds come from every bona fide file (three speaker folds), the batch scores (ScoreSpoof with AddSpecs) tell the classes apart and equal the engine's on
// the same audio, a recording without its spectrum has no verdict, and a live stream runs the
// network once, judging at the other systems' thresholds until then (checkSpecOnce).
func TestTrainSpoofSpecNet(t *testing.T) {
	bona, spoof, err := testkit.SpoofToneCorpus(t.TempDir(), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	wavs := map[string][]float32{}
	for _, p := range append(append([]string(nil), bona...), spoof...) {
		if wavs[p], err = recipe.ReadMono(p, 8000); err != nil { // as the file holds it (16 bits)
			t.Fatal(err)
		}
	}
	small := testkit.SmallSpecLayers()
	// Held-out files (every third) and speaker folds (three, the last fold's network kept).
	for _, mode := range []struct {
		speakers bool
		held     string
	}{{false, "3"}, {true, "9"}} {
		cm, err := recipe.TrainSpoof(recipe.SpoofTrainConfig{Bonafide: bona, Spoof: spoof, Components: 2, Iters: 2, HoldOut: 3,
			HoldOutSpeakers: mode.speakers, Workers: 2, Spec: &recipe.SpecNetTrainConfig{Seconds: 1.5, Weight: 0.8,
				Net: models.SpecNetConfig{Steps: 40, Batch: 4, Crop: 32, Hidden: 4, Layers: small, Seed: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Spec == nil || cm.SpecSeconds != 1.5 || cm.Fusion.SpecWeight != 0.8 || cm.Info["spec_threshold_bonafide_files"] != mode.held ||
			len(cm.BaseFARThresholds) != len(cm.FARThresholds) {
			t.Fatalf("speaker folds %v: spectrum network not fused in: %+v, info %v", mode.speakers, cm.Fusion, cm.Info)
		}
		checkSpecScores(t, cm, bona, spoof, wavs)
	}
	// Members: an ensemble of two networks, the first the single network of the same seed bit
	// for bit, the second from another seed; batch and engine scores agree on it.
	ens := func(members int) *models.Countermeasure {
		t.Helper()
		cm, err := recipe.TrainSpoof(recipe.SpoofTrainConfig{Bonafide: bona, Spoof: spoof, Components: 2, Iters: 2, HoldOut: 3,
			HoldOutSpeakers: true, Workers: 2, Spec: &recipe.SpecNetTrainConfig{Seconds: 1.5, Weight: 0.8, Members: members,
				Net: models.SpecNetConfig{Steps: 40, Batch: 4, Crop: 32, Hidden: 4, Layers: small, Seed: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		return cm
	}
	one, two := ens(1), ens(2)
	if len(one.Spec.Members) != 0 || len(two.Spec.Members) != 1 || two.Info["spec_networks"] != "2" || one.Info["spec_networks"] != "" {
		t.Fatalf("members %d and %d, want 0 and 1", len(one.Spec.Members), len(two.Spec.Members))
	}
	if !slices.Equal(one.Spec.W1, two.Spec.W1) || slices.Equal(two.Spec.W1, two.Spec.Members[0].W1) {
		t.Error("the ensemble's first network is not the single network, or its second is the same")
	}
	checkSpecScores(t, two, bona, spoof, wavs)
	// Views: a second front end (16 ms frames every 4 ms, 32 bins) with its own network. The
	// first network is the single one bit for bit; the view's reads its own bins; batch and
	// engine scores agree on the pair.
	short := dsp.SpecConfig{SampleRate: 8000, FrameLength: 128, FrameShift: 32, Bins: 32, FloorDB: 35}
	cmv, err := recipe.TrainSpoof(recipe.SpoofTrainConfig{Bonafide: bona, Spoof: spoof, Components: 2, Iters: 2, HoldOut: 3,
		HoldOutSpeakers: true, Workers: 2, Spec: &recipe.SpecNetTrainConfig{Seconds: 1.5, Weight: 0.8, Views: []dsp.SpecConfig{short},
			Net: models.SpecNetConfig{Steps: 40, Batch: 4, Crop: 32, Hidden: 4, Layers: small, Seed: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cmv.SpecViews) != 1 || cmv.SpecViews[0].Net.Bins != 32 || cmv.Info["spec_front_ends"] != "2" {
		t.Fatalf("views %+v, info %v", cmv.SpecViews, cmv.Info)
	}
	if !slices.Equal(one.Spec.W1, cmv.Spec.W1) || one.Fusion.SpecStd == cmv.Fusion.SpecStd {
		t.Error("the first front end's network is not the single network, or the fusion ignores the view")
	}
	checkSpecScores(t, cmv, bona, spoof, wavs)
	// The first network alone (SpecPrimary), for a call that sheds the view: standardised and
	// thresholded as the single network's bundle is, on the same held-out files; the engine
	// scores a stream that drops the view as it scores the single network's bundle.
	if one.SpecPrimary != nil {
		t.Error("SpecPrimary without views")
	}
	if p := cmv.SpecPrimary; p == nil || p.Mean != one.Fusion.SpecMean || p.Std != one.Fusion.SpecStd || !slices.Equal(p.FARThresholds, one.FARThresholds) {
		t.Errorf("SpecPrimary %+v, want the single network's standardisation %v, %v and thresholds %v", cmv.SpecPrimary, one.Fusion.SpecMean, one.Fusion.SpecStd, one.FARThresholds)
	}
	if slices.Equal(cmv.FARThresholds, one.FARThresholds) {
		t.Error("the pair's thresholds are the single network's")
	}
	dv, err := engine.NewSpoofDetector(cmv, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	d1, err := engine.NewSpoofDetector(one, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(bona[:2:2], spoof[:2]...) {
		st := dv.NewStream()
		st.DropViews()
		st.Push(wavs[p])
		if got, want := st.Final(), d1.Score(wavs[p]); got != want {
			t.Errorf("%s without its view: %+v, the single network %+v", filepath.Base(p), got, want)
		}
	}
	// One-class networks (OC-softmax), on both front ends: each exported with its cosine head;
	// batch and engine scores agree.
	cmo, err := recipe.TrainSpoof(recipe.SpoofTrainConfig{Bonafide: bona, Spoof: spoof, Components: 2, Iters: 2, HoldOut: 3,
		HoldOutSpeakers: true, Workers: 2, Spec: &recipe.SpecNetTrainConfig{Seconds: 1.5, Weight: 0.8, Views: []dsp.SpecConfig{short},
			Net: models.SpecNetConfig{Steps: 40, Batch: 4, Crop: 32, Hidden: 4, Layers: small, Seed: 1, OneClass: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if cmo.Spec.CosineScale != models.OneClassScale || len(cmo.SpecViews) != 1 || cmo.SpecViews[0].Net.CosineScale != models.OneClassScale {
		t.Fatalf("one-class training: heads %v and %+v", cmo.Spec.CosineScale, cmo.SpecViews)
	}
	checkSpecScores(t, cmo, bona, spoof, wavs)
	// Spec.Spoof: files only the network trains on. The other systems are those trained without
	// them, bit for bit (their GMMs, their thresholds); the network is not.
	train := func(extra []string, extraGroups []int) *models.Countermeasure {
		t.Helper()
		cm, err := recipe.TrainSpoof(recipe.SpoofTrainConfig{Bonafide: bona, Spoof: spoof[:6], SpoofGroups: []int{0, 0, 0, 1, 1, 1},
			Components: 2, Iters: 2, HoldOut: 3, Workers: 2, Spec: &recipe.SpecNetTrainConfig{Seconds: 1.5, Weight: 0.8,
				Net: models.SpecNetConfig{Steps: 40, Batch: 4, Crop: 32, Hidden: 4, Layers: small, Seed: 1}, Spoof: extra, SpoofGroups: extraGroups}})
		if err != nil {
			t.Fatal(err)
		}
		return cm
	}
	without, with := train(nil, nil), train(spoof[6:], []int{2, 2, 2})
	if !slices.Equal(without.Spoof.Means, with.Spoof.Means) || !slices.Equal(without.Bonafide.Means, with.Bonafide.Means) ||
		!slices.Equal(without.BaseFARThresholds, with.BaseFARThresholds) {
		t.Errorf("the network's own spoof files changed the other systems: base thresholds %v against %v", with.BaseFARThresholds, without.BaseFARThresholds)
	}
	if slices.Equal(without.Spec.W1, with.Spec.W1) {
		t.Error("the network's own spoof files did not change the network")
	}
}

// checkSpecScores checks that cm's batch scores tell bona from spoof and equal the engine's.
func checkSpecScores(t *testing.T, cm *models.Countermeasure, bona, spoof []string, wavs map[string][]float32) {
	t.Helper()
	paths := append(append([]string(nil), bona...), spoof...)
	cfg, err := recipe.SpoofLFCCConfig(cm)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := recipe.ExtractSpoofFeatures(paths, cfg, cm.MinLevelDB, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := recipe.ScoreSpoof(cm, recs[:1], 1); !math.IsNaN(s[0]) {
		t.Errorf("score %v without the recording's spectrum, want NaN (no verdict)", s[0])
	}
	if err := recipe.AddSpecs(cm, recs, paths, 2, nil); err != nil {
		t.Fatal(err)
	}
	scores := recipe.ScoreSpoof(cm, recs, 2)
	maxBona, minSpoof := math.Inf(-1), math.Inf(1)
	for i, s := range scores {
		if i < len(bona) {
			maxBona = math.Max(maxBona, s)
		} else {
			minSpoof = math.Min(minSpoof, s)
		}
	}
	if !(minSpoof > maxBona) {
		t.Errorf("classes overlap: bona fide up to %.3f, spoof from %.3f", maxBona, minSpoof)
	}
	thr, _ := cm.Threshold(0.05)
	det, err := engine.NewSpoofDetector(cm, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if det.Threshold() != thr {
		t.Errorf("engine threshold %v, stored %v", det.Threshold(), thr)
	}
	for i, p := range paths {
		got := det.Score(wavs[p])
		if math.Abs(got.LLR-scores[i]) > 1e-4*(1+math.Abs(scores[i])) {
			t.Errorf("%s: engine %v, batch %v", filepath.Base(p), got.LLR, scores[i])
		}
	}
	checkSpecOnce(t, cm, det, wavs[spoof[0]])
}

// checkSpecOnce checks a live stream's use of the network (det's countermeasure cm has base
// thresholds): until its SpecSeconds of audio are in, and for the rest of a stream after
// DropSpec, the verdict is the other systems' fused score at the base threshold; once they are
// in the network scores, once, and Final equals the batch verdict.
func checkSpecOnce(t *testing.T, cm *models.Countermeasure, det *engine.SpoofDetector, x []float32) {
	t.Helper()
	bthr, ok := cm.BaseThreshold(0.05)
	if !ok {
		t.Fatal("no base thresholds")
	}
	if thr, _ := cm.Threshold(0.05); thr == bthr {
		t.Errorf("base threshold %v equals the full one", bthr)
	}
	base, err := cm.BaseOnly() // the same countermeasure without the network, judged at the base thresholds
	if err != nil {
		t.Fatal(err)
	}
	bdet, err := engine.NewSpoofDetector(base, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	cut := int(cm.SpecSeconds*8000) - 800 // 0.1 s short of the network's audio
	if len(x) <= cut+1600 {
		t.Fatalf("test audio of %d samples too short", len(x))
	}
	st, bst := det.NewStream(), bdet.NewStream()
	st.Push(x[:cut])
	bst.Push(x[:cut])
	if got, want := st.Current(), bst.Current(); got != want || !st.SpecPending() {
		t.Errorf("before the network's audio: %+v (pending %v), want the base verdict %+v", got, st.SpecPending(), want)
	}
	st.Push(x[cut:])
	if got := st.Current(); got == bst.Current() || st.SpecPending() {
		t.Errorf("with the network's audio in: %+v (pending %v), still the base verdict", got, st.SpecPending())
	}
	if got, want := st.Final(), det.Score(x); got != want {
		t.Errorf("stream's final verdict %+v, batch %+v", got, want)
	}
	// Shed before the network's audio is in: the base verdict to the end.
	st = det.NewStream()
	st.Push(x[:cut])
	st.DropSpec()
	if st.SpecPending() {
		t.Error("network still pending after DropSpec")
	}
	st.Push(x[cut:])
	if got, want := st.Final(), bdet.Score(x); got != want {
		t.Errorf("after DropSpec: final %+v, want the base verdict %+v", got, want)
	}
}

// TestTrainSpoofSpecResume checks SpecNetTrainConfig.WorkDir: a run keeps every network (two
// front ends, three speaker folds), a second run with the same data and settings reads them all
// back and gives the same countermeasure, a damaged checkpoint is trained again, and another
// seed does not reuse them.
func TestTrainSpoofSpecResume(t *testing.T) {
	bona, spoof, err := testkit.SpoofToneCorpus(t.TempDir(), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	short := dsp.SpecConfig{SampleRate: 8000, FrameLength: 128, FrameShift: 32, Bins: 32, FloorDB: 35}
	train := func(seed uint64) (*models.Countermeasure, string) {
		t.Helper()
		var log strings.Builder
		cm, err := recipe.TrainSpoof(recipe.SpoofTrainConfig{Bonafide: bona, Spoof: spoof, Components: 2, Iters: 2, HoldOut: 3,
			HoldOutSpeakers: true, Workers: 2, Log: &log, Spec: &recipe.SpecNetTrainConfig{Seconds: 1.5, Weight: 0.8, Views: []dsp.SpecConfig{short}, WorkDir: work,
				Net: models.SpecNetConfig{Steps: 20, Batch: 4, Crop: 32, Hidden: 4, Layers: testkit.SmallSpecLayers(), Seed: seed}}})
		if err != nil {
			t.Fatal(err)
		}
		return cm, log.String()
	}
	first, log1 := train(1)
	files, _ := filepath.Glob(filepath.Join(work, "specnet-*.vxsn"))
	if len(files) != 6 || strings.Contains(log1, "resumed") {
		t.Fatalf("first run kept %d networks (want 6: 2 front ends × 3 folds), log resumed: %v", len(files), strings.Contains(log1, "resumed"))
	}
	again, log2 := train(1)
	if n := strings.Count(log2, "resumed from"); n != 6 || strings.Contains(log2, "trained in") {
		t.Errorf("second run resumed %d networks, want 6 and none trained:\n%s", n, log2)
	}
	same := func(a, b *models.Countermeasure) bool {
		return slices.Equal(a.Spec.W1, b.Spec.W1) && slices.Equal(a.SpecViews[0].Net.W1, b.SpecViews[0].Net.W1) &&
			*a.Fusion == *b.Fusion && slices.Equal(a.FARThresholds, b.FARThresholds)
	}
	if !same(first, again) {
		t.Error("the resumed countermeasure differs from the trained one")
	}
	if err := os.WriteFile(files[0], []byte("VXSN damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixed, log3 := train(1)
	if strings.Count(log3, "ignoring unusable checkpoint") != 1 || strings.Count(log3, "resumed from") != 5 || !same(first, fixed) {
		t.Errorf("with one damaged checkpoint: %d ignored, %d resumed, same %v", strings.Count(log3, "ignoring unusable checkpoint"), strings.Count(log3, "resumed from"), same(first, fixed))
	}
	if _, log4 := train(2); strings.Contains(log4, "resumed") {
		t.Error("another seed resumed the first seed's networks")
	}
}
