package progression

import (
	"context"
	"time"

	"github.com/balance-pt/balance"
)

// PlanStore keeps plans and their history (package sqlite implements it).
type PlanStore interface {
	// Plan returns the patient's plan, or ENOTFOUND.
	Plan(ctx context.Context, patientID string) (balance.Plan, error)
	// PlanPatients lists the patients that have a plan.
	PlanPatients(ctx context.Context) ([]string, error)
	// AddPlanChange records a new change and, when p is not nil, saves the
	// plan, in one transaction. A change whose ID exists is left alone
	// (and p not saved): added is false.
	AddPlanChange(ctx context.Context, p *balance.Plan, c balance.PlanChange) (added bool, err error)
	// DecidePlanChange updates a pending change (status, decided by/at,
	// note) and, when p is not nil, saves the plan, in one transaction;
	// ECONFLICT when the change is no longer pending, ENOTFOUND when absent.
	DecidePlanChange(ctx context.Context, p *balance.Plan, c balance.PlanChange) error
	// PlanChange returns one change of the patient, or ENOTFOUND.
	PlanChange(ctx context.Context, patientID, id string) (balance.PlanChange, error)
	// PlanChanges returns the patient's changes at or after since, newest first.
	PlanChanges(ctx context.Context, patientID string, since time.Time) ([]balance.PlanChange, error)
}

// SessionSource gives a patient's measured exercise sessions.
type SessionSource interface {
	ExerciseSessions(ctx context.Context, patientID string, since time.Time) ([]balance.ExerciseSession, error)
}

// RiskSource gives a patient's fall-risk assessments.
type RiskSource interface {
	RiskAssessments(ctx context.Context, patientID string, since time.Time) ([]balance.RiskAssessment, error)
}

// FallSource gives the times of a patient's detected falls.
type FallSource interface {
	Falls(ctx context.Context, patientID string, since time.Time) ([]time.Time, error)
}

// PatientSource gives a patient (balance.Registry has it).
type PatientSource interface {
	Patient(ctx context.Context, id string) (balance.Patient, error)
}
