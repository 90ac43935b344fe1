package engine

import (
	"errors"
	"math"
	"testing"

	"github.com/voxguard/voxguard/models"
)

// twoChannels states thresholds -ln(far) on clean trials and one nat higher on degraded ones.
type twoChannels struct{ degraded bool }

func (twoChannels) ThresholdAtFAR(far float64) (float64, error) { return -math.Log(far), nil }
func (c twoChannels) ThresholdAtFARDegraded(far float64) (float64, error) {
	if !c.degraded {
		return 0, errors.New("none")
	}
	return 1 - math.Log(far), nil
}

// TestDegradedChannelThresholds: a bundle's degraded-channel operating points set the match and
// watchlist thresholds of trials whose worse side the channel detector calls degraded; without
// them, and for clean trials, the thresholds are the pooled ones.
func TestDegradedChannelThresholds(t *testing.T) {
	c := DefaultConfig()
	clean, deg := &models.Probe{Channel: 0.1}, &models.Probe{Channel: 0.7}
	for _, tc := range []struct {
		name                   string
		th                     FARThresholder
		enroll, test           *models.Probe
		wantMatch, wantWatched float64
	}{
		{"clean trial", twoChannels{true}, clean, clean, -math.Log(c.MatchFAR), -math.Log(c.WatchlistFAR)},
		{"degraded test", twoChannels{true}, clean, deg, 1 - math.Log(c.MatchFAR), 1 - math.Log(c.WatchlistFAR)},
		{"degraded enrollment", twoChannels{true}, deg, clean, 1 - math.Log(c.MatchFAR), 1 - math.Log(c.WatchlistFAR)},
		{"no degraded points", twoChannels{false}, clean, deg, -math.Log(c.MatchFAR), -math.Log(c.WatchlistFAR)},
		{"no bundle points", nil, clean, deg, -math.Log(c.MatchFAR), -math.Log(c.WatchlistFAR)},
	} {
		th := c.thresholds(tc.th)
		if got := th.match(tc.enroll, tc.test); math.Abs(got-tc.wantMatch) > 1e-12 {
			t.Errorf("%s: match threshold %g, want %g", tc.name, got, tc.wantMatch)
		}
		if got := th.watchlist(tc.enroll, tc.test); math.Abs(got-tc.wantWatched) > 1e-12 {
			t.Errorf("%s: watchlist threshold %g, want %g", tc.name, got, tc.wantWatched)
		}
	}
}

// TestAssessmentStatesItsMatchThreshold: an assessment reports the match threshold its
// verification was compared with — the degraded-channel one when the trial's worse side is
// degraded — and none when nobody was claimed.
func TestAssessmentStatesItsMatchThreshold(t *testing.T) {
	vp := &fakeVoiceprints{probes: map[string]*models.Probe{}, noConsent: map[string]bool{}}
	e, err := New(testBundle(t), Options{Voiceprints: vp, Watchlist: vp, Thresholder: twoChannels{true}})
	if err != nil {
		t.Fatal(err)
	}
	x := loadAudio(t, callFile, e.SampleRate())
	st, err := e.Stats(x)
	if err != nil {
		t.Fatal(err)
	}
	test, err := e.Prepare(st)
	if err != nil {
		t.Fatal(err)
	}
	clean, deg := *test, *test
	clean.Channel, deg.Channel = 0, 0.9
	vp.probes["clean"], vp.probes["degraded"] = &clean, &deg
	th := e.Thresholds()
	if th.MatchDegraded <= th.Match {
		t.Fatalf("thresholds %+v: the degraded one should be higher", th)
	}
	for _, tc := range []struct {
		claim  string
		want   float64
		wantOK bool
	}{
		{"clean", th.match(&clean, test), true},
		{"degraded", th.MatchDegraded, true},
		{"", 0, false},
	} {
		s := e.NewSession("c")
		if tc.claim != "" {
			s.Claim(tc.claim)
		}
		if _, err := s.Push(x); err != nil {
			t.Fatal(err)
		}
		a, err := s.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := a.MatchThreshold(); got != tc.want || ok != tc.wantOK {
			t.Errorf("claim %q: threshold %v %v, want %v %v", tc.claim, got, ok, tc.want, tc.wantOK)
		}
	}
}
