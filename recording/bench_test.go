package recording

import (
	"bytes"
	"math"
	"testing"

	"github.com/balance-pt/balance"
)

// BenchmarkReadGeneric reports the cost of reading the generic CSV per
// sample (100 Hz, with gyroscope), the format of a day's recording.
func BenchmarkReadGeneric(b *testing.B) {
	rec := Recording{RateHz: 100, HasGyro: true}
	for i := 0; i < 100_000; i++ {
		t := float64(i) / 100
		rec.Samples = append(rec.Samples, balance.Sample{TimeNS: int64(i) * 1e7,
			Acc: [3]float64{math.Sin(t), 9.81 + 0.3*math.Cos(3*t), 0.1}, Gyro: [3]float64{0.01 * t, 0.2, -0.1}})
	}
	var buf bytes.Buffer
	if err := WriteGeneric(&buf, rec); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rec.Samples)), "ns/sample")
}
