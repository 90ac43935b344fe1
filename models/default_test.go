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
