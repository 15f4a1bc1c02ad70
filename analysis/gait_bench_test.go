package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/balance-pt/balance"
)

// freeLiving builds hours of 100 Hz data: quiet sitting and standing with
// sensor noise, and a walking bout of 20-60 s (1.6-2.0 steps/s) every few
// minutes, so that about walkFrac of the time is walking.
func freeLiving(hours, walkFrac float64) []balance.Sample {
	const fs = 100.0
	rng := rand.New(rand.NewPCG(1, 1))
	n := int(hours * 3600 * fs)
	s := make([]balance.Sample, n)
	i := 0
	for i < n {
		rest := int((40/walkFrac - 40) * fs * (0.5 + rng.Float64()))
		for j := 0; j < rest && i < n; j, i = j+1, i+1 {
			s[i].Acc = [3]float64{9.81 + 0.02*rng.NormFloat64(), 0.3 + 0.02*rng.NormFloat64(), 0.5 + 0.02*rng.NormFloat64()}
			s[i].Gyro = [3]float64{0.01 * rng.NormFloat64(), 0.01 * rng.NormFloat64(), 0.01 * rng.NormFloat64()}
		}
		walk := int((20 + 40*rng.Float64()) * fs)
		f := 1.6 + 0.4*rng.Float64()
		w := 2 * math.Pi * f
		for j := 0; j < walk && i < n; j, i = j+1, i+1 {
			t := float64(j) / fs
			v := -w*w*0.015*math.Cos(w*t) + 0.3*math.Sin(w/2*t) + 0.1*rng.NormFloat64()
			s[i].Acc = [3]float64{9.81 + v, 0.3 + 0.5*math.Sin(w/2*t), 0.5 + 0.8*math.Cos(w*t)}
			s[i].Gyro = [3]float64{0.3 * math.Sin(w/2*t), 0.05 * rng.NormFloat64(), 0.2 * math.Cos(w/2*t)}
		}
	}
	for i := range s {
		s[i].TimeNS = 1_700_000_000_000_000_000 + int64(i)*10_000_000
	}
	return s
}

// BenchmarkGait reports the cost per sample of Gait on synthetic
// free-living data (about 11 % walking) and on continuous walking (the worst
// case), in wall-clock and in process CPU time.
func BenchmarkGait(b *testing.B) {
	for _, bc := range []struct {
		name     string
		hours    float64
		walkFrac float64
	}{{"freeliving10pct_1h", 1, 0.1}, {"walking_10min", 1.0 / 6, 0.999}} {
		s := freeLiving(bc.hours, bc.walkFrac)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := Gait(s, 100, GaitParams{HeightM: 1.7}); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N) * float64(len(s))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/sample")
			// CPU time of the process (all threads, GC included) per sample:
			// the cost on a machine shared with other work.
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/sample")
			}
		})
	}
}
