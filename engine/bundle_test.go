package engine

import (
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
