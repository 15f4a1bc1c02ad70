package progression

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// The rules on the patients' "How did it go" answers
// (balance.SessionFeedback); Evaluate applies them. Sessions without an
// answer neither count for nor break these rules: answering is optional.

// easyDifficulty and confidentMax: an answer of difficulty 0–3 ("moderate"
// or less on the CR10) with falling of no or some concern (Short FES-I
// answers 1–2) is named among the reasons of a step up; it does not earn
// one on its own.
const (
	easyDifficulty = 3
	confidentMax   = balance.ConcernSome
)

// answered pairs a session with the patient's answer about it.
type answered struct {
	s balance.ExerciseSession
	f balance.SessionFeedback
}

// feedbackBySession indexes answers by session id.
func feedbackBySession(fs []balance.SessionFeedback) map[string]balance.SessionFeedback {
	m := make(map[string]balance.SessionFeedback, len(fs))
	for _, f := range fs {
		if old, ok := m[f.SessionID]; !ok || f.Time.After(old.Time) {
			m[f.SessionID] = f
		}
	}
	return m
}

// answeredAt returns the sessions of level (in time order, as
// levelSessions gives them) that have an answer.
func answeredAt(level []balance.ExerciseSession, fb map[string]balance.SessionFeedback) []answered {
	var out []answered
	for _, s := range level {
		if f, ok := fb[s.ID]; ok {
			out = append(out, answered{s, f})
		}
	}
	return out
}

func day2(t time.Time) string { return t.UTC().Format("2 Jan") }

// reportedStepDown returns why the answers at the level step the patient
// down, or nil: dizziness after DizzySessions of the last DizzyWindow
// answered sessions, or difficulty of HardDifficulty or more after each of
// the last HardSessions answered sessions. It also returns the sessions the
// step rests on. Only sessions at the current level (after the level
// started) count, so that a step down starts the count again.
func reportedStepDown(at []answered, r Rules) ([]balance.PlanReason, []string) {
	var why []balance.PlanReason
	var ids []string
	if n := len(at); n > 0 {
		last := at[max(0, n-r.DizzyWindow):]
		var days []string
		var dizzyIDs []string
		for _, a := range last {
			if a.f.Dizziness {
				days = append(days, day2(a.s.Start))
				dizzyIDs = append(dizzyIDs, a.s.ID)
			}
		}
		if len(days) >= r.DizzySessions {
			why = append(why, reason("dizziness_repeated", "Dizziness was reported after %d of the last %d answered sessions (%s).",
				len(days), len(last), strings.Join(days, ", ")))
			ids = append(ids, dizzyIDs...)
		}
	}
	if n := len(at); n >= r.HardSessions {
		var parts []string
		var hardIDs []string
		for _, a := range at[n-r.HardSessions:] {
			if a.f.Difficulty < r.HardDifficulty {
				parts = nil
				break
			}
			parts = append(parts, fmt.Sprintf("%s %d/10", day2(a.s.Start), a.f.Difficulty))
			hardIDs = append(hardIDs, a.s.ID)
		}
		if len(parts) > 0 {
			why = append(why, reason("difficulty_high", "The exercise was rated very hard (%d/10 or more) after the last %d answered sessions (%s).",
				r.HardDifficulty, r.HardSessions, strings.Join(parts, ", ")))
			for _, id := range hardIDs {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	return why, ids
}

// symptomHolds returns why pain or dizziness holds progression, or nil:
// new or worse pain, or dizziness, reported after any session (of any
// kind or level) since the level started or in the last SymptomHoldDays.
// The newest report of each names its session's day.
func symptomHolds(in Input, fb map[string]balance.SessionFeedback, r Rules) []balance.PlanReason {
	recent := in.Now.Add(-time.Duration(r.SymptomHoldDays) * day)
	var pain, dizzy time.Time
	for _, s := range in.Sessions {
		f, ok := fb[s.ID]
		if !ok || s.Start.After(in.Now) || !(s.Start.After(in.Plan.LevelSince) || s.Start.After(recent)) {
			continue
		}
		if f.Pain && s.Start.After(pain) {
			pain = s.Start
		}
		if f.Dizziness && s.Start.After(dizzy) {
			dizzy = s.Start
		}
	}
	var out []balance.PlanReason
	if !pain.IsZero() {
		out = append(out, reason("pain_reported", "No step up: new or worse pain was reported after the session on %s.", pain.UTC().Format("2 Jan")))
	}
	if !dizzy.IsZero() {
		out = append(out, reason("dizziness_reported", "No step up: dizziness was reported after the session on %s.", dizzy.UTC().Format("2 Jan")))
	}
	return out
}

// feltEasy returns a reason naming the newest answer at the level when it
// says the exercise felt easy and falling was of little concern, or a zero
// reason.
func feltEasy(at []answered) balance.PlanReason {
	if len(at) == 0 {
		return balance.PlanReason{}
	}
	a := at[len(at)-1]
	if a.f.Difficulty > easyDifficulty || a.f.Confidence > confidentMax || a.f.Pain || a.f.Dizziness {
		return balance.PlanReason{}
	}
	return reason("felt_easy", "On %s the exercise felt easy (%d/10), and the patient was %s about falling.", day2(a.s.Start), a.f.Difficulty,
		balance.ConcernWords(a.f.Confidence))
}
