package main

import (
	"strings"
	"testing"
)

// memTotal reads MemTotal in bytes and refuses listings it cannot read.
func TestMemTotal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"MemTotal:       24683756 kB\nMemFree:        22819972 kB\n", 24683756 * 1024, true},
		{"MemFree:        1 kB\nMemTotal: 2048 kB\n", 2048 * 1024, true},
		{"MemFree:        1 kB\n", 0, false},
		{"MemTotal:       lots kB\n", 0, false},
		{"MemTotal:       2048 MB\n", 0, false},
		{"MemTotal:       2048\n", 0, false},
		{"", 0, false},
	} {
		got, err := memTotal(strings.NewReader(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %d, %v; want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// GOMEMLIMIT, when set, is left to the runtime.
func TestSetTrainMemoryLimitRespectsGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	var log strings.Builder
	if got := setTrainMemoryLimit(&log); got != 0 || log.Len() != 0 {
		t.Errorf("with GOMEMLIMIT set: limit %d, log %q; want none", got, log.String())
	}
}
