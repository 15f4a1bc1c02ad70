package analysis

import (
	"testing"

	"github.com/balance-pt/balance"
)

// benchDay is 10 minutes of 100 Hz walking with a still start (the
// synthetic walk of coreSynthWalk), standing in for a day's stream.
func benchDay() []balance.Sample {
	return coreSynthWalk(100, 600, coreRotMat([3]float64{1, 0.2, 0}, 2.5))
}

// BenchmarkFallDetectorPush: cost per sample of the streaming detector.
func BenchmarkFallDetectorPush(b *testing.B) {
	s := benchDay()
	d := NewFallDetector(100, FallConfig{})
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		d.Push(s[i%len(s)])
	}
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N), "cpu-ns/sample")
}

// BenchmarkContinuousPath: the per-sample continuous path, a Madgwick
// orientation update plus the fall detector (ns/op = ns/sample).
func BenchmarkContinuousPath(b *testing.B) {
	s := benchDay()
	d := NewFallDetector(100, FallConfig{})
	m := NewMadgwick(100, 0.1, QuatFromUp(s[0].Acc))
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		x := s[i%len(s)]
		m.Update(x.Acc, x.Gyro)
		d.Push(x)
	}
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N), "cpu-ns/sample")
}

// BenchmarkFallDetectorFalls: cost per sample on a stream that is all
// falls (a forward fall, lying and getting up, about every 14 s), the
// detector's busiest case: candidates, posture windows and the get-up
// watch on every one.
func BenchmarkFallDetectorFalls(b *testing.B) {
	one := coreScenario(100, coreRotMat([3]float64{0, 0, 1}, 0),
		[]corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}, {2, 1, 90}, {1, 1, 0}})
	d := NewFallDetector(100, FallConfig{})
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		s := one[i%len(one)]
		s.TimeNS = int64(i+1) * 1e7
		d.Push(s)
	}
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N), "cpu-ns/sample")
}
