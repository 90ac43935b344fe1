package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/dsp/audio"
	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

// writeWAV writes 16-bit PCM mono samples in [-1, 1) at 8 kHz.
func writeWAV(t *testing.T, path string, x []float32) {
	t.Helper()
	if err := audio.WriteWAVFile(path, x, 8000); err != nil {
		t.Fatal(err)
	}
}

func TestTrainSpoofAndSpoofCommands(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	var scp, key strings.Builder
	for _, class := range []string{"bona", "spoof"} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		for i := range 6 {
			// Noise over a weak tone (bona fide: some voicing, or the default countermeasure's
			// voice-source scorer would see no spread in its statistics) or a harmonic tone.
			x := testkit.SpoofToneSignal(class == "spoof", i, 12000, 100+50*r.Float64(), r)
			p := filepath.Join(dir, class, fmt.Sprintf("%s%d.wav", class, i))
			writeWAV(t, p, x)
			fmt.Fprintf(&scp, "%s%d %s\n", class, i, p)
			fmt.Fprintf(&key, "%s%d %s\n", class, i, map[string]string{"bona": "bonafide", "spoof": "spoof"}[class])
		}
	}
	model := filepath.Join(dir, "cm.vxgb")
	train := []string{"train-spoof", "--bonafide", filepath.Join(dir, "bona"), "--spoof", filepath.Join(dir, "spoof"),
		"--components", "2", "--iters", "2", "--hold-out", "3", "--out", model}
	var out, errb bytes.Buffer
	if code := run(train, &out, &errb); code != 0 {
		t.Fatalf("train-spoof: exit %d: %s", code, errb.String())
	}
	for _, tc := range []struct {
		wav, want string
	}{{"bona/bona0.wav", "decision=bonafide"}, {"spoof/spoof0.wav", "decision=spoof"}} {
		out.Reset()
		errb.Reset()
		if code := run([]string{"spoof", "--model", model, "--wav", filepath.Join(dir, tc.wav)}, &out, &errb); code != 0 {
			t.Fatalf("spoof: exit %d: %s", code, errb.String())
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("spoof %s: %q, want %s", tc.wav, out.String(), tc.want)
		}
	}
	os.WriteFile(filepath.Join(dir, "test.scp"), []byte(scp.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "key"), []byte(key.String()), 0o644)
	out.Reset()
	errb.Reset()
	scores := filepath.Join(dir, "scores")
	if code := run([]string{"spoof", "--model", model, "--list", filepath.Join(dir, "test.scp"), "--key", filepath.Join(dir, "key"), "--out", scores}, &out, &errb); code != 0 {
		t.Fatalf("spoof --list: exit %d: %s", code, errb.String())
	}
	lines, _ := os.ReadFile(scores)
	if n := strings.Count(string(lines), "\n"); n != 12 || !strings.Contains(errb.String(), "EER 0.00%") {
		t.Errorf("spoof --list: %d score lines, stderr %q", n, errb.String())
	}
	// score --spoof evaluates the same list the same way.
	errb.Reset()
	scores2 := filepath.Join(dir, "scores2")
	if code := run([]string{"score", "--spoof", "--model", model, "--test", filepath.Join(dir, "test.scp"), "--key", filepath.Join(dir, "key"), "--out", scores2}, &out, &errb); code != 0 {
		t.Fatalf("score --spoof: exit %d: %s", code, errb.String())
	}
	if lines2, _ := os.ReadFile(scores2); !bytes.Equal(lines2, lines) || !strings.Contains(errb.String(), "EER 0.00%") {
		t.Errorf("score --spoof wrote %q (spoof --list: %q), stderr %q", lines2, lines, errb.String())
	}
	for _, args := range [][]string{
		{"score", "--spoof"},
		{"score", "--spoof", "--test", "t", "--trials", "x"},
		{"score", "--spoof", "--test", "t", "--enroll", "x"},
		{"score", "--key", "k", "--enroll", "e", "--test", "t", "--trials", "x"},
	} {
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, code)
		}
	}
	// --hold-out-speakers: three speakers ("spkN_" prefixes) in three folds, each held out by a
	// model trained without them; too few speakers for the folds is an error.
	os.MkdirAll(filepath.Join(dir, "bonaspk"), 0o755)
	for i := range 6 {
		src, _ := os.ReadFile(filepath.Join(dir, "bona", fmt.Sprintf("bona%d.wav", i)))
		os.WriteFile(filepath.Join(dir, "bonaspk", fmt.Sprintf("spk%d_%d.wav", i%3, i)), src, 0o644)
	}
	xf := filepath.Join(dir, "xf.vxgb")
	bs := filepath.Join(dir, "bonafide_scores.tsv")
	errb.Reset()
	if code := run([]string{"train-spoof", "--bonafide", filepath.Join(dir, "bonaspk"), "--spoof", filepath.Join(dir, "spoof"),
		"--components", "2", "--iters", "2", "--hold-out", "3", "--hold-out-speakers", "--bonafide-scores", bs, "--out", xf}, &out, &errb); code != 0 {
		t.Fatalf("train-spoof --hold-out-speakers: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "speaker fold 3 of 3: 2 bona fide files held out") || !strings.Contains(errb.String(), "on unseen speakers with 90% confidence") {
		t.Errorf("train-spoof --hold-out-speakers: stderr %q", errb.String())
	}
	if b, err := models.LoadBundle(xf); err != nil || b.Spoof.Info["threshold_bonafide_files"] != "6" || b.Spoof.Info["threshold_speaker_folds"] != "3" ||
		b.Spoof.Info["threshold_speaker_confidence"] != "0.9" {
		t.Errorf("cross-fitted countermeasure: %v, info %v", err, b.Spoof.Info)
	}
	// --bonafide-scores: one line per bona fide file, path, group, speaker, score.
	if raw, err := os.ReadFile(bs); err != nil {
		t.Errorf("--bonafide-scores: %v", err)
	} else {
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		spk := map[string]int{}
		for _, l := range lines {
			f := strings.Split(l, "\t")
			if len(f) != 4 || !strings.Contains(f[0], "bonaspk") || f[1] != "0" {
				t.Errorf("--bonafide-scores line %q", l)
				continue
			}
			if _, err := strconv.ParseFloat(f[3], 64); err != nil {
				t.Errorf("--bonafide-scores line %q: %v", l, err)
			}
			spk[f[2]]++
		}
		if len(lines) != 6 || len(spk) != 3 {
			t.Errorf("--bonafide-scores: %d lines over speakers %v, want 6 over 3", len(lines), spk)
		}
	}
	for _, args := range [][]string{
		{"--threshold-confidence", "0.9"},
		{"--bonafide-scores", bs},
		{"--hold-out-speakers", "--threshold-confidence", "1"},
		{"--hold-out-speakers", "--threshold-confidence", "-0.1"},
		{"--spec-spoof", filepath.Join(dir, "spoof")}, // needs --spec-net
		{"--spec-net", "--spec-members", "0"},
		{"--spec-net", "--spec-members", "9"},
		{"--spec-view", "64/16/32"},      // needs --spec-net
		{"--spec-work-dir", dir},         // needs --spec-net
		{"--spec-front-end", "64/16/32"}, // needs --spec-net
		{"--spec-one-class"},             // needs --spec-net
		{"--spec-net", "--spec-front-end", "64/16/8"},
		{"--spec-net", "--spec-view", "64/16"},
		{"--spec-net", "--spec-view", "60/16/32"},  // not a power of two
		{"--spec-net", "--spec-view", "64/16/40"},  // more bins than the FFT has
		{"--spec-net", "--spec-view", "64/128/32"}, // a shift longer than the frame
		{"--spec-net", "--spec-view", "64/16/8"},   // too few bins for the network's pooling
		{"--spec-net", "--spec-view", "64/16/32", "--spec-view", "64/16/32", "--spec-view", "64/16/32", "--spec-view", "64/16/32", "--spec-view", "64/16/32"},
	} {
		a := append([]string{"train-spoof", "--bonafide", filepath.Join(dir, "bonaspk"), "--spoof", filepath.Join(dir, "spoof"), "--out", xf}, args...)
		if code := run(a, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, code)
		}
	}
	errb.Reset()
	if code := run([]string{"train-spoof", "--bonafide", filepath.Join(dir, "bona"), "--spoof", filepath.Join(dir, "spoof"),
		"--components", "2", "--iters", "2", "--hold-out", "3", "--hold-out-speakers", "--out", xf}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "too few") {
		t.Errorf("one speaker in three folds: exit %d, stderr %q", code, errb.String())
	}
	// The long-term statistics are scored by a perceptron by default, by a logistic regression
	// with --ltss-hidden 0, which scores the training items as well; a negative count is a usage error.
	if b, err := models.LoadBundle(model); err != nil || b.Spoof.LTSSNet == nil || b.Spoof.LTSSNet.Hidden() != recipe.DefaultSpoofHidden || b.Spoof.LTSS != nil {
		t.Errorf("default countermeasure: %v, perceptron %v", err, b.Spoof.LTSSNet != nil)
	} else if b.Spoof.VQ == nil || b.Spoof.Fusion.VQWeight != recipe.DefaultSpoofVQWeight {
		// Since c31 the defaults include the voice-source scorer, at half rate over 3 s of speech.
		t.Errorf("default countermeasure without its voice-source scorer (weight %g)", b.Spoof.Fusion.VQWeight)
	} else if fe := string(b.Spoof.FrontEnd); !strings.Contains(fe, `"voice_quality_half_rate":true`) || !strings.Contains(fe, `"voice_quality_max_frames":150`) {
		t.Errorf("default countermeasure's front end %s: want the half-rate statistics over 150 frames", fe)
	}
	// --voice-quality --vq-weight: a fourth scorer on the voice-source statistics, which end the
	// long-term statistics; the bundle is format version 7, classifies the training items, and
	// the engine streams it (the spoof command scores through it).
	// Its bona fide files need some voicing, or the statistics of held-out noise have no spread.
	os.MkdirAll(filepath.Join(dir, "bonavq"), 0o755)
	for i := range 6 {
		x := make([]float32, 12000)
		f0, a := 90+20*float64(i), 0.02*float64(i+1)
		for j := range x {
			x[j] = float32(0.05*r.NormFloat64() + a*math.Sin(2*math.Pi*f0*float64(j)/8000))
		}
		writeWAV(t, filepath.Join(dir, "bonavq", fmt.Sprintf("bona%d.wav", i)), x)
	}
	vqModel := filepath.Join(dir, "vq.vxgb")
	errb.Reset()
	vqTrain := []string{"train-spoof", "--bonafide", filepath.Join(dir, "bonavq"), "--spoof", filepath.Join(dir, "spoof"),
		"--components", "2", "--iters", "2", "--hold-out", "3", "--out", vqModel, "--voice-quality", "--vq-weight", "0.2"}
	if code := run(vqTrain, &out, &errb); code != 0 {
		t.Fatalf("train-spoof --voice-quality --vq-weight 0.2: exit %d: %s", code, errb.String())
	}
	if b, err := models.LoadBundle(vqModel); err != nil || b.Spoof.VQ == nil || b.Spoof.VQ.Dim() != dsp.VoiceQualityDim ||
		b.Spoof.LTSSNet.Dim() != dsp.TelephoneLFCC().SpectralStatsDim() || b.Spoof.Fusion.VQWeight != 0.2 {
		t.Fatalf("voice-source countermeasure: %v", err)
	}
	if raw, _ := os.ReadFile(vqModel); binary.LittleEndian.Uint32(raw[4:]) != 7 {
		t.Errorf("voice-source bundle written as version %d, want 7", binary.LittleEndian.Uint32(raw[4:]))
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"spoof", "--model", vqModel, "--wav", filepath.Join(dir, "spoof", "spoof0.wav")}, &out, &errb); code != 0 || !strings.Contains(out.String(), "decision=spoof") {
		t.Errorf("spoof --wav with the voice-source scorer: exit %d, %q, stderr %q", code, out.String(), errb.String())
	}
	lin := filepath.Join(dir, "lin.vxgb")
	if code := run(append(train[:len(train)-1], lin, "--ltss-hidden", "0"), &out, &errb); code != 0 {
		t.Fatalf("train-spoof --ltss-hidden 0: exit %d: %s", code, errb.String())
	}
	if b, err := models.LoadBundle(lin); err != nil || b.Spoof.LTSS == nil || b.Spoof.LTSSNet != nil {
		t.Errorf("--ltss-hidden 0: %v", err)
	}
	out.Reset()
	if code := run([]string{"spoof", "--model", lin, "--list", filepath.Join(dir, "test.scp"), "--key", filepath.Join(dir, "key")}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "EER 0.00%") {
		t.Errorf("logistic countermeasure: exit %d, stderr %q", code, errb.String())
	}
	cmn := filepath.Join(dir, "cmn.vxgb")
	if code := run(append(train[:len(train)-1], cmn, "--static-cmn"), &out, &errb); code != 0 {
		t.Fatalf("train-spoof --static-cmn: exit %d: %s", code, errb.String())
	}
	if b, err := models.LoadBundle(cmn); err != nil || b.Spoof.StaticCMN != 20 {
		t.Errorf("--static-cmn: %v, static_cmn %d, want the 20 static cepstra", err, b.Spoof.StaticCMN)
	}
	for _, w := range []string{"0", "1.5", "-1"} {
		if code := run(append(train[:len(train)-1], lin, "--gmm-weight", w), &out, &errb); code != 2 {
			t.Errorf("--gmm-weight %s: exit %d, want 2", w, code)
		}
	}
	if code := run(append(train[:len(train)-1], lin, "--gmm-weight", "0.5"), &out, &errb); code != 0 {
		t.Fatalf("train-spoof --gmm-weight 0.5: exit %d: %s", code, errb.String())
	}
	if b, err := models.LoadBundle(lin); err != nil || b.Spoof.Fusion.GMMWeight != 0.5 {
		t.Errorf("--gmm-weight 0.5: %v", err)
	}
	if code := run(append(train[:len(train)-1], lin, "--ltss-hidden", "-1"), &out, &errb); code != 2 {
		t.Errorf("--ltss-hidden -1: exit %d, want 2", code)
	}
	// --frame-net adds the frame network to the fusion; bad widths, weights or contexts, and
	// --gmm-only with a network, are usage errors.
	fn := filepath.Join(dir, "fn.vxgb")
	if code := run(append(train[:len(train)-1], fn, "--frame-net", "8,4", "--net-context", "2", "--net-weight", "0.4", "--net-step", "3"), &out, &errb); code != 0 {
		t.Fatalf("train-spoof --frame-net 8,4: exit %d: %s", code, errb.String())
	}
	if b, err := models.LoadBundle(fn); err != nil || b.Spoof.Net == nil || !slices.Equal(b.Spoof.Net.Sizes, []int{5 * 60, 8, 4, 1}) || b.Spoof.Fusion.NetWeight != 0.4 || b.Spoof.Net.Step != 3 {
		t.Errorf("--frame-net 8,4: %v", err)
	} else {
		out.Reset()
		if code := run([]string{"spoof", "--model", fn, "--list", filepath.Join(dir, "test.scp"), "--key", filepath.Join(dir, "key")}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "EER 0.00%") {
			t.Errorf("countermeasure with a frame network: exit %d, stderr %q", code, errb.String())
		}
	}
	for _, extra := range [][]string{{"--frame-net", "0"}, {"--frame-net", "8,x"}, {"--frame-net", "8", "--net-weight", "1.5"},
		{"--frame-net", "8", "--net-context", "0"}, {"--frame-net", "8", "--net-step", "-1"}, {"--frame-net", "8", "--gmm-only"}} {
		if code := run(append(append(train[:len(train)-1:len(train)-1], lin), extra...), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", extra, code)
		}
	}
	// --gmm-only alone drops the default frame network with the long-term statistics.
	if code := run(append(train[:len(train)-1:len(train)-1], lin, "--gmm-only"), &out, &errb); code != 0 {
		t.Fatalf("train-spoof --gmm-only: exit %d: %s", code, errb.String())
	}
	if b, err := models.LoadBundle(lin); err != nil || b.Spoof.Net != nil || b.Spoof.LTSSNet != nil {
		t.Errorf("--gmm-only: %v", err)
	}
	if b, err := models.LoadBundle(model); err != nil || b.Spoof.Net == nil || b.Spoof.Net.Step != recipe.DefaultSpoofNetStep {
		t.Errorf("default countermeasure has no frame network at step %d: %v", recipe.DefaultSpoofNetStep, err)
	}
	// --merge-into keeps the other bundle's sections.
	merged := filepath.Join(dir, "merged.vxgb")
	if code := run(append(train[:len(train)-1], merged, "--merge-into", model), &out, &errb); code != 0 {
		t.Fatalf("train-spoof --merge-into: exit %d: %s", code, errb.String())
	}
	b, err := models.LoadBundle(merged)
	if err != nil || b.Spoof == nil || !strings.Contains(b.Meta.Description, "countermeasure only") {
		t.Errorf("merged bundle: %v, %+v", err, b)
	}
	// Usage errors and a bundle without a countermeasure.
	for _, args := range [][]string{{"spoof"}, {"spoof", "--wav", "a", "--list", "b"}, {"train-spoof", "--out", "x"}} {
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	empty := filepath.Join(dir, "empty.vxgb")
	f, _ := os.Create(empty)
	(&models.Bundle{}).WriteTo(f)
	f.Close()
	errb.Reset()
	if code := run([]string{"spoof", "--model", empty, "--wav", filepath.Join(dir, "bona/bona0.wav")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no spoofing countermeasure") {
		t.Errorf("bundle without countermeasure: exit %d, %q", code, errb.String())
	}
}

// TestTrainSpoofModulationFlags: the modulation options are refused without --modulation, and a
// band range too narrow for the sub-bands is refused, both before any file is read.
func TestTrainSpoofModulationFlags(t *testing.T) {
	base := []string{"train-spoof", "--bonafide", "no/such/dir", "--spoof", "no/such/dir", "--out", "x.vxgb"}
	for _, tc := range []struct {
		extra []string
		want  string
	}{
		{[]string{"--modulation-shape"}, "--modulation-shape needs --modulation"},
		{[]string{"--modulation-low", "250"}, "--modulation-low needs --modulation"},
		{[]string{"--modulation", "--modulation-low", "250", "--modulation-high", "300"}, "modulation range"},
		{[]string{"--voice-quality=false", "--vq-weight", "0.2"}, "--vq-weight 0.2: needs --voice-quality"},
		{[]string{"--voice-quality=false", "--vq-shift-ms", "10"}, "--vq-shift-ms needs --voice-quality"},
		{[]string{"--voice-quality=false", "--vq-half-rate"}, "--vq-half-rate needs --voice-quality"},
		{[]string{"--voice-quality=false", "--vq-phase"}, "--vq-phase needs --voice-quality"},
		{[]string{"--voice-quality", "--frame-net", "", "--vq-weight", "0.1"}, "--vq-weight 0.1: needs"},
		{[]string{"--voice-quality", "--vq-shift-ms", "-5"}, "voice quality"},
		{[]string{"--voice-quality", "--vq-max-frames", "-1"}, "MaxFrames must not be negative"},
		{[]string{"--voice-quality", "--vq-weight", "0.7"}, "--vq-weight 0.7: needs --voice-quality and a weight"},
	} {
		var out, errb bytes.Buffer
		if code := run(append(append([]string{}, base...), tc.extra...), &out, &errb); code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want an error saying %q", tc.extra, code, errb.String(), tc.want)
		}
	}
}

func TestFrameSelectionFlag(t *testing.T) {
	for _, tc := range []struct {
		v     string
		comps int
		want  string
		ok    bool
	}{
		{"32/4", 256, "32/4", true},
		{"auto", 256, "", false},
		{"all", 256, "", true},
		{"16/4", 256, "16/4", true},
		{"64/4", 32, "", false},
		{"4/8", 256, "", false},
		{"x", 256, "", false},
		{"", 256, "", false},
	} {
		got, err := frameSelection(tc.v, tc.comps)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("frameSelection(%q, %d) = %q, %v; want %q, ok %v", tc.v, tc.comps, got, err, tc.want, tc.ok)
		}
	}
}

// TestSpoofFamilies checks train-spoof's families for --balance-spoof: the folder above each
// --spoof folder, so a family's clean, codec and augmented folders are one group.
func TestSpoofFamilies(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"espeak-ng/train", "espeak-ng/train-codec", "aug/espeak-ng/train", "replay/train"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"a.wav", "b.wav"} {
			if err := os.WriteFile(filepath.Join(dir, d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	roots := []string{filepath.Join(dir, "espeak-ng/train"), filepath.Join(dir, "replay/train") + "/",
		filepath.Join(dir, "espeak-ng/train-codec"), filepath.Join(dir, "aug/espeak-ng/train")}
	files, groups, perRoot, n, err := spoofFamilies(roots, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || len(files) != 8 || !slices.Equal(groups, []int{0, 0, 1, 1, 0, 0, 0, 0}) || !slices.Equal(perRoot, []int{2, 2, 2, 2}) {
		t.Fatalf("%d families, %d files, groups %v, per folder %v", n, len(files), groups, perRoot)
	}
	// --family-group: replay joins espeak-ng's group, which appears first.
	alias, err := recipe.ParseFamilyGroups([]string{"tts=espeak-ng, replay"})
	if err != nil {
		t.Fatal(err)
	}
	if _, groups, _, n, err = spoofFamilies(roots, alias); err != nil || n != 1 || !slices.Equal(groups, []int{0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("grouped: %d families, groups %v, %v", n, groups, err)
	}
	alias, _ = recipe.ParseFamilyGroups([]string{"x=replay"})
	if _, groups, _, n, _ = spoofFamilies(roots, alias); n != 2 || !slices.Equal(groups, []int{0, 0, 1, 1, 0, 0, 0, 0}) {
		t.Fatalf("renamed: %d families, groups %v", n, groups)
	}
}

// TestParseSpecView checks train-spoof's --spec-view values: the shipped front end but for the
// frame length, shift and bins given.
func TestParseSpecView(t *testing.T) {
	for _, tc := range []struct {
		in      string
		l, s, b int
		ok      bool
	}{
		{"64/16/32", 64, 16, 32, true},
		{" 128 / 32 / 64 ", 128, 32, 64, true},
		{"256/80/128", 256, 80, 128, true},
		{"64/16/33", 0, 0, 0, true}, // every bin of a 64-point FFT
		{"64/16", 0, 0, 0, false},
		{"64/x/32", 0, 0, 0, false},
		{"64/0/32", 0, 0, 0, false},
	} {
		fe, err := parseSpecView(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: error %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if err == nil && tc.l > 0 && (fe.FrameLength != tc.l || fe.FrameShift != tc.s || fe.Bins != tc.b || fe.SampleRate != 8000 || fe.FloorDB != dsp.TelephoneSpec().FloorDB) {
			t.Errorf("%q: %+v", tc.in, fe)
		}
	}
}
