package alerts

import (
	"context"
	"errors"
	"time"

	"github.com/balance-pt/balance"
)

// Delivery reasons.
const (
	ReasonInitial    = "initial"    // first notification of the alerts
	ReasonRepeat     = "repeat"     // still unacknowledged after the recipient's repeat interval
	ReasonEscalation = "escalation" // still unacknowledged after an escalation step's delay
	ReasonResolved   = "resolved"   // the condition ended: to those who were told
	ReasonUpdate     = "update"     // the patient asked for help in the app: to those who were told
	ReasonReminder   = "reminder"   // not about alerts: a patient's exercise reminder (Service.Remind)
)

// Notification is what one delivery sends to one recipient: one alert, or
// several of one group.
type Notification struct {
	// ID is the delivery's ID, stable across retries and restarts: the
	// webhook-id header and the e-mail Message-ID are derived from it.
	ID        string
	Reason    string
	Level     int // escalation step, from 1 (0 for other reasons)
	Recipient Recipient
	Alerts    []balance.Alert
	// CreatedAt is when the delivery was created; the webhook payload's
	// timestamp, the same on every attempt.
	CreatedAt time.Time
	// BaseURL makes relative links absolute ("" leaves them relative).
	BaseURL string
	// AckLinks are the one-click acknowledgement links for this recipient,
	// by alert ID (absolute when BaseURL is set; none for resolved alerts).
	AckLinks map[string]string
	// Contexts say who, when (clinic time) and what to do, by alert ID.
	Contexts map[string]AlertContext
	// FollowUp is set when this initial notice is a follow-up of an
	// urgent group the recipient was already told of: Alerts are then the
	// alerts of the group not told yet, newest first.
	FollowUp *FollowUp
	// Answers are the patients' answers to "Are you OK?", by alert ID
	// (falls only). An update notice (ReasonUpdate) is about them.
	Answers map[string]PatientAnswer
	// Message, set on a reminder (ReasonReminder), is the whole message:
	// Alerts and the fields about them are then empty.
	Message *Message
}

// Message is the subject and plain text of a delivery that is not about
// alerts (a reminder).
type Message struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// Notifier sends a notification over one channel. It returns nil once the
// receiver has accepted it; otherwise an error and whether retrying can
// succeed (timeouts, connection errors, 429 and 5xx answers, temporary SMTP
// failures: true; other refusals: false). The error may be a *DeliveryError
// carrying the status code and a Retry-After delay.
type Notifier interface {
	Notify(ctx context.Context, n *Notification) (retry bool, err error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n *Notification) (bool, error)

// Notify implements Notifier.
func (f NotifierFunc) Notify(ctx context.Context, n *Notification) (bool, error) { return f(ctx, n) }

// DeliveryError describes a failed attempt.
type DeliveryError struct {
	// StatusCode is the HTTP status or SMTP reply code (0: none, e.g. a timeout).
	StatusCode int
	// RetryAfter is the delay the receiver asked for (0: none).
	RetryAfter time.Duration
	Err        error
}

// Error implements error.
func (e *DeliveryError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *DeliveryError) Unwrap() error { return e.Err }

func statusOf(err error) (code int, retryAfter time.Duration) {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.StatusCode, de.RetryAfter
	}
	return 0, 0
}
