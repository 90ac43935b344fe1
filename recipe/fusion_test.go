package recipe

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

// TestFuseSystems trains two tiny systems on the same recordings with different front ends (mel
// and linear filterbanks), fuses them on the held-out calibration trials both runs wrote, and
// checks that the fused bundle survives a file round trip as format version 9 and that `score`
// gives every trial exactly the fusion of the two systems' own LLRs.
func TestFuseSystems(t *testing.T) {
	dir, _ := miniCorpus(t, 16, 10)
	ents, _ := os.ReadDir(dir)
	var held []string
	ex := map[string]bool{}
	for _, e := range ents[12:] {
		held = append(held, e.Name())
		ex["speechocean762/"+e.Name()] = true
	}
	ca := tinyConfig(dir, ex)
	ca.WorkDir = t.TempDir()
	cb := tinyConfig(dir, ex)
	cb.WorkDir = t.TempDir()
	cb.Frontend.MFCC.Scale, cb.Frontend.MFCC.NumMelBins = dsp.ScaleLinear, 30
	ba, err := Train(ca)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := Train(cb)
	if err != nil {
		t.Fatal(err)
	}
	ta, err := ReadCalibrationTrials(filepath.Join(ca.WorkDir, CalibrationTrialsFile))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := ReadCalibrationTrials(filepath.Join(cb.WorkDir, CalibrationTrialsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(ta) == 0 || len(ta) != len(tb) {
		t.Fatalf("held-out trials: %d and %d, want equal and non-zero", len(ta), len(tb))
	}
	var log bytes.Buffer
	fused, err := FuseSystems(ba, bb, ta, tb, ca.FusionMaxSeconds, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(log.String())
	if fused.Second == nil || len(fused.Meta.Fusion) != 3 || ba.Second != nil || len(ba.Meta.Fusion) != 0 {
		t.Fatalf("fused bundle: second %v, fusion %v; the input must stay as it was", fused.Second != nil, fused.Meta.Fusion)
	}
	if len(fused.Meta.FARThresholds) == 0 {
		t.Error("fused bundle: no false-accept thresholds")
	}
	if !reflect.DeepEqual(fused.Meta.FirstFARThresholds, ba.Meta.FARThresholds) || len(ba.Meta.FARThresholds) == 0 {
		t.Error("fused bundle: the first system's own operating points not kept")
	}
	if fused.Meta.FusionMaxSeconds != 10 {
		t.Errorf("fused bundle: fusion limit %g s, want the default 10", fused.Meta.FusionMaxSeconds)
	}
	// Train with SecondFrontend does the same in one run.
	cs := tinyConfig(dir, ex)
	cs.WorkDir = t.TempDir()
	second := cb.Frontend
	cs.SecondFrontend = &second
	one, err := Train(cs)
	if err != nil {
		t.Fatal(err)
	}
	// ... and sizes the second system apart when asked.
	small := cs
	small.WorkDir = t.TempDir()
	small.SecondComponents, small.SecondIVectorDim, small.SecondSelectionGroups = 16, 12, "4/2"
	if sm, err := Train(small); err != nil || sm.Second.UBM.C != 16 || sm.Second.Extractor.R != 12 || sm.UBM.C != 32 {
		t.Errorf("second system sized 16 / 12: %v", err)
	}
	var w1, w2 bytes.Buffer
	f2 := *fused
	f2.Meta.Created, one.Meta.Created = "", ""
	s1, s2 := *f2.Second, *one.Second
	s1.Meta.Created, s2.Meta.Created = "", ""
	f2.Second, one.Second = &s1, &s2
	f2.WriteTo(&w1)
	one.WriteTo(&w2)
	if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
		t.Error("Train with SecondFrontend differs from the two systems trained apart and fused")
	}
	if _, err := os.Stat(filepath.Join(cs.WorkDir, SecondSubdir, CalibrationTrialsFile)); err != nil {
		t.Errorf("second system's held-out trials: %v", err)
	}
	cs.WorkDir = ""
	if _, err := Train(cs); err == nil {
		t.Error("a second system trained without a work folder")
	}

	path := filepath.Join(t.TempDir(), "ab.vxgb")
	if err := WriteBundleFile(path, fused); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if v := binary.LittleEndian.Uint32(raw[4:]); v != 10 { // 9 for the second system, 10 for T in half precision
		t.Errorf("fused bundle written as version %d, want 10", v)
	}
	back, err := models.ReadBundleFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vf, err := models.NewVerifier(back)
	if err != nil {
		t.Fatal(err)
	}
	if vf.Second() == nil {
		t.Fatal("read back: no second system")
	}

	enroll, tests, trials := heldOutLists(dir, held)
	score := func(b *models.Bundle) *ScoreResult {
		v, err := models.NewVerifier(b)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ScoreLists(v, enroll, tests, trials, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Each system alone, as read back (bundles store float32, so the in-memory ones differ).
	first := *back
	first.Second, first.Meta.Fusion = nil, nil
	ra, rb := score(&first), score(back.Second)
	rf, err := ScoreLists(vf, enroll, tests, trials, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rf.Insufficient != len(held) {
		t.Errorf("fused: %d insufficient trials, want %d (the silence file)", rf.Insufficient, len(held))
	}
	for i, s := range rf.Scores {
		want := back.FuseLLR(ra.Scores[i].Score, rb.Scores[i].Score)
		if trials[i].Test == "silence" {
			want = 0
		}
		if math.Abs(s.Score-want) > 1e-9 {
			t.Errorf("trial %v: fused LLR %g, want %g (from %g and %g)", trials[i], s.Score, want, ra.Scores[i].Score, rb.Scores[i].Score)
		}
	}
	// Domain adaptation centres each system on its own statistics' mean.
	cfg, _ := FrontendOf(back)
	var files []string
	for _, p := range tests {
		files = append(files, p.Path)
	}
	st, err := FileStats(back, cfg, files, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	ad, n, err := AdaptToDomain(vf, st, 0, func(int, float64) string { return "test" }, 2, nil)
	if err != nil || n == 0 || ad.Second == nil {
		t.Fatalf("AdaptToDomain: %d recordings, second %v, %v", n, ad != nil && ad.Second != nil, err)
	}
	if reflect.DeepEqual(ad.Second.LDA.Mean, back.Second.LDA.Mean) || reflect.DeepEqual(ad.LDA.Mean, back.LDA.Mean) {
		t.Error("adaptation left a system's LDA mean as trained")
	}
	if ad.Second.Meta.Extra[models.DomainAdaptedKey] != "test" {
		t.Error("the second system's adaptation is not recorded")
	}
	if _, err := ScoreListsWith(vf, enroll, tests, trials, ScoreOptions{Workers: 2, AdaptMean: true}); err != nil {
		t.Errorf("score --adapt-mean with a second system: %v", err)
	}
}

// TestFuseSystemsWeights checks the fusion on synthetic held-out trials whose first system is
// noise and whose second is a calibrated LLR: the fusion leans on the second alone, and keys
// matching too few trials are refused.
func TestFuseSystemsWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var a, b []CalibrationTrial
	for i := range 20000 {
		tgt := i%10 == 0
		// Scores x ~ N(∓2, 2²) for non-targets and targets: the LLR of x is (μ₁−μ₀)/σ²·x = x,
		// so x is calibrated as it is.
		x := 2*r.NormFloat64() - 2
		if tgt {
			x += 4
		}
		k := uint64(i)*2654435761 + 7
		a = append(a, CalibrationTrial{Key: k, Target: tgt, SameSex: true, LLR: r.NormFloat64(), Q: math.Log(10), PWorse: math.NaN()})
		b = append(b, CalibrationTrial{Key: k, Target: tgt, SameSex: true, LLR: x, Q: math.Log(10), PWorse: math.NaN()})
	}
	pa, pb := testBundle(t), testBundle(t)
	f, err := FuseSystems(pa, pb, a, b, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := f.Meta.Fusion
	if math.Abs(w[0]) > 0.05 || math.Abs(w[1]-1) > 0.1 || math.Abs(w[2]) > 0.2 {
		t.Errorf("fusion %v, want about [0 1 0]", w)
	}
	if _, err := FuseSystems(pa, pb, a, b, -1, nil); err == nil {
		t.Error("a negative fusion limit accepted")
	}

	// With a limit: trials of 20 s where the first system is the calibrated one and the second
	// noise. The fusion learns from the 10 s trials alone (about [0 1 0] again, where all
	// trials pooled would lean on both), and the thresholds are measured on what the bundle
	// gives: the fusion's LLR under the limit, the first system's from it on.
	long := func(x []CalibrationTrial, swap bool) []CalibrationTrial {
		out := slices.Clone(x)
		for i := range x {
			t := x[i]
			t.Key += 1 << 40
			t.Q = math.Log(20)
			if swap {
				t.LLR = b[i].LLR + 1 // the first system: more impostors pass, so its bin sets the thresholds
			} else {
				t.LLR = a[i].LLR
			}
			out = append(out, t)
		}
		return out
	}
	a2, b2 := long(a, true), long(b, false)
	g, err := FuseSystems(pa, pb, a2, b2, 15, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := g.Meta.Fusion; math.Abs(w[0]) > 0.05 || math.Abs(w[1]-1) > 0.1 || math.Abs(w[2]) > 0.2 || g.Meta.FusionMaxSeconds != 15 {
		t.Errorf("fusion under 15 s %v (limit %g), want about [0 1 0] (15)", w, g.Meta.FusionMaxSeconds)
	}
	all, err := FuseSystems(pa, pb, a2, b2, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := all.Meta.Fusion; w[0] < 0.2 {
		t.Errorf("fusion of every trial %v: want weight on the first system too", w)
	}
	// 1 % of the long non-targets' first-system LLRs (shifted by +1, so that their bin sets the
	// threshold) lie above the 1 % threshold, and no more than 1 % of the short ones' fused LLRs
	// (had the long trials been fused, the threshold would be the short bin's, ~1 nat lower).
	thr := math.NaN()
	for _, p := range g.Meta.FARThresholds {
		if p.FAR == 0.01 {
			thr = p.LLR
		}
	}
	var nl, al, ns, as int
	for i, t := range a2 {
		if t.Target {
			continue
		}
		if t.Q > math.Log(15) {
			nl++
			if t.LLR > thr {
				al++
			}
		} else {
			ns++
			if g.FuseLLR(t.LLR, b2[i].LLR) > thr {
				as++
			}
		}
	}
	if fl, fs := float64(al)/float64(nl), float64(as)/float64(ns); math.Abs(fl-0.01) > 0.002 || fs > 0.012 {
		t.Errorf("1%% FAR threshold %.3f: %.4f of long non-targets above (want 0.01), %.4f of short ones (want at most)", thr, fl, fs)
	}
	// Shuffled keys: nothing matches.
	for i := range b {
		b[i].Key++
	}
	if _, err := FuseSystems(pa, pb, a, b, 0, nil); err == nil {
		t.Error("fused systems whose trials do not match")
	}
}

// testBundle is a bundle with metadata alone: FuseSystems reads no model in it.
func testBundle(*testing.T) *models.Bundle {
	return &models.Bundle{Meta: models.Metadata{FrontEnd: []byte(`{}`)}}
}
