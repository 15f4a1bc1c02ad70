package analysis

import (
	"math"
	"testing"
)

// BenchmarkSway30s: one 30 s (+2 s trimmed) 100 Hz quiet-stance analysis.
func BenchmarkSway30s(b *testing.B) {
	r := coreRotMat([3]float64{1, 1, 0}, 25*math.Pi/180)
	s := coreStanding(100, 32, r, 0.1, 0.5, 0.05, 1.2)
	opts := SwayOptions{Forward: coreMulMV(r, [3]float64{1, 0, 0})}
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		if _, err := Sway(s, 100, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(s)), "ns/sample")
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N*len(s)), "cpu-ns/sample")
}

// BenchmarkSwayForward10min: the forward axis from 10 minutes (the most
// SwayForward reads on one side) of 100 Hz walking.
func BenchmarkSwayForward10min(b *testing.B) {
	s := coreSynthWalk(100, SwayForwardMaxSec, coreRotMat([3]float64{0, 0, 1}, 1))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if h := SwayForward(s, nil, 100, [3]float64{}); h.Source != ForwardWalking {
			b.Fatal(h)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(s)), "ns/sample")
}
