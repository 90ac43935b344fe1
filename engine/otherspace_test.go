package engine

import (
	"testing"

	"github.com/voxguard/voxguard/store"
)

// A watchlist entry whose statistics belong to another statistics space (a bundle on another
// UBM) is not loaded, and is counted so that the server can say so.
func TestWatchlistOtherSpace(t *testing.T) {
	e, sv, st := storeEngine(t)
	s := e.b.UBM.NewStats()
	for _, a := range analyze(t, e, aliceFiles[0]) {
		s.Add(a.Stats)
	}
	if _, err := sv.AddWatchlist("t", store.WatchlistEntry{Label: "ring A", CaseRef: "c-1", LegalBasis: "GDPR 6(1)(f)"}, s, 5, "upload"); err != nil {
		t.Fatal(err)
	}
	vp := sv.voiceprintOf(s)
	vp.BundleVersion, vp.SpeechSeconds, vp.Source = "ubm-0123456789abcdef", 5, "upload"
	if _, err := st.AddWatchlistEntry("t", store.WatchlistEntry{Label: "ring B", CaseRef: "c-2", LegalBasis: "GDPR 6(1)(f)", Voiceprint: vp}); err != nil {
		t.Fatal(err)
	}
	if err := sv.ReloadWatchlist(); err != nil {
		t.Fatal(err)
	}
	if n, other := len(sv.Entries()), sv.OtherSpaceWatchlist(); n != 1 || other != 1 {
		t.Errorf("%d entries loaded and %d of another space, want 1 and 1", n, other)
	}
}
