package validation

import (
	"math"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
)

func TestMatchICsIn(t *testing.T) {
	for _, tc := range []struct {
		name        string
		det, ref    []float64
		lo, hi      float64
		nDet, nRefs int
	}{
		// Each detection within 0.25 s of its own reference.
		{"all match", []float64{1.0, 1.6, 2.1}, []float64{1.1, 1.5, 2.0}, 0, 10, 3, 3},
		// 1.3 is 0.3 s from 1.0 and from 1.6: no match.
		{"beyond tolerance", []float64{1.3}, []float64{1.0, 1.6}, 0, 10, 0, 0},
		// Two detections near one reference: only the nearer matches (one to one).
		{"one to one", []float64{1.0, 1.1}, []float64{1.08}, 0, 10, 1, 1},
		// The match at 5 counts for precision but not for the in-window
		// references [0, 3].
		{"reference outside the window", []float64{1.0, 5.0}, []float64{1.0, 5.0}, 0, 3, 2, 1},
		{"nothing detected", nil, []float64{1}, 0, 3, 0, 0},
	} {
		nd, nr := matchICsIn(tc.det, tc.ref, 0.25, tc.lo, tc.hi)
		if diff := cmp.Diff([2]int{tc.nDet, tc.nRefs}, [2]int{nd, nr}); diff != "" {
			t.Errorf("%s: (detections, references) matched (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestMeanMedian(t *testing.T) {
	x := []float64{3, 1, 2, 10}
	if got := median(x); got != 2.5 { // (2 + 3) / 2
		t.Errorf("median = %v, want 2.5", got)
	}
	if x[0] != 3 {
		t.Errorf("median reordered its input: %v", x)
	}
	if got := mean(x); got != 4 { // 16 / 4
		t.Errorf("mean = %v, want 4", got)
	}
	if !math.IsNaN(mean(nil)) || !math.IsNaN(median(nil)) || !math.IsNaN(ratio(1, 0)) {
		t.Error("empty input should give NaN")
	}
}

// TestTimesFor checks the map from analysis time to PacketCounter: with
// gaps the time base is the counter itself; contiguous rows map through the
// counters of the rows on either side.
func TestTimesFor(t *testing.T) {
	w := ipolWalk{Counter: []int{1, 2, 5, 6}}
	w.Samples = make([]balance.Sample, len(w.Counter))
	for i, c := range w.Counter {
		w.Samples[i].TimeNS = int64(c) * 10_000_000
	}
	_, gappy := timesFor(&w, ipolGappy)
	s, contiguous := timesFor(&w, ipolContiguous)
	for _, tc := range []struct {
		name string
		f    func(float64) float64
		t    float64
		want float64
	}{
		{"gappy: 0.04 s after counter 1", gappy, 0.04, 5},
		{"contiguous: row 2 is counter 5", contiguous, 0.02, 5},
		{"contiguous: halfway between rows 1 and 2", contiguous, 0.015, 3.5},
		{"contiguous: past the last row", contiguous, 0.05, 8},
	} {
		if got := tc.f(tc.t); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if s[3].TimeNS != 30_000_000 {
		t.Errorf("contiguous row 3 at %d ns, want 3e7", s[3].TimeNS)
	}
}
