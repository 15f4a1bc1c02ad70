package wire_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
	"github.com/google/go-cmp/cmp"
)

// TestLineProtocolRoundTrip: AppendLineProtocol writes SI values as
// shortest round-trip decimals, so decoding gives them back exactly.
func TestLineProtocolRoundTrip(t *testing.T) {
	for _, b := range []*balance.Batch{gridBatch(100, 100, t0NS), jitterBatch(30)} {
		b.RateHz = 0 // line protocol carries no rate
		p := wire.AppendLineProtocol(nil, b)
		got, enc, err := decode(t, p)
		if err != nil {
			t.Fatalf("%v\n%.300s", err, p)
		}
		if enc != wire.EncodingLineProtocol {
			t.Errorf("encoding %v", enc)
		}
		if diff := cmp.Diff(b, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

// TestLineProtocolDecodeValues: hand-written lines; SI values follow from
// 1 g = 9.80665 m/s² and 1 deg/s = π/180 rad/s (SI definitions).
func TestLineProtocolDecodeValues(t *testing.T) {
	ns := t0NS
	deg := math.Pi / 180
	tests := []struct {
		name    string
		payload string
		seq     uint64
		want    []balance.Sample
	}{
		{
			name:    "SI default, integers, seq, comment, blank and CRLF lines",
			payload: fmt.Sprintf("# from gateway\r\n\r\nimu,device=demo-001 ax=1i,ay=-2,az=9.5,gx=0,gy=1e-3,gz=2u,seq=42i %d\r\n   imu ax=0,ay=0,az=9.8,gx=0,gy=0,gz=0 %d\n", ns, ns+10_000_000),
			seq:     42,
			want: []balance.Sample{
				{TimeNS: ns, Acc: [3]float64{1, -2, 9.5}, Gyro: [3]float64{0, 1e-3, 2}},
				{TimeNS: ns + 10_000_000, Acc: [3]float64{0, 0, 9.8}},
			},
		},
		{
			name:    "unit tags, escaped and unknown tags and fields, any field order",
			payload: fmt.Sprintf(`imu,site=ward\ 3\,b,acc_unit=g,gyro_unit=deg/s,device=demo-001 gz=3,note="a \"b\" c, d=e",gy=2,gx=1,az=1,ay=0,ax=0.5,ok=true %d`, ns),
			want: []balance.Sample{
				{TimeNS: ns, Acc: [3]float64{0.5 * 9.80665, 0, 9.80665}, Gyro: [3]float64{deg, 2 * deg, 3 * deg}},
			},
		},
		{
			name:    "other unit spellings, trailing spaces, tab before the line",
			payload: fmt.Sprintf("\timu,device=demo-001,acc_unit=m/s^2,gyro_unit=dps ax=1,ay=2,az=3,gx=4,gy=5,gz=6 %d  ", ns),
			want: []balance.Sample{
				{TimeNS: ns, Acc: [3]float64{1, 2, 3}, Gyro: [3]float64{4 * deg, 5 * deg, 6 * deg}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := decode(t, []byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			want := &balance.Batch{DeviceID: "demo-001", Seq: tt.seq, Samples: tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
