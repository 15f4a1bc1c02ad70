package monitor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
)

func allDay(c *monitor.Config) { c.Clinic.ExpectedHours = "00:00-24:00" }

// TestTrend: gait speed down by more than its MDC (0.1 m/s) between the
// two weeks of the window alerts; down by less does not.
func TestTrend(t *testing.T) {
	for _, tt := range []struct {
		late float64
		want bool
	}{{0.85, true}, {0.95, false}} {
		h := newHarness(t, monitor.DefaultConfig())
		ctx := context.Background()
		now := time.Now().UTC()
		var ms []balance.Measurement
		for d := 1; d <= 13; d++ {
			if d == 7 {
				continue
			}
			v := 1.0
			if d < 7 {
				v = tt.late
			}
			ms = append(ms, balance.Measurement{Name: monitor.MeasGaitBout, PatientID: testPatient, Time: now.Add(-time.Duration(d) * 24 * time.Hour),
				Tags: map[string]string{"source": "free_living"}, Fields: map[string]float64{"speed_mps": v, "duration_s": 30}})
		}
		if err := h.store.WriteMeasurements(ctx, ms); err != nil {
			t.Fatal(err)
		}
		a, ok, err := h.mon.Trend(ctx, testPatient, now)
		if err != nil {
			t.Fatal(err)
		}
		if ok != tt.want {
			t.Fatalf("late speed %v: alert %v, want %v", tt.late, ok, tt.want)
		}
		if ok && (a.Kind != balance.AlertTrend || a.Details["drop"] != "0.15" || len(a.Evidence) == 0) {
			t.Errorf("trend alert %+v", a)
		}
	}
}

// TestSessionsMissed: a patient registered 10 days ago with the default
// plan of 3 a week who did 1 exercise block in 7 days is alerted; with 2
// (at least half of 3) not.
func TestSessionsMissed(t *testing.T) {
	for _, tt := range []struct {
		blocks int
		want   bool
	}{{1, true}, {2, false}} {
		h := newHarness(t, monitor.DefaultConfig())
		ctx := context.Background()
		now := time.Now().UTC()
		h.state.Now = func() time.Time { return now.Add(-10 * 24 * time.Hour) }
		if err := h.state.CreatePatient(ctx, balance.Patient{ID: "p2"}); err != nil {
			t.Fatal(err)
		}
		for i := range tt.blocks {
			st := now.Add(-time.Duration(i+1) * 24 * time.Hour)
			if err := h.state.SaveExerciseSession(ctx, balance.ExerciseSession{ID: "s" + st.String(), PatientID: "p2", DeviceID: "d9",
				Kind: balance.SessionExercise, Start: st, End: st.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		a, ok, err := h.mon.SessionsMissed(ctx, "p2", now)
		if err != nil {
			t.Fatal(err)
		}
		if ok != tt.want {
			t.Fatalf("%d blocks: alert %v, want %v", tt.blocks, ok, tt.want)
		}
		if ok && (a.Kind != balance.AlertSessionsMissed || a.Details["done"] != "1" || a.Details["planned_per_week"] != "3") {
			t.Errorf("alert %+v", a)
		}
		// A patient registered today is not judged.
		if _, ok, _ := h.mon.SessionsMissed(ctx, testPatient, now); ok {
			t.Error("a new patient was alerted for missed sessions")
		}
	}
}

// TestRiskRoseAndHistory: a TUG of 14 s (≥ 13.5 s) makes the risk high,
// stores it in the history and raises one risk_rose alert; assessing
// again with nothing new adds nothing.
func TestRiskRoseAndHistory(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	ctx := context.Background()
	h.start()
	if err := h.store.WriteMeasurements(ctx, []balance.Measurement{{Name: monitor.MeasTUG, PatientID: testPatient,
		Time: time.Now().Add(-time.Hour), Fields: map[string]float64{"seconds": 14}}}); err != nil {
		t.Fatal(err)
	}
	a, err := h.mon.AssessPatient(ctx, testPatient)
	if err != nil {
		t.Fatal(err)
	}
	if a.Level != balance.RiskHigh || len(a.Reasons) != 1 || a.Reasons[0].Code != "tug_at_least_13.5" {
		t.Fatalf("assessment %+v", a)
	}
	if _, err := h.mon.AssessPatient(ctx, testPatient); err != nil {
		t.Fatal(err)
	}
	hist, err := h.state.RiskAssessments(ctx, testPatient, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Level != balance.RiskHigh {
		t.Errorf("history %+v, want one high assessment", hist)
	}
	rose := h.sink.kind(balance.AlertRiskRose)
	if len(rose) != 1 || rose[0].Severity != balance.SeverityHigh || rose[0].Details["previous_level"] != balance.RiskLow {
		t.Errorf("risk alerts %+v, want one high from low", rose)
	}
	// A second, slower TUG: same level and reason code, a new value. The
	// history shows it (reasons as of now), and no second alert is raised.
	if err := h.store.WriteMeasurements(ctx, []balance.Measurement{{Name: monitor.MeasTUG, PatientID: testPatient,
		Time: time.Now().Add(-time.Minute), Fields: map[string]float64{"seconds": 16}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.mon.AssessPatient(ctx, testPatient); err != nil {
		t.Fatal(err)
	}
	hist, err = h.state.RiskAssessments(ctx, testPatient, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Reasons[0].Value != 16 {
		t.Errorf("history after a slower TUG %+v, want a new entry with 16 s first", hist)
	}
	if n := len(h.sink.kind(balance.AlertRiskRose)); n != 1 {
		t.Errorf("%d risk_rose alerts, want still 1 (the level did not rise)", n)
	}
}

// TestDeviceOffline: a device that reported itself offline 2 h ago, in
// expected hours, gives one device_offline alert however often checked.
func TestDeviceOffline(t *testing.T) {
	cfg := monitor.DefaultConfig()
	allDay(&cfg)
	h := newHarness(t, cfg)
	ctx := context.Background()
	now := time.Now()
	if err := h.state.SaveStatus(ctx, balance.DeviceStatus{DeviceID: testDevice, Online: false, BatteryPct: 3, ReceivedAt: now.Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h.mon.CheckDevices(ctx, now)
	h.mon.CheckDevices(ctx, now.Add(time.Minute))
	if got := h.sink.kind(balance.AlertDeviceOffline); len(got) != 1 || got[0].DeviceID != testDevice {
		t.Fatalf("offline alerts %+v, want one for %s", got, testDevice)
	}
	if h.sink.callCount() != 1 {
		t.Errorf("%d Raise calls, want 1", h.sink.callCount())
	}
	// Back online: the alert resolves.
	if err := h.state.SaveStatus(ctx, balance.DeviceStatus{DeviceID: testDevice, Online: true, BatteryPct: 80, ReceivedAt: now.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	h.mon.OnBatch(&balance.Batch{DeviceID: testDevice, PatientID: testPatient, RateHz: 100, Samples: []balance.Sample{{TimeNS: now.Add(2 * time.Minute).UnixNano(), Acc: [3]float64{0, 0, 9.81}}}})
	h.mon.CheckDevices(ctx, now.Add(2*time.Minute))
	if got := h.sink.kind(balance.AlertDeviceOffline); len(got) != 1 || got[0].Status != balance.AlertResolved || !strings.Contains(got[0].ResolvedReason, "online") {
		t.Errorf("offline alert after the device came back: %+v, want resolved", got)
	}
}

// stillSamples is a device lying on a table: gravity on one axis plus
// white noise of sd m/s².
func stillSamples(base time.Time, n int, sd float64) []balance.Sample {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]balance.Sample, n)
	for i := range out {
		out[i] = balance.Sample{TimeNS: base.UnixNano() + int64(i)*1e7,
			Acc: [3]float64{rng.NormFloat64() * sd, rng.NormFloat64() * sd, 9.81 + rng.NormFloat64()*sd}}
	}
	return out
}

// TestNotWorn: 70 s of a motionless device (noise 0.005 m/s², below the
// 0.02 floor) with not_worn_after = 1 min raises not_worn; the same with
// a walk at the end does not.
func TestNotWorn(t *testing.T) {
	cfg := monitor.DefaultConfig()
	allDay(&cfg)
	cfg.Clinic.NotWornAfter = time.Minute
	h := newHarness(t, cfg)
	h.start()
	base := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	h.feed(stillSamples(base, 7000, 0.005), 100, nil)
	h.waitIdle()
	if got := h.sink.kind(balance.AlertNotWorn); len(got) != 1 {
		t.Fatalf("%d not-worn alerts, want 1", len(got))
	}

	h2 := newHarness(t, cfg)
	h2.start()
	ss := stillSamples(base, 5000, 0.005)
	walk, _, _ := scenario(t, func(s *sim.Scenario) { s.Walk(sim.NormalWalk(sim.DefaultBody(), 30)) }, base.Add(50*time.Second))
	h2.feed(append(ss, walk...), 100, nil)
	h2.waitIdle()
	if got := h2.sink.kind(balance.AlertNotWorn); len(got) != 0 {
		t.Fatalf("%d not-worn alerts for a device that walked, want 0", len(got))
	}
}

// TestSinkDownLosesNoAlert: while the sink refuses, the fall alert is kept
// and raised once it accepts again.
func TestSinkDownLosesNoAlert(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	h.sink.fail = true
	h.start()
	ss, evs, _ := scenario(t, func(s *sim.Scenario) {
		s.Idle(5)
		s.Fall(sim.FallSpec{Kind: sim.FallBackward, LieS: 10, GetUp: true})
		s.Idle(5)
	}, time.Now().Add(-time.Hour).Truncate(time.Second))
	h.feed(ss, 100, evs)
	h.waitIdle()
	if n := len(h.sink.kind(balance.AlertFall)); n != 0 {
		t.Fatalf("%d alerts accepted by a failing sink", n)
	}
	h.sink.mu.Lock()
	h.sink.fail = false
	h.sink.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for len(h.sink.kind(balance.AlertFall)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(h.sink.kind(balance.AlertFall)); n != 1 {
		t.Fatalf("%d fall alerts after the sink recovered, want 1", n)
	}
}

// TestDeviceSilent: a device whose newest stored sample is 2 h old gets
// one device_offline alert dated from that sample; a restarted monitor
// raises the same alert ID (so the sink keeps one).
func TestDeviceSilent(t *testing.T) {
	cfg := monitor.DefaultConfig()
	allDay(&cfg)
	h := newHarness(t, cfg)
	ctx := context.Background()
	last := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	if err := h.store.WriteBatches(ctx, []*balance.Batch{{DeviceID: testDevice, PatientID: testPatient, RateHz: 100,
		Samples: stillSamples(last.Add(-time.Second), 101, 0.01)}}); err != nil {
		t.Fatal(err)
	}
	h.mon.CheckDevices(ctx, time.Now())
	h.open()
	h.mon.CheckDevices(ctx, time.Now())
	got := h.sink.kind(balance.AlertDeviceOffline)
	if len(got) != 1 || h.sink.kindCalls(balance.AlertDeviceOffline) != 2 {
		t.Fatalf("%d offline alerts in %d calls, want 1 alert raised twice (once per run)", len(got), h.sink.kindCalls(balance.AlertDeviceOffline))
	}
	if since := got[0].Details["since"]; since != last.UTC().Format(time.RFC3339Nano) {
		t.Errorf("offline since %s, want the last sample's time %s", since, last.UTC().Format(time.RFC3339Nano))
	}
}

// TestNeuropathyThresholdsApply: the same TUG of 11.2 s is low risk for a
// patient without neuropathy (standard cut-off 12 s) and moderate for one
// with it (11 s).
func TestNeuropathyThresholdsApply(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	ctx := context.Background()
	if err := h.state.CreatePatient(ctx, balance.Patient{ID: "pn", Neuropathy: true}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	for _, p := range []string{testPatient, "pn"} {
		// A TUG, and a sit-to-stand past no cut-off (a balance and strength
		// measure: without one the risk could not be called low).
		if err := h.store.WriteMeasurements(ctx, []balance.Measurement{{Name: monitor.MeasTUG, PatientID: p, Time: at,
			Fields: map[string]float64{"seconds": 11.2}}, {Name: monitor.MeasSTS5, PatientID: p, Time: at,
			Fields: map[string]float64{"seconds": 9, "complete": 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	std, err := h.mon.CurrentRisk(ctx, testPatient)
	if err != nil {
		t.Fatal(err)
	}
	pn, err := h.mon.CurrentRisk(ctx, "pn")
	if err != nil {
		t.Fatal(err)
	}
	if std.Level != balance.RiskLow || pn.Level != balance.RiskModerate {
		t.Errorf("TUG 11.2 s: %s without neuropathy, %s with; want low and moderate", std.Level, pn.Level)
	}
}

// TestRiskInputsFromStores: the inputs are read from what monitoring
// stores: bouts over 10 s for speed (a 6 s bout and an implausible one are
// left out), the latest TUG and 5xSTS, the latest tandem hold, losses of
// balance and exercise blocks over 14 days, falls within 90 days and a year.
func TestRiskInputsFromStores(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	ctx := context.Background()
	now := time.Now().UTC()
	ago := func(d float64) time.Time { return now.Add(-time.Duration(d * 24 * float64(time.Hour))) }
	ms := []balance.Measurement{
		{Name: monitor.MeasGaitBout, Time: ago(1), Fields: map[string]float64{"speed_mps": 0.9, "duration_s": 20, "num_strides": 10, "stride_time_sd_s": 0.05}},
		{Name: monitor.MeasGaitBout, Time: ago(2), Fields: map[string]float64{"speed_mps": 0.7, "duration_s": 30, "num_strides": 12, "stride_time_sd_s": 0.07}},
		{Name: monitor.MeasGaitBout, Time: ago(3), Fields: map[string]float64{"speed_mps": 2.0, "duration_s": 6, "num_strides": 4, "stride_time_sd_s": 0.09}},
		{Name: monitor.MeasGaitBout, Time: ago(4), Fields: map[string]float64{"speed_mps": 3.0, "duration_s": 40, "num_strides": 2, "q_speed_implausible": 1}},
		{Name: monitor.MeasGaitBout, Time: ago(20), Fields: map[string]float64{"speed_mps": 0.1, "duration_s": 40, "num_strides": 20, "stride_time_sd_s": 0.5}},
		{Name: monitor.MeasTUG, Time: ago(30), Fields: map[string]float64{"seconds": 15}},
		{Name: monitor.MeasTUG, Time: ago(2), Fields: map[string]float64{"seconds": 10}},
		{Name: monitor.MeasSTS5, Time: ago(2), Fields: map[string]float64{"seconds": 0, "stands": 3, "complete": 0}},
		{Name: monitor.MeasFall, Time: ago(200), Fields: map[string]float64{"confidence": 1}},
		{Name: monitor.MeasFall, Time: ago(10), Fields: map[string]float64{"confidence": 1}},
	}
	for i := range ms {
		ms[i].PatientID = testPatient
	}
	if err := h.store.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	for i, s := range []balance.ExerciseSession{
		{Kind: balance.SessionExercise, ExerciseID: "tandem", Start: ago(5), HoldS: 12, LossesOfBalance: 1},
		{Kind: balance.SessionFourStage, ExerciseID: "tandem", Start: ago(3), HoldS: 7},
		{Kind: balance.SessionExercise, ExerciseID: "semi-tandem", Start: ago(1), HoldS: 30, LossesOfBalance: 1},
		{Kind: balance.SessionExercise, ExerciseID: "tandem", Start: ago(30), LossesOfBalance: 5},
	} {
		s.ID, s.PatientID, s.DeviceID, s.End = fmt.Sprint("s", i), testPatient, testDevice, s.Start.Add(time.Minute)
		if err := h.state.SaveExerciseSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	in, err := h.mon.RiskInputsFor(ctx, testPatient, now, balance.StandardThresholds())
	if err != nil {
		t.Fatal(err)
	}
	// Speed: mean of 0.9 and 0.7 = 0.8; stride SD: mean of 0.05, 0.07, 0.09 (the 6 s bout has 4 strides) = 0.07.
	if !near(in.GaitSpeedMPS, 0.8) || !near(in.StrideTimeSDS, 0.07) {
		t.Errorf("speed %v, stride SD %v; want 0.8, 0.07", in.GaitSpeedMPS, in.StrideTimeSDS)
	}
	if in.TUGS != 10 || !in.STS5Incomplete || in.TandemHoldS != 7 || !in.HasTandem {
		t.Errorf("TUG %v, 5xSTS incomplete %v, tandem %v/%v; want 10, true, 7/true", in.TUGS, in.STS5Incomplete, in.TandemHoldS, in.HasTandem)
	}
	if in.LossesOfBalance != 2 || in.FallsRecent != 1 || in.FallsYear != 2 {
		t.Errorf("losses %d, falls %d recent / %d year; want 2, 1, 2", in.LossesOfBalance, in.FallsRecent, in.FallsYear)
	}
	// Registered today: adherence not judged yet.
	if in.SessionsPlanned != 0 {
		t.Errorf("planned %v for a patient registered today, want 0", in.SessionsPlanned)
	}
}

// near compares means of a few decimals, exact up to rounding.
func near(a, b float64) bool { return scalar.EqualWithinAbsOrRel(a, b, 1e-12, 1e-12) }
