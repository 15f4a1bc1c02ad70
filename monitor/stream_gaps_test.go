package monitor

import (
	"testing"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
)

// TestBridgeableRun: the gait window keeps lost packets (analysis.Gait
// bridges steps up to analysis.MaxBridgeGapS = 0.5 s) and is cut only at
// longer gaps or times that go back; longestRun still cuts at every step
// over 2/fs.
func TestBridgeableRun(t *testing.T) {
	at := func(ms ...int64) []balance.Sample {
		out := make([]balance.Sample, len(ms))
		for i, v := range ms {
			out[i].TimeNS = v * 1e6
		}
		return out
	}
	times := func(ss []balance.Sample) []int64 {
		var out []int64
		for _, s := range ss {
			out = append(out, s.TimeNS/1e6)
		}
		return out
	}
	for _, tc := range []struct {
		name           string
		in             []balance.Sample
		bridge, strict []int64
	}{
		{"lost packets", at(0, 10, 40, 50, 60, 560, 570), []int64{0, 10, 40, 50, 60, 560, 570}, []int64{40, 50, 60}},
		{"long gap", at(0, 10, 20, 530, 540), []int64{0, 10, 20}, []int64{0, 10, 20}},
		{"backwards", at(0, 10, 30, 20, 40, 50, 60), []int64{20, 40, 50, 60}, []int64{20, 40, 50, 60}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := times(bridgeableRun(tc.in)); !cmp.Equal(got, tc.bridge) {
				t.Errorf("bridgeableRun %v, want %v", got, tc.bridge)
			}
			if got := times(longestRun(tc.in, 100)); !cmp.Equal(got, tc.strict) {
				t.Errorf("longestRun %v, want %v", got, tc.strict)
			}
		})
	}
}
