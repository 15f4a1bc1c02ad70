package recording

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance"
)

// benchRecording is n samples at 100 Hz with gyroscope, values of
// full float64 precision as `balance sim` writes them (the gyroscope ramp
// restarts every 6000 s to stay within range).
func benchRecording(n int) Recording {
	rec := Recording{RateHz: 100, HasGyro: true}
	rec.Samples = make([]balance.Sample, 0, n)
	for i := 0; i < n; i++ {
		t := float64(i) / 100
		rec.Samples = append(rec.Samples, balance.Sample{TimeNS: int64(i) * 1e7,
			Acc: [3]float64{math.Sin(t), 9.81 + 0.3*math.Cos(3*t), 0.1}, Gyro: [3]float64{0.01 * math.Mod(t, 6000), 0.2, -0.1}})
	}
	return rec
}

// benchGeneric is benchRecording(n) as generic CSV.
func benchGeneric(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	if err := WriteGeneric(&buf, benchRecording(n)); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// benchSisFall is n SisFall lines of varying counts.
func benchSisFall(n int) []byte {
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		a := int(200 * math.Sin(float64(i)/50))
		fmt.Fprintf(&buf, "%4d,%4d,%4d,%4d,%4d,%4d,%4d,%4d,%4d;\r\n", a, -257+a/3, -25, 84-a, 247, 27+a/7, -120, -987+a, 63)
	}
	return buf.Bytes()
}

// perSample reports ns/sample and, with -benchmem, B/sample.
func perSample(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/sample")
}

// BenchmarkReadGeneric reports the cost of reading the generic CSV per
// sample (100 Hz, with gyroscope), the format of a day's recording, into a
// whole Recording (Read).
func BenchmarkReadGeneric(b *testing.B) {
	const n = 100_000
	data := benchGeneric(b, n)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
	perSample(b, n)
}

// streamAll reads every sample of r through a Stream in chunks of 4096
// samples and returns their number.
func streamAll(b testing.TB, r io.Reader, opts Options, chunk []balance.Sample) int {
	s, err := Open(r, opts)
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for {
		n, err := s.Read(chunk)
		total += n
		if err == io.EOF {
			return total
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStream reports the cost per sample of reading through a Stream
// in chunks of 4096 samples: generic CSV (full-precision values as
// `balance sim` writes them, and 6-decimal values as devices export them),
// SisFall text, and the same recording as binary frames (WriteFrames'
// defaults: 100 samples with gyroscope per frame).
func BenchmarkStream(b *testing.B) {
	const n = 100_000
	short := benchRecording(n)
	for i := range short.Samples {
		s := &short.Samples[i]
		for k := 0; k < 3; k++ {
			s.Acc[k] = math.Round(s.Acc[k]*1e6) / 1e6
			s.Gyro[k] = math.Round(s.Gyro[k]*1e6) / 1e6
		}
	}
	var sb bytes.Buffer
	if err := WriteGeneric(&sb, short); err != nil {
		b.Fatal(err)
	}
	var fb bytes.Buffer
	if err := WriteFrames(&fb, benchRecording(n), FramesOptions{}); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"generic", benchGeneric(b, n)},
		{"generic-6-decimals", sb.Bytes()},
		{"sisfall", benchSisFall(n)},
		{"frames", fb.Bytes()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			chunk := make([]balance.Sample, 4096)
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				if got := streamAll(b, bytes.NewReader(tc.data), Options{}, chunk); got != n {
					b.Fatalf("read %d samples, want %d", got, n)
				}
			}
			perSample(b, n)
		})
	}
}

// BenchmarkStreamFile1M reads a generated file of 1,000,000 samples (about
// 110 MB, written once to a temporary directory) through a Stream in chunks
// of 4096 samples; B/op is everything the reading allocates, against the
// 56 MB the samples would take if held.
func BenchmarkStreamFile1M(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "day.csv")
	if err := os.WriteFile(path, benchGeneric(b, n), 0o644); err != nil {
		b.Fatal(err)
	}
	chunk := make([]balance.Sample, 4096)
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if got := streamAll(b, f, Options{}, chunk); got != n {
			b.Fatalf("read %d samples, want %d", got, n)
		}
		f.Close()
	}
	perSample(b, n)
}
