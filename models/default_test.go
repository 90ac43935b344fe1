package models

import "testing"

// TestDefaultBundle checks that the embedded bundle loads and is complete enough to verify.
func TestDefaultBundle(t *testing.T) {
	b, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Meta.FrontEnd) == 0 {
		t.Fatal("default bundle records no front end")
	}
	v, err := NewVerifier(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ThresholdAtFAR(0.01); err != nil {
		t.Fatalf("default bundle has no 1%% FAR operating point: %v", err)
	}
	if size := len(defaultBundleBytes); size > 25<<20 {
		t.Fatalf("default bundle is %d bytes, over the 25 MB budget", size)
	}
}

// LoadBundle gives the embedded bundle for an empty path and a clear error for a missing file.
func TestLoadBundle(t *testing.T) {
	b, err := LoadBundle("")
	if def, _ := DefaultBundle(); err != nil || b != def {
		t.Errorf("LoadBundle(\"\") = %p, %v; want the default bundle", b, err)
	}
	if _, err := LoadBundle("/nonexistent/model.vxgb"); err == nil {
		t.Error("a missing file loaded")
	}
}

// defaultFirstSystem returns a shallow copy of the default bundle without its second speaker
// system (Bundle.Second and its fusion), for tests of what a one-system bundle does: its format
// version, or a second system made of it.
func defaultFirstSystem(t testing.TB) *Bundle {
	t.Helper()
	b, err := DefaultBundle()
	if err != nil {
		t.Fatal(err)
	}
	c := *b
	c.Second, c.Meta.Fusion = nil, nil
	return &c
}
