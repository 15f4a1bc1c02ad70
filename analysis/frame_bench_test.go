package analysis

import "testing"

// BenchmarkAlignToBody: AlignToBody over 10 minutes of 100 Hz walking,
// reported per sample.
func BenchmarkAlignToBody(b *testing.B) {
	s := benchDay()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := AlignToBody(s, 100, AlignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(s)), "ns/sample")
}
