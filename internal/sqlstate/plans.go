package sqlstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/balance-pt/balance"
)

// Plans of balance exercises and their history (progression.PlanStore).

const planCols = `patient_id, level_id, sessions_per_week, mode, exercises, catalog_version, assigned_at, level_since, updated_at, updated_by`

func (s *Store) scanPlan(sc interface{ Scan(...any) error }) (balance.Plan, error) {
	var p balance.Plan
	var ex string
	var assigned, since, updated int64
	if err := sc.Scan(&p.PatientID, &p.LevelID, &p.SessionsPerWeek, &p.Mode, &ex, &p.CatalogVersion, &assigned, &since, &updated, &p.UpdatedBy); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(ex), &p.Exercises); err != nil {
		return p, s.errorf("plan of %s exercises: %w", p.PatientID, err)
	}
	p.AssignedAt, p.LevelSince, p.UpdatedAt = time.Unix(0, assigned).UTC(), time.Unix(0, since).UTC(), time.Unix(0, updated).UTC()
	return p, nil
}

// Plan returns the patient's plan, or ENOTFOUND.
func (s *Store) Plan(ctx context.Context, patientID string) (balance.Plan, error) {
	p, err := s.scanPlan(s.db.QueryRowContext(ctx, `SELECT `+planCols+` FROM plans WHERE patient_id = ?`, patientID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("plan of patient", patientID)
	}
	if err != nil {
		return p, s.errorf("plan of %s: %w", patientID, err)
	}
	return p, nil
}

// PlanPatients lists the patients that have a plan.
func (s *Store) PlanPatients(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT patient_id FROM plans ORDER BY patient_id`)
	if err != nil {
		return nil, s.errorf("plan patients: %w", err)
	}
	return scanStrings(rows)
}

func (s *Store) savePlan(ctx context.Context, tx *txn, p *balance.Plan) error {
	ex := p.Exercises
	if ex == nil {
		ex = []string{}
	}
	b, err := json.Marshal(ex)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO plans (`+planCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(patient_id) DO UPDATE SET level_id = excluded.level_id, sessions_per_week = excluded.sessions_per_week,
			mode = excluded.mode, exercises = excluded.exercises, catalog_version = excluded.catalog_version,
			level_since = excluded.level_since, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		p.PatientID, p.LevelID, p.SessionsPerWeek, p.Mode, string(b), p.CatalogVersion,
		p.AssignedAt.UnixNano(), p.LevelSince.UnixNano(), p.UpdatedAt.UnixNano(), p.UpdatedBy)
	if err != nil {
		return s.errorf("save plan of %s: %w", p.PatientID, err)
	}
	return nil
}

// planTx runs f in a transaction, committing when it returns nil.
func (s *Store) planTx(ctx context.Context, f func(tx *txn) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("commit: %w", err)
	}
	return nil
}

func planJSON[T any](v []T) (string, error) {
	if v == nil {
		v = []T{}
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// AddPlanChange records a new change and, when p is not nil, saves the
// plan, in one transaction; a change whose ID exists is left alone and p
// not saved (added false), so that recording a decision twice is harmless.
func (s *Store) AddPlanChange(ctx context.Context, p *balance.Plan, c balance.PlanChange) (added bool, err error) {
	if c.ID == "" || c.PatientID == "" {
		return false, balance.Errorf(balance.EINVALID, "plan change needs an id and a patient")
	}
	reasons, err := planJSON(c.Reasons)
	if err != nil {
		return false, err
	}
	ids, err := planJSON(c.SessionIDs)
	if err != nil {
		return false, err
	}
	err = s.planTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO plan_changes (id, patient_id, time, kind, from_level, to_level, dimension, reasons, session_ids, status, made_by, decided_by, decided_at, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			c.ID, c.PatientID, c.Time.UnixNano(), c.Kind, c.FromLevel, c.ToLevel, c.Dimension, reasons, ids, c.Status, c.By, c.DecidedBy, planNanos(c.DecidedAt), c.Note)
		if err != nil {
			return s.errorf("add plan change of %s: %w", c.PatientID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		if p != nil {
			return s.savePlan(ctx, tx, p)
		}
		return nil
	})
	return added, err
}

// DecidePlanChange updates a pending change's status, decision and note
// and, when p is not nil, saves the plan, in one transaction. ECONFLICT
// when the change is no longer pending, ENOTFOUND when it does not exist.
func (s *Store) DecidePlanChange(ctx context.Context, p *balance.Plan, c balance.PlanChange) error {
	return s.planTx(ctx, func(tx *txn) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM plan_changes WHERE id = ? AND patient_id = ?`+s.d.ForUpdate, c.ID, c.PatientID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("plan change", c.ID)
		}
		if err != nil {
			return s.errorf("plan change %s: %w", c.ID, err)
		}
		if status != balance.ChangePending {
			return balance.Errorf(balance.ECONFLICT, "plan change %s is %s, not pending", c.ID, status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE plan_changes SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?`,
			c.Status, c.DecidedBy, planNanos(c.DecidedAt), c.Note, c.ID); err != nil {
			return s.errorf("decide plan change %s: %w", c.ID, err)
		}
		if p != nil {
			return s.savePlan(ctx, tx, p)
		}
		return nil
	})
}

const changeCols = `id, patient_id, time, kind, from_level, to_level, dimension, reasons, session_ids, status, made_by, decided_by, decided_at, note`

func (s *Store) scanChange(sc interface{ Scan(...any) error }) (balance.PlanChange, error) {
	var c balance.PlanChange
	var t, decided int64
	var reasons, ids string
	if err := sc.Scan(&c.ID, &c.PatientID, &t, &c.Kind, &c.FromLevel, &c.ToLevel, &c.Dimension, &reasons, &ids, &c.Status, &c.By, &c.DecidedBy, &decided, &c.Note); err != nil {
		return c, err
	}
	c.Time = time.Unix(0, t).UTC()
	if decided != 0 {
		c.DecidedAt = time.Unix(0, decided).UTC()
	}
	if err := json.Unmarshal([]byte(reasons), &c.Reasons); err != nil {
		return c, s.errorf("plan change %s reasons: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(ids), &c.SessionIDs); err != nil {
		return c, s.errorf("plan change %s sessions: %w", c.ID, err)
	}
	if len(c.SessionIDs) == 0 {
		c.SessionIDs = nil
	}
	return c, nil
}

// PlanChange returns one change of the patient, or ENOTFOUND.
func (s *Store) PlanChange(ctx context.Context, patientID, id string) (balance.PlanChange, error) {
	c, err := s.scanChange(s.db.QueryRowContext(ctx, `SELECT `+changeCols+` FROM plan_changes WHERE id = ? AND patient_id = ?`, id, patientID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("plan change", id)
	}
	if err != nil {
		return c, s.errorf("plan change %s: %w", id, err)
	}
	return c, nil
}

// PlanChanges returns the patient's changes at or after since, newest first.
func (s *Store) PlanChanges(ctx context.Context, patientID string, since time.Time) ([]balance.PlanChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+changeCols+` FROM plan_changes WHERE patient_id = ? AND time >= ? ORDER BY time DESC, `+s.d.Seq+` DESC`,
		patientID, planNanos(since))
	if err != nil {
		return nil, s.errorf("plan changes of %s: %w", patientID, err)
	}
	defer rows.Close()
	var out []balance.PlanChange
	for rows.Next() {
		c, err := s.scanChange(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// planNanos is t in Unix nanoseconds, 0 for the zero time.
func planNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
