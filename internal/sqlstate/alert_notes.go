package sqlstate

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// Clinicians' notes on alerts and their assignees (migration
// state_0013_alert_work.sql).

// AddNote implements alerts.Store: it stores a note (its ID and time
// filled in) on an existing alert, or returns ENOTFOUND.
func (s *AlertStore) AddNote(ctx context.Context, n balance.AlertNote) (balance.AlertNote, error) {
	if n.Kind == "" {
		n.Kind = balance.NoteText
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO alert_notes (alert_id, kind, author, text, created_at)
		SELECT id, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT) FROM alerts WHERE id = ? RETURNING id`, n.Kind, n.Author, n.Text, n.CreatedAt.UnixNano(), n.AlertID).Scan(&n.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return n, notFound("alert", n.AlertID)
	}
	if err != nil {
		return n, s.errorf("note on alert %s: %w", n.AlertID, err)
	}
	n.CreatedAt = n.CreatedAt.UTC()
	return n, nil
}

// Notes implements alerts.Store: an alert's notes and assignments, oldest
// first.
func (s *AlertStore) Notes(ctx context.Context, alertID string) ([]balance.AlertNote, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, alert_id, kind, author, text, created_at FROM alert_notes WHERE alert_id = ? ORDER BY created_at, id`, alertID)
	if err != nil {
		return nil, s.errorf("notes of alert %s: %w", alertID, err)
	}
	defer rows.Close()
	var out []balance.AlertNote
	for rows.Next() {
		var n balance.AlertNote
		var created int64
		if err := rows.Scan(&n.ID, &n.AlertID, &n.Kind, &n.Author, &n.Text, &created); err != nil {
			return nil, s.errorf("notes of alert %s: %w", alertID, err)
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
		return balance.Alert{}, s.errorf("assign alert %s: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET assignee = ?, assigned_by = ?, assigned_at = ? WHERE id = ? AND assignee != ?`,
		assignee, by, at.UnixNano(), id, assignee)
	if err != nil {
		return balance.Alert{}, s.errorf("assign alert %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_notes (alert_id, kind, author, text, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, balance.NoteAssigned, by, assignee, at.UnixNano()); err != nil {
			return balance.Alert{}, s.errorf("assignment of alert %s: %w", id, err)
		}
	}
	as, err := queryAlertList(ctx, tx, `SELECT `+tx.d.alertListCols()+` FROM alerts a WHERE a.id = ?`, id)
	if err != nil {
		return balance.Alert{}, err
	}
	if len(as) == 0 {
		return balance.Alert{}, notFound("alert", id)
	}
	return as[0], tx.Commit()
}

// Answer implements alerts.Store: a patient's answer to "Are you OK?"
// (migration state_0018_patient_answers.sql), recorded and acted on in one
// transaction.
func (s *AlertStore) Answer(ctx context.Context, r alerts.AnswerRecord) (alerts.AnswerResult, error) {
	var out alerts.AnswerResult
	id, at := r.Note.AlertID, r.Note.CreatedAt
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return out, s.errorf("answer on alert %s: %w", id, err)
	}
	defer tx.Rollback()
	// A write first takes the database's write lock, so that what is read
	// below stays true until the commit: two answers at once (two
	// processes, a double tap) are recorded one after the other, and the
	// second sees the first.
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET status = status WHERE id = ?`, id)
	if err != nil {
		return out, s.errorf("answer on alert %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return out, notFound("alert", id)
	}
	var status, group string
	if err := tx.QueryRowContext(ctx, `SELECT status, group_key FROM alerts WHERE id = ?`, id).Scan(&status, &group); err != nil {
		return out, s.errorf("answer on alert %s: %w", id, err)
	}
	var last balance.AlertNote
	err = tx.QueryRowContext(ctx, `SELECT kind, text FROM alert_notes WHERE alert_id = ? AND kind = ? ORDER BY created_at DESC, id DESC LIMIT 1`,
		id, alerts.NotePatientAnswer).Scan(&last.Kind, &last.Text)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return out, s.errorf("last answer on alert %s: %w", id, err)
	}
	out.Previous = alerts.AnswerOf(last)
	if status != balance.AlertResolved && out.Previous != r.Answer {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_notes (alert_id, kind, author, text, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, alerts.NotePatientAnswer, r.Note.Author, r.Note.Text, at.UnixNano()); err != nil {
			return out, s.errorf("answer on alert %s: %w", id, err)
		}
		out.Recorded = true
		switch r.Answer {
		case alerts.AnswerOK:
			if _, err := resolveAlert(ctx, tx, id, r.ResolveReason, at, r.GiveUpAfter); err != nil {
				return out, err
			}
		case alerts.AnswerHelp:
			if out.Expedited, out.Updates, err = askForHelp(ctx, tx, id, group, at, r.GiveUpAfter); err != nil {
				return out, err
			}
		}
	}
	as, err := queryAlertList(ctx, tx, `SELECT `+tx.d.alertListCols()+` FROM alerts a WHERE a.id = ?`, id)
	if err != nil {
		return out, err
	}
	out.Alert = as[0]
	return out, tx.Commit()
}

// askForHelp makes the pending escalations of alert id and of its group,
// and its pending initial notices (a follow-up waiting for its group's
// interval), due at "at", and creates an update notice of the alert to
// each recipient a notification of it was delivered or is being delivered
// to. It returns how many deliveries it made due and created.
func askForHelp(ctx context.Context, tx *txn, id, group string, at time.Time, giveUpAfter time.Duration) (expedited, updates int, err error) {
	res, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET next_at = ?
		WHERE state = ? AND next_at > ? AND reason IN (?, ?)
		AND (id IN (SELECT delivery_id FROM alert_delivery_alerts WHERE alert_id = ?) OR (reason = ? AND CAST(? AS TEXT) <> '' AND group_key = ?))`,
		at.UnixNano(), alerts.StatePending, at.UnixNano(), alerts.ReasonInitial, alerts.ReasonEscalation,
		id, alerts.ReasonEscalation, group, group)
	if err != nil {
		return 0, 0, tx.errorf("escalate %s now: %w", id, err)
	}
	n, _ := res.RowsAffected()
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT d.recipient, d.channel, d.target FROM alert_deliveries d
		JOIN alert_delivery_alerts da ON da.delivery_id = d.id
		WHERE da.alert_id = ? AND d.reason NOT IN (?, ?) AND d.state IN (?, ?) ORDER BY d.recipient`,
		id, alerts.ReasonResolved, alerts.ReasonUpdate, alerts.StateDelivered, alerts.StateDelivering)
	if err != nil {
		return 0, 0, tx.errorf("told of %s: %w", id, err)
	}
	var told []alerts.NewDelivery
	for rows.Next() {
		var d alerts.NewDelivery
		if err := rows.Scan(&d.Recipient, &d.Channel, &d.Target); err != nil {
			rows.Close()
			return 0, 0, err
		}
		told = append(told, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	for _, d := range told {
		d.ID = alerts.AnswerDeliveryID(id, d.Recipient, alerts.AnswerHelp)
		d.Reason, d.AlertIDs, d.GroupKey, d.NextAt, d.GiveUpAfter = alerts.ReasonUpdate, []string{id}, group, at, giveUpAfter
		if _, err := addAlertDelivery(ctx, tx, d, at); err != nil {
			return 0, 0, tx.errorf("update of %s: %w", id, err)
		}
	}
	return int(n), len(told), nil
}
