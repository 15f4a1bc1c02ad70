package sqlstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/balance-pt/balance"
)

// PatientCutoffs implements balance.CutoffStore.
func (s *Store) PatientCutoffs(ctx context.Context, patientID string) (balance.Cutoffs, bool, error) {
	var c balance.Cutoffs
	var js string
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT cutoffs_json, updated_by, updated_at FROM patient_cutoffs WHERE patient_id = ?`, patientID).Scan(&js, &c.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, s.errorf("cut-offs of %s: %w", patientID, err)
	}
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		return c, false, s.errorf("cut-offs of %s: %w", patientID, err)
	}
	c.UpdatedAt = time.Unix(0, at).UTC()
	return c, true, nil
}

// SetPatientCutoffs implements balance.CutoffStore: c is validated and
// stored with its author and time; nil removes the patient's own cut-offs.
func (s *Store) SetPatientCutoffs(ctx context.Context, patientID string, c *balance.Cutoffs) error {
	if c == nil {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM patient_cutoffs WHERE patient_id = ?`, patientID); err != nil {
			return s.errorf("clear cut-offs of %s: %w", patientID, err)
		}
		return nil
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if _, err := s.Patient(ctx, patientID); err != nil {
		return err
	}
	v := *c
	v.By, v.UpdatedAt = "", time.Time{} // kept in their own columns
	js, err := json.Marshal(v)
	if err != nil {
		return s.errorf("cut-offs of %s: %w", patientID, err)
	}
	at := c.UpdatedAt
	if at.IsZero() {
		at = s.Now()
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO patient_cutoffs (patient_id, cutoffs_json, updated_by, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(patient_id) DO UPDATE SET cutoffs_json = excluded.cutoffs_json, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		patientID, string(js), c.By, at.UnixNano())
	if err != nil {
		return s.errorf("set cut-offs of %s: %w", patientID, err)
	}
	return nil
}
