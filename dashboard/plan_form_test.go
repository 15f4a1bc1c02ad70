package dashboard_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/dashboard"
	"github.com/balance-pt/balance/httpapi"
	"github.com/balance-pt/balance/progression"
)

// newPlanEnv is newEnv with exercise progression: the real progression
// service (default catalog and rules) on the same SQLite state, as
// cmd/balance wires it, passed to the dashboard as Plans.
func newPlanEnv(t *testing.T) (*env, *progression.Service) {
	t.Helper()
	e := newEnv(t)
	cat, err := progression.DefaultCatalog()
	must(t, err)
	// Each change gets its own time (a change's id is made from it).
	var tick atomic.Int64
	svc := &progression.Service{Catalog: cat, Rules: progression.DefaultRules(), Store: e.state, Patients: e.state, Sessions: e.state,
		Now: func() time.Time { return testNow.Add(time.Duration(tick.Add(1)) * time.Millisecond) }}
	srv, err := dashboard.New(dashboard.Config{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return testNow }},
		dashboard.Deps{Users: e.state, Registry: e.state, Summaries: e.state, Measurements: e.samples, Samples: e.samples,
			Risk: e.state, Sessions: e.state, Plans: svc})
	must(t, err)
	api := &httpapi.Server{Registry: e.state, Quarantine: e.state, Store: e.samples}
	e.srv, e.ts = srv, httptest.NewServer(srv.Handler(api.Routes, svc.Routes))
	t.Cleanup(e.ts.Close)
	return e, svc
}

// storedPlan reads the patient's plan back from the store (ok false: none).
func storedPlan(t *testing.T, e *env, patientID string) (balance.Plan, bool) {
	t.Helper()
	p, err := e.state.Plan(context.Background(), patientID)
	if balance.ErrorCode(err) == balance.ENOTFOUND {
		return p, false
	}
	must(t, err)
	return p, true
}

// TestAssignPlanByForm: without a plan the patient page offers "Assign a
// plan" (the catalog's levels by name in ladder order, sessions per week,
// the modes explained, every control labelled); the form post stores the
// plan and comes back to #plan; a bad form is refused in words, with what
// was typed kept, and stores nothing.
func TestAssignPlanByForm(t *testing.T) {
	e, svc := newPlanEnv(t)
	levels := svc.Levels()
	if len(levels) < 3 {
		t.Fatalf("catalog has %d levels", len(levels))
	}
	t1 := e.login("t1")
	st, body := t1.do("GET", "/patients/p1", "")
	if st != 200 {
		t.Fatalf("GET /patients/p1: %d", st)
	}
	for _, want := range []string{"No plan assigned.", "Assign a plan", `<label for="plan-level-choice">`, `<label for="plan-sessions">`,
		`min="1" max="14"`, `<label for="plan-mode-suggest">Suggest:`, `<label for="plan-mode-automatic">Automatic:`,
		`<option value="` + levels[0].ID + `">1. ` + levels[0].Name} {
		if !strings.Contains(body, want) {
			t.Errorf("patient page without a plan lacks %q", want)
		}
	}
	prev := -1
	for _, l := range levels {
		i := strings.Index(body, `<option value="`+l.ID+`"`)
		if i <= prev {
			t.Errorf("level %s is not offered after the level before it (ladder order)", l.ID)
		}
		prev = i
	}

	for _, tc := range []struct {
		name string
		form url.Values
		says string
	}{
		{"unknown level", url.Values{"level_id": {"no-such-level"}, "sessions_per_week": {"3"}, "mode": {"suggest"}}, "not in the catalog"},
		{"no level", url.Values{"sessions_per_week": {"3"}, "mode": {"suggest"}}, "Choose the starting level"},
		{"no sessions", url.Values{"level_id": {levels[0].ID}, "mode": {"suggest"}}, "from 1 to 14"},
		{"0 sessions", url.Values{"level_id": {levels[0].ID}, "sessions_per_week": {"0"}, "mode": {"suggest"}}, "from 1 to 14"},
		{"15 sessions", url.Values{"level_id": {levels[0].ID}, "sessions_per_week": {"15"}, "mode": {"suggest"}}, "from 1 to 14"},
		{"words for sessions", url.Values{"level_id": {levels[0].ID}, "sessions_per_week": {"three"}, "mode": {"suggest"}}, "from 1 to 14"},
		{"unknown mode", url.Values{"level_id": {levels[0].ID}, "sessions_per_week": {"3"}, "mode": {"sometimes"}}, "suggest or automatic"},
	} {
		st, body, ctype := t1.postForm("/patients/p1/plan", tc.form)
		if st != 400 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, tc.says) || !strings.Contains(body, `id="plan-error"`) {
			t.Errorf("%s: %d %s, want 400 with the patient page saying %q", tc.name, st, ctype, tc.says)
		}
		if s := tc.form.Get("sessions_per_week"); s != "" && !strings.Contains(body, `value="`+s+`"`) {
			t.Errorf("%s: the sessions typed (%q) are not kept", tc.name, s)
		}
		if p, ok := storedPlan(t, e, "p1"); ok {
			t.Fatalf("%s: a plan was stored: %+v", tc.name, p)
		}
	}

	st, loc, _ := t1.postForm("/patients/p1/plan", url.Values{"level_id": {levels[2].ID}, "sessions_per_week": {"4"}, "mode": {"automatic"}})
	if st != 303 || loc != "/patients/p1#plan" {
		t.Fatalf("assign: %d %s, want 303 to /patients/p1#plan", st, loc)
	}
	p, ok := storedPlan(t, e, "p1")
	if !ok || p.LevelID != levels[2].ID || p.SessionsPerWeek != 4 || p.Mode != balance.PlanAutomatic || p.UpdatedBy != "t1" {
		t.Errorf("stored plan %+v (found %v), want level %s, 4 a week, automatic, by t1", p, ok, levels[2].ID)
	}
	if st, body = t1.do("GET", "/patients/p1", ""); st != 200 {
		t.Fatalf("patient page: %d", st)
	}
	for _, want := range []string{`<b id="plan-level">` + levels[2].ID + `</b>`, "Change the plan", `id="override"`, `<label for="override-level">`,
		`<label for="override-reason">`, `value="4"`, `id="plan-mode-automatic" name="mode" value="automatic" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("patient page with a plan lacks %q", want)
		}
	}
	if strings.Contains(body, "Assign a plan") {
		t.Error("the page still offers to assign a plan")
	}
}

// TestChangePlanAndLevelByForm changes the sessions per week and mode,
// then the level (with a reason, through Override), by form posts; bad
// forms are refused in words and change nothing.
func TestChangePlanAndLevelByForm(t *testing.T) {
	e, svc := newPlanEnv(t)
	levels := svc.Levels()
	ctx := context.Background()
	if _, err := svc.SetPlan(ctx, "p1", progression.PlanRequest{LevelID: levels[0].ID, SessionsPerWeek: 3, Mode: balance.PlanSuggest, By: "setup"}); err != nil {
		t.Fatal(err)
	}
	t1 := e.login("t1")

	if st, loc, _ := t1.postForm("/patients/p1/plan", url.Values{"sessions_per_week": {"5"}, "mode": {"automatic"}}); st != 303 || loc != "/patients/p1#plan" {
		t.Fatalf("change the plan: %d %s", st, loc)
	}
	if p, _ := storedPlan(t, e, "p1"); p.SessionsPerWeek != 5 || p.Mode != balance.PlanAutomatic || p.LevelID != levels[0].ID {
		t.Errorf("after the change: %+v, want 5 a week, automatic, level unchanged", p)
	}

	if st, loc, _ := t1.postForm("/patients/p1/plan/level", url.Values{"level_id": {levels[3].ID}, "reason": {"steady in clinic today"}}); st != 303 || loc != "/patients/p1#plan" {
		t.Fatalf("change the level: %d %s", st, loc)
	}
	p, _ := storedPlan(t, e, "p1")
	if p.LevelID != levels[3].ID || p.SessionsPerWeek != 5 {
		t.Errorf("after the level change: %+v, want level %s, still 5 a week", p, levels[3].ID)
	}
	cs, err := svc.History(ctx, "p1")
	must(t, err)
	if len(cs) == 0 || cs[0].Kind != balance.ChangeOverride || cs[0].By != "t1" || len(cs[0].Reasons) == 0 || cs[0].Reasons[0].Text != "steady in clinic today" {
		t.Errorf("newest plan change %+v, want t1's override with the reason", cs[0])
	}

	for _, tc := range []struct {
		name, path string
		form       url.Values
		says, id   string
	}{
		{"unknown level", "/patients/p1/plan/level", url.Values{"level_id": {"no-such-level"}, "reason": {"x"}}, "not in the catalog", "override-error"},
		{"no reason", "/patients/p1/plan/level", url.Values{"level_id": {levels[1].ID}, "reason": {"  "}}, "Give the reason", "override-error"},
		{"no level", "/patients/p1/plan/level", url.Values{"reason": {"x"}}, "Choose the new level", "override-error"},
		{"15 sessions", "/patients/p1/plan", url.Values{"sessions_per_week": {"15"}, "mode": {"suggest"}}, "from 1 to 14", "plan-error"},
		{"level through the change form", "/patients/p1/plan", url.Values{"level_id": {levels[1].ID}, "sessions_per_week": {"3"}, "mode": {"suggest"}}, "Change the level", "plan-error"},
	} {
		st, body, _ := t1.postForm(tc.path, tc.form)
		if st != 400 || !strings.Contains(body, tc.says) || !strings.Contains(body, `id="`+tc.id+`"`) {
			t.Errorf("%s: %d, want 400 with %s saying %q", tc.name, st, tc.id, tc.says)
		}
		if got, _ := storedPlan(t, e, "p1"); got.LevelID != p.LevelID || got.SessionsPerWeek != p.SessionsPerWeek || got.Mode != p.Mode {
			t.Errorf("%s changed the plan: %+v", tc.name, got)
		}
	}
}

// TestPlanFormsRefuseOthersPatients: a therapist cannot assign or change
// the plan of another therapist's patient (a 403 page, nothing stored),
// and without progression the forms say plans are not available.
func TestPlanFormsRefuseOthersPatients(t *testing.T) {
	e, svc := newPlanEnv(t)
	level := svc.Levels()[0].ID
	t1 := e.login("t1")
	for _, path := range []string{"/patients/p2/plan", "/patients/p2/plan/level"} {
		st, body, ctype := t1.postForm(path, url.Values{"level_id": {level}, "sessions_per_week": {"3"}, "mode": {"suggest"}, "reason": {"x"}})
		if st != 403 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "not assigned to you") {
			t.Errorf("t1 POST %s: %d %s, want a 403 page", path, st, ctype)
		}
	}
	if p, ok := storedPlan(t, e, "p2"); ok {
		t.Errorf("t1 stored a plan for p2: %+v", p)
	}

	plain := newEnv(t) // no Plans
	st, body, _ := plain.login("t1").postForm("/patients/p1/plan", url.Values{"level_id": {level}, "sessions_per_week": {"3"}, "mode": {"suggest"}})
	if st != 503 || !strings.Contains(body, "not kept") {
		t.Errorf("plan form without progression: %d, want 503 saying plans are not kept", st)
	}
	if _, body := plain.login("t1").do("GET", "/patients/p1", ""); strings.Contains(body, "Assign a plan") {
		t.Error("without progression the page offers to assign a plan")
	}
}
