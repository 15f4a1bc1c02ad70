package sim

import (
	"math"
)

// DefaultStepLengthK is the Zijlstra & Hof (2003) correction factor between
// the inverted-pendulum step length 2·sqrt(2·l·h − h²) and the true step
// length: 4.739/4, mobgap's SlZijlstra factor optimised on all Mobilise-D
// MS-project participants (the analysis package now uses 4.587/4, chosen on
// the mobgap recordings, so it reads simulated steps about 3 % short). Walking
// generates the vertical excursion h that this factor turns back into the
// true step length.
const DefaultStepLengthK = 4.739 / 4

// WalkSpec describes a walking bout.
type WalkSpec struct {
	Steps       int     // number of steps (initial contacts − 1)
	CadenceSPM  float64 // steps per minute
	StepLengthM float64 // mean step length, m
	// StepTimeCV is the coefficient of variation of step time (0.02 = 2 %).
	StepTimeCV float64
	// Asymmetry lengthens left steps and shortens right ones by ±Asymmetry/2
	// of the step time (0.1 = 10 % difference).
	Asymmetry float64
	// Turns at given times into the bout (seconds from its start).
	Turns []TurnSpec
	// Aid is "", "cane" or "walker": more forward lean, ML sway and
	// irregularity, and a damped vertical bounce.
	Aid string
	// K is the step-length correction factor (DefaultStepLengthK when 0).
	K       float64
	Session string
}

// TurnSpec is a turn within a walk.
type TurnSpec struct {
	AtS       float64 // start, seconds into the bout
	AngleDeg  float64 // + left, − right
	DurationS float64
}

// NormalWalk returns a walk of n steps at the body's usual pace: cadence
// 112 steps/min and step length 0.41·height when healthy (Mobilise-D healthy
// adults: cadence ~100-115, stride ~1.2-1.4 m), slowing by 30 steps/min and
// 40 % of step length at full impairment, with step-time CV 2 % + 6 %·impairment
// (Hausdorff 2001: stride-time SD 49 ms non-fallers vs 106 ms fallers).
func NormalWalk(b Body, n int) WalkSpec {
	return WalkSpec{
		Steps:       n,
		CadenceSPM:  112 - 30*b.Impairment,
		StepLengthM: 0.41 * b.HeightM * (1 - 0.4*b.Impairment),
		StepTimeCV:  0.02 + 0.06*b.Impairment,
		Asymmetry:   0.02 + 0.08*b.Impairment,
	}
}

// SlowWalk returns a slow, short-stepped walk (about 0.5 m/s).
func SlowWalk(b Body, n int) WalkSpec {
	w := NormalWalk(b, n)
	w.CadenceSPM = 85 - 15*b.Impairment
	w.StepLengthM = 0.3 * b.HeightM * (1 - 0.3*b.Impairment)
	w.StepTimeCV += 0.02
	return w
}

// AidedWalk returns a walk with a cane or walker.
func AidedWalk(b Body, n int, aid string) WalkSpec {
	w := SlowWalk(b, n)
	w.Aid = aid
	w.StepTimeCV += 0.02
	w.Asymmetry += 0.05
	return w
}

// stepExcursion returns the vertical COM excursion h for step length s and
// pendulum length l such that K·2·sqrt(2·l·h − h²) = s (Zijlstra & Hof 2003):
//
//	h = l − sqrt(l² − (s/(2K))²)
func stepExcursion(s, l, k float64) float64 {
	c := s / (2 * k)
	if c >= l {
		return l
	}
	return l - math.Sqrt(l*l-c*c)
}

// vertical step shape S(φ) = −cos φ − b·cos 2φ: minimum at initial contact
// (φ = 0) with S′(0) = 0, peak-to-peak 2 for b < 1/4, so that the vertical
// displacement (h/2)(S + 1 + b) spans exactly [0, h] in every step and
// position and velocity are continuous across steps of different h and T.
const stepShapeB = 0.1

// Walk appends a walking bout.
func (s *Scenario) Walk(w WalkSpec) {
	if w.Steps <= 0 || !(w.CadenceSPM >= 20 && w.CadenceSPM <= 250) || !(w.StepLengthM > 0.05 && w.StepLengthM < 2.5) {
		s.fail("walk: implausible spec: %d steps, cadence %v, step length %v", w.Steps, w.CadenceSPM, w.StepLengthM)
		return
	}
	if !s.ok("walk", 60/w.CadenceSPM*float64(w.Steps), Standing) {
		return
	}
	s.walk(w, false)
}

// Jog appends a jogging bout of n steps (cadence ~160, flight phases).
func (s *Scenario) Jog(n int) {
	if !s.ok("jog", float64(n)*0.375, Standing) {
		return
	}
	s.walk(WalkSpec{Steps: n, CadenceSPM: 160, StepLengthM: 0.9, StepTimeCV: 0.03, Asymmetry: 0.02}, true)
}

func (s *Scenario) walk(w WalkSpec, jog bool) {
	k := w.K
	if k <= 0 {
		k = DefaultStepLengthK
	}
	l := s.body.SensorHeightM
	tMean := 60 / w.CadenceSPM
	from := len(s.motions)
	lean := (3 + 6*s.body.Impairment) * math.Pi / 180
	mlAmp := 0.025 + 0.02*s.body.Impairment // ML excursion to each side, m
	switch w.Aid {
	case "cane":
		lean += 5 * math.Pi / 180
		mlAmp += 0.01
	case "walker":
		lean += 12 * math.Pi / 180
		mlAmp += 0.015
	}
	irregular := newAR1(0.12+0.15*s.body.Impairment, 0.05, s.rate)
	irregAP := newAR1(0.10+0.1*s.body.Impairment, 0.05, s.rate)
	irregV := newAR1(0.03+0.04*s.body.Impairment, 0.05, s.rate)
	g := GaitTruth{StepLengthK: k, Aid: w.Aid}
	var dist, hSum float64
	var stepTimes []float64
	side := -1.0 // first step is a left step: the trunk moves left
	t0 := 0.0
	for st := 0; st < w.Steps; st++ {
		T := tMean * (1 + side*w.Asymmetry/2) * (1 + w.StepTimeCV*s.rng.NormFloat64())
		T = clamp(T, 0.35*tMean, 2.5*tMean)
		L := w.StepLengthM * (1 + 0.03*s.rng.NormFloat64())
		turnRate := turnRateAt(w.Turns, t0+T/2)
		if turnRate != 0 {
			L *= 0.7
		}
		h := stepExcursion(L, l, k)
		ns := max(1, int(math.Round(T*s.rate)))
		T = float64(ns) / s.rate
		g.InitialContacts = append(g.InitialContacts, float64(len(s.motions))/s.rate)
		stepTimes = append(stepTimes, T)
		dist += L
		hSum += h
		v := L / T
		om := 2 * math.Pi / T
		for i := 0; i < ns; i++ {
			tt := float64(i) / s.rate
			ph := om * tt
			var m Motion
			if jog {
				m.Acc[AxisV] = jogVertical(ph)
			} else {
				m.Acc[AxisV] = h/2*(math.Cos(ph)+4*stepShapeB*math.Cos(2*ph))*om*om + heelStrike(tt)
			}
			// AP: braking after contact, propulsion before the next.
			ap := (0.9*v + 0.3) * (1 + 0.5*s.body.Impairment)
			m.Acc[AxisAP] = -ap*math.Sin(ph) + 0.3*ap*math.Sin(2*ph) + irregAP.next(s.rng)
			// ML: the trunk moves over the stance foot and back each step.
			m.Acc[AxisML] = -side*mlAmp*(om/2)*(om/2)*math.Sin(ph/2) + irregular.next(s.rng)
			m.Acc[AxisV] += irregV.next(s.rng)
			// Trunk angles: small pitch at step frequency, roll and yaw at
			// stride frequency.
			pAmp, rAmp, yAmp := 1.5*math.Pi/180, side*2.5*math.Pi/180, side*3*math.Pi/180
			m.Pitch = lean + pAmp*math.Sin(ph)
			m.Roll = rAmp * math.Sin(ph/2)
			dP := pAmp * om * math.Cos(ph)
			dR := rAmp * om / 2 * math.Cos(ph/2)
			dY := yAmp*om/2*math.Cos(ph/2) + turnRateAt(w.Turns, t0+tt)
			m.Acc[AxisML] -= v * turnRateAt(w.Turns, t0+tt) // centripetal
			m.Gyro = bodyRate(m.Pitch, m.Roll, dP, dR, dY)
			s.motions = append(s.motions, m)
		}
		t0 += float64(ns) / s.rate
		side = -side
	}
	g.InitialContacts = append(g.InitialContacts, float64(len(s.motions))/s.rate)
	ics := g.InitialContacts
	span := ics[len(ics)-1] - ics[0]
	g.Steps = w.Steps
	g.CadenceSPM = 60 * float64(len(ics)-1) / span
	g.SpeedMS = dist / span
	g.StepLengthM = dist / float64(w.Steps)
	g.StrideLengthM = 2 * g.StepLengthM
	g.COMExcursionM = hSum / float64(w.Steps)
	g.StepTimeS, g.StepTimeCVPct = meanCV(stepTimes)
	var strides []float64
	for i := 0; i+1 < len(stepTimes); i += 2 {
		strides = append(strides, stepTimes[i]+stepTimes[i+1])
	}
	if len(strides) > 1 {
		m, cv := meanCV(strides)
		g.StrideTimeSDS = m * cv / 100
	}
	var left, right float64
	for i, v := range stepTimes {
		if i%2 == 0 {
			left += v
		} else {
			right += v
		}
	}
	if nl, nr := float64((len(stepTimes)+1)/2), float64(len(stepTimes)/2); nr > 0 {
		left, right = left/nl, right/nr
		g.Asymmetry = math.Abs(left-right) / ((left + right) / 2)
	}
	for _, tu := range w.Turns {
		if tu.AtS < t0 {
			g.Turns = append(g.Turns, Turn{StartS: float64(from)/s.rate + tu.AtS, EndS: float64(from)/s.rate + tu.AtS + tu.DurationS, AngleDeg: tu.AngleDeg})
		}
	}
	seg := Segment{Kind: KindWalk, Session: w.Session, Gait: &g}
	if jog {
		seg.Kind = KindJog
		seg.PeakAccG, _ = s.peakG(from, len(s.motions))
	}
	s.addSegment(seg, from)
}

// Heel-strike transient: real trunk accelerations carry a short burst after
// each initial contact that the pendulum's smooth bounce lacks; without it a
// slow walk (0.5 m/s) has a third of the vertical acceleration SD of real
// slow walks (Mobilise-D HA_001 Test11: 1.3-1.4 m/s²).
const (
	heelStrikePeak = 1.2  // m/s²
	heelStrikeS    = 0.12 // s
)

// heelStrike is the transient t seconds after a contact:
//
//	a(t) = A·(2·sin(4πt/D) − sin(2πt/D)), 0 ≤ t < D
//
// whose first and first moments vanish over D, so it changes neither the
// vertical velocity nor the displacement after it and leaves the step's
// excursion h (and so the Zijlstra step length) intact.
func heelStrike(t float64) float64 {
	if t < 0 || t >= heelStrikeS {
		return 0
	}
	u := t / heelStrikeS
	return heelStrikePeak * (2*math.Sin(4*math.Pi*u) - math.Sin(2*math.Pi*u))
}

// jogVertical is the vertical acceleration of a running step at phase ph:
// a stance half-sine over the first 40 % of the step and free flight (−g)
// for the rest; the stance peak 0.6·π/(2·0.4)·g ≈ 2.36 g balances the
// flight so that the mean over a step is zero.
func jogVertical(ph float64) float64 {
	const stance = 0.4
	f := ph / (2 * math.Pi)
	if f < stance {
		peak := Gravity * (1 - stance) * math.Pi / (2 * stance)
		return peak * math.Sin(math.Pi*f/stance)
	}
	return -Gravity
}

// turnRateAt returns the heading rate (rad/s) at time t of a raised-cosine
// turn profile, ψ̇ = (A/D)(1 − cos(2π(t−t₀)/D)), which turns exactly A.
func turnRateAt(turns []TurnSpec, t float64) float64 {
	for _, tu := range turns {
		if tu.DurationS > 0 && t >= tu.AtS && t < tu.AtS+tu.DurationS {
			a := tu.AngleDeg * math.Pi / 180
			return a / tu.DurationS * (1 - math.Cos(2*math.Pi*(t-tu.AtS)/tu.DurationS))
		}
	}
	return 0
}

// meanCV returns the mean and the coefficient of variation in percent
// (sample SD).
func meanCV(x []float64) (mean, cvPct float64) {
	if len(x) == 0 {
		return 0, 0
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, 100 * math.Sqrt(ss/float64(len(x)-1)) / mean
}
