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
