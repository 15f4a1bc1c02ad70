package sqlstate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// AddSilence implements alerts.Store.
func (s *AlertStore) AddSilence(ctx context.Context, sl balance.Silence) (balance.Silence, error) {
	err := s.db.QueryRowContext(ctx, `INSERT INTO alert_silences (patient_id, device_id, kinds, starts_at, ends_at, reason, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, sl.PatientID, sl.DeviceID, strings.Join(sl.Kinds, ","), sl.StartsAt.UnixNano(), sl.EndsAt.UnixNano(),
		sl.Reason, sl.CreatedBy, sl.CreatedAt.UnixNano()).Scan(&sl.ID)
	if err != nil {
		return sl, s.errorf("add silence: %w", err)
	}
	return sl, nil
}

// Silences implements alerts.Store: a patient's silences ending after
// since ("" patient: every patient's), soonest end first.
func (s *AlertStore) Silences(ctx context.Context, patientID string, since time.Time) ([]balance.Silence, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, patient_id, device_id, kinds, starts_at, ends_at, reason, created_by, created_at FROM alert_silences
		WHERE (? = '' OR patient_id = ?) AND ends_at > ? ORDER BY ends_at, id`, patientID, patientID, since.UnixNano())
	if err != nil {
		return nil, s.errorf("silences: %w", err)
	}
	defer rows.Close()
	var out []balance.Silence
	for rows.Next() {
		var sl balance.Silence
		var kinds string
		var starts, ends, created int64
		if err := rows.Scan(&sl.ID, &sl.PatientID, &sl.DeviceID, &kinds, &starts, &ends, &sl.Reason, &sl.CreatedBy, &created); err != nil {
			return nil, err
		}
		if kinds != "" {
			sl.Kinds = strings.Split(kinds, ",")
		}
		sl.StartsAt, sl.EndsAt, sl.CreatedAt = time.Unix(0, starts).UTC(), time.Unix(0, ends).UTC(), time.Unix(0, created).UTC()
		out = append(out, sl)
	}
	return out, rows.Err()
}

// EndSilence implements alerts.Store: the silence ends at t (ENOTFOUND if
// the patient has no such silence).
func (s *AlertStore) EndSilence(ctx context.Context, patientID string, id int64, t time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE alert_silences SET ends_at = `+s.d.Least+`(ends_at, ?) WHERE id = ? AND patient_id = ?`, t.UnixNano(), id, patientID)
	if err != nil {
		return s.errorf("end silence: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("silence", fmt.Sprint(id))
	}
	return nil
}
