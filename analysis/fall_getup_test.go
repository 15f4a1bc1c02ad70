package analysis

import (
	"math"
	"testing"
)

// TestFallGetUp: falls followed by getting up are still falls, reported
// once, with when the trunk was upright again. The scenario (coreScenario,
// 100 Hz) stands 3 s, falls (0.3 s at 0.2 g tipping to 45°, a 4 g impact
// at 3.30 s while reaching 90°), lies for lieS, rises to upright over 1 s
// and stands. Getting up is judged on 0.5 s blocks from the decision
// (1.5 s after the impact) and needs two upright blocks (trunk within 45°
// of the pre-fall direction): the trunk passes 45° half-way through the
// rise; a block's mean direction is within 45° only when at least about
// half of it is past that moment, so the first upright block starts
// between 0.25 s before it and 0.5 s after it.
func TestFallGetUp(t *testing.T) {
	fs := 100.0
	r := coreRotMat([3]float64{0, 0, 1}, 0)
	for _, tc := range []struct {
		name string
		lieS float64
	}{
		// Up at once: lying only through the posture window (0.5-1.5 s).
		{"at once", 1.2},
		{"after 2 s", 2},
		{"after 3 s", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := coreScenario(fs, r, []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}, {tc.lieS, 1, 90}, {1, 1, 0}})
			evs := DetectFalls(s, fs, FallConfig{})
			if len(evs) != 1 {
				t.Fatalf("events %+v, want one", evs)
			}
			ev := evs[0]
			if !ev.GotUp {
				t.Fatalf("event %+v: want GotUp", ev)
			}
			// The impact ends at 3.35 s; the rise starts lieS later and
			// passes 45° 0.5 s into it.
			half := 3.35 + tc.lieS + 0.5
			imp := float64(ev.ImpactTimeNS) / 1e9
			if lo, hi := half-0.25-imp-0.01, half+0.5-imp+0.01; ev.TimeToGetUpS < lo || ev.TimeToGetUpS > hi {
				t.Errorf("time to get up %.2f s, want in [%.2f, %.2f]", ev.TimeToGetUpS, lo, hi)
			}
			if ev.GetUpTimeNS-ev.ImpactTimeNS != int64(math.Round(ev.TimeToGetUpS*1e9)) {
				t.Errorf("GetUpTimeNS %d and TimeToGetUpS %v disagree", ev.GetUpTimeNS, ev.TimeToGetUpS)
			}
			if !(ev.ImpactTimeNS < ev.DecisionTimeNS && ev.DecisionTimeNS <= ev.InactivityEndNS) {
				t.Errorf("times out of order: %+v", ev)
			}
			if d := float64(ev.DecisionTimeNS-ev.ImpactTimeNS) / 1e9; math.Abs(d-1.5) > 0.011 {
				t.Errorf("decision %.3f s after the impact, want 1.5 (SettleSec + PostureSec)", d)
			}
		})
	}
	// Lying on: not up, the event returned GetUpSec (5 s) after the impact.
	s := coreScenario(fs, r, []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}})
	evs := DetectFalls(s, fs, FallConfig{})
	if len(evs) != 1 || evs[0].GotUp || math.Abs(float64(evs[0].InactivityEndNS-evs[0].ImpactTimeNS)/1e9-5) > 0.011 {
		t.Errorf("lying on: %+v, want one event, not up, ending 5 s after the impact", evs)
	}
}

// TestFallOneEventWhateverFollows: after a fall, turning over and a second
// thud while on the ground give no second event; getting up and falling
// again gives a second one.
func TestFallOneEventWhateverFollows(t *testing.T) {
	fs := 100.0
	r := coreRotMat([3]float64{0, 0, 1}, 0)
	fall := []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}}
	for _, tc := range []struct {
		name   string
		phases []corePhase
		want   int
	}{
		{"turn over and thud", append(append([]corePhase{}, fall...), corePhase{2, 1, 90}, corePhase{0.5, 1, 160}, corePhase{0.05, 3, 160}, corePhase{2, 1, 160}), 1},
		{"up and fall again", append(append([]corePhase{}, fall...), corePhase{2, 1, 90}, corePhase{1, 1, 0}, corePhase{4, 1, 0}, corePhase{0.3, 0.2, 45}, corePhase{0.05, 4, 90}), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if evs := DetectFalls(coreScenario(fs, r, tc.phases), fs, FallConfig{}); len(evs) != tc.want {
				t.Errorf("%d events %+v, want %d", len(evs), evs, tc.want)
			}
		})
	}
}

// TestFallDeclaredUp: a thud while turning over in bed (lying before the
// impact) looks like a fall when the mounting is unknown, and is not one
// when the sensor's up is declared; a real fall is found either way, in
// any of the mountings.
func TestFallDeclaredUp(t *testing.T) {
	fs := 100.0
	mounts := map[string][3][3]float64{
		"upright":     coreRotMat([3]float64{0, 0, 1}, 0),
		"upside down": coreRotMat([3]float64{1, 0, 0}, math.Pi),
		"tilted 30":   coreRotMat([3]float64{1, 1, 0}, 30*math.Pi/180),
	}
	bed := []corePhase{{3, 1, 90}, {3, 1, 90}, {0.5, 1, 160}, {0.05, 2.5, 160}}
	fall := []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}}
	for name, r := range mounts {
		up := coreMulMV(r, [3]float64{0, 0, 1})
		t.Run(name, func(t *testing.T) {
			if n := len(DetectFalls(coreScenario(fs, r, bed), fs, FallConfig{})); n != 1 {
				t.Errorf("turn in bed, mounting unknown: %d events, want 1 (lying cannot be told from upright)", n)
			}
			if n := len(DetectFalls(coreScenario(fs, r, bed), fs, FallConfig{Up: up})); n != 0 {
				t.Errorf("turn in bed, mounting declared: %d events, want 0", n)
			}
			if n := len(DetectFalls(coreScenario(fs, r, fall), fs, FallConfig{Up: up})); n != 1 {
				t.Errorf("fall, mounting declared: %d events, want 1", n)
			}
		})
	}
}
