package recipe

import (
	"path/filepath"
	"testing"

	"github.com/voxguard/voxguard/dsp"
	"github.com/voxguard/voxguard/models"
)

// TestSpecCheckpointName pins the name WorkDir gives a network kept by a fixed configuration, so
// that a field added to models.SpecNetConfig at its zero value (OneClass) leaves kept networks
// found by a rerun; a field set changes the name.
func TestSpecCheckpointName(t *testing.T) {
	d := &specData{fe: dsp.TelephoneSpec(),
		bona:        []models.SpecRecording{{X: []float32{1, 2, 3, 4}, T: 2, Stride: 2}},
		spoofGroups: [][]models.SpecRecording{{{X: []float32{5, 6}, T: 1, Stride: 2}}}}
	mc := SpecNetConfigFor(models.SpecNetConfig{Layers: models.DefaultSpecLayers(1), Seed: 7}, d.fe)
	// The name this configuration had before OneClass existed (the forty-fourth session's code).
	const want = "specnet-a1a6081573591981ab71f54f.vxsn"
	if got := filepath.Base(d.checkpointPath("w", mc, []int{3, 5})); got != want {
		t.Errorf("checkpoint %s, want %s", got, want)
	}
	mc.OneClass = true
	if got := filepath.Base(d.checkpointPath("w", mc, []int{3, 5})); got == want {
		t.Error("a one-class network has the linear one's checkpoint name")
	}
}
