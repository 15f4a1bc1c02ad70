package sim

import (
	"math"
	"testing"
)

// tiltDeg is the angle between the trunk's long axis and the vertical.
func tiltDeg(m Motion) float64 {
	f := bodyToHeading(m.Pitch, m.Roll, m.Twist)
	return math.Acos(clamp(f[0][0], -1, 1)) * 180 / math.Pi
}

// Falls follow the multiphase model (clinical-references.md §3.1): a dip
// towards free fall, an impact above 2.5 g, and lying (trunk tilt > 60°)
// afterwards. Look-alikes lack at least one of the three.
func TestFallsHaveImpactPostureAndInactivity(t *testing.T) {
	for _, k := range []FallKind{FallForward, FallBackward, FallLeft, FallRight, FallCollapse} {
		s := NewScenario(DefaultBody(), 100, 21)
		s.Idle(2)
		s.Fall(FallSpec{Kind: k, LieS: 10})
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		seg := s.Segments()[1]
		if !seg.Fall || seg.FallKind != string(k) || seg.Aftermath != "lying" {
			t.Errorf("%s: segment %+v", k, seg)
		}
		if seg.PeakAccG < 2.5 {
			t.Errorf("%s: impact %.2f g, want > 2.5 g", k, seg.PeakAccG)
		}
		ms := s.Motions()
		minG := 10.0
		for i := int(seg.StartS * 100); i < int(seg.ImpactS*100); i++ {
			f := ms[i].SpecificForce()
			minG = math.Min(minG, math.Sqrt(f[0]*f[0]+f[1]*f[1]+f[2]*f[2])/Gravity)
		}
		// A collapse sinks over ~1.6 s (c = 6·Δz/T² ≈ 2 m/s²): only a
		// shallow dip below 1 g; toppling falls approach free fall.
		wantDip := 0.6
		if k == FallCollapse {
			wantDip = 0.9
		}
		if minG > wantDip {
			t.Errorf("%s: no free-fall dip before the impact (min %.2f g)", k, minG)
		}
		if tl := tiltDeg(ms[len(ms)-1]); tl < 60 {
			t.Errorf("%s: tilt after the fall %.0f°, want > 60°", k, tl)
		}
		if s.Posture() != Lying {
			t.Errorf("%s: posture %v", k, s.Posture())
		}
	}
}

func TestFallGetUpAndLookAlikes(t *testing.T) {
	s := NewScenario(DefaultBody(), 100, 22)
	s.Fall(FallSpec{Kind: FallForward, LieS: 5, GetUp: true})
	if s.Err() != nil || s.Posture() != Standing || s.Segments()[0].Aftermath != "got_up" {
		t.Fatalf("fall and get up: err %v, posture %v", s.Err(), s.Posture())
	}
	if tl := tiltDeg(s.Motions()[s.Len()-1]); tl > 20 {
		t.Errorf("after getting up tilt is %.0f°", tl)
	}
	type check struct {
		name       string
		build      func(s *Scenario)
		minG, maxG float64 // bounds of the peak
		upright    bool    // ends with tilt < 30°
	}
	for _, c := range []check{
		// SisFall ADLs (index.csv D07, D18, D19, D04): collapsing into a
		// chair, stumbles, jumps and jogging reach 3-6 g at the waist.
		{"sit down hard", func(s *Scenario) { s.SitDownHard() }, 2.5, 8, true},
		{"stumble", func(s *Scenario) { s.Stumble() }, 2, 8, true},
		{"jump", func(s *Scenario) { s.Jump() }, 2.5, 8, true},
		{"jog", func(s *Scenario) { s.Jog(30) }, 2.5, 8, true},
		// Lying down in bed ends lying but without impact.
		{"lie down in bed", func(s *Scenario) { s.SitDown(); s.LieDown(); s.RollInBed(5); s.Lie(5) }, 0, 1.6, false},
	} {
		s := NewScenario(DefaultBody(), 100, 23)
		c.build(s)
		if err := s.Err(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		peak, _ := s.peakG(0, s.Len())
		if peak < c.minG || peak > c.maxG {
			t.Errorf("%s: peak %.2f g, want %v..%v", c.name, peak, c.minG, c.maxG)
		}
		tl := tiltDeg(s.Motions()[s.Len()-1])
		if c.upright != (tl < 30) {
			t.Errorf("%s: final tilt %.0f°", c.name, tl)
		}
		for _, seg := range s.Segments() {
			if seg.Fall {
				t.Errorf("%s: segment marked as a fall", c.name)
			}
		}
	}
}
