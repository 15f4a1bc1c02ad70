package progression

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

const day = 24 * time.Hour

// Evaluate decides, from the plan, the measured sessions, risk and falls, to
// progress the patient one step, regress one step, or hold. It is pure and
// deterministic. In order:
//
//  1. A fall, or a risk assessment that rose to high, after the current
//     level started steps the patient down.
//  2. FailuresToRegress failed sessions in a row at the level step down; a
//     session fails on a hold under MinHoldS, FailLosses or more losses of
//     balance, or sway at SwayFailRatio × baseline or more.
//  3. No progression within FallHoldDays of a fall, while the latest risk
//     assessment is high, or after MissedGapDays without a session.
//  4. ConsecutiveSessions qualifying sessions in a row on distinct days,
//     with no gap of MissedGapDays between them, progress: each holds the
//     target, has no loss of balance, and (static levels) sway at or under
//     baseline × (1 + SwayTolerance). The baseline is the median sway of the
//     first BaselineSessions measured sessions at the level.
//
// The patient's answers (Input.Feedback) add: after the failures, a step
// down on dizziness after DizzySessions of the last DizzyWindow answered
// sessions at the level, or difficulty HardDifficulty or more after each of
// the last HardSessions answered sessions at the level; among the holds,
// no step up after new or worse pain or dizziness reported since the level
// started or in the last SymptomHoldDays (Decision.Withheld then names the
// step up held back). Unanswered sessions are judged as before.
//
// A step changes one dimension: progression tries the catalog's dimensions
// in order, the sensory-heavy ones (eyes closed, foam) last for neuropathy,
// skipping levels the patient stepped down from within RetryAfterDays; a
// step down undoes the last progression when it can, else adds support
// first, then eases the sensory-heavy dimensions, then the rest.
func Evaluate(cat *Catalog, rules Rules, in Input) Decision {
	r := rules.withDefaults()
	d := Decision{Action: Hold, From: in.Plan.LevelID, Needed: r.ConsecutiveSessions}
	lvl := cat.Level(in.Plan.LevelID)
	if lvl == nil {
		d.Reasons = append(d.Reasons, reason("unknown_level", "The plan's level %q is not in the catalog; a therapist must set a new level.", in.Plan.LevelID))
		return d
	}
	since := in.Plan.LevelSince
	all := levelSessions(lvl, in.Sessions, since, in.Now)
	sessions := slices.DeleteFunc(slices.Clone(all), func(s balance.ExerciseSession) bool { return unusable(s, r) })
	d.Metric, d.Baseline = baseline(lvl, in.Sessions, since, in.Now, r)

	// 1. Safety step-downs.
	var trig []balance.PlanReason
	for _, f := range in.Falls {
		if f.After(since) && !f.After(in.Now) && f.After(d.Trigger) {
			d.Trigger = f
			trig = []balance.PlanReason{reason("fall", "A fall was detected on %s.", f.UTC().Format("2 Jan 2006 15:04"))}
		}
	}
	if ra, ok := riskRise(in.Risk, since, in.Now); ok && len(trig) == 0 {
		d.Trigger = ra.Time
		trig = []balance.PlanReason{reason("high_risk", "The fall-risk assessment of %s is high%s.", ra.Time.UTC().Format("2 Jan 2006"), riskWhy(ra))}
	}
	if len(trig) > 0 {
		return stepDown(cat, lvl, in, d, trig)
	}

	// 2. Failed sessions.
	if n := len(sessions); n >= r.FailuresToRegress {
		var why []balance.PlanReason
		var ids []string
		for _, s := range sessions[n-r.FailuresToRegress:] {
			f := failures(lvl, s, d, r)
			if len(f) == 0 {
				why = nil
				break
			}
			why = append(why, f...)
			ids = append(ids, s.ID)
		}
		if len(why) > 0 {
			d.SessionIDs = ids
			return stepDown(cat, lvl, in, d, why)
		}
	}

	// 2b. What the patient reported: repeated dizziness or very hard
	// sessions at this level.
	fb := feedbackBySession(in.Feedback)
	at := answeredAt(all, fb)
	if why, ids := reportedStepDown(at, r); len(why) > 0 {
		d.SessionIDs = ids
		return stepDown(cat, lvl, in, d, why)
	}

	// 3. Holds for safety and adherence.
	var holds []balance.PlanReason
	for _, f := range in.Falls {
		if !f.After(in.Now) && in.Now.Sub(f) < time.Duration(r.FallHoldDays)*day {
			holds = append(holds, reason("recent_fall", "No step up within %d days of the fall on %s.", r.FallHoldDays, f.UTC().Format("2 Jan 2006")))
			break
		}
	}
	if ra, ok := latestRisk(in.Risk, in.Now); ok && ra.Level == balance.RiskHigh {
		holds = append(holds, reason("high_risk", "No step up while the fall risk is high%s.", riskWhy(ra)))
	}
	gap := time.Duration(r.MissedGapDays) * day
	last := since
	if len(all) > 0 {
		last = all[len(all)-1].Start
	}
	if in.Now.Sub(last) >= gap {
		holds = append(holds, reason("missed_week", "No session in the last %d days: the run of sessions starts again.", r.MissedGapDays))
	}

	// 4. The run of qualifying sessions.
	var run []balance.ExerciseSession
	var why balance.PlanReason
	for i := len(sessions) - 1; i >= 0; i-- {
		s := sessions[i]
		if i < len(sessions)-1 && sessions[i+1].Start.Sub(s.Start) >= gap {
			why = reason("missed_week", "A gap of %d days or more before %s broke the run of sessions.", r.MissedGapDays, sessions[i+1].Start.UTC().Format("2 Jan"))
			break
		}
		if q := qualifies(lvl, s, d, r); q.Code != "" {
			why = q
			break
		}
		run = append(run, s)
	}
	slices.Reverse(run)
	days := map[string]bool{}
	for _, s := range run {
		days[s.Start.UTC().Format(time.DateOnly)] = true
		d.SessionIDs = append(d.SessionIDs, s.ID)
	}
	d.Streak = len(days)
	symptoms := symptomHolds(in, fb, r)
	if len(holds) > 0 || len(symptoms) > 0 {
		d.Reasons = append(symptoms, holds...)
		// A step up that only pain or dizziness held back is named, so
		// that therapists see what the answers changed.
		if len(holds) == 0 && d.Streak >= r.ConsecutiveSessions {
			met := reason("target_met", "The goal (%s) was met on %d sessions in a row.", goalText(lvl, d, r), d.Streak)
			if up := stepUp(cat, lvl, in, d, met, r); up.Action == Progress {
				d.Withheld, d.Dimension = up.To, up.Dimension
				d.Reasons = append(d.Reasons, up.Reasons...)
			}
		}
		return d
	}
	if d.Streak < r.ConsecutiveSessions {
		d.Reasons = append(d.Reasons, reason("building", "%d of %d sessions in a row met the goal.", d.Streak, r.ConsecutiveSessions))
		if why.Code != "" {
			d.Reasons = append(d.Reasons, why)
		}
		// An unmeasured session neither breaks nor extends the run; say so.
		if n := len(all); n > 0 && unusable(all[n-1], r) {
			s := all[n-1]
			d.Reasons = append(d.Reasons, reason("unmeasured", "The session of %s could not be measured (%s); it counts as done but not toward the goal.",
				s.Start.UTC().Format("2 Jan"), strings.Join(s.Quality, ", ")))
		}
		return d
	}
	met := reason("target_met", "The goal (%s) was met on %d sessions in a row.", goalText(lvl, d, r), d.Streak)
	up := stepUp(cat, lvl, in, d, met, r)
	if e := feltEasy(at); up.Action == Progress && e.Code != "" {
		up.Reasons = append(up.Reasons, e)
	}
	return up
}

// levelSessions returns the exercise sessions at lvl that started in
// (since, now], in time order. Sessions without an exercise id count for
// the level of the plan at the time.
func levelSessions(lvl *Level, all []balance.ExerciseSession, since, now time.Time) []balance.ExerciseSession {
	var out []balance.ExerciseSession
	for _, s := range all {
		if s.Kind != balance.SessionExercise || !s.Start.After(since) || s.Start.After(now) {
			continue
		}
		if s.ExerciseID == lvl.ID || s.ExerciseID == "" {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// unusable reports whether the session carries a quality flag that means it
// could not be measured.
func unusable(s balance.ExerciseSession, r Rules) bool {
	for _, q := range s.Quality {
		if slices.Contains(r.UnusableQuality, q) {
			return true
		}
	}
	return false
}

// baseline returns the sway measure used and the patient's baseline at the
// level: the median of that measure over the first BaselineSessions
// sessions at the level (at any time, so that a return to a level keeps
// its baseline) that carry it; 0 while fewer exist.
func baseline(lvl *Level, all []balance.ExerciseSession, since, now time.Time, r Rules) (string, float64) {
	if lvl.Kind != "static" {
		return "", 0
	}
	var at []balance.ExerciseSession
	for _, s := range all {
		if s.Kind == balance.SessionExercise && !s.Start.After(now) && !unusable(s, r) && (s.ExerciseID == lvl.ID || s.ExerciseID == "" && s.Start.After(since)) {
			at = append(at, s)
		}
	}
	sort.SliceStable(at, func(i, j int) bool { return at[i].Start.Before(at[j].Start) })
	for _, m := range r.SwayMetrics {
		var v []float64
		for _, s := range at {
			if x, ok := s.Sway[m]; ok && x > 0 && !math.IsInf(x, 0) {
				v = append(v, x)
				if len(v) == r.BaselineSessions {
					break
				}
			}
		}
		if len(v) > 0 {
			if len(v) < r.BaselineSessions {
				return m, 0
			}
			slices.Sort(v)
			if len(v)%2 == 1 {
				return m, v[len(v)/2]
			}
			return m, (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
	}
	return r.SwayMetrics[0], 0
}

func targetHold(lvl *Level, r Rules) float64 {
	if r.TargetHoldS > 0 {
		return r.TargetHoldS
	}
	return lvl.TargetHoldS
}

// failures returns why session s failed at the level, or nil.
func failures(lvl *Level, s balance.ExerciseSession, d Decision, r Rules) []balance.PlanReason {
	var out []balance.PlanReason
	when := s.Start.UTC().Format("2 Jan")
	if lvl.Kind == "static" && s.HoldS < r.MinHoldS {
		out = append(out, reason("hold_under_min", "On %s the stance was held %.0f s, under %.0f s.", when, s.HoldS, r.MinHoldS))
	}
	if s.LossesOfBalance >= r.FailLosses {
		out = append(out, reason("losses_of_balance", "On %s balance was lost %d times.", when, s.LossesOfBalance))
	}
	if x, ok := s.Sway[d.Metric]; ok && d.Baseline > 0 && x >= r.SwayFailRatio*d.Baseline {
		out = append(out, reason("sway_high", "On %s sway (%s %.3g) was %.1f times your usual %.3g.", when, d.Metric, x, x/d.Baseline, d.Baseline))
	}
	return out
}

// qualifies returns a zero reason when s counts toward progression, else
// why it does not.
func qualifies(lvl *Level, s balance.ExerciseSession, d Decision, r Rules) balance.PlanReason {
	when := s.Start.UTC().Format("2 Jan")
	if t := targetHold(lvl, r); t > 0 && s.HoldS < t {
		return reason("hold_short", "On %s the stance was held %.0f s of the %.0f s goal.", when, s.HoldS, t)
	}
	if s.LossesOfBalance > 0 {
		return reason("loss_of_balance", "On %s balance was lost %d time(s).", when, s.LossesOfBalance)
	}
	if lvl.Kind != "static" {
		return balance.PlanReason{}
	}
	x, ok := s.Sway[d.Metric]
	if !ok {
		return reason("sway_unmeasured", "On %s sway was not measured.", when)
	}
	if d.Baseline == 0 {
		return reason("baseline", "Your own sway baseline at this level is still being set (first %d sessions).", r.BaselineSessions)
	}
	if x > d.Baseline*(1+r.SwayTolerance) {
		return reason("sway_above_baseline", "On %s sway (%s %.3g) was above your baseline %.3g.", when, d.Metric, x, d.Baseline)
	}
	return balance.PlanReason{}
}

func goalText(lvl *Level, d Decision, r Rules) string {
	s := "no loss of balance"
	if t := targetHold(lvl, r); t > 0 {
		s = "a " + ftoa(t) + " s hold, " + s
	}
	if lvl.Kind == "static" && d.Baseline > 0 {
		s += ", sway at or under your baseline"
	}
	return s
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func latestRisk(rs []balance.RiskAssessment, now time.Time) (balance.RiskAssessment, bool) {
	var best balance.RiskAssessment
	ok := false
	for _, ra := range rs {
		if ra.Time.After(now) {
			continue
		}
		if !ok || ra.Time.After(best.Time) {
			best, ok = ra, true
		}
	}
	return best, ok
}

// riskRise returns the newest assessment in (since, now] that rose to high
// (the one before it, if any, was not high): a patient who stays at high
// risk steps down once, not at every assessment.
func riskRise(rs []balance.RiskAssessment, since, now time.Time) (balance.RiskAssessment, bool) {
	rs = slices.Clone(rs)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Time.Before(rs[j].Time) })
	var rise balance.RiskAssessment
	ok := false
	for i, ra := range rs {
		if ra.Time.After(now) {
			break
		}
		if ra.Level == balance.RiskHigh && ra.Time.After(since) && (i == 0 || rs[i-1].Level != balance.RiskHigh) {
			rise, ok = ra, true
		}
	}
	return rise, ok
}

func riskWhy(ra balance.RiskAssessment) string {
	for _, rr := range ra.Reasons {
		if rr.Level == balance.RiskHigh && rr.Text != "" {
			return " (" + rr.Text + ")"
		}
	}
	return ""
}

// recentlyFailed reports whether the patient was stepped down from level id
// within the retry window.
func recentlyFailed(changes []balance.PlanChange, id string, now time.Time, r Rules) bool {
	for _, c := range changes {
		if c.Kind == balance.ChangeRegress && c.Status == balance.ChangeApplied && c.FromLevel == id &&
			!c.Time.After(now) && now.Sub(c.Time) < time.Duration(r.RetryAfterDays)*day {
			return true
		}
	}
	return false
}

// stepUp picks the next edge and returns a progression, or a hold when
// every way up is closed.
func stepUp(cat *Catalog, lvl *Level, in Input, d Decision, met balance.PlanReason, r Rules) Decision {
	rank := func(e Edge) int {
		i := slices.IndexFunc(cat.Dimensions, func(x Dimension) bool { return x.ID == e.Dimension })
		if in.Neuropathy && cat.Dimensions[i].SensoryHeavy {
			i += len(cat.Dimensions)
		}
		return i
	}
	edges := slices.Clone(lvl.Next)
	slices.SortStableFunc(edges, func(a, b Edge) int { return rank(a) - rank(b) })
	if in.Neuropathy && slices.ContainsFunc(edges, func(e Edge) bool { return !cat.Dimension(e.Dimension).SensoryHeavy }) {
		// Last means last: while any other way up exists, even one to
		// retry later, eyes closed and foam wait.
		edges = slices.DeleteFunc(edges, func(e Edge) bool { return cat.Dimension(e.Dimension).SensoryHeavy })
	}
	var skipped []string
	for _, e := range edges {
		if recentlyFailed(in.Changes, e.To, in.Now, r) {
			skipped = append(skipped, e.To)
			continue
		}
		d.Action, d.To, d.Dimension = Progress, e.To, e.Dimension
		d.Reasons = []balance.PlanReason{met, reason("step_"+e.Dimension, "Next: %s (one change: %s).", cat.Level(e.To).Name, e.Dimension)}
		if in.Neuropathy && cat.Dimension(e.Dimension).SensoryHeavy {
			d.Reasons = append(d.Reasons, reason("sensory_last", "No other way up is left at this level, so eyes closed or foam come now."))
		}
		return d
	}
	d.Reasons = []balance.PlanReason{met}
	if len(skipped) > 0 {
		d.Reasons = append(d.Reasons, reason("retry_later", "The next steps were too hard within the last %d days; staying here for now.", r.RetryAfterDays))
	} else {
		d.Reasons = append(d.Reasons, reason("top", "This is the top of the ladder; your therapist will decide what comes next."))
	}
	return d
}

// stepDown picks the previous edge and returns a regression with why, or
// a hold at the bottom of the ladder.
func stepDown(cat *Catalog, lvl *Level, in Input, d Decision, why []balance.PlanReason) Decision {
	d.Reasons = why
	var last *balance.PlanChange
	for i := range in.Changes {
		c := &in.Changes[i]
		if c.Status == balance.ChangeApplied && c.ToLevel == lvl.ID && !c.Time.After(in.Now) && (last == nil || c.Time.After(last.Time)) {
			last = c
		}
	}
	pick := -1
	if last != nil && last.Kind == balance.ChangeProgress {
		pick = slices.IndexFunc(lvl.Previous, func(e Edge) bool { return e.To == last.FromLevel })
	}
	if pick < 0 {
		rank := func(e Edge) int {
			dim := cat.Dimension(e.Dimension)
			switch {
			case e.Dimension == "support":
				return 0
			case dim.SensoryHeavy:
				return 1
			}
			return 2 + len(cat.Dimensions) - slices.IndexFunc(cat.Dimensions, func(x Dimension) bool { return x.ID == e.Dimension })
		}
		for i, e := range lvl.Previous {
			if pick < 0 || rank(e) < rank(lvl.Previous[pick]) {
				pick = i
			}
		}
	}
	if pick < 0 {
		d.Reasons = append(d.Reasons, reason("bottom", "This is already the easiest level; your therapist has been told."))
		return d
	}
	e := lvl.Previous[pick]
	d.Action, d.To, d.Dimension = Regress, e.To, e.Dimension
	d.Reasons = append(d.Reasons, reason("step_down_"+e.Dimension, "Stepping back to: %s (one change: %s).", cat.Level(e.To).Name, e.Dimension))
	return d
}
