package recipe

import (
	"math"
	"math/rand"
	"path/filepath"
	"slices"
	"testing"

	"github.com/voxguard/voxguard/kaldiio"
	"github.com/voxguard/voxguard/models"
)

// TestLeaveOneOut checks the constant-time leave-one-out moments against TopNMoments of the
// scores with that one left out, for every member, with ties, and topN below, at and above the
// number of scores.
func TestLeaveOneOut(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{1, 2, 3, 7, 40} {
		for _, topN := range []int{0, 1, 2, 5, 39, 40, 41, 100} {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = math.Round(4*rng.NormFloat64()) / 2 // coarse: many ties
			}
			l := models.NewLeaveOneOut(slices.Clone(xs), topN)
			for i, x := range xs {
				rest := append(slices.Clone(xs[:i]), xs[i+1:]...)
				want := models.TopNMoments(rest, topN)
				if len(rest) == 0 {
					want = models.CohortMoments{Mean: 0, Std: 1}
				}
				got := l.Without(x)
				if math.Abs(got.Mean-want.Mean) > 1e-9 || math.Abs(got.Std-want.Std) > 1e-9 {
					t.Fatalf("n %d topN %d without #%d (%g): %+v, want %+v", n, topN, i, x, got, want)
				}
			}
		}
	}
}

// TestEnrolledCohort scores trials with the enrolled models in the S-norm cohort and checks every
// score against a direct computation: the test side's moments over the bundle's cohort and every
// enrolled model but the trial's own, the model side's over the bundle's cohort and the other
// models' tests. Each enrollment file is also a test, so a target trial's own score (the file
// against itself: far above any cohort score) would enter its own normalisation if the trial's
// model were not left out; the test checks that this would change the scores. With too few
// models, and with the bundle cohort, the scores are exactly ScoreLists's.
func TestEnrolledCohort(t *testing.T) {
	b, err := models.DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	v, err := models.NewVerifier(b)
	if err != nil {
		t.Fatal(err)
	}
	a := func(f string) string { return filepath.Join("..", "testdata", "audio", f) }
	enroll := []kaldiio.Pair{{ID: "us", Path: a("voice_us_male.wav")}, {ID: "scot", Path: a("voice_scot_male.wav")},
		{ID: "gb", Path: a("voice_gb_female.wav")}, {ID: "demo", Path: a("demo_en.wav")}, {ID: "demo", Path: a("demo_en_alaw.wav")}}
	tests := []kaldiio.Pair{{ID: "us", Path: a("voice_us_male.wav")}, {ID: "scot", Path: a("voice_scot_male.wav")},
		{ID: "gb", Path: a("voice_gb_female.wav")}, {ID: "demo", Path: a("demo_en_mulaw.wav")}, {ID: "digits", Path: a("digits_mulaw.wav")},
		{ID: "silence", Path: a("silence.wav")}}
	modelIDs := []string{"us", "scot", "gb", "demo"}
	var trials []kaldiio.Trial
	for _, m := range modelIDs {
		for _, te := range tests {
			trials = append(trials, kaldiio.Trial{Model: m, Test: te.ID})
		}
	}
	base, err := ScoreLists(v, enroll, tests, trials, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	score := func(opt ScoreOptions) *ScoreResult {
		t.Helper()
		opt.Workers = 2
		r, err := ScoreListsWith(v, enroll, tests, trials, opt)
		if err != nil {
			t.Fatal(err)
		}
		if r.Insufficient != base.Insufficient {
			t.Errorf("%+v: %d insufficient-speech trials, want %d", opt, r.Insufficient, base.Insufficient)
		}
		if r.ShortEnrollments != base.ShortEnrollments {
			t.Errorf("%+v: %d short enrollments, want %d", opt, r.ShortEnrollments, base.ShortEnrollments)
		}
		return r
	}
	for _, opt := range []ScoreOptions{{Cohort: CohortBundle}, {Cohort: CohortEnrolled, MinCohortModels: 5}, {Cohort: CohortEnrolledTest, MinCohortModels: 5}} {
		if r := score(opt); !slices.Equal(r.Scores, base.Scores) {
			t.Errorf("%+v: scores differ from the bundle cohort's", opt)
		}
	}
	if _, err := ScoreListsWith(v, enroll, tests, trials, ScoreOptions{Cohort: "everyone"}); err == nil {
		t.Error("unknown cohort accepted")
	}

	// The direct computation.
	cfg, err := FrontendOf(b)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{a("voice_us_male.wav"), a("voice_scot_male.wav"), a("voice_gb_female.wav"), a("demo_en.wav"), a("demo_en_alaw.wav"),
		a("demo_en_mulaw.wav"), a("digits_mulaw.wav"), a("silence.wav")}
	stats, err := FileStats(b, cfg, paths, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws := v.NewScratch()
	prep := func(s *models.Stats) *models.Probe {
		p, err := v.Prepare(s, ws)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	demo := b.NewStats() // with the second system's statistics when the bundle has one
	demo.Add(stats[3])
	demo.Add(stats[4])
	mods := []*models.Probe{prep(stats[0]), prep(stats[1]), prep(stats[2]), prep(demo)}
	tps := map[string]*models.Probe{"us": prep(stats[0]), "scot": prep(stats[1]), "gb": prep(stats[2]), "demo": prep(stats[5]),
		"digits": prep(stats[6]), "silence": prep(stats[7])}
	// raw returns the unnormalised scores of e against t by the scorers an EnrolledCohort extends.
	raw := func(e, t *models.Probe) []float64 {
		e0, t0 := *e, *t
		one := models.CohortMoments{Mean: 0, Std: 1}
		e0.Cohort, e0.Cohort2, e0.GAsModel, t0.Cohort, t0.Cohort2, t0.GAsTest = one, one, one, one, one, one
		r := v.RawScores(nil, &e0, &t0)
		if b.Alt2 != nil {
			// The third back end keeps the bundle's cohort (Verifier.cohortScorers): only the
			// other scorers' scores enter the extended cohorts.
			r = append(r[:2:2], r[3:]...)
		}
		return r
	}
	topN := b.Meta.SNormTopN
	// moments sets p's moments for the role over its bundle-cohort scores and extra[k].
	moments := func(p *models.Probe, asModel bool, extra [3][]float64) models.Probe {
		q := *p
		sc := v.BundleCohortScores(p, asModel, ws)
		k := 0
		for i := range sc {
			if sc[i] == nil {
				continue
			}
			mom := models.TopNMoments(append(sc[i], extra[k]...), topN)
			switch {
			case i == 0:
				q.Cohort = mom
			case i == 1:
				q.Cohort2 = mom
			case asModel:
				q.GAsModel = mom
			default:
				q.GAsTest = mom
			}
			k++
		}
		return q
	}
	for _, modelSide := range []bool{false, true} {
		opt := ScoreOptions{Cohort: CohortEnrolledTest}
		if modelSide {
			opt.Cohort = CohortEnrolled
		}
		got := score(opt)
		// reference scores the trials, leaving the trial's model out of the test side's cohort
		// or, to show the test would catch it, not.
		reference := func(leaveOut bool) []float64 {
			var out []float64
			for _, tr := range trials {
				mi := slices.Index(modelIDs, tr.Model)
				te := tps[tr.Test]
				var tx, mx [3][]float64
				for j, o := range mods {
					if j != mi || !leaveOut {
						for k, s := range raw(o, te) {
							tx[k] = append(tx[k], s)
						}
					}
					if j != mi {
						// The model side: the model as a test against j's vector (PLDA, symmetric
						// anyway), and the model's GMM vector against j's test vector.
						r1, r2 := raw(o, mods[mi]), raw(mods[mi], o)
						for k := range r1 {
							if b.GMM != nil && k == len(r1)-1 {
								mx[k] = append(mx[k], r2[k])
							} else {
								mx[k] = append(mx[k], r1[k])
							}
						}
					}
				}
				e := *mods[mi]
				if modelSide {
					e = moments(mods[mi], true, mx)
				}
				tt := moments(te, false, tx)
				llr, _ := v.Score(&e, &tt)
				out = append(out, llr)
			}
			return out
		}
		want, leaky := reference(true), reference(false)
		maxLeak := 0.0
		for i, s := range got.Scores {
			if math.Abs(s.Score-want[i]) > 1e-6 {
				t.Errorf("model side %v: %s vs %s scored %.6f, want %.6f", modelSide, s.Model, s.Test, s.Score, want[i])
			}
			maxLeak = max(maxLeak, math.Abs(leaky[i]-want[i]))
			if trials[i].Model == trials[i].Test && trials[i].Test != "demo" {
				t.Logf("model side %v: %s on itself: %.3f (bundle cohort %.3f; model not left out %.3f)", modelSide, s.Model, s.Score, base.Scores[i].Score, leaky[i])
			}
		}
		if maxLeak < 0.1 {
			t.Errorf("model side %v: scores with the trial's model in its own cohort differ by at most %.3g: the test would not notice", modelSide, maxLeak)
		}
	}
}
