package sqlstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/balance-pt/balance"
)

// PatientSummaries returns every patient at a glance (latest risk, devices
// with status and last analysed sample, last fall alert, open alerts,
// exercise sessions since since and the plan's frequency) in a fixed number
// of grouped queries, whatever the number of patients. It reads the
// monitoring, alerts and plans tables.
func (s *Store) PatientSummaries(ctx context.Context, since time.Time) ([]balance.PatientSummary, error) {
	ps, err := s.Patients(ctx)
	if err != nil {
		return nil, err
	}
	return s.summaries(ctx, ps, since, false)
}

// PatientSummary returns one patient at a glance, as PatientSummaries
// would list them, reading only that patient's rows; ENOTFOUND for an
// unknown patient.
func (s *Store) PatientSummary(ctx context.Context, patientID string, since time.Time) (balance.PatientSummary, error) {
	p, err := s.Patient(ctx, patientID)
	if err != nil {
		return balance.PatientSummary{}, err
	}
	out, err := s.summaries(ctx, []balance.Patient{p}, since, true)
	if err != nil {
		return balance.PatientSummary{}, err
	}
	return out[0], nil
}

// summaries fills in the summaries of the patients ps. With one set, ps
// holds a single patient and every query reads only their rows: the
// patient filter is the last placeholder of each query.
func (s *Store) summaries(ctx context.Context, ps []balance.Patient, since time.Time, one bool) ([]balance.PatientSummary, error) {
	out := make([]balance.PatientSummary, len(ps))
	idx := make(map[string]int, len(ps))
	for i, p := range ps {
		out[i] = balance.PatientSummary{Patient: p, Devices: []balance.DeviceLine{}}
		idx[p.ID] = i
	}
	// only restricts a query's column col to the one patient (or not at all).
	only := func(col string) string {
		if one {
			return col + " = ?"
		}
		return "TRUE"
	}
	each := func(what, q string, scan func(*sql.Rows) error, args ...any) error {
		if one {
			args = append(args, ps[0].ID)
		}
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return s.errorf("summaries %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return s.errorf("summaries %s: %w", what, err)
			}
		}
		return rows.Err()
	}
	err := each("risk", `SELECT r.patient_id, r.t_ns, r.level, r.reasons FROM risk_assessments r
		JOIN (SELECT patient_id, MAX(t_ns) AS t FROM risk_assessments WHERE `+only("patient_id")+` GROUP BY patient_id) m
		ON m.patient_id = r.patient_id AND m.t = r.t_ns`,
		func(rows *sql.Rows) error {
			var id, level, reasons string
			var t int64
			if err := rows.Scan(&id, &t, &level, &reasons); err != nil {
				return err
			}
			if i, ok := idx[id]; ok {
				out[i].RiskLevel, out[i].RiskTime = level, time.Unix(0, t).UTC()
				if err := json.Unmarshal([]byte(reasons), &out[i].RiskReasons); err != nil {
					return fmt.Errorf("risk reasons of %s: %w", id, err)
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = each("devices", `SELECT d.id, d.patient_id, COALESCE(st.online, FALSE), COALESCE(st.battery_pct, -1), COALESCE(st.received_at, 0), COALESCE(w.t_ns, 0)
		FROM devices d LEFT JOIN device_status st ON st.device_id = d.id LEFT JOIN monitor_watermarks w ON w.device_id = d.id
		WHERE d.patient_id IS NOT NULL AND `+only("d.patient_id")+` ORDER BY d.id`,
		func(rows *sql.Rows) error {
			var d balance.DeviceLine
			var pid string
			var status, data int64
			if err := rows.Scan(&d.DeviceID, &pid, &d.Online, &d.BatteryPct, &status, &data); err != nil {
				return err
			}
			if status > 0 {
				d.LastStatus = time.Unix(0, status).UTC()
			}
			if data > 0 {
				d.LastData = time.Unix(0, data).UTC()
			}
			if i, ok := idx[pid]; ok {
				out[i].Devices = append(out[i].Devices, d)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = each("alerts", `SELECT patient_id, COUNT(CASE WHEN status = 'open' THEN 1 END), COALESCE(MAX(CASE WHEN kind = ? THEN occurred_at END), 0) FROM alerts WHERE `+only("patient_id")+` GROUP BY patient_id`,
		func(rows *sql.Rows) error {
			var pid string
			var open, fall int64
			if err := rows.Scan(&pid, &open, &fall); err != nil {
				return err
			}
			if i, ok := idx[pid]; ok {
				out[i].OpenAlerts = int(open)
				if fall > 0 {
					out[i].LastFall = time.Unix(0, fall).UTC()
				}
			}
			return nil
		}, balance.AlertFall)
	if err != nil {
		return nil, err
	}
	err = each("sessions", `SELECT patient_id, COUNT(*) FROM exercise_sessions WHERE kind = ? AND start_ns >= ? AND `+only("patient_id")+` GROUP BY patient_id`,
		func(rows *sql.Rows) error {
			var pid string
			var n int
			if err := rows.Scan(&pid, &n); err != nil {
				return err
			}
			if i, ok := idx[pid]; ok {
				out[i].SessionsLast7d = n
			}
			return nil
		}, balance.SessionExercise, since.UnixNano())
	if err != nil {
		return nil, err
	}
	err = each("plans", `SELECT patient_id, sessions_per_week FROM plans WHERE `+only("patient_id"),
		func(rows *sql.Rows) error {
			var pid string
			var n int
			if err := rows.Scan(&pid, &n); err != nil {
				return err
			}
			if i, ok := idx[pid]; ok {
				out[i].PlannedPerWeek = n
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
