package sqlstate

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// Patient access to the app without a password: one-time invitations and
// the phones' sessions they start (migration state_0016_app_access.sql).
// Tokens and codes are looked up by their hash, so no secret is compared
// byte by byte and none is kept.

// CreateAppInvite keeps a new invitation for inv.PatientID by the hashes of
// its link token and its code, made by inv.CreatedBy and valid until
// inv.ExpiresAt; it returns it with its id and creation time. An unknown
// patient is ENOTFOUND.
func (s *Store) CreateAppInvite(ctx context.Context, inv balance.AppInvite, tokenHash, codeHash string) (balance.AppInvite, error) {
	if tokenHash == "" || codeHash == "" || inv.PatientID == "" {
		return inv, balance.Errorf(balance.EINVALID, "an invitation needs a patient, a token and a code")
	}
	if _, err := s.Patient(ctx, inv.PatientID); err != nil {
		return inv, err
	}
	inv.CreatedAt, inv.UsedAt = s.Now().UTC(), time.Time{}
	err := s.db.QueryRowContext(ctx, `INSERT INTO app_invites (patient_id, token_hash, code_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		inv.PatientID, tokenHash, codeHash, inv.CreatedBy, inv.CreatedAt.UnixNano(), inv.ExpiresAt.UnixNano()).Scan(&inv.ID)
	if err != nil {
		return inv, s.errorf("create app invite for %s: %w", inv.PatientID, err)
	}
	return inv, nil
}

func inviteWhere(k balance.InviteKey) (string, string, error) {
	switch {
	case k.TokenHash != "" && k.CodeHash == "":
		return "token_hash = ?", k.TokenHash, nil
	case k.CodeHash != "" && k.TokenHash == "":
		return "code_hash = ?", k.CodeHash, nil
	}
	return "", "", balance.Errorf(balance.EINVALID, "name an invitation by its token or its code")
}

func inviteWhat(k balance.InviteKey) string {
	if k.CodeHash != "" {
		return "code"
	}
	return "link"
}

// AppInvite returns the invitation k names if it can still be redeemed at
// now, without using it (the page that asks "use this phone?"). Unknown,
// used and expired invitations are EUNAUTHORIZED errors that say which.
func (s *Store) AppInvite(ctx context.Context, k balance.InviteKey, now time.Time) (balance.AppInvite, error) {
	cond, arg, err := inviteWhere(k)
	if err != nil {
		return balance.AppInvite{}, err
	}
	inv, err := scanInvite(s.db.QueryRowContext(ctx, `SELECT id, patient_id, created_by, created_at, expires_at, used_at FROM app_invites WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return inv, unknownInvite(k)
	}
	if err != nil {
		return inv, s.errorf("app invite: %w", err)
	}
	return inv, usable(inv, k, now)
}

func unknownInvite(k balance.InviteKey) error {
	if k.CodeHash != "" {
		return balance.Errorf(balance.EUNAUTHORIZED, "this code is not right: check each letter, or ask your therapist for a new one")
	}
	return balance.Errorf(balance.EUNAUTHORIZED, "this link is not right: ask your therapist for a new one")
}

// usable says in words why an invitation can no longer be used.
func usable(inv balance.AppInvite, k balance.InviteKey, now time.Time) error {
	switch {
	case !inv.UsedAt.IsZero():
		return balance.Errorf(balance.EUNAUTHORIZED, "this %s has already been used: each one works once; ask your therapist for a new one", inviteWhat(k))
	case !now.Before(inv.ExpiresAt):
		return balance.Errorf(balance.EUNAUTHORIZED, "this %s has expired: ask your therapist for a new one", inviteWhat(k))
	}
	return nil
}

func scanInvite(sc interface{ Scan(...any) error }) (balance.AppInvite, error) {
	var inv balance.AppInvite
	var created, expires, used int64
	if err := sc.Scan(&inv.ID, &inv.PatientID, &inv.CreatedBy, &created, &expires, &used); err != nil {
		return inv, err
	}
	inv.CreatedAt, inv.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	if used != 0 {
		inv.UsedAt = time.Unix(0, used).UTC()
	}
	return inv, nil
}

// RedeemAppInvite uses the invitation k names, exactly once, and starts
// the phone's session in the same transaction: a session for the
// invitation's patient, kept by the hash of its cookie token, with
// sess.Label, sess.CSRF and sess.ExpiresAt. Unknown, used and expired
// invitations are EUNAUTHORIZED errors that say which; of two concurrent
// redemptions one wins.
func (s *Store) RedeemAppInvite(ctx context.Context, k balance.InviteKey, sessionHash string, sess balance.AppSession) (balance.AppSession, error) {
	cond, arg, err := inviteWhere(k)
	if err != nil {
		return sess, err
	}
	if sessionHash == "" || sess.CSRF == "" {
		return sess, balance.Errorf(balance.EINVALID, "a session needs a token and a CSRF token")
	}
	now := s.Now().UTC()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return sess, s.errorf("redeem app invite: %w", err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `UPDATE app_invites SET used_at = ? WHERE `+cond+` AND used_at = 0 AND expires_at > ? RETURNING id, patient_id`,
		now.UnixNano(), arg, now.UnixNano()).Scan(&id, &sess.PatientID)
	if errors.Is(err, sql.ErrNoRows) {
		tx.Rollback()
		if _, err := s.AppInvite(ctx, k, now); err != nil {
			return sess, err
		}
		return sess, balance.Errorf(balance.ECONFLICT, "this %s was just used", inviteWhat(k))
	}
	if err != nil {
		return sess, s.errorf("redeem app invite: %w", err)
	}
	sess.CreatedAt, sess.LastSeenAt, sess.RevokedAt, sess.RevokedBy = now, now, time.Time{}, ""
	err = tx.QueryRowContext(ctx, `INSERT INTO app_sessions (token_hash, patient_id, invite_id, label, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		sessionHash, sess.PatientID, id, sess.Label, sess.CSRF, now.UnixNano(), now.UnixNano(), sess.ExpiresAt.UnixNano()).Scan(&sess.ID)
	if err != nil {
		return sess, s.errorf("start app session for %s: %w", sess.PatientID, err)
	}
	if err := tx.Commit(); err != nil {
		return sess, s.errorf("redeem app invite: %w", err)
	}
	return sess, nil
}

const appSessionCols = `id, patient_id, label, csrf, created_at, last_seen_at, expires_at, revoked_at, revoked_by`

func scanAppSession(sc interface{ Scan(...any) error }) (balance.AppSession, error) {
	var a balance.AppSession
	var created, seen, expires, revoked int64
	if err := sc.Scan(&a.ID, &a.PatientID, &a.Label, &a.CSRF, &created, &seen, &expires, &revoked, &a.RevokedBy); err != nil {
		return a, err
	}
	a.CreatedAt, a.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	if seen != 0 {
		a.LastSeenAt = time.Unix(0, seen).UTC()
	}
	if revoked != 0 {
		a.RevokedAt = time.Unix(0, revoked).UTC()
	}
	return a, nil
}

// seenEvery is how stale last_seen_at may get before a request updates it
// (one write a minute per phone, not one per request).
const seenEvery = time.Minute

// AppSession returns the phone session whose cookie token hashes to
// tokenHash if it is neither revoked nor expired at now, noting that it was
// seen; EUNAUTHORIZED otherwise (a revoked session stops at once).
func (s *Store) AppSession(ctx context.Context, tokenHash string, now time.Time) (balance.AppSession, error) {
	a, err := scanAppSession(s.db.QueryRowContext(ctx, `SELECT `+appSessionCols+` FROM app_sessions s
		WHERE token_hash = ? AND revoked_at = 0 AND expires_at > ?`, tokenHash, now.UnixNano()))
	if errors.Is(err, sql.ErrNoRows) {
		return a, balance.Errorf(balance.EUNAUTHORIZED, "this phone is not logged in (the log-in was removed or has expired)")
	}
	if err != nil {
		return a, s.errorf("app session: %w", err)
	}
	if now.Sub(a.LastSeenAt) >= seenEvery {
		if _, err := s.db.ExecContext(ctx, `UPDATE app_sessions SET last_seen_at = ? WHERE id = ?`, now.UnixNano(), a.ID); err != nil {
			return a, s.errorf("app session seen: %w", err)
		}
		a.LastSeenAt = now.UTC()
	}
	return a, nil
}

// AppSessions lists a patient's phone sessions that work at now (neither
// revoked nor expired), newest first.
func (s *Store) AppSessions(ctx context.Context, patientID string, now time.Time) ([]balance.AppSession, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+appSessionCols+` FROM app_sessions WHERE patient_id = ? AND revoked_at = 0 AND expires_at > ? ORDER BY id DESC`,
		patientID, now.UnixNano())
	if err != nil {
		return nil, s.errorf("app sessions of %s: %w", patientID, err)
	}
	defer rows.Close()
	var out []balance.AppSession
	for rows.Next() {
		a, err := scanAppSession(rows)
		if err != nil {
			return nil, s.errorf("app sessions of %s: %w", patientID, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RevokeAppSession revokes a phone session of a patient at once, recording
// who did; ENOTFOUND when the patient has no such session (revoking twice
// keeps the first revocation).
func (s *Store) RevokeAppSession(ctx context.Context, patientID string, id int64, by string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE app_sessions SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END,
		revoked_by = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_by END WHERE id = ? AND patient_id = ?`,
		s.Now().UnixNano(), by, id, patientID)
	if err != nil {
		return s.errorf("revoke app session %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return balance.Errorf(balance.ENOTFOUND, "patient %q has no phone log-in %d", patientID, id)
	}
	return nil
}

// EndAppSession revokes the session whose cookie token hashes to tokenHash
// (the patient's "forget this phone"); an unknown session is no error.
func (s *Store) EndAppSession(ctx context.Context, tokenHash, by string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE app_sessions SET revoked_at = ?, revoked_by = ? WHERE token_hash = ? AND revoked_at = 0`,
		s.Now().UnixNano(), strings.TrimSpace(by), tokenHash)
	if err != nil {
		return s.errorf("end app session: %w", err)
	}
	return nil
}
