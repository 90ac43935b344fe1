package recipe

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/voxguard/voxguard/dsp"
)

// With condition groups, every group's false-alarm rate holds: the threshold is the largest of
// the groups' thresholds.
func TestSpoofOperatingPointsPerGroup(t *testing.T) {
	var scores []float64
	var groups []int
	for i := range 100 {
		scores = append(scores, float64(i)) // group 0: 0..99
		groups = append(groups, 0)
		scores = append(scores, float64(i)+50) // group 1: 50..149, scored higher (e.g. codecs)
		groups = append(groups, 1)
	}
	for _, tc := range []struct {
		name   string
		groups []int
		want   float64 // threshold at 1%: at most one score of 100 (or two of 200) above it
	}{
		{"pooled", nil, 147},
		{"per group", groups, 148},
	} {
		pts := spoofOperatingPoints(scores, tc.groups, nil, []float64{0.01}, 0)
		if got := pts[0].LLR; got <= tc.want || got > tc.want+1e-9 {
			t.Errorf("%s: threshold %v, want just above %v", tc.name, got, tc.want)
		}
	}
	// Groups too small to measure 1% are ignored.
	pts := spoofOperatingPoints([]float64{1, 2, 3, 100}, []int{0, 0, 0, 1}, nil, []float64{0.5}, 0)
	if got := pts[0].LLR; got > 3.0001 {
		t.Errorf("small group changed the threshold to %v", got)
	}
}

// TestSpeakerBootstrapThresholds: with ThresholdConfidence the threshold is never below the plain
// quantile, grows with the confidence, is reproducible, and leaves a wider margin when the high
// scores cluster in one speaker than when the same scores are spread over all speakers.
func TestSpeakerBootstrapThresholds(t *testing.T) {
	// 50 speakers of 20 scores each; the 20 highest of the 1,000 scores all belong to speaker 0
	// (clustered) or one to each of the first 20 speakers (spread).
	var scores []float64
	var clustered, spread []string
	for s := range 50 {
		for k := range 20 {
			scores = append(scores, float64(s*20+k))
		}
	}
	for i := range scores {
		clustered = append(clustered, fmt.Sprint("c", 49-i/20))
		spread = append(spread, fmt.Sprint("s", i%50))
	}
	fars := []float64{0.01}
	plain := spoofOperatingPoints(scores, nil, nil, fars, 0)[0].LLR
	if plain <= 989 || plain > 989+1e-9 {
		t.Fatalf("plain threshold %v, want just above 989", plain)
	}
	th := map[string]float64{}
	for _, tc := range []struct {
		name string
		spk  []string
		conf float64
	}{
		{"clustered 0.5", clustered, 0.5},
		{"clustered 0.9", clustered, 0.9},
		{"spread 0.9", spread, 0.9},
	} {
		a := spoofOperatingPoints(scores, nil, tc.spk, fars, tc.conf)[0].LLR
		b := spoofOperatingPoints(scores, nil, tc.spk, fars, tc.conf)[0].LLR
		if a != b {
			t.Errorf("%s: not reproducible: %v then %v", tc.name, a, b)
		}
		if a < plain {
			t.Errorf("%s: threshold %v under the plain quantile %v", tc.name, a, plain)
		}
		th[tc.name] = a
	}
	if !(th["clustered 0.9"] > th["clustered 0.5"]) {
		t.Errorf("confidence 0.9 threshold %v not above 0.5's %v", th["clustered 0.9"], th["clustered 0.5"])
	}
	if !(th["clustered 0.9"]-plain > th["spread 0.9"]-plain) {
		t.Errorf("clustered margin %v not above spread margin %v", th["clustered 0.9"]-plain, th["spread 0.9"]-plain)
	}
	// With groups the threshold is the largest of the pooled one and the groups' (a group of
	// too few scores left out).
	g := make([]int, len(scores))
	g[0] = 1
	if got := spoofOperatingPoints(scores, g, clustered, fars, 0.9)[0].LLR; got < th["clustered 0.9"] {
		t.Errorf("grouped: %v, under the pooled %v", got, th["clustered 0.9"])
	}
}

func TestListWAVs(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a/x.wav", "a/b/y.WAV", "a/z.txt", "c.wav"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), nil, 0o644)
	}
	got, err := ListWAVs([]string{filepath.Join(dir, "a"), filepath.Join(dir, "c.wav")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/b/y.WAV", "a/x.wav", "c.wav"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != filepath.Join(dir, want[i]) {
			t.Errorf("file %d: %s, want %s", i, got[i], want[i])
		}
	}
	if _, err := ListWAVs([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("missing folder accepted")
	}
}

// With the prosodic features the statistics are ProsodyDim longer and end with the pitch
// tracker's features of the same samples; without, their width is the older bundles'.
func TestSpoofFeaturesProsody(t *testing.T) {
	x := make([]float32, 8000)
	for i := range x {
		if i%64 == 0 {
			x[i] = 0.5 // a 125 Hz pulse train
		}
	}
	cfg := dsp.TelephoneLFCC()
	plain, err := SpoofFeaturesOfSamples(x, cfg, DefaultSpoofMinLevelDB)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Prosody = true
	pro, err := SpoofFeaturesOfSamples(x, cfg, DefaultSpoofMinLevelDB)
	if err != nil {
		t.Fatal(err)
	}
	if len(pro.Stats) != len(plain.Stats)+dsp.ProsodyDim {
		t.Fatalf("widths %d and %d", len(pro.Stats), len(plain.Stats))
	}
	p := dsp.NewPitchTracker(8000, DefaultSpoofMinLevelDB)
	p.Push(x)
	want := make([]float64, dsp.ProsodyDim)
	p.Features(want)
	for i, w := range want {
		if got := pro.Stats[len(plain.Stats)+i]; got != w {
			t.Errorf("feature %d: %g, want %g", i, got, w)
		}
	}
	for i, v := range plain.Stats {
		if pro.Stats[i] != v {
			t.Fatalf("spectral statistic %d changed: %g, was %g", i, pro.Stats[i], v)
		}
	}
}

func TestSpeakerOfPath(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"bench/out/spoof/bonafide/train/mi1088_1088-134315-0003.wav", "mi1088"},
		{"bench/out/spoof/bonafide/train-codec/sp9645_096450020.wav", "sp9645"},
		{"../shared/corpora/speechocean762/0006/000060101.wav", "0006"},
		{"corpus/spk/utt_with_underscore.wav", "utt"},
		{"corpus/spk/_leading.wav", "spk"},
		{"solo.wav", "."},
		// copies keep their original's speaker
		{"bench/out/spoof/bonafide/train-noise/n_mi1088_1088-134315-0003.wav", "mi1088"},
		{"bench/out/spoof/bonafide/train-telmob/tm_sp9645_096450020.wav", "sp9645"},
		{"x/p_n_sp0001_u.wav", "sp0001"},
		{"x/ab_c.wav", "ab"},          // no speaker key after the prefix: the prefix is the speaker
		{"x/abc_sp0001_u.wav", "abc"}, // three letters: not a copy prefix
		{"x/N_sp0001_u.wav", "N"},     // upper case: not a copy prefix
	} {
		if got := SpeakerOfPath(c.path); got != c.want {
			t.Errorf("SpeakerOfPath(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

// TestBalancedFrames checks the spoof GMM's family-balanced sample: n/len(groups) frames from
// each group, all of a group with fewer, each frame drawn from its own group.
func TestBalancedFrames(t *testing.T) {
	mk := func(g, n int) [][]float32 {
		out := make([][]float32, n)
		for i := range out {
			out[i] = []float32{float32(g), float32(i)}
		}
		return out
	}
	tests := []struct {
		name  string
		sizes map[int]int
		n     int
		want  map[int]int
	}{
		{"a long family does not outweigh a short one", map[int]int{0: 5000, 1: 300}, 400, map[int]int{0: 200, 1: 200}},
		{"a group smaller than its share gives all it has", map[int]int{0: 5000, 1: 50, 2: 900}, 600, map[int]int{0: 200, 1: 50, 2: 200}},
		{"one group", map[int]int{3: 1000}, 100, map[int]int{3: 100}},
	}
	for _, tc := range tests {
		groups := map[int][][]float32{}
		for g, n := range tc.sizes {
			groups[g] = mk(g, n)
		}
		got := map[int]int{}
		for _, f := range BalancedFrames(groups, tc.n) {
			got[int(f[0])]++
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: frames per group %v, want %v", tc.name, got, tc.want)
		}
		again := BalancedFrames(groups, tc.n)
		if first := BalancedFrames(groups, tc.n); !reflect.DeepEqual(first, again) {
			t.Errorf("%s: not deterministic", tc.name)
		}
		// SpoofTrainConfig.Seed: offset 0 is BalancedFrames; another offset draws other frames
		// in the same numbers per group.
		if !reflect.DeepEqual(balancedFrames(groups, tc.n, 0), again) {
			t.Errorf("%s: offset 0 differs from BalancedFrames", tc.name)
		}
		other := balancedFrames(groups, tc.n, 1000)
		perGroup := map[int]int{}
		for _, f := range other {
			perGroup[int(f[0])]++
		}
		if !reflect.DeepEqual(perGroup, tc.want) || reflect.DeepEqual(other, again) {
			t.Errorf("%s: offset 1000 gives %v frames per group, same draw %v", tc.name, perGroup, reflect.DeepEqual(other, again))
		}
	}
}

// TestRepeatByGroup checks the frame network's family balance: each group's recordings repeated
// a whole number of times to about the frames of the largest group, frames shared, not copied.
func TestRepeatByGroup(t *testing.T) {
	rec := func(n int) *SpoofFeatures { return &SpoofFeatures{Frames: make([][]float32, n)} }
	long, short1, short2 := rec(500), rec(120), rec(130)
	recs := []*SpoofFeatures{long, short1, short2}
	out := repeatByGroup(recs, []int{0, 1, 1})
	count := map[*SpoofFeatures]int{}
	frames := map[int]int{}
	for _, r := range out {
		count[r]++
		if r == long {
			frames[0] += len(r.Frames)
		} else {
			frames[1] += len(r.Frames)
		}
	}
	if count[long] != 1 || count[short1] != 2 || count[short2] != 2 {
		t.Fatalf("repetitions %d, %d, %d; want 1, 2, 2", count[long], count[short1], count[short2])
	}
	if frames[0] != 500 || frames[1] != 500 {
		t.Fatalf("frames per group %v, want 500 each", frames)
	}
	if got := repeatByGroup(recs, []int{0, 0, 0}); len(got) != 3 {
		t.Fatalf("one group: %d recordings, want the 3 unchanged", len(got))
	}
}

// TestParseFamilyGroups checks ParseFamilyGroups (train-spoof's and lofo's --family-group) and its errors.
func TestParseFamilyGroups(t *testing.T) {
	for _, tc := range []struct {
		vals []string
		want map[string]string
		ok   bool
	}{
		{nil, map[string]string{}, true},
		{[]string{"tts=a,b", "deb=c"}, map[string]string{"a": "tts", "b": "tts", "c": "deb"}, true},
		{[]string{" g = a , ,b "}, map[string]string{"a": "g", "b": "g"}, true},
		{[]string{"tts"}, nil, false},
		{[]string{"=a"}, nil, false},
		{[]string{"g="}, nil, false},
		{[]string{"g=a", "h=a"}, nil, false},
	} {
		got, err := ParseFamilyGroups(tc.vals)
		if (err == nil) != tc.ok || (tc.ok && !maps.Equal(got, tc.want)) {
			t.Errorf("ParseFamilyGroups(%q) = %v, %v; want %v, ok %v", tc.vals, got, err, tc.want, tc.ok)
		}
	}
}
