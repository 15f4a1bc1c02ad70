package analysis

import (
	"math"
	"testing"

	"github.com/balance-pt/balance"
)

// fallScenario builds body-frame |acc| scenarios (z up) at fs Hz and rotates
// them into the sensor frame by r: 3 s upright standing, then the event,
// then 6 s in the end posture, still. Gravity is g₀ along the current up.
type corePhase struct {
	sec   float64
	accG  float64 // |acc| in g during the phase (along the current up)
	tiltD float64 // tilt of the body from upright at the end of the phase (deg, about y)
}

func coreScenario(fs float64, r [3][3]float64, phases []corePhase) []balance.Sample {
	var out []balance.Sample
	tilt := 0.0
	add := func(sec, accG, tiltEnd float64) {
		n := int(sec * fs)
		for i := 0; i < n; i++ {
			th := (tilt + (tiltEnd-tilt)*float64(i+1)/float64(n)) * math.Pi / 180
			// Up in the body frame tilted by th about y.
			up := [3]float64{-math.Sin(th), 0, math.Cos(th)}
			a := scale3(up, accG*balance.StandardGravity)
			out = append(out, balance.Sample{TimeNS: int64(len(out)) * int64(1e9/fs), Acc: coreMulMV(r, a)})
		}
		tilt = tiltEnd
	}
	add(3, 1, 0)
	for _, p := range phases {
		add(p.sec, p.accG, p.tiltD)
	}
	add(6, 1, tilt)
	return out
}

func TestFallDetectorScenarios(t *testing.T) {
	fs := 100.0
	mounts := map[string][3][3]float64{
		"upright":     coreRotMat([3]float64{0, 0, 1}, 0),
		"upside down": coreRotMat([3]float64{1, 0, 0}, math.Pi),
		"tilted 30":   coreRotMat([3]float64{1, 1, 0}, 30*math.Pi/180),
	}
	for _, tc := range []struct {
		name   string
		phases []corePhase
		fall   bool
	}{
		// Free fall 0.3 s at 0.2 g while tipping to 45°, impact 4 g for
		// 50 ms, lying (90°): every cue present.
		{"forward fall", []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}}, true},
		// Soft fall from sitting: no free fall, 2.5 g impact, ends at 80°.
		{"soft fall", []corePhase{{0.5, 0.9, 60}, {0.05, 2.5, 80}}, true},
		// Lying down in bed: 90° over 2 s with no impact.
		{"lying down", []corePhase{{2, 1, 90}}, false},
		// Jump: 0.3 s near 0 g, landing at 4 g, upright again.
		{"jump", []corePhase{{0.3, 0.05, 0}, {0.05, 4.2, 0}}, false},
		// Collapse into a chair: 6 g impact, trunk reclined 25°.
		{"collapse into chair", []corePhase{{0.4, 0.5, 15}, {0.05, 6.3, 25}}, false},
		// Impact then lying but not still (rolling, |acc| varies ±0.3 g):
		// no alarm by default. Built below.
	} {
		for mname, r := range mounts {
			t.Run(tc.name+"/"+mname, func(t *testing.T) {
				s := coreScenario(fs, r, tc.phases)
				evs := DetectFalls(s, fs, FallConfig{})
				if got := len(evs) == 1; got != tc.fall || len(evs) > 1 {
					t.Fatalf("events %+v, want fall=%v", evs, tc.fall)
				}
				if !tc.fall {
					return
				}
				ev := evs[0]
				if ev.TiltDeg < 60 || ev.PeakAccG < 2 || !ev.Inactive || ev.Confidence <= 0 || ev.Confidence > 1 {
					t.Errorf("event %+v", ev)
				}
				// Free fall only in the scenario that has a 0.2 g phase.
				if ev.FreeFall != (tc.phases[0].accG < 0.6) || ev.FreeFall && ev.FreeFallStartNS > ev.ImpactTimeNS {
					t.Errorf("free fall %v at %d, impact at %d", ev.FreeFall, ev.FreeFallStartNS, ev.ImpactTimeNS)
				}
				if !(ev.ImpactTimeNS < ev.PostureTimeNS && ev.PostureTimeNS < ev.InactivityEndNS) {
					t.Errorf("phase times out of order: %+v", ev)
				}
				// The impact phase starts after the 3 s of standing plus the
				// pre-impact phases.
				var pre float64 = 3
				for _, p := range tc.phases[:len(tc.phases)-1] {
					pre += p.sec
				}
				if got := float64(ev.ImpactTimeNS) / 1e9; got < pre-0.02 || got > pre+0.06 {
					t.Errorf("impact at %.2f s, want in [%.2f, %.2f]", got, pre, pre+0.05)
				}
			})
		}
	}
}

// TestFallDetectorNotStill: a fall followed by movement while lying is
// still a fall (issue 12: stillness is no longer required); it is reported
// as not inactive, with less confidence than the same fall lying still.
func TestFallDetectorNotStill(t *testing.T) {
	fs := 100.0
	s := coreScenario(fs, coreRotMat([3]float64{0, 0, 1}, 0), []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}})
	still := DetectFalls(s, fs, FallConfig{})
	// Add ±0.3 g movement at 2 Hz after the impact: lying but active.
	for i := int(3.6 * fs); i < len(s); i++ {
		k := 1 + 0.3*math.Sin(2*math.Pi*2*float64(i)/fs)
		s[i].Acc = scale3(s[i].Acc, k)
	}
	evs := DetectFalls(s, fs, FallConfig{})
	if len(evs) != 1 || evs[0].Inactive || len(still) != 1 || !still[0].Inactive {
		t.Fatalf("active after impact: events %+v (still: %+v), want one each, inactive only when still", evs, still)
	}
	if evs[0].Confidence >= still[0].Confidence {
		t.Errorf("confidence %v should lack the inactivity cue (still: %v)", evs[0].Confidence, still[0].Confidence)
	}
}

func TestFallDetectorBadSamples(t *testing.T) {
	fs := 100.0
	s := coreScenario(fs, coreRotMat([3]float64{0, 0, 1}, 0), []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}})
	d := NewFallDetector(fs, FallConfig{})
	n := 0
	for i := range s {
		if i%50 == 7 {
			d.Push(balance.Sample{Acc: [3]float64{math.NaN(), 0, 0}})
		}
		if _, ok := d.Push(s[i]); ok {
			n++
		}
	}
	if n != 1 || d.Skipped == 0 {
		t.Errorf("%d events, %d skipped; want 1 event and the NaN samples skipped", n, d.Skipped)
	}
	if evs := DetectFalls(s[:50], fs, FallConfig{}); len(evs) != 0 {
		t.Error("events in half a second of standing")
	}
	if evs := DetectFalls(s, math.NaN(), FallConfig{}); evs != nil || CheckRate(math.NaN()) == nil {
		t.Error("NaN rate must give no events and a CheckRate error")
	}
}

func TestFallDetectorGaps(t *testing.T) {
	fs := 100.0
	s := coreScenario(fs, coreRotMat([3]float64{0, 0, 1}, 0), []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}})
	// Times start at 1 s so that every sample carries a real time.
	for i := range s {
		s[i].TimeNS += 1e9
	}
	shift := func(from int, by int64) []balance.Sample {
		out := append([]balance.Sample(nil), s...)
		for i := from; i < len(out); i++ {
			out[i].TimeNS += by
		}
		return out
	}
	impact := int(3.3 * fs)
	for _, tc := range []struct {
		name string
		s    []balance.Sample
		want int
	}{
		{"contiguous", s, 1},
		// A 5 s gap just after the impact: the posture after it cannot be
		// tied to the impact.
		{"gap after impact", shift(impact+20, 5e9), 0},
		// A gap 2.3 s before the free fall cuts the pre-fall posture window
		// (2.5 to 1 s before impact) short but leaves most of it: the fall
		// is still found.
		{"gap well before", shift(100, 5e9), 1},
		// Time going backwards is a restart too.
		{"clock step back", shift(impact+20, -2e9), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewFallDetector(fs, FallConfig{})
			n := 0
			for _, x := range tc.s {
				if _, ok := d.Push(x); ok {
					n++
				}
			}
			if n != tc.want {
				t.Errorf("%d events, want %d (gaps %d)", n, tc.want, d.Gaps)
			}
		})
	}
}

// TestFallDetectorFlush: a recording cut 2 s after the impact (after the
// posture window, 0.5-1.5 s after it, while watching for getting up)
// returns the fall, ending at the last sample; one cut 1.2 s after it (0.7
// of the posture window seen) is judged on what was seen; one cut 0.9 s
// after it (0.4 of the window) is not. (Issue 12 moved the posture window
// from 1-3 s to 0.5-1.5 s after the impact, so the cuts moved with it.)
func TestFallDetectorFlush(t *testing.T) {
	fs := 100.0
	s := coreScenario(fs, coreRotMat([3]float64{0, 0, 1}, 0), []corePhase{{0.3, 0.2, 45}, {0.05, 4, 90}})
	impact := int(3.3 * fs)
	if evs := DetectFalls(s[:impact+200], fs, FallConfig{}); len(evs) != 1 || evs[0].InactivityEndNS != s[impact+199].TimeNS {
		t.Errorf("cut 2 s after impact: %+v, want one event ending at the last sample", evs)
	}
	if evs := DetectFalls(s[:impact+120], fs, FallConfig{}); len(evs) != 1 || evs[0].DecisionTimeNS != s[impact+119].TimeNS {
		t.Errorf("cut 1.2 s after impact: %+v, want one event decided at the last sample", evs)
	}
	if evs := DetectFalls(s[:impact+90], fs, FallConfig{}); len(evs) != 0 {
		t.Errorf("cut 0.9 s after impact: %+v, want none", evs)
	}
}
