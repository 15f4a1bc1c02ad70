package progression

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

// TestSuggestMode: in suggest mode a progression waits for a therapist
// (one suggestion and one alert however often it is evaluated), approval
// applies it, rejection does not, and approval is refused after a fall.
func TestSuggestMode(t *testing.T) {
	ctx := context.Background()
	cat := mustDefault(t)
	m := newMemStore(balance.Patient{ID: "p1"})
	now := t0
	svc := m.service(cat, func() time.Time { return now })
	if _, err := svc.SetPlan(ctx, "p1", PlanRequest{LevelID: "tandem", Mode: balance.PlanSuggest, By: "dr-a"}); err != nil {
		t.Fatal(err)
	}
	m.sessions = good("tandem", 1, 2, 3)
	now = t0.Add(3*day + 3*time.Hour)
	for range 2 {
		d, _, err := svc.Evaluate(ctx, "p1")
		if err != nil || d.Action != Progress {
			t.Fatalf("Evaluate = %+v, %v", d, err)
		}
	}
	view, err := svc.View(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if view.Plan.LevelID != "tandem" || len(view.Pending) != 1 || view.Pending[0].ToLevel != "single-leg" {
		t.Fatalf("after a suggestion: level %s, pending %+v", view.Plan.LevelID, view.Pending)
	}
	if len(m.alerts) != 1 || m.alerts[0].Kind != balance.AlertProgressionReady || m.alerts[0].Details["suggestion_id"] != view.Pending[0].ID {
		t.Errorf("alerts %+v, want one progression_pending for the suggestion", m.alerts)
	}
	sid := view.Pending[0].ID

	// A fall before approval: approval is refused (and the fall steps the
	// patient down when next evaluated, withdrawing the suggestion).
	m.falls = []time.Time{now.Add(time.Hour)}
	now = now.Add(2 * time.Hour)
	if _, err := svc.Decide(ctx, "p1", sid, true, "dr-a", ""); balance.ErrorCode(err) != balance.ECONFLICT {
		t.Fatalf("approve after a fall: %v, want conflict", err)
	}
	d, c, err := svc.Evaluate(ctx, "p1")
	if err != nil || d.Action != Regress || c == nil || c.Status != balance.ChangeApplied {
		t.Fatalf("after the fall: %+v %+v %v", d, c, err)
	}
	if got, _ := m.PlanChange(ctx, "p1", sid); got.Status != balance.ChangeWithdrawn {
		t.Errorf("suggestion is %s after the step down, want withdrawn", got.Status)
	}
	if _, err := svc.Decide(ctx, "p1", sid, true, "dr-a", ""); balance.ErrorCode(err) != balance.ECONFLICT {
		t.Errorf("approving a withdrawn suggestion: %v, want conflict", err)
	}
}

// TestApprovalResolvesTheSuggestionAlert: approving a suggestion resolves
// the alert that announced it (no reminder of a decision already made),
// and withdrawing one after a fall resolves its alert with the reason.
func TestApprovalResolvesTheSuggestionAlert(t *testing.T) {
	ctx := context.Background()
	cat := mustDefault(t)
	m := newMemStore(balance.Patient{ID: "p1"})
	now := t0
	svc := m.service(cat, func() time.Time { return now })
	if _, err := svc.SetPlan(ctx, "p1", PlanRequest{LevelID: "tandem", Mode: balance.PlanSuggest}); err != nil {
		t.Fatal(err)
	}
	m.sessions = good("tandem", 1, 2, 3)
	now = t0.Add(3*day + 3*time.Hour)
	_, c, err := svc.Evaluate(ctx, "p1")
	if err != nil || c == nil || c.Status != balance.ChangePending || len(m.alerts) != 1 {
		t.Fatalf("suggestion %+v, %v, alerts %d; want one pending with its alert", c, err, len(m.alerts))
	}
	if len(m.resolved) != 0 {
		t.Fatalf("resolved before any decision: %q", m.resolved)
	}
	if _, err := svc.Decide(ctx, "p1", c.ID, true, "dr-a", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{m.alerts[0].ID + ": suggestion approved by dr-a"}
	if !slices.Equal(m.resolved, want) {
		t.Errorf("resolved %q, want %q", m.resolved, want)
	}

	// The next suggestion is withdrawn by a fall's step down.
	m.sessions = append(m.sessions, good(c.ToLevel, 4, 5, 6)...)
	now = t0.Add(6*day + 3*time.Hour)
	_, c2, err := svc.Evaluate(ctx, "p1")
	if err != nil || c2 == nil || c2.Status != balance.ChangePending {
		t.Fatalf("second suggestion %+v, %v", c2, err)
	}
	m.falls = []time.Time{now.Add(time.Hour)}
	now = now.Add(2 * time.Hour)
	if _, _, err := svc.Evaluate(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if len(m.resolved) != 2 || !strings.HasPrefix(m.resolved[1], "alert-"+c2.ID+": suggestion withdrawn: ") {
		t.Errorf("resolved %q, want the second suggestion's alert withdrawn", m.resolved)
	}
}

func TestApproveRejectOverride(t *testing.T) {
	ctx := context.Background()
	cat := mustDefault(t)
	m := newMemStore(balance.Patient{ID: "p1"})
	now := t0
	svc := m.service(cat, func() time.Time { return now })
	if _, err := svc.SetPlan(ctx, "p1", PlanRequest{LevelID: "tandem"}); err != nil {
		t.Fatal(err)
	}
	m.sessions = good("tandem", 1, 2, 3)
	now = t0.Add(3*day + 3*time.Hour)
	_, c, err := svc.Evaluate(ctx, "p1")
	if err != nil || c == nil || c.Status != balance.ChangePending {
		t.Fatalf("default mode should suggest: %+v %v", c, err)
	}
	// Reject: the plan stays and the same suggestion is not raised again.
	if got, err := svc.Decide(ctx, "p1", c.ID, false, "dr-b", "not yet"); err != nil || got.Status != balance.ChangeRejected {
		t.Fatalf("reject = %+v, %v", got, err)
	}
	if want := []string{"alert-" + c.ID + ": suggestion rejected by dr-b"}; !slices.Equal(m.resolved, want) {
		t.Errorf("resolved after rejection %q, want %q", m.resolved, want)
	}
	if _, c2, _ := svc.Evaluate(ctx, "p1"); c2 != nil {
		t.Errorf("rejected suggestion raised again: %+v", c2)
	}
	if p, _ := m.Plan(ctx, "p1"); p.LevelID != "tandem" {
		t.Errorf("rejected suggestion applied: %s", p.LevelID)
	}

	// A pending suggestion applies once the plan is switched to automatic.
	if _, err := svc.SetPlan(ctx, "p1", PlanRequest{LevelID: "feet-together"}); err != nil {
		t.Fatal(err)
	}
	m.sessions = append(m.sessions, good("feet-together", 4, 5, 6)...)
	now = t0.Add(6*day + 3*time.Hour)
	if _, c, _ := svc.Evaluate(ctx, "p1"); c == nil || c.Status != balance.ChangePending {
		t.Fatalf("no suggestion at feet-together: %+v", c)
	}
	if _, err := svc.SetPlan(ctx, "p1", PlanRequest{Mode: balance.PlanAutomatic}); err != nil {
		t.Fatal(err)
	}
	if _, c, _ := svc.Evaluate(ctx, "p1"); c == nil || c.Status != balance.ChangeApplied || c.ToLevel != "semi-tandem" {
		t.Fatalf("after switching to automatic: %+v", c)
	}
	if v, _ := svc.View(ctx, "p1"); len(v.Pending) != 0 {
		t.Errorf("suggestion still pending after it was applied automatically: %+v", v.Pending)
	}

	// Override with a reason moves the level and restarts the count.
	if _, err := svc.Override(ctx, "p1", OverrideRequest{LevelID: "single-leg"}); balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("override without a reason: %v", err)
	}
	if _, err := svc.Override(ctx, "p1", OverrideRequest{LevelID: "flying", Reason: "x"}); balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("override to an unknown level: %v", err)
	}
	oc, err := svc.Override(ctx, "p1", OverrideRequest{LevelID: "semi-tandem-eyes-closed", Reason: "seen in clinic", By: "dr-b"})
	if err != nil || oc.Kind != balance.ChangeOverride {
		t.Fatalf("override = %+v, %v", oc, err)
	}
	p, _ := m.Plan(ctx, "p1")
	if p.LevelID != "semi-tandem-eyes-closed" || !p.LevelSince.Equal(now) {
		t.Errorf("after override: %+v", p)
	}
	hist, err := svc.History(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, c := range hist {
		ks = append(ks, c.Kind+"/"+c.Status)
	}
	want := []string{"override/applied", "progress/applied", "assign/applied", "progress/withdrawn", "assign/applied", "progress/rejected", "assign/applied"}
	if !slices.Equal(ks, want) {
		t.Errorf("history %v, want %v", ks, want)
	}

	// Invalid plans are refused.
	for _, req := range []PlanRequest{{LevelID: "nope"}, {Mode: "sometimes"}, {SessionsPerWeek: 40}, {Exercises: []string{"juggling"}}} {
		if _, err := svc.SetPlan(ctx, "p1", req); balance.ErrorCode(err) != balance.EINVALID {
			t.Errorf("SetPlan(%+v) = %v, want invalid", req, err)
		}
	}
	if _, err := svc.SetPlan(ctx, "ghost", PlanRequest{}); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("plan for an unknown patient: %v", err)
	}
}

// TestToday: the patient-facing answer names today's exercise, the plan's
// other exercises with their cautions (the walking caution only with
// neuropathy), the week's count and why.
func TestToday(t *testing.T) {
	ctx := context.Background()
	cat := mustDefault(t)
	for _, neuro := range []bool{false, true} {
		m := newMemStore(balance.Patient{ID: "p1", Neuropathy: neuro})
		now := t0
		svc := m.service(cat, func() time.Time { return now })
		if _, err := svc.Today(ctx, "p1"); balance.ErrorCode(err) != balance.ENOTFOUND {
			t.Errorf("today without a plan: %v", err)
		}
		if _, err := svc.SetPlan(ctx, "p1", PlanRequest{LevelID: "tandem", Mode: balance.PlanAutomatic, Exercises: []string{"walking", "calf-raise"}}); err != nil {
			t.Fatal(err)
		}
		m.sessions = good("tandem", 1, 2, 3)
		now = t0.Add(3*day + 3*time.Hour)
		if _, _, err := svc.Evaluate(ctx, "p1"); err != nil {
			t.Fatal(err)
		}
		td, err := svc.Today(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		if td.Balance.ID != "single-leg" || !strings.Contains(td.Balance.Instructions, "one leg") {
			t.Errorf("balance exercise %+v, want single-leg", td.Balance)
		}
		if len(td.Also) != 2 || td.Also[0].ID != "walking" || td.Also[1].ID != "calf-raise" {
			t.Errorf("also %+v", td.Also)
		}
		walkCaution := slices.ContainsFunc(td.Cautions, func(s string) bool { return strings.Contains(s, "weight-bearing walks") })
		if walkCaution != neuro {
			t.Errorf("neuropathy %v: walking caution shown %v; cautions %q", neuro, walkCaution, td.Cautions)
		}
		if td.ThisWeek.Done != 3 || td.ThisWeek.Planned != 3 {
			t.Errorf("this week %+v, want 3 of 3 (sessions on days 1–3)", td.ThisWeek)
		}
		if len(td.Why) < 2 || !strings.Contains(td.Why[0], "moved up") {
			t.Errorf("why %q", td.Why)
		}
		if td.Message == "" {
			t.Error("no message")
		}
		// The evaluation recorded the week's adherence: 3 of 3.
		w := m.meas[MeasAdherence+"/p1/2026-11-02T00:00:00Z"]
		if w.Fields["done"] != 3 || w.Fields["planned"] != 3 || w.Fields["missed"] != 0 {
			t.Errorf("adherence measurement %+v", w)
		}
	}
}
