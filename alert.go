package balance

import (
	"context"
	"time"
)

// Alert severities, most urgent first.
const (
	SeverityUrgent  = "urgent"  // act now: a fall, no movement after a fall
	SeverityHigh    = "high"    // act today: risk rose to high
	SeverityWarning = "warning" // review soon: a deteriorating trend, missed sessions
	SeverityInfo    = "info"    // for the record: a device offline
)

// Alert kinds raised by monitoring.
const (
	AlertFall             = "fall"
	AlertNoMovement       = "no_movement_after_fall"
	AlertRiskRose         = "risk_rose"
	AlertTrend            = "deteriorating_trend"
	AlertDeviceOffline    = "device_offline"
	AlertNotWorn          = "not_worn"
	AlertSessionsMissed   = "sessions_missed"
	AlertProgressionReady = "progression_pending" // a suggested plan change waits for a therapist
)

// Alert states.
const (
	AlertOpen         = "open"
	AlertAcknowledged = "acknowledged"
	AlertResolved     = "resolved"
)

// Evidence links an alert to the data behind it.
type Evidence struct {
	Label string `json:"label"`
	// URL is relative to the system's base URL (e.g. /api/v1/patients/p1/samples?from=..&to=..).
	URL string `json:"url"`
}

// Alert is something a person must know about a patient.
type Alert struct {
	// ID is deterministic for the same occurrence (e.g. hash of kind,
	// patient and the event's time), so that re-raising it is idempotent.
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Severity  string `json:"severity"`
	PatientID string `json:"patient_id"`
	DeviceID  string `json:"device_id,omitempty"`
	// Summary says what happened in one sentence; Details adds the numbers.
	Summary  string            `json:"summary"`
	Details  map[string]string `json:"details,omitempty"`
	Evidence []Evidence        `json:"evidence,omitempty"`
	// GroupKey groups alerts that should be notified together and
	// deduplicated (e.g. patient + kind).
	GroupKey string `json:"group_key"`
	// OccurredAt is when it happened (device time); CreatedAt when raised.
	OccurredAt time.Time `json:"occurred_at"`
	CreatedAt  time.Time `json:"created_at"`
	Status     string    `json:"status"`
	AckedBy    string    `json:"acked_by,omitempty"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	// ResolvedAt and ResolvedReason: when the condition ended and how
	// (e.g. "the patient got up"), for a resolved alert.
	ResolvedAt     time.Time `json:"resolved_at,omitzero"`
	ResolvedReason string    `json:"resolved_reason,omitempty"`
	// Assignee is the username of the clinician who is to follow the alert
	// up ("" = no one yet); AssignedBy and AssignedAt say who chose them
	// and when.
	Assignee   string    `json:"assignee,omitempty"`
	AssignedBy string    `json:"assigned_by,omitempty"`
	AssignedAt time.Time `json:"assigned_at,omitzero"`
	// NoteCount is how many notes clinicians added (lists fill it in).
	NoteCount int `json:"note_count,omitempty"`
	// Silenced is true when a silence covered the alert as it was raised:
	// it was stored and shown, not sent (lists fill it in).
	Silenced bool `json:"silenced,omitempty"`
}

// Kinds of alert timeline entries that clinicians add (AlertNote.Kind).
const (
	// NoteText is a free-text note.
	NoteText = "note"
	// NoteAssigned records an assignment: Text is the new assignee's
	// username ("" = unassigned).
	NoteAssigned = "assigned"
)

// AlertNote is an entry a clinician added to an alert's timeline: a note,
// or a change of assignee.
type AlertNote struct {
	ID        int64     `json:"id"`
	AlertID   string    `json:"alert_id"`
	Kind      string    `json:"kind"` // NoteText or NoteAssigned
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// AlertSink takes alerts from monitoring into the alerting subsystem, which
// persists, routes, deduplicates and delivers them. Raise must be idempotent
// on Alert.ID and must return only once the alert is durable.
type AlertSink interface {
	Raise(ctx context.Context, a Alert) error
	// Resolve marks an open or acknowledged alert resolved because its
	// condition ended (reason says how, in plain words): repeats and
	// escalations stop, and those who were told get a resolved notice.
	// Resolving an unknown or resolved alert changes nothing.
	Resolve(ctx context.Context, id, reason string) error
}

// Risk levels.
const (
	RiskLow = "low"
	// RiskNotEnoughData: no cut-off is passed, but the measures needed to
	// call the risk low are missing (missing data is not a good result).
	RiskNotEnoughData = "not_enough_data"
	RiskModerate      = "moderate"
	RiskHigh          = "high"
)

// RiskReason is one finding that contributed to a fall-risk level.
type RiskReason struct {
	Code      string  `json:"code"` // e.g. gait_speed_below_0.8
	Text      string  `json:"text"` // for a person
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Unit      string  `json:"unit,omitempty"`
	// Level is the risk level this reason alone implies.
	Level string `json:"level"`
}

// RiskAssessment is a patient's fall-risk level at a time, with its reasons.
type RiskAssessment struct {
	PatientID string       `json:"patient_id"`
	Time      time.Time    `json:"time"`
	Level     string       `json:"level"`
	Reasons   []RiskReason `json:"reasons"`
}

// ExerciseSession is one measured exercise or clinical-test session, from
// the device's start and stop events and the samples between them.
type ExerciseSession struct {
	ID         string    `json:"id"`
	PatientID  string    `json:"patient_id"`
	DeviceID   string    `json:"device_id"`
	Kind       string    `json:"kind"` // Session* constants
	ExerciseID string    `json:"exercise_id,omitempty"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	// HoldS is how long the stance was held before the first loss of
	// balance (or the whole session), in seconds.
	HoldS float64 `json:"hold_s"`
	// LossesOfBalance counts steps, grabs and large transients.
	LossesOfBalance int `json:"losses_of_balance"`
	// Sway holds the iSway measures of the session (names as in analysis).
	Sway map[string]float64 `json:"sway,omitempty"`
	// Result holds test results: tug_s, sts5_s, gait_speed_mps, ...
	Result  map[string]float64 `json:"result,omitempty"`
	Quality []string           `json:"quality,omitempty"`
}

// Silence stops notifications of a patient's alerts (of one device, of
// some kinds) for a period: a device charging, a hospital stay. Silenced
// alerts are still stored and shown; they are not sent. Falls are silenced
// only when their kinds are listed explicitly.
type Silence struct {
	ID        int64     `json:"id"`
	PatientID string    `json:"patient_id"`
	DeviceID  string    `json:"device_id,omitempty"` // "" = every device
	Kinds     []string  `json:"kinds,omitempty"`     // empty = every kind but falls
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Silences reports whether the silence covers alert a at time t.
func (s Silence) Silences(a Alert, t time.Time) bool {
	if a.PatientID != s.PatientID || t.Before(s.StartsAt) || !t.Before(s.EndsAt) {
		return false
	}
	if s.DeviceID != "" && a.DeviceID != s.DeviceID {
		return false
	}
	if len(s.Kinds) == 0 {
		return a.Kind != AlertFall && a.Kind != AlertNoMovement
	}
	for _, k := range s.Kinds {
		if k == a.Kind {
			return true
		}
	}
	return false
}
