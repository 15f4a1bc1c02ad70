package sim

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/floats/scalar"
)

func standTrial(t *testing.T, b Body, c StanceCondition, o SwayOptions, seed uint64) (*Scenario, Segment) {
	t.Helper()
	s := NewScenario(b, 100, seed)
	s.Stand(30, c, o)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return s, s.Segments()[0]
}

// Neville et al. 2015 (clinical-references.md §1.4): sway RMS 0.0368 m/s²
// for two legs eyes open and 0.911 m/s² for tandem, eyes closed, on foam.
// The model must land within 10 % of both for a healthy adult.
func TestSwayMagnitudesMatchNeville(t *testing.T) {
	for _, tc := range []struct {
		c    StanceCondition
		want float64
	}{
		{StanceCondition{Stance: FeetApart}, 0.0368},
		{StanceCondition{Stance: Tandem, EyesClosed: true, Foam: true}, 0.911},
	} {
		_, seg := standTrial(t, DefaultBody(), tc.c, SwayOptions{LossAtS: -1}, 3)
		if !scalar.EqualWithinRel(seg.Sway.RMS, tc.want, 0.10) {
			t.Errorf("%+v: RMS %.4f m/s², Neville 2015 %.4f", tc.c, seg.Sway.RMS, tc.want)
		}
	}
}

func TestSwayGrowsAlongLadderAndWithImpairment(t *testing.T) {
	prev := 0.0
	for _, st := range []Stance{FeetApart, FeetTogether, SemiTandem, Tandem, SingleLeg} {
		_, seg := standTrial(t, DefaultBody(), StanceCondition{Stance: st}, SwayOptions{LossAtS: -1}, 5)
		if seg.Sway.RMS <= prev {
			t.Errorf("%s: RMS %.4f not above the easier stance's %.4f", st, seg.Sway.RMS, prev)
		}
		prev = seg.Sway.RMS
	}
	healthy := DefaultBody()
	pn := healthy
	pn.Neuropathy, pn.Impairment = true, 0.6
	c := StanceCondition{Stance: FeetTogether}
	_, a := standTrial(t, healthy, c, SwayOptions{LossAtS: -1}, 9)
	_, b := standTrial(t, pn, c, SwayOptions{LossAtS: -1}, 9)
	if b.Sway.RMS < 1.5*a.Sway.RMS {
		t.Errorf("neuropathy RMS %.4f, healthy %.4f: want ≥ 1.5×", b.Sway.RMS, a.Sway.RMS)
	}
	if b.Sway.RMSML/b.Sway.RMSAP <= a.Sway.RMSML/a.Sway.RMSAP {
		t.Errorf("neuropathy ML/AP %.2f not above healthy %.2f", b.Sway.RMSML/b.Sway.RMSAP, a.Sway.RMSML/a.Sway.RMSAP)
	}
}

// The truth is computed from the true motion; here the same RMS is
// recomputed independently from raw readings of a tilted, noisy sensor,
// after removing the mean tilt with the Moe-Nilssen (1998) rotation and
// white noise by a 1-2-1 smoothing twice (gain at 3.5 Hz > 0.9; the model
// has little power above it). The two must agree within 5 %.
func TestSwayTruthFromReadings(t *testing.T) {
	s, seg := standTrial(t, DefaultBody(), StanceCondition{Stance: Tandem}, SwayOptions{LossAtS: -1}, 11)
	sensor := TypicalSensor()
	smp := s.Samples(sensor, 0)
	n := float64(len(smp))
	var mean [3]float64
	for _, x := range smp {
		for k := range mean {
			mean[k] += x.Acc[k] / n
		}
	}
	g := math.Sqrt(mean[0]*mean[0] + mean[1]*mean[1] + mean[2]*mean[2])
	sAP, sML := mean[2]/g, mean[1]/g
	cAP, cML := math.Sqrt(1-sAP*sAP), math.Sqrt(1-sML*sML)
	ap, ml := make([]float64, len(smp)), make([]float64, len(smp))
	for i, x := range smp {
		aAP := x.Acc[2]*cAP - x.Acc[0]*sAP
		aV := x.Acc[2]*sAP + x.Acc[0]*cAP
		ap[i] = aAP
		ml[i] = x.Acc[1]*cML - aV*sML
	}
	smooth := func(x []float64) {
		for pass := 0; pass < 2; pass++ {
			prev := x[0]
			for i := 1; i+1 < len(x); i++ {
				cur := x[i]
				x[i] = 0.25*prev + 0.5*cur + 0.25*x[i+1]
				prev = cur
			}
		}
	}
	smooth(ap)
	smooth(ml)
	sd := func(x []float64) float64 {
		var m, v float64
		for _, e := range x {
			m += e
		}
		m /= float64(len(x))
		for _, e := range x {
			v += (e - m) * (e - m)
		}
		return math.Sqrt(v / float64(len(x)))
	}
	got := math.Hypot(sd(ap), sd(ml))
	if !scalar.EqualWithinRel(got, seg.Sway.RMS, 0.05) {
		t.Errorf("RMS from readings %.4f, truth %.4f", got, seg.Sway.RMS)
	}
}

func TestLossOfBalance(t *testing.T) {
	_, seg := standTrial(t, DefaultBody(), StanceCondition{Stance: SingleLeg}, SwayOptions{LossAtS: 12.5}, 1)
	if seg.HoldS != 12.5 || len(seg.LossOfBalanceS) != 1 || seg.LossOfBalanceS[0] != 12.5 {
		t.Errorf("forced loss at 12.5 s: hold %v, losses %v", seg.HoldS, seg.LossOfBalanceS)
	}
	// Tandem, eyes closed, on foam nearly always fails for an impaired
	// patient (LossProbability > 0.99); feet apart never does.
	b := DefaultBody()
	b.Impairment = 0.5
	hard, easy := 0, 0
	for seed := uint64(0); seed < 20; seed++ {
		_, h := standTrial(t, b, StanceCondition{Stance: Tandem, EyesClosed: true, Foam: true}, SwayOptions{}, seed)
		_, e := standTrial(t, b, StanceCondition{Stance: FeetApart}, SwayOptions{}, seed)
		hard += len(h.LossOfBalanceS)
		easy += len(e.LossOfBalanceS)
	}
	if hard < 18 || easy != 0 {
		t.Errorf("losses in 20 trials: hardest rung %d (want ≥ 18), feet apart %d (want 0)", hard, easy)
	}
}

func TestScenarioDeterministic(t *testing.T) {
	build := func(seed uint64) *Scenario {
		s := NewScenario(DefaultBody(), 100, seed)
		s.Stand(5, StanceCondition{Stance: Tandem}, SwayOptions{})
		s.Walk(NormalWalk(DefaultBody(), 10))
		s.Fall(FallSpec{Kind: FallForward, LieS: 2})
		return s
	}
	a, b, c := build(42), build(42), build(43)
	if diff := cmp.Diff(a.Samples(TypicalSensor(), 0), b.Samples(TypicalSensor(), 0)); diff != "" {
		t.Errorf("same seed, different samples:\n%s", diff[:min(len(diff), 500)])
	}
	if cmp.Equal(a.Motions(), c.Motions()) {
		t.Error("different seeds gave identical motion")
	}
}

func TestScenarioRejectsBadInput(t *testing.T) {
	for name, f := range map[string]func(s *Scenario){
		"negative duration":  func(s *Scenario) { s.Stand(-1, StanceCondition{Stance: FeetApart}, SwayOptions{}) },
		"NaN duration":       func(s *Scenario) { s.Stand(math.NaN(), StanceCondition{Stance: FeetApart}, SwayOptions{}) },
		"unknown stance":     func(s *Scenario) { s.Stand(1, StanceCondition{Stance: "hop"}, SwayOptions{}) },
		"sit while standing": func(s *Scenario) { s.Sit(1) },
		"zero steps":         func(s *Scenario) { s.Walk(WalkSpec{CadenceSPM: 100, StepLengthM: 0.6}) },
		"unknown fall":       func(s *Scenario) { s.Fall(FallSpec{Kind: "up"}) },
	} {
		s := NewScenario(DefaultBody(), 100, 1)
		f(s)
		if s.Err() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if NewScenario(DefaultBody(), 0, 1).Err() == nil {
		t.Error("rate 0 accepted")
	}
	if NewScenario(Body{}, 100, 1).Err() == nil {
		t.Error("empty body accepted")
	}
}

func TestExerciseIDsAndSupport(t *testing.T) {
	for _, c := range []StanceCondition{
		{Stance: FeetApart}, {Stance: SemiTandem, EyesClosed: true},
		{Stance: Tandem, EyesClosed: true, Foam: true, Support: "one_hand"},
		{Stance: SingleLeg, Foam: true, Support: "two_hands"}, {Stance: FeetTogether, Support: "fingertip"},
	} {
		got, err := ParseExerciseID(c.ExerciseID())
		if err != nil || got != c {
			t.Errorf("%q parses to %+v, %v; want %+v", c.ExerciseID(), got, err, c)
		}
	}
	// The ids of the progression catalog's static levels have this form.
	if c := (StanceCondition{Stance: Tandem, EyesClosed: true, Foam: true, Support: "two_hands"}); c.ExerciseID() != "tandem-eyes-closed-foam-two-hands" {
		t.Errorf("id %q", c.ExerciseID())
	}
	for _, bad := range []string{"otago-a", "walking", "", "tandem-sideways"} {
		if _, err := ParseExerciseID(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	// Holding on reduces sway and so the chance of losing balance.
	b := DefaultBody()
	free := StanceCondition{Stance: SingleLeg}
	held := free
	held.Support = "two_hands"
	rf, _ := free.ExpectedRMS(b)
	rh, _ := held.ExpectedRMS(b)
	if rh != 0.4*rf || held.LossProbability(b) >= free.LossProbability(b) {
		t.Errorf("two hands: RMS %.3f vs %.3f free", rh, rf)
	}
}
