package wire_test

import (
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// benchDecode decodes payload (a 100-sample batch) b.N times with one
// reused Decoder and dst, reporting ns/sample and samples/s.
func benchDecode(b *testing.B, payload []byte) {
	d := wire.NewDecoder(wire.DefaultLimits())
	var dst balance.Batch
	if _, err := d.DecodeIMU("demo-001", payload, now, &dst); err != nil {
		b.Fatal(err)
	}
	n := len(dst.Samples)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := d.DecodeIMU("demo-001", payload, now, &dst); err != nil {
			b.Fatal(err)
		}
	}
	perSample := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n)
	b.ReportMetric(perSample, "ns/sample")
	b.ReportMetric(1e9/perSample, "samples/s")
}

func BenchmarkDecodeJSON(b *testing.B) {
	benchDecode(b, wire.AppendJSON(nil, gridBatch(100, 100, t0NS), wire.JSONOptions{}))
}

func BenchmarkDecodeJSONExplicitTimes(b *testing.B) {
	benchDecode(b, wire.AppendJSON(nil, gridBatch(100, 100, t0NS), wire.JSONOptions{AccUnit: "g", GyroUnit: "deg/s", ExplicitTimes: true}))
}

func BenchmarkDecodeBinary(b *testing.B) {
	benchDecode(b, wire.AppendBinary(nil, gridBatch(100, 100, t0NS), 32*9.80665/65536, 0.001))
}

func BenchmarkDecodeLineProtocol(b *testing.B) {
	benchDecode(b, wire.AppendLineProtocol(nil, gridBatch(100, 100, t0NS)))
}

func BenchmarkAppendJSON(b *testing.B) {
	batch := gridBatch(100, 100, t0NS)
	buf := make([]byte, 0, 16<<10)
	b.ReportAllocs()
	for range b.N {
		buf = wire.AppendJSON(buf[:0], batch, wire.JSONOptions{})
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	batch := gridBatch(100, 100, t0NS)
	buf := make([]byte, 0, 2<<10)
	b.ReportAllocs()
	for range b.N {
		buf = wire.AppendBinary(buf[:0], batch, 0.005, 0.001)
	}
}
