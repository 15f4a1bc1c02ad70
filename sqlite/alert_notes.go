package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/balance-pt/balance"
)

// Clinicians' notes on alerts and their assignees (migration
// state_0013_alert_work.sql).

// AddNote implements alerts.Store: it stores a note (its ID and time
// filled in) on an existing alert, or returns ENOTFOUND.
func (s *AlertStore) AddNote(ctx context.Context, n balance.AlertNote) (balance.AlertNote, error) {
	if n.Kind == "" {
		n.Kind = balance.NoteText
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO alert_notes (alert_id, kind, author, text, created_at)
		SELECT id, ?, ?, ?, ? FROM alerts WHERE id = ?`, n.Kind, n.Author, n.Text, n.CreatedAt.UnixNano(), n.AlertID)
	if err != nil {
		return n, fmt.Errorf("sqlite: note on alert %s: %w", n.AlertID, err)
	}
	if c, _ := res.RowsAffected(); c == 0 {
		return n, notFound("alert", n.AlertID)
	}
	n.ID, err = res.LastInsertId()
	n.CreatedAt = n.CreatedAt.UTC()
	return n, err
}

// Notes implements alerts.Store: an alert's notes and assignments, oldest
// first.
func (s *AlertStore) Notes(ctx context.Context, alertID string) ([]balance.AlertNote, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, alert_id, kind, author, text, created_at FROM alert_notes WHERE alert_id = ? ORDER BY created_at, id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: notes of alert %s: %w", alertID, err)
	}
	defer rows.Close()
	var out []balance.AlertNote
	for rows.Next() {
		var n balance.AlertNote
		var created int64
		if err := rows.Scan(&n.ID, &n.AlertID, &n.Kind, &n.Author, &n.Text, &created); err != nil {
			return nil, fmt.Errorf("sqlite: notes of alert %s: %w", alertID, err)
		}
		n.CreatedAt = alertTime(created)
		out = append(out, n)
	}
	return out, rows.Err()
}

// Assign implements alerts.Store: the alert's assignee becomes assignee
// ("" = no one), recorded on its timeline, in one transaction. Assigning
// the current assignee again changes nothing. ENOTFOUND for an unknown
// alert.
func (s *AlertStore) Assign(ctx context.Context, id, assignee, by string, at time.Time) (balance.Alert, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return balance.Alert{}, fmt.Errorf("sqlite: assign alert %s: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET assignee = ?, assigned_by = ?, assigned_at = ? WHERE id = ? AND assignee != ?`,
		assignee, by, at.UnixNano(), id, assignee)
	if err != nil {
		return balance.Alert{}, fmt.Errorf("sqlite: assign alert %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_notes (alert_id, kind, author, text, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, balance.NoteAssigned, by, assignee, at.UnixNano()); err != nil {
			return balance.Alert{}, fmt.Errorf("sqlite: assignment of alert %s: %w", id, err)
		}
	}
	as, err := queryAlertList(ctx, tx, `SELECT `+alertListCols+` FROM alerts a WHERE a.id = ?`, id)
	if err != nil {
		return balance.Alert{}, err
	}
	if len(as) == 0 {
		return balance.Alert{}, notFound("alert", id)
	}
	return as[0], tx.Commit()
}
