package cputime

import "testing"

// TestProcessAdvances checks that busy work shows up as CPU time.
func TestProcessAdvances(t *testing.T) {
	t0 := Process()
	x := 0.0
	for i := range 50_000_000 {
		x += float64(i & 7)
	}
	if x == 0 || Process() <= t0 {
		t.Fatalf("CPU time did not advance: %v -> %v", t0, Process())
	}
}
