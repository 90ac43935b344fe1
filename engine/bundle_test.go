package engine

import (
	"strings"
	"testing"

	"github.com/voxguard/voxguard/internal/testkit"
	"github.com/voxguard/voxguard/models"
)

// corporaDir and testBundle are the shared test helpers of internal/testkit.
func corporaDir(t testing.TB) string { return testkit.CorporaDir(t) }

func testBundle(t testing.TB) *models.Bundle { return testkit.TinyBundle(t) }

func TestBundleTrains(t *testing.T) {
	b := testBundle(t)
	t.Logf("UBM %d x %d", b.UBM.C, b.UBM.D)
}

// TestNewRefusesSecondSystem checks that a bundle fusing a second speaker system, which live
// sessions do not run yet, is refused with a clear error rather than scored by its first system
// alone against the fused LLR's thresholds.
func TestNewRefusesSecondSystem(t *testing.T) {
	b := *testBundle(t)
	second := b
	second.Spoof = nil
	b.Second, b.Meta.Fusion = &second, []float64{1, 0.5, 0}
	if _, err := New(&b, Options{}); err == nil || !strings.Contains(err.Error(), "second speaker system") {
		t.Fatalf("New with a second system: %v", err)
	}
}
