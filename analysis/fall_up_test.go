package analysis

import (
	"errors"
	"math"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// upWalkScenario is lying (gravity along body x) for 2 s, walking upright
// (gravity along body z) from 2 s to 12 s, and lying again until 14 s, at
// fs Hz, rotated into the sensor frame by r. Walking adds a 0.3 g vertical
// oscillation at the step frequency (2 Hz) and a 0.2 g forward one at the
// stride frequency (1 Hz), both zero at whole seconds: summed over the
// samples of 2-12 s (both ends included) they cancel exactly (a sine summed
// over whole periods of equally spaced samples is zero), so the mean
// acceleration over the bout is gravity along r·z.
func upWalkScenario(fs float64, r [3][3]float64, timed bool) []balance.Sample {
	g := balance.StandardGravity
	n := int(14*fs) + 1
	out := make([]balance.Sample, n)
	for i := range out {
		t := float64(i) / fs
		a := [3]float64{g, 0, 0} // lying
		if t >= 2 && t <= 12 {
			a = [3]float64{0.2 * g * math.Sin(2*math.Pi*t), 0, g + 0.3*g*math.Sin(2*math.Pi*2*t)}
		}
		out[i].Acc = coreMulMV(r, a)
		if timed {
			out[i].TimeNS = 1_700_000_000e9 + int64(math.Round(t*1e9))
		}
	}
	return out
}

func TestUpFromBouts(t *testing.T) {
	const fs = 100.0
	r := coreRotMat([3]float64{1, 1, 0}, 40*math.Pi/180)
	want := coreMulMV(r, [3]float64{0, 0, 1})
	walk := []WalkingBout{{Start: 2, End: 12}}
	for _, tc := range []struct {
		name    string
		samples []balance.Sample
		fs      float64
		bouts   []WalkingBout
		want    [3]float64
		walkS   float64 // 1001 samples at 100 Hz
		err     error
	}{
		{"timed", upWalkScenario(fs, r, true), fs, walk, want, 10.01, nil},
		{"untimed (index/fs)", upWalkScenario(fs, r, false), fs, walk, want, 10.01, nil},
		{"two bouts", upWalkScenario(fs, r, true), fs, []WalkingBout{{Start: 2, End: 6}, {Start: 6.01, End: 12}}, want, 10.01, nil},
		// 3.01 s of walking is under UpMinWalkS.
		{"too little walking", upWalkScenario(fs, r, true), fs, []WalkingBout{{Start: 2, End: 5}}, [3]float64{}, 3.01, ErrTooShort},
		{"no bouts", upWalkScenario(fs, r, true), fs, nil, [3]float64{}, 0, ErrNoWalkingUp},
		{"bad rate", upWalkScenario(fs, r, true), 0, walk, [3]float64{}, 0, ErrBadRate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, walkS, err := UpFromBouts(tc.samples, tc.fs, tc.bouts)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			// Exact up to rounding (see upWalkScenario).
			if d := cmp.Diff(tc.want, up, cmpopts.EquateApprox(0, 1e-9)); d != "" {
				t.Errorf("up (-want +got):\n%s", d)
			}
			if math.Abs(walkS-tc.walkS) > 1e-9 {
				t.Errorf("walking %.4f s, want %.4f", walkS, tc.walkS)
			}
		})
	}
}

// TestFallDetectorSetUp: a turn in bed ending in an impact is alarmed
// without an up axis (TestFallDeclaredUp) and not once SetUp gives the
// axis, also when it is given while the stream runs (before the impact);
// SetUp of the zero vector forgets it; a real fall is found with it.
func TestFallDetectorSetUp(t *testing.T) {
	const fs = 100.0
	r := coreRotMat([3]float64{1, 1, 0}, 30*math.Pi/180)
	up := coreMulMV(r, [3]float64{0, 0, 1})
	bed := coreScenario(fs, r, []corePhase{{3, 1, 90}, {3, 1, 90}, {0.5, 1, 160}, {0.05, 2.5, 160}})
	fall := coreScenario(fs, r, []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}})
	run := func(s []balance.Sample, at int, set [3]float64, start [3]float64) int {
		d := NewFallDetector(fs, FallConfig{Up: start})
		n := 0
		for i := range s {
			if i == at {
				d.SetUp(set)
			}
			if _, ok := d.Push(s[i]); ok {
				n++
			}
		}
		return n + len(d.Flush())
	}
	for _, tc := range []struct {
		name    string
		samples []balance.Sample
		at      int
		set     [3]float64
		start   [3]float64
		want    int
	}{
		{"bed, no up", bed, -1, [3]float64{}, [3]float64{}, 1},
		{"bed, SetUp before the first sample", bed, 0, scale3(up, 3), [3]float64{}, 0},
		{"bed, SetUp while lying, before the impact", bed, int(7 * fs), up, [3]float64{}, 0},
		{"bed, up forgotten", bed, 0, [3]float64{}, up, 1},
		{"bed, non-finite up is forgotten", bed, 0, [3]float64{math.Inf(1), 0, 0}, up, 1},
		{"fall, SetUp", fall, 0, up, [3]float64{}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(tc.samples, tc.at, tc.set, tc.start); got != tc.want {
				t.Errorf("%d events, want %d", got, tc.want)
			}
		})
	}
	d := NewFallDetector(fs, FallConfig{})
	d.SetUp(scale3(up, 9.81))
	if diff := cmp.Diff(up, d.Up(), cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("Up() (-want +got):\n%s", diff)
	}
}
