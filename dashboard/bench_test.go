package dashboard_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

// benchRequest serves one authenticated request through the front door
// and the handler (server time only: no network).
func benchRequest(b *testing.B, e *env, user, path string) {
	b.Helper()
	c := e.login(user)
	cookies := c.Jar.Cookies(mustURL(e.ts.URL))
	h := e.srv.Handler()
	req := httptest.NewRequest("GET", path, nil)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	}
}

// BenchmarkPatientList1000 renders the patient list (HTML) for an admin
// with 1,000 patients, each with a device and status, risk assessments
// and an alert.
func BenchmarkPatientList1000(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	levels := []string{balance.RiskLow, balance.RiskModerate, balance.RiskHigh}
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("bp%04d", i)
		must(b, e.state.CreatePatient(ctx, balance.Patient{ID: id, Name: "Bench " + id}))
		must(b, e.state.RegisterDevice(ctx, balance.Device{ID: "bd" + id, PatientID: id}))
		must(b, e.state.SaveStatus(ctx, balance.DeviceStatus{DeviceID: "bd" + id, Online: i%2 == 0, BatteryPct: float64(i % 100), ReceivedAt: testNow}))
		for k := 0; k < 3; k++ {
			must(b, e.state.SaveRiskAssessment(ctx, balance.RiskAssessment{PatientID: id, Time: testNow.Add(-time.Duration(k) * time.Hour), Level: levels[(i+k)%3],
				Reasons: []balance.RiskReason{{Code: "gait", Text: "gait speed 0.85 m/s", Value: 0.85, Threshold: 1, Unit: "m/s", Level: balance.RiskModerate}}}))
		}
		_, err := e.state.AlertStore().Enqueue(ctx, balance.Alert{ID: "ba" + id, Kind: balance.AlertRiskRose, Severity: balance.SeverityHigh, PatientID: id,
			Summary: "risk rose", GroupKey: id, OccurredAt: testNow, CreatedAt: testNow, Status: balance.AlertOpen}, nil, testNow)
		must(b, err)
	}
	benchRequest(b, e, "admin", "/")
}

// BenchmarkPatientPage90Days renders one patient's page (HTML with its
// seven inline SVG charts) over 90 days of measurements: 6 walking bouts,
// 3 sway tests a day, and a TUG and 5xSTS a week.
func BenchmarkPatientPage90Days(b *testing.B) {
	e := newEnv(b)
	writeMeasurements(b, e, "p1", 90)
	for d := 0; d < 90; d++ {
		must(b, e.state.SaveRiskAssessment(context.Background(), balance.RiskAssessment{PatientID: "p1", Time: testNow.AddDate(0, 0, -d), Level: balance.RiskModerate}))
	}
	benchRequest(b, e, "t1", "/patients/p1")
}
