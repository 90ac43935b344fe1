//go:build unix

// Package cputime reads the process's CPU time, for benchmarks on a shared machine, where CPU
// time per operation is distorted less than wall time.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the user+system CPU time consumed so far by this process (all threads, so
// garbage collection on other cores counts too).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
