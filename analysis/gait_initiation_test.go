package analysis

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTrimInitiation builds a band-passed vertical acceleration of one sine
// period per step, amplitude amp[s] for step s, and checks which leading
// contacts trimInitiation drops: those whose step moves the trunk less than
// one third of the bout's median step (initiationRelMin).
func TestTrimInitiation(t *testing.T) {
	const n = 50 // samples per step
	for _, tc := range []struct {
		name      string
		amp       []float64
		wantFirst []int // First of each bout kept
	}{
		{"steady walk keeps every contact", []float64{1, 1, 1, 1, 1, 1}, []int{0}},
		{"weight shift before the first step", []float64{0.2, 1, 1, 1, 1, 1}, []int{1}},
		{"two quiet leading steps", []float64{0.1, 0.25, 1, 1, 1, 1, 1}, []int{2}},
		{"a shallow first step at 0.4 stays", []float64{0.4, 1, 1, 1, 1, 1}, []int{0}},
		{"quiet step later in the bout stays", []float64{1, 1, 0.1, 1, 1, 1}, []int{0}},
		{"trimmed below two strides: no bout", []float64{0.1, 1, 1}, nil},
	} {
		steps := len(tc.amp)
		bp := make([]float64, steps*n+1)
		idx := make([]int, steps+1)
		times := make([]float64, steps+1)
		for s, a := range tc.amp {
			for i := 0; i < n; i++ {
				bp[s*n+i] = a * math.Sin(2*math.Pi*float64(i)/n)
			}
		}
		for k := range idx {
			idx[k] = k * n
			times[k] = float64(k) * 0.5
		}
		spans := AssembleBouts(times, nil, nil, MobilisedBoutRules)
		var got []int
		for _, sp := range trimInitiation(spans, bp, idx, MobilisedBoutRules) {
			got = append(got, sp.First)
			if len(sp.Valid) != sp.Last-sp.First-1 {
				t.Errorf("%s: %d stride flags for contacts %d..%d", tc.name, len(sp.Valid), sp.First, sp.Last)
			}
			nv := 0
			for _, v := range sp.Valid {
				if v {
					nv++
				}
			}
			if nv != sp.NumStrides {
				t.Errorf("%s: NumStrides %d, %d valid flags", tc.name, sp.NumStrides, nv)
			}
		}
		if diff := cmp.Diff(tc.wantFirst, got); diff != "" {
			t.Errorf("%s: bout starts (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestGaitInitiationWeightShift puts a weight shift before a synthetic walk
// (one step-like cycle at 15 % of the steps' vertical acceleration, the
// size of the anticipatory shifts seen before the first step in the IPOL
// walks: 0.1-0.3 of a step) and checks that Gait starts the bout at the
// first heel strike of the walk, not at the shift.
func TestGaitInitiationWeightShift(t *testing.T) {
	const fs, f, h, walkFrom = 100.0, 1.8, 0.03, 10.0
	s := synthWalk(fs, 40, walkFrom, 30, f, h, 0, 0)
	w := 2 * math.Pi * f
	amp := 0.15 * w * w * h / 2
	t0 := walkFrom - 1/f - 0.2 // the shift ends 0.2 s before the walk
	for i := range s {
		if tt := float64(i)/fs - t0; tt >= 0 && tt < 1/f {
			a := -amp * math.Cos(w*tt)
			s[i].Acc[0] += a
		}
	}
	res, err := Gait(s, fs, GaitParams{SensorHeightM: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bouts) != 1 {
		t.Fatalf("%d bouts, want 1", len(res.Bouts))
	}
	// The walk's first contact is within one step after walkFrom (the
	// synthetic acceleration rises steepest a quarter cycle in).
	if b := res.Bouts[0]; b.Start < walkFrom-0.1 || b.Start > walkFrom+1/f {
		t.Errorf("bout starts at %.2f s, want the first step of the walk in %.2f-%.2f s", b.Start, walkFrom-0.1, walkFrom+1/f)
	}
}
