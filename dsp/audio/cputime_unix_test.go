//go:build unix

package audio

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time consumed so far by this process (all threads,
// so garbage collection on other cores counts too).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
