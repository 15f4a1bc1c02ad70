package alerts

import (
	"context"
	"time"

	"github.com/balance-pt/balance"
)

// Delivery states.
const (
	StatePending    = "pending"    // waiting for its next attempt
	StateDelivering = "delivering" // an attempt is running
	StateDelivered  = "delivered"
	StateFailed     = "failed"    // refused for good, or gave up at the deadline
	StateCancelled  = "cancelled" // a repeat or escalation made moot by an acknowledgement
)

// Attempt outcomes in the delivery log.
const (
	OutcomeInProgress  = "in_progress" // started, not finished (yet)
	OutcomeDelivered   = "delivered"
	OutcomeRetry       = "retry"       // failed, another attempt is scheduled
	OutcomeFailed      = "failed"      // failed and will not be retried (refused)
	OutcomeGaveUp      = "gave_up"     // failed at or after the deadline
	OutcomeInterrupted = "interrupted" // the process stopped or died during the attempt
	OutcomeCancelled   = "cancelled"   // not sent: every alert was acknowledged meanwhile
)

// NewDelivery is a delivery to create.
type NewDelivery struct {
	ID        string
	Recipient string
	Channel   string
	Target    string
	Reason    string
	Level     int
	AlertIDs  []string
	// GroupKey and Group: when Group is set, the alert joins a pending
	// initial delivery of the same recipient and group key whose first
	// attempt has not started, instead of a new delivery; and a new one
	// is not due before GroupInterval after the group's previous one.
	GroupKey      string
	Group         bool
	GroupInterval time.Duration
	// Fold (urgent alerts with a group key; GroupInterval is then the
	// urgent group interval) and Join (repeats and escalations with a
	// group key): where the delivery goes is decided by Place from the
	// group's state in the outbox.
	Fold   bool
	Join   bool
	NextAt time.Time
	// GiveUpAfter sets the deadline: NextAt + GiveUpAfter.
	GiveUpAfter time.Duration
	// Message is the message of a delivery of no alerts (a reminder:
	// AlertIDs empty, Target the address).
	Message *Message
}

// Delivery is one notification of one or more alerts to one recipient.
type Delivery struct {
	ID          string    `json:"id"`
	Recipient   string    `json:"recipient"`
	Channel     string    `json:"channel"`
	Target      string    `json:"target"`
	Reason      string    `json:"reason"`
	Level       int       `json:"level,omitempty"`
	GroupKey    string    `json:"group_key,omitempty"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAt      time.Time `json:"next_at"`
	Deadline    time.Time `json:"deadline"`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastStatus  int       `json:"last_status,omitempty"`
	// FollowUpSince, when set, makes this initial delivery a follow-up of
	// an urgent group the recipient was already told of: the newest alert
	// they were told of occurred then.
	FollowUpSince time.Time       `json:"follow_up_since,omitzero"`
	AlertIDs      []string        `json:"alert_ids"`
	Alerts        []balance.Alert `json:"-"`
	// Message is what a delivery of no alerts (a reminder) says.
	Message *Message  `json:"message,omitempty"`
	Log     []Attempt `json:"log,omitempty"`
}

// Attempt is one row of the delivery log.
type Attempt struct {
	DeliveryID string        `json:"delivery_id"`
	N          int           `json:"n"`
	Start      time.Time     `json:"start"`
	Duration   time.Duration `json:"duration_ns"`
	Outcome    string        `json:"outcome"`
	StatusCode int           `json:"status_code,omitempty"`
	Error      string        `json:"error,omitempty"`
}

// Outcome is what an attempt did to its delivery.
type Outcome struct {
	Attempt Attempt
	// State is the delivery's new state; NextAt its next attempt when
	// State is pending.
	State  string
	NextAt time.Time
	// FollowUp, when set, is a delivery to create in the same transaction
	// (the next repeat of a delivered notification), so that a crash
	// cannot record the delivery and lose its repeat.
	FollowUp *NewDelivery
}

// Enqueued is what Enqueue did.
type Enqueued struct {
	// Created is false when the alert existed already (nothing changed).
	Created bool
	// Grouped lists the planned deliveries that Place did not create as
	// planned: an urgent alert folded into a follow-up notice of its
	// group (a new one, or one pending) or into a pending notice not
	// started yet, and a repeat or escalation that joined its group's.
	Grouped []Grouped
}

// Grouped is a planned delivery of a new alert that went into a group's
// delivery.
type Grouped struct {
	Recipient, Reason string
	Level             int
	// Into is the delivery's ID, Due when it is due; Joined is true when
	// that delivery existed (false: a follow-up created for this alert).
	Into   string
	Due    time.Time
	Joined bool
}

// AlertFilter selects alerts; empty fields match all.
type AlertFilter struct {
	PatientID string
	// PatientIDs, when not nil, keeps only alerts of these patients (the
	// ones the viewer may see).
	PatientIDs []string
	Status     string
	Severity   string
	Kind       string
	// Silenced keeps only alerts a silence covered as they were raised
	// (stored and shown, not sent), whatever their status.
	Silenced bool
	Limit    int
}

// Store is the persistent outbox and delivery log.
type Store interface {
	// Enqueue stores a new alert and creates its deliveries, in one
	// transaction, placing each with Place (a delivery with Fold or Join
	// may join a pending one instead, or become a follow-up). Created is
	// false, and nothing changed, when an alert with this ID already
	// exists.
	Enqueue(ctx context.Context, a balance.Alert, ds []NewDelivery, now time.Time) (Enqueued, error)
	// AddDelivery creates a delivery of existing alerts, or of none with a
	// Message (a reminder); nothing happens if one with this ID exists.
	AddDelivery(ctx context.Context, d NewDelivery, now time.Time) error
	// Claim marks up to limit pending deliveries due at now as delivering,
	// starts attempt Attempts+1 of each in the log (in_progress), and
	// returns them with their alerts. take, if not nil, is asked about
	// each due delivery's recipient in order and may refuse it (it stays
	// pending), so that one recipient cannot take every worker.
	Claim(ctx context.Context, now time.Time, limit int, take func(recipient string) bool) ([]Delivery, error)
	// Finish records how a claimed delivery's attempt ended.
	Finish(ctx context.Context, o Outcome) error
	// NextDue returns when the earliest pending delivery is due (zero: none).
	NextDue(ctx context.Context) (time.Time, error)
	// Recover returns deliveries left delivering by a stopped process to
	// pending, due at now, and marks their attempts interrupted.
	Recover(ctx context.Context, now time.Time) (int, error)
	// Ack marks an open alert acknowledged and cancels pending repeats and
	// escalations whose alerts are all acknowledged. It returns the alert;
	// ENOTFOUND if there is none.
	Ack(ctx context.Context, id, by string, at time.Time) (balance.Alert, error)
	// Resolve marks an open or acknowledged alert resolved, cancels its
	// pending repeats and escalations, and creates a resolved delivery
	// (reason ReasonResolved, giving up after giveUpAfter) to each
	// recipient a notification of it was delivered to, or is being
	// delivered to. For an alert with a group key, a recipient's resolved
	// delivery waits until no alert of the group sent (or to be sent) to
	// them is unresolved, and then carries every resolved alert of the
	// group they were told of and not yet told resolved: one resolved
	// notice per recipient and group. changed is false (nothing done) for
	// an unknown or already resolved alert.
	Resolve(ctx context.Context, id, reason string, at time.Time, giveUpAfter time.Duration) (a balance.Alert, changed bool, err error)
	// Answer records a patient's answer to "Are you OK?" (r.Note, kind
	// NotePatientAnswer) on an open or acknowledged alert and acts on it,
	// in one transaction that first takes the write lock: AnswerOK
	// resolves the alert as Resolve does (reason r.ResolveReason);
	// AnswerHelp makes the pending escalations of the alert and of its
	// group, and its pending initial notices, due at the answer's time,
	// and creates an update notice (ReasonUpdate, ID AnswerDeliveryID)
	// to each recipient a notification of the alert was delivered or is
	// being delivered to. Nothing changes when the alert is resolved or
	// its latest answer is r.Answer. ENOTFOUND if there is no alert.
	Answer(ctx context.Context, r AnswerRecord) (AnswerResult, error)
	// AddSilence stores a silence; Silences lists a patient's ("": all)
	// ending after since; EndSilence ends one at t.
	AddSilence(ctx context.Context, s balance.Silence) (balance.Silence, error)
	Silences(ctx context.Context, patientID string, since time.Time) ([]balance.Silence, error)
	EndSilence(ctx context.Context, patientID string, id int64, t time.Time) error
	// Alert returns one alert or ENOTFOUND.
	Alert(ctx context.Context, id string) (balance.Alert, error)
	// Alerts returns alerts, newest first, with their NoteCount and
	// Silenced filled in (as Alert does).
	Alerts(ctx context.Context, f AlertFilter) ([]balance.Alert, error)
	// AddNote stores a note on an alert (ENOTFOUND: no such alert); Notes
	// returns an alert's notes and assignments, oldest first.
	AddNote(ctx context.Context, n balance.AlertNote) (balance.AlertNote, error)
	Notes(ctx context.Context, alertID string) ([]balance.AlertNote, error)
	// Assign makes assignee ("" = no one) follow the alert up and records
	// the change on its timeline; assigning the assignee again changes
	// nothing. It returns the alert; ENOTFOUND if there is none.
	Assign(ctx context.Context, id, assignee, by string, at time.Time) (balance.Alert, error)
	// Deliveries returns the deliveries of an alert with their logs.
	Deliveries(ctx context.Context, alertID string) ([]Delivery, error)
	// DeliveryCounts returns the number of deliveries in each state.
	DeliveryCounts(ctx context.Context) (map[string]int, error)
}
