package monitor_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
)

// TestHandlers: the JSON API answers the current risk with its history,
// the sessions and measurements, and refuses bad parameters and unknown
// patients with the error codes of the rest of the API.
func TestHandlers(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	ctx := t.Context()
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	if err := h.store.WriteMeasurements(ctx, []balance.Measurement{{Name: monitor.MeasSTS5, PatientID: testPatient, Time: at,
		Fields: map[string]float64{"seconds": 16, "stands": 5, "complete": 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.mon.AssessPatient(ctx, testPatient); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/patients/{id}/risk", h.mon.RiskHandler())
	mux.Handle("GET /api/v1/patients/{id}/sessions", h.mon.SessionsHandler())
	mux.Handle("GET /api/v1/patients/{id}/measurements", h.mon.MeasurementsHandler())
	get := func(url string, v any) int {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
		if v != nil {
			json.Unmarshal(rec.Body.Bytes(), v)
		}
		return rec.Code
	}
	var risk struct {
		Current balance.RiskAssessment
		History []balance.RiskAssessment
	}
	if c := get("/api/v1/patients/p1/risk", &risk); c != 200 || risk.Current.Level != balance.RiskHigh || len(risk.History) != 1 {
		t.Errorf("risk: %d %+v; want 200, high (5xSTS 16 s ≥ 15 s), one history entry", c, risk)
	}
	var ms struct{ Measurements []balance.Measurement }
	if c := get("/api/v1/patients/p1/measurements?name=sts5&from="+at.Add(-time.Minute).Format(time.RFC3339), &ms); c != 200 || len(ms.Measurements) != 1 {
		t.Errorf("measurements: %d %+v", c, ms)
	}
	var sess struct{ Sessions []balance.ExerciseSession }
	if c := get("/api/v1/patients/p1/sessions", &sess); c != 200 || sess.Sessions == nil || len(sess.Sessions) != 0 {
		t.Errorf("sessions: %d %+v; want 200 and an empty list", c, sess)
	}
	for url, want := range map[string]int{
		"/api/v1/patients/p1/measurements?name=nope":                                                   400,
		"/api/v1/patients/p1/measurements?name=fall&from=yesterday":                                    400,
		"/api/v1/patients/p1/measurements?name=fall&from=2026-11-28T10:00:00Z&to=2026-11-28T09:00:00Z": 400,
		"/api/v1/patients/p1/sessions?since=now":                                                       400,
		"/api/v1/patients/p1/risk?limit=0":                                                             400,
		"/api/v1/patients/nobody/risk":                                                                 404,
		"/api/v1/patients/nobody/sessions":                                                             404,
		"/api/v1/patients/nobody/measurements?name=fall":                                               404,
	} {
		var e struct{ Error, Message string }
		if c := get(url, &e); c != want || e.Error == "" || e.Message == "" {
			t.Errorf("%s: %d %+v, want %d with an error code and message", url, c, e, want)
		}
	}
}
