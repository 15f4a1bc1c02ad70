//go:build !unix

package analysis

// cpuNS is unknown off unix; the CPU metric then reads 0.
func cpuNS() int64 { return 0 }
