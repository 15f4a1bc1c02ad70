package sqlstate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// Dashboard users, therapist–patient assignments, log-in sessions and the
// review-time log (migration state_0005_users.sql).

const userCols = `id, username, password_hash, role, created_at, disabled`

func scanUser(sc interface{ Scan(...any) error }) (balance.User, error) {
	var u balance.User
	var created int64
	if err := sc.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &created, &u.Disabled); err != nil {
		return u, err
	}
	u.CreatedAt = time.Unix(0, created).UTC()
	return u, nil
}

// CreateUser adds a user and returns it with its id; an existing username
// is an ECONFLICT error, an unknown role EINVALID.
func (s *Store) CreateUser(ctx context.Context, u balance.User) (balance.User, error) {
	if u.Role != balance.RoleAdmin && u.Role != balance.RoleTherapist {
		return u, balance.Errorf(balance.EINVALID, "role %q must be admin or therapist", u.Role)
	}
	if strings.TrimSpace(u.Username) == "" || u.PasswordHash == "" {
		return u, balance.Errorf(balance.EINVALID, "a user needs a username and a password")
	}
	u.CreatedAt = s.Now().UTC()
	err := s.db.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO NOTHING RETURNING id`,
		u.Username, u.PasswordHash, u.Role, u.CreatedAt.UnixNano()).Scan(&u.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return u, balance.Errorf(balance.ECONFLICT, "user %q exists", u.Username)
	}
	if err != nil {
		return u, s.errorf("create user %s: %w", u.Username, err)
	}
	return u, nil
}

// User returns the user with this id, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id int64) (balance.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user", fmt.Sprint(id))
	}
	return u, err
}

// UserByName returns the user with this username, or ENOTFOUND.
func (s *Store) UserByName(ctx context.Context, username string) (balance.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user", username)
	}
	return u, err
}

// Users returns every user by username.
func (s *Store) Users(ctx context.Context) ([]balance.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, s.errorf("users: %w", err)
	}
	defer rows.Close()
	var out []balance.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetUserPassword replaces a user's password hash and ends their sessions.
func (s *Store) SetUserPassword(ctx context.Context, id int64, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
	if err != nil {
		return s.errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("user", fmt.Sprint(id))
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = ?`, id)
	return err
}

// SetUserDisabled disables a user (they cannot log in, and their sessions
// end) or enables them again; ENOTFOUND for an unknown user.
func (s *Store) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("disable user %d: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, id)
	if err != nil {
		return s.errorf("disable user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("user", fmt.Sprint(id))
	}
	if disabled {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = ?`, id); err != nil {
			return s.errorf("end sessions of user %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("disable user %d: %w", id, err)
	}
	return nil
}

// AssignPatient lets a therapist see a patient (idempotent).
func (s *Store) AssignPatient(ctx context.Context, userID int64, patientID string) error {
	if _, err := s.Patient(ctx, patientID); err != nil {
		return err
	}
	if _, err := s.User(ctx, userID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO user_patients (user_id, patient_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, patientID)
	if err != nil {
		return s.errorf("assign %s: %w", patientID, err)
	}
	return nil
}

// UnassignPatient removes an assignment (no error if there was none).
func (s *Store) UnassignPatient(ctx context.Context, userID int64, patientID string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM user_patients WHERE user_id = ? AND patient_id = ?`, userID, patientID)
	return err
}

// AssignedPatients returns the ids of the patients assigned to a user.
func (s *Store) AssignedPatients(ctx context.Context, userID int64) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT patient_id FROM user_patients WHERE user_id = ? ORDER BY patient_id`, userID)
	if err != nil {
		return nil, s.errorf("assigned patients: %w", err)
	}
	return scanStrings(rows)
}

// CreateUserSession stores a log-in session by the hash of its token.
func (s *Store) CreateUserSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time) error {
	now := s.Now()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM user_sessions WHERE expires_at < ?`, now.UnixNano()); err != nil {
		return s.errorf("expire sessions: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO user_sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, userID, csrf, now.UnixNano(), expires.UnixNano())
	if err != nil {
		return s.errorf("create session: %w", err)
	}
	return nil
}

// UserSession returns the user and CSRF token of an unexpired session of
// a user who is not disabled, or EUNAUTHORIZED.
func (s *Store) UserSession(ctx context.Context, tokenHash string, now time.Time) (balance.User, string, error) {
	var csrf string
	var u balance.User
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT u.id, u.username, u.password_hash, u.role, u.created_at, s.csrf FROM user_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND NOT u.disabled`,
		tokenHash, now.UnixNano()).Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &created, &csrf)
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", balance.Errorf(balance.EUNAUTHORIZED, "no such session")
	}
	if err != nil {
		return u, "", s.errorf("session: %w", err)
	}
	u.CreatedAt = time.Unix(0, created).UTC()
	return u, csrf, nil
}

// DeleteUserSession ends a session (log-out).
func (s *Store) DeleteUserSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM user_sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// LogReview records time a user spent on a patient's record.
func (s *Store) LogReview(ctx context.Context, e balance.ReviewEntry) error {
	if e.Seconds < 0 || e.Seconds != e.Seconds {
		return balance.Errorf(balance.EINVALID, "review seconds %v must be a non-negative number", e.Seconds)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO review_log (user_id, patient_id, start, seconds, activity) VALUES (?, ?, ?, ?, ?)`,
		e.UserID, e.PatientID, e.Start.UnixNano(), e.Seconds, e.Activity)
	if err != nil {
		return s.errorf("log review: %w", err)
	}
	return nil
}

// ReviewLog returns a patient's review entries that start in [from, to).
func (s *Store) ReviewLog(ctx context.Context, patientID string, from, to time.Time) ([]balance.ReviewEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.user_id, COALESCE(u.username, ''), r.patient_id, r.start, r.seconds, r.activity FROM review_log r LEFT JOIN users u ON u.id = r.user_id WHERE r.patient_id = ? AND r.start >= ? AND r.start < ? ORDER BY r.start`,
		patientID, from.UnixNano(), to.UnixNano())
	if err != nil {
		return nil, s.errorf("review log: %w", err)
	}
	defer rows.Close()
	var out []balance.ReviewEntry
	for rows.Next() {
		var e balance.ReviewEntry
		var start int64
		if err := rows.Scan(&e.UserID, &e.Username, &e.PatientID, &start, &e.Seconds, &e.Activity); err != nil {
			return nil, err
		}
		e.Start = time.Unix(0, start).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
