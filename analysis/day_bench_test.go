package analysis

import "testing"

// BenchmarkFreeLivingDay is the cost the issue bounds ("a 100 Hz day of
// free-living data in under 2 s of one core for gait + falls"): Gait and
// DetectFalls over 24 h of synthetic free-living data (freeLiving: about
// 10 % walking), reported as process CPU seconds per day of data and CPU ns
// per sample.
func BenchmarkFreeLivingDay(b *testing.B) {
	s := freeLiving(24, 0.1)
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := Gait(s, 100, GaitParams{HeightM: 1.7}); err != nil {
			b.Fatal(err)
		}
		DetectFalls(s, 100, FallConfig{})
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/day")
		b.ReportMetric(float64(cpu.Nanoseconds())/(float64(b.N)*float64(len(s))), "cpu-ns/sample")
	}
}
