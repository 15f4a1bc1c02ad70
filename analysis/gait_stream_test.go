package analysis

import (
	"testing"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// streamDay is 3 h of freeLiving data with, at 1 h, a 2 s gap (split) and
// at 2 h a 0.3 s gap (bridged) and 3 s of a stuck accelerometer.
func streamDay() []balance.Sample {
	s := freeLiving(3, 0.1)
	const h = 360_000
	for i := h; i < len(s); i++ {
		s[i].TimeNS += 2_000_000_000
	}
	out := append([]balance.Sample{}, s[:2*h]...)
	out = append(out, s[2*h+30:]...) // 0.3 s lost
	for i := 2*h + 50_000; i < 2*h+50_300; i++ {
		out[i].Acc = out[2*h+50_000].Acc
	}
	return out
}

// TestGaitStreamMatchesGait: GaitStream with 10 min chunks (the default)
// and with the smallest chunk (4 × the 30 s margin) gives Gait's result
// and UpFromBouts' axis on the same samples, bit for bit.
func TestGaitStreamMatchesGait(t *testing.T) {
	s := streamDay()
	p := GaitParams{HeightM: 1.7}
	want, err := Gait(s, 100, p)
	if err != nil {
		t.Fatal(err)
	}
	wantUp, wantWalk, err := UpFromBouts(s, 100, want.Bouts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bouts, %d sequences, quality %v", len(want.Bouts), len(want.Sequences), want.Quality)
	if len(want.Bouts) < 20 {
		t.Fatalf("only %d bouts in the synthetic data", len(want.Bouts))
	}
	for _, tc := range []struct {
		name   string
		chunkS float64
		push   int
	}{{"default", 0, 4096}, {"small", 1, 777}} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewGaitStream(100, p, true, tc.chunkS)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(s); i += tc.push {
				if err := g.Push(s[i:min(len(s), i+tc.push)]); err != nil {
					t.Fatal(err)
				}
			}
			got, err := g.Result()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("GaitStream differs from Gait (-Gait +stream):\n%s", diff)
			}
			up, walk, err := g.Up()
			if err != nil || up != wantUp || walk != wantWalk {
				t.Errorf("Up = %v, %v s, %v; UpFromBouts %v, %v s", up, walk, err, wantUp, wantWalk)
			}
		})
	}
}
