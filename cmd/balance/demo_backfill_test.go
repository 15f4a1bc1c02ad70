package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/demo"
)

// demoApp is a running embedded default for the demo tests.
type demoApp struct {
	t    *testing.T
	base string
	out  *syncBuffer
	stop func()
}

const demoAdminPassword = "demo-test-admin"

// startDemoApp runs the embedded default (as `go run ./cmd/balance`) on
// dataDir and waits for its banner (the history is written before it).
func startDemoApp(t *testing.T, dataDir string) *demoApp {
	t.Helper()
	cfg := EmbeddedConfig()
	cfg.DataDir = dataDir
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.EmbeddedBroker.Addr = "127.0.0.1:0"
	cfg.ProgressEvery = 0
	if err := yaml.Unmarshal([]byte("dashboard:\n  enabled: true\n  admin_password: "+demoAdminPassword+"\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	app := NewApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	d := &demoApp{t: t, out: out}
	d.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return within 30 s of cancel")
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for d.base == "" {
		select {
		case err := <-done:
			t.Fatalf("Run returned %v; output:\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			d.stop()
			t.Fatalf("no banner within a minute; output:\n%s", out.String())
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if i := strings.Index(line, "health:  http://"); i >= 0 {
				d.base = strings.TrimSuffix(strings.Fields(line[i+len("health:  "):])[0], "/healthz")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d
}

// get decodes the JSON answer of GET path, as the admin.
func (d *demoApp) get(path string, v any) {
	d.t.Helper()
	req, _ := http.NewRequest("GET", d.base+path, nil)
	req.SetBasicAuth("admin", demoAdminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		d.t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
}

// demoCounts is what a patient's history holds, to compare across restarts.
type demoCounts struct {
	Sessions, Sway, PlanChanges, Alerts, Risk int
}

// patientHistory reads a demo patient through the API: its sway tests
// (time order), sessions, plan, plan history, alerts and risk history.
type patientHistory struct {
	sway     []balance.Measurement
	sessions []balance.ExerciseSession
	plan     balance.Plan
	changes  []balance.PlanChange
	alerts   []balance.Alert
	risk     []balance.RiskAssessment
}

func (d *demoApp) history(id string, now time.Time) patientHistory {
	var h patientHistory
	from := url.QueryEscape(now.AddDate(0, 0, -100).Format(time.RFC3339))
	to := url.QueryEscape(now.Format(time.RFC3339))
	var ms struct {
		Measurements []balance.Measurement `json:"measurements"`
	}
	d.get("/api/v1/patients/"+id+"/measurements?name=sway&from="+from+"&to="+to, &ms)
	for _, m := range ms.Measurements {
		if m.Tags[demo.Tag] == "true" && m.Tags["exercise"] == "" {
			h.sway = append(h.sway, m)
		}
	}
	var ss struct {
		Sessions []balance.ExerciseSession `json:"sessions"`
	}
	d.get("/api/v1/patients/"+id+"/sessions?since="+from, &ss)
	h.sessions = ss.Sessions
	var pv struct {
		Plan balance.Plan `json:"plan"`
	}
	d.get("/api/v1/patients/"+id+"/plan", &pv)
	h.plan = pv.Plan
	var view struct {
		Alerts      []balance.Alert          `json:"alerts"`
		PlanHistory []balance.PlanChange     `json:"plan_history"`
		RiskHistory []balance.RiskAssessment `json:"risk_history"`
	}
	d.get("/api/v1/dashboard/patients/"+id, &view)
	h.alerts, h.changes, h.risk = view.Alerts, view.PlanHistory, view.RiskHistory
	return h
}

// before counts what happened before t (live data after it may grow).
func (h patientHistory) before(t time.Time) demoCounts {
	var c demoCounts
	for _, m := range h.sway {
		if m.Time.Before(t) {
			c.Sway++
		}
	}
	for _, s := range h.sessions {
		if s.Start.Before(t) {
			c.Sessions++
		}
	}
	for _, x := range h.changes {
		if x.Time.Before(t) {
			c.PlanChanges++
		}
	}
	for _, a := range h.alerts {
		if a.OccurredAt.Before(t) {
			c.Alerts++
		}
	}
	for _, r := range h.risk {
		if r.Time.Before(t) {
			c.Risk++
		}
	}
	return c
}

// swayMean is the mean sway RMS of the tests in [from, to).
func swayMean(ms []balance.Measurement, from, to time.Time) (float64, int) {
	sum, n := 0.0, 0
	for _, m := range ms {
		if !m.Time.Before(from) && m.Time.Before(to) {
			sum += m.Fields["rms"]
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// TestDemoHistory starts the embedded default on an empty data directory
// and checks through the HTTP API, within a minute, that the demo history
// tells its story: plans, ≥ 8 weeks of sway tests and sessions for every
// simulated patient, the improving patient's sway down and the declining
// one's up (first against last two weeks of the generated data), a fall
// alert acknowledged and an open alert, ≥ 16 RTM data-days in the last 30
// days; then that a restart on the same data directory adds no history.
func TestDemoHistory(t *testing.T) {
	dir := t.TempDir()
	started := time.Now()
	app := startDemoApp(t, dir)
	if took := time.Since(started); took > time.Minute {
		t.Errorf("the app with its history took %s to start", took)
	}
	if !strings.Contains(app.out.String(), "demo: 70 days of history") {
		t.Errorf("no demo history line:\n%s", app.out.String())
	}
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	ids := []string{"p-sim-0001", "p-sim-0002", "p-sim-0003"}
	first := map[string]demoCounts{}
	var fallAcked, open bool
	for _, id := range ids {
		h := app.history(id, now)
		if h.plan.LevelID == "" {
			t.Errorf("%s: no plan", id)
		}
		if len(h.sway) == 0 || h.sway[0].Time.After(now.AddDate(0, 0, -56)) {
			t.Fatalf("%s: sway tests do not go back 8 weeks: %d tests", id, len(h.sway))
		}
		if len(h.sessions) < 40 {
			t.Errorf("%s: %d sessions listed", id, len(h.sessions))
		}
		if len(h.changes) < 2 {
			t.Errorf("%s: plan history %d changes, want the assignment and at least one step", id, len(h.changes))
		}
		if len(h.risk) == 0 {
			t.Errorf("%s: no risk history", id)
		}
		early, ne := swayMean(h.sway, today.AddDate(0, 0, -70), today.AddDate(0, 0, -56))
		late, nl := swayMean(h.sway, today.AddDate(0, 0, -14), today)
		t.Logf("%s: plan %s, %d sessions, %d sway tests, sway RMS %.3f (%d tests) → %.3f (%d), %d plan changes, %d alerts",
			id, h.plan.LevelID, len(h.sessions), len(h.sway), early, ne, late, nl, len(h.changes), len(h.alerts))
		switch demo.RoleFor(len(first)) {
		case demo.RoleImproving:
			if !(late < early) {
				t.Errorf("%s (improving): sway %.3f → %.3f did not fall", id, early, late)
			}
		case demo.RoleDeclining:
			if !(late > early) {
				t.Errorf("%s (declining): sway %.3f → %.3f did not rise", id, early, late)
			}
			regressed := false
			for _, c := range h.changes {
				regressed = regressed || c.Kind == balance.ChangeRegress
			}
			if !regressed {
				t.Errorf("%s (declining): no step down in the plan history", id)
			}
		}
		for _, a := range h.alerts {
			if a.Kind == balance.AlertFall && a.Status == balance.AlertAcknowledged {
				fallAcked = true
			}
			if a.Status == balance.AlertOpen {
				open = true
			}
		}
		first[id] = h.before(today)
	}
	if !fallAcked {
		t.Error("no acknowledged fall alert")
	}
	if !open {
		t.Error("no open alert")
	}
	// RTM: days with samples in the last 30 days, over this month's and
	// last month's reports.
	days := map[string]bool{}
	for _, month := range []time.Time{now, today.AddDate(0, 0, -today.Day())} {
		var r struct {
			DataDays []string `json:"data_days"`
			Reviews  []any    `json:"reviews"`
		}
		app.get(fmt.Sprintf("/api/v1/dashboard/patients/%s/rtm?month=%s", ids[0], month.Format("2006-01")), &r)
		for _, d := range r.DataDays {
			if t0, err := time.Parse("2006-01-02", d); err == nil && !t0.Before(today.AddDate(0, 0, -30)) {
				days[d] = true
			}
		}
	}
	if len(days) < 16 {
		t.Errorf("%d RTM data-days in the last 30 days, want ≥ 16", len(days))
	}
	app.stop()

	// A restart finds the history and adds none.
	app = startDemoApp(t, dir)
	defer app.stop()
	if strings.Contains(app.out.String(), "demo: ") {
		t.Errorf("history generated again at the restart:\n%s", app.out.String())
	}
	for _, id := range ids {
		if got := app.history(id, time.Now().UTC()).before(today); got != first[id] {
			t.Errorf("%s after restart: %+v, before %+v", id, got, first[id])
		}
	}
}
