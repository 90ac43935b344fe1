package engine

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
)

// TestSpoofDetectorSpecViews checks the detector with spectrum networks on further front ends
// (models.Countermeasure.SpecViews): a view that repeats the first network on the same front end
// leaves every score as it was (the mean of two equal log-odds), a view reading another front
// end's spectrum (a finer frame shift) changes them, and a view whose front end has fewer bins than its network reads is
// refused.
func TestSpoofDetectorSpecViews(t *testing.T) {
	cm := testkit.SpecFusedTinyBundle(t).Spoof
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 8000*2)
	for i := range x {
		x[i] = float32(0.1 * r.NormFloat64())
	}
	score := func(c *models.Countermeasure) (Spoof, error) {
		d, err := NewSpoofDetector(c, 0.05)
		if err != nil {
			return Spoof{}, err
		}
		return d.Score(x), nil
	}
	want, err := score(cm)
	if err != nil {
		t.Fatal(err)
	}
	same := *cm
	same.SpecViews = []models.SpecView{{Net: cm.Spec, FrontEnd: cm.SpecFrontEnd}}
	if got, err := score(&same); err != nil || got != want {
		t.Errorf("a view repeating the network: %+v (%v), want %+v", got, err, want)
	}
	var fe map[string]any
	if err := json.Unmarshal(cm.SpecFrontEnd, &fe); err != nil {
		t.Fatal(err)
	}
	fe["frame_shift"] = 40 // 32 ms frames every 5 ms, the same bins
	other, _ := json.Marshal(fe)
	diff := *cm
	diff.SpecViews = []models.SpecView{{Net: cm.Spec, FrontEnd: other}}
	if got, err := score(&diff); err != nil || got.LLR == want.LLR {
		t.Errorf("a view on a finer frame shift: %+v (%v), the same as without it", got, err)
	}
	fe["bins"] = 8
	narrow, _ := json.Marshal(fe)
	bad := *cm
	bad.SpecViews = []models.SpecView{{Net: cm.Spec, FrontEnd: narrow}}
	if _, err := NewSpoofDetector(&bad, 0.05); err == nil {
		t.Error("a view with fewer bins than its network accepted")
	}
}

// TestSpoofStreamDropViews checks SpoofStream.DropViews: a stream that drops its detector's
// views before the network scores is scored and judged as the bundle without views scores the
// same audio (testkit.SpecViewsTinyBundle's first network alone, with its own fusion and
// thresholds, and as models.Countermeasure.PrimaryOnly scores it), a stream that keeps them
// otherwise; once the network has scored, or without models.Countermeasure.SpecPrimary, there
// is nothing to drop.
func TestSpoofStreamDropViews(t *testing.T) {
	single := testkit.SpecFusedTinyBundle(t).Spoof
	views := testkit.SpecViewsTinyBundle(t).Spoof
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 8000*2)
	for i := range x {
		x[i] = float32(0.1 * r.NormFloat64())
	}
	det := func(cm *models.Countermeasure) *SpoofDetector {
		t.Helper()
		d, err := NewSpoofDetector(cm, 0.05)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	dv := det(views)
	want, full := det(single).Score(x), dv.Score(x)
	if want.LLR == full.LLR {
		t.Fatalf("the view leaves the score at %v: the test cannot tell them apart", want.LLR)
	}
	po, err := views.PrimaryOnly()
	if err != nil {
		t.Fatal(err)
	}
	if got := det(po).Score(x); got != want {
		t.Errorf("PrimaryOnly scores %+v, the bundle without views %+v", got, want)
	}
	for _, tc := range []struct {
		name string
		drop int // samples pushed before DropViews (-1: never)
		want Spoof
	}{{"dropped at the start", 0, want}, {"dropped before the network's 1.5 s", 8000, want},
		{"dropped after the network scored", len(x), full}, {"kept", -1, full}} {
		st := dv.NewStream()
		if !st.ViewsPending() {
			t.Fatalf("%s: a new stream has no views pending", tc.name)
		}
		for i := 0; i < len(x); i += 800 {
			if i == tc.drop {
				st.DropViews()
			}
			st.Push(x[i:min(i+800, len(x))])
		}
		if tc.drop == len(x) {
			st.Current() // the network scores with its views
			if st.ViewsPending() {
				t.Errorf("%s: views still pending after the network scored", tc.name)
			}
			st.DropViews()
		}
		if got := st.Final(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// Without SpecPrimary the views go only with the network.
	noPrimary := *views
	noPrimary.SpecPrimary = nil
	st := det(&noPrimary).NewStream()
	st.DropViews()
	st.Push(x)
	if st.ViewsPending() || st.Final() != full {
		t.Error("without SpecPrimary, DropViews changed the verdict or views were pending")
	}
}
