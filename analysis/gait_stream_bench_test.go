package analysis

import "testing"

// BenchmarkStreamDay is BenchmarkFreeLivingDay's work done the streaming
// way `balance analyze` does it on a long recording: GaitStream, a
// FallDetector without an axis and FallWindows over 24 h of synthetic
// free-living data pushed 4096 samples at a time, then DetectFallsIn over
// the windows with an axis, reported as process CPU per day and per sample.
func BenchmarkStreamDay(b *testing.B) {
	s := freeLiving(24, 0.1)
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		g, err := NewGaitStream(100, GaitParams{HeightM: 1.7}, true, 0)
		if err != nil {
			b.Fatal(err)
		}
		d := NewFallDetector(100, FallConfig{})
		w := NewFallWindows(100, FallConfig{})
		for i := 0; i < len(s); i += 4096 {
			p := s[i:min(len(s), i+4096)]
			if err := g.Push(p); err != nil {
				b.Fatal(err)
			}
			for j := range p {
				d.Push(p[j])
			}
			w.PushAll(p)
		}
		d.Flush()
		if _, err := g.Result(); err != nil {
			b.Fatal(err)
		}
		wins, _ := w.Windows()
		DetectFallsIn(wins, 100, FallConfig{Up: [3]float64{1, 0, 0}})
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/day")
		b.ReportMetric(float64(cpu.Nanoseconds())/(float64(b.N)*float64(len(s))), "cpu-ns/sample")
	}
}
