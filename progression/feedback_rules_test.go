package progression

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// answer is the patient's answer about session s: difficulty d, concern c
// (Short FES-I 1–4), pain and dizziness as given, answered 10 min after it.
func answer(s balance.ExerciseSession, d, c int, pain, dizzy bool) balance.SessionFeedback {
	return balance.SessionFeedback{SessionID: s.ID, PatientID: s.PatientID, Time: s.End.Add(10 * time.Minute),
		Difficulty: d, Confidence: c, Pain: pain, Dizziness: dizzy}
}

// outcome is what the feedback tests compare: the action, where it goes (or
// would have gone), and the reason codes in order.
type outcome struct {
	Action, To, Withheld string
	Codes                []string
}

func outcomeOf(d Decision) outcome {
	return outcome{Action: d.Action, To: d.To, Withheld: d.Withheld, Codes: codes(d.Reasons)}
}

// TestFeedbackRules tables the rules on the patients' answers, each case
// against the same sessions without (or with harmless) answers: three good
// tandem sessions on 3, 4 and 5 Nov that progress to single-leg stance
// when nothing else is known.
func TestFeedbackRules(t *testing.T) {
	cat := mustDefault(t)
	now := t0.Add(3*day + 12*time.Hour) // 5 Nov, 20:00
	ss := good("tandem", 1, 2, 3)
	earlier := []balance.ExerciseSession{sess("tandem", -3, 30, 0, 0.1), sess("tandem", -2, 30, 0, 0.1)} // before the level started
	with := func(extra ...balance.ExerciseSession) []balance.ExerciseSession {
		return append(append([]balance.ExerciseSession{}, extra...), ss...)
	}
	up := outcome{Action: Progress, To: "single-leg", Codes: []string{"target_met", "step_stance"}}
	tests := []struct {
		name     string
		sessions []balance.ExerciseSession
		feedback []balance.SessionFeedback
		falls    []time.Time
		want     outcome
	}{
		{name: "no answers: the rules as before", sessions: ss, want: up},
		{name: "answers without pain or dizziness change nothing", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[0], 5, 2, false, false), answer(ss[1], 6, 3, false, false), answer(ss[2], 5, 2, false, false)},
			want:     up},
		{name: "pain after a session blocks the step up the same sessions earn", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[2], 4, 2, true, false)},
			want:     outcome{Action: Hold, Withheld: "single-leg", Codes: []string{"pain_reported", "target_met", "step_stance"}}},
		{name: "dizziness after a session blocks the step up", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[1], 4, 2, false, true)},
			want:     outcome{Action: Hold, Withheld: "single-leg", Codes: []string{"dizziness_reported", "target_met", "step_stance"}}},
		{name: "pain before the level started but within 7 days blocks", sessions: with(sess("semi-tandem", -1, 30, 0, 0.1)),
			feedback: []balance.SessionFeedback{answer(sess("semi-tandem", -1, 30, 0, 0.1), 4, 2, true, false)},
			want:     outcome{Action: Hold, Withheld: "single-leg", Codes: []string{"pain_reported", "target_met", "step_stance"}}},
		{name: "pain before the level started and over 7 days ago does not block", sessions: with(sess("semi-tandem", -5, 30, 0, 0.1)),
			feedback: []balance.SessionFeedback{answer(sess("semi-tandem", -5, 30, 0, 0.1), 4, 2, true, false)},
			want:     up},
		{name: "pain with other holds is one more reason, no step named", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[2], 4, 2, true, false)}, falls: []time.Time{t0.Add(-5 * day)},
			want: outcome{Action: Hold, Codes: []string{"pain_reported", "recent_fall"}}},
		{name: "dizziness on 2 of the last 3 sessions steps down", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[0], 4, 2, false, true), answer(ss[1], 4, 2, false, false), answer(ss[2], 4, 2, false, true)},
			want:     outcome{Action: Regress, To: "tandem-fingertip", Codes: []string{"dizziness_repeated", "step_down_support"}}},
		{name: "difficulty 8 or more on 3 sessions in a row steps down", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[0], 8, 3, false, false), answer(ss[1], 9, 3, false, false), answer(ss[2], 8, 3, false, false)},
			want:     outcome{Action: Regress, To: "tandem-fingertip", Codes: []string{"difficulty_high", "step_down_support"}}},
		{name: "difficulty 8 or more on 2 of 3 sessions does not", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[0], 5, 3, false, false), answer(ss[1], 9, 3, false, false), answer(ss[2], 8, 3, false, false)},
			want:     up},
		{name: "an unanswered session neither breaks nor extends the hard run", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[1], 9, 3, false, false), answer(ss[2], 8, 3, false, false)},
			want:     up},
		{name: "hard answers from before the level started are ignored", sessions: with(earlier...),
			feedback: []balance.SessionFeedback{answer(earlier[0], 9, 3, false, false), answer(earlier[1], 9, 3, false, false), answer(ss[2], 9, 3, false, false)},
			want:     up},
		{name: "an easy, confident answer is named among the reasons of a step up", sessions: ss,
			feedback: []balance.SessionFeedback{answer(ss[2], 2, 1, false, false)},
			want:     outcome{Action: Progress, To: "single-leg", Codes: []string{"target_met", "step_stance", "felt_easy"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Now: now, Plan: plan("tandem"), Sessions: tc.sessions, Feedback: tc.feedback, Falls: tc.falls}
			if diff := cmp.Diff(tc.want, outcomeOf(Evaluate(cat, DefaultRules(), in))); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFeedbackReasonTexts: the reasons name the day and the answers, as
// therapists and patients read them.
func TestFeedbackReasonTexts(t *testing.T) {
	cat := mustDefault(t)
	now := t0.Add(3*day + 12*time.Hour)
	ss := good("tandem", 1, 2, 3)
	tests := []struct {
		name     string
		feedback []balance.SessionFeedback
		want     balance.PlanReason
	}{
		{name: "pain", feedback: []balance.SessionFeedback{answer(ss[0], 4, 2, true, false)},
			want: balance.PlanReason{Code: "pain_reported", Text: "No step up: new or worse pain was reported after the session on 3 Nov."}},
		{name: "dizziness, the newest report", feedback: []balance.SessionFeedback{answer(ss[0], 4, 2, false, true), answer(ss[2], 4, 2, false, false)},
			want: balance.PlanReason{Code: "dizziness_reported", Text: "No step up: dizziness was reported after the session on 3 Nov."}},
		{name: "repeated dizziness", feedback: []balance.SessionFeedback{answer(ss[1], 4, 2, false, true), answer(ss[2], 4, 2, false, true)},
			want: balance.PlanReason{Code: "dizziness_repeated", Text: "Dizziness was reported after 2 of the last 2 answered sessions (4 Nov, 5 Nov)."}},
		{name: "repeated high difficulty", feedback: []balance.SessionFeedback{answer(ss[0], 8, 3, false, false), answer(ss[1], 10, 3, false, false), answer(ss[2], 9, 3, false, false)},
			want: balance.PlanReason{Code: "difficulty_high", Text: "The exercise was rated very hard (8/10 or more) after the last 3 answered sessions (3 Nov 8/10, 4 Nov 10/10, 5 Nov 9/10)."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Evaluate(cat, DefaultRules(), Input{Now: now, Plan: plan("tandem"), Sessions: ss, Feedback: tc.feedback})
			if len(d.Reasons) == 0 {
				t.Fatalf("no reasons: %+v", d)
			}
			if diff := cmp.Diff(tc.want, d.Reasons[0]); diff != "" {
				t.Errorf("first reason (-want +got):\n%s", diff)
			}
		})
	}
}
