package analysis

import "testing"

// BenchmarkResample200to100: 60 s of 200 Hz to 100 Hz, per input sample.
func BenchmarkResample200to100(b *testing.B) {
	x := coreSine(12000, 200, 2.3, 1, 0)
	dst := make([]float64, ResampledLen(len(x), 200, 100))
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		Resample(dst, x, 200, 100)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/sample")
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N*len(x)), "cpu-ns/sample")
}

// BenchmarkResample50to100: 60 s of 50 Hz to 100 Hz, per input sample.
func BenchmarkResample50to100(b *testing.B) {
	x := coreSine(3000, 50, 2.3, 1, 0)
	dst := make([]float64, ResampledLen(len(x), 50, 100))
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		Resample(dst, x, 50, 100)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/sample")
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N*len(x)), "cpu-ns/sample")
}

// BenchmarkFiltFilt: order-4 low-pass, zero phase, 60 s at 100 Hz.
func BenchmarkFiltFilt(b *testing.B) {
	x := coreSine(6000, 100, 2.3, 1, 0)
	s := ButterLowpass(4, 3.5, 100)
	dst := make([]float64, len(x))
	b.ResetTimer()
	c0 := cpuNS()
	for i := 0; i < b.N; i++ {
		s.FiltFilt(dst, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/sample")
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N*len(x)), "cpu-ns/sample")
}
