package progression

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/balance-pt/balance"
)

// asPatient is a context whose viewer may see patient id only (as the
// patient, or their therapist, would).
func asPatient(id string) context.Context {
	return balance.NewContextWithViewer(context.Background(), &balance.Viewer{User: balance.User{Username: id}, Patients: map[string]bool{id: true}})
}

func intp(v int) *int { return &v }

// TestFeedbackHoldsStepUpWithReasonStored: with three good sessions a
// step up is due; the patient then answers "pain" about the last one. The
// answer is stored, the evaluation it triggers holds the step up, and the
// plan history records the held-back step with the pain reason (once,
// however often it is evaluated). The same patient without pain is
// suggested the step up.
func TestFeedbackHoldsStepUpWithReasonStored(t *testing.T) {
	cat := mustDefault(t)
	tests := []struct {
		name       string
		pain       bool
		wantStatus string // of the progression recorded
		wantCodes  []string
	}{
		{name: "pain holds the step up back", pain: true, wantStatus: balance.ChangeWithdrawn,
			wantCodes: []string{"pain_reported", "target_met", "step_stance"}},
		{name: "without pain the step up is suggested", pain: false, wantStatus: balance.ChangePending,
			wantCodes: []string{"target_met", "step_stance"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := asPatient("p1")
			m := newMemStore(balance.Patient{ID: "p1"})
			now := t0
			svc := m.service(cat, func() time.Time { return now })
			if _, err := svc.SetPlan(ctx, "p1", PlanRequest{LevelID: "tandem", Mode: balance.PlanSuggest}); err != nil {
				t.Fatal(err)
			}
			m.sessions = good("tandem", 1, 2, 3)
			now = m.sessions[2].End.Add(5 * time.Minute)
			res, err := svc.SubmitFeedback(ctx, "p1", m.sessions[2].ID, FeedbackRequest{Difficulty: intp(4), Pain: tc.pain, PainScore: intp(3), Confidence: 2})
			if err != nil || res.Replaced {
				t.Fatalf("SubmitFeedback = %+v, %v", res, err)
			}
			want := balance.SessionFeedback{SessionID: m.sessions[2].ID, PatientID: "p1", Time: now, Difficulty: 4, Pain: tc.pain, PainScore: intp(3), Confidence: 2}
			if got, err := svc.FeedbackOn(ctx, "p1", m.sessions[2].ID); err != nil || !cmp.Equal(want, got) {
				t.Errorf("FeedbackOn = %+v, %v; want %+v", got, err, want)
			}
			for range 2 { // evaluating again records nothing new
				now = now.Add(time.Minute)
				if _, _, err := svc.Evaluate(ctx, "p1"); err != nil {
					t.Fatal(err)
				}
			}
			var got []balance.PlanChange
			for _, c := range m.changes {
				if c.Kind == balance.ChangeProgress {
					got = append(got, c)
				}
			}
			if len(got) != 1 {
				t.Fatalf("progressions recorded: %+v, want one", got)
			}
			c := got[0]
			if c.Status != tc.wantStatus || c.FromLevel != "tandem" || c.ToLevel != "single-leg" || !cmp.Equal(tc.wantCodes, codes(c.Reasons)) {
				t.Errorf("recorded %s %s -> %s with %v, want %s tandem -> single-leg with %v", c.Status, c.FromLevel, c.ToLevel, codes(c.Reasons), tc.wantStatus, tc.wantCodes)
			}
			if tc.pain {
				const text = "No step up: new or worse pain was reported after the session on 5 Nov."
				if c.Reasons[0].Text != text || c.Note != "held back: "+text {
					t.Errorf("reason %q, note %q; want the pain named", c.Reasons[0].Text, c.Note)
				}
			}
			if p, _ := m.Plan(ctx, "p1"); p.LevelID != "tandem" {
				t.Errorf("level %s, want tandem (a step up in suggest mode waits; a held one never applies)", p.LevelID)
			}
		})
	}
}

// TestRepeatedHighDifficultyStepsDown: three answers of difficulty 8 or
// more at the level step the patient down as soon as the third arrives,
// in suggest mode too (steps down apply at once), with the reason (code and
// text naming the days and ratings) stored on the plan change; two do not.
func TestRepeatedHighDifficultyStepsDown(t *testing.T) {
	cat := mustDefault(t)
	tests := []struct {
		name        string
		ratings     []int
		wantLevel   string
		wantReasons []balance.PlanReason // of the step down; nil: none
	}{
		{name: "three hard sessions step down", ratings: []int{8, 9, 8}, wantLevel: "tandem-fingertip",
			wantReasons: []balance.PlanReason{
				{Code: "difficulty_high", Text: "The exercise was rated very hard (8/10 or more) after the last 3 answered sessions (3 Nov 8/10, 4 Nov 9/10, 5 Nov 8/10)."},
				{Code: "step_down_support", Text: "Stepping back to: " + cat.Level("tandem-fingertip").Name + " (one change: support)."},
			}},
		{name: "two hard sessions do not", ratings: []int{5, 9, 8}, wantLevel: "tandem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := asPatient("p1")
			m := newMemStore(balance.Patient{ID: "p1"})
			now := t0
			svc := m.service(cat, func() time.Time { return now })
			if _, err := svc.SetPlan(ctx, "p1", PlanRequest{LevelID: "tandem", Mode: balance.PlanSuggest}); err != nil {
				t.Fatal(err)
			}
			// Sessions that fail the sway goal (no step up is due), so
			// only the answers can move the patient.
			m.sessions = good("tandem", 1, 2, 3)
			m.sessions[2].LossesOfBalance = 1
			for i, r := range tc.ratings {
				now = m.sessions[i].End.Add(5 * time.Minute)
				if _, err := svc.SubmitFeedback(ctx, "p1", m.sessions[i].ID, FeedbackRequest{Difficulty: intp(r), Confidence: 3}); err != nil {
					t.Fatal(err)
				}
			}
			p, _ := m.Plan(ctx, "p1")
			if p.LevelID != tc.wantLevel {
				t.Errorf("level %s, want %s", p.LevelID, tc.wantLevel)
			}
			var reasons []balance.PlanReason
			for _, c := range m.changes {
				if c.Kind == balance.ChangeRegress {
					if c.Status != balance.ChangeApplied {
						t.Errorf("step down is %s, want applied", c.Status)
					}
					reasons = c.Reasons
				}
			}
			if diff := cmp.Diff(tc.wantReasons, reasons, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("stored reasons of the step down (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSubmitFeedbackRefusals: an answer about another patient's session
// or an unknown one is not found; out-of-range answers are refused in
// words; a new answer within 24 h replaces the first, one after is
// refused; someone who may not see the patient is refused.
func TestSubmitFeedbackRefusals(t *testing.T) {
	cat := mustDefault(t)
	m := newMemStore(balance.Patient{ID: "p1"}, balance.Patient{ID: "p2"})
	now := t0
	svc := m.service(cat, func() time.Time { return now })
	m.sessions = append(good("tandem", 1), balance.ExerciseSession{ID: "other", PatientID: "p2", Kind: balance.SessionExercise, Start: t0})
	sid := m.sessions[0].ID
	ok := FeedbackRequest{Difficulty: intp(5), Confidence: 2}
	tests := []struct {
		name  string
		ctx   context.Context
		sid   string
		req   FeedbackRequest
		after time.Duration // since the first answer
		code  string
		words string // part of the message
	}{
		{name: "first answer", ctx: asPatient("p1"), sid: sid, req: ok},
		{name: "another patient's session", ctx: asPatient("p1"), sid: "other", req: ok, code: balance.ENOTFOUND},
		{name: "unknown session", ctx: asPatient("p1"), sid: "nope", req: ok, code: balance.ENOTFOUND},
		{name: "someone who may not see the patient", ctx: asPatient("p2"), sid: sid, req: ok, code: balance.EFORBIDDEN},
		{name: "difficulty missing", ctx: asPatient("p1"), sid: sid, req: FeedbackRequest{Confidence: 2}, code: balance.EINVALID, words: "difficulty is missing"},
		{name: "out of range", ctx: asPatient("p1"), sid: sid, req: FeedbackRequest{Difficulty: intp(11), Confidence: 5, PainScore: intp(-1)}, code: balance.EINVALID,
			words: "difficulty 11 must be 0 (nothing at all) to 10 (the hardest imaginable); pain score -1 must be 0 (no pain) to 10 (the worst imaginable); confidence 5 must be 1 (not at all concerned about falling) to 4 (very concerned)"},
		{name: "a change within 24 h", ctx: asPatient("p1"), sid: sid, req: FeedbackRequest{Difficulty: intp(6), Confidence: 2}, after: 23 * time.Hour},
		{name: "a change after 24 h", ctx: asPatient("p1"), sid: sid, req: ok, after: 23*time.Hour + 24*time.Hour, code: balance.ECONFLICT},
	}
	first := t0.Add(day)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now = first.Add(tc.after)
			_, err := svc.SubmitFeedback(tc.ctx, "p1", tc.sid, tc.req)
			if balance.ErrorCode(err) != tc.code || tc.words != "" && (err == nil || !strings.Contains(err.Error(), tc.words)) {
				t.Errorf("SubmitFeedback = %v, want code %q with %q", err, tc.code, tc.words)
			}
		})
	}
	if f, _ := m.SessionFeedback(context.Background(), sid); f.Difficulty != 6 {
		t.Errorf("stored difficulty %d, want 6 (replaced within 24 h, kept after)", f.Difficulty)
	}
}
