package dashboard_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/dashboard"
)

func TestSortByRisk(t *testing.T) {
	t0 := testNow
	ps := []balance.PatientSummary{
		{Patient: balance.Patient{ID: "low"}, RiskLevel: balance.RiskLow, RiskTime: t0},
		{Patient: balance.Patient{ID: "none"}},
		{Patient: balance.Patient{ID: "mod-old"}, RiskLevel: balance.RiskModerate, RiskTime: t0.Add(-time.Hour)},
		{Patient: balance.Patient{ID: "high"}, RiskLevel: balance.RiskHigh, RiskTime: t0},
		{Patient: balance.Patient{ID: "mod-new"}, RiskLevel: balance.RiskModerate, RiskTime: t0},
		{Patient: balance.Patient{ID: "mod-alerts"}, RiskLevel: balance.RiskModerate, RiskTime: t0.Add(-2 * time.Hour), OpenAlerts: 2},
		{Patient: balance.Patient{ID: "high-b"}, RiskLevel: balance.RiskHigh, RiskTime: t0},
	}
	dashboard.SortByRisk(ps)
	var got []string
	for _, p := range ps {
		got = append(got, p.Patient.ID)
	}
	// High first (ties by id), then moderate with more open alerts, then
	// newer assessments, then low, then not assessed.
	want := []string{"high", "high-b", "mod-alerts", "mod-new", "mod-old", "low", "none"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestListSortedByRisk checks the summaries the list reads (risk, devices,
// alerts, sessions, plan) and the order of the page.
func TestListSortedByRisk(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	must(t, e.state.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: "p1", Time: testNow.Add(-time.Hour), Level: balance.RiskLow}))
	must(t, e.state.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: "p3", Time: testNow.Add(-2 * time.Hour), Level: balance.RiskLow}))
	must(t, e.state.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: "p3", Time: testNow.Add(-time.Hour), Level: balance.RiskHigh,
		Reasons: []balance.RiskReason{{Code: "tug", Text: "TUG 14.2 s", Value: 14.2, Threshold: 13.5, Unit: "s", Level: balance.RiskHigh}}}))
	must(t, e.state.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: "p2", Time: testNow.Add(-time.Hour), Level: balance.RiskModerate}))
	must(t, e.state.SaveStatus(ctx, balance.DeviceStatus{DeviceID: "d3", Online: true, BatteryPct: 81, ReceivedAt: testNow}))
	for i := 0; i < 2; i++ {
		must(t, e.state.SaveExerciseSession(ctx, balance.ExerciseSession{ID: fmt.Sprint("s", i), PatientID: "p3", DeviceID: "d3",
			Kind: balance.SessionExercise, Start: testNow.Add(-time.Duration(i+1) * 24 * time.Hour), End: testNow.Add(-time.Duration(i+1)*24*time.Hour + time.Minute)}))
	}
	ps, err := e.srv.Overview(balance.NewContextWithViewer(ctx, &balance.Viewer{User: e.users["admin"], AllPatients: true}))
	must(t, err)
	var order []string
	for _, p := range ps {
		order = append(order, p.Patient.ID+":"+p.RiskLevel)
	}
	if diff := cmp.Diff([]string{"p3:high", "p2:moderate", "p1:low"}, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	p3 := ps[0]
	if p3.OpenAlerts != 1 || !p3.LastFall.Equal(testNow.Add(-2*time.Hour)) || p3.SessionsLast7d != 2 ||
		len(p3.Devices) != 1 || !p3.Devices[0].Online || p3.Devices[0].BatteryPct != 81 || len(p3.RiskReasons) != 1 {
		t.Errorf("p3 summary = %+v", p3)
	}
	_, body := e.login("admin").do("GET", "/", "")
	i3, i2, i1 := strings.Index(body, `data-patient="p3"`), strings.Index(body, `data-patient="p2"`), strings.Index(body, `data-patient="p1"`)
	if !(i3 >= 0 && i3 < i2 && i2 < i1) {
		t.Errorf("UI list not in risk order: p3 at %d, p2 at %d, p1 at %d", i3, i2, i1)
	}
	if !strings.Contains(body, "TUG 14.2 s") || !strings.Contains(body, "81%") {
		t.Error("UI list misses p3's reason or battery")
	}
}

func writeMeasurements(t testing.TB, e *env, patient string, days int) {
	t.Helper()
	var ms []balance.Measurement
	for d := 0; d < days; d++ {
		day := testNow.AddDate(0, 0, -d)
		for b := 0; b < 6; b++ {
			ms = append(ms, balance.Measurement{Name: "gait_bout", PatientID: patient, Time: day.Add(time.Duration(b) * time.Hour),
				Tags: map[string]string{"device": "d1"}, Fields: map[string]float64{"speed_mps": 0.9 + 0.01*float64(b), "cadence_spm": 100 + float64(b), "stride_time_sd_s": 0.05, "stride_time_cv_pct": 3}})
		}
		for _, cond := range []string{"feet_together", "semi_tandem", "tandem"} {
			ms = append(ms, balance.Measurement{Name: "sway", PatientID: patient, Time: day.Add(-time.Hour),
				Tags: map[string]string{"device": "d1", "exercise": cond}, Fields: map[string]float64{"rms": 0.1, "jerk": 1}})
		}
		if d%7 == 0 {
			ms = append(ms, balance.Measurement{Name: "tug", PatientID: patient, Time: day.Add(-2 * time.Hour), Fields: map[string]float64{"seconds": 12.5}},
				balance.Measurement{Name: "sts5", PatientID: patient, Time: day.Add(-2 * time.Hour), Fields: map[string]float64{"seconds": 14}})
		}
	}
	must(t, e.samples.WriteMeasurements(context.Background(), ms))
}

func TestPatientPageCharts(t *testing.T) {
	e := newEnv(t)
	writeMeasurements(t, e, "p1", 10)
	st, body := e.login("t1").do("GET", "/patients/p1", "")
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	if n := strings.Count(body, "<svg"); n != len(dashboard.ChartIDs) {
		t.Errorf("%d inline SVG charts, want %d", n, len(dashboard.ChartIDs))
	}
	// Axes with units and the cut-offs of balance.StandardThresholds
	// (gait speed 1.0/0.8 m/s, TUG 12/13.5 s, 5xSTS 12/15 s).
	for _, want := range []string{"gait speed (m/s)", "high risk below: 0.8", "moderate risk below: 1", "TUG time (s)", "high risk from: 13.5",
		"5×STS time (s)", "high risk from: 15", "cadence (steps/min)", "tandem", "Acknowledge", `data-alert="a1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("patient page lacks %q", want)
		}
	}
	// One chart on its own.
	st, svg := e.login("t1").do("GET", "/patients/p1/charts/tug.svg", "")
	if st != 200 || !strings.HasPrefix(svg, "<svg") {
		t.Errorf("chart: status %d, body starts %.40q", st, svg)
	}
}

// TestChartsUseConfiguredThresholds: the charts draw the cut-offs that
// Config.Thresholds gives for the patient (here p1, with neuropathy, whose
// high-risk TUG cut-off is configured at 14.5 s instead of the default
// 12 s), and without it the published defaults for the patient.
func TestChartsUseConfiguredThresholds(t *testing.T) {
	type call struct {
		ID         string
		Neuropathy bool
	}
	var calls []call
	e := newEnv(t, func(c *dashboard.Config) {
		c.Thresholds = func(_ context.Context, id string, neuropathy bool) (balance.Thresholds, error) {
			calls = append(calls, call{id, neuropathy})
			th := balance.StandardThresholds()
			if neuropathy {
				th = balance.NeuropathyThresholds()
			}
			if id == "p1" {
				th.TUGHigh = 14.5
			}
			return th, nil
		}
	})
	must(t, e.state.CreatePatient(t.Context(), balance.Patient{ID: "p1", Name: "Patient p1", Neuropathy: true}))
	writeMeasurements(t, e, "p1", 10)
	c := e.login("t1")
	st, page := c.do("GET", "/patients/p1", "")
	if st != 200 {
		t.Fatalf("page: status %d: %s", st, page)
	}
	st, svg := c.do("GET", "/patients/p1/charts/tug.svg", "")
	if st != 200 {
		t.Fatalf("chart: status %d: %s", st, svg)
	}
	for name, body := range map[string]string{"page": page, "tug.svg": svg} {
		// Configured high 14.5 s; moderate 11 s is the neuropathy default.
		for _, want := range []string{"high risk from: 14.5", "moderate risk from: 11"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if strings.Contains(body, "high risk from: 12<") {
			t.Errorf("%s draws the default high-risk TUG cut-off 12 s", name)
		}
	}
	if diff := cmp.Diff([]call{{"p1", true}, {"p1", true}}, calls); diff != "" {
		t.Errorf("Thresholds calls (-want +got):\n%s", diff)
	}

	// Without Config.Thresholds: the neuropathy defaults (TUG 11/12 s).
	e = newEnv(t)
	must(t, e.state.CreatePatient(t.Context(), balance.Patient{ID: "p1", Name: "Patient p1", Neuropathy: true}))
	writeMeasurements(t, e, "p1", 10)
	_, svg = e.login("t1").do("GET", "/patients/p1/charts/tug.svg", "")
	for _, want := range []string{"high risk from: 12<", "moderate risk from: 11<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("default tug.svg lacks %q", want)
		}
	}
}

func TestCSVExport(t *testing.T) {
	e := newEnv(t)
	ms := []balance.Measurement{
		{Name: "tug", PatientID: "p1", Time: testNow.Add(-48 * time.Hour), Fields: map[string]float64{"seconds": 12.5}},
		{Name: "gait_bout", PatientID: "p1", Time: testNow.Add(-24 * time.Hour), Tags: map[string]string{"device": "d1"}, Fields: map[string]float64{"speed_mps": 0.95, "cadence_spm": 102}},
		{Name: "tug", PatientID: "p2", Time: testNow.Add(-24 * time.Hour), Fields: map[string]float64{"seconds": 9}},
	}
	must(t, e.samples.WriteMeasurements(t.Context(), ms))
	st, body := e.login("t1").do("GET", "/api/v1/dashboard/patients/p1/measurements.csv", "")
	if st != 200 {
		t.Fatalf("status %d %s", st, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	must(t, err)
	f := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	want := [][]string{
		{"time", "patient_id", "measurement", "tags", "field", "value"},
		{f(testNow.Add(-48 * time.Hour)), "p1", "tug", "", "seconds", "12.5"},
		{f(testNow.Add(-24 * time.Hour)), "p1", "gait_bout", "device=d1", "cadence_spm", "102"},
		{f(testNow.Add(-24 * time.Hour)), "p1", "gait_bout", "device=d1", "speed_mps", "0.95"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

func TestRTMReport(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// Samples on 17 distinct days of November 2026 (days 1..17, two
	// batches on day 5), and one on 1 December (outside the period
	// 1–30 November).
	var bs []*balance.Batch
	mk := func(day time.Time) *balance.Batch {
		return &balance.Batch{DeviceID: "d1", PatientID: "p1", RateHz: 100, Samples: []balance.Sample{{TimeNS: day.Add(9 * time.Hour).UnixNano(), Acc: [3]float64{0, 0, 9.81}}}}
	}
	for d := 1; d <= 17; d++ {
		bs = append(bs, mk(time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)))
	}
	bs = append(bs, mk(time.Date(2026, 11, 5, 3, 0, 0, 0, time.UTC)), mk(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
	must(t, e.samples.WriteBatches(ctx, bs))
	// Review: 12 + 9.5 minutes in November, 30 in October.
	for _, r := range []struct {
		at  time.Time
		sec float64
	}{{time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC), 720}, {time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC), 570}, {time.Date(2026, 10, 31, 10, 0, 0, 0, time.UTC), 1800}} {
		must(t, e.state.LogReview(ctx, balance.ReviewEntry{UserID: e.users["t1"].ID, PatientID: "p1", Start: r.at, Seconds: r.sec, Activity: "review"}))
	}
	rep, err := e.srv.RTM(ctx, "p1", "2026-11")
	must(t, err)
	if rep.DaysWithData != 17 || !rep.MeetsDays || len(rep.DataDays) != 17 || rep.DataDays[0] != "2026-11-01" {
		t.Errorf("days: %d %v %v, want 17 met from 2026-11-01", rep.DaysWithData, rep.MeetsDays, rep.DataDays)
	}
	if rep.ReviewMinutes != 21.5 || !rep.MeetsMinutes || len(rep.Reviews) != 2 {
		t.Errorf("review: %v min (met %v, %d entries), want 21.5 met from 2 entries", rep.ReviewMinutes, rep.MeetsMinutes, len(rep.Reviews))
	}
	// December: one day of data, no review.
	rep, err = e.srv.RTM(ctx, "p1", "2026-12")
	must(t, err)
	if rep.DaysWithData != 1 || rep.MeetsDays || rep.ReviewMinutes != 0 || rep.MeetsMinutes {
		t.Errorf("December: %+v", rep)
	}
	if _, err := e.srv.RTM(ctx, "p1", "November"); balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("bad month: %v, want EINVALID", err)
	}
	// The review heartbeat of the page lands in the log, capped.
	c := e.login("t1")
	if st, b := c.do("POST", "/api/v1/dashboard/patients/p1/review", `{"seconds": 30, "activity": "patient page"}`); st != 201 {
		t.Errorf("review: %d %s", st, b)
	}
	if st, _ := c.do("POST", "/api/v1/dashboard/patients/p1/review", `{"seconds": 3600}`); st != 400 {
		t.Errorf("review of an hour in one beat: %d, want 400", st)
	}
	// Beats in a burst (or from a second tab) at the same instant credit
	// nothing more: the clock of this test does not move.
	for i := 0; i < 10; i++ {
		if st, b := c.do("POST", "/api/v1/dashboard/patients/p1/review", `{"seconds": 120}`); st/100 != 2 {
			t.Errorf("burst beat: %d %s", st, b)
		}
	}
	log, err := e.state.ReviewLog(ctx, "p1", testNow.Add(-time.Hour), testNow.Add(time.Hour))
	must(t, err)
	if len(log) != 1 || log[0].Seconds != 30 || log[0].Username != "t1" {
		t.Errorf("review log = %+v, want one 30 s entry by t1", log)
	}
}

func TestSessionDrillDown(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	start := testNow.Add(-time.Hour)
	for _, s := range []balance.ExerciseSession{
		{ID: "s1", PatientID: "p1", DeviceID: "d1", Kind: balance.SessionTUG, Start: start, End: start.Add(10 * time.Second)},
		{ID: "s2", PatientID: "p2", DeviceID: "d2", Kind: balance.SessionTUG, Start: start, End: start.Add(10 * time.Second)},
	} {
		must(t, e.state.SaveExerciseSession(ctx, s))
	}
	// 10 s at 100 Hz inside the session, 1 s after it.
	var ss []balance.Sample
	for i := 0; i < 1100; i++ {
		ss = append(ss, balance.Sample{TimeNS: start.UnixNano() + int64(i)*1e7, Acc: [3]float64{0, 0, 9.81}})
	}
	must(t, e.samples.WriteBatches(ctx, []*balance.Batch{{DeviceID: "d1", PatientID: "p1", Samples: ss}}))
	t1 := e.login("t1")
	st, body := t1.do("GET", "/patients/p1/sessions/s1", "")
	if st != 200 || !strings.Contains(body, "<svg") || !strings.Contains(body, "1000 samples") {
		t.Errorf("session page: %d, svg %v, 1000 samples %v", st, strings.Contains(body, "<svg"), strings.Contains(body, "1000 samples"))
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/patients/p1/sessions/s2", 404}, // p2's session under p1
		{"/patients/p2/sessions/s2", 403},
		{"/patients/p1/sessions/s1/signal.svg", 200},
		{"/patients/p1/rtm?month=2026-11", 200},
	} {
		if st, _ := t1.do("GET", tc.path, ""); st != tc.want {
			t.Errorf("%s: %d, want %d", tc.path, st, tc.want)
		}
	}
}

// TestNotEnoughDataIsShownAsSuch: a patient whose risk could not be judged
// shows "not enough data" with what is missing on the list and the page,
// sorted after moderate and before low.
func TestNotEnoughDataIsShownAsSuch(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	must(t, e.state.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: "p1", Time: testNow.Add(-time.Hour), Level: balance.RiskNotEnoughData,
		Reasons: []balance.RiskReason{{Code: "not_enough_data", Level: balance.RiskNotEnoughData, Text: "not enough data to call the risk low: no walking speed or Timed Up and Go"}}}))
	must(t, e.state.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: "p2", Time: testNow.Add(-time.Hour), Level: balance.RiskLow}))
	must(t, e.state.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: "p3", Time: testNow.Add(-time.Hour), Level: balance.RiskModerate}))
	admin := e.login("admin")
	st, list := admin.do("GET", "/", "")
	if st != 200 || !strings.Contains(list, "not enough data") {
		t.Fatalf("list: %d, want 'not enough data' shown", st)
	}
	if i, j, k := strings.Index(list, `data-patient="p3"`), strings.Index(list, `data-patient="p1"`), strings.Index(list, `data-patient="p2"`); !(i < j && j < k) {
		t.Errorf("order p3 (moderate) %d, p1 (not enough data) %d, p2 (low) %d: want that order", i, j, k)
	}
	st, page := admin.do("GET", "/patients/p1", "")
	if st != 200 || !strings.Contains(page, "not enough data") || !strings.Contains(page, "no walking speed") || strings.Contains(page, "level-low") {
		t.Errorf("patient page: %d, want 'not enough data' and what is missing, never 'low'", st)
	}
}
