package sim

import (
	"math"

	"github.com/balance-pt/balance"
)

// minJerk returns the minimum-jerk profile s(τ) = 10τ³ − 15τ⁴ + 6τ⁵ and its
// first and second derivatives in τ (Flash & Hogan 1985): it starts and ends
// at rest with zero acceleration, so moves can be chained without jumps.
func minJerk(tau float64) (p, v, a float64) {
	t2 := tau * tau
	return t2 * tau * (10 - 15*tau + 6*t2), 30 * t2 * (1 - 2*tau + t2), 60 * tau * (1 - 3*tau + 2*t2)
}

// move is a displacement of the sensor site (heading frame: up, right,
// forward; m) with a change of trunk attitude (pitch, roll, twist; rad) and
// heading (yaw; rad, + left), done along a minimum-jerk profile.
type move struct {
	d     [3]float64
	att   [3]float64 // target attitude
	yaw   float64
	durS  float64
	noise float64 // SD of irregular acceleration added, m/s²
}

// do appends the move and leaves the scenario in the move's end attitude.
func (s *Scenario) do(mv move) {
	n := s.n(mv.durS)
	T := float64(n) / s.rate
	start := s.att
	var dAtt [3]float64
	for k := range dAtt {
		dAtt[k] = mv.att[k] - start[k]
	}
	var irr [3]ar1
	for k := range irr {
		irr[k] = newAR1(mv.noise, 0.08, s.rate)
	}
	for i := 0; i < n; i++ {
		p, v, a := minJerk(float64(i) / float64(n))
		var m Motion
		for k := 0; k < 3; k++ {
			m.Acc[k] = mv.d[k]*a/(T*T) + irr[k].next(s.rng)
		}
		m.Pitch = start[0] + dAtt[0]*p
		m.Roll = start[1] + dAtt[1]*p
		m.Twist = start[2] + dAtt[2]*p
		m.Gyro = bodyRateTwist(m.Pitch, m.Roll, m.Twist, dAtt[0]*v/T, dAtt[1]*v/T, dAtt[2]*v/T, mv.yaw*v/T)
		s.motions = append(s.motions, m)
	}
	s.att = mv.att
}

// hold appends d seconds of rest in the current attitude with small
// irregular movement (SD level, m/s²) and, when lying or sitting, breathing
// (0.25 Hz, 0.02 m/s² on the vertical of the heading frame).
func (s *Scenario) hold(d, level float64, breathe bool) {
	n := s.n(d)
	var irr [3]ar1
	for k := range irr {
		irr[k] = newAR1(level, 0.3, s.rate)
	}
	ph := s.rng.Float64() * 2 * math.Pi
	for i := 0; i < n; i++ {
		m := Motion{Pitch: s.att[0], Roll: s.att[1], Twist: s.att[2]}
		for k := 0; k < 3; k++ {
			m.Acc[k] = irr[k].next(s.rng)
		}
		if breathe {
			m.Acc[AxisV] += 0.02 * math.Sin(ph+2*math.Pi*0.25*float64(i)/s.rate)
		}
		m.Gyro = [3]float64{0.3 * irr[0].x, 0.3 * irr[1].x, 0.3 * irr[2].x}
		s.motions = append(s.motions, m)
	}
}

// slow returns the movement-time factor of the body: impaired people move
// more slowly (1 + impairment).
func (s *Scenario) slow() float64 { return 1 + s.body.Impairment }

// riseHeight is how far the lower back rises from sitting to standing: chair
// seat 0.45 m, L5 about 0.15 m above it, standing L5 at SensorHeightM.
func (s *Scenario) riseHeight() float64 { return math.Max(0.1, s.body.SensorHeightM-0.6) }

// sitToStand is the trunk-flexion and extension-rise pattern of a chair rise
// (Schenkman 1990): lean forward ~35° with the seat still loaded, then rise
// while the trunk extends back to upright.
func (s *Scenario) sitToStand() { s.sitToStandPace(1) }

// sitToStandPace is sitToStand with movement times × pace.
func (s *Scenario) sitToStandPace(pace float64) {
	f := s.slow() * pace
	s.do(move{d: [3]float64{0, 0, 0.08}, att: [3]float64{(35 + 10*s.body.Impairment) * math.Pi / 180, 0, 0}, durS: 0.6 * f, noise: 0.05})
	s.do(move{d: [3]float64{s.riseHeight(), 0, 0.15}, att: [3]float64{2 * math.Pi / 180, 0, 0}, durS: 0.9 * f, noise: 0.08})
	s.posture = Standing
}

// standToSit reverses sitToStand.
func (s *Scenario) standToSit() { s.standToSitPace(1) }

// standToSitPace is standToSit with movement times × pace.
func (s *Scenario) standToSitPace(pace float64) {
	f := s.slow() * pace
	s.do(move{d: [3]float64{-0.35 * s.riseHeight(), 0, 0.05}, att: [3]float64{30 * math.Pi / 180, 0, 0}, durS: 0.8 * f, noise: 0.05})
	s.do(move{d: [3]float64{-0.65 * s.riseHeight(), 0, -0.2}, att: [3]float64{sitPitch, 0, 0}, durS: 0.9 * f, noise: 0.05})
	s.posture = Sitting
}

// SitDown appends a controlled stand-to-sit.
func (s *Scenario) SitDown() {
	if !s.ok("sit down", 1, Standing) {
		return
	}
	from := len(s.motions)
	s.standToSit()
	s.addSegment(Segment{Kind: KindStandToSit}, from)
}

// StandUp appends a chair rise.
func (s *Scenario) StandUp() {
	if !s.ok("stand up", 1, Sitting) {
		return
	}
	from := len(s.motions)
	s.sitToStand()
	s.addSegment(Segment{Kind: KindSitToStand}, from)
}

// Sit appends d seconds sitting still.
func (s *Scenario) Sit(d float64) {
	if !s.ok("sit", d, Sitting) {
		return
	}
	from := len(s.motions)
	s.hold(d, 0.01, true)
	s.addSegment(Segment{Kind: KindSit}, from)
}

// Lie appends d seconds lying still.
func (s *Scenario) Lie(d float64) {
	if !s.ok("lie", d, Lying) {
		return
	}
	from := len(s.motions)
	s.hold(d, 0.005, true)
	s.addSegment(Segment{Kind: KindLie}, from)
}

// Idle appends d seconds of standing without a stance test (ordinary quiet
// standing, feet apart).
func (s *Scenario) Idle(d float64) {
	s.Stand(d, StanceCondition{Stance: FeetApart}, SwayOptions{LossAtS: -1})
}

// SitToStand5 appends the five-times sit-to-stand test from sitting: five
// rises as fast as possible without the arms; the test time runs from the
// first lean forward to the fifth full stand. It ends standing.
func (s *Scenario) SitToStand5() {
	if !s.ok("sit-to-stand", 10, Sitting) {
		return
	}
	from := len(s.motions)
	// As fast as possible: 0.65 of the everyday movement time, so a healthy
	// adult takes about 10 s and full impairment about 19 s (cut-offs 12 s,
	// Tiedemann 2008; 15 s, Buatois 2008).
	for i := 0; i < 5; i++ {
		s.sitToStandPace(0.65)
		if i < 4 {
			s.hold(0.1+0.2*s.body.Impairment, 0.05, false)
			s.standToSitPace(0.65)
		}
	}
	seg := s.addSegment(Segment{Kind: KindSTS5, Session: balance.SessionSitToStand}, from)
	seg.TestDurationS = seg.EndS - seg.StartS
}

// TUG appends a Timed Up and Go from sitting (Podsiadlo & Richardson 1991):
// rise, walk 3 m at the usual pace, turn 180°, walk back, turn and sit. The
// test time runs from the first movement to seated.
func (s *Scenario) TUG() {
	if !s.ok("TUG", 10, Sitting) {
		return
	}
	from := len(s.motions)
	s.sitToStand()
	w := NormalWalk(s.body, 0)
	T := 60 / w.CadenceSPM
	n1 := max(2, int(math.Round(3/w.StepLengthM)))
	turnD := 1.5 + 1.5*s.body.Impairment
	nt := int(math.Ceil(turnD / T))
	w.Steps = 2*n1 + nt
	w.Turns = []TurnSpec{{AtS: float64(n1) * T, AngleDeg: 180, DurationS: turnD}}
	s.walk(w, false)
	walkSeg := s.segs[len(s.segs)-1]
	s.segs = s.segs[:len(s.segs)-1]
	s.do(move{att: s.att, yaw: math.Pi, durS: 1.2 * s.slow(), noise: 0.08})
	s.standToSit()
	seg := s.addSegment(Segment{Kind: KindTUG, Session: balance.SessionTUG, Gait: walkSeg.Gait}, from)
	seg.TestDurationS = seg.EndS - seg.StartS
}

// LieDown appends lying down in bed from sitting: the trunk reclines to
// supine over about 2.5 s without any impact.
func (s *Scenario) LieDown() {
	if !s.ok("lie down", 1, Sitting) {
		return
	}
	from := len(s.motions)
	s.do(move{d: [3]float64{-0.3, 0, -0.35}, att: [3]float64{liePitch, 0, 0}, durS: 2.5 * s.slow(), noise: 0.05})
	s.posture = Lying
	seg := s.addSegment(Segment{Kind: KindLieDown}, from)
	seg.PeakAccG, _ = s.peakG(from, len(s.motions))
}

// RollInBed appends turning from the back onto a side, resting, and back.
func (s *Scenario) RollInBed(restS float64) {
	if !s.ok("roll in bed", restS+1, Lying) {
		return
	}
	from := len(s.motions)
	side := math.Pi / 2
	if s.rng.IntN(2) == 0 {
		side = -side
	}
	back := s.att
	s.do(move{d: [3]float64{0.05, 0, 0}, att: [3]float64{back[0], back[1], back[2] + side}, durS: 1.8 * s.slow(), noise: 0.1})
	s.hold(restS, 0.005, true)
	s.do(move{d: [3]float64{-0.05, 0, 0}, att: back, durS: 1.8 * s.slow(), noise: 0.1})
	seg := s.addSegment(Segment{Kind: KindRollInBed}, from)
	seg.PeakAccG, _ = s.peakG(from, len(s.motions))
}

// GetUp appends getting up from lying (bed or floor) to standing: sit up,
// pause, rise.
func (s *Scenario) GetUp() {
	if !s.ok("get up", 1, Lying) {
		return
	}
	from := len(s.motions)
	f := s.slow()
	if s.att[0] > 0 {
		// Prone: push up to kneeling, then stand.
		s.do(move{d: [3]float64{0.35, 0, -0.2}, att: [3]float64{25 * math.Pi / 180, 0, 0}, durS: 2.5 * f, noise: 0.15})
		s.hold(1+2*s.body.Impairment, 0.05, true)
		s.do(move{d: [3]float64{0.45, 0, 0.1}, att: [3]float64{2 * math.Pi / 180, 0, 0}, durS: 1.5 * f, noise: 0.1})
		s.posture = Standing
		s.addSegment(Segment{Kind: KindGetUp}, from)
		return
	}
	if s.att[1] != 0 || s.att[2] != 0 {
		// From a side or prone: turn to supine first.
		s.do(move{att: [3]float64{liePitch, 0, 0}, durS: 1.5 * f, noise: 0.1})
	}
	s.do(move{d: [3]float64{0.3, 0, 0.3}, att: [3]float64{sitPitch, 0, 0}, durS: 2.5 * f, noise: 0.1})
	s.hold(1+2*s.body.Impairment, 0.02, true)
	s.posture = Sitting
	s.sitToStand()
	s.addSegment(Segment{Kind: KindGetUp}, from)
}
