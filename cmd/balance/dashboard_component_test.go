package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/route"
	"github.com/balance-pt/balance/progression"
)

const (
	e2eAdminPassword     = "admin-password-e2e"
	e2eTherapistPassword = "therapist-password-e2e"
)

// dashboardApp opens the embedded default (in-process broker, embedded
// store, three simulated wearables) with the dashboard on and without the
// demo history (the tests arrange their own plans, falls and alerts).
func dashboardApp(t *testing.T) (*App, string) {
	t.Helper()
	return openDashboardApp(t, 0)
}

// demoDashboardApp is dashboardApp with the embedded default's demo
// history, as a newcomer first sees it.
func demoDashboardApp(t *testing.T) (*App, string) {
	t.Helper()
	return openDashboardApp(t, EmbeddedConfig().Sim.HistoryDays)
}

func openDashboardApp(t *testing.T, historyDays int) (*App, string) {
	t.Helper()
	cfg := EmbeddedConfig()
	cfg.Sim.HistoryDays = historyDays
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.EmbeddedBroker.Addr = "127.0.0.1:0"
	cfg.ProgressEvery = 0
	section := fmt.Sprintf("dashboard:\n  enabled: true\n  admin_password: %s\n  demo_password: %s\n\n", e2eAdminPassword, e2eTherapistPassword)
	if err := decodeConfig([]byte(section), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := NewApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Open(ctx); err != nil {
		cancel()
		a.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := a.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return a, "http://" + a.HTTPAddr()
}

// apiCall sends a request with Basic auth (user "" = none) and decodes
// the JSON answer into dst when it is not nil.
func apiCall(t *testing.T, method, url, user, pass, body string, dst any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if dst != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

// TestDashboardGuardsEveryComponent checks that the dashboard's access
// rules cover the routes of the other components (monitoring, alerts,
// progression) in the running system, not only its own.
func TestDashboardGuardsEveryComponent(t *testing.T) {
	a, base := dashboardApp(t)
	var ps []balance.Patient
	if st := apiCall(t, "GET", base+"/api/v1/patients", "admin", e2eAdminPassword, "", &ps); st != 200 || len(ps) != 3 {
		t.Fatalf("admin patients: %d, %d patients (want the 3 simulated)", st, len(ps))
	}
	// A second therapist with no patient, made through the admin API.
	if st := apiCall(t, "POST", base+"/api/v1/users", "admin", e2eAdminPassword, `{"username":"other","password":"other-password","role":"therapist"}`, nil); st != 201 {
		t.Fatalf("create therapist: %d", st)
	}
	if err := a.Alerts.Raise(context.Background(), balance.Alert{ID: "guard-1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent,
		PatientID: ps[0].ID, Summary: "fall", GroupKey: "g", OccurredAt: time.Now(), CreatedAt: time.Now(), Status: balance.AlertOpen}); err != nil {
		t.Fatal(err)
	}
	p := ps[0].ID
	for _, tc := range []struct {
		method, path, body string
		anon, other, demo  int
	}{
		{"GET", "/api/v1/patients/" + p + "/risk", "", 401, 403, 200},
		{"GET", "/api/v1/patients/" + p + "/sessions", "", 401, 403, 200},
		{"GET", "/api/v1/patients/" + p + "/measurements?name=gait_bout", "", 401, 403, 200},
		{"GET", "/api/v1/patients/" + p + "/today", "", 401, 403, 404},
		{"GET", "/api/v1/alerts/guard-1", "", 401, 403, 200},
		{"POST", "/api/v1/alerts/guard-1/ack", `{"by":"x"}`, 401, 403, 200},
		{"GET", "/api/v1/catalog", "", 401, 200, 200},
		{"GET", "/api/v1/status", "", 401, 200, 200},
		{"GET", "/healthz", "", 200, 200, 200},
	} {
		for _, who := range []struct {
			user, pass string
			want       int
		}{{"", "", tc.anon}, {"other", "other-password", tc.other}, {"therapist", e2eTherapistPassword, tc.demo}} {
			if st := apiCall(t, tc.method, base+tc.path, who.user, who.pass, tc.body, nil); st != who.want {
				t.Errorf("%q %s %s: %d, want %d", who.user, tc.method, tc.path, st, who.want)
			}
		}
	}
	var as []balance.Alert
	if st := apiCall(t, "GET", base+"/api/v1/alerts", "other", "other-password", "", &as); st != 200 || len(as) != 0 {
		t.Errorf("other's alert list: %d with %d alerts, want 200 and none", st, len(as))
	}

	// Naming an assigned patient in ?patient= must not unlock the whole
	// list on routes whose handler ignores the parameter.
	var users []struct {
		ID       json.Number `json:"id"`
		Username string      `json:"username"`
	}
	if st := apiCall(t, "GET", base+"/api/v1/users", "admin", e2eAdminPassword, "", &users); st != 200 {
		t.Fatalf("users: %d", st)
	}
	var otherID string
	for _, u := range users {
		if u.Username == "other" {
			otherID = u.ID.String()
		}
	}
	if st := apiCall(t, "PUT", base+"/api/v1/users/"+otherID+"/patients/"+ps[1].ID, "admin", e2eAdminPassword, "", nil); st/100 != 2 {
		t.Fatalf("assign %s to other: %d", ps[1].ID, st)
	}
	var mine []balance.Patient
	if st := apiCall(t, "GET", base+"/api/v1/patients?patient="+ps[1].ID, "other", "other-password", "", &mine); st != 200 || len(mine) != 1 || mine[0].ID != ps[1].ID {
		t.Errorf("other's patients?patient=%s: %d, %+v; want only that patient", ps[1].ID, st, mine)
	}
	var devs []balance.Device
	if st := apiCall(t, "GET", base+"/api/v1/devices?patient="+ps[1].ID, "other", "other-password", "", &devs); st != 200 {
		t.Errorf("other's devices: %d", st)
	}
	for _, d := range devs {
		if d.PatientID != ps[1].ID {
			t.Errorf("other sees device %s of patient %s", d.ID, d.PatientID)
		}
	}
}

// TestEveryRouteHasTheRightRule reads the rules of every route the running
// system registered: a route about one patient (its pattern names {id}
// under patients/) is patient-scoped (staff only, or, for the few the
// patient app uses, the patient too: own{id}), the user and quarantine
// APIs are admin-only, the patient app's pages are for patients (self),
// and only health, metrics, log-in, static files, signed links and the
// patient app's log-in pages are open.
func TestEveryRouteHasTheRightRule(t *testing.T) {
	a, _ := dashboardApp(t)
	routes := a.Routes.Routes()
	if len(routes) < 40 {
		t.Fatalf("%d routes registered, want every part's (at least 40)", len(routes))
	}
	open := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
		"GET /login": true, "POST /login": true, "GET /static/": true,
		"GET /ack/{id}": true, "POST /ack/{id}": true, // signed one-click links: the signature is the credential
		"GET /app/join": true, "POST /app/join": true, "GET /app/code": true, "POST /app/code": true} // one-time patient log-ins
	// The routes about one patient that the patient may use too.
	own := map[string]bool{"GET /api/v1/patients/{id}/today": true,
		"POST /api/v1/patients/{id}/sessions/{sid}/feedback": true, "GET /api/v1/patients/{id}/sessions/{sid}/feedback": true,
		"POST /api/v1/patients/{id}/sessions/start": true, "POST /api/v1/patients/{id}/sessions/{sid}/stop": true}
	// Routes a patient may use that reach the patient through something
	// else (their own alert): the handler checks.
	userOrPatient := map[string]bool{"POST /api/v1/alerts/{id}/answer": true}
	for _, r := range routes {
		rule := r.Rule.String()
		_, path, _ := strings.Cut(r.Pattern, " ")
		switch {
		case open[r.Pattern]:
			if rule != "open" {
				t.Errorf("%s: rule %s, want open", r.Pattern, rule)
			}
		case rule == "open":
			t.Errorf("%s is open; only health, metrics, log-in, static files, signed links and patient log-ins may be", r.Pattern)
		case own[r.Pattern]:
			if rule != "own{id}" {
				t.Errorf("%s: rule %s, want own{id}", r.Pattern, rule)
			}
		case userOrPatient[r.Pattern]:
			if rule != route.UserOrPatient.String() {
				t.Errorf("%s: rule %s, want %s", r.Pattern, rule, route.UserOrPatient)
			}
		case strings.Contains(path, "patients/{id}") && !strings.HasPrefix(path, "/api/v1/users/"):
			if rule != "patient{id}" {
				t.Errorf("%s: rule %s, want patient{id}", r.Pattern, rule)
			}
		case strings.HasPrefix(path, "/app/"):
			if rule != "self" {
				t.Errorf("%s: rule %s, want self", r.Pattern, rule)
			}
		case strings.HasPrefix(path, "/api/v1/users") || path == "/api/v1/quarantine" || strings.HasPrefix(path, "/admin/"):
			if rule != "admin" {
				t.Errorf("%s: rule %s, want admin", r.Pattern, rule)
			}
		}
	}
}

// chromiumPath finds Debian's chromium (scripts/test.sh installs it).
func chromiumPath() string {
	if p := os.Getenv("BALANCE_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("chromium")
	return p
}

// artifacts returns the directory for screenshots: $BALANCE_ARTIFACTS or a
// temporary directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("BALANCE_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// TestDashboardEndToEnd drives headless Chromium against the running
// embedded system with simulated patients: log in, the list sorted by
// risk, a patient with its charts, acknowledging an alert, a new alert
// appearing without a reload, approving a progression; then the refusals
// in the UI (logged out, wrong password, another therapist's patient).
func TestDashboardEndToEnd(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		// A missing browser is a failure, never a skip: the README's test
		// command installs it.
		t.Fatal("chromium not installed (Debian package chromium; scripts/test.sh installs it)")
	}
	a, base := dashboardApp(t)
	ctx := context.Background()
	shots := artifacts(t)

	var ps []balance.Patient
	if st := apiCall(t, "GET", base+"/api/v1/patients", "admin", e2eAdminPassword, "", &ps); st != 200 || len(ps) != 3 {
		t.Fatalf("patients: %d, %d", st, len(ps))
	}
	// Risk levels: one patient each (the monitor may add its own later
	// assessments; the order check below reads the levels the page shows).
	levels := []string{balance.RiskHigh, balance.RiskModerate, balance.RiskLow}
	for i, p := range ps {
		if err := a.State.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: p.ID, Time: time.Now(), Level: levels[i],
			Reasons: []balance.RiskReason{{Code: "e2e", Text: "set by the test: " + levels[i], Level: levels[i]}}}); err != nil {
			t.Fatal(err)
		}
	}
	pid := ps[2].ID // low risk: a step up may be approved
	prog := a.Progression
	if prog == nil {
		t.Fatal("progression not running")
	}
	lv := prog.Catalog.Levels
	// A real suggestion: the plan was assigned five days ago, three good
	// sessions followed on three days, and the rules suggest a step up
	// (suggest mode: it waits for the therapist). Approval re-evaluates, so
	// it must rest on sessions that qualify.
	assigned := time.Now().Add(-5 * 24 * time.Hour)
	prog.Now = func() time.Time { return assigned }
	if _, err := prog.SetPlan(ctx, pid, progressionPlanRequest(lv[0].ID)); err != nil {
		t.Fatal(err)
	}
	saveSessions(t, a, pid, lv[0].ID, assigned)
	later := assigned.Add(3*24*time.Hour + time.Hour)
	prog.Now = func() time.Time { return later }
	dec, suggestion, err := prog.Evaluate(ctx, pid)
	if err != nil || suggestion == nil || suggestion.Status != balance.ChangePending {
		t.Fatalf("evaluation after three good sessions: %+v, suggestion %+v, %v; want a pending step up", dec, suggestion, err)
	}
	suggestedID, suggestedLevel := suggestion.ID, suggestion.ToLevel
	sink := a.Alerts
	if err := sink.Raise(ctx, balance.Alert{ID: "e2e-fall", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: pid,
		Summary: "Fall detected (set by the test)", GroupKey: pid + "/fall", OccurredAt: time.Now(), CreatedAt: time.Now(), Status: balance.AlertOpen}); err != nil {
		t.Fatal(err)
	}

	bctx := newBrowser(t, chrome, 1400, 1100)
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 25*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			shot(t, bctx, shots, "failed-"+name)
			t.Fatalf("%s: %v", name, err)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Logged out: a patient page sends the browser to the log-in page.
	step("logged out", chromedp.Navigate(base+"/patients/"+pid), chromedp.WaitVisible(css("#login")))
	if loc, _ := chromedp.Run(bctx, chromedp.Location()); !strings.Contains(loc, "/login?next=") {
		t.Errorf("logged out: at %s, want the log-in page", loc)
	}
	// Wrong password.
	step("wrong password", chromedp.SendKeys(css("#username"), "therapist"), chromedp.SendKeys(css("#password"), "not the password"),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#login-error")))
	shot(t, bctx, shots, "01-wrong-password")

	// Log in; the list is sorted by risk.
	step("log in", chromedp.Navigate(base+"/login"), chromedp.SendKeys(css("#username"), "therapist"),
		chromedp.SendKeys(css("#password"), e2eTherapistPassword), chromedp.Click(css("#login")), chromedp.WaitVisible(css("#patients")))
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#patients tbody tr')).map(r => r.className)`))
	if err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{"risk-high": 0, "risk-moderate": 1, "risk-low": 2, "risk-": 3}
	if len(rows) != 3 {
		t.Errorf("list rows %v, want 3", rows)
	}
	for i := 1; i < len(rows); i++ {
		if rank[rows[i-1]] > rank[rows[i]] {
			t.Errorf("list not sorted by risk: %v", rows)
		}
	}
	shot(t, bctx, shots, "02-patient-list")

	// One patient: charts drawn, risk with reasons.
	step("open patient", chromedp.Click(css(`a[href="/patients/`+pid+`"]`)), chromedp.WaitVisible(css("#charts")))
	n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('figure.chart svg').length`))
	if err != nil || n != 7 {
		t.Errorf("charts on the page: %d (%v), want 7", n, err)
	}
	shot(t, bctx, shots, "03-patient")

	// Acknowledge the alert.
	step("acknowledge", chromedp.Click(css(`button.ack[data-alert="e2e-fall"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('tr[data-alert="e2e-fall"] .status').textContent.includes('acknowledged')`))
	al, err := a.Outbox.Alert(ctx, "e2e-fall")
	if err != nil || al.Status != balance.AlertAcknowledged || al.AckedBy != "therapist" {
		t.Errorf("alert after the click: %+v, %v; want acknowledged by therapist", al, err)
	}
	// A new alert shows up without a reload.
	if err := sink.Raise(ctx, balance.Alert{ID: "e2e-new", Kind: balance.AlertRiskRose, Severity: balance.SeverityHigh, PatientID: pid,
		Summary: "Risk rose (set by the test)", GroupKey: pid + "/risk", OccurredAt: time.Now(), CreatedAt: time.Now(), Status: balance.AlertOpen}); err != nil {
		t.Fatal(err)
	}
	step("new alert without reload", chromedp.Poll[chromedp.Void](`!!document.querySelector('tr[data-alert="e2e-new"]')`, chromedp.WithPollingTimeout(20*time.Second)))
	shot(t, bctx, shots, "04-alert-acknowledged-and-new")

	// Forged CSRF tokens are refused in the browser: a script call with a
	// wrong token, and a form posted from another site (same host, another
	// port: the SameSite cookie goes along, the token check stops it).
	status, err := chromedp.Run(bctx, chromedp.Evaluate[int](`fetch('/api/v1/alerts/e2e-new/ack', {method: 'POST',
		headers: {'Content-Type': 'application/json', 'X-CSRF-Token': 'forged'}, body: '{}'}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Errorf("ack with a forged token from the page: %d (%v), want 403", status, err)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/api/v1/alerts/e2e-new/ack"><input name="csrf" value="forged"></form><script>document.forms[0].submit()</script>`, base)
	}))
	defer evil.Close()
	step("cross-site form", chromedp.Navigate(evil.URL), chromedp.Poll[chromedp.Void](`location.href.startsWith(`+jsString(base)+`)`))
	body, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(body, "CSRF") {
		t.Errorf("cross-site form answered %q, want the CSRF refusal", body)
	}
	if al, err := a.Outbox.Alert(ctx, "e2e-new"); err != nil || al.Status != balance.AlertOpen {
		t.Errorf("e2e-new after forged requests: %+v, %v; want still open", al, err)
	}
	shot(t, bctx, shots, "05-forged-csrf-refused")
	step("back to the patient", chromedp.Navigate(base+"/patients/"+pid), chromedp.WaitVisible(css("#plan")))

	// Approve the suggested progression.
	// The page reloads after the decision: wait for the new level on it.
	step("approve", chromedp.Click(css(`button.approve[data-change="`+suggestedID+`"]`)))
	shown := ""
	for deadline := time.Now().Add(15 * time.Second); shown != suggestedLevel && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		shown, _ = chromedp.Run(bctx, chromedp.Evaluate[string](`(document.querySelector('#plan-level') || {}).textContent || ""`))
	}
	if shown != suggestedLevel {
		t.Errorf("plan level on the page after approval: %q, want %s", shown, suggestedLevel)
	}
	p, err := a.State.Plan(ctx, pid)
	if err != nil || p.LevelID != suggestedLevel {
		t.Errorf("plan after approval: %+v, %v; want level %s", p, err, suggestedLevel)
	}
	if cs, err := a.State.PlanChanges(ctx, pid, time.Time{}); err == nil {
		for _, c := range cs {
			if c.ID == suggestedID && (c.Status != balance.ChangeApplied || c.DecidedBy != "therapist") {
				t.Errorf("suggestion after approval: status %s decided by %q, want applied by therapist", c.Status, c.DecidedBy)
			}
		}
	} else {
		t.Error(err)
	}
	shot(t, bctx, shots, "06-progression-approved")

	// Another therapist reaching for this patient is refused.
	if st := apiCall(t, "POST", base+"/api/v1/users", "admin", e2eAdminPassword, `{"username":"other","password":"other-password","role":"therapist"}`, nil); st != 201 {
		t.Fatalf("create therapist: %d", st)
	}
	step("log out", chromedp.Click(css(`header form button`)), chromedp.WaitVisible(css("#login")))
	step("other logs in", chromedp.SendKeys(css("#username"), "other"), chromedp.SendKeys(css("#password"), "other-password"),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#patients")), chromedp.Navigate(base+"/patients/"+pid))
	body, err = chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil || !strings.Contains(body, "not assigned to you") {
		t.Errorf("other therapist on %s sees %q (%v), want a refusal", pid, body, err)
	}
	shot(t, bctx, shots, "07-other-therapist-refused")
	// Review time was logged? The page logs 30 s beats only after 30 s,
	// which this test does not wait for; the review API is tested in package
	// dashboard.
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// newBrowser starts headless Chromium (the flags this machine needs: no
// sandbox as root, no background networking) with a fresh profile and a
// w×h window, and returns its context; the browser stops when the test
// ends. A step's own timeout must derive from it, never start it.
func newBrowser(t *testing.T, chrome string, w, h int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}

// shot saves a full-page PNG screenshot.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

func progressionPlanRequest(level string) progression.PlanRequest {
	return progression.PlanRequest{LevelID: level, SessionsPerWeek: 3, Mode: balance.PlanSuggest, By: "admin"}
}

func TestDashboardConfigRefused(t *testing.T) {
	for _, tc := range []struct{ section, want string }{
		{"admin_password: short", "admin_password"},
		{"demo_password: short", "demo_password"},
		{"bcrypt_cost: 40", "bcrypt_cost"},
		{"bcrypt_cost: 4", "bcrypt_cost"},
		{"session_ttl: -1h", "session_ttl"},
		{"colour: blue", "colour"},
		{"trusted_proxies: [10.0.0.0/33]", "trusted_proxies[0]"},
	} {
		cfg := EmbeddedConfig()
		err := decodeConfig([]byte("dashboard: {"+tc.section+"}\n"), &cfg)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error naming %s", tc.section, err, tc.want)
		}
	}
	// The embedded default gets a demo therapist; serve does not.
	for _, tc := range []struct {
		cfg  Config
		want string
	}{{EmbeddedConfig(), "therapist"}, {DefaultConfig(), ""}} {
		err := tc.cfg.Validate()
		if err != nil || tc.cfg.Dashboard.DemoTherapist != tc.want {
			t.Errorf("demo therapist %q (%v), want %q", tc.cfg.Dashboard.DemoTherapist, err, tc.want)
		}
	}
}
