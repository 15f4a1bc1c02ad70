package sim

import (
	"sort"
	"strings"

	"github.com/balance-pt/balance"
)

// namedScenarios are the scenarios `balance sim file` can write. Each
// starts and ends standing, so that they chain.
var namedScenarios = map[string]func(s *Scenario){
	// Walks of every kind with turns.
	"walk": func(s *Scenario) {
		s.Idle(5)
		w := NormalWalk(s.body, 40)
		w.Session = balance.SessionWalk
		s.Walk(w)
		s.Idle(5)
		w = NormalWalk(s.body, 30)
		w.Turns = []TurnSpec{{AtS: 6, AngleDeg: 180, DurationS: 2.5}}
		s.Walk(w)
		s.Idle(5)
		s.Walk(SlowWalk(s.body, 30))
		s.Idle(5)
		s.Walk(AidedWalk(s.body, 30, "cane"))
		s.Idle(5)
	},
	// A 30 s sway test on every rung of the ladder.
	"ladder": func(s *Scenario) {
		for _, c := range Ladder {
			s.Idle(5)
			s.Stand(30, c, SwayOptions{Session: balance.SessionSway})
		}
		s.Idle(5)
	},
	// One 30 s sway test, feet together, no loss of balance.
	"sway": func(s *Scenario) {
		s.Idle(5)
		s.Stand(30, StanceCondition{Stance: FeetTogether}, SwayOptions{Session: balance.SessionSway, LossAtS: -1})
		s.Idle(5)
	},
	// Timed Up and Go and five sit-to-stands.
	"tests": func(s *Scenario) {
		s.Idle(3)
		s.SitDown()
		s.Sit(5)
		s.TUG()
		s.Sit(5)
		s.SitToStand5()
		s.Idle(3)
		s.SitDown()
		s.Sit(5)
		s.StandUp()
		s.Idle(3)
	},
	// Every kind of fall, each followed by 20 s lying still and getting up.
	"falls": func(s *Scenario) {
		for _, k := range []FallKind{FallForward, FallBackward, FallLeft, FallRight, FallCollapse} {
			s.Idle(5)
			s.Walk(NormalWalk(s.body, 8))
			s.Fall(FallSpec{Kind: k, LieS: 20})
			s.GetUp()
		}
		s.Idle(5)
	},
	// Activities that look like falls but are not.
	"adl": func(s *Scenario) {
		s.Idle(5)
		s.SitDownHard()
		s.Sit(5)
		s.StandUp()
		s.Idle(3)
		s.Stumble()
		s.Idle(3)
		s.Jump()
		s.Idle(3)
		s.Jog(40)
		s.Idle(5)
		s.SitDown()
		s.LieDown()
		s.Lie(10)
		s.RollInBed(10)
		s.Lie(5)
		s.GetUp()
		s.Idle(5)
	},
}

func init() {
	namedScenarios["demo"] = func(s *Scenario) {
		for _, k := range []string{"sway", "walk", "tests", "adl", "falls"} {
			namedScenarios[k](s)
		}
	}
}

// ScenarioNames lists the named scenarios.
func ScenarioNames() []string {
	var n []string
	for k := range namedScenarios {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// NamedScenario builds the named scenario for body at rateHz.
func NamedScenario(name string, body Body, rateHz float64, seed uint64) (*Scenario, error) {
	f, ok := namedScenarios[name]
	if !ok {
		return nil, balance.Errorf(balance.EINVALID, "sim: unknown scenario %q (want one of %s)", name, strings.Join(ScenarioNames(), ", "))
	}
	s := NewScenario(body, rateHz, seed)
	f(s)
	return s, s.Err()
}
