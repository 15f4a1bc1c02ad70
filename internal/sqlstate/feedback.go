package sqlstate

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balance-pt/balance"
)

// Patients' "How did it go" answers about their sessions
// (progression.FeedbackStore, dashboard.FeedbackSource).

const feedbackCols = `session_id, patient_id, time_ns, difficulty, pain, pain_score, dizziness, confidence, note`

func scanFeedback(sc interface{ Scan(...any) error }) (balance.SessionFeedback, error) {
	var f balance.SessionFeedback
	var t int64
	var score sql.NullInt64
	if err := sc.Scan(&f.SessionID, &f.PatientID, &t, &f.Difficulty, &f.Pain, &score, &f.Dizziness, &f.Confidence, &f.Note); err != nil {
		return f, err
	}
	f.Time = time.Unix(0, t).UTC()
	if score.Valid {
		v := int(score.Int64)
		f.PainScore = &v
	}
	return f, nil
}

// SaveSessionFeedback stores the answer about f.SessionID (f.Time is when
// it was given). A session has one answer: a new one given within
// balance.FeedbackEditWindow (24 h) of the first replaces it (replaced is
// true); a later one, or one naming another patient, is refused with
// ECONFLICT. An invalid answer is refused with EINVALID.
func (s *Store) SaveSessionFeedback(ctx context.Context, f balance.SessionFeedback) (replaced bool, err error) {
	if err := f.Validate(); err != nil {
		return false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, s.errorf("feedback on %s: %w", f.SessionID, err)
	}
	defer tx.Rollback()
	// One answer at a time per session, across instances (Dialect.Lock),
	// so that the first answer's time is read by every later one.
	if err := tx.lock(ctx, f.SessionID, 1); err != nil {
		return false, s.errorf("feedback on %s: %w", f.SessionID, err)
	}
	var patient string
	var first int64
	err = tx.QueryRowContext(ctx, `SELECT patient_id, first_ns FROM session_feedback WHERE session_id = ?`, f.SessionID).Scan(&patient, &first)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		first = f.Time.UnixNano()
	case err != nil:
		return false, s.errorf("feedback on %s: %w", f.SessionID, err)
	case patient != f.PatientID:
		return false, balance.Errorf(balance.ECONFLICT, "session %q was answered for another patient", f.SessionID)
	case f.Time.Sub(time.Unix(0, first)) >= balance.FeedbackEditWindow:
		return false, balance.Errorf(balance.ECONFLICT, "session %q was answered on %s; an answer can be changed only within %s of the first",
			f.SessionID, time.Unix(0, first).UTC().Format("2 Jan 2006 15:04 UTC"), balance.FeedbackEditWindow)
	default:
		replaced = true
	}
	var score any
	if f.PainScore != nil {
		score = *f.PainScore
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO session_feedback (`+feedbackCols+`, first_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(session_id) DO UPDATE SET time_ns = excluded.time_ns, difficulty = excluded.difficulty, pain = excluded.pain,
			pain_score = excluded.pain_score, dizziness = excluded.dizziness, confidence = excluded.confidence, note = excluded.note`,
		f.SessionID, f.PatientID, f.Time.UnixNano(), f.Difficulty, f.Pain, score, f.Dizziness, f.Confidence, f.Note, first)
	if err != nil {
		return false, s.errorf("save feedback on %s: %w", f.SessionID, err)
	}
	if err := tx.Commit(); err != nil {
		return false, s.errorf("save feedback on %s: %w", f.SessionID, err)
	}
	return replaced, nil
}

// SessionFeedback returns the answer about a session, or ENOTFOUND.
func (s *Store) SessionFeedback(ctx context.Context, sessionID string) (balance.SessionFeedback, error) {
	f, err := scanFeedback(s.db.QueryRowContext(ctx, `SELECT `+feedbackCols+` FROM session_feedback WHERE session_id = ?`, sessionID))
	if errors.Is(err, sql.ErrNoRows) {
		return f, notFound("feedback on session", sessionID)
	}
	if err != nil {
		return f, s.errorf("feedback on %s: %w", sessionID, err)
	}
	return f, nil
}

// PatientFeedback returns a patient's answers given at or after since,
// oldest first.
func (s *Store) PatientFeedback(ctx context.Context, patientID string, since time.Time) ([]balance.SessionFeedback, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+feedbackCols+` FROM session_feedback WHERE patient_id = ? AND time_ns >= ? ORDER BY time_ns, session_id`,
		patientID, since.UnixNano())
	if err != nil {
		return nil, s.errorf("feedback of %s: %w", patientID, err)
	}
	defer rows.Close()
	var out []balance.SessionFeedback
	for rows.Next() {
		f, err := scanFeedback(rows)
		if err != nil {
			return nil, s.errorf("feedback of %s: %w", patientID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
