package sqlstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/balance-pt/balance"
)

// Watermarks returns, per device, the device time (Unix ns) of the last
// sample monitoring has analysed.
func (s *Store) Watermarks(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device_id, t_ns FROM monitor_watermarks`)
	if err != nil {
		return nil, s.errorf("watermarks: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var t int64
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, rows.Err()
}

// Watermark returns one device's analysis watermark, 0 when none is saved.
func (s *Store) Watermark(ctx context.Context, deviceID string) (int64, error) {
	var t int64
	err := s.db.QueryRowContext(ctx, `SELECT t_ns FROM monitor_watermarks WHERE device_id = ?`, deviceID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.errorf("watermark of %s: %w", deviceID, err)
	}
	return t, nil
}

// SaveWatermarks records analysis watermarks in one transaction; a
// watermark never moves backwards.
func (s *Store) SaveWatermarks(ctx context.Context, wm map[string]int64) error {
	if len(wm) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("save watermarks: %w", err)
	}
	defer tx.Rollback()
	now := s.Now().UnixNano()
	for id, t := range wm {
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_watermarks (device_id, t_ns, updated_at) VALUES (?, ?, ?)
			ON CONFLICT(device_id) DO UPDATE SET t_ns = `+s.d.Greatest+`(monitor_watermarks.t_ns, excluded.t_ns), updated_at = excluded.updated_at`, id, t, now); err != nil {
			return s.errorf("save watermark of %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("save watermarks: %w", err)
	}
	return nil
}

// SaveExerciseSession stores a measured session, replacing one with the
// same ID (so that analysing a session again does not count it twice).
func (s *Store) SaveExerciseSession(ctx context.Context, e balance.ExerciseSession) error {
	if e.ID == "" || e.PatientID == "" {
		return balance.Errorf(balance.EINVALID, "exercise session needs an id and a patient")
	}
	sway, err := json.Marshal(orEmpty(e.Sway))
	if err != nil {
		return balance.Errorf(balance.EINVALID, "session %s: sway: %v", e.ID, err)
	}
	res, err := json.Marshal(orEmpty(e.Result))
	if err != nil {
		return balance.Errorf(balance.EINVALID, "session %s: result: %v", e.ID, err)
	}
	q := e.Quality
	if q == nil {
		q = []string{}
	}
	qual, _ := json.Marshal(q)
	_, err = s.db.ExecContext(ctx, `INSERT INTO exercise_sessions (id, patient_id, device_id, kind, exercise_id, start_ns, end_ns, hold_s, losses, sway, result, quality)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET patient_id = excluded.patient_id, device_id = excluded.device_id, kind = excluded.kind,
			exercise_id = excluded.exercise_id, start_ns = excluded.start_ns, end_ns = excluded.end_ns, hold_s = excluded.hold_s,
			losses = excluded.losses, sway = excluded.sway, result = excluded.result, quality = excluded.quality`,
		e.ID, e.PatientID, e.DeviceID, e.Kind, e.ExerciseID, e.Start.UnixNano(), e.End.UnixNano(), e.HoldS, e.LossesOfBalance,
		string(sway), string(res), string(qual))
	if err != nil {
		return s.errorf("save session %s: %w", e.ID, err)
	}
	return nil
}

func orEmpty(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

const sessionCols = `id, patient_id, device_id, kind, exercise_id, start_ns, end_ns, hold_s, losses, sway, result, quality`

func (s *Store) scanSession(sc interface{ Scan(...any) error }) (balance.ExerciseSession, error) {
	var e balance.ExerciseSession
	var start, end int64
	var sway, res, qual string
	if err := sc.Scan(&e.ID, &e.PatientID, &e.DeviceID, &e.Kind, &e.ExerciseID, &start, &end, &e.HoldS, &e.LossesOfBalance, &sway, &res, &qual); err != nil {
		return e, err
	}
	e.Start, e.End = time.Unix(0, start).UTC(), time.Unix(0, end).UTC()
	if err := json.Unmarshal([]byte(sway), &e.Sway); err != nil {
		return e, s.errorf("session %s sway: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(res), &e.Result); err != nil {
		return e, s.errorf("session %s result: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(qual), &e.Quality); err != nil {
		return e, s.errorf("session %s quality: %w", e.ID, err)
	}
	if len(e.Sway) == 0 {
		e.Sway = nil
	}
	if len(e.Result) == 0 {
		e.Result = nil
	}
	if len(e.Quality) == 0 {
		e.Quality = nil
	}
	return e, nil
}

// ExerciseSession returns one session, or ENOTFOUND.
func (s *Store) ExerciseSession(ctx context.Context, id string) (balance.ExerciseSession, error) {
	e, err := s.scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM exercise_sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFound("session", id)
	}
	if err != nil {
		return e, s.errorf("session %s: %w", id, err)
	}
	return e, nil
}

// ExerciseSessions returns a patient's sessions that started at or after
// since, oldest first.
func (s *Store) ExerciseSessions(ctx context.Context, patientID string, since time.Time) ([]balance.ExerciseSession, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sessionCols+` FROM exercise_sessions WHERE patient_id = ? AND start_ns >= ? ORDER BY start_ns, id`,
		patientID, since.UnixNano())
	if err != nil {
		return nil, s.errorf("sessions of %s: %w", patientID, err)
	}
	defer rows.Close()
	var out []balance.ExerciseSession
	for rows.Next() {
		e, err := s.scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SaveRiskAssessment appends a fall-risk assessment to the patient's
// history (the same patient and time replaces it).
func (s *Store) SaveRiskAssessment(ctx context.Context, r balance.RiskAssessment) error {
	reasons := r.Reasons
	if reasons == nil {
		reasons = []balance.RiskReason{}
	}
	b, err := json.Marshal(reasons)
	if err != nil {
		return balance.Errorf(balance.EINVALID, "risk of %s: reasons: %v", r.PatientID, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO risk_assessments (patient_id, t_ns, level, reasons) VALUES (?, ?, ?, ?)
		ON CONFLICT(patient_id, t_ns) DO UPDATE SET level = excluded.level, reasons = excluded.reasons`,
		r.PatientID, r.Time.UnixNano(), r.Level, string(b))
	if err != nil {
		return s.errorf("save risk of %s: %w", r.PatientID, err)
	}
	return nil
}

// RiskAssessments returns a patient's assessments at or after since,
// newest first, at most limit (100 when limit <= 0).
func (s *Store) RiskAssessments(ctx context.Context, patientID string, since time.Time, limit int) ([]balance.RiskAssessment, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t_ns, level, reasons FROM risk_assessments WHERE patient_id = ? AND t_ns >= ? ORDER BY t_ns DESC LIMIT ?`,
		patientID, since.UnixNano(), limit)
	if err != nil {
		return nil, s.errorf("risk of %s: %w", patientID, err)
	}
	defer rows.Close()
	var out []balance.RiskAssessment
	for rows.Next() {
		r := balance.RiskAssessment{PatientID: patientID}
		var t int64
		var reasons string
		if err := rows.Scan(&t, &r.Level, &reasons); err != nil {
			return nil, err
		}
		r.Time = time.Unix(0, t).UTC()
		if err := json.Unmarshal([]byte(reasons), &r.Reasons); err != nil {
			return nil, s.errorf("risk of %s reasons: %w", patientID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
