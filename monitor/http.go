package monitor

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
)

// RiskHandler serves GET /api/v1/patients/{id}/risk: the current
// assessment (computed now, not stored: the monitor stores assessments when
// their inputs change) and the stored history, newest first (?limit=,
// default 100).
func (m *Monitor) RiskHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		limit, err := limitParam(r)
		if err != nil {
			httpjson.Error(w, r, m.log, 0, err)
			return
		}
		cur, err := m.CurrentRisk(r.Context(), id)
		if err != nil {
			httpjson.Error(w, r, m.log, 0, err)
			return
		}
		hist, err := m.deps.State.RiskAssessments(r.Context(), id, time.Time{}, limit)
		if err != nil {
			httpjson.Error(w, r, m.log, 0, err)
			return
		}
		if hist == nil {
			hist = []balance.RiskAssessment{}
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"patient_id": id, "current": cur, "history": hist})
	})
}

// SessionsHandler serves GET /api/v1/patients/{id}/sessions?since=RFC3339
// (default: the last 30 days), oldest first.
func (m *Monitor) SessionsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := m.deps.State.Patient(r.Context(), id); err != nil {
			httpjson.Error(w, r, m.log, 0, err)
			return
		}
		since := m.deps.Now().Add(-30 * day)
		if v := r.URL.Query().Get("since"); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				httpjson.Error(w, r, m.log, 0, balance.Errorf(balance.EINVALID, "since: %v", err))
				return
			}
			since = t
		}
		ss, err := m.deps.State.ExerciseSessions(r.Context(), id, since)
		if err != nil {
			httpjson.Error(w, r, m.log, 0, err)
			return
		}
		if ss == nil {
			ss = []balance.ExerciseSession{}
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"patient_id": id, "since": since.UTC(), "sessions": ss})
	})
}

// MeasurementsHandler serves GET
// /api/v1/patients/{id}/measurements?name=&from=&to= (RFC 3339 times;
// default the last 7 days; name one of MeasurementNames).
func (m *Monitor) MeasurementsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		q := r.URL.Query()
		name := q.Get("name")
		if !slices.Contains(MeasurementNames, name) {
			httpjson.Error(w, r, m.log, 0, balance.Errorf(balance.EINVALID, "name must be one of %v", MeasurementNames))
			return
		}
		if _, err := m.deps.State.Patient(r.Context(), id); err != nil {
			httpjson.Error(w, r, m.log, 0, err)
			return
		}
		to := m.deps.Now()
		from := to.Add(-7 * day)
		for _, p := range []struct {
			key string
			dst *time.Time
		}{{"from", &from}, {"to", &to}} {
			if v := q.Get(p.key); v != "" {
				t, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					httpjson.Error(w, r, m.log, 0, balance.Errorf(balance.EINVALID, "%s: %v", p.key, err))
					return
				}
				*p.dst = t
			}
		}
		if !from.Before(to) {
			httpjson.Error(w, r, m.log, 0, balance.Errorf(balance.EINVALID, "from must be before to"))
			return
		}
		ms, err := m.deps.Store.ReadMeasurements(r.Context(), balance.MeasurementQuery{Name: name, PatientID: id, From: from, To: to})
		if err != nil {
			httpjson.Error(w, r, m.log, 0, err)
			return
		}
		if ms == nil {
			ms = []balance.Measurement{}
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"patient_id": id, "name": name, "from": from.UTC(), "to": to.UTC(), "measurements": ms})
	})
}

func limitParam(r *http.Request) (int, error) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 10000 {
			return 0, balance.Errorf(balance.EINVALID, "limit must be 1..10000")
		}
		limit = n
	}
	return limit, nil
}
