//go:build !unix

// Package cputime reads the process's CPU time, for benchmarks on a shared machine, where CPU
// time per operation is distorted less than wall time.
package cputime

import "time"

var start = time.Now()

// Process falls back to the wall time since the process started where getrusage is not
// available.
func Process() time.Duration { return time.Since(start) }
