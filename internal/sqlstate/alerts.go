package sqlstate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// AlertStore is the alerts' outbox and delivery log in the state database.
// It implements alerts.Store. Where several instances share the database
// (an Instance is set), Claim reads due deliveries with
// Dialect.SkipLocked and records the claiming instance, and Recover takes
// back only the deliveries of stopped instances.
type AlertStore struct {
	db   handle
	d    *Dialect
	inst *Instance
}

var _ alerts.Store = (*AlertStore)(nil)

// AlertStore returns the alert outbox kept in this database.
func (s *Store) AlertStore() *AlertStore { return &AlertStore{db: s.db, d: s.d, inst: s.inst} }

// errorf formats an error prefixed with the engine's name.
func (s *AlertStore) errorf(format string, args ...any) error {
	return fmt.Errorf(s.d.Name+": "+format, args...)
}

func alertNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func alertTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

// Enqueue implements alerts.Store.
func (s *AlertStore) Enqueue(ctx context.Context, a balance.Alert, ds []alerts.NewDelivery, now time.Time) (alerts.Enqueued, error) {
	var out alerts.Enqueued
	details, err := json.Marshal(a.Details)
	if err != nil {
		return out, err
	}
	evidence, err := json.Marshal(a.Evidence)
	if err != nil {
		return out, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return out, s.errorf("enqueue alert %s: %w", a.ID, err)
	}
	defer tx.Rollback()
	if err := lockGroups(ctx, tx, ds); err != nil {
		return out, s.errorf("enqueue alert %s: %w", a.ID, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, kind, severity, patient_id, device_id, summary, details, evidence, group_key, occurred_at, created_at, status, acked_by, acked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
		a.ID, a.Kind, a.Severity, a.PatientID, a.DeviceID, a.Summary, string(details), string(evidence), a.GroupKey,
		alertNS(a.OccurredAt), alertNS(a.CreatedAt), a.Status, a.AckedBy, alertNS(a.AckedAt))
	if err != nil {
		return out, s.errorf("insert alert %s: %w", a.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return out, nil
	}
	for _, d := range ds {
		g, err := addAlertDelivery(ctx, tx, d, now)
		if err != nil {
			return out, s.errorf("alert %s: %w", a.ID, err)
		}
		if g != nil {
			out.Grouped = append(out.Grouped, *g)
		}
	}
	if err := tx.Commit(); err != nil {
		return out, s.errorf("enqueue alert %s: %w", a.ID, err)
	}
	out.Created = true
	return out, nil
}

// AddDelivery implements alerts.Store.
func (s *AlertStore) AddDelivery(ctx context.Context, d alerts.NewDelivery, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("add delivery %s: %w", d.ID, err)
	}
	defer tx.Rollback()
	if _, err := addAlertDelivery(ctx, tx, d, now); err != nil {
		return s.errorf("%w", err)
	}
	return tx.Commit()
}

// addAlertDelivery creates d, or adds its alerts to a pending delivery
// of its group: with d.Group, an initial one that has not started; with
// d.Fold or d.Join, where alerts.Place says (a Fold may also become a
// follow-up, due later). It returns what it did when the delivery was not
// created as planned.
func addAlertDelivery(ctx context.Context, tx *txn, d alerts.NewDelivery, now time.Time) (*alerts.Grouped, error) {
	id, next := d.ID, d.NextAt
	var since time.Time
	var grouped *alerts.Grouped
	if err := lockGroups(ctx, tx, []alerts.NewDelivery{d}); err != nil {
		return nil, err
	}
	switch {
	case d.Group:
		var open string
		err := tx.QueryRowContext(ctx, `SELECT id FROM alert_deliveries WHERE recipient = ? AND group_key = ? AND reason = ? AND state = ? AND attempts = 0 AND next_at > ?
			ORDER BY next_at LIMIT 1`, d.Recipient, d.GroupKey, alerts.ReasonInitial, alerts.StatePending, now.UnixNano()).Scan(&open)
		switch {
		case err == nil:
			return nil, linkDeliveryAlerts(ctx, tx, open, d.AlertIDs)
		case !errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("find group of %s: %w", d.ID, err)
		}
		var last *int64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(next_at) FROM alert_deliveries WHERE recipient = ? AND group_key = ? AND reason = ?`,
			d.Recipient, d.GroupKey, alerts.ReasonInitial).Scan(&last); err != nil {
			return nil, fmt.Errorf("last of group of %s: %w", d.ID, err)
		}
		if last != nil {
			if t := time.Unix(0, *last).Add(d.GroupInterval); t.After(next) {
				next = t
			}
		}
	case d.Fold || d.Join:
		g, err := groupState(ctx, tx, d)
		if err != nil {
			return nil, fmt.Errorf("group of %s: %w", d.ID, err)
		}
		p := d.Place(g, now)
		if p.Join != "" {
			return &alerts.Grouped{Recipient: d.Recipient, Reason: d.Reason, Level: d.Level, Into: p.Join, Due: g.PendingAt, Joined: true},
				linkDeliveryAlerts(ctx, tx, p.Join, d.AlertIDs)
		}
		next, since = p.NextAt, p.FollowUpSince
		if !since.IsZero() {
			grouped = &alerts.Grouped{Recipient: d.Recipient, Reason: d.Reason, Level: d.Level, Into: id, Due: next}
		}
	}
	var msg []byte
	if d.Message != nil {
		var err error
		if msg, err = json.Marshal(d.Message); err != nil {
			return nil, fmt.Errorf("message of delivery %s: %w", id, err)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_deliveries (id, recipient, channel, target, reason, level, group_key, state, next_at, deadline, created_at, follow_up_since, message)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
		id, d.Recipient, d.Channel, d.Target, d.Reason, d.Level, d.GroupKey, alerts.StatePending,
		next.UnixNano(), next.Add(d.GiveUpAfter).UnixNano(), now.UnixNano(), alertNS(since), string(msg))
	if err != nil {
		return nil, fmt.Errorf("insert delivery %s: %w", id, err)
	}
	return grouped, linkDeliveryAlerts(ctx, tx, id, d.AlertIDs)
}

// groupState reads what alerts.Place needs of d's group: its pending
// delivery of d's reason and level to d's recipient that has not started
// and, for a Fold, the group's initial notices to the recipient (those
// not failed or cancelled).
func groupState(ctx context.Context, tx *txn, d alerts.NewDelivery) (alerts.GroupState, error) {
	var g alerts.GroupState
	var pendingAt int64
	err := tx.QueryRowContext(ctx, `SELECT id, next_at FROM alert_deliveries
		WHERE recipient = ? AND group_key = ? AND reason = ? AND level = ? AND state = ? AND attempts = 0 ORDER BY next_at, id LIMIT 1`,
		d.Recipient, d.GroupKey, d.Reason, d.Level, alerts.StatePending).Scan(&g.Pending, &pendingAt)
	switch {
	case err == nil:
		g.PendingAt = alertTime(pendingAt)
	case !errors.Is(err, sql.ErrNoRows):
		return g, fmt.Errorf("pending delivery: %w", err)
	}
	if !d.Fold {
		return g, nil
	}
	var last, newest int64
	var unresolved bool
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(d.next_at), 0),
		COALESCE(MAX(CASE WHEN a.status <> ? THEN 1 ELSE 0 END), 0), COALESCE(MAX(CASE WHEN d.attempts > 0 THEN a.occurred_at END), 0)
		FROM alert_deliveries d JOIN alert_delivery_alerts da ON da.delivery_id = d.id JOIN alerts a ON a.id = da.alert_id
		WHERE d.recipient = ? AND d.group_key = ? AND d.reason = ? AND d.state IN (?, ?, ?)`,
		balance.AlertResolved, d.Recipient, d.GroupKey, alerts.ReasonInitial,
		alerts.StatePending, alerts.StateDelivering, alerts.StateDelivered).Scan(&last, &unresolved, &newest); err != nil {
		return g, fmt.Errorf("notices of the group: %w", err)
	}
	g.LastDue, g.Unresolved, g.NewestTold = alertTime(last), unresolved, alertTime(newest)
	return g, nil
}

func linkDeliveryAlerts(ctx context.Context, tx *txn, deliveryID string, alertIDs []string) error {
	for _, a := range alertIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_delivery_alerts (delivery_id, alert_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, deliveryID, a); err != nil {
			return fmt.Errorf("link alert %s to delivery %s: %w", a, deliveryID, err)
		}
	}
	return nil
}

const alertDeliveryCols = `id, recipient, channel, target, reason, level, group_key, state, attempts, next_at, deadline, created_at, delivered_at, last_error, last_status, follow_up_since, message`

func scanDelivery(sc interface{ Scan(...any) error }) (alerts.Delivery, error) {
	var d alerts.Delivery
	var next, deadline, created, delivered, since int64
	var msg string
	err := sc.Scan(&d.ID, &d.Recipient, &d.Channel, &d.Target, &d.Reason, &d.Level, &d.GroupKey, &d.State, &d.Attempts,
		&next, &deadline, &created, &delivered, &d.LastError, &d.LastStatus, &since, &msg)
	d.NextAt, d.Deadline, d.CreatedAt, d.DeliveredAt = alertTime(next), alertTime(deadline), alertTime(created), alertTime(delivered)
	d.FollowUpSince = alertTime(since)
	if err == nil && msg != "" {
		d.Message = new(alerts.Message)
		if err = json.Unmarshal([]byte(msg), d.Message); err != nil {
			err = fmt.Errorf("message of delivery %s: %w", d.ID, err)
		}
	}
	return d, err
}

// claimBatch is how many due deliveries Claim reads per query.
const claimBatch = 64

// Claim implements alerts.Store. Due rows are read in order (next_at, id)
// in keyset batches. Where several instances claim at once (PostgreSQL),
// each batch is locked with Dialect.SkipLocked, so a delivery another
// claimer holds is passed over and one it has claimed is no longer pending
// when the lock goes (read committed re-checks the condition on the newest
// row version): each delivery is claimed by one of them. SQLite's single
// writer needs no lock.
func (s *AlertStore) Claim(ctx context.Context, now time.Time, limit int, take func(recipient string) bool) ([]alerts.Delivery, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.errorf("claim deliveries: %w", err)
	}
	defer tx.Rollback()
	// Keyset pages, not one LIMIT: take may refuse many rows (a hung
	// recipient's backlog), and rows are read only until limit are taken.
	var ds []alerts.Delivery
	lastNext, lastID := int64(math.MinInt64), ""
	for len(ds) < limit {
		rows, err := tx.QueryContext(ctx, `SELECT `+alertDeliveryCols+` FROM alert_deliveries
			WHERE state = ? AND next_at <= ? AND (next_at, id) > (CAST(? AS BIGINT), CAST(? AS TEXT))
			ORDER BY next_at, id LIMIT ?`+s.d.SkipLocked,
			alerts.StatePending, now.UnixNano(), lastNext, lastID, claimBatch)
		if err != nil {
			return nil, s.errorf("claim deliveries: %w", err)
		}
		n := 0
		for rows.Next() {
			n++
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			lastNext, lastID = alertNS(d.NextAt), d.ID
			if len(ds) < limit && (take == nil || take(d.Recipient)) {
				ds = append(ds, d)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, s.errorf("claim deliveries: %w", err)
		}
		if n < claimBatch {
			break
		}
	}
	for i := range ds {
		d := &ds[i]
		d.Attempts++
		d.State = alerts.StateDelivering
		claim, args := `UPDATE alert_deliveries SET state = ?, attempts = ? WHERE id = ?`, []any{d.State, d.Attempts, d.ID}
		if s.inst != nil {
			claim, args = `UPDATE alert_deliveries SET state = ?, attempts = ?, claimed_by = ? WHERE id = ?`, []any{d.State, d.Attempts, s.inst.ID, d.ID}
		}
		if _, err := tx.ExecContext(ctx, claim, args...); err != nil {
			return nil, s.errorf("claim delivery %s: %w", d.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_delivery_attempts (delivery_id, n, started_at, outcome) VALUES (?, ?, ?, ?)
			ON CONFLICT(delivery_id, n) DO UPDATE SET started_at = excluded.started_at, outcome = excluded.outcome`,
			d.ID, d.Attempts, now.UnixNano(), alerts.OutcomeInProgress); err != nil {
			return nil, s.errorf("log attempt of %s: %w", d.ID, err)
		}
		if d.Alerts, err = deliveryAlerts(ctx, tx, d.ID); err != nil {
			return nil, err
		}
		for _, a := range d.Alerts {
			d.AlertIDs = append(d.AlertIDs, a.ID)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, s.errorf("claim deliveries: %w", err)
	}
	return ds, nil
}

type alertQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	errorf(format string, args ...any) error
}

const alertCols = `id, kind, severity, patient_id, device_id, summary, details, evidence, group_key, occurred_at, created_at, status, acked_by, acked_at, resolved_at, resolved_reason, assignee, assigned_by, assigned_at`

// alertListCols are alertCols of the alerts a, with how many notes each
// has and whether a silence covered it as it was raised (as
// balance.Silence.Silences decides: same patient, the device or every
// device, the kinds listed or every kind but falls).
func (d *Dialect) alertListCols() string {
	return "a." + strings.ReplaceAll(alertCols, ", ", ", a.") + `,
	(SELECT COUNT(*) FROM alert_notes n WHERE n.alert_id = a.id AND n.kind = '` + balance.NoteText + `'),
	EXISTS (SELECT 1 FROM alert_silences s WHERE s.patient_id = a.patient_id AND s.starts_at <= a.created_at AND a.created_at < s.ends_at
		AND (s.device_id = '' OR s.device_id = a.device_id)
		AND ((s.kinds = '' AND a.kind NOT IN ('` + balance.AlertFall + `', '` + balance.AlertNoMovement + `'))
			OR ` + d.Position + `(',' || s.kinds || ',', ',' || a.kind || ',') > 0))`
}

func scanAlert(sc interface{ Scan(...any) error }, extra ...any) (balance.Alert, error) {
	var a balance.Alert
	var details, evidence string
	var occurred, created, acked, resolved, assigned int64
	dst := []any{&a.ID, &a.Kind, &a.Severity, &a.PatientID, &a.DeviceID, &a.Summary, &details, &evidence, &a.GroupKey,
		&occurred, &created, &a.Status, &a.AckedBy, &acked, &resolved, &a.ResolvedReason, &a.Assignee, &a.AssignedBy, &assigned}
	if err := sc.Scan(append(dst, extra...)...); err != nil {
		return a, err
	}
	a.OccurredAt, a.CreatedAt, a.AckedAt, a.ResolvedAt = alertTime(occurred), alertTime(created), alertTime(acked), alertTime(resolved)
	a.AssignedAt = alertTime(assigned)
	if err := json.Unmarshal([]byte(details), &a.Details); err != nil {
		return a, fmt.Errorf("alert %s details: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(evidence), &a.Evidence); err != nil {
		return a, fmt.Errorf("alert %s evidence: %w", a.ID, err)
	}
	return a, nil
}

func queryAlerts(ctx context.Context, q alertQuerier, query string, args ...any) ([]balance.Alert, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.errorf("alerts: %w", err)
	}
	defer rows.Close()
	var out []balance.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, q.errorf("alerts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func deliveryAlerts(ctx context.Context, q alertQuerier, deliveryID string) ([]balance.Alert, error) {
	cols := "a." + strings.ReplaceAll(alertCols, ", ", ", a.")
	return queryAlerts(ctx, q, `SELECT `+cols+` FROM alerts a JOIN alert_delivery_alerts da ON da.alert_id = a.id
		WHERE da.delivery_id = ? ORDER BY a.created_at, a.id`, deliveryID)
}

// Finish implements alerts.Store.
func (s *AlertStore) Finish(ctx context.Context, o alerts.Outcome) error {
	at := o.Attempt
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("finish attempt %d of %s: %w", at.N, at.DeliveryID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE alert_delivery_attempts SET duration_ns = ?, outcome = ?, status_code = ?, error = ? WHERE delivery_id = ? AND n = ?`,
		int64(at.Duration), at.Outcome, at.StatusCode, at.Error, at.DeliveryID, at.N); err != nil {
		return s.errorf("finish attempt %d of %s: %w", at.N, at.DeliveryID, err)
	}
	var delivered int64
	if o.State == alerts.StateDelivered {
		delivered = at.Start.Add(at.Duration).UnixNano()
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET state = ?, next_at = CASE WHEN CAST(? AS BIGINT) <> 0 THEN CAST(? AS BIGINT) ELSE next_at END,
		delivered_at = CASE WHEN CAST(? AS BIGINT) <> 0 THEN CAST(? AS BIGINT) ELSE delivered_at END, last_error = ?, last_status = ? WHERE id = ?`,
		o.State, alertNS(o.NextAt), alertNS(o.NextAt), delivered, delivered, at.Error, at.StatusCode, at.DeliveryID); err != nil {
		return s.errorf("update delivery %s: %w", at.DeliveryID, err)
	}
	if o.FollowUp != nil {
		// A repeat only of alerts still open: one acknowledged or resolved
		// while this attempt ran needs none.
		var open bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM alerts a JOIN alert_delivery_alerts da ON da.alert_id = a.id
			WHERE da.delivery_id = ? AND a.status = ?)`, at.DeliveryID, balance.AlertOpen).Scan(&open); err != nil {
			return s.errorf("follow-up of %s: %w", at.DeliveryID, err)
		}
		if open {
			if _, err := addAlertDelivery(ctx, tx, *o.FollowUp, at.Start.Add(at.Duration)); err != nil {
				return s.errorf("follow-up of %s: %w", at.DeliveryID, err)
			}
		}
	}
	return tx.Commit()
}

// NextDue implements alerts.Store.
func (s *AlertStore) NextDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(next_at) FROM alert_deliveries WHERE state = ?`, alerts.StatePending).Scan(&next); err != nil {
		return time.Time{}, s.errorf("next due delivery: %w", err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return time.Unix(0, next.Int64), nil
}

// Recover implements alerts.Store: deliveries left delivering go back to
// pending, due at now, and their attempts are marked interrupted. With an
// Instance (several instances share the database), only the deliveries of
// instances that are no longer running (Instance.Live does not list
// them), or of this one, are taken back: deliveries other running
// instances are sending stay theirs, so an instance (re)starting next to
// others sends nothing twice.
func (s *AlertStore) Recover(ctx context.Context, now time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.errorf("recover deliveries: %w", err)
	}
	defer tx.Rollback()
	attempts := `UPDATE alert_delivery_attempts SET outcome = ?, error = ? WHERE outcome = ?`
	args := []any{alerts.OutcomeInterrupted, "the process stopped during the attempt; its result is unknown", alerts.OutcomeInProgress}
	deliveries := `UPDATE alert_deliveries SET state = ?, next_at = ? WHERE state = ?`
	dargs := []any{alerts.StatePending, now.UnixNano(), alerts.StateDelivering}
	if s.inst != nil {
		stopped := `state = ? AND (claimed_by = ? OR claimed_by NOT IN (` + s.inst.Live + `))`
		attempts += ` AND delivery_id IN (SELECT id FROM alert_deliveries WHERE ` + stopped + `)`
		args = append(args, alerts.StateDelivering, s.inst.ID)
		deliveries = `UPDATE alert_deliveries SET state = ?, next_at = ?, claimed_by = 0 WHERE ` + stopped
		dargs = append(dargs, s.inst.ID)
	}
	if _, err := tx.ExecContext(ctx, attempts, args...); err != nil {
		return 0, s.errorf("recover attempts: %w", err)
	}
	res, err := tx.ExecContext(ctx, deliveries, dargs...)
	if err != nil {
		return 0, s.errorf("recover deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), tx.Commit()
}

// Ack implements alerts.Store.
func (s *AlertStore) Ack(ctx context.Context, id, by string, at time.Time) (balance.Alert, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return balance.Alert{}, s.errorf("ack %s: %w", id, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET status = ?, acked_by = ?, acked_at = ? WHERE id = ? AND status = ?`,
		balance.AlertAcknowledged, by, at.UnixNano(), id, balance.AlertOpen); err != nil {
		return balance.Alert{}, s.errorf("ack %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET state = ?, last_error = ?
		WHERE state = ? AND reason != ? AND id IN (SELECT delivery_id FROM alert_delivery_alerts WHERE alert_id = ?)
		AND NOT EXISTS (SELECT 1 FROM alert_delivery_alerts da JOIN alerts a ON a.id = da.alert_id WHERE da.delivery_id = alert_deliveries.id AND a.status = ?)`,
		alerts.StateCancelled, "cancelled: acknowledged by "+by, alerts.StatePending, alerts.ReasonInitial, id, balance.AlertOpen); err != nil {
		return balance.Alert{}, s.errorf("cancel repeats of %s: %w", id, err)
	}
	as, err := queryAlerts(ctx, tx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, id)
	if err != nil {
		return balance.Alert{}, err
	}
	if len(as) == 0 {
		return balance.Alert{}, notFound("alert", id)
	}
	return as[0], tx.Commit()
}

// Resolve implements alerts.Store.
func (s *AlertStore) Resolve(ctx context.Context, id, reason string, at time.Time, giveUpAfter time.Duration) (balance.Alert, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return balance.Alert{}, false, s.errorf("resolve %s: %w", id, err)
	}
	defer tx.Rollback()
	changed, err := resolveAlert(ctx, tx, id, reason, at, giveUpAfter)
	if err != nil {
		return balance.Alert{}, false, err
	}
	as, err := queryAlerts(ctx, tx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, id)
	if err != nil {
		return balance.Alert{}, false, err
	}
	if len(as) == 0 {
		return balance.Alert{}, false, notFound("alert", id)
	}
	return as[0], changed, tx.Commit()
}

// resolveAlert marks an open or acknowledged alert resolved in tx, cancels
// the pending repeats, escalations and updates none of whose alerts is
// open any more, and creates the resolved notices. changed is false for
// an unknown or resolved alert.
func resolveAlert(ctx context.Context, tx *txn, id, reason string, at time.Time, giveUpAfter time.Duration) (changed bool, err error) {
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET status = ?, resolved_at = ?, resolved_reason = ? WHERE id = ? AND status IN (?, ?)`,
		balance.AlertResolved, at.UnixNano(), reason, id, balance.AlertOpen, balance.AlertAcknowledged)
	if err != nil {
		return false, tx.errorf("resolve %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	// Repeats, escalations and updates of alerts none of which is open any more.
	if _, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET state = ?, last_error = ?
		WHERE state = ? AND reason IN (?, ?, ?) AND id IN (SELECT delivery_id FROM alert_delivery_alerts WHERE alert_id = ?)
		AND NOT EXISTS (SELECT 1 FROM alert_delivery_alerts da JOIN alerts a ON a.id = da.alert_id WHERE da.delivery_id = alert_deliveries.id AND a.status = ?)`,
		alerts.StateCancelled, "cancelled: resolved ("+reason+")", alerts.StatePending, alerts.ReasonRepeat, alerts.ReasonEscalation, alerts.ReasonUpdate,
		id, balance.AlertOpen); err != nil {
		return false, tx.errorf("cancel repeats of %s: %w", id, err)
	}
	if err := resolvedNotices(ctx, tx, id, at, giveUpAfter); err != nil {
		return false, err
	}
	return true, nil
}

// resolvedNotices creates the resolved notices the resolution of alert id
// at "at" calls for. An alert without a group key: one to each recipient
// who was told of it. With a group key: to each recipient told of some
// alert of the group that is resolved and not yet in a resolved notice to
// them, once no alert of the group in their deliveries (sent, being sent
// or pending) is unresolved; it carries every such alert, so that a
// recipient gets one resolved notice per group.
func resolvedNotices(ctx context.Context, tx *txn, id string, at time.Time, giveUpAfter time.Duration) error {
	var group string
	if err := tx.QueryRowContext(ctx, `SELECT group_key FROM alerts WHERE id = ?`, id).Scan(&group); err != nil {
		return tx.errorf("group of %s: %w", id, err)
	}
	q := `SELECT DISTINCT d.recipient, d.channel, d.target FROM alert_deliveries d
		JOIN alert_delivery_alerts da ON da.delivery_id = d.id
		WHERE da.alert_id = ? AND d.reason != ? AND d.state IN (?, ?) ORDER BY d.recipient`
	args := []any{id, alerts.ReasonResolved, alerts.StateDelivered, alerts.StateDelivering}
	if group != "" {
		q = `SELECT DISTINCT d.recipient, d.channel, d.target FROM alert_deliveries d
			JOIN alert_delivery_alerts da ON da.delivery_id = d.id JOIN alerts a ON a.id = da.alert_id
			WHERE a.group_key = ? AND d.reason != ? AND d.state IN (?, ?) ORDER BY d.recipient`
		args[0] = group
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return tx.errorf("told of %s: %w", id, err)
	}
	var told []alerts.NewDelivery
	for rows.Next() {
		var d alerts.NewDelivery
		if err := rows.Scan(&d.Recipient, &d.Channel, &d.Target); err != nil {
			rows.Close()
			return err
		}
		told = append(told, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range told {
		d.ID = alerts.DeliveryID(id, d.Recipient, alerts.ReasonResolved, 0)
		d.Reason, d.AlertIDs, d.GroupKey, d.NextAt, d.GiveUpAfter = alerts.ReasonResolved, []string{id}, group, at, giveUpAfter
		if group != "" {
			if d.AlertIDs, err = groupResolved(ctx, tx, group, d.Recipient); err != nil {
				return err
			}
			if len(d.AlertIDs) == 0 {
				continue // an alert of the group is unresolved, or nothing new to tell
			}
		}
		if _, err := addAlertDelivery(ctx, tx, d, at); err != nil {
			return tx.errorf("resolved notice of %s: %w", id, err)
		}
	}
	return nil
}

// groupResolved returns the alerts of a group a recipient's resolved
// notice should carry now: none while an alert of the group in the
// recipient's deliveries (sent, being sent or pending) is unresolved;
// otherwise those told to the recipient, resolved, and in no resolved
// notice to them yet.
func groupResolved(ctx context.Context, tx *txn, group, recipient string) ([]string, error) {
	var held bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM alert_deliveries d
		JOIN alert_delivery_alerts da ON da.delivery_id = d.id JOIN alerts a ON a.id = da.alert_id
		WHERE d.recipient = ? AND a.group_key = ? AND d.reason != ? AND d.state IN (?, ?, ?) AND a.status != ?)`,
		recipient, group, alerts.ReasonResolved, alerts.StatePending, alerts.StateDelivering, alerts.StateDelivered, balance.AlertResolved).Scan(&held); err != nil {
		return nil, tx.errorf("unresolved alerts of group %s: %w", group, err)
	}
	if held {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.id FROM alert_deliveries d
		JOIN alert_delivery_alerts da ON da.delivery_id = d.id JOIN alerts a ON a.id = da.alert_id
		WHERE d.recipient = ? AND a.group_key = ? AND d.reason != ? AND d.state IN (?, ?) AND a.status = ?
		AND NOT EXISTS (SELECT 1 FROM alert_deliveries r JOIN alert_delivery_alerts ra ON ra.delivery_id = r.id
			WHERE r.recipient = d.recipient AND r.reason = ? AND ra.alert_id = a.id)
		GROUP BY a.id, a.created_at ORDER BY a.created_at, a.id`,
		recipient, group, alerts.ReasonResolved, alerts.StateDelivered, alerts.StateDelivering, balance.AlertResolved, alerts.ReasonResolved)
	if err != nil {
		return nil, tx.errorf("resolved alerts of group %s: %w", group, err)
	}
	return scanStrings(rows)
}

// queryAlertList runs a query selecting alertListCols.
func queryAlertList(ctx context.Context, q alertQuerier, query string, args ...any) ([]balance.Alert, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.errorf("alerts: %w", err)
	}
	defer rows.Close()
	var out []balance.Alert
	for rows.Next() {
		var notes int
		var silenced bool
		a, err := scanAlert(rows, &notes, &silenced)
		if err != nil {
			return nil, q.errorf("alerts: %w", err)
		}
		a.NoteCount, a.Silenced = notes, silenced
		out = append(out, a)
	}
	return out, rows.Err()
}

// Alert implements alerts.Store.
func (s *AlertStore) Alert(ctx context.Context, id string) (balance.Alert, error) {
	as, err := queryAlertList(ctx, s.db, `SELECT `+s.d.alertListCols()+` FROM alerts a WHERE a.id = ?`, id)
	if err != nil {
		return balance.Alert{}, err
	}
	if len(as) == 0 {
		return balance.Alert{}, notFound("alert", id)
	}
	return as[0], nil
}

// Alerts implements alerts.Store.
func (s *AlertStore) Alerts(ctx context.Context, f alerts.AlertFilter) ([]balance.Alert, error) {
	limit := int64(math.MaxInt64) // no limit
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	var among any // NULL: every patient
	if f.PatientIDs != nil {
		b, err := json.Marshal(f.PatientIDs)
		if err != nil {
			return nil, s.errorf("alerts: %w", err)
		}
		among = string(b)
	}
	return queryAlertList(ctx, s.db, `SELECT * FROM (SELECT `+s.d.alertListCols()+` AS silenced FROM alerts a
		WHERE (? = '' OR a.patient_id = ?) AND (? = '' OR a.status = ?) AND (? = '' OR a.severity = ?) AND (? = '' OR a.kind = ?)
		AND (CAST(? AS TEXT) IS NULL OR a.patient_id IN (`+s.d.JSONArray+`))) x
		WHERE (NOT CAST(? AS BOOLEAN) OR silenced) ORDER BY created_at DESC, id LIMIT ?`,
		f.PatientID, f.PatientID, f.Status, f.Status, f.Severity, f.Severity, f.Kind, f.Kind, among, among, f.Silenced, limit)
}

// Deliveries implements alerts.Store.
func (s *AlertStore) Deliveries(ctx context.Context, alertID string) ([]alerts.Delivery, error) {
	cols := "d." + strings.ReplaceAll(alertDeliveryCols, ", ", ", d.")
	rows, err := s.db.QueryContext(ctx, `SELECT `+cols+` FROM alert_deliveries d JOIN alert_delivery_alerts da ON da.delivery_id = d.id
		WHERE da.alert_id = ? ORDER BY d.created_at, d.next_at, d.id`, alertID)
	if err != nil {
		return nil, s.errorf("deliveries of %s: %w", alertID, err)
	}
	var ds []alerts.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range ds {
		if ds[i].AlertIDs, err = s.deliveryAlertIDs(ctx, ds[i].ID); err != nil {
			return nil, err
		}
		if ds[i].Log, err = s.attempts(ctx, ds[i].ID); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

func (s *AlertStore) deliveryAlertIDs(ctx context.Context, deliveryID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT alert_id FROM alert_delivery_alerts WHERE delivery_id = ? ORDER BY alert_id`, deliveryID)
	if err != nil {
		return nil, s.errorf("alerts of delivery %s: %w", deliveryID, err)
	}
	return scanStrings(rows)
}

func (s *AlertStore) attempts(ctx context.Context, deliveryID string) ([]alerts.Attempt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT delivery_id, n, started_at, duration_ns, outcome, status_code, error
		FROM alert_delivery_attempts WHERE delivery_id = ? ORDER BY n`, deliveryID)
	if err != nil {
		return nil, s.errorf("attempts of %s: %w", deliveryID, err)
	}
	defer rows.Close()
	var out []alerts.Attempt
	for rows.Next() {
		var a alerts.Attempt
		var start, dur int64
		if err := rows.Scan(&a.DeliveryID, &a.N, &start, &dur, &a.Outcome, &a.StatusCode, &a.Error); err != nil {
			return nil, err
		}
		a.Start, a.Duration = alertTime(start), time.Duration(dur)
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeliveryCounts implements alerts.Store.
func (s *AlertStore) DeliveryCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM alert_deliveries GROUP BY state`)
	if err != nil {
		return nil, s.errorf("delivery counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// lockGroups takes, until the commit, the advisory locks of the groups
// (recipient and group key) the deliveries ds that group with others may
// join (Dialect.Lock, key space 0), in a fixed order so that two
// transactions cannot deadlock: what a group holds stays true until the
// commit, as under SQLite's single writer (where it takes none), whichever
// instance runs the transaction. PostgreSQL's advisory locks are
// re-entrant, so a transaction may lock a group again.
func lockGroups(ctx context.Context, tx *txn, ds []alerts.NewDelivery) error {
	if tx.d.Lock == "" {
		return nil // a single writer
	}
	var keys []string
	for _, d := range ds {
		if d.Group || d.Fold || d.Join {
			keys = append(keys, d.Recipient+"\x1f"+d.GroupKey)
		}
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if err := tx.lock(ctx, k, 0); err != nil {
			return fmt.Errorf("lock group %q: %w", k, err)
		}
	}
	return nil
}
