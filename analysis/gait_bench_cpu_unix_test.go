//go:build unix

package analysis

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of this process so far, so
// that benchmarks can report CPU cost independent of how busy the machine
// is (wall-clock ns/op grows when other processes share the cores).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
