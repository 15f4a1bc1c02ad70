package sqlstate

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/reminders"
)

// Patients' exercise reminders: their settings and the reminders sent
// (reminders.Store, dashboard.ReminderStore).

var _ reminders.Store = (*Store)(nil)

// ReminderSettings returns a patient's reminder settings, or ENOTFOUND
// when they have chosen none.
func (s *Store) ReminderSettings(ctx context.Context, patientID string) (reminders.Settings, error) {
	r := reminders.Settings{PatientID: patientID}
	var updated int64
	err := s.db.QueryRowContext(ctx, `SELECT email, time_of_day, days, enabled, updated_at FROM reminder_settings WHERE patient_id = ?`, patientID).
		Scan(&r.Email, &r.Time, &r.Days, &r.On, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return r, balance.Errorf(balance.ENOTFOUND, "no reminder settings for %s", patientID)
	}
	if err != nil {
		return r, s.errorf("reminder settings of %s: %w", patientID, err)
	}
	r.UpdatedAt = time.Unix(0, updated).UTC()
	return r, nil
}

// SetReminderSettings stores a patient's reminder settings (validated;
// EINVALID otherwise), replacing any; ENOTFOUND for an unknown patient.
func (s *Store) SetReminderSettings(ctx context.Context, r reminders.Settings) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if _, err := s.Patient(ctx, r.PatientID); err != nil {
		return err
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.Now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO reminder_settings (patient_id, email, time_of_day, days, enabled, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(patient_id) DO UPDATE SET email = excluded.email, time_of_day = excluded.time_of_day, days = excluded.days,
			enabled = excluded.enabled, updated_at = excluded.updated_at`,
		r.PatientID, r.Email, r.Time, r.Days, r.On, r.UpdatedAt.UnixNano())
	if err != nil {
		return s.errorf("save reminder settings of %s: %w", r.PatientID, err)
	}
	return nil
}

// Reminders implements reminders.Store: the settings that are on, with
// the date of each patient's last reminder sent.
func (s *Store) Reminders(ctx context.Context) ([]reminders.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.patient_id, r.email, r.time_of_day, r.days, r.enabled, r.updated_at,
		COALESCE((SELECT MAX(local_date) FROM reminders_sent x WHERE x.patient_id = r.patient_id), '')
		FROM reminder_settings r WHERE r.enabled ORDER BY r.patient_id`)
	if err != nil {
		return nil, s.errorf("reminders: %w", err)
	}
	defer rows.Close()
	var out []reminders.Entry
	for rows.Next() {
		var e reminders.Entry
		var updated int64
		if err := rows.Scan(&e.PatientID, &e.Email, &e.Time, &e.Days, &e.On, &updated, &e.LastSent); err != nil {
			return nil, s.errorf("reminders: %w", err)
		}
		e.UpdatedAt = time.Unix(0, updated).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarkReminderSent implements reminders.Store: the key on patient and
// date keeps one row per day, whoever records it first.
func (s *Store) MarkReminderSent(ctx context.Context, patientID, date, deliveryID string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO reminders_sent (patient_id, local_date, delivery_id, sent_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(patient_id, local_date) DO NOTHING`, patientID, date, deliveryID, at.UnixNano())
	if err != nil {
		return false, s.errorf("record reminder of %s on %s: %w", patientID, date, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("record reminder of %s on %s: %w", patientID, date, err)
	}
	return n == 1, nil
}
