//go:build unix

package analysis

import "syscall"

// cpuNS returns the process's user+system CPU time in ns (0 if unknown):
// benchmarks report it per sample because wall time on a shared,
// oversubscribed machine says little.
func cpuNS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
