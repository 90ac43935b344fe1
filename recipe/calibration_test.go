package recipe

import (
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

// hingeRow is a calibration row of the hinged layout (s, s·q, s·h, s·q·h, q·h, h, q) for raw
// scores s at secs seconds of net speech.
func hingeRow(s []float64, secs, knot float64) []float64 {
	q := math.Log(secs)
	h := max(0, q-math.Log(knot))
	row := append([]float64(nil), s...)
	for _, f := range []float64{q, h, q * h} {
		for _, v := range s {
			row = append(row, v*f)
		}
	}
	return append(row, q*h, h, q)
}

// TestTwoStageCalibrationExpands checks that the hinged calibration's expanded weights give
// the same LLR as its two stages (fusion, then duration-dependent scale and offset) and that it
// learns what the synthetic trials hold: scores whose separation grows faster past the knot get a
// scale that grows there.
func TestTwoStageCalibrationExpands(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const knot = 8.0
	tar, non := synthTrials(4000, func(i int, lab float64) []float64 {
		secs := []float64{1, 3, 10, 25}[i%4]
		q := math.Log(secs)
		sep := 1 + q + 3*max(0, q-math.Log(knot)) // separation grows with duration, faster past the knot
		z := r.NormFloat64()
		return hingeRow([]float64{lab*sep/2 + z, lab*sep/2 + z + 0.3*r.NormFloat64()}, secs, knot)
	})
	cal := fitHinged(t, knot, tar, non, 2, false)
	if len(cal.Weights) != 11 {
		t.Fatalf("%d weights, want 11", len(cal.Weights))
	}
	// The expansion: recompute the two stages and compare on every row.
	k, w := 2, 11
	sc := checkTwoStages(t, cal, tar, non, func(row []float64) []float64 {
		return append(append([]float64(nil), row[:2*k]...), row[w-1])
	}, w-2)
	// Above the knot the separation keeps growing faster than a line in q explains: the scale
	// of the fused score grows there.
	if !(sc.Weights[1] > 0) {
		t.Errorf("scale slope above the knot %g, want > 0", sc.Weights[1])
	}
}

// channelRow is a row of the channel-aware hinged layout (s, s·q, s·h, s·q·h, q·h, h, s·p,
// s·p·h, p, p·h, q).
func channelRow(s []float64, secs, knot, p float64) []float64 {
	row := hingeRow(s, secs, knot)
	q, h := row[len(row)-1], row[len(row)-2]
	return extendRow(row[:len(row)-1], s, p, h, q)
}

// extendRow appends to row the scores s times x, then times x·h, then x, x·h and q: how each
// input of the channel-aware (x = p) and enrollment-aware (x = r) layouts extends the row.
func extendRow(row, s []float64, x, h, q float64) []float64 {
	for _, f := range []float64{x, x * h} {
		for _, v := range s {
			row = append(row, v*f)
		}
	}
	return append(row, x, x*h, q)
}

// TestChannelCalibration checks the channel-aware layout: its expanded weights give the same
// LLR as the two stages fitted on the layout's fusion inputs (s, s·q, s·p, p, q), and a scorer
// that is informative only on clean channels gets less weight where the channel is degraded,
// while one that holds up there gets more.
func TestChannelCalibration(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const knot = 8.0
	tar, non := synthTrials(6000, func(i int, lab float64) []float64 {
		secs := []float64{2, 4, 12, 25}[i%4]
		p := []float64{0.02, 0.1, 0.9, 0.98}[(i/4)%4]
		sep := 1 + math.Log(secs)
		clean := lab*sep*(1-p) + r.NormFloat64() // informative on clean channels only
		robust := lab*sep/2 + r.NormFloat64()    // half as informative, whatever the channel
		return channelRow([]float64{clean, robust}, secs, knot, p)
	})
	const k, w = 2, 17
	cal := fitHinged(t, knot, tar, non, k, true)
	if len(cal.Weights) != w {
		t.Fatalf("%d weights, want %d", len(cal.Weights), w)
	}
	checkTwoStages(t, cal, tar, non, func(row []float64) []float64 {
		x := append([]float64(nil), row[:2*k]...)
		return append(append(append(x, row[4*k+2:5*k+2]...), row[6*k+2]), row[w-1])
	}, 4*k+1)
	// Below the knot the weight of scorer i at channel p is w_s[i] + w_sq[i]·q + w_sp[i]·p.
	if !(cal.Weights[4*k+2] < 0) {
		t.Errorf("clean-only scorer: weight change with p %g, want < 0", cal.Weights[4*k+2])
	}
	if !(cal.Weights[4*k+3] > 0) {
		t.Errorf("robust scorer: weight change with p %g, want > 0", cal.Weights[4*k+3])
	}
}

// enrollRow is a row of the enrollment-aware layout: channelRow's, then s·r, s·r·h, r, r·h
// before q, r = ln(enrollment seconds).
func enrollRow(s []float64, secs, enrollSecs, knot, p float64) []float64 {
	row := channelRow(s, secs, knot, p)
	q, h := row[len(row)-1], hingeRow(s, secs, knot)[len(s)*4+1]
	return extendRow(row[:len(row)-1], s, math.Log(enrollSecs), h, q)
}

// TestEnrollDurationCalibration checks the enrollment-aware layout: its expanded weights give
// the same LLR as the two stages fitted on its fusion inputs (s, s·q, s·p, p, s·r, r, q), and a
// scorer whose evidence grows with the enrollment's length gets a weight that grows with r.
func TestEnrollDurationCalibration(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const knot = 8.0
	tar, non := synthTrials(6000, func(i int, lab float64) []float64 {
		secs := []float64{1, 2, 4}[i%3]
		enroll := []float64{3, 20, 40}[(i/3)%3]
		p := []float64{0.05, 0.9}[(i/9)%2]
		sep := math.Log(1+secs) * math.Log(enroll) / 2
		s := lab*sep + r.NormFloat64()*(1+p)
		return enrollRow([]float64{s}, secs, enroll, knot, p)
	})
	const k, w = 1, 15
	if len(tar[0]) != w {
		t.Fatalf("rows of %d, want %d", len(tar[0]), w)
	}
	cal := fitHinged(t, knot, tar, non, k, true)
	if len(cal.Weights) != w {
		t.Fatalf("%d weights, want %d", len(cal.Weights), w)
	}
	checkTwoStages(t, cal, tar, non, func(row []float64) []float64 {
		x := append([]float64(nil), row[:2*k]...)
		x = append(append(x, row[4*k+2:5*k+2]...), row[6*k+2])
		return append(append(append(x, row[6*k+4:7*k+4]...), row[8*k+4]), row[w-1])
	}, 4*k+1)
	if !(cal.Weights[6*k+4] > 0) {
		t.Errorf("weight change with the enrollment's length %g, want > 0", cal.Weights[6*k+4])
	}
}

// synthTrials makes n target rows and n non-target rows, row(i, +1) and row(i, −1) in turn.
func synthTrials(n int, row func(i int, lab float64) []float64) (tar, non [][]float64) {
	for i := range n {
		tar = append(tar, row(i, 1))
		non = append(non, row(i, -1))
	}
	return tar, non
}

// fitHinged trains the hinged calibration (channel-aware or not) with its knot at knot seconds
// on rows of k raw scores.
func fitHinged(t *testing.T, knot float64, tar, non [][]float64, k int, channel bool) *models.Calibration {
	t.Helper()
	c := DefaultTrainConfig()
	c.CalibrationKnot = knot
	cal, err := c.trainCalibration(tar, non, k, channel)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// checkTwoStages fits the two stages of a hinged calibration independently — the fusion on the
// inputs linear picks from a row, then scale and offset bending at h = row[hIdx] — and checks
// that cal, the expanded map, gives the same LLR on the first rows; it returns the second
// stage (scale, scale·h, offset·h weights).
func checkTwoStages(t *testing.T, cal *models.Calibration, tar, non [][]float64, linear func([]float64) []float64, hIdx int) *models.Calibration {
	t.Helper()
	cols := func(rows [][]float64, f func([]float64) []float64) [][]float64 {
		out := make([][]float64, len(rows))
		for i, row := range rows {
			out[i] = f(row)
		}
		return out
	}
	fusion, err := models.TrainCalibration(cols(tar, linear), cols(non, linear), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	stage2 := func(row []float64) []float64 {
		f := fusion.Apply(linear(row)...)
		return []float64{f, f * row[hIdx], row[hIdx]}
	}
	sc, err := models.TrainCalibration(cols(tar, stage2), cols(non, stage2), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range append(tar[:50:50], non[:50]...) {
		want := sc.Apply(stage2(row)...)
		if got := cal.Apply(row...); math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
			t.Fatalf("row %d: expanded %g, two stages %g", i, got, want)
		}
	}
	return sc
}

// TestOperatingPointsHoldAtEveryDuration checks that each stated threshold keeps the false-accept
// rate at or below its value in every duration bin: short trials (4 s) with LLRs uniform on
// [0, 1) and long ones (30 s) uniform on [0, 10) give the long bin's quantiles.
func TestOperatingPointsHoldAtEveryDuration(t *testing.T) {
	cal := &models.Calibration{Weights: []float64{1, 0}} // llr = the first input
	var non [][]float64
	for i := range 10000 {
		u := (float64(i) + 0.5) / 10000
		non = append(non, []float64{u, math.Log(4)}, []float64{10 * u, math.Log(30)})
	}
	non = append(non, []float64{100, math.Log(1)}) // under 3 s: ignored
	pts := operatingPoints(cal, non)
	if len(pts) == 0 || pts[0].FAR != 0.001 {
		t.Fatalf("points %v: want the first at 0.1%% (10 false accepts of 10,000)", pts)
	}
	for _, p := range pts {
		if want := 10 * (1 - p.FAR); math.Abs(p.LLR-want) > 0.01 {
			t.Errorf("FAR %g: threshold %g, want the long bin's %g", p.FAR, p.LLR, want)
		}
	}
}

func TestInFront(t *testing.T) {
	for _, tc := range []struct {
		id                      string
		backendOnly, speedFront bool
		want                    bool
	}{
		{"000010011", true, true, true},
		{"000010011~sp0.9", true, true, true},
		{"000010011~sp0.9", true, false, false},
		{"000010011~aug0", true, true, false},
		{"000010011~sp0.9~aug0", true, true, false}, // degraded copy of a speed copy
		{"000010011~aug0", false, false, true},
		{"000010011~vt0.9", true, true, false}, // formant-warped copies: back ends only
		{"000010011~vt1.1~aug0", true, true, false},
	} {
		c := TrainConfig{AugmentBackendOnly: tc.backendOnly, SpeedFront: tc.speedFront}
		if got := c.inFront(Utt{ID: tc.id}); got != tc.want {
			t.Errorf("%s (backend-only %v, speed-front %v): %v, want %v", tc.id, tc.backendOnly, tc.speedFront, got, tc.want)
		}
	}
}

func TestInExtractor(t *testing.T) {
	for _, tc := range []struct {
		id                 string
		backendOnly, augEx bool
		want               bool
	}{
		{"000010011", true, true, true},
		{"000010011~sp0.9", true, true, true},
		{"000010011~aug0", true, false, false},
		{"000010011~aug0", true, true, true},
		{"000010011~sp0.9~aug0", true, true, true},
		{"000010011~aug0", false, false, true}, // --augment-front: everything
		{"000010011~vt0.9", true, true, false},
		{"000010011~vt0.9~aug0", true, true, false}, // not with the other degraded copies
		{"000010011~vt0.9", false, false, true},
		{"000010011~vt0.9~aug0", true, false, false},
	} {
		c := TrainConfig{AugmentBackendOnly: tc.backendOnly, SpeedFront: true, AugmentExtractor: tc.augEx}
		if got := c.inExtractor(Utt{ID: tc.id}); got != tc.want {
			t.Errorf("%s (backend-only %v, augment-extractor %v): %v, want %v", tc.id, tc.backendOnly, tc.augEx, got, tc.want)
		}
		// --formant-extractor changes only the formant-warped copies: all of them with
		// --augment-extractor, the clean ones without.
		c.FormantExtractor = true
		want := tc.want
		if formantCopy(Utt{ID: tc.id}) && tc.backendOnly {
			want = tc.augEx || !degraded(Utt{ID: tc.id})
		}
		if got := c.inExtractor(Utt{ID: tc.id}); got != want {
			t.Errorf("%s (formant-extractor, backend-only %v, augment-extractor %v): %v, want %v", tc.id, tc.backendOnly, tc.augEx, got, want)
		}
		if c.inFront(Utt{ID: tc.id}) && !c.inExtractor(Utt{ID: tc.id}) {
			t.Errorf("%s trains the UBM but not the extractor", tc.id)
		}
	}
}

// Second and later degraded copies (make_augmented.py --first-copy) stay out of the extractor
// with ExtraCopies "backends" or "calibration", and only they; "extractor" and "calibration"
// keep them out of the back ends.
func TestLaterCopy(t *testing.T) {
	for _, tc := range []struct {
		id          string
		later, inEx bool
	}{
		{"000010011", false, true},
		{"000010011~aug0", false, true},
		{"000010011~aug1", true, false},
		{"000010011~aug12", true, false},
		{"000010011~sp0.9~aug0", false, true},
		{"000010011~sp0.9~aug1", true, false},
		{"000010011~sp0.9", false, true},
	} {
		u := Utt{ID: tc.id}
		if got := laterCopy(u); got != tc.later {
			t.Errorf("laterCopy(%s) = %v, want %v", tc.id, got, tc.later)
		}
		for _, mode := range []string{"", ExtraCopiesAll, ExtraCopiesBackends, ExtraCopiesExtractor, ExtraCopiesCalibration} {
			c := TrainConfig{AugmentBackendOnly: true, SpeedFront: true, AugmentExtractor: true, ExtraCopies: mode}
			wantEx := tc.inEx || mode == "" || mode == ExtraCopiesAll || mode == ExtraCopiesExtractor
			if got := c.inExtractor(u); got != wantEx {
				t.Errorf("%s: inExtractor(%s) = %v, want %v", mode, tc.id, got, wantEx)
			}
			wantOut := tc.later && (mode == ExtraCopiesExtractor || mode == ExtraCopiesCalibration)
			if got := c.outOfBackEnds(u); got != wantOut {
				t.Errorf("%s: outOfBackEnds(%s) = %v, want %v", mode, tc.id, got, wantOut)
			}
		}
		c := TrainConfig{AugmentBackendOnly: true, SpeedFront: true, AugmentExtractor: true, ExtraCopies: ExtraCopiesCalibration}
		c.AugmentBackendOnly = false // --augment-front: every copy trains the UBM and extractor
		if !c.inExtractor(u) {
			t.Errorf("%s is out of the extractor with --augment-front", tc.id)
		}
	}
}

// Each kind of training copy is told by its name: the back ends' new speakers (speed-perturbed,
// formant-warped), their degraded copies (the third back end's alone), and the originals'.
func TestCopyKinds(t *testing.T) {
	for _, tc := range []struct {
		id                                     string
		original, speed, formant, deg, degPert bool
	}{
		{"000010011", true, false, false, false, false},
		{"000010011~aug0", false, false, false, true, false},
		{"000010011~sp0.9", false, true, false, false, false},
		{"000010011~sp1.1~aug0", false, true, false, true, true},
		{"000010011~vt0.9", false, false, true, false, false},
		{"000010011~vt1.1~aug0", false, false, true, true, true},
	} {
		u := Utt{ID: tc.id}
		got := [5]bool{original(u), speedCopy(u), formantCopy(u), degraded(u), degradedSpeed(u)}
		if want := [5]bool{tc.original, tc.speed, tc.formant, tc.deg, tc.degPert}; got != want {
			t.Errorf("%s: original, speed, formant, degraded, degraded perturbed = %v, want %v", tc.id, got, want)
		}
	}
}

func TestReadSexes(t *testing.T) {
	for _, tc := range []struct {
		name, tsv string
		want      map[string]string
	}{
		{"gender column", "speaker\tgender\tage\n0001\tm\t6\n0002\tF\t30\n", map[string]string{"corp/0001": "m", "corp/0002": "f"}},
		{"no such column", "speaker\taccent\n0001\tgreek\n", nil},
		{"no file", "", nil},
	} {
		dir := filepath.Join(t.TempDir(), "corp")
		os.MkdirAll(dir, 0o755)
		if tc.tsv != "" {
			os.WriteFile(filepath.Join(dir, "speakers.tsv"), []byte(tc.tsv), 0o644)
		}
		got, err := ReadSexes(dir)
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

// TestShortRecording checks the calibration's short recordings: with a front end whose frames do
// not depend on later audio (no deltas, normalisation or VAD) they are exactly the whole
// recording's first n frames; with the telephone front end, at most n voiced frames, normalised
// over the cut recording (so not the whole recording's frames).
func TestShortRecording(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpora(t), "speechocean762", "*", "*.wav"))
	if len(files) == 0 {
		t.Fatal("no speechocean762 recordings")
	}
	path := files[0]
	plain := dsp.FrontendConfig{MFCC: dsp.TelephoneMFCC(), Norm: dsp.NormNone}
	for _, tc := range []struct {
		name  string
		cfg   dsp.FrontendConfig
		exact bool
	}{{"frame by frame", plain, true}, {"telephone", dsp.TelephoneFrontend(), false}} {
		x, err := NewFeatureExtractor(tc.cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := x.FromFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{25, 100} {
			got, err := shortRecording(x, path, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || len(got) > n {
				t.Fatalf("%s, %d frames: got %d", tc.name, n, len(got))
			}
			same := len(got) == n
			for i := range got {
				for k := range got[i] {
					same = same && got[i][k] == whole.Frames[i][k]
				}
			}
			if same != tc.exact {
				t.Errorf("%s, %d frames: the whole recording's first frames %v, want %v", tc.name, n, same, tc.exact)
			}
		}
	}
}
