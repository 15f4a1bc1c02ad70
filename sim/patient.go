package sim

import (
	"math"
	"math/rand/v2"

	"github.com/balance-pt/balance"
)

// PatientModel is a simulated patient followed over days and weeks.
type PatientModel struct {
	Patient balance.Patient
	// Baseline is the impairment on day 0 (0 healthy .. 1 severe).
	Baseline float64
	// Adherence is the share of prescribed exercise sessions done (0..1).
	Adherence float64
	// Seed makes the patient's days reproducible.
	Seed uint64
}

// Exercise-response model (a model choice anchored on Grewal et al. 2015:
// sway fell by about 58 % after 4 weeks of twice-weekly sensor-based
// balance training in diabetic neuropathy): full adherence lowers
// impairment by 8 % of its current value per week; no exercise raises it
// by 2 % per week (the slow progression of neuropathy).
const (
	weeklyGain    = 0.08
	weeklyDecline = 0.02
)

// ImpairmentOn returns the patient's impairment on day d (0 = first day):
//
//	I(d) = Baseline · exp((weeklyDecline·(1−a) − weeklyGain·a) · d/7)
//
// with a the adherence, clamped to [0, 1].
func (p PatientModel) ImpairmentOn(day int) float64 {
	a := clamp(p.Adherence, 0, 1)
	rate := weeklyDecline*(1-a) - weeklyGain*a
	return clamp(p.Baseline*math.Exp(rate*float64(day)/7), 0, 1)
}

// BodyOn returns the patient's body on day d.
func (p PatientModel) BodyOn(day int) Body { return BodyFor(p.Patient, p.ImpairmentOn(day)) }

// Ladder is the static-balance exercise ladder, easiest first (CDC STEADI
// order, then eyes closed, then foam).
var Ladder = []StanceCondition{
	{Stance: FeetApart}, {Stance: FeetTogether}, {Stance: SemiTandem}, {Stance: Tandem},
	{Stance: FeetTogether, EyesClosed: true}, {Stance: SemiTandem, EyesClosed: true},
	{Stance: SingleLeg}, {Stance: Tandem, EyesClosed: true},
	{Stance: FeetTogether, Foam: true}, {Stance: Tandem, Foam: true},
	{Stance: Tandem, EyesClosed: true, Foam: true},
}

// LevelFor returns the hardest ladder rung body can hold for 30 s with less
// than a 30 % chance of losing balance: the rung a therapist would set.
func LevelFor(b Body) int {
	lvl := 0
	for i, c := range Ladder {
		if c.LossProbability(b) < 0.3 {
			lvl = i
		}
	}
	return lvl
}

// Activity is one planned block of a day, starting and ending seated.
type Activity struct {
	StartS float64 `json:"start_s"` // seconds after the start of wear
	Kind   string  `json:"kind"`    // a Kind* constant or "exercise"
	// Level is the ladder rung of an exercise session or sway test.
	Level int `json:"level,omitempty"`
	// Steps of a walk.
	Steps int `json:"steps,omitempty"`
	// Fall is set for an (unplanned) fall.
	Fall FallKind `json:"fall,omitempty"`
	// Stance, when set, overrides Level for a sway test or exercise (the
	// level a therapist assigned).
	Stance *StanceCondition `json:"stance,omitempty"`
}

// WearS is how long the device is worn each day: 08:00 to 20:00.
const WearS = 12 * 3600

// Day returns the plan of day d: walks, a morning sway test, exercise
// sessions when the patient adheres, a TUG and sit-to-stand test every
// third day, and, with a chance that grows with impairment (2 % a day at
// impairment 1), a fall. Sitting fills the gaps.
func (p PatientModel) Day(day int) []Activity {
	rng := rand.New(rand.NewPCG(p.Seed, uint64(day)+1))
	b := p.BodyOn(day)
	var plan []Activity
	add := func(at float64, a Activity) {
		a.StartS = at
		plan = append(plan, a)
	}
	add(600+rng.Float64()*600, Activity{Kind: KindSway, Level: LevelFor(b)})
	walks := 6 + int(6*(1-b.Impairment)) + rng.IntN(4)
	for i := 0; i < walks; i++ {
		add(float64(i+1)*WearS/float64(walks+1)+rng.Float64()*900, Activity{Kind: KindWalk, Steps: 20 + rng.IntN(200)})
	}
	for _, at := range []float64{3 * 3600, 8 * 3600} {
		if rng.Float64() < p.Adherence {
			add(at+rng.Float64()*1800, Activity{Kind: "exercise", Level: LevelFor(b)})
		}
	}
	if day%3 == 0 {
		add(5*3600+rng.Float64()*600, Activity{Kind: KindTUG})
		add(5.5*3600+rng.Float64()*600, Activity{Kind: KindSTS5})
	}
	if rng.Float64() < 0.02*b.Impairment {
		kinds := []FallKind{FallForward, FallBackward, FallLeft, FallRight, FallCollapse}
		add(rng.Float64()*(WearS-3600)+1800, Activity{Kind: KindFall, Fall: kinds[rng.IntN(len(kinds))]})
	}
	sortActivities(plan)
	// Drop blocks that would overlap the previous one (blocks last < 10 min).
	out := plan[:0]
	last := -1e9
	for _, a := range plan {
		if a.StartS-last >= 600 {
			out = append(out, a)
			last = a.StartS
		}
	}
	return out
}

func sortActivities(a []Activity) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].StartS < a[j-1].StartS; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// build appends the activity to a seated scenario, leaving it seated.
func (a Activity) build(s *Scenario) {
	switch a.Kind {
	case KindWalk:
		s.StandUp()
		s.Walk(NormalWalk(s.body, max(4, a.Steps)))
		s.SitDown()
	case KindSway:
		s.StandUp()
		s.Idle(3)
		c := a.stance()
		s.Stand(30, c, SwayOptions{Session: balance.SessionSway})
		s.Idle(2)
		s.SitDown()
	case "exercise":
		s.StandUp()
		c := a.stance()
		for i := 0; i < 3; i++ {
			s.Stand(30, c, SwayOptions{Session: balance.SessionExercise})
			s.Idle(10)
		}
		s.SitDown()
	case KindTUG:
		s.TUG()
	case KindSTS5:
		s.SitToStand5()
		s.SitDown()
	case KindFall:
		s.StandUp()
		s.Walk(NormalWalk(s.body, 6))
		s.Fall(FallSpec{Kind: a.Fall, LieS: 30, GetUp: true})
		s.SitDown()
	default:
		s.fail("unknown activity %q", a.Kind)
	}
}

// stance is the activity's stance: the assigned one, else its ladder rung.
func (a Activity) stance() StanceCondition {
	if a.Stance != nil {
		return *a.Stance
	}
	return Ladder[clampInt(a.Level, 0, len(Ladder)-1)]
}

func clampInt(v, lo, hi int) int {
	return min(max(v, lo), hi)
}
