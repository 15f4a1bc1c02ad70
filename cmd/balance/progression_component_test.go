package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/progression"
)

// testAdminPassword is the admin's password in the tests' configurations:
// every test runs with log-in on and calls the API as that admin.
const testAdminPassword = "admin-password-tests"

// testConfig is the embedded shape on free ports in a temporary directory,
// without simulated devices, with the admin's password set; each section,
// if any, is read as a configuration file would be.
func testConfig(t *testing.T, sections ...string) Config {
	t.Helper()
	cfg := EmbeddedConfig()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.EmbeddedBroker.Addr = "127.0.0.1:0"
	cfg.Sim.Devices = 0
	cfg.ProgressEvery = 0
	cfg.Dashboard.AdminPassword = testAdminPassword
	for _, sec := range sections {
		if err := decodeConfig([]byte(sec), &cfg); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openApp opens an App on cfg and closes it when the test ends.
func openApp(t *testing.T, cfg Config) *App {
	t.Helper()
	a := NewApp(cfg, slog.New(slog.DiscardHandler), io.Discard)
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
	return a
}

// progressionApp opens the whole system (embedded stores, log-in on) with
// the given progression section and returns it and its base URL.
func progressionApp(t *testing.T, section string) (*App, string) {
	t.Helper()
	a := openApp(t, testConfig(t, section))
	return a, "http://" + a.HTTPAddr()
}

func call(t *testing.T, method, url string, body any, wantStatus int, dst any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.SetBasicAuth("admin", testAdminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, wantStatus, b)
	}
	if dst != nil {
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
}

// saveSessions stores three measured sessions at level on the three days
// after from, as monitoring would, each held 30 s without a loss and with
// sway 0.100, 0.105 and 0.095 m/s² (baseline 0.100).
func saveSessions(t *testing.T, a *App, patient, level string, from time.Time) {
	t.Helper()
	for i, rms := range []float64{0.100, 0.105, 0.095} {
		start := from.Add(time.Duration(i+1) * 24 * time.Hour)
		s := balance.ExerciseSession{ID: patient + "-" + level + "-" + start.Format("0102"), PatientID: patient, DeviceID: "w1", Kind: balance.SessionExercise,
			ExerciseID: level, Start: start, End: start.Add(3 * time.Minute), HoldS: 30, Sway: map[string]float64{"rms": rms}}
		if err := a.State.SaveExerciseSession(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProgressionComponent drives the component through the HTTP API on
// the real SQLite stores: a plan is assigned, a session's stop event leads
// to an automatic step up, a suggestion is approved, a fall measurement
// steps a patient down, and the patient-facing endpoint explains.
func TestProgressionComponent(t *testing.T) {
	ctx := context.Background()
	a, srvURL := progressionApp(t, "progression:\n  mode: automatic\n  session_delays: [0s]\n  evaluate_every: 1h\n")
	// The service's clock starts five days ago (plans are assigned then)
	// and moves to the day after the sessions.
	var clock atomic.Int64
	clock.Store(time.Now().Add(-5 * 24 * time.Hour).UnixNano())
	a.Progression.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	assigned := a.Progression.Now()
	later := assigned.Add(3*24*time.Hour + time.Hour)
	for _, id := range []string{"p1", "p2"} {
		if err := a.State.CreatePatient(ctx, balance.Patient{ID: id, Neuropathy: true}); err != nil {
			t.Fatal(err)
		}
	}
	base := srvURL + "/api/v1/patients/"

	var cat progression.Catalog
	call(t, "GET", srvURL+"/api/v1/catalog", nil, 200, &cat)
	if cat.Version != 1 || len(cat.Levels) != 84 {
		t.Errorf("catalog version %d with %d levels, want the default (1, 80 static + 4 Otago)", cat.Version, len(cat.Levels))
	}
	call(t, "GET", base+"p1/plan", nil, 404, nil)
	call(t, "PUT", base+"p1/plan", map[string]any{"level_id": "nowhere"}, 400, nil)
	call(t, "PUT", base+"p1/plan", map[string]any{"colour": "red"}, 400, nil)
	var plan balance.Plan
	call(t, "PUT", base+"p1/plan", map[string]any{"level_id": "tandem", "sessions_per_week": 3, "exercises": []string{"walking"}, "by": "dr-a"}, 200, &plan)
	if plan.Mode != balance.PlanAutomatic || plan.LevelID != "tandem" {
		t.Fatalf("plan %+v: want tandem in the configured automatic mode", plan)
	}

	// Sessions measured, then the stop event: the component evaluates
	// within a couple of seconds (session_delays 0s, checked every second).
	saveSessions(t, a, "p1", "tandem", assigned)
	clock.Store(later.UnixNano())
	a.Scheduler.OnEvent(balance.DeviceEvent{DeviceID: "w1", PatientID: "p1", Action: "stop", Kind: balance.SessionExercise, ExerciseID: "tandem", Time: time.Now()})
	var view progression.PlanView
	for deadline := time.Now().Add(10 * time.Second); ; {
		call(t, "GET", base+"p1/plan", nil, 200, &view)
		if view.Plan.LevelID != "tandem" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if view.Plan.LevelID != "single-leg" {
		t.Fatalf("after three good sessions and a stop event: level %s, want single-leg", view.Plan.LevelID)
	}
	var hist []balance.PlanChange
	call(t, "GET", base+"p1/plan/history", nil, 200, &hist)
	if len(hist) != 2 || hist[0].Kind != balance.ChangeProgress || hist[0].Dimension != "stance" || len(hist[0].SessionIDs) != 3 || len(hist[0].Reasons) == 0 {
		t.Errorf("history %+v", hist)
	}
	adh, err := a.Store.ReadMeasurements(ctx, balance.MeasurementQuery{Name: progression.MeasAdherence, PatientID: "p1", From: assigned.Add(-8 * 24 * time.Hour), To: later})
	if err != nil || len(adh) == 0 || adh[len(adh)-1].Fields["planned"] != 3 {
		t.Errorf("adherence measurements %+v, %v", adh, err)
	}
	var today progression.Today
	call(t, "GET", base+"p1/today", nil, 200, &today)
	if today.Balance.ID != "single-leg" || len(today.Also) != 1 || !strings.Contains(strings.Join(today.Cautions, " "), "weight-bearing walks") {
		t.Errorf("today %+v", today)
	}

	// p2 in suggest mode: evaluation suggests, a therapist approves.
	clock.Store(assigned.UnixNano())
	call(t, "PUT", base+"p2/plan", map[string]any{"level_id": "semi-tandem", "mode": "suggest"}, 200, nil)
	saveSessions(t, a, "p2", "semi-tandem", assigned)
	clock.Store(later.UnixNano())
	var ev struct {
		Decision progression.Decision
		Change   *balance.PlanChange
	}
	call(t, "POST", base+"p2/plan/evaluate", nil, 200, &ev)
	if ev.Change == nil || ev.Change.Status != balance.ChangePending || ev.Change.ToLevel != "tandem" {
		t.Fatalf("suggest mode evaluation: %+v", ev)
	}
	sid := ev.Change.ID
	call(t, "POST", base+"p2/plan/suggestions/nope/approve", nil, 404, nil)
	var decided balance.PlanChange
	call(t, "POST", base+"p2/plan/suggestions/"+sid+"/approve", map[string]string{"by": "dr-b"}, 200, &decided)
	// "Who acted" is the logged-in user, whatever the body claims.
	if decided.Status != balance.ChangeApplied || decided.DecidedBy != "admin" {
		t.Errorf("approved %+v", decided)
	}
	call(t, "POST", base+"p2/plan/suggestions/"+sid+"/reject", nil, 409, nil)

	// A fall recorded by monitoring steps p2 down at the next evaluation.
	clock.Store(later.Add(time.Hour).UnixNano())
	fall := later.Add(time.Minute)
	if err := a.Store.WriteMeasurements(ctx, []balance.Measurement{{Name: "fall", PatientID: "p2", Time: fall, Fields: map[string]float64{"confidence": 1}}}); err != nil {
		t.Fatal(err)
	}
	call(t, "POST", base+"p2/plan/evaluate", nil, 200, &ev)
	if ev.Change == nil || ev.Change.Kind != balance.ChangeRegress || ev.Change.Reasons[0].Code != "fall" {
		t.Fatalf("after a fall: %+v", ev)
	}

	// Override with and without a reason.
	call(t, "POST", base+"p2/plan/override", map[string]string{"level_id": "feet-together"}, 400, nil)
	call(t, "POST", base+"p2/plan/override", map[string]string{"level_id": "feet-together", "reason": "seen in clinic", "by": "dr-b"}, 200, nil)
	call(t, "GET", base+"p2/plan", nil, 200, &view)
	if view.Plan.LevelID != "feet-together" {
		t.Errorf("after override: %s", view.Plan.LevelID)
	}
}

// TestProgressionConfigRefused: a clinic catalog with a problem, or an
// unusable section, is refused at start with a message naming it.
func TestProgressionConfigRefused(t *testing.T) {
	dir := t.TempDir()
	bad := strings.Replace(string(progression.DefaultCatalogYAML()), "exercises: [otago-knee-bends,", "exercises: [otago-kneebends,", 1)
	badPath := filepath.Join(dir, "clinic.yaml")
	if err := os.WriteFile(badPath, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ section, want string }{
		{"progression:\n  catalog: " + badPath + "\n", `unknown exercise "otago-kneebends"`},
		{"progression:\n  catalog: " + filepath.Join(dir, "missing.yaml") + "\n", "missing.yaml"},
		{"progression:\n  mode: sometimes\n", `mode "sometimes"`},
		{"progression:\n  rules: {consecutive_sessions: 3, colour: red}\n", "colour"},
		{"progression:\n  rules: {sway_tolerance: 1.5}\n", "sway_tolerance"},
	} {
		cfg := DefaultConfig()
		p := filepath.Join(dir, "balance.yaml")
		if err := os.WriteFile(p, []byte(tc.section), 0o600); err != nil {
			t.Fatal(err)
		}
		err := cfg.loadFile(p)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: Validate = %v, want it to mention %s", tc.section, err, tc.want)
		}
	}
}
