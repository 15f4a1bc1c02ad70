package wire_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestJSONRoundTripSI: in SI units AppendJSON writes shortest round-trip
// decimals (strconv 'g', -1) and the decoder parses them with correctly
// rounded strconv.ParseFloat, so encode→decode is exact.
func TestJSONRoundTripSI(t *testing.T) {
	tests := []struct {
		name string
		b    *balance.Batch
		o    wire.JSONOptions
	}{
		{"arrays 100 Hz", gridBatch(100, 100, t0NS), wire.JSONOptions{}},
		{"arrays 128 Hz sub-ms t0", gridBatch(300, 128, t0NS+456_789), wire.JSONOptions{}},
		{"arrays one sample", gridBatch(1, 50, t0NS), wire.JSONOptions{}},
		{"explicit times forced", gridBatch(50, 100, t0NS), wire.JSONOptions{ExplicitTimes: true}},
		{"explicit times off grid", jitterBatch(80), wire.JSONOptions{}},
		{"spelling m/s^2", gridBatch(10, 100, t0NS), wire.JSONOptions{AccUnit: "m/s^2"}},
		{"spelling m/s²", gridBatch(10, 100, t0NS), wire.JSONOptions{AccUnit: "m/s²"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wire.AppendJSON(nil, tt.b, tt.o)
			got, enc, err := decode(t, p)
			if err != nil {
				t.Fatalf("decode: %v\npayload: %.300s", err, p)
			}
			if enc != wire.EncodingJSON {
				t.Errorf("encoding = %v", enc)
			}
			want := *tt.b
			if tt.o.ExplicitTimes {
				want.RateHz = 0 // explicit times carry no rate
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJSONRoundTripUnits: through g and deg/s a value is divided and then
// multiplied by the factor, two roundings of at most 2⁻⁵³ relative each
// (IEEE 754), so the round trip agrees within 4.5e-16 relative; 1e-15 is
// that bound with margin.
func TestJSONRoundTripUnits(t *testing.T) {
	for _, o := range []wire.JSONOptions{
		{AccUnit: "g", GyroUnit: "deg/s"},
		{AccUnit: "g", GyroUnit: "dps", ExplicitTimes: true},
		{AccUnit: "m/s2", GyroUnit: "°/s"},
	} {
		t.Run(fmt.Sprintf("%s %s %v", o.AccUnit, o.GyroUnit, o.ExplicitTimes), func(t *testing.T) {
			b := gridBatch(100, 100, t0NS)
			got, _, err := decode(t, wire.AppendJSON(nil, b, o))
			if err != nil {
				t.Fatal(err)
			}
			for i := range b.Samples {
				w, g := b.Samples[i], got.Samples[i]
				if w.TimeNS != g.TimeNS {
					t.Fatalf("sample %d time %d, want %d", i, g.TimeNS, w.TimeNS)
				}
				for k := range 3 {
					if !scalar.EqualWithinAbsOrRel(g.Acc[k], w.Acc[k], 0, 1e-15) || !scalar.EqualWithinAbsOrRel(g.Gyro[k], w.Gyro[k], 0, 1e-15) {
						t.Fatalf("sample %d: got %v, want %v", i, g, w)
					}
				}
			}
		})
	}
}

// TestJSONDecodeValues decodes hand-written payloads whose SI values follow
// from the unit definitions: 1 g = g₀ = 9.80665 m/s² (3rd CGPM 1901, exact),
// 1 deg/s = π/180 rad/s (definition of the degree, SI Brochure table 8).
// Times: t0 + round(i·1e9/rate_hz) ns; JSON t0 and t are Unix ms.
func TestJSONDecodeValues(t *testing.T) {
	ms := now.UnixMilli() - 1000
	deg := math.Pi / 180
	tests := []struct {
		name    string
		payload string
		want    balance.Batch
	}{
		{
			name:    "arrays in g and deg/s",
			payload: fmt.Sprintf(`{"v":1,"seq":7,"t0":%d,"rate_hz":100,"units":{"acc":"g","gyro":"deg/s"},"frame":"sensor","n":2,"samples":[[0,0,1,90,-180,0],[0.5,-0.25,1.5,1,2,3]]}`, ms),
			want: balance.Batch{DeviceID: "demo-001", Seq: 7, RateHz: 100, Samples: []balance.Sample{
				{TimeNS: ms * 1e6, Acc: [3]float64{0, 0, 9.80665}, Gyro: [3]float64{90 * deg, -180 * deg, 0}},
				{TimeNS: ms*1e6 + 10_000_000, Acc: [3]float64{0.5 * 9.80665, -0.25 * 9.80665, 1.5 * 9.80665}, Gyro: [3]float64{deg, 2 * deg, 3 * deg}},
			}},
		},
		{
			name: "fractional t0, 3 Hz grid rounds, keys in any order, white space",
			// 1e9/30 = 33333333.33 ns → 33333333; 2e9/30 = 66666666.67 → 66666667.
			payload: fmt.Sprintf(" {\"samples\": [[1,2,3,0,0,0], [1,2,3,0,0,0], [1,2,3,0,0,0]],\n \"units\": {\"gyro\":\"rad/s\", \"acc\":\"m/s2\"}, \"rate_hz\": 30, \"t0\": %d.0000015, \"v\": 1}", ms),
			want: balance.Batch{DeviceID: "demo-001", RateHz: 30, Samples: []balance.Sample{
				{TimeNS: ms*1e6 + 2, Acc: [3]float64{1, 2, 3}},
				{TimeNS: ms*1e6 + 2 + 33333333, Acc: [3]float64{1, 2, 3}},
				{TimeNS: ms*1e6 + 2 + 66666667, Acc: [3]float64{1, 2, 3}},
			}},
		},
		{
			name:    "explicit times with fractional ms and exponent",
			payload: fmt.Sprintf(`{"v":1,"units":{"acc":"m/s²","gyro":"°/s"},"samples":[{"t":%d.25,"acc":[0,9.8,0],"gyro":[0,0,1]},{"t":%de-3,"gyro":[1,0,0],"acc":[1e-2,9.8,-0]}]}`, ms, (ms+12)*1000),
			want: balance.Batch{DeviceID: "demo-001", Samples: []balance.Sample{
				{TimeNS: ms*1e6 + 250_000, Acc: [3]float64{0, 9.8, 0}, Gyro: [3]float64{0, 0, deg}},
				{TimeNS: (ms + 12) * 1e6, Acc: [3]float64{0.01, 9.8, 0}, Gyro: [3]float64{deg, 0, 0}},
			}},
		},
		{
			name:    "unicode escapes in unit strings, unknown keys ignored",
			payload: fmt.Sprintf(`{"v":1,"model":"x","t0":%d,"rate_hz":50,"units":{"acc":"m\/s\u00b2","gyro":"\u00b0/s"},"samples":[[0,0,9.8,0,0,0]]}`, ms),
			want: balance.Batch{DeviceID: "demo-001", RateHz: 50, Samples: []balance.Sample{
				{TimeNS: ms * 1e6, Acc: [3]float64{0, 0, 9.8}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := decode(t, []byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecoderReuse: a Decoder and a dst batch reused across payloads of
// different encodings and sizes give the same result as fresh ones.
func TestDecoderReuse(t *testing.T) {
	d := wire.NewDecoder(wire.DefaultLimits())
	var dst balance.Batch
	big, small := gridBatch(500, 100, t0NS), gridBatch(3, 100, t0NS)
	small.Seq = 0
	payloads := [][]byte{
		wire.AppendJSON(nil, big, wire.JSONOptions{}),
		wire.AppendLineProtocol(nil, small),
		[]byte("garbage"),
		wire.AppendJSON(nil, small, wire.JSONOptions{ExplicitTimes: true}),
	}
	wants := []*balance.Batch{big, small, nil, small}
	for i, p := range payloads {
		_, err := d.DecodeIMU("demo-001", p, now, &dst)
		if wants[i] == nil {
			if err == nil {
				t.Fatalf("payload %d: no error", i)
			}
			if len(dst.Samples) != 0 {
				t.Errorf("payload %d: failed decode left %d samples", i, len(dst.Samples))
			}
			continue
		}
		if err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
		want := *wants[i]
		if i != 0 {
			want.RateHz = 0 // line protocol and explicit times carry no rate
		}
		if diff := cmp.Diff(want.Samples, dst.Samples); diff != "" || want.Seq != dst.Seq || want.RateHz != dst.RateHz {
			t.Errorf("payload %d: seq %d rate %v (want %d, %v); samples (-want +got):\n%s", i, dst.Seq, dst.RateHz, want.Seq, want.RateHz, diff)
		}
	}
}
