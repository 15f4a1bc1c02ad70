package progression

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC) // a Monday

// sess is an exercise session at level on day d (10:00 UTC) with the hold,
// losses of balance and 2-D sway RMS given (rms 0: not measured).
func sess(level string, d int, hold float64, losses int, rms float64) balance.ExerciseSession {
	s := balance.ExerciseSession{
		ID: fmt.Sprintf("%s-d%d", level, d), PatientID: "p1", Kind: balance.SessionExercise, ExerciseID: level,
		Start: t0.Add(time.Duration(d)*day + 2*time.Hour), HoldS: hold, LossesOfBalance: losses,
	}
	s.End = s.Start.Add(3 * time.Minute)
	if rms > 0 {
		s.Sway = map[string]float64{"rms": rms}
	}
	return s
}

// good returns n sessions at level on days 1..n that hold 30 s without a
// loss, with sway 0.100, 0.105, 0.095, ... so that the baseline (median
// of the first three) is 0.100 m/s² and each is within 10 % of it.
func good(level string, days ...int) []balance.ExerciseSession {
	rms := []float64{0.100, 0.105, 0.095, 0.100, 0.102, 0.098}
	var out []balance.ExerciseSession
	for i, d := range days {
		out = append(out, sess(level, d, 30, 0, rms[i%len(rms)]))
	}
	return out
}

func plan(level string) balance.Plan {
	return balance.Plan{PatientID: "p1", LevelID: level, SessionsPerWeek: 3, Mode: balance.PlanAutomatic, AssignedAt: t0, LevelSince: t0}
}

func codes(rs []balance.PlanReason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

// TestEvaluate tables the rules of Evaluate; every expectation follows from
// the rule text in its doc comment and the default thresholds (3 sessions,
// 10 s minimum hold, 2 losses, sway ratio 2, tolerance 10 %, 14 days after
// a fall, 21 days retry, 7-day gap).
func TestEvaluate(t *testing.T) {
	cat := mustDefault(t)
	day := func(d float64) time.Time { return t0.Add(time.Duration(d * float64(24*time.Hour))) }
	progressedFromSemi := []balance.PlanChange{{ID: "c0", PatientID: "p1", Time: t0, Kind: balance.ChangeProgress, FromLevel: "semi-tandem", ToLevel: "tandem", Dimension: "stance", Status: balance.ChangeApplied}}
	failedSingleLeg := []balance.PlanChange{{ID: "c0", PatientID: "p1", Time: t0, Kind: balance.ChangeRegress, FromLevel: "single-leg", ToLevel: "tandem", Dimension: "stance", Status: balance.ChangeApplied}}
	tests := []struct {
		name     string
		in       Input
		action   string
		to       string
		dim      string
		reasons  []string // codes that must be among the reasons
		streak   int
		baseline float64
	}{
		{name: "three good sessions progress, stance first",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3)},
			action: Progress, to: "single-leg", dim: "stance", reasons: []string{"target_met", "step_stance"}, streak: 3, baseline: 0.100},
		{name: "two good sessions hold",
			in:     Input{Now: day(2.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2)},
			action: Hold, reasons: []string{"building", "baseline"}, streak: 0},
		{name: "three sessions on one day count once",
			in: Input{Now: day(1.9), Plan: plan("tandem"), Sessions: func() []balance.ExerciseSession {
				ss := good("tandem", 1, 1, 1)
				for i := range ss {
					ss[i].ID += fmt.Sprint(i)
					ss[i].Start = ss[i].Start.Add(time.Duration(i) * time.Hour)
				}
				return ss
			}()},
			action: Hold, reasons: []string{"building"}, streak: 1, baseline: 0.100},
		{name: "sway above baseline plus tolerance breaks the run",
			in:     Input{Now: day(4.5), Plan: plan("tandem"), Sessions: append(good("tandem", 1, 2, 3), sess("tandem", 4, 30, 0, 0.115))},
			action: Hold, reasons: []string{"building", "sway_above_baseline"}, streak: 0, baseline: 0.100},
		{name: "a short hold is a failure and undoes the last progression",
			in:     Input{Now: day(4.5), Plan: plan("tandem"), Changes: progressedFromSemi, Sessions: append(good("tandem", 1, 2, 3), sess("tandem", 4, 8, 0, 0.1))},
			action: Regress, to: "semi-tandem", dim: "stance", reasons: []string{"hold_under_min", "step_down_stance"}},
		{name: "without a progression to undo, support comes back first",
			in:     Input{Now: day(4.5), Plan: plan("tandem"), Sessions: append(good("tandem", 1, 2, 3), sess("tandem", 4, 30, 2, 0.1))},
			action: Regress, to: "tandem-fingertip", dim: "support", reasons: []string{"losses_of_balance", "step_down_support"}},
		{name: "sway at twice the baseline is a failure",
			in:     Input{Now: day(4.5), Plan: plan("tandem"), Sessions: append(good("tandem", 1, 2, 3), sess("tandem", 4, 30, 0, 0.200))},
			action: Regress, to: "tandem-fingertip", dim: "support", reasons: []string{"sway_high"}},
		{name: "one loss of balance is not a failure but breaks the run",
			in:     Input{Now: day(4.5), Plan: plan("tandem"), Sessions: append(good("tandem", 1, 2, 3), sess("tandem", 4, 30, 1, 0.1))},
			action: Hold, reasons: []string{"loss_of_balance"}, streak: 0},
		{name: "a fall at this level steps down even after good sessions",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3), Falls: []time.Time{day(3.2)}},
			action: Regress, to: "tandem-fingertip", reasons: []string{"fall"}},
		{name: "a fall before this level holds progression for 14 days",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3), Falls: []time.Time{day(-5)}},
			action: Hold, reasons: []string{"recent_fall"}, streak: 3},
		{name: "a fall 15 days ago no longer holds",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3), Falls: []time.Time{day(-11.5)}},
			action: Progress, to: "single-leg"},
		{name: "high risk assessed at this level steps down",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3), Risk: []balance.RiskAssessment{{Time: day(2.5), Level: balance.RiskHigh}}},
			action: Regress, reasons: []string{"high_risk"}},
		{name: "high risk from before this level holds",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3), Risk: []balance.RiskAssessment{{Time: day(-1), Level: balance.RiskHigh}}},
			action: Hold, reasons: []string{"high_risk"}},
		{name: "staying at high risk steps down once, then holds",
			in: Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3), Risk: []balance.RiskAssessment{
				{Time: day(2.5), Level: balance.RiskHigh}, {Time: day(-1), Level: balance.RiskHigh}}},
			action: Hold, reasons: []string{"high_risk"}, streak: 3},
		{name: "risk lowered since: the latest assessment counts",
			in: Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3), Risk: []balance.RiskAssessment{
				{Time: day(-1), Level: balance.RiskModerate}, {Time: day(-2), Level: balance.RiskHigh}}},
			action: Progress, to: "single-leg"},
		{name: "a missed week between sessions restarts the run",
			in:     Input{Now: day(11.5), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 10, 11)},
			action: Hold, reasons: []string{"building", "missed_week"}, streak: 2},
		{name: "no session for a week holds",
			in:     Input{Now: day(11), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3)},
			action: Hold, reasons: []string{"missed_week"}},
		{name: "a level failed recently is skipped",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Changes: failedSingleLeg, Sessions: good("tandem", 1, 2, 3)},
			action: Progress, to: "tandem-eyes-closed", dim: "vision"},
		{name: "neuropathy: eyes closed and foam come after Otago",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Neuropathy: true, Changes: failedSingleLeg, Sessions: good("tandem", 1, 2, 3)},
			action: Progress, to: "otago-a", dim: "program"},
		{name: "neuropathy: eyes closed only when nothing else is left",
			in:     Input{Now: day(3.5), Plan: plan("single-leg"), Neuropathy: true, Sessions: good("single-leg", 1, 2, 3)},
			action: Progress, to: "single-leg-eyes-closed", dim: "vision", reasons: []string{"sensory_last"}},
		{name: "sessions at another level do not count",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Sessions: good("semi-tandem", 1, 2, 3)},
			action: Hold, streak: 0},
		{name: "sessions before the level started do not count",
			in:     Input{Now: day(3.5), Plan: func() balance.Plan { p := plan("tandem"); p.LevelSince = day(2.9); return p }(), Sessions: good("tandem", 1, 2, 3)},
			action: Hold, streak: 1, baseline: 0.100},
		{name: "unmeasured sway does not count",
			in:     Input{Now: day(3.5), Plan: plan("tandem"), Sessions: []balance.ExerciseSession{sess("tandem", 1, 30, 0, 0), sess("tandem", 2, 30, 0, 0), sess("tandem", 3, 30, 0, 0)}},
			action: Hold, reasons: []string{"sway_unmeasured"}},
		{name: "an unmeasured session is neither a failure nor a success",
			in: Input{Now: day(3.5), Plan: plan("tandem"), Sessions: append(good("tandem", 1, 2), func() balance.ExerciseSession {
				s := sess("tandem", 3, 0, 0, 0)
				s.Quality = []string{"no_data"}
				return s
			}())},
			action: Hold, reasons: []string{"building", "unmeasured"}, streak: 0},
		{name: "an unmeasured session between good ones does not break the run",
			in: Input{Now: day(4.5), Plan: plan("tandem"), Sessions: append(good("tandem", 1, 2, 4), func() balance.ExerciseSession {
				s := sess("tandem", 3, 2, 0, 0)
				s.Quality = []string{"incomplete"}
				return s
			}())},
			action: Progress, to: "single-leg"},
		{name: "failure at the easiest level holds",
			in:     Input{Now: day(1.5), Plan: plan("feet-apart-two-hands"), Sessions: []balance.ExerciseSession{sess("feet-apart-two-hands", 1, 5, 0, 0.05)}},
			action: Hold, reasons: []string{"hold_under_min", "bottom"}},
		{name: "Otago levels progress on sessions without losses",
			in:     Input{Now: day(3.5), Plan: plan("otago-a"), Sessions: []balance.ExerciseSession{sess("otago-a", 1, 0, 0, 0), sess("otago-a", 2, 0, 0, 0), sess("otago-a", 3, 0, 0, 0)}},
			action: Progress, to: "otago-b", dim: "otago"},
		{name: "top of a track holds",
			in:     Input{Now: day(3.5), Plan: plan("otago-d"), Sessions: []balance.ExerciseSession{sess("otago-d", 1, 0, 0, 0), sess("otago-d", 2, 0, 0, 0), sess("otago-d", 3, 0, 0, 0)}},
			action: Hold, reasons: []string{"target_met", "top"}},
		{name: "unknown level holds",
			in:     Input{Now: day(3.5), Plan: plan("moon-walk")},
			action: Hold, reasons: []string{"unknown_level"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Evaluate(cat, Rules{}, tc.in)
			if d.Action != tc.action {
				t.Fatalf("action %s, want %s; reasons %v", d.Action, tc.action, d.Reasons)
			}
			if tc.to != "" && d.To != tc.to {
				t.Errorf("to %s, want %s", d.To, tc.to)
			}
			if tc.dim != "" && d.Dimension != tc.dim {
				t.Errorf("dimension %s, want %s", d.Dimension, tc.dim)
			}
			got := codes(d.Reasons)
			for _, c := range tc.reasons {
				if !slices.Contains(got, c) {
					t.Errorf("reasons %v lack %s", got, c)
				}
			}
			if len(d.Reasons) == 0 {
				t.Error("no reasons")
			}
			if tc.action == Hold && d.Streak != tc.streak && (tc.streak != 0 || len(tc.reasons) == 0 || tc.reasons[0] == "building") {
				t.Errorf("streak %d, want %d", d.Streak, tc.streak)
			}
			if tc.baseline != 0 && d.Baseline != tc.baseline {
				t.Errorf("baseline %v, want %v", d.Baseline, tc.baseline)
			}
			if d.Action != Hold {
				if e := cat.Level(d.From); !slices.ContainsFunc(append(e.Next, e.Previous...), func(x Edge) bool { return x.To == d.To && x.Dimension == d.Dimension }) {
					t.Errorf("%s -> %s (%s) is not a catalog edge", d.From, d.To, d.Dimension)
				}
			}
		})
	}
}

// TestEvaluateDeterministic: the same input in another order gives the
// same decision.
func TestEvaluateDeterministic(t *testing.T) {
	cat := mustDefault(t)
	in := Input{Now: t0.Add(4 * day), Plan: plan("tandem"), Sessions: good("tandem", 1, 2, 3)}
	a := Evaluate(cat, Rules{}, in)
	slices.Reverse(in.Sessions)
	b := Evaluate(cat, Rules{}, in)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("order changed the decision (-first +second):\n%s", diff)
	}
}

func TestRulesValidate(t *testing.T) {
	for _, tc := range []struct {
		r  Rules
		ok bool
	}{
		{Rules{}, true},
		{Rules{ConsecutiveSessions: 2, TargetHoldS: 20}, true},
		{Rules{MinHoldS: -1}, false},
		{Rules{SwayTolerance: 1.5}, false}, // 1 + 1.5 ≥ the default ratio 2
		{Rules{TargetHoldS: 5}, false},     // under the 10 s minimum
	} {
		if err := tc.r.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate = %v", tc.r, err)
		}
	}
}

func TestAdherence(t *testing.T) {
	p := plan("tandem")
	// Week 1 (2–8 Nov): 3 sessions; week 2: none; week 3 (16 Nov, now on
	// the 17th): 1 so far.
	ss := []balance.ExerciseSession{sess("tandem", 0, 30, 0, 0), sess("tandem", 2, 30, 0, 0), sess("tandem", 4, 30, 0, 0), sess("semi-tandem", 14, 30, 0, 0)}
	ss = append(ss, balance.ExerciseSession{Kind: balance.SessionSway, Start: t0.Add(15 * day)}) // not an exercise
	got := Adherence(p, ss, t0.Add(15*day), 8)
	want := []WeekAdherence{
		{WeekStart: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Planned: 3, Done: 3},
		{WeekStart: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), Planned: 3, Done: 0, Missed: true},
		{WeekStart: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), Planned: 3, Done: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Adherence (-want +got):\n%s", diff)
	}
}
