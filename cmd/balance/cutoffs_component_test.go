package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
)

// TestPatientCutoffsReachMonitoring: the cut-offs a clinician sets for a
// patient (the dashboard's cut-offs page stores them in the state
// database) are the ones the running system's risk assessment applies and
// its charts draw. A neuropathy patient's TUG of 13 s is high risk by the
// neuropathy defaults (high from 12 s, balance.NeuropathyThresholds) and
// moderate with own cut-offs 12.5 / 14.5 s.
func TestPatientCutoffsReachMonitoring(t *testing.T) {
	a, base := dashboardApp(t)
	if a.Monitor == nil {
		t.Fatal("monitoring is off in the embedded default")
	}
	ctx := context.Background()
	if st := apiCall(t, "POST", base+"/api/v1/patients", "admin", e2eAdminPassword, `{"id":"cut-1","name":"Cut Offs","neuropathy":true}`, nil); st != 201 {
		t.Fatalf("create patient: %d", st)
	}
	if err := a.Store.WriteMeasurements(ctx, []balance.Measurement{{Name: monitor.MeasTUG, PatientID: "cut-1", Time: time.Now().Add(-time.Hour),
		Fields: map[string]float64{"seconds": 13}}}); err != nil {
		t.Fatal(err)
	}
	tug := func() balance.RiskReason {
		t.Helper()
		r, err := a.Monitor.CurrentRisk(ctx, "cut-1")
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range r.Reasons {
			if strings.HasPrefix(x.Code, "tug") {
				return x
			}
		}
		t.Fatalf("no TUG reason in %+v", r.Reasons)
		return balance.RiskReason{}
	}
	if r := tug(); r.Level != balance.RiskHigh || r.Threshold != 12 {
		t.Errorf("with the clinic's cut-offs: %+v, want high at 12 s", r)
	}
	own := balance.NeuropathyThresholds().Cutoffs()
	own.TUGModerate, own.TUGHigh, own.By = 12.5, 14.5, "therapist"
	if err := a.State.SetPatientCutoffs(ctx, "cut-1", &own); err != nil {
		t.Fatal(err)
	}
	if r := tug(); r.Level != balance.RiskModerate || r.Threshold != 12.5 {
		t.Errorf("with the patient's cut-offs: %+v, want moderate at 12.5 s", r)
	}
	req, _ := http.NewRequest("GET", base+"/patients/cut-1/charts/tug.svg", nil)
	req.SetBasicAuth("admin", e2eAdminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	svg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(svg), "high risk from: 14.5<") || !strings.Contains(string(svg), "moderate risk from: 12.5<") {
		t.Errorf("chart: %d, draws 14.5 %v, 12.5 %v", resp.StatusCode, strings.Contains(string(svg), "high risk from: 14.5<"), strings.Contains(string(svg), "moderate risk from: 12.5<"))
	}
}
