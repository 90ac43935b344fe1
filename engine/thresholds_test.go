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
