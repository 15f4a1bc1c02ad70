package statetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// testPatientSummary: each patient's PatientSummary equals their element of
// PatientSummaries, with every part (risk, devices, alerts, sessions, plan)
// filled from their rows only, and an unknown patient is ENOTFOUND.
func testPatientSummary(t *testing.T, bk Backend) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Hour) // clock-relative: nothing here may age out of a retention window
	db, as := bk.openBoth(t, bk.NewDatabase(t), Options{Now: func() time.Time { return now }})
	since := now.Add(-7 * 24 * time.Hour)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// p1 and p2 have data of every kind, told apart by its values; p3 none.
	for i, id := range []string{"p1", "p2", "p3"} {
		must(db.CreatePatient(ctx, balance.Patient{ID: id, Name: "Patient " + id, Neuropathy: i == 1}))
		if id == "p3" {
			continue
		}
		n := time.Duration(i + 1)
		dev := "d" + id[1:]
		must(db.RegisterDevice(ctx, balance.Device{ID: dev, PatientID: id}))
		must(db.SaveStatus(ctx, balance.DeviceStatus{DeviceID: dev, Online: true, BatteryPct: 50 + float64(i), ReceivedAt: now.Add(-n * time.Minute)}))
		must(db.SaveWatermarks(ctx, map[string]int64{dev: now.Add(-n * time.Hour).UnixNano()}))
		must(db.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: id, Time: now.Add(-2 * n * time.Hour), Level: balance.RiskLow, Reasons: []balance.RiskReason{}}))
		must(db.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: id, Time: now.Add(-n * time.Hour), Level: balance.RiskHigh,
			Reasons: []balance.RiskReason{{Code: "tug_at_least_13.5", Text: "TUG", Value: 14 + float64(i), Threshold: 13.5, Unit: "s", Level: balance.RiskHigh}}}))
		for j := 0; j <= i+1; j++ { // 0, 4, 8 days ago: p2 has one before since
			must(db.SaveExerciseSession(ctx, balance.ExerciseSession{ID: fmt.Sprint(id, ":s", j), PatientID: id, DeviceID: dev, Kind: balance.SessionExercise,
				Start: now.Add(-time.Duration(j*4) * 24 * time.Hour), End: now.Add(-time.Duration(j*4)*24*time.Hour + time.Minute)}))
		}
		for j, kind := range []string{balance.AlertFall, balance.AlertTrend, balance.AlertFall} {
			aid := fmt.Sprint(id, ":a", j)
			_, err := as.Enqueue(ctx, balance.Alert{ID: aid, Kind: kind, Severity: balance.SeverityUrgent, PatientID: id, Summary: "s",
				GroupKey: id + "/" + kind, OccurredAt: now.Add(-time.Duration(j+i) * time.Hour), CreatedAt: now, Status: balance.AlertOpen}, nil, now)
			must(err)
			if j == 0 && i == 0 {
				_, err := as.Ack(ctx, aid, "dr", now)
				must(err)
			}
		}
		p := balance.Plan{PatientID: id, LevelID: "feet-apart", SessionsPerWeek: 3 + i, Mode: balance.PlanSuggest, Exercises: []string{"walking"},
			CatalogVersion: 1, AssignedAt: now, LevelSince: now, UpdatedAt: now, UpdatedBy: "dr"}
		_, err := db.AddPlanChange(ctx, &p, balance.PlanChange{ID: id + ":c", PatientID: id, Time: now, Kind: balance.ChangeAssign, ToLevel: "feet-apart",
			Reasons: []balance.PlanReason{{Code: "assigned", Text: "set"}}, Status: balance.ChangeApplied, By: "dr"})
		must(err)
	}
	all, err := db.PatientSummaries(ctx, since)
	must(err)
	if len(all) != 3 {
		t.Fatalf("PatientSummaries: %d summaries, want 3", len(all))
	}
	for _, want := range all {
		got, err := db.PatientSummary(ctx, want.Patient.ID, since)
		if err != nil {
			t.Fatalf("PatientSummary(%s): %v", want.Patient.ID, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PatientSummary(%s) (-PatientSummaries +PatientSummary):\n%s", want.Patient.ID, diff)
		}
	}
	// The comparison above is not vacuous: p2's summary has every part.
	p2 := all[1]
	if p2.Patient.ID != "p2" || !p2.Patient.Neuropathy || p2.RiskLevel != balance.RiskHigh || len(p2.RiskReasons) != 1 || p2.RiskReasons[0].Value != 15 ||
		len(p2.Devices) != 1 || p2.Devices[0].BatteryPct != 51 || p2.Devices[0].LastData.IsZero() || p2.OpenAlerts != 3 ||
		!p2.LastFall.Equal(now.Add(-time.Hour)) || p2.SessionsLast7d != 2 || p2.PlannedPerWeek != 4 {
		t.Errorf("p2 summary = %+v", p2)
	}
	if p1 := all[0]; p1.OpenAlerts != 2 || p1.SessionsLast7d != 2 || p1.PlannedPerWeek != 3 {
		t.Errorf("p1 summary = %+v", p1)
	}
	if _, err := db.PatientSummary(ctx, "nobody", since); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("PatientSummary(nobody) = %v, want not_found", err)
	}
}
