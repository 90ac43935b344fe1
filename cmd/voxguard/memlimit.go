package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// trainMemoryShare is the share of the machine's memory that the training commands give Go's
// garbage collector as a soft limit when GOMEMLIMIT is not set.
const trainMemoryShare = 0.85

// setTrainMemoryLimit gives the garbage collector a soft memory limit of trainMemoryShare of the
// machine's memory (MemTotal of /proc/meminfo), unless GOMEMLIMIT already sets one or the total
// cannot be read. Training holds every recording's statistics at once (~20 GB for the default
// recipe), and without a limit the heap may grow to twice what is live before a collection: a
// run measured at 21.0 GB with the limit was killed by the kernel at 23.7 GB without it on a
// 24 GB machine. It returns the limit set in bytes (0: none) and logs it to w.
func setTrainMemoryLimit(w io.Writer) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	total, err := memTotal(f)
	if err != nil || total == 0 {
		return 0
	}
	limit := int64(float64(total) * trainMemoryShare)
	debug.SetMemoryLimit(limit)
	fmt.Fprintf(w, "memory: soft limit %.1f GB (%.0f%% of %.1f GB; GOMEMLIMIT overrides)\n",
		float64(limit)/1e9, 100*trainMemoryShare, float64(total)/1e9)
	return limit
}

// memTotal returns the MemTotal line of a /proc/meminfo listing, in bytes.
func memTotal(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "MemTotal:" {
			continue
		}
		kb, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("meminfo: MemTotal %q: %w", f[1], err)
		}
		if len(f) < 3 || f[2] != "kB" {
			return 0, fmt.Errorf("meminfo: MemTotal in unknown units %q", strings.Join(f[2:], " "))
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("meminfo: no MemTotal line")
}
