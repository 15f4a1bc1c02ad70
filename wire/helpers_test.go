package wire_test

import (
	"math"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// now is the receive time of every test decode; test batches start near it.
var now = time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)

// t0NS is the first sample time of test batches: 10 s before now.
var t0NS = now.Add(-10 * time.Second).UnixNano()

// gridBatch returns n samples at rate hz from t0 on the grid
// t0 + round(i·1e9/hz), with smooth, full-precision values of a person
// standing (|acc| ≈ g₀, small rotations).
func gridBatch(n int, hz float64, t0 int64) *balance.Batch {
	b := &balance.Batch{DeviceID: "demo-001", Seq: 42, RateHz: hz, Samples: make([]balance.Sample, n)}
	for i := range b.Samples {
		x := float64(i) / hz
		b.Samples[i] = balance.Sample{
			TimeNS: t0 + int64(math.Round(float64(i)*1e9/hz)),
			Acc:    [3]float64{0.3 * math.Sin(2*math.Pi*1.1*x), -0.2 + 0.1*math.Cos(2*math.Pi*0.7*x), 9.80665 + 0.5*math.Sin(2*math.Pi*1.9*x+1)},
			Gyro:   [3]float64{0.4 * math.Sin(2*math.Pi*0.9*x), -0.25 * math.Cos(2*math.Pi*1.3*x), 0.1 * math.Sin(2*math.Pi*0.3*x+2)},
		}
	}
	return b
}

// jitterBatch returns gridBatch with times moved off the grid by up to
// ±1.7 ms (still increasing) and with sub-millisecond digits.
func jitterBatch(n int) *balance.Batch {
	b := gridBatch(n, 100, t0NS)
	for i := range b.Samples {
		b.Samples[i].TimeNS += int64(1_700_000*math.Sin(float64(i)*1.3)) + 123
	}
	b.RateHz = 0
	return b
}

// decode decodes payload from demo-001 at now with default limits.
func decode(t testing.TB, payload []byte) (*balance.Batch, wire.Encoding, error) {
	t.Helper()
	var b balance.Batch
	enc, err := wire.NewDecoder(wire.Limits{}).DecodeIMU("demo-001", payload, now, &b)
	return &b, enc, err
}

// wantCode fails t unless err carries code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := balance.ErrorCode(err); got != code {
		t.Errorf("error code = %q, want %q (error: %v)", got, code, err)
	}
}
