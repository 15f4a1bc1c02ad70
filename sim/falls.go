package sim

import (
	"math"
)

// FallKind names a way of falling.
type FallKind string

// Fall kinds. Forward, backward and sideways falls topple in under a second
// and strike hard; a collapse (fainting) sinks over about two seconds.
const (
	FallForward  FallKind = "forward"
	FallBackward FallKind = "backward"
	FallLeft     FallKind = "left"
	FallRight    FallKind = "right"
	FallCollapse FallKind = "collapse"
)

// FallSpec describes a fall and what follows it.
type FallSpec struct {
	Kind FallKind
	// LieS is how long the person lies still after the impact.
	LieS float64
	// GetUp makes the person get up after lying (otherwise they stay down).
	GetUp bool
}

// fallShape gives the end attitude and the descent of each kind.
//
// The trunk topples like an inverted pendulum, so its angle grows as
// θ(τ) = Θ·τ² and the sensor's downward acceleration as a(τ) = c·τ with
// c = 6·Δz/T² (so the drop Δz is covered in T and the impact velocity is
// c·T/2 = 3·Δz/T, about 3 m/s for Δz = 0.8 m in 0.8 s, the range measured in
// fall experiments; c stays below g, so the sensor never reads less than
// free fall). The impact removes the velocity in a half-sine of duration D
// whose peak is π·v/(2·D) (Bourke 2007 report trunk peaks above 3.5 g).
var fallShape = map[FallKind]struct {
	att      [3]float64 // end pitch, roll, twist (rad)
	horiz    [3]float64 // horizontal travel of the sensor (m)
	descentS float64
	impactS  float64
}{
	FallForward:  {[3]float64{math.Pi / 2, 0, 0}, [3]float64{0, 0, 0.6}, 0.8, 0.12},
	FallBackward: {[3]float64{-math.Pi / 2, 0, 0}, [3]float64{0, 0, -0.5}, 0.8, 0.11},
	FallLeft:     {[3]float64{0, -math.Pi / 2, 0}, [3]float64{0, -0.5, 0}, 0.75, 0.11},
	FallRight:    {[3]float64{0, math.Pi / 2, 0}, [3]float64{0, 0.5, 0}, 0.75, 0.11},
	FallCollapse: {[3]float64{0.2, 1.3, 0}, [3]float64{0, 0.3, 0.1}, 1.6, 0.11},
}

// Fall appends a fall from standing: a brief loss of balance, the descent,
// the impact with a short rebound, lying still for LieS and, optionally,
// getting up. The segment records the impact time, the peak acceleration
// and the aftermath.
func (s *Scenario) Fall(f FallSpec) {
	shape, ok := fallShape[f.Kind]
	if !ok {
		s.fail("unknown fall kind %q", f.Kind)
		return
	}
	if !s.ok("fall", 1, Standing) || f.LieS < 0 {
		if f.LieS < 0 {
			s.fail("fall: negative lying time %v", f.LieS)
		}
		return
	}
	from := len(s.motions)
	// Loss of balance: a 0.3 s stagger.
	s.do(move{d: [3]float64{0, shape.horiz[1] * 0.1, shape.horiz[2] * 0.1}, att: s.att, durS: 0.3, noise: 0.4})
	drop := math.Max(0.4, s.body.SensorHeightM-0.15)
	T := shape.descentS * (0.9 + 0.2*s.rng.Float64())
	D := shape.impactS * (0.85 + 0.3*s.rng.Float64())
	n := s.n(T)
	Tn := float64(n) / s.rate
	c := 6 * drop / (Tn * Tn)
	start := s.att
	// Stop the rotation during the impact: it overshoots by rate·D/2, so aim
	// the descent short of the end attitude by that much.
	var dAtt [3]float64
	for k := range dAtt {
		full := shape.att[k] - start[k]
		dAtt[k] = full / (1 + D/Tn)
	}
	for i := 0; i < n; i++ {
		tau := float64(i) / float64(n)
		var m Motion
		m.Acc[AxisV] = -c * tau
		// Horizontal travel with the same profile.
		for _, k := range []int{AxisML, AxisAP} {
			m.Acc[k] = 6 * shape.horiz[k] / (Tn * Tn) * tau
		}
		m.Pitch = start[0] + dAtt[0]*tau*tau
		m.Roll = start[1] + dAtt[1]*tau*tau
		m.Twist = start[2] + dAtt[2]*tau*tau
		m.Gyro = bodyRateTwist(m.Pitch, m.Roll, m.Twist, 2*dAtt[0]*tau/Tn, 2*dAtt[1]*tau/Tn, 2*dAtt[2]*tau/Tn, 0)
		s.motions = append(s.motions, m)
	}
	// Impact: velocities at the end of the descent are c·T/2 down and
	// 3·horiz/T across; the rotation rate 2·Δθ/T decays linearly to zero.
	impactAt := len(s.motions)
	nd := s.n(D)
	Dn := float64(nd) / s.rate
	vDown := c * Tn / 2
	var vH [3]float64
	for _, k := range []int{AxisML, AxisAP} {
		vH[k] = 3 * shape.horiz[k] / Tn
	}
	att0 := [3]float64{start[0] + dAtt[0], start[1] + dAtt[1], start[2] + dAtt[2]}
	for i := 0; i < nd; i++ {
		u := (float64(i) + 0.5) / float64(nd)
		pulse := math.Pi / (2 * Dn) * math.Sin(math.Pi*u)
		var m Motion
		m.Acc[AxisV] = vDown * pulse
		m.Acc[AxisML] = -vH[AxisML] * pulse
		m.Acc[AxisAP] = -vH[AxisAP] * pulse
		var rate [3]float64
		for k := range rate {
			w0 := 2 * dAtt[k] / Tn
			rate[k] = w0 * (1 - u)
			// angle = att0 + w0·(t − t²/(2Dn))
			tt := u * Dn
			switch k {
			case 0:
				m.Pitch = att0[0] + w0*(tt-tt*tt/(2*Dn))
			case 1:
				m.Roll = att0[1] + w0*(tt-tt*tt/(2*Dn))
			case 2:
				m.Twist = att0[2] + w0*(tt-tt*tt/(2*Dn))
			}
		}
		m.Gyro = bodyRateTwist(m.Pitch, m.Roll, m.Twist, rate[0], rate[1], rate[2], 0)
		s.motions = append(s.motions, m)
	}
	s.att = shape.att
	// Rebound: a damped 8 Hz oscillation of 0.3 s on the floor.
	nr := s.n(0.3)
	amp := 0.25 * vDown * math.Pi / (2 * Dn)
	for i := 0; i < nr; i++ {
		t := float64(i) / s.rate
		m := Motion{Pitch: s.att[0], Roll: s.att[1], Twist: s.att[2]}
		m.Acc[AxisV] = amp * math.Exp(-t/0.06) * math.Sin(2*math.Pi*8*t)
		s.motions = append(s.motions, m)
	}
	s.posture = Lying
	peak, _ := s.peakG(impactAt, impactAt+nd)
	impact := (float64(impactAt) + float64(nd)/2) / s.rate
	aftermath := "lying"
	if f.LieS > 0 {
		s.hold(f.LieS, 0.005, true)
	}
	if f.GetUp {
		s.GetUp()
		s.segs = s.segs[:len(s.segs)-1]
		aftermath = "got_up"
	}
	s.addSegment(Segment{Kind: KindFall, Fall: true, FallKind: string(f.Kind), ImpactS: impact, PeakAccG: peak, Aftermath: aftermath}, from)
}

// SitDownHard appends dropping onto a chair: a fast, uncontrolled descent
// with an impact of 3-4 g on the seat, ending upright — a classic false
// alarm of impact-only fall detectors (SisFall's "collapse into a chair").
func (s *Scenario) SitDownHard() {
	if !s.ok("sit down hard", 1, Standing) {
		return
	}
	from := len(s.motions)
	s.do(move{d: [3]float64{-0.1, 0, 0.03}, att: [3]float64{20 * math.Pi / 180, 0, 0}, durS: 0.4, noise: 0.1})
	// Drop of the rest of the rise height in 0.5 s, then a 0.1 s impact on
	// the seat: with c = 6·drop/T² the seat is hit at 3·drop/T ≈ 1.9 m/s.
	drop := 0.75 * s.riseHeight()
	n := s.n(0.5)
	Tn := float64(n) / s.rate
	c := 6 * drop / (Tn * Tn)
	start := s.att[0]
	for i := 0; i < n; i++ {
		tau := float64(i) / float64(n)
		m := Motion{Pitch: start + (sitPitch-start)*tau*tau}
		m.Acc[AxisV] = -math.Min(c*tau, 0.95*Gravity)
		m.Gyro = bodyRate(m.Pitch, 0, 2*(sitPitch-start)*tau/Tn, 0, 0)
		s.motions = append(s.motions, m)
	}
	impactAt := len(s.motions)
	v := math.Min(c*Tn/2, 0.95*Gravity*Tn)
	nd := s.n(0.1)
	Dn := float64(nd) / s.rate
	s.att = [3]float64{sitPitch, 0, 0}
	for i := 0; i < nd; i++ {
		u := (float64(i) + 0.5) / float64(nd)
		m := Motion{Pitch: sitPitch}
		m.Acc[AxisV] = v * math.Pi / (2 * Dn) * math.Sin(math.Pi*u)
		s.motions = append(s.motions, m)
	}
	s.posture = Sitting
	s.hold(2, 0.02, true)
	seg := s.addSegment(Segment{Kind: KindSitDownHard}, from)
	seg.PeakAccG, seg.ImpactS = s.peakG(impactAt, impactAt+nd)
}

// Stumble appends a trip while walking that is recovered: walking, a sharp
// forward-backward jolt (≈2 g braking, 80 ms), a quick recovery step with a
// hard foot strike and a 15° trunk pitch excursion, then walking on.
func (s *Scenario) Stumble() {
	if !s.ok("stumble", 1, Standing) {
		return
	}
	from := len(s.motions)
	w := NormalWalk(s.body, 6)
	s.walk(w, false)
	s.segs = s.segs[:len(s.segs)-1]
	at := len(s.motions)
	s.do(move{d: [3]float64{-0.05, 0, 0.1}, att: [3]float64{17 * math.Pi / 180, 0, 0}, durS: 0.35, noise: 0.3})
	addPulse(s.motions, at, s.n(0.08), AxisAP, -2*Gravity)
	addPulse(s.motions, at+s.n(0.1), s.n(0.08), AxisAP, 2*Gravity)
	addPulse(s.motions, at+s.n(0.3), s.n(0.05), AxisV, 1.8*Gravity)
	s.do(move{d: [3]float64{0.05, 0, 0.2}, att: [3]float64{3 * math.Pi / 180, 0, 0}, durS: 0.5, noise: 0.3})
	w.Steps = 6
	s.walk(w, false)
	s.segs = s.segs[:len(s.segs)-1]
	seg := s.addSegment(Segment{Kind: KindStumble}, from)
	seg.PeakAccG, seg.ImpactS = s.peakG(at, at+s.n(0.6))
}

// Jump appends a gentle jump (reaching for something high): a crouch, a
// push-off, 0.25 s of flight reading ~0 g, and a landing of 3-4 g, ending
// upright.
func (s *Scenario) Jump() {
	if !s.ok("jump", 1, Standing) {
		return
	}
	from := len(s.motions)
	s.do(move{d: [3]float64{-0.15, 0, 0}, att: [3]float64{15 * math.Pi / 180, 0, 0}, durS: 0.5, noise: 0.05})
	// Push-off: a half-sine that reaches the take-off velocity for 0.25 s of
	// flight, v = g·0.125.
	flight := 0.25
	v := Gravity * flight / 2
	np := s.n(0.25)
	addStart := len(s.motions)
	s.do(move{d: [3]float64{0.15, 0, 0}, att: [3]float64{2 * math.Pi / 180, 0, 0}, durS: 0.25, noise: 0.05})
	addPulse(s.motions, addStart, np, AxisV, v*math.Pi/(2*float64(np)/s.rate))
	nf := s.n(flight)
	for i := 0; i < nf; i++ {
		m := Motion{Pitch: s.att[0]}
		m.Acc[AxisV] = -Gravity
		s.motions = append(s.motions, m)
	}
	impactAt := len(s.motions)
	nd := s.n(0.06)
	for i := 0; i < nd; i++ {
		m := Motion{Pitch: s.att[0]}
		s.motions = append(s.motions, m)
	}
	addPulse(s.motions, impactAt, nd, AxisV, v*math.Pi/(2*float64(nd)/s.rate))
	s.hold(0.5, 0.05, false)
	seg := s.addSegment(Segment{Kind: KindJump}, from)
	seg.PeakAccG, seg.ImpactS = s.peakG(impactAt, impactAt+nd)
}
