//go:build unix

package engine

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time consumed by the process, so
// that benchmarks on a shared machine can report CPU cost per operation.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
