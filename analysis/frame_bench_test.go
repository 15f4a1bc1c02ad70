package analysis

import "testing"

// BenchmarkAlignToBody: AlignToBody over 10 minutes of 100 Hz walking,
// reported per sample.
func BenchmarkAlignToBody(b *testing.B) {
	s := benchDay()
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		if _, err := AlignToBody(s, 100, AlignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(s)), "ns/sample")
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N*len(s)), "cpu-ns/sample")
}

// BenchmarkAlignToBodyHour: one hour at 100 Hz, 50 minutes of standing
// still then 10 minutes of walking: closer to a day's mix, in which the
// AP search (capped at 10 minutes of walking) is amortised.
func BenchmarkAlignToBodyHour(b *testing.B) {
	walk := coreSynthWalk(100, 600, coreRotMat([3]float64{1, 0.2, 0}, 2.5))
	still := coreStanding(100, 3000, coreRotMat([3]float64{1, 0.2, 0}, 2.5), 0.05, 0.4, 0.03, 0.9)
	s := append(still, walk...)
	for i := range s {
		s[i].TimeNS = int64(i) * 1e7
	}
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		if _, err := AlignToBody(s, 100, AlignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(s)), "ns/sample")
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N*len(s)), "cpu-ns/sample")
}
