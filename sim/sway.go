package sim

import (
	"math"
	"strings"

	"github.com/balance-pt/balance"
)

// Stance is a foot placement of the static balance ladder (CDC STEADI order,
// then single leg).
type Stance string

// Stances, easiest first.
const (
	FeetApart    Stance = "feet_apart"
	FeetTogether Stance = "feet_together"
	SemiTandem   Stance = "semi_tandem"
	Tandem       Stance = "tandem"
	SingleLeg    Stance = "single_leg"
)

// StanceCondition is a rung of the exercise ladder: foot placement, vision
// and surface.
type StanceCondition struct {
	Stance     Stance `json:"stance"`
	EyesClosed bool   `json:"eyes_closed,omitempty"`
	Foam       bool   `json:"foam,omitempty"`
	// Support is the hand support: "" (none), "fingertip", "one_hand" or
	// "two_hands" on a stable counter.
	Support string `json:"support,omitempty"`
}

// Hand supports, most support first, and how much each scales sway: light
// touch alone reduces postural sway by about half (Jeka & Lackner 1994);
// holding on with both hands more. Model choices, not fitted.
var supportFactor = map[string]float64{
	"two_hands": 0.4,
	"one_hand":  0.55,
	"fingertip": 0.7,
	"":          1,
}

// stanceRMS is the sway acceleration RMS (m/s²) of a healthy adult, eyes
// open on a firm floor, and the ML/AP ratio of the SDs. The ends are
// anchored on Neville et al. 2015 (two legs eyes open 0.0368 m/s²; tandem,
// eyes closed, foam 0.911 m/s², which the vision and foam factors below
// reach from 0.16); the steps between are interpolated.
var stanceRMS = map[Stance]struct{ rms, mlRatio float64 }{
	FeetApart:    {0.037, 0.6},
	FeetTogether: {0.052, 1.0},
	SemiTandem:   {0.080, 1.1},
	Tandem:       {0.160, 1.4},
	SingleLeg:    {0.300, 1.2},
}

// ExerciseID names the rung for session events: the stance with dashes,
// then "-eyes-closed" and "-foam" as they apply, e.g. "tandem-eyes-closed".
func (c StanceCondition) ExerciseID() string {
	id := strings.ReplaceAll(string(c.Stance), "_", "-")
	if c.EyesClosed {
		id += "-eyes-closed"
	}
	if c.Foam {
		id += "-foam"
	}
	if c.Support != "" {
		id += "-" + strings.ReplaceAll(c.Support, "_", "-")
	}
	return id
}

// ParseExerciseID is the inverse of ExerciseID: "tandem-eyes-closed-foam-
// one-hand" gives {tandem, eyes closed, foam, one hand}. Other ids (dynamic
// exercises) give EINVALID.
func ParseExerciseID(id string) (StanceCondition, error) {
	var c StanceCondition
	rest := id
	for _, sup := range []string{"two_hands", "one_hand", "fingertip"} {
		if r, ok := strings.CutSuffix(rest, "-"+strings.ReplaceAll(sup, "_", "-")); ok {
			rest, c.Support = r, sup
			break
		}
	}
	rest, c.Foam = strings.CutSuffix(rest, "-foam")
	rest, c.EyesClosed = strings.CutSuffix(rest, "-eyes-closed")
	c.Stance = Stance(strings.ReplaceAll(rest, "-", "_"))
	if err := c.Validate(); err != nil {
		return StanceCondition{}, balance.Errorf(balance.EINVALID, "sim: %q is not a static stance exercise", id)
	}
	return c, nil
}

// Validate reports an unknown stance.
func (c StanceCondition) Validate() error {
	if _, ok := stanceRMS[c.Stance]; !ok {
		return balance.Errorf(balance.EINVALID, "sim: unknown stance %q", c.Stance)
	}
	if _, ok := supportFactor[c.Support]; !ok {
		return balance.Errorf(balance.EINVALID, "sim: unknown hand support %q", c.Support)
	}
	return nil
}

// ExpectedRMS returns the sway acceleration RMS (m/s²) and ML/AP ratio the
// model aims at for body in condition c: the healthy value of the stance,
// × 2.0 eyes closed, × 2.8 on foam (× 1.3 more each with neuropathy, which
// removes plantar sensation and so leans on vision and a firm floor), ×
// (1 + 1.5·impairment), × the hand-support factor (0.4 two hands, 0.55 one,
// 0.7 fingertip), capped at MaxSwayRMS. Neuropathy also widens ML sway by
// 40 %.
func (c StanceCondition) ExpectedRMS(b Body) (rms, mlRatio float64) {
	base := stanceRMS[c.Stance]
	rms, mlRatio = base.rms, base.mlRatio
	if rms == 0 {
		rms, mlRatio = stanceRMS[FeetApart].rms, stanceRMS[FeetApart].mlRatio
	}
	pn := 1.0
	if b.Neuropathy {
		pn = 1.3
		mlRatio *= 1.4
	}
	if c.EyesClosed {
		rms *= 2.0 * pn
	}
	if c.Foam {
		rms *= 2.8 * pn
	}
	sup, ok := supportFactor[c.Support]
	if !ok {
		sup = 1
	}
	return math.Min(MaxSwayRMS, rms*(1+1.5*b.Impairment)*sup), mlRatio
}

// MaxSwayRMS caps the modelled sway (m/s²): beyond about 1.5 times the
// hardest rung's published value (0.911, Neville 2015) nobody stays on
// their feet, and the loss-of-balance model takes over.
const MaxSwayRMS = 1.5

// LossProbability returns the chance of a loss of balance in a 30 s hold:
// 1 − exp(−(rms/0.5 m/s²)² · (0.5 + impairment)). It is a model choice that
// makes tandem eyes-closed on foam nearly always fail and feet apart never.
func (c StanceCondition) LossProbability(b Body) float64 {
	rms, _ := c.ExpectedRMS(b)
	return 1 - math.Exp(-(rms/0.5)*(rms/0.5)*(0.5+b.Impairment))
}

// SwayOptions tune one quiet-standing trial.
type SwayOptions struct {
	// Session marks the trial as a session (balance.SessionSway, …).
	Session string
	// LossAtS forces a loss of balance this many seconds into the trial;
	// 0 draws one at random from LossProbability, negative forbids one.
	LossAtS float64
	// Scale multiplies the expected sway RMS (1 when 0).
	Scale float64
}

// Peterka-style delayed PD control of an inverted pendulum (Peterka 2002,
// J Neurophysiol 88:1097): torque = Kp·θ(t−τ) + Kd·θ̇(t−τ) with Kp a little
// above the gravitational stiffness m·g·L, driven by low-pass filtered noise.
const (
	swayKp      = 1.35  // Kp / (m·g·L)
	swayKd      = 0.33  // Kd / (m·g·L), s
	swayDelay   = 0.150 // feedback delay, s (0.2 s with neuropathy)
	swayNoiseTC = 0.3   // noise-torque low-pass time constant, s
	swayDt      = 0.002 // integration step, s
)

// pendulum simulates one plane of the delayed-feedback inverted pendulum
// with unit noise for n output samples at rate and returns angle and angular
// acceleration per sample (rad, rad/s²).
func (s *Scenario) pendulum(n int, delay float64) (theta, acc []float64) {
	L := s.body.COMHeightM
	gl := Gravity / L
	sub := max(1, int(math.Ceil(1/(s.rate*swayDt))))
	dt := 1 / (s.rate * float64(sub))
	d := max(1, int(math.Round(delay/dt)))
	histT := make([]float64, d)
	histW := make([]float64, d)
	noise := newAR1(1, swayNoiseTC, 1/dt)
	var th, w float64
	theta, acc = make([]float64, n), make([]float64, n)
	// Run 5 s before the trial so it starts in steady sway.
	warm := int(5 * s.rate)
	for i := -warm; i < n; i++ {
		var a float64
		for k := 0; k < sub; k++ {
			j := ((i+warm)*sub + k) % d
			a = gl*(th-swayKp*histT[j]-swayKd*histW[j]) + noise.next(s.rng)
			histT[j], histW[j] = th, w
			w += a * dt
			th += w * dt
		}
		if i >= 0 {
			theta[i], acc[i] = th, a
		}
	}
	return theta, acc
}

// Stand appends d seconds of quiet standing in condition c.
func (s *Scenario) Stand(d float64, c StanceCondition, o SwayOptions) {
	if !s.ok("stand", d, Standing) {
		return
	}
	if err := c.Validate(); err != nil {
		s.err = err
		return
	}
	n := s.n(d)
	rms, ratio := c.ExpectedRMS(s.body)
	if o.Scale > 0 {
		rms *= o.Scale
	}
	delay := swayDelay
	if s.body.Neuropathy {
		delay = 0.2
	}
	h := s.body.SensorHeightM
	apT, apA := s.pendulum(n, delay)
	mlT, mlA := s.pendulum(n, delay)
	// Scale each plane so the horizontal specific force (h·θ̈ − g·θ, small
	// angles) has the wanted SD; the model is linear, so this is the same
	// as scaling the noise torque.
	sdAP := rms / math.Sqrt(1+ratio*ratio)
	kAP := sdAP / planeSD(apT, apA, h)
	kML := ratio * sdAP / planeSD(mlT, mlA, h)
	lean := (2 + 3*s.body.Impairment) * math.Pi / 180
	from := len(s.motions)

	lossAt := -1
	switch {
	case o.LossAtS > 0 && o.LossAtS < d:
		lossAt = int(o.LossAtS * s.rate)
	case o.LossAtS == 0 && s.rng.Float64() < 1-math.Pow(1-c.LossProbability(s.body), d/30):
		lossAt = int((0.15 + 0.75*s.rng.Float64()) * float64(n))
	}
	for i := 0; i < n; i++ {
		th, ph := lean+kAP*apT[i], kML*mlT[i]
		var dth, dph float64
		if i > 0 {
			dth = kAP * (apT[i] - apT[i-1]) * s.rate
			dph = kML * (mlT[i] - mlT[i-1]) * s.rate
		}
		m := Motion{Pitch: th, Roll: ph}
		m.Acc[AxisAP] = h * kAP * apA[i]
		m.Acc[AxisML] = h * kML * mlA[i]
		m.Gyro = bodyRate(th, ph, dth, dph, 0)
		s.motions = append(s.motions, m)
	}
	seg := Segment{Kind: KindSway, Session: o.Session, Stance: &c, HoldS: d}
	if o.Session == "" {
		seg.Kind = KindStand
	}
	if lossAt >= 0 {
		side := 1.0
		if s.rng.IntN(2) == 0 {
			side = -1
		}
		s.recoveryStep(from+lossAt, side)
		seg.HoldS = float64(lossAt) / s.rate
		seg.LossOfBalanceS = []float64{float64(from+lossAt) / s.rate}
	}
	sw := swayMeasures(s.motions[from:], lossAt)
	seg.Sway = &sw
	s.addSegment(seg, from)
	s.att = [3]float64{}
}

// planeSD returns the SD of h·θ̈ − g·θ.
func planeSD(theta, acc []float64, h float64) float64 {
	var sum, sum2 float64
	for i := range theta {
		v := h*acc[i] - Gravity*theta[i]
		sum += v
		sum2 += v * v
	}
	n := float64(len(theta))
	m := sum / n
	return math.Sqrt(math.Max(sum2/n-m*m, 1e-30))
}

// recoveryStep overlays a loss of balance at sample i on standing motion: a
// lean of 4° that is caught by a step to the side (side = ±1): a 0.5 s
// horizontal burst of ±3 m/s², a foot contact 0.35 s in (vertical half-sine,
// 0.6 g, 60 ms), and then sway 1.5× larger for the rest of the hold.
func (s *Scenario) recoveryStep(i int, side float64) {
	n := len(s.motions)
	nb := s.n(0.5)
	lean := 4 * math.Pi / 180
	for k := 0; k < nb && i+k < n; k++ {
		t := float64(k) / float64(nb)
		m := &s.motions[i+k]
		m.Acc[AxisML] += side * 3 * math.Sin(2*math.Pi*t)
		// Lean out and back: lean·sin(πt), rate lean·π/T·cos(πt).
		m.Roll += side * lean * math.Sin(math.Pi*t)
		m.Gyro[AxisAP] += side * lean * math.Pi / 0.5 * math.Cos(math.Pi*t)
	}
	addPulse(s.motions, i+s.n(0.35), s.n(0.06), AxisV, 0.6*Gravity)
	for k := i + nb; k < n; k++ {
		m := &s.motions[k]
		m.Acc[AxisAP] *= 1.5
		m.Acc[AxisML] *= 1.5
	}
}

// addPulse adds a half-sine of peak amplitude (m/s²) lasting n samples to
// the heading-frame acceleration on axis from sample i; the pulse leaves a
// velocity change of peak·2/π·duration.
func addPulse(ms []Motion, i, n, axis int, peak float64) {
	for k := 0; k < n && i+k < len(ms); k++ {
		if i+k >= 0 {
			ms[i+k].Acc[axis] += peak * math.Sin(math.Pi*(float64(k)+0.5)/float64(n))
		}
	}
}

// swayMeasures computes SwayMeasures from the body-frame horizontal specific
// force of ms, up to sample stop (all when stop < 0).
func swayMeasures(ms []Motion, stop int) SwayMeasures {
	if stop < 0 || stop > len(ms) {
		stop = len(ms)
	}
	if stop < 2 {
		return SwayMeasures{}
	}
	ms = ms[:stop]
	ap, ml := make([]float64, len(ms)), make([]float64, len(ms))
	var mAP, mML, mTh float64
	for i, m := range ms {
		f := m.SpecificForce()
		ap[i], ml[i] = f[AxisAP], f[AxisML]
		mAP += ap[i]
		mML += ml[i]
		mTh += m.Pitch
	}
	n := float64(len(ms))
	mAP, mML, mTh = mAP/n, mML/n, mTh/n
	var sAA, sMM, sAM, dist, ang float64
	for i := range ap {
		x, y := ap[i]-mAP, ml[i]-mML
		sAA += x * x
		sMM += y * y
		sAM += x * y
		dist += math.Hypot(x, y)
		dt := ms[i].Pitch - mTh
		ang += dt*dt + ms[i].Roll*ms[i].Roll
	}
	sAA, sMM, sAM = sAA/n, sMM/n, sAM/n
	return SwayMeasures{
		RMS:         math.Sqrt(sAA + sMM),
		RMSAP:       math.Sqrt(sAA),
		RMSML:       math.Sqrt(sMM),
		Dist:        dist / n,
		EllipseArea: math.Pi * 5.991 * math.Sqrt(math.Max(sAA*sMM-sAM*sAM, 0)),
		AngleRMSDeg: math.Sqrt(ang/n) * 180 / math.Pi,
		MeanLeanDeg: mTh * 180 / math.Pi,
	}
}
