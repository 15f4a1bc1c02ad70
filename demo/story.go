package demo

import (
	"math"
	"math/rand/v2"
)

// Role is a demo patient's storyline over the backfilled weeks.
type Role string

// Roles, given to the simulated patients in order (RoleFor).
const (
	// RoleImproving trains often: impairment, and so sway, falls week by
	// week and the plan climbs the ladder.
	RoleImproving Role = "improving"
	// RoleDeclining trains less and less from the fourth week on:
	// impairment and sway rise, holds fail, the plan steps down and the
	// risk assessment rises.
	RoleDeclining Role = "declining"
	// RoleFall is steady until a fall a few days ago (its alert
	// acknowledged, the plan stepped down), then stops exercising.
	RoleFall Role = "fall"
	// RoleSteady holds steady (the fourth and later patients).
	RoleSteady Role = "steady"
)

// RoleFor returns the role of the i-th simulated patient (from 0).
func RoleFor(i int) Role {
	switch i {
	case 0:
		return RoleImproving
	case 1:
		return RoleDeclining
	case 2:
		return RoleFall
	}
	return RoleSteady
}

// ImprovingEnd caps the improving patient's impairment at the end of the
// history.
const ImprovingEnd = 0.15

// FallDaysAgo is how many days before today the fall patient falls.
const FallDaysAgo = 5

// Impairment returns the patient's impairment (0 healthy .. 1 severe) on
// day d of a history of n days (day n is today), ending at end, the
// impairment the live simulation starts from, so that the live data
// continue the story:
//
//   - improving: linear from min(e+0.4, 0.95) down to e = min(end,
//     ImprovingEnd) (the timed tests of a patient at a higher impairment
//     keep the risk high, and progression's rules hold a patient at high
//     risk, so the improving patient ends better than the live start);
//   - declining: flat at max(end−0.35, 0.05) for the first 40 % of the
//     days, then linear up to end;
//   - fall: end throughout, 0.05 more from the fall on;
//   - steady: end.
func Impairment(r Role, end float64, d, n int) float64 {
	x := float64(d) / float64(max(n, 1))
	var v float64
	switch r {
	case RoleImproving:
		end = math.Min(end, ImprovingEnd)
		start := math.Min(end+0.4, 0.95)
		v = start + (end-start)*x
	case RoleDeclining:
		start := math.Max(end-0.35, 0.05)
		v = start
		if x > 0.4 {
			v = start + (end-start)*(x-0.4)/0.6
		}
	case RoleFall:
		v = end
		if d >= n-FallDaysAgo {
			v = end + 0.05
		}
	default:
		v = end
	}
	return math.Min(math.Max(v, 0), 1)
}

// DayPlan is what a demo patient does on one day of the history.
type DayPlan struct {
	// SwayTest: the morning 30 s sway test (the patient's fixed test stance).
	SwayTest bool
	// Exercise: an exercise session (three 30 s holds at the plan's level).
	Exercise bool
	// Tests: a Timed Up and Go and a five-times sit-to-stand.
	Tests bool
	// Walk: a walk (its bouts feed the gait charts).
	Walk bool
	// Fall: a fall in the afternoon.
	Fall bool
}

// PlanDay returns what the patient does on day d of n (deterministic for
// rng): a sway test on about 9 days in 10, a walk every other day, the
// timed tests weekly, and exercise sessions as the role has it — improving
// 5 days a week, declining 4 falling to 1 from the fourth week, fall 4 until
// the fall and none after it, steady 3.
func PlanDay(r Role, d, n int, rng *rand.Rand) DayPlan {
	p := DayPlan{SwayTest: rng.Float64() < 0.9, Walk: d%2 == 0, Tests: d%7 == 3}
	wd := d % 7
	switch r {
	case RoleImproving:
		p.Exercise = wd != 2 && wd != 5
	case RoleDeclining:
		if float64(d) < 0.4*float64(n) {
			p.Exercise = wd == 0 || wd == 2 || wd == 4 || wd == 6
		} else {
			p.Exercise = wd == 1 || (wd == 4 && rng.Float64() < 0.5)
		}
	case RoleFall:
		p.Exercise = d < n-FallDaysAgo && (wd == 0 || wd == 2 || wd == 4 || wd == 6)
		p.Fall = d == n-FallDaysAgo
	default:
		p.Exercise = wd == 0 || wd == 2 || wd == 4
	}
	return p
}
