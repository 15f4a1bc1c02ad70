// Package statetest is the contract suite of the state stores: every
// store of patients, devices, users, plans, alerts and the rest (package
// sqlite, the embedded default; package postgres, for several instances)
// runs Run and so shows the same behaviour, error codes included.
//
// A store's tests call Run with a Backend that makes a fresh database per
// test and opens the store on it:
//
//	func TestContract(t *testing.T) {
//		statetest.Run(t, statetest.Backend{NewDatabase: …, Open: …, QueryRow: …})
//	}
package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/reminders"
)

// Store is the method set the state stores share (*sqlite.StateDB and
// *postgres.StateDB), besides their alert outbox (AlertStore, an
// alerts.Store) and their database handles. It lives here, not at the
// repository root, because it names types of packages alerts' and
// reminders' (which import the root): cmd/balance may declare the subset
// it needs where it wires a store.
type Store interface {
	balance.Registry
	balance.Quarantine
	balance.DeviceCredentials
	balance.CutoffStore
	reminders.Store

	Close() error

	// Patients' app access.
	CreateAppInvite(ctx context.Context, inv balance.AppInvite, tokenHash, codeHash string) (balance.AppInvite, error)
	AppInvite(ctx context.Context, k balance.InviteKey, now time.Time) (balance.AppInvite, error)
	RedeemAppInvite(ctx context.Context, k balance.InviteKey, sessionHash string, sess balance.AppSession) (balance.AppSession, error)
	AppSession(ctx context.Context, tokenHash string, now time.Time) (balance.AppSession, error)
	AppSessions(ctx context.Context, patientID string, now time.Time) ([]balance.AppSession, error)
	RevokeAppSession(ctx context.Context, patientID string, id int64, by string) error
	EndAppSession(ctx context.Context, tokenHash, by string) error

	// Feedback on sessions.
	SaveSessionFeedback(ctx context.Context, f balance.SessionFeedback) (replaced bool, err error)
	SessionFeedback(ctx context.Context, sessionID string) (balance.SessionFeedback, error)
	PatientFeedback(ctx context.Context, patientID string, since time.Time) ([]balance.SessionFeedback, error)

	// Monitoring.
	Watermarks(ctx context.Context) (map[string]int64, error)
	SaveWatermarks(ctx context.Context, wm map[string]int64) error
	Watermark(ctx context.Context, deviceID string) (int64, error)
	UprightAxes(ctx context.Context) (map[string]balance.UprightAxis, error)
	UprightAxis(ctx context.Context, deviceID string) (balance.UprightAxis, error)
	SaveUprightAxis(ctx context.Context, deviceID string, a balance.UprightAxis) error
	SaveExerciseSession(ctx context.Context, e balance.ExerciseSession) error
	ExerciseSession(ctx context.Context, id string) (balance.ExerciseSession, error)
	ExerciseSessions(ctx context.Context, patientID string, since time.Time) ([]balance.ExerciseSession, error)
	SaveRiskAssessment(ctx context.Context, r balance.RiskAssessment) error
	RiskAssessments(ctx context.Context, patientID string, since time.Time, limit int) ([]balance.RiskAssessment, error)

	// Plans.
	Plan(ctx context.Context, patientID string) (balance.Plan, error)
	PlanPatients(ctx context.Context) ([]string, error)
	AddPlanChange(ctx context.Context, p *balance.Plan, c balance.PlanChange) (added bool, err error)
	DecidePlanChange(ctx context.Context, p *balance.Plan, c balance.PlanChange) error
	PlanChange(ctx context.Context, patientID, id string) (balance.PlanChange, error)
	PlanChanges(ctx context.Context, patientID string, since time.Time) ([]balance.PlanChange, error)

	// Reminder settings (Reminders and MarkReminderSent: reminders.Store).
	ReminderSettings(ctx context.Context, patientID string) (reminders.Settings, error)
	SetReminderSettings(ctx context.Context, r reminders.Settings) error

	// Quarantine (Quarantine itself: balance.Quarantine).
	Quarantined(ctx context.Context, deviceID string, limit int) ([]balance.QuarantinedPayload, error)
	QuarantineCounts(ctx context.Context) (map[string]int64, error)

	// API tokens, users, sessions, the review log.
	CreateAPIToken(ctx context.Context, userID int64, name, tokenHash string) (balance.APIToken, error)
	APITokenUser(ctx context.Context, tokenHash string) (balance.User, error)
	APITokens(ctx context.Context, userID int64) ([]balance.APIToken, error)
	RevokeAPIToken(ctx context.Context, userID, id int64) error
	CreateUser(ctx context.Context, u balance.User) (balance.User, error)
	User(ctx context.Context, id int64) (balance.User, error)
	UserByName(ctx context.Context, username string) (balance.User, error)
	Users(ctx context.Context) ([]balance.User, error)
	SetUserPassword(ctx context.Context, id int64, hash string) error
	SetUserDisabled(ctx context.Context, id int64, disabled bool) error
	AssignPatient(ctx context.Context, userID int64, patientID string) error
	UnassignPatient(ctx context.Context, userID int64, patientID string) error
	AssignedPatients(ctx context.Context, userID int64) ([]string, error)
	CreateUserSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time) error
	UserSession(ctx context.Context, tokenHash string, now time.Time) (balance.User, string, error)
	DeleteUserSession(ctx context.Context, tokenHash string) error
	LogReview(ctx context.Context, e balance.ReviewEntry) error
	ReviewLog(ctx context.Context, patientID string, from, to time.Time) ([]balance.ReviewEntry, error)
	PatientSummaries(ctx context.Context, since time.Time) ([]balance.PatientSummary, error)
	PatientSummary(ctx context.Context, patientID string, since time.Time) (balance.PatientSummary, error)
}

// Options are the settings a test gives a store as it opens it (the
// stores' exported fields of the same names); zero keeps the store's
// default.
type Options struct {
	Now                  func() time.Time
	QuarantineLimit      int
	QuarantineMaxBytes   int64
	QuarantineMaxDevices int
}

// Row is one result row, as database/sql and pgx both return it.
type Row interface{ Scan(dest ...any) error }

// Backend is how the suite reaches one kind of store.
type Backend struct {
	// NewDatabase prepares an empty database for one test, removed when
	// the test ends, and returns where it is (a file path, a DSN). It
	// fails the test when it cannot.
	NewDatabase func(t *testing.T) string
	// Open opens the store at where (creating and migrating it as
	// needed) with o applied, and returns it and its alert outbox.
	Open func(ctx context.Context, where string, o Options) (Store, alerts.Store, error)
	// QueryRow runs a query written with ? placeholders on s's own
	// database, for a test that checks a column no method returns.
	QueryRow func(ctx context.Context, s Store, query string, args ...any) Row
}

// open opens the store at where, closing it when the test ends.
func (b Backend) open(t *testing.T, where string, o Options) Store {
	t.Helper()
	s, _ := b.openBoth(t, where, o)
	return s
}

func (b Backend) openBoth(t *testing.T, where string, o Options) (Store, alerts.Store) {
	t.Helper()
	s, as, err := b.Open(context.Background(), where, o)
	if err != nil {
		t.Fatalf("open state store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, as
}

// fresh opens a store on a new database.
func (b Backend) fresh(t *testing.T, o Options) Store {
	t.Helper()
	return b.open(t, b.NewDatabase(t), o)
}

// alertStore opens the alert outbox of a store on a new database.
func (b Backend) alertStore(t *testing.T) alerts.Store {
	t.Helper()
	_, as := b.openBoth(t, b.NewDatabase(t), Options{})
	return as
}

// Run runs the contract suite against b, each test on a new database.
func Run(t *testing.T, b Backend) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Backend)
	}{
		{"MigrationsAreIdempotent", testMigrationsAreIdempotent},
		{"DeviceBinding", testDeviceBinding},
		{"StatusMergesPartialUpdates", testStatusMergesPartialUpdates},
		{"EventsDeduplicated", testEventsDeduplicated},
		{"QuarantineKeepsNewestWithinLimit", testQuarantineKeepsNewestWithinLimit},
		{"QuarantineBudgets", testQuarantineBudgets},
		{"PatientDateOfBirth", testPatientDateOfBirth},
		{"PatientCutoffs", testPatientCutoffs},
		{"PlansAndChanges", testPlansAndChanges},
		{"ReminderSettings", testReminderSettings},
		{"WatermarksNeverGoBack", testWatermarksNeverGoBack},
		{"UprightAxesNeverGoBack", testUprightAxesNeverGoBack},
		{"ExerciseSessionsRoundTrip", testExerciseSessionsRoundTrip},
		{"RiskHistory", testRiskHistory},
		{"SessionFeedback", testSessionFeedback},
		{"PatientSummary", testPatientSummary},
		{"UsersAndAssignments", testUsersAndAssignments},
		{"UserSessions", testUserSessions},
		{"ReviewLog", testReviewLog},
		{"DisabledUserHasNoSessionsOrTokens", testDisabledUserHasNoSessionsOrTokens},
		{"AppInviteOnce", testAppInviteOnce},
		{"AppInviteRefusals", testAppInviteRefusals},
		{"AppInviteConcurrentRedemption", testAppInviteConcurrentRedemption},
		{"AppSessionsRevokeAndExpire", testAppSessionsRevokeAndExpire},
		{"AlertStoreOutbox", testAlertStoreOutbox},
		{"AlertStoreResolve", testAlertStoreResolve},
		{"AlertStoreUrgentGroups", testAlertStoreUrgentGroups},
		{"AlertStoreAnswer", testAlertStoreAnswer},
		{"AlertNotesAndAssignee", testAlertNotesAndAssignee},
		{"AlertFilters", testAlertFilters},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, b) })
	}
}
