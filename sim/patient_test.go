package sim

import (
	"testing"

	"github.com/balance-pt/balance"
)

func TestPatientDaysAndLadder(t *testing.T) {
	p := PatientModel{Patient: balance.Patient{HeightM: 1.65, Neuropathy: true}, Baseline: 0.6, Adherence: 1, Seed: 9}
	// With full adherence impairment falls 8 % of itself a week:
	// I(28) = 0.6·exp(−0.08·4) = 0.4357 (closed form).
	if got := p.ImpairmentOn(28); got < 0.4356 || got > 0.4358 {
		t.Errorf("impairment after 4 weeks %.4f, want 0.4357", got)
	}
	// The rung a therapist would set rises as the patient improves.
	if LevelFor(p.BodyOn(0)) > LevelFor(p.BodyOn(120)) {
		t.Errorf("rung fell from %d to %d while improving", LevelFor(p.BodyOn(0)), LevelFor(p.BodyOn(120)))
	}
	if LevelFor(p.BodyOn(120)) <= LevelFor(BodyFor(p.Patient, 1)) {
		t.Errorf("an improved patient holds no harder rung than a severely impaired one")
	}
	count := func(plan []Activity, kind string) int {
		n := 0
		for _, a := range plan {
			if a.Kind == kind {
				n++
			}
		}
		return n
	}
	for d := 0; d < 6; d++ {
		plan := p.Day(d)
		if count(plan, KindSway) != 1 || count(plan, KindWalk) < 3 {
			t.Errorf("day %d: %d sway tests, %d walks", d, count(plan, KindSway), count(plan, KindWalk))
		}
		if tests := count(plan, KindTUG) + count(plan, KindSTS5); (d%3 == 0) != (tests > 0) {
			t.Errorf("day %d: %d timed tests", d, tests)
		}
		for i := 1; i < len(plan); i++ {
			if plan[i].StartS-plan[i-1].StartS < 600 || plan[i].StartS >= WearS {
				t.Errorf("day %d: activities at %.0f and %.0f s", d, plan[i-1].StartS, plan[i].StartS)
			}
		}
	}
	lazy := PatientModel{Patient: p.Patient, Baseline: 0.6, Adherence: 0, Seed: 9}
	for d := 0; d < 6; d++ {
		if n := count(lazy.Day(d), "exercise"); n != 0 {
			t.Errorf("day %d: %d exercise sessions without adherence", d, n)
		}
	}
}

func TestNamedScenariosBuild(t *testing.T) {
	for _, name := range ScenarioNames() {
		s, err := NamedScenario(name, DefaultBody(), 50, 1)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s.Posture() != Standing || s.Len() == 0 {
			t.Errorf("%s ends %v after %d samples", name, s.Posture(), s.Len())
		}
	}
	if _, err := NamedScenario("nope", DefaultBody(), 50, 1); err == nil {
		t.Error("unknown scenario accepted")
	}
}
