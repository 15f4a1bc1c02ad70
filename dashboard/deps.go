package dashboard

import (
	"context"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/progression"
)

// UserStore keeps users, assignments, log-in sessions and the review log
// (sqlite.StateDB implements it).
type UserStore interface {
	CreateUser(ctx context.Context, u balance.User) (balance.User, error)
	User(ctx context.Context, id int64) (balance.User, error)
	UserByName(ctx context.Context, username string) (balance.User, error)
	Users(ctx context.Context) ([]balance.User, error)
	SetUserPassword(ctx context.Context, id int64, hash string) error
	// SetUserDisabled disables a user (their sessions end, their tokens
	// stop working) or enables them again.
	SetUserDisabled(ctx context.Context, id int64, disabled bool) error
	AssignPatient(ctx context.Context, userID int64, patientID string) error
	UnassignPatient(ctx context.Context, userID int64, patientID string) error
	AssignedPatients(ctx context.Context, userID int64) ([]string, error)
	CreateUserSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time) error
	UserSession(ctx context.Context, tokenHash string, now time.Time) (balance.User, string, error)
	DeleteUserSession(ctx context.Context, tokenHash string) error
	CreateAPIToken(ctx context.Context, userID int64, name, tokenHash string) (balance.APIToken, error)
	APITokenUser(ctx context.Context, tokenHash string) (balance.User, error)
	APITokens(ctx context.Context, userID int64) ([]balance.APIToken, error)
	RevokeAPIToken(ctx context.Context, userID, id int64) error
	LogReview(ctx context.Context, e balance.ReviewEntry) error
	ReviewLog(ctx context.Context, patientID string, from, to time.Time) ([]balance.ReviewEntry, error)
}

// Summaries lists every patient at a glance (sqlite.StateDB implements it).
type Summaries interface {
	PatientSummaries(ctx context.Context, since time.Time) ([]balance.PatientSummary, error)
	// PatientSummary returns one patient at a glance, as PatientSummaries
	// lists them, or ENOTFOUND.
	PatientSummary(ctx context.Context, patientID string, since time.Time) (balance.PatientSummary, error)
}

// RiskSource is monitoring's risk history.
type RiskSource interface {
	RiskAssessments(ctx context.Context, patientID string, since time.Time, limit int) ([]balance.RiskAssessment, error)
}

// SessionSource is monitoring's measured sessions.
type SessionSource interface {
	ExerciseSessions(ctx context.Context, patientID string, since time.Time) ([]balance.ExerciseSession, error)
	ExerciseSession(ctx context.Context, id string) (balance.ExerciseSession, error)
}

// AlertSource lists and acknowledges alerts, and keeps clinicians' notes
// and assignees (*alerts.Service implements it). The methods that take no
// patient check the viewer in ctx next to the data.
type AlertSource interface {
	// PatientAlerts returns a patient's alerts, newest first ("" status = all).
	PatientAlerts(ctx context.Context, patientID, status string, limit int) ([]balance.Alert, error)
	// Alert returns one alert or ENOTFOUND.
	Alert(ctx context.Context, id string) (balance.Alert, error)
	Ack(ctx context.Context, id, by string) (balance.Alert, error)
	// Inbox returns the alerts f selects among the viewer's patients,
	// newest first.
	Inbox(ctx context.Context, f alerts.AlertFilter) ([]balance.Alert, error)
	// VisibleAlert returns an alert of a patient the viewer may see.
	VisibleAlert(ctx context.Context, id string) (balance.Alert, error)
	// Detail returns a visible alert with its deliveries and notes.
	Detail(ctx context.Context, id string) (alerts.AlertView, error)
	// AddNote adds a note by the logged-in user to a visible alert.
	AddNote(ctx context.Context, id, text string) (balance.AlertNote, error)
	// Assign sets the assignee ("" = no one) of a visible alert.
	Assign(ctx context.Context, id, assignee string) (balance.Alert, error)
}

// PlanSource is exercise progression (*progression.Service implements it).
type PlanSource interface {
	View(ctx context.Context, patientID string) (progression.PlanView, error)
	History(ctx context.Context, patientID string) ([]balance.PlanChange, error)
	Decide(ctx context.Context, patientID, id string, approve bool, by, note string) (balance.PlanChange, error)
	Override(ctx context.Context, patientID string, req progression.OverrideRequest) (balance.PlanChange, error)
	// SetPlan assigns a plan, or changes the one the patient has.
	SetPlan(ctx context.Context, patientID string, req progression.PlanRequest) (balance.Plan, error)
	// Levels are the catalog's levels in ladder order, easiest first.
	Levels() []progression.Level
}

// FeedbackSource is the patients' "How did it go" answers
// (sqlite.StateDB implements it).
type FeedbackSource interface {
	// PatientFeedback returns a patient's answers given at or after since.
	PatientFeedback(ctx context.Context, patientID string, since time.Time) ([]balance.SessionFeedback, error)
}

// Deps are what the dashboard reads and writes. Users, Registry and
// Summaries are required; the others may be nil (that part of the page
// then says it is not available).
type Deps struct {
	Users        UserStore
	Registry     balance.Registry
	Summaries    Summaries
	Measurements balance.MeasurementStore
	Samples      balance.SampleReader
	Risk         RiskSource
	Sessions     SessionSource
	Alerts       AlertSource
	Plans        PlanSource
	// Cutoffs keeps the cut-offs clinicians set per patient (nil: the
	// cut-offs page says it is not available).
	Cutoffs balance.CutoffStore
	// Feedback gives the answers shown beside the sessions (nil: none shown).
	Feedback FeedbackSource
	// AppAccess keeps patients' log-in links and phone sessions (nil: taken
	// from Users when it keeps them too, as sqlite.StateDB does; else
	// patient access is not available).
	AppAccess AppAccessStore
	// Exercises gives the patient app today's exercises and takes the
	// answers after a session (*progression.Service; nil: the app says
	// no plan is set).
	Exercises ExerciseSource
	// Answers takes a patient's answer to "Are you OK?" after a fall
	// (*alerts.Service; nil: the app does not ask).
	Answers AnswerSource
}

// ExerciseSource is what the patient app needs of progression.
type ExerciseSource interface {
	Today(ctx context.Context, patientID string) (progression.Today, error)
	Levels() []progression.Level
	SubmitFeedback(ctx context.Context, patientID, sid string, req progression.FeedbackRequest) (progression.FeedbackResult, error)
}

// AnswerSource records a patient's answer to "Are you OK?".
type AnswerSource interface {
	PatientAnswer(ctx context.Context, alertID, answer string) (balance.Alert, error)
}
