package sim

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/floats/scalar"
)

func TestWalkTruthMatchesSpec(t *testing.T) {
	b := DefaultBody()
	w := NormalWalk(b, 60)
	s := NewScenario(b, 100, 7)
	s.Walk(w)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	g := s.Segments()[0].Gait
	// Step times are random with CV 2 %: over 60 steps the mean cadence is
	// within 3 standard errors (3·0.02/√60 ≈ 0.8 %) plus asymmetry.
	if !scalar.EqualWithinRel(g.CadenceSPM, w.CadenceSPM, 0.015) {
		t.Errorf("cadence %.1f, spec %.1f", g.CadenceSPM, w.CadenceSPM)
	}
	if !scalar.EqualWithinRel(g.StepLengthM, w.StepLengthM, 0.02) {
		t.Errorf("step length %.3f, spec %.3f", g.StepLengthM, w.StepLengthM)
	}
	// speed = step length × cadence / 60
	if !scalar.EqualWithinRel(g.SpeedMS, g.StepLengthM*g.CadenceSPM/60, 0.02) {
		t.Errorf("speed %.3f, step length × cadence/60 = %.3f", g.SpeedMS, g.StepLengthM*g.CadenceSPM/60)
	}
	if len(g.InitialContacts) != 61 || g.StrideLengthM != 2*g.StepLengthM {
		t.Errorf("%d initial contacts, stride %.3f", len(g.InitialContacts), g.StrideLengthM)
	}
}

// The vertical excursion of each step, recovered by integrating the true
// vertical acceleration twice from the initial contact (where the model
// has zero vertical velocity), must give back the step length through
// Zijlstra's model L = K·2·sqrt(2·l·h − h²). The irregular acceleration
// (SD 0.03 m/s²) integrated over a step moves h by well under 5 %.
func TestWalkStepLengthRecoverableByZijlstra(t *testing.T) {
	b := DefaultBody()
	s := NewScenario(b, 100, 8)
	w := NormalWalk(b, 40)
	s.Walk(w)
	g := s.Segments()[0].Gait
	ms := s.Motions()
	dt := 1 / s.RateHz()
	var sum float64
	for k := 0; k+1 < len(g.InitialContacts); k++ {
		i0, i1 := int(math.Round(g.InitialContacts[k]*100)), int(math.Round(g.InitialContacts[k+1]*100))
		// Trapezoidal rule: the rectangle rule's half-sample bias at the
		// acceleration peak of the contact would inflate h by ~13 %.
		var v, d, lo, hi float64
		for i := i0 + 1; i <= i1 && i < len(ms); i++ {
			vn := v + (ms[i-1].Acc[AxisV]+ms[i].Acc[AxisV])/2*dt
			d += (v + vn) / 2 * dt
			v = vn
			lo, hi = math.Min(lo, d), math.Max(hi, d)
		}
		h := hi - lo
		l := b.SensorHeightM
		sum += g.StepLengthK * 2 * math.Sqrt(2*l*h-h*h)
	}
	got := sum / float64(len(g.InitialContacts)-1)
	if !scalar.EqualWithinRel(got, g.StepLengthM, 0.05) {
		t.Errorf("Zijlstra step length from the vertical acceleration %.3f m, truth %.3f m", got, g.StepLengthM)
	}
}

// The dominant frequency of the vertical acceleration is the step
// frequency cadence/60 (gonum FFT of 2048 samples: resolution 0.05 Hz).
func TestWalkSpectrumPeaksAtStepFrequency(t *testing.T) {
	b := DefaultBody()
	for _, w := range []WalkSpec{NormalWalk(b, 45), SlowWalk(b, 35), AidedWalk(b, 35, "walker")} {
		s := NewScenario(b, 100, 2)
		s.Walk(w)
		smp := s.Samples(TypicalSensor(), 0)
		n := 2048
		if len(smp) < n {
			t.Fatalf("walk too short: %d samples", len(smp))
		}
		x := make([]float64, n)
		for i := range x {
			x[i] = smp[i].Acc[0] - Gravity
		}
		c := fourier.NewFFT(n).Coefficients(nil, x)
		best, at := 0.0, 0
		for i := 5; i < len(c); i++ {
			if p := real(c[i])*real(c[i]) + imag(c[i])*imag(c[i]); p > best {
				best, at = p, i
			}
		}
		f := float64(at) * 100 / float64(n)
		cad := s.Segments()[0].Gait.CadenceSPM / 60
		if math.Abs(f-cad) > 0.1 {
			t.Errorf("%s walk: spectral peak %.2f Hz, step frequency %.2f Hz", w.Aid, f, cad)
		}
	}
}

func TestTurnsAndTests(t *testing.T) {
	b := DefaultBody()
	s := NewScenario(b, 100, 4)
	w := NormalWalk(b, 30)
	w.Turns = []TurnSpec{{AtS: 5, AngleDeg: -90, DurationS: 2}}
	s.Walk(w)
	// The yaw rate integrated over the turn is the turn angle. With no
	// roll/twist the yaw rate projects onto the body axes by Rᵀe_V; the
	// trunk's own stride-frequency yaw wobble integrates to ~0 over whole
	// strides, so allow 5°.
	var yaw float64
	for _, m := range s.Motions() {
		r := bodyToHeading(m.Pitch, m.Roll, m.Twist)
		up := r.applyT([3]float64{1, 0, 0})
		yaw += (m.Gyro[0]*up[0] + m.Gyro[1]*up[1] + m.Gyro[2]*up[2]) / 100
	}
	if math.Abs(yaw*180/math.Pi-(-90)) > 5 {
		t.Errorf("integrated yaw %.1f°, turn −90°", yaw*180/math.Pi)
	}
	healthy, impaired := b, b
	impaired.Impairment = 0.9
	dur := func(b Body, f func(s *Scenario)) float64 {
		s := NewScenario(b, 100, 5)
		s.StartSitting()
		f(s)
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
		segs := s.Segments()
		return segs[len(segs)-1].TestDurationS
	}
	// Cut-offs of clinical-references.md §3.2: TUG ≥ 13.5 s and 5×STS
	// ≥ 12-15 s mark fall risk; healthy adults do both well below.
	tug := func(s *Scenario) { s.TUG() }
	sts := func(s *Scenario) { s.SitToStand5() }
	if h, i := dur(healthy, tug), dur(impaired, tug); !(h < 12 && i > 13.5) {
		t.Errorf("TUG healthy %.1f s (want < 12), impaired %.1f s (want > 13.5)", h, i)
	}
	if h, i := dur(healthy, sts), dur(impaired, sts); !(h < 12 && i > 15) {
		t.Errorf("5×STS healthy %.1f s (want < 12), impaired %.1f s (want > 15)", h, i)
	}
}
