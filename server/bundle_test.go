package server

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/voxguard/voxguard/models"
	"github.com/voxguard/voxguard/recipe"
)

// corporaDir returns ../shared/corpora, skipping the test when it is absent (failing under CI=true).
func corporaDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "shared", "corpora")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the development corpora are missing at %s", dir)
		}
		t.Skipf("development corpora not found at %s; skipping", dir)
	}
	return dir
}

// heldOut are the Mini LibriSpeech speakers the test bundle never sees: the test scripts'
// callers, fraudsters and customers.
var heldOut = map[string]bool{"1088": true, "118": true, "163": true, "1737": true}

var (
	bundleOnce sync.Once
	bundleB    *models.Bundle
	bundleErr  error
)

// testBundle trains (once per test binary) a tiny bundle on a few Mini LibriSpeech speakers
// other than heldOut: 32 Gaussians, 24-dimensional i-vectors.
func testBundle(t testing.TB) *models.Bundle {
	t.Helper()
	src := filepath.Join(corporaDir(t), "mini-librispeech")
	bundleOnce.Do(func() {
		dir, err := os.MkdirTemp("", "voxguard-server-corpus-")
		if err != nil {
			bundleErr = err
			return
		}
		defer os.RemoveAll(dir)
		corp := filepath.Join(dir, "mini-librispeech")
		ents, _ := os.ReadDir(src)
		var spks []string
		for _, e := range ents {
			if e.IsDir() && !heldOut[e.Name()] {
				spks = append(spks, e.Name())
			}
		}
		sort.Strings(spks)
		for _, s := range spks {
			os.MkdirAll(filepath.Join(corp, s), 0o755)
			fs, _ := filepath.Glob(filepath.Join(src, s, "*.wav"))
			sort.Strings(fs)
			for _, f := range fs[:min(6, len(fs))] {
				if bundleErr = os.Symlink(f, filepath.Join(corp, s, filepath.Base(f))); bundleErr != nil {
					return
				}
			}
		}
		c := recipe.DefaultTrainConfig()
		c.Corpora = []string{corp}
		c.Components, c.UBMFrames, c.UBMIters, c.IVectorDim, c.IVectorIters, c.LDADim = 32, 30000, 3, 24, 3, 12
		c.EnrollFrames, c.CohortSize, c.SNormTopN = 800, 60, 20
		bundleB, bundleErr = recipe.Train(c)
	})
	if bundleErr != nil {
		t.Fatalf("training the test bundle: %v", bundleErr)
	}
	return bundleB
}
