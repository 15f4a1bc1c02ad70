package progression

import (
	"context"
	"fmt"
	"time"

	"github.com/balance-pt/balance"
)

// FeedbackStore keeps the patients' "How did it go" answers (package sqlite
// implements it).
type FeedbackStore interface {
	// SaveSessionFeedback stores an answer; a new answer within
	// balance.FeedbackEditWindow of the first replaces it (replaced is
	// true), a later one is refused with ECONFLICT.
	SaveSessionFeedback(ctx context.Context, f balance.SessionFeedback) (replaced bool, err error)
	// SessionFeedback returns the answer about a session, or ENOTFOUND.
	SessionFeedback(ctx context.Context, sessionID string) (balance.SessionFeedback, error)
	// PatientFeedback returns a patient's answers given at or after since.
	PatientFeedback(ctx context.Context, patientID string, since time.Time) ([]balance.SessionFeedback, error)
}

// sessionLookup finds one session by id; SessionSources that have it
// (sqlite.StateDB) spare a scan of the patient's sessions.
type sessionLookup interface {
	ExerciseSession(ctx context.Context, id string) (balance.ExerciseSession, error)
}

// feedback returns the feedback store: Service.Feedback, else the plan
// store when it keeps answers too (sqlite.StateDB does), else nil (answers
// are then neither taken nor used).
func (s *Service) feedback() FeedbackStore {
	if s.Feedback != nil {
		return s.Feedback
	}
	if f, ok := s.Store.(FeedbackStore); ok {
		return f
	}
	return nil
}

// FeedbackRequest is the patient's answer (POST .../feedback); the session,
// patient and time come from the request.
type FeedbackRequest struct {
	Difficulty *int   `json:"difficulty"`
	Pain       bool   `json:"pain"`
	PainScore  *int   `json:"pain_score"`
	Dizziness  bool   `json:"dizziness"`
	Confidence int    `json:"confidence"`
	Note       string `json:"note"`
}

// FeedbackResult is a stored answer and whether it replaced an earlier one.
type FeedbackResult struct {
	Feedback balance.SessionFeedback `json:"feedback"`
	Replaced bool                    `json:"replaced"`
}

// session returns the patient's session sid: ENOTFOUND when it does not
// exist or is another patient's (not saying which).
func (s *Service) session(ctx context.Context, patientID, sid string) (balance.ExerciseSession, error) {
	notFound := balance.Errorf(balance.ENOTFOUND, "session %q of patient %q not found", sid, patientID)
	if s.Sessions == nil {
		return balance.ExerciseSession{}, notFound
	}
	if l, ok := s.Sessions.(sessionLookup); ok {
		es, err := l.ExerciseSession(ctx, sid)
		switch {
		case balance.ErrorCode(err) == balance.ENOTFOUND || err == nil && es.PatientID != patientID:
			return es, notFound
		case err != nil:
			return es, fmt.Errorf("session %s: %w", sid, err)
		}
		return es, nil
	}
	ss, err := s.Sessions.ExerciseSessions(ctx, patientID, time.Time{})
	if err != nil {
		return balance.ExerciseSession{}, fmt.Errorf("sessions of %s: %w", patientID, err)
	}
	for _, es := range ss {
		if es.ID == sid && es.PatientID == patientID {
			return es, nil
		}
	}
	return balance.ExerciseSession{}, notFound
}

// SubmitFeedback stores the patient's answer about their session sid
// (ENOTFOUND when it is not theirs; EINVALID, in words, when an answer is
// out of range; ECONFLICT when the first answer is more than
// balance.FeedbackEditWindow old), then evaluates the plan, if any, at
// once: an answer can hold a step up or step the patient down.
func (s *Service) SubmitFeedback(ctx context.Context, patientID, sid string, req FeedbackRequest) (FeedbackResult, error) {
	store := s.feedback()
	if store == nil {
		return FeedbackResult{}, balance.Errorf(balance.EUNAVAILABLE, "session feedback is not kept in this system")
	}
	if err := balance.CheckPatient(ctx, patientID); err != nil {
		return FeedbackResult{}, err
	}
	if _, err := s.session(ctx, patientID, sid); err != nil {
		return FeedbackResult{}, err
	}
	if req.Difficulty == nil {
		return FeedbackResult{}, balance.Errorf(balance.EINVALID, "feedback: difficulty is missing (0 nothing at all to 10 the hardest imaginable)")
	}
	f := balance.SessionFeedback{SessionID: sid, PatientID: patientID, Time: s.now(), Difficulty: *req.Difficulty, Pain: req.Pain,
		PainScore: req.PainScore, Dizziness: req.Dizziness, Confidence: req.Confidence, Note: req.Note}
	if err := f.Validate(); err != nil {
		return FeedbackResult{}, err
	}
	replaced, err := store.SaveSessionFeedback(ctx, f)
	if err != nil {
		return FeedbackResult{}, fmt.Errorf("feedback on %s: %w", sid, err)
	}
	if _, _, err := s.Evaluate(ctx, patientID); err != nil && balance.ErrorCode(err) != balance.ENOTFOUND {
		// The answer is kept; the next scheduled evaluation uses it.
		s.log().Warn("progression: evaluation after feedback", "patient", patientID, "session", sid, "err", err)
	}
	return FeedbackResult{Feedback: f, Replaced: replaced}, nil
}

// FeedbackOn returns the answer about the patient's session sid (ENOTFOUND
// when the session is not theirs or was not answered).
func (s *Service) FeedbackOn(ctx context.Context, patientID, sid string) (balance.SessionFeedback, error) {
	store := s.feedback()
	if store == nil {
		return balance.SessionFeedback{}, balance.Errorf(balance.EUNAVAILABLE, "session feedback is not kept in this system")
	}
	if err := balance.CheckPatient(ctx, patientID); err != nil {
		return balance.SessionFeedback{}, err
	}
	if _, err := s.session(ctx, patientID, sid); err != nil {
		return balance.SessionFeedback{}, err
	}
	f, err := store.SessionFeedback(ctx, sid)
	if err != nil {
		return f, err
	}
	if f.PatientID != patientID {
		return balance.SessionFeedback{}, balance.Errorf(balance.ENOTFOUND, "no feedback on session %q", sid)
	}
	return f, nil
}
