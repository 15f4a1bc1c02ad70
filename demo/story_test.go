package demo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/balance-pt/balance/progression"
	"github.com/balance-pt/balance/sim"
)

// TestImpairmentStory: the improving patient's impairment falls, the
// declining one's rises (after a flat start), the fall patient's steps up
// at the fall; each ends at the live start (the improving one at most at
// ImprovingEnd) and stays in [0, 1].
func TestImpairmentStory(t *testing.T) {
	const n, end = 70, 0.4
	for _, r := range []Role{RoleImproving, RoleDeclining, RoleFall, RoleSteady} {
		for d := 0; d <= n; d++ {
			if v := Impairment(r, end, d, n); v < 0 || v > 1 {
				t.Fatalf("%s day %d: impairment %v", r, d, v)
			}
		}
	}
	if a, b := Impairment(RoleImproving, end, 0, n), Impairment(RoleImproving, end, n, n); !(a > b+0.3) || math.Abs(b-ImprovingEnd) > 1e-9 {
		t.Errorf("improving: %v → %v", a, b)
	}
	if a, mid, b := Impairment(RoleDeclining, end, 0, n), Impairment(RoleDeclining, end, n/4, n), Impairment(RoleDeclining, end, n, n); a != mid || !(b > a+0.3) || math.Abs(b-end) > 1e-9 {
		t.Errorf("declining: %v, %v, %v", a, mid, b)
	}
	if a, b := Impairment(RoleFall, end, n-FallDaysAgo-1, n), Impairment(RoleFall, end, n-FallDaysAgo, n); !(b > a) {
		t.Errorf("fall: %v before, %v from the fall", a, b)
	}
	if RoleFor(0) != RoleImproving || RoleFor(1) != RoleDeclining || RoleFor(2) != RoleFall || RoleFor(7) != RoleSteady {
		t.Error("roles out of order")
	}
}

// TestPlanDayStory: exactly one fall, FallDaysAgo days before today, for
// the fall patient only, and no exercise after it; the improving patient
// exercises more than the declining one in the last weeks; sway tests on
// at least 16 of the last 30 days (the RTM threshold); the same seed gives
// the same days.
func TestPlanDayStory(t *testing.T) {
	const n = 70
	days := func(r Role, seed uint64) []DayPlan {
		rng := rand.New(rand.NewPCG(seed, 1))
		out := make([]DayPlan, n)
		for d := range out {
			out[d] = PlanDay(r, d, n, rng)
		}
		return out
	}
	count := func(ps []DayPlan, from int, f func(DayPlan) bool) int {
		k := 0
		for _, p := range ps[from:] {
			if f(p) {
				k++
			}
		}
		return k
	}
	for _, r := range []Role{RoleImproving, RoleDeclining, RoleSteady} {
		if k := count(days(r, 3), 0, func(p DayPlan) bool { return p.Fall }); k != 0 {
			t.Errorf("%s falls %d times", r, k)
		}
	}
	fall := days(RoleFall, 3)
	for d, p := range fall {
		if p.Fall != (d == n-FallDaysAgo) {
			t.Errorf("fall patient day %d: fall %v", d, p.Fall)
		}
		if d >= n-FallDaysAgo && p.Exercise {
			t.Errorf("fall patient exercises on day %d, after the fall", d)
		}
	}
	ex := func(p DayPlan) bool { return p.Exercise }
	if imp, dec := count(days(RoleImproving, 3), n-21, ex), count(days(RoleDeclining, 3), n-21, ex); imp <= dec {
		t.Errorf("last three weeks: improving exercised %d days, declining %d", imp, dec)
	}
	for _, seed := range []uint64{1, 2, 3} {
		if k := count(days(RoleSteady, seed), n-30, func(p DayPlan) bool { return p.SwayTest }); k < 16 {
			t.Errorf("seed %d: sway tests on %d of the last 30 days", seed, k)
		}
	}
	a, b := days(RoleDeclining, 9), days(RoleDeclining, 9)
	for d := range a {
		if a[d] != b[d] {
			t.Fatalf("day %d differs for the same seed", d)
		}
	}
}

// TestHoldStance: static levels are practised as themselves, dynamic ones
// as a feet-apart stance.
func TestHoldStance(t *testing.T) {
	if c := holdStance("tandem-eyes-closed-one-hand"); c.Stance != sim.Tandem || !c.EyesClosed || c.Support != "one_hand" {
		t.Errorf("tandem-eyes-closed-one-hand: %+v", c)
	}
	if c := holdStance("otago-a"); c.Stance != sim.FeetApart {
		t.Errorf("otago-a: %+v", c)
	}
}

// TestInitialLevel: the first level is in the catalog, with one hand's
// support for the improving patient, and easier for a more impaired body.
func TestInitialLevel(t *testing.T) {
	cat, err := progression.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	p := sim.Population(1, "t-", 100, sim.EncodingJSON, 1, false)[0].Model.Patient
	rank := func(id string) int {
		c, err := sim.ParseExerciseID(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		c.Support = ""
		for i, l := range sim.Ladder {
			if l == c {
				return i
			}
		}
		return -1
	}
	for _, r := range []Role{RoleImproving, RoleDeclining, RoleFall} {
		easy, hard := InitialLevel(r, sim.BodyFor(p, 0.8), cat), InitialLevel(r, sim.BodyFor(p, 0.1), cat)
		if cat.Level(easy) == nil || cat.Level(hard) == nil || rank(easy) > rank(hard) {
			t.Errorf("%s: %s at impairment 0.8, %s at 0.1", r, easy, hard)
		}
		if c, _ := sim.ParseExerciseID(easy); r == RoleImproving && c.Support != "one_hand" {
			t.Errorf("improving starts at %s, without one hand's support", easy)
		}
	}
}
