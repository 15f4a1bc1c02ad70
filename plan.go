package balance

import "time"

// Plan modes.
const (
	// PlanSuggest: the system suggests progressions and a therapist
	// approves them; step-downs for safety apply at once.
	PlanSuggest = "suggest"
	// PlanAutomatic: the system applies every change itself.
	PlanAutomatic = "automatic"
)

// Plan is a patient's balance-exercise prescription: the current level of
// the catalog's ladder, how often to train, and the other catalog
// exercises (strength, flexibility, aerobic) assigned alongside.
type Plan struct {
	PatientID string `json:"patient_id"`
	// LevelID is the current ladder level (a catalog level id).
	LevelID string `json:"level_id"`
	// SessionsPerWeek is the prescribed frequency (e.g. 3).
	SessionsPerWeek int `json:"sessions_per_week"`
	// Mode is PlanSuggest or PlanAutomatic.
	Mode string `json:"mode"`
	// Exercises are further catalog exercise ids to do alongside.
	Exercises []string `json:"exercises,omitempty"`
	// CatalogVersion is the catalog version the plan was last set against.
	CatalogVersion int `json:"catalog_version"`
	// AssignedAt is when the plan was first assigned; LevelSince when the
	// current level started (sessions before it do not count toward it).
	AssignedAt time.Time `json:"assigned_at"`
	LevelSince time.Time `json:"level_since"`
	UpdatedAt  time.Time `json:"updated_at"`
	UpdatedBy  string    `json:"updated_by"`
}

// Plan change kinds.
const (
	ChangeAssign   = "assign"   // a therapist set the plan
	ChangeOverride = "override" // a therapist moved the level directly
	ChangeProgress = "progress" // one step harder
	ChangeRegress  = "regress"  // one step easier
)

// Plan change statuses.
const (
	ChangeApplied   = "applied"   // in effect
	ChangePending   = "pending"   // a suggestion waiting for a therapist
	ChangeRejected  = "rejected"  // a therapist said no
	ChangeWithdrawn = "withdrawn" // superseded before anyone decided
)

// PlanReason is one reason behind a plan change or a decision to hold.
type PlanReason struct {
	Code string `json:"code"` // e.g. hold_target_reached, fall
	Text string `json:"text"` // for a person
}

// PlanChange is one change (or suggested change) of a patient's plan, with
// its reasons. Suggestions are changes with status ChangePending.
type PlanChange struct {
	// ID is deterministic for an automatic decision (patient, levels and
	// the sessions behind it) so that evaluating twice records it once.
	ID        string    `json:"id"`
	PatientID string    `json:"patient_id"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"` // Change* kinds
	FromLevel string    `json:"from_level,omitempty"`
	ToLevel   string    `json:"to_level"`
	// Dimension is the one dimension changed (stance, vision, surface,
	// support, otago, program), empty for assignments and overrides.
	Dimension string       `json:"dimension,omitempty"`
	Reasons   []PlanReason `json:"reasons"`
	// SessionIDs are the measured sessions the decision rests on.
	SessionIDs []string `json:"session_ids,omitempty"`
	Status     string   `json:"status"`
	// By is "system" or the therapist who made the change.
	By string `json:"by"`
	// DecidedBy and DecidedAt record a therapist's approval or rejection.
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Note      string    `json:"note,omitempty"`
}
