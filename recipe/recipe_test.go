package recipe

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/internal/devcorpora"
	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/models/metrics"
)

// corpora returns ../shared/corpora (see devcorpora.Dir).
func corpora(t *testing.T) string { return devcorpora.Dir(t) }

// miniCorpus links the first files of the first speakers of speechocean762 into a temporary
// corpus folder with the same base name.
func miniCorpus(t *testing.T, speakers, files int) (dir string, held []string) {
	src := filepath.Join(corpora(t), "speechocean762")
	dir = filepath.Join(t.TempDir(), "speechocean762")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	var spks []string
	for _, e := range ents {
		if e.IsDir() {
			spks = append(spks, e.Name())
		}
	}
	sort.Strings(spks)
	for _, s := range spks[:speakers] {
		os.MkdirAll(filepath.Join(dir, s), 0o755)
		fs, _ := filepath.Glob(filepath.Join(src, s, "*.wav"))
		sort.Strings(fs)
		for _, f := range fs[:files] {
			if err := os.Symlink(f, filepath.Join(dir, s, filepath.Base(f))); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, spks[speakers : speakers+4]
}

// heldOutLists makes scoring lists of the held-out speakers' recordings in dir: each speaker's
// first 5 files enroll its model, the other 5 and a silent file ("silence") are tests, and every
// model meets every test in a labelled trial.
func heldOutLists(dir string, held []string) (enroll, tests []kaldiio.Pair, trials []kaldiio.Trial) {
	for _, s := range held {
		fs, _ := filepath.Glob(filepath.Join(dir, s, "*.wav"))
		sort.Strings(fs)
		for _, f := range fs[:5] {
			enroll = append(enroll, kaldiio.Pair{ID: s, Path: f})
		}
		for i, f := range fs[5:] {
			tests = append(tests, kaldiio.Pair{ID: s + "-" + string(rune('a'+i)), Path: f})
		}
	}
	tests = append(tests, kaldiio.Pair{ID: "silence", Path: filepath.Join("..", "testdata", "audio", "silence.wav")})
	for _, m := range held {
		for _, te := range tests {
			lab := "nontarget"
			if len(te.ID) > len(m) && te.ID[:len(m)] == m {
				lab = "target"
			}
			trials = append(trials, kaldiio.Trial{Model: m, Test: te.ID, Label: lab})
		}
	}
	return enroll, tests, trials
}

func tinyConfig(dir string, exclude map[string]bool) TrainConfig {
	c := DefaultTrainConfig()
	c.Corpora, c.Exclude = []string{dir}, exclude
	c.Components, c.UBMFrames, c.UBMIters, c.IVectorDim, c.IVectorIters, c.LDADim = 32, 30000, 3, 24, 3, 10
	c.EnrollFrames, c.CohortSize, c.SNormTopN = 800, 60, 20
	c.SelectionGroups = "8/2" // the default 64/8, scaled to 32 components
	return c
}

func TestTrainDeterministicAndScores(t *testing.T) {
	dir, _ := miniCorpus(t, 16, 10)
	// Hold four of the speakers out of training; they provide the trials.
	var held []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents[12:] {
		held = append(held, e.Name())
	}
	ex := map[string]bool{}
	for _, s := range held {
		ex["speechocean762/"+s] = true
	}
	b1, err := Train(tinyConfig(dir, ex))
	if err != nil {
		t.Fatal(err)
	}
	b2, err := Train(tinyConfig(dir, ex))
	if err != nil {
		t.Fatal(err)
	}
	if b1.GMM == nil || len(b1.GMM.NAP) != 0 {
		t.Fatal("without degraded copies: want a GMM scorer without NAP")
	}
	var w1, w2 bytes.Buffer
	b1.Meta.Created, b2.Meta.Created = "", ""
	b1.WriteTo(&w1)
	b2.WriteTo(&w2)
	if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
		t.Fatal("two trainings with the same seed differ")
	}
	// The bundle survives a round trip through a file.
	path := filepath.Join(t.TempDir(), "b.vxgb")
	if err := WriteBundleFile(path, b1); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	b, err := models.ReadBundle(f, b1.Meta.FrontEnd)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	v, err := models.NewVerifier(b)
	if err != nil {
		t.Fatal(err)
	}
	enroll, tests, trials := heldOutLists(dir, held)
	res, err := ScoreLists(v, enroll, tests, trials, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tar, non []float64
	for i, s := range res.Scores {
		if trials[i].Test == "silence" {
			if s.Score != 0 {
				t.Errorf("silence scored %g, want exactly 0", s.Score)
			}
			continue
		}
		if trials[i].Label == "target" {
			tar = append(tar, s.Score)
		} else {
			non = append(non, s.Score)
		}
	}
	if res.Insufficient != len(held) {
		t.Errorf("%d insufficient-speech trials, want %d (the silence file)", res.Insufficient, len(held))
	}
	// A 32-Gaussian model trained on 12 speakers is weak, but must separate unseen speakers.
	if eer := metrics.EER(tar, non); eer > 0.3 {
		t.Errorf("held-out EER %.1f%%, want under 30%%", 100*eer)
	}
	t.Logf("tiny model, 4 unseen speakers: EER %.1f%% on %d/%d trials", 100*metrics.EER(tar, non), len(tar), len(non))

	// With enrollment augmentation (dsp's name for it must be the models' one): the bundle says
	// so, has one more raw score per PLDA back end (one here) and separates the same held-out
	// speakers.
	ca := tinyConfig(dir, ex)
	ca.EnrollAugment = dsp.ChannelAugmentationV1
	ba, err := Train(ca)
	if err != nil {
		t.Fatal(err)
	}
	if ba.EnrollAugment() != models.EnrollAugmentChannelV1 || ba.Scorers() != b.Scorers()+1 {
		t.Fatalf("augmenting bundle: %q, %d scorers (plain %d)", ba.EnrollAugment(), ba.Scorers(), b.Scorers())
	}
	va, err := models.NewVerifier(ba)
	if err != nil {
		t.Fatal(err)
	}
	resA, err := ScoreLists(va, enroll, tests, trials, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	tar, non = tar[:0], non[:0]
	for i, s := range resA.Scores {
		if trials[i].Test == "silence" {
			continue
		}
		if trials[i].Label == "target" {
			tar = append(tar, s.Score)
		} else {
			non = append(non, s.Score)
		}
	}
	if eer := metrics.EER(tar, non); eer > 0.3 {
		t.Errorf("augmenting bundle: held-out EER %.1f%%, want under 30%%", 100*eer)
	}
	t.Logf("tiny model with enrollment augmentation: EER %.1f%%", 100*metrics.EER(tar, non))

	// Unknown ids are errors, not silent skips.
	if _, err := ScoreLists(v, enroll, tests, []kaldiio.Trial{{Model: "nobody", Test: "silence"}}, 1, nil); err == nil {
		t.Error("unknown model accepted")
	}
}

func TestCheckpointResume(t *testing.T) {
	dir, _ := miniCorpus(t, 6, 6)
	c := tinyConfig(dir, nil)
	c.WorkDir = t.TempDir()
	var log bytes.Buffer
	c.Log = &log
	fresh, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	log.Reset()
	again, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(log.Bytes(), []byte("resumed from")); n != 2 {
		t.Fatalf("second run resumed %d stages, want 2 (UBM and extractor):\n%s", n, log.String())
	}
	// Resumed, or without a work folder at all, the bundle is the one trained from scratch, bit
	// for bit (but for its creation time).
	noWork := c
	noWork.WorkDir, noWork.Log = "", nil
	alone, err := Train(noWork)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(b *models.Bundle) []byte {
		c := *b
		c.Meta.Created = ""
		var w bytes.Buffer
		if _, err := c.WriteTo(&w); err != nil {
			t.Fatal(err)
		}
		return w.Bytes()
	}
	if f := enc(fresh); !bytes.Equal(f, enc(again)) || !bytes.Equal(f, enc(alone)) {
		t.Errorf("the bundle differs between a run from scratch, a resumed one (%v) and one without a work folder (%v)", bytes.Equal(f, enc(again)), bytes.Equal(f, enc(alone)))
	}
	// Another Gaussian selection changes the statistics the extractor learns from: only the
	// UBM may be reused.
	c.SelectionGroups = "8/3"
	log.Reset()
	if _, err := Train(c); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(log.Bytes(), []byte("resumed from")); n != 1 {
		t.Fatalf("run with another selection resumed %d stages, want 1 (UBM):\n%s", n, log.String())
	}
	// So does another posterior pruning.
	c.MinPost += 0.025
	log.Reset()
	b, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(log.Bytes(), []byte("resumed from")); n != 1 {
		t.Fatalf("run with min-post resumed %d stages, want 1 (UBM):\n%s", n, log.String())
	}
	if b.Meta.MinPost != c.MinPost {
		t.Errorf("bundle min_post %v, want %v", b.Meta.MinPost, c.MinPost)
	}
	if _, ok := b.Meta.Extra[stageSigKey]; ok {
		t.Errorf("the trained bundle carries the checkpoints' %q", stageSigKey)
	}
	// What the checkpoints' names do not record, their signatures do: other UBM iterations, or
	// the same number of recordings but not the same ones, resume nothing.
	resumed := func(what string, want int) {
		t.Helper()
		log.Reset()
		b, err := Train(c)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(log.Bytes(), []byte("resumed from")); n != want {
			t.Fatalf("%s: resumed %d stages, want %d:\n%s", what, n, want, log.String())
		}
		if _, ok := b.Meta.Extra[stageSigKey]; ok {
			t.Errorf("%s: the trained bundle carries the checkpoints' %q", what, stageSigKey)
		}
	}
	resumed("same settings", 2)
	// Another i-vector dimension needs another extractor, not another UBM.
	c.IVectorDim++
	resumed("another i-vector dimension", 1)
	c.IVectorDim--
	resumed("the first dimension again", 2)
	// A UBM checkpoint saved under the older name, which recorded the i-vector dimension, is
	// still resumed.
	ubms, _ := filepath.Glob(filepath.Join(c.WorkDir, "ubm-*.vxgb"))
	for _, p := range ubms {
		os.Remove(p)
	}
	resumed("no UBM checkpoint", 1)
	ubms, _ = filepath.Glob(filepath.Join(c.WorkDir, "ubm-*.vxgb"))
	if len(ubms) != 1 {
		t.Fatalf("UBM checkpoints %v, want one", ubms)
	}
	legacy := filepath.Join(c.WorkDir, strings.Replace(filepath.Base(ubms[0]), "-s", fmt.Sprintf("-r%d-s", c.IVectorDim), 1))
	if err := os.Rename(ubms[0], legacy); err != nil {
		t.Fatal(err)
	}
	resumed("a UBM checkpoint under the older name", 2)
	c.UBMIters++
	resumed("other UBM iterations", 0)
	resumed("the same again", 2)
	c.IVectorIters++
	resumed("other extractor iterations", 1)
	spk, _ := os.ReadDir(dir)
	files, _ := filepath.Glob(filepath.Join(dir, spk[0].Name(), "*.wav"))
	src, _ := os.Readlink(files[0])
	others, _ := filepath.Glob(filepath.Join(filepath.Dir(src), "*.wav"))
	sort.Strings(others)
	os.Remove(files[0])
	if err := os.Symlink(others[len(others)-1], filepath.Join(dir, spk[0].Name(), filepath.Base(others[len(others)-1]))); err != nil {
		t.Fatal(err)
	}
	resumed("one recording swapped for another", 0)
	resumed("the same again", 2)
	// The same file name with other content (a folder of copies made again with another seed,
	// or another folder of copies given in its place) resumes nothing either.
	name := filepath.Join(dir, spk[0].Name(), filepath.Base(others[len(others)-1]))
	data, err := os.ReadFile(others[0])
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(name)
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	resumed("one recording's content replaced under its name", 0)
	resumed("the same again", 2)
	// The same content with new file times (the corpora unpacked or copied again) resumes.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(name, later, later); err != nil {
		t.Fatal(err)
	}
	resumed("the same recordings with new file times", 2)

	c.MinPost = 1
	if _, err := Train(c); err == nil {
		t.Error("min-post 1 accepted")
	}
}

func TestListCorpusAndSpeakerList(t *testing.T) {
	if _, err := ListCorpus(t.TempDir()); err == nil {
		t.Error("empty corpus accepted")
	}
	p := filepath.Join(t.TempDir(), "spk")
	os.WriteFile(p, []byte("# held out\nspeechocean762/0001\n\nmini-librispeech/19 # comment\n"), 0o644)
	m, err := ReadSpeakerList(p)
	if err != nil || len(m) != 2 || !m["mini-librispeech/19"] {
		t.Fatalf("got %v, %v", m, err)
	}
	os.WriteFile(p, []byte("no-slash\n"), 0o644)
	if _, err := ReadSpeakerList(p); err == nil {
		t.Error("malformed key accepted")
	}
}

// TestFrontendFlags checks that train's front-end flags reach the front-end configuration, and
// that without them it is the default bundle's.
func TestFrontendFlags(t *testing.T) {
	parse := func(args ...string) (dsp.FrontendConfig, error) {
		cfg := DefaultTrainConfig().Frontend
		fs := flag.NewFlagSet("train", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		FrontendFlags(fs, &cfg)
		return cfg, fs.Parse(args)
	}
	cfg, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, dsp.TelephoneFrontend()) {
		t.Errorf("no flags: front end %+v, want the default %+v", cfg, dsp.TelephoneFrontend())
	}
	cfg, err = parse("--norm", "warp", "--norm-window", "201", "--mfcc-low-hz", "300", "--mfcc-high-hz", "3400")
	if err != nil {
		t.Fatal(err)
	}
	want := dsp.TelephoneFrontend()
	want.Norm, want.NormWindow, want.MFCC.LowFreq, want.MFCC.HighFreq = dsp.NormWarp, 201, 300, 3400
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("with flags: front end %+v, want %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	if _, err := parse("--norm", "mvn"); err == nil {
		t.Error("--norm mvn accepted")
	}
	if cfg, _ := parse("--mfcc-low-hz", "3800"); cfg.Validate() == nil {
		t.Error("a band of 3800-3700 Hz validated")
	}
	cfg, err = parse("--mfcc-scale", "linear", "--mfcc-bins", "30")
	if err != nil {
		t.Fatal(err)
	}
	want = dsp.TelephoneFrontend()
	want.MFCC.Scale, want.MFCC.NumMelBins = dsp.ScaleLinear, 30
	if !reflect.DeepEqual(cfg, want) || cfg.Validate() != nil {
		t.Errorf("--mfcc-scale linear --mfcc-bins 30: front end %+v (%v), want %+v", cfg, cfg.Validate(), want)
	}
	if cfg, err := parse("--mfcc-scale", "linear", "--mfcc-scale", "mel"); err != nil || cfg.MFCC.Scale != "" {
		t.Errorf("--mfcc-scale mel: scale %q, %v; want the mel default", cfg.MFCC.Scale, err)
	}
	if _, err := parse("--mfcc-scale", "bark"); err == nil {
		t.Error("--mfcc-scale bark accepted")
	}
}

// TestSelectionKey checks the checkpoint-name part that keeps an extractor trained on one
// Gaussian selection from being reused for another: every setting that changes the statistics
// changes the name, and the historical 64/8 (plain groups, no pruning) keeps "".
func TestSelectionKey(t *testing.T) {
	for _, tc := range []struct {
		groups   string
		groupMax int
		minPost  float64
		want     string
	}{
		{"64/8", 0, 0, ""},
		{"", 0, 0, "-all"},
		{"", 16, 0, "-all"}, // no groups to balance
		{"64/6", 0, 0, "-g64-6"},
		{"64/8", 0, 0.025, "-mp0.025"},
		{"64/10", 16, 0, "-g64-10-max16"},
		{"64/10", 16, 0.025, "-g64-10-max16-mp0.025"},
	} {
		if got := selectionKey(tc.groups, tc.groupMax, tc.minPost); got != tc.want {
			t.Errorf("selectionKey(%q, %d, %g) = %q, want %q", tc.groups, tc.groupMax, tc.minPost, got, tc.want)
		}
	}
}

// TestItersKey: an extractor trained for other EM iterations gets its own checkpoint name, and
// the historical 6 keeps "".
func TestItersKey(t *testing.T) {
	for iters, want := range map[int]string{6: "", 10: "-it10", 3: "-it3"} {
		if got := itersKey(iters); got != want {
			t.Errorf("itersKey(%d) = %q, want %q", iters, got, want)
		}
	}
}

// TestTrainGMMNAP trains the GMM scorer's nuisance projection from degraded copies ("~aug", in a
// second corpus folder of the same name, as bench/trials/make_augmented.py lays them out): the
// bundle carries an orthonormal basis of the rank asked for and survives a round trip. (Without
// degraded copies there is none: TestTrainDeterministicAndScores's bundles, default rank.)
func TestTrainGMMNAP(t *testing.T) {
	c := augmentedConfig(t, 10, 6)
	b, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if b.GMM == nil || len(b.GMM.NAP) != 3 {
		t.Fatalf("GMM scorer %v without a rank-3 basis", b.GMM != nil)
	}
	for i, r := range b.GMM.NAP {
		for j, q := range b.GMM.NAP {
			var s float64
			for d := range r {
				s += float64(r[d]) * float64(q[d])
			}
			if want := map[bool]float64{true: 1, false: 0}[i == j]; math.Abs(s-want) > 1e-4 {
				t.Errorf("basis rows %d, %d: inner product %g", i, j, s)
			}
		}
	}
	if got := roundTrip(t, b); len(got.GMM.NAP) != 3 {
		t.Fatal("basis lost in the round trip")
	}
	c.GMMNAP = -1
	if _, err := Train(c); err == nil {
		t.Fatal("a negative NAP rank was accepted")
	}
}

// TestTrainChannelNovelty: with degraded copies ("~aug0") the default recipe's channel detector
// has no novelty score; ChannelNovelty adds one (trained on the recordings and their excerpts),
// which survives a round trip and moves some recording's probability of a degraded channel.
func TestTrainChannelNovelty(t *testing.T) {
	c := augmentedConfig(t, 10, 6)
	plain, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Channel == nil || plain.Channel.Novelty != nil {
		t.Fatalf("default recipe: channel detector %v, novelty %v; want a detector without novelty",
			plain.Channel != nil, plain.Channel != nil && plain.Channel.Novelty != nil)
	}
	c.ChannelNovelty = true
	var log bytes.Buffer
	c.Log = &log
	b, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if b.Channel == nil || b.Channel.Novelty == nil {
		t.Fatal("ChannelNovelty: no novelty score in the bundle")
	}
	if !strings.Contains(log.String(), "channel novelty: 120 recordings") {
		t.Errorf("the log does not say the novelty score learnt from the 120 recordings (60 and their copies):\n%s", log.String())
	}
	got := roundTrip(t, b)
	if got.Channel.Novelty == nil {
		t.Fatal("novelty lost in the round trip")
	}
	// The same UBM and extractor: the same i-vectors, so the probabilities differ only by the
	// novelty score (which can only raise them).
	if plain.UBM.Fingerprint() != b.UBM.Fingerprint() {
		t.Fatal("ChannelNovelty changed the UBM")
	}
	r := rand.New(rand.NewPCG(1, 2))
	moved := false
	for range 50 {
		iv := make([]float64, b.Extractor.R)
		for k := range iv {
			iv[k] = r.NormFloat64()
		}
		p0, p1 := plain.Channel.Degraded(iv, 300, nil), got.Channel.Degraded(iv, 300, nil)
		if p1 < p0-1e-3 {
			t.Fatalf("novelty lowered a probability: %g -> %g", p0, p1)
		}
		moved = moved || p1 > p0+1e-3
	}
	if !moved {
		t.Error("the novelty score moved no probability")
	}
}

// TestTrainFrontHoldout: FrontHoldout keeps a share of the speakers, with their copies, out of
// the UBM and the extractor (fewer recordings in both), trains the calibration on trials among
// them alone, and still gives a bundle that scores; values outside [0, 1) are refused.
func TestTrainFrontHoldout(t *testing.T) {
	c := DefaultTrainConfig()
	c.FrontHoldout = 0.3
	held := 0
	for i := range 200 {
		spk := fmt.Sprintf("%04d", i)
		u := Utt{Corpus: "speechocean762", Speaker: spk}
		h := c.frontHeld(u)
		for _, copyOf := range []string{spk + "-sp0.9", spk + "-vt1.1"} {
			if c.frontHeld(Utt{Corpus: "speechocean762", Speaker: copyOf}) != h {
				t.Fatalf("speaker %s held %v but its copy %s not", spk, h, copyOf)
			}
		}
		if h {
			held++
		}
	}
	if held < 40 || held > 80 {
		t.Errorf("%d of 200 speakers held out, want about 60", held)
	}

	c = augmentedConfig(t, 12, 6)
	logOf := func(c TrainConfig) (string, *models.Bundle) {
		var log bytes.Buffer
		c.Log = &log
		b, err := Train(c)
		if err != nil {
			t.Fatal(err)
		}
		return log.String(), b
	}
	all, _ := logOf(c)
	c.FrontHoldout = 0.3
	part, b := logOf(c)
	re := regexp.MustCompile(`i-vector extractor: R=\d+, \d+ iterations on (\d+) recordings`)
	na, np := re.FindStringSubmatch(all), re.FindStringSubmatch(part)
	if na == nil || np == nil {
		t.Fatalf("no extractor line in the logs:\n%s\n%s", all, part)
	}
	if a, p := atoi(t, na[1]), atoi(t, np[1]); !(p < a && p > 0) {
		t.Errorf("extractor on %d recordings with the hold-out, %d without", p, a)
	}
	re = regexp.MustCompile(`calibration: (\d+) target and (\d+) non-target held-out trials`)
	ca, cp := re.FindStringSubmatch(all), re.FindStringSubmatch(part)
	if ca == nil || cp == nil || !(atoi(t, cp[1]) < atoi(t, ca[1]) && atoi(t, cp[1]) > 0) {
		t.Errorf("calibration trials with the hold-out %v, without %v: want fewer, not none", cp, ca)
	}
	if _, err := models.NewVerifier(roundTrip(t, b)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float64{-0.1, 1} {
		c.FrontHoldout = bad
		if _, err := Train(c); err == nil {
			t.Errorf("front hold-out %g accepted", bad)
		}
	}
}

// TestTrainThirdBackend trains with degraded copies of the recordings ("~aug0") and of
// pretended speed-perturbed copies ("~sp1.0~aug0", degraded with other seeds): with
// ThirdBackend the bundle gains a third PLDA back end, one more calibrated scorer, and survives
// a round trip; without it, or with only plain degraded copies, it has none.
func TestTrainThirdBackend(t *testing.T) {
	dir, _ := miniCorpus(t, 10, 6)
	augDir := degradedCopies(t, dir, "~aug0", "~sp1.0~aug0")
	c := tinyConfig(dir, nil)
	c.Corpora = []string{dir, augDir}
	c.GMMNAP = 3
	for _, third := range []bool{false, true} {
		c.ThirdBackend = third
		b, err := Train(c)
		if err != nil {
			t.Fatal(err)
		}
		if (b.Alt2 != nil) != third || b.Alt == nil {
			t.Fatalf("ThirdBackend %v: alternative back ends %v, %v", third, b.Alt != nil, b.Alt2 != nil)
		}
		if !third {
			continue
		}
		got := roundTrip(t, b)
		if got.Alt2 == nil || got.Scorers() != b.Scorers() {
			t.Fatal("third back end lost in the round trip")
		}
		if _, err := models.NewVerifier(got); err != nil {
			t.Fatal(err)
		}
	}
}

// augmentedConfig is tinyConfig on a mini corpus of speakers × files and a degraded copy
// ("~aug0") of each recording, with a GMM NAP of rank 3 (the default 80 needs more recordings).
func augmentedConfig(t *testing.T, speakers, files int) TrainConfig {
	t.Helper()
	dir, _ := miniCorpus(t, speakers, files)
	augDir := degradedCopies(t, dir, "~aug0")
	c := tinyConfig(dir, nil)
	c.Corpora = []string{dir, augDir}
	c.GMMNAP = 3
	return c
}

// degradedCopies writes, into a new corpus folder of the same name as bench/trials/make_augmented.py
// lays them out, one degraded copy (dsp.ChannelAugmentationV1) of every recording of dir per
// suffix, named <utterance><suffix>.wav, each suffix with its own seed; it returns the folder.
func degradedCopies(t *testing.T, dir string, suffixes ...string) string {
	t.Helper()
	augDir := filepath.Join(t.TempDir(), "speechocean762")
	x, err := NewFeatureExtractor(dsp.TelephoneFrontend(), 0)
	if err != nil {
		t.Fatal(err)
	}
	aug, _ := dsp.ChannelAugmentationByName(dsp.ChannelAugmentationV1)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.wav"))
	for _, f := range files {
		s, err := x.Samples(f)
		if err != nil {
			t.Fatal(err)
		}
		spk := filepath.Base(filepath.Dir(f))
		os.MkdirAll(filepath.Join(augDir, spk), 0o755)
		base := strings.TrimSuffix(filepath.Base(f), ".wav")
		for k, suffix := range suffixes {
			name := filepath.Join(augDir, spk, base+suffix+".wav")
			if err := audio.WriteWAVFile(name, aug.Apply(s, 8000, dsp.AudioSeed(s)+uint64(k)), 8000); err != nil {
				t.Fatal(err)
			}
		}
	}
	return augDir
}

// roundTrip writes b and reads it back, as a deployment loads a trained bundle.
func roundTrip(t *testing.T, b *models.Bundle) *models.Bundle {
	t.Helper()
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := models.ReadBundle(&buf, b.Meta.FrontEnd)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestCalibrationFolds trains the same tiny recipe with two and with three calibration folds.
// Every speaker is held out exactly once either way, so the target trials (pairs within a
// speaker) number the same, while the non-target trials (pairs within a fold) are fewer with
// more, smaller folds.
func TestCalibrationFolds(t *testing.T) {
	dir, _ := miniCorpus(t, 9, 5)
	counts := map[int][2]int{}
	for _, k := range []int{2, 3} {
		c := tinyConfig(dir, nil)
		c.CalibrationFolds = k
		var log strings.Builder
		c.Log = &log
		if _, err := Train(c); err != nil {
			t.Fatalf("%d folds: %v", k, err)
		}
		var tar, non int
		for _, line := range strings.Split(log.String(), "\n") {
			if _, err := fmt.Sscanf(line, "calibration: %d target and %d non-target held-out trials", &tar, &non); err == nil {
				break
			}
		}
		if tar == 0 || non == 0 {
			t.Fatalf("%d folds: no calibration trial counts in the log", k)
		}
		counts[k] = [2]int{tar, non}
	}
	if counts[2][0] != counts[3][0] {
		t.Errorf("target trials: %d with two folds, %d with three", counts[2][0], counts[3][0])
	}
	if counts[3][1] >= counts[2][1] {
		t.Errorf("non-target trials: %d with three folds, not fewer than %d with two", counts[3][1], counts[2][1])
	}
}

// TestAugmentExtractor trains with degraded copies ("~aug0") kept out of the front end, then
// with AugmentExtractor: the UBM (and so every voiceprint's statistics) must come out the same,
// the extractor, trained on the copies too, another, and the log must say it learnt from all
// the recordings.
func TestAugmentExtractor(t *testing.T) {
	dir, _ := miniCorpus(t, 6, 5)
	augDir := degradedCopies(t, dir, "~aug0")
	c := tinyConfig(dir, nil)
	c.Corpora = []string{dir, augDir}
	c.AugmentBackendOnly = true
	c.GMMNAP = 3
	var bundles [2]*models.Bundle
	for i, ax := range []bool{false, true} {
		c.AugmentExtractor = ax
		var log bytes.Buffer
		c.Log = &log
		b, err := Train(c)
		if err != nil {
			t.Fatal(err)
		}
		want := "on 30 recordings"
		if ax {
			want = "on 60 recordings"
		}
		if !strings.Contains(log.String(), want) {
			t.Errorf("AugmentExtractor %v: the log does not say the extractor learnt %s:\n%s", ax, want, log.String())
		}
		bundles[i] = b
	}
	if bundles[0].UBM.Fingerprint() != bundles[1].UBM.Fingerprint() {
		t.Error("AugmentExtractor changed the UBM")
	}
	if slices.Equal(bundles[0].Extractor.T, bundles[1].Extractor.T) {
		t.Error("AugmentExtractor left the extractor as it was")
	}
}

// TestTrainIVectorFullCov trains with the full-covariance whitening: the extractor carries one
// lower-packed matrix per component that whitens the components it has seen (unlike the UBM's
// diagonal), the bundle survives a round trip, and the option refuses to be combined with the
// diagonal variance update.
func TestTrainIVectorFullCov(t *testing.T) {
	dir, _ := miniCorpus(t, 6, 5)
	c := tinyConfig(dir, nil)
	c.IVectorFullCov = true
	b, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	w := b.Extractor.FullWhitening()
	D := b.UBM.D
	P := D * (D + 1) / 2
	if len(w) != b.UBM.C*P {
		t.Fatalf("full whitening has %d values, want %d", len(w), b.UBM.C*P)
	}
	off := 0.0 // the largest off-diagonal term relative to its row's diagonal
	for c := range b.UBM.C {
		for i := 1; i < D; i++ {
			for j := range i {
				off = math.Max(off, math.Abs(w[c*P+i*(i+1)/2+j]/w[c*P+i*(i+1)/2+i]))
			}
		}
	}
	if off < 0.05 {
		t.Fatalf("largest off-diagonal whitening term %.3g: the covariances look diagonal", off)
	}
	got := roundTrip(t, b).Extractor.FullWhitening()
	if len(got) != len(w) {
		t.Fatalf("full whitening has %d values after the round trip, %d before", len(got), len(w))
	}
	for i := range w {
		if math.Abs(got[i]-w[i]) > 1e-6*math.Abs(w[i])+1e-12 {
			t.Fatalf("whitening value %d: %v after the round trip, %v before", i, got[i], w[i])
		}
	}
	// The GMM scorer in the same whitening: flagged, in the metadata, and its cohort statistics
	// are the fully whitened ones.
	c.GMMFullCov = true
	g, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if !g.GMM.FullWhitened || g.Meta.Extra[models.GMMFullWhiteningKey] != "1" {
		t.Fatalf("GMM scorer whitened fully: %v, metadata %q", g.GMM.FullWhitened, g.Meta.Extra[models.GMMFullWhiteningKey])
	}
	if b.GMM.FullWhitened {
		t.Fatal("the GMM scorer was fully whitened without GMMFullCov")
	}
	if !roundTrip(t, g).GMM.FullWhitened {
		t.Fatal("the GMM scorer's full whitening was lost in the round trip")
	}
	c.IVectorFullCov = false
	if _, err := Train(c); err == nil {
		t.Fatal("GMMFullCov was accepted without IVectorFullCov")
	}
	c.GMMFullCov, c.IVectorFullCov = false, true
	c.IVectorVariances = true
	if _, err := Train(c); err == nil {
		t.Fatal("the full whitening was accepted with the diagonal variance update")
	}
}

// trainWithCopies trains the tiny configuration on dir and its degraded copies in augDir (kept
// out of the UBM, in the extractor), as set further by configure, and returns the training log.
func trainWithCopies(t *testing.T, dir, augDir string, configure func(*TrainConfig)) string {
	t.Helper()
	c := tinyConfig(dir, nil)
	c.Corpora = []string{dir, augDir}
	c.AugmentBackendOnly, c.AugmentExtractor = true, true
	c.GMMNAP = 3
	configure(&c)
	var log strings.Builder
	c.Log = &log
	if _, err := Train(c); err != nil {
		t.Fatal(err)
	}
	return log.String()
}

// TestCalibrationDegradedRepeat: each repeat of the degraded copies' calibration sides adds the
// same trials again, and nothing else changes in the trial counts.
func TestCalibrationDegradedRepeat(t *testing.T) {
	dir, _ := miniCorpus(t, 6, 5)
	augDir := degradedCopies(t, dir, "~aug0")
	var tar, non [4]int
	for _, k := range []int{1, 2, 3} {
		log := trainWithCopies(t, dir, augDir, func(c *TrainConfig) { c.CalibrationDegradedRepeat = k })
		for _, line := range strings.Split(log, "\n") {
			if _, err := fmt.Sscanf(line, "calibration: %d target and %d non-target held-out trials", &tar[k], &non[k]); err == nil {
				break
			}
		}
		if tar[k] == 0 || non[k] == 0 {
			t.Fatalf("repeat %d: no calibration trial counts in the log", k)
		}
	}
	if tar[2] <= tar[1] || non[2] <= non[1] {
		t.Fatalf("repeat 2 gives %d/%d trials, not more than once's %d/%d", tar[2], non[2], tar[1], non[1])
	}
	if tar[3]-tar[1] != 2*(tar[2]-tar[1]) || non[3]-non[1] != 2*(non[2]-non[1]) {
		t.Errorf("trials %d/%d, %d/%d, %d/%d for repeats 1, 2, 3: each repeat should add the same", tar[1], non[1], tar[2], non[2], tar[3], non[3])
	}
}

// TestExtraCopiesTrain trains with a first and a second degraded copy of every recording: with
// ExtraCopies "extractor" (the default) the second copies stay out of the channel detector (and
// every other back-end stage) but test the calibration as in "all", and the extractor learns
// from them in both; with "calibration" the extractor does not.
func TestExtraCopiesTrain(t *testing.T) {
	dir, _ := miniCorpus(t, 6, 5)
	augDir := degradedCopies(t, dir, "~aug0", "~aug1")
	type counts struct{ clean, deg, tar, non, ex int }
	got := map[string]counts{}
	for _, mode := range []string{ExtraCopiesAll, ExtraCopiesExtractor, ExtraCopiesCalibration} {
		log := trainWithCopies(t, dir, augDir, func(c *TrainConfig) { c.ExtraCopies = mode })
		var n counts
		for _, line := range strings.Split(log, "\n") {
			fmt.Sscanf(line, "channel detector: trained on %d clean and %d degraded recordings", &n.clean, &n.deg)
			fmt.Sscanf(line, "calibration: %d target and %d non-target held-out trials", &n.tar, &n.non)
			var r, it int
			fmt.Sscanf(line, "i-vector extractor: R=%d, %d iterations on %d recordings", &r, &it, &n.ex)
		}
		if n.clean == 0 || n.deg == 0 || n.tar == 0 || n.ex == 0 {
			t.Fatalf("%s: counts missing from the log: %+v\n%s", mode, n, log)
		}
		got[mode] = n
	}
	all, ex, cal := got[ExtraCopiesAll], got[ExtraCopiesExtractor], got[ExtraCopiesCalibration]
	if all.deg != 2*ex.deg || ex.deg != cal.deg || all.clean != ex.clean {
		t.Errorf("channel detector's degraded recordings: all %d, extractor %d, calibration %d; want the second copies only in all's", all.deg, ex.deg, cal.deg)
	}
	if all.tar != ex.tar || all.non != ex.non || ex.tar != cal.tar || ex.non != cal.non {
		t.Errorf("calibration trials differ: all %d/%d, extractor %d/%d, calibration %d/%d", all.tar, all.non, ex.tar, ex.non, cal.tar, cal.non)
	}
	if all.ex != ex.ex || cal.ex != ex.ex-ex.deg {
		t.Errorf("extractor recordings: all %d, extractor %d, calibration %d; want the second copies (%d) out of calibration's only", all.ex, ex.ex, cal.ex, ex.deg)
	}
}

// TestCalibrationSameSex: with CalibrationSameSex the calibration trains on the non-target
// trials between speakers of the same sex (or of unknown sex) only, fewer than all of them when
// the corpus's speakers.tsv gives both sexes.
func TestCalibrationSameSex(t *testing.T) {
	dir, _ := miniCorpus(t, 6, 5)
	ents, _ := os.ReadDir(dir)
	tsv := "speaker\tgender\n"
	for i, e := range ents {
		if e.IsDir() {
			tsv += e.Name() + "\t" + []string{"m", "f"}[i/2%2] + "\n" // both sexes in each calibration fold
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "speakers.tsv"), []byte(tsv), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, same := range []bool{false, true} {
		c := tinyConfig(dir, nil)
		c.CalibrationSameSex = same
		var log strings.Builder
		c.Log = &log
		if _, err := Train(c); err != nil {
			t.Fatal(err)
		}
		var tar, non, used int
		for _, line := range strings.Split(log.String(), "\n") {
			fmt.Sscanf(line, "calibration: %d target and %d non-target held-out trials", &tar, &non)
			fmt.Sscanf(line, "calibration: trained on the %d same-sex non-target trials", &used)
		}
		switch {
		case non == 0:
			t.Fatalf("same-sex %v: no calibration trial counts in the log", same)
		case !same && used != 0:
			t.Errorf("without CalibrationSameSex the log says %d same-sex trials were used", used)
		case same && (used == 0 || used >= non):
			t.Errorf("CalibrationSameSex: %d of %d non-target trials used; want some, not all", used, non)
		}
	}
}

// TestBackendExcerpts: BackendExcerpts adds one excerpt i-vector per recording long enough for
// each length, deterministically; it changes the back ends (PLDA) but neither the calibration's
// trials nor the front end, and a length below 10 frames is refused.
func TestBackendExcerpts(t *testing.T) {
	dir, _ := miniCorpus(t, 6, 5)
	train := func(ex []int) (*models.Bundle, string) {
		c := tinyConfig(dir, nil)
		c.BackendExcerpts = ex
		var log strings.Builder
		c.Log = &log
		b, err := Train(c)
		if err != nil {
			t.Fatal(err)
		}
		return b, log.String()
	}
	counts := func(log string) (tar, non, ex int) {
		for _, line := range strings.Split(log, "\n") {
			fmt.Sscanf(line, "calibration: %d target and %d non-target held-out trials", &tar, &non)
			fmt.Sscanf(line, "back-end excerpts: %d i-vectors", &ex)
		}
		return
	}
	base, logBase := train(nil)
	a, logA := train([]int{100, 300})
	b, _ := train([]int{100, 300})
	tar0, non0, ex0 := counts(logBase)
	tar, non, ex := counts(logA)
	if ex0 != 0 || ex == 0 {
		t.Fatalf("excerpt i-vectors: %d without, %d with BackendExcerpts; want 0 and some", ex0, ex)
	}
	if tar != tar0 || non != non0 {
		t.Errorf("calibration trials %d/%d with excerpts, %d/%d without: excerpts must not test the calibration", tar, non, tar0, non0)
	}
	_, log100 := train([]int{100})
	_, log300 := train([]int{300})
	_, _, ex100 := counts(log100)
	_, _, ex300 := counts(log300)
	if ex100 > 30 || ex300 >= ex100 || ex != ex100+ex300 {
		t.Errorf("excerpt i-vectors from 30 recordings: %d of 100 frames, %d of 300, %d of both; want at most one per recording and length, fewer long ones, and the sum", ex100, ex300, ex)
	}
	if !reflect.DeepEqual(a.PLDA, b.PLDA) || !reflect.DeepEqual(a.Calibration, b.Calibration) {
		t.Error("two runs with the same seed and excerpts differ")
	}
	if reflect.DeepEqual(a.PLDA, base.PLDA) {
		t.Error("excerpts left the PLDA as it was")
	}
	if !reflect.DeepEqual(a.UBM.Means, base.UBM.Means) || !reflect.DeepEqual(a.Extractor.T, base.Extractor.T) {
		t.Error("excerpts changed the UBM or the extractor")
	}
	c := tinyConfig(dir, nil)
	c.BackendExcerpts = []int{5}
	if _, err := Train(c); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("excerpts of 5 frames: got %v, want an error", err)
	}
}

// atoi parses a decimal integer a test's regular expression matched.
func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTrainNormPrior checks that NormPriorFrames fits the front end's normalisation prior on the
// original recordings alone (not their degraded copies), records it in the bundle, and that the
// bundle scores.
func TestTrainNormPrior(t *testing.T) {
	c := augmentedConfig(t, 8, 6)
	c.NormPriorFrames = 60
	b, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := FrontendOf(b)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NormPriorFrames != 60 || len(cfg.NormPrior) != cfg.Dim() {
		t.Fatalf("bundle's front end: prior weight %g, %d prior values", cfg.NormPriorFrames, len(cfg.NormPrior))
	}
	files, _ := filepath.Glob(filepath.Join(c.Corpora[0], "*", "*.wav"))
	x, _ := NewFeatureExtractor(dsp.TelephoneFrontend(), 0)
	want := make([]float64, cfg.Dim())
	n := 0
	for _, f := range files {
		s, err := x.Samples(f)
		if err != nil {
			t.Fatal(err)
		}
		sum, k, err := dsp.FrameSum(s, dsp.TelephoneFrontend())
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range sum {
			want[i] += v
		}
		n += k
	}
	for i := range want {
		want[i] /= float64(n)
		if d := math.Abs(cfg.NormPrior[i] - want[i]); d > 1e-9*(1+math.Abs(want[i])) {
			t.Fatalf("prior coefficient %d = %g, want the originals' mean %g", i, cfg.NormPrior[i], want[i])
		}
	}
	if _, err := models.NewVerifier(roundTrip(t, b)); err != nil {
		t.Fatal(err)
	}
	// The calibration's short sides as short recordings: every stage as before but the
	// calibration, which now sees other short tests.
	c.CalibrationShortRecordings = true
	b2, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b2.UBM.Means, b.UBM.Means) {
		t.Error("short calibration recordings changed the UBM")
	}
	if reflect.DeepEqual(b2.Calibration, b.Calibration) {
		t.Error("short calibration recordings left the calibration as it was")
	}
	// The enrollment-aware calibration layout records the longest enrollment it was trained on.
	c.CalibrationShortRecordings, c.CalibrationEnrollDuration = false, true
	b4, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if b4.Meta.Extra["calibration"] != models.CalibrationDurationHingeChannelEnroll || b4.Meta.Extra[models.CalibrationRMaxKey] == "" {
		t.Errorf("enrollment-aware calibration: layout %q, rmax %q", b4.Meta.Extra["calibration"], b4.Meta.Extra[models.CalibrationRMaxKey])
	}
	if _, err := models.NewVerifier(roundTrip(t, b4)); err != nil {
		t.Fatal(err)
	}
	// Feature warping has no mean to draw towards a prior: no prior is fitted.
	c.CalibrationEnrollDuration = false
	c.Frontend.Norm = dsp.NormWarp
	b3, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := FrontendOf(b3); err != nil || cfg.NormPriorFrames != 0 || cfg.NormPrior != nil {
		t.Errorf("warped front end: prior weight %g, %d values, %v", cfg.NormPriorFrames, len(cfg.NormPrior), err)
	}
}

// TestCalibrationPieceEnrollments checks that piece enrollments add calibration trials (each
// fold speaker's five-piece enrollment against the fold's tests) and leave every stage before the
// calibration as it was.
func TestCalibrationPieceEnrollments(t *testing.T) {
	dir, _ := miniCorpus(t, 8, 12)
	c := tinyConfig(dir, nil)
	c.EnrollFrames = 1500 // enough recordings in the main enrollment to take five pieces from
	trials := func(c TrainConfig) (int, int, *models.Bundle) {
		var log bytes.Buffer
		c.Log = &log
		b, err := Train(c)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`calibration: (\d+) target and (\d+) non-target held-out trials`).FindStringSubmatch(log.String())
		if m == nil {
			t.Fatalf("no calibration trials line in the log:\n%s", log.String())
		}
		return atoi(t, m[1]), atoi(t, m[2]), b
	}
	tar, non, b := trials(c)
	c.CalibrationPieceEnrollments = true
	tarP, nonP, bP := trials(c)
	if !(tarP > tar && nonP > non) {
		t.Errorf("with piece enrollments %d target and %d non-target trials, without %d and %d: want more of both", tarP, nonP, tar, non)
	}
	if !reflect.DeepEqual(bP.UBM.Means, b.UBM.Means) || reflect.DeepEqual(bP.Calibration, b.Calibration) {
		t.Error("piece enrollments should change the calibration and nothing before it")
	}
	c.EnrollAugment = "channel-v1"
	if _, err := Train(c); err == nil {
		t.Error("piece enrollments with enrollment augmentation accepted")
	}
}

// TestPieceShape checks the piece enrollments' shape: five 1 s pieces by default, and with
// CalibrationPieceFrames as many pieces of that length as make the same ~5 s in all.
func TestPieceShape(t *testing.T) {
	for _, tc := range []struct{ set, frames, pieces int }{
		{0, 100, 5},
		{100, 100, 5},
		{50, 50, 10},
		{40, 40, 13},
		{500, 500, 1},
		{800, 800, 1},
	} {
		c := TrainConfig{CalibrationPieceFrames: tc.set}
		if f, n := c.pieceShape(); f != tc.frames || n != tc.pieces {
			t.Errorf("CalibrationPieceFrames %d: %d pieces of %d frames, want %d of %d", tc.set, n, f, tc.pieces, tc.frames)
		}
	}
	for _, bad := range []int{-1, 5} {
		c := DefaultTrainConfig()
		c.Corpora = []string{t.TempDir()}
		c.CalibrationPieceEnrollments, c.CalibrationPieceFrames = true, bad
		if _, err := Train(c); err == nil || !strings.Contains(err.Error(), "piece length") {
			t.Errorf("CalibrationPieceFrames %d: error %v, want a refusal of the piece length", bad, err)
		}
	}
}

// TestCountShort counts the enrollments that are judged (at least the least speech) but short
// (under ShortEnrollmentFrames).
func TestCountShort(t *testing.T) {
	probes := func(frames ...float64) []*models.Probe {
		var ps []*models.Probe
		for _, f := range frames {
			ps = append(ps, &models.Probe{Frames: f})
		}
		return ps
	}
	for _, tc := range []struct {
		frames []float64
		want   int
	}{
		{nil, 0},
		{[]float64{3000, 2500, 1000}, 0},
		{[]float64{500, 999.5, 1000}, 2},
		{[]float64{10, 19.9, 20, 300}, 2}, // under 20 frames: insufficient, not short
	} {
		if got := countShort(probes(tc.frames...), 20); got != tc.want {
			t.Errorf("%v: %d short, want %d", tc.frames, got, tc.want)
		}
	}
}
