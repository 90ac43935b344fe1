package engine

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

// noise is white noise at 8 kHz; buzz is a 120 Hz pulse train (crudely "synthetic").
func noise(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(0.1 * r.NormFloat64())
	}
	return x
}

func buzz(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, n)
	f0 := 100 + 40*r.Float64()
	for i := range x {
		var v float64
		for h := 1.0; h*f0 < 3800; h++ {
			v += math.Sin(2 * math.Pi * f0 * h * float64(i) / 8000)
		}
		x[i] = float32(0.02*v + 0.001*r.NormFloat64())
	}
	return x
}

// trainCM trains a small countermeasure whose bona fide class is bona and spoof class is spoof,
// with the long-term-statistics system when ltss is set; its operating points are set on held
// (bona fide) recordings.
func trainCM(t testing.TB, bona, spoof, held [][]float32, ltss bool) *models.Countermeasure {
	t.Helper()
	return trainCMWith(t, dsp.TelephoneLFCC(), bona, spoof, held, ltss)
}

// trainCMWith is trainCM with front end cfg (e.g. with the prosodic features).
func trainCMWith(t testing.TB, cfg dsp.LFCCConfig, bona, spoof, held [][]float32, ltss bool) *models.Countermeasure {
	t.Helper()
	frames := func(recs [][]float32) [][]float32 {
		var out [][]float32
		for _, x := range recs {
			f, lv, err := dsp.ComputeLFCC(x, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := range f {
				if lv[i] >= -50 {
					out = append(out, f[i])
				}
			}
		}
		return out
	}
	gb, _, err := models.TrainUBM(frames(bona), models.UBMConfig{Components: 4, Iters: 3})
	if err != nil {
		t.Fatal(err)
	}
	gs, _, err := models.TrainUBM(frames(spoof), models.UBMConfig{Components: 4, Iters: 3})
	if err != nil {
		t.Fatal(err)
	}
	fe, _ := json.Marshal(cfg)
	cm := &models.Countermeasure{FrontEnd: fe, MinLevelDB: -50, Bonafide: gb, Spoof: gs}
	if err := cm.Prepare(); err != nil {
		t.Fatal(err)
	}
	stats := func(recs [][]float32) [][]float64 {
		var out [][]float64
		for _, x := range recs {
			l, _ := dsp.NewLFCC(cfg)
			l.EnableSpectralStats(-50)
			l.Push(x)
			v := make([]float64, cfg.SpectralStatsDim())
			l.SpectralStats(v)
			out = append(out, v)
		}
		return out
	}
	if ltss {
		if cm.LTSS, err = models.TrainLogistic(stats(spoof), stats(bona), 0.1, 0); err != nil {
			t.Fatal(err)
		}
	}
	var gmm, lin []float64
	for i, x := range held {
		sc := models.NewSpoofScorer(cm)
		f, lv, _ := dsp.ComputeLFCC(x, cfg)
		for i := range f {
			sc.Add(f[i], lv[i])
		}
		gmm = append(gmm, sc.LLR())
		if ltss {
			lin = append(lin, cm.LTSS.Score(stats(held[i : i+1])[0]))
		}
	}
	if ltss {
		if cm.Fusion, err = models.NewSpoofFusion(gmm, lin, 0.5); err != nil {
			t.Fatal(err)
		}
		for i := range gmm {
			gmm[i] = cm.Fusion.Fuse(gmm[i], lin[i])
		}
	}
	cm.FARThresholds = models.OperatingPoints(gmm, []float64{0.01, 0.05})
	return cm
}

// cmTrainingSets is four recordings each of noise (bona fide), buzz (spoof) and other noise
// (held out for the thresholds), 2 s at 8 kHz.
func cmTrainingSets() (bona, spoof, held [][]float32) {
	for i := range uint64(4) {
		bona = append(bona, noise(i, 16000))
		spoof = append(spoof, buzz(i, 16000))
		held = append(held, noise(100+i, 16000))
	}
	return bona, spoof, held
}

func TestSpoofDetector(t *testing.T) {
	bona, spoof, held := cmTrainingSets()
	for _, ltss := range []bool{false, true} {
		testDetector(t, trainCM(t, bona, spoof, held, ltss))
	}
	if _, err := NewSpoofDetector(nil, 0.01); err == nil {
		t.Error("nil countermeasure accepted")
	}
	cm := trainCM(t, bona, spoof, held[:0], false)
	if _, err := NewSpoofDetector(cm, 0.01); err == nil {
		t.Error("countermeasure without operating points accepted")
	}
}

func testDetector(t *testing.T, cm *models.Countermeasure) {
	d, err := NewSpoofDetector(cm, DefaultSpoofFAR)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		x    []float32
		want Decision
	}{
		{"noise", noise(50, 24000), BonaFide},
		{"buzz", buzz(51, 24000), Spoofed},
		{"short buzz", buzz(52, 4000), Inconclusive},
	} {
		got := d.Score(tc.x)
		if got.Decision != tc.want {
			t.Errorf("%s (linear scorer %v): %+v, want decision %s (threshold %v)", tc.name, cm.LTSS != nil, got, tc.want, d.Threshold())
		}
		// Streaming in random chunks ends exactly at the batch verdict.
		r := rand.New(rand.NewPCG(7, 8))
		st := d.NewStream()
		for pos := 0; pos < len(tc.x); {
			n := min(len(tc.x)-pos, 1+r.IntN(900))
			st.Push(tc.x[pos : pos+n])
			pos += n
		}
		if fin := st.Final(); fin != got {
			t.Errorf("%s: streaming verdict %+v, batch %+v", tc.name, fin, got)
		}
	}
}

func TestApplySpoofOutranksMatch(t *testing.T) {
	for _, tc := range []struct {
		sp         Spoof
		wantReason bool
		wantDec    Decision
	}{
		{Spoof{LLR: 2, Decision: Spoofed}, true, Inconclusive},
		{Spoof{LLR: -1, Decision: BonaFide}, false, Match},
		{Spoof{LLR: 2, Decision: Inconclusive}, false, Match},
	} {
		a := Assessment{Verification: Verification{Decision: Match}, Reasons: []Reason{ReasonInsufficientSpeech}}
		applySpoof(&a, tc.sp)
		if a.Spoof != tc.sp || (a.Reasons[0] == ReasonSyntheticVoice) != tc.wantReason || a.Verification.Decision != tc.wantDec {
			t.Errorf("%+v: got %+v", tc.sp, a)
		}
	}
}

// A session on a bundle with a countermeasure carries its verdict in every assessment, and a
// SYNTHETIC_VOICE flag makes the final assessment high risk even when the voiceprint matches.
func TestSessionSpoof(t *testing.T) {
	e0, _ := newTestEngine(t) // skips without ../shared/corpora
	x := loadAudio(t, callFile, e0.SampleRate())
	speech := [][]float32{x[:len(x)/2]}
	other := [][]float32{noise(1, 40000), buzz(2, 40000)}
	for _, tc := range []struct {
		name       string
		bona, spf  [][]float32
		wantDec    Decision
		wantReason bool
	}{
		{"speech trained as spoof", other, speech, Spoofed, true},
		{"speech trained as bona fide", speech, other, BonaFide, false},
	} {
		b := *testBundle(t)
		b.Spoof = trainCM(t, tc.bona, tc.spf, nil, false)
		b.Spoof.FARThresholds = []models.FARPoint{{FAR: 0.01, LLR: 0}} // the classes are far apart
		vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
		e, err := New(&b, Options{Voiceprints: vp, Watchlist: vp, Thresholder: fakeThresholder(4)})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := e.Stats(x)
		p, _ := e.Prepare(st)
		vp.probes["self"] = p
		s := e.NewSession("c")
		s.Claim("self")
		var progressive []Assessment
		for pos := 0; pos < len(x); pos += 1600 {
			as, err := s.Push(x[pos:min(pos+1600, len(x))])
			if err != nil {
				t.Fatal(err)
			}
			progressive = append(progressive, as...)
		}
		a, _ := s.Stop()
		if a.Spoof != e.spoof.Score(x) {
			t.Errorf("%s: final spoof %+v, batch %+v", tc.name, a.Spoof, e.spoof.Score(x))
		}
		if a.Spoof.Decision != tc.wantDec || a.HasReason(ReasonSyntheticVoice) != tc.wantReason {
			t.Errorf("%s: final assessment %+v", tc.name, a)
		}
		if tc.wantReason && (a.Reasons[0] != ReasonSyntheticVoice || a.Band != BandHigh || a.Verification.Decision == Match) {
			t.Errorf("%s: SYNTHETIC_VOICE does not outrank the match: %+v", tc.name, a)
		}
		if len(progressive) == 0 || progressive[0].Spoof.Decision == NotAssessed {
			t.Errorf("%s: progressive assessments lack the spoof verdict: %+v", tc.name, progressive)
		}
	}
}

// Streaming the countermeasure allocates nothing in steady state (as Session.Push promises), with
// and without the prosodic features or the voice-source statistics.
func TestSpoofStreamAllocs(t *testing.T) {
	var bona, spoof [][]float32
	for i := range uint64(3) {
		bona = append(bona, noise(i, 16000))
		spoof = append(spoof, buzz(i, 16000))
	}
	for _, tc := range []struct{ prosody, voiceQuality, half bool }{{false, false, false}, {true, false, false}, {false, true, false}, {false, true, true}} {
		cfg := dsp.TelephoneLFCC()
		cfg.Prosody, cfg.VoiceQuality, cfg.VoiceQualityHalfRate = tc.prosody, tc.voiceQuality, tc.half
		d, err := NewSpoofDetector(trainCMWith(t, cfg, bona, spoof, bona, true), DefaultSpoofFAR)
		if err != nil {
			t.Fatal(err)
		}
		st := d.NewStream()
		x := buzz(9, 160)
		for range 200 { // warm up: buffers grow
			st.Push(x)
		}
		if a := testing.AllocsPerRun(50, func() { st.Push(x); st.Current() }); a != 0 {
			t.Errorf("%+v: %v allocations per 20 ms chunk, want 0", tc, a)
		}
	}
}

// TestSpoofProsody: a countermeasure whose front end carries the prosodic features, the
// modulation statistics or the voice-source statistics, scores a stream in any chunking as in one piece, its features are the
// ones training used (the statistics grow by ProsodyDim, ModulationDim or VoiceQualityDim), and a linear
// scorer whose width does not match its front end's statistics is refused (the front end's JSON
// says which features a bundle uses; older bundles have neither key and keep their width).
func TestSpoofProsody(t *testing.T) {
	var bona, spoof [][]float32
	for i := range uint64(3) {
		bona = append(bona, noise(i, 16000))
		spoof = append(spoof, buzz(i, 16000))
	}
	for _, tc := range []struct {
		name  string
		set   func(*dsp.LFCCConfig)
		extra int
	}{
		{"prosody", func(c *dsp.LFCCConfig) { c.Prosody = true }, dsp.ProsodyDim},
		{"modulation", func(c *dsp.LFCCConfig) { c.Modulation = true }, dsp.ModulationDim},
		{"modulation 250-3500 Hz, shape", func(c *dsp.LFCCConfig) {
			c.Modulation, c.ModulationLowFreq, c.ModulationHighFreq, c.ModulationShape = true, 250, 3500, true
		}, dsp.ModulationDim},
		{"voice quality", func(c *dsp.LFCCConfig) { c.VoiceQuality = true }, dsp.VoiceQualityDim},
		{"voice quality, 20 ms, 50 frames", func(c *dsp.LFCCConfig) {
			c.VoiceQuality, c.VoiceQualityShiftMs, c.VoiceQualityMaxFrames = true, 20, 50
		}, dsp.VoiceQualityDim},
		{"voice quality at half rate, 20 ms, 150 frames", func(c *dsp.LFCCConfig) {
			c.VoiceQuality, c.VoiceQualityShiftMs, c.VoiceQualityMaxFrames, c.VoiceQualityHalfRate = true, 20, 150, true
		}, dsp.VoiceQualityDim},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := dsp.TelephoneLFCC()
			tc.set(&cfg)
			cm := trainCMWith(t, cfg, bona, spoof, bona, true)
			if got, want := cm.StatsDim(), dsp.TelephoneLFCC().SpectralStatsDim()+tc.extra; got != want {
				t.Fatalf("statistics width %d, want %d", got, want)
			}
			d, err := NewSpoofDetector(cm, DefaultSpoofFAR)
			if err != nil {
				t.Fatal(err)
			}
			x := append(buzz(5, 12000), noise(6, 12000)...)
			want := d.Score(x)
			for _, chunk := range []int{1, 77, 160, 4000} {
				st := d.NewStream()
				for s := 0; s < len(x); s += chunk {
					st.Push(x[s:min(s+chunk, len(x))])
				}
				if got := st.Final(); got != want {
					t.Errorf("chunks of %d: %+v, batch %+v", chunk, got, want)
				}
			}
			old := *cm
			old.FrontEnd, _ = json.Marshal(dsp.TelephoneLFCC())
			if _, err := NewSpoofDetector(&old, DefaultSpoofFAR); err == nil {
				t.Error("a linear scorer on a front end without its extra statistics was accepted")
			}
		})
	}
}

// A stream scores its frames in bursts; its verdict after every chunk equals that of scoring
// each frame as soon as the front end yields it, and the final one the batch LFCC's.
func TestSpoofStreamBurstsMatchFrameByFrame(t *testing.T) {
	bona, spoof, held := cmTrainingSets()
	cm := trainCM(t, bona, spoof, held, false)
	for _, step := range []int{1, 2, 3} {
		cm.FrameStep = step
		d, err := NewSpoofDetector(cm, DefaultSpoofFAR)
		if err != nil {
			t.Fatal(err)
		}
		// Speech-like material with pauses under the level floor, long enough for many bursts.
		var x []float32
		for i := range uint64(6) {
			x = append(x, noise(200+i, 5000)...)
			x = append(x, make([]float32, 1500)...)
			x = append(x, buzz(300+i, 4000)...)
		}
		st := d.NewStream()
		ref := models.NewSpoofScorer(cm)
		fe, err := dsp.NewLFCC(d.cfg)
		if err != nil {
			t.Fatal(err)
		}
		fe.SkipBelow(cm.MinLevelDB)
		row := make([]float32, d.cfg.Dim())
		drain := func() {
			for {
				lv, ok := fe.Next(row)
				if !ok {
					return
				}
				ref.Add(row, lv)
			}
		}
		r := rand.New(rand.NewPCG(uint64(step), 9))
		for pos := 0; pos < len(x); {
			n := min(len(x)-pos, 1+r.IntN(700))
			st.Push(x[pos : pos+n])
			fe.Push(x[pos : pos+n])
			drain()
			pos += n
			if got, want := st.Current(), d.Decide(ref.LLR(), ref.Frames()); got != want {
				t.Fatalf("step %d, after %d samples: stream %+v, frame by frame %+v", step, pos, got, want)
			}
		}
		fe.Flush()
		drain()
		got, want := st.Final(), d.Decide(ref.LLR(), ref.Frames())
		if got != want {
			t.Fatalf("step %d: final %+v, frame by frame %+v", step, got, want)
		}
		batch := models.NewSpoofScorer(cm)
		f, lv, err := dsp.ComputeLFCC(x, d.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range f {
			batch.Add(f[i], lv[i])
		}
		if got.LLR != batch.LLR() || batch.Frames() < 8*spoofBurst {
			t.Errorf("step %d: final LLR %v, batch %v over %d frames", step, got.LLR, batch.LLR(), batch.Frames())
		}
	}
}
