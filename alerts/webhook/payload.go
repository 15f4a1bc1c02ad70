package webhook

import (
	"net/url"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// PayloadVersion is the version of the Payload schema; it changes only when
// a field changes meaning or goes away.
const PayloadVersion = "1"

// Payload is the JSON body of every webhook, in the Standard Webhooks
// shape: type, timestamp, data.
type Payload struct {
	// Type is "alert.notified", "alert.repeated", "alert.escalated",
	// "alert.resolved" or "alert.updated" (the patient asked for help in
	// the app).
	Type string `json:"type"`
	// Timestamp is when the notification was created (the same on every
	// attempt; the attempt's own time is the webhook-timestamp header).
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is the notification.
type Data struct {
	Version string `json:"version"`
	// DeliveryID equals the webhook-id header.
	DeliveryID string `json:"delivery_id"`
	// Reason is initial, repeat, escalation, resolved or update; Level the
	// escalation step.
	Reason    string    `json:"reason"`
	Level     int       `json:"level,omitempty"`
	Recipient Recipient `json:"recipient"`
	Alerts    []Alert   `json:"alerts"`
	// FollowUp is set on a follow-up notice of an urgent group (type
	// alert.notified): Alerts are the group's alerts the recipient was
	// not told of yet, newest first. Absent otherwise.
	FollowUp *alerts.FollowUp `json:"follow_up,omitempty"`
}

// Recipient names who the notification is for.
type Recipient struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// Alert is one alert with links to it.
type Alert struct {
	balance.Alert
	// URL shows the alert with its deliveries; AckURL acknowledges it
	// (POST {"by": "..."}).
	URL    string `json:"url"`
	AckURL string `json:"ack_url"`
	// AckLink acknowledges it without logging in: signed for this
	// recipient, it expires after a day (omitted when links are off or the
	// alert is not open).
	AckLink string `json:"ack_link,omitempty"`
	// Context: the patient (name, phone, address, other contact), the
	// time in the clinic's zone and what to do.
	Context *alerts.AlertContext `json:"context,omitempty"`
	// PatientAnswer is the patient's answer to "Are you OK?" after a
	// fall, when they gave one (absent otherwise).
	PatientAnswer *alerts.PatientAnswer `json:"patient_answer,omitempty"`
}

var types = map[string]string{
	alerts.ReasonInitial:    "alert.notified",
	alerts.ReasonRepeat:     "alert.repeated",
	alerts.ReasonEscalation: "alert.escalated",
	alerts.ReasonResolved:   "alert.resolved",
	alerts.ReasonUpdate:     "alert.updated",
}

// NewPayload builds the body of a notification. It depends only on the
// notification, so every attempt sends the same bytes.
func NewPayload(n *alerts.Notification) Payload {
	p := Payload{
		Type: types[n.Reason], Timestamp: n.CreatedAt.UTC(),
		Data: Data{Version: PayloadVersion, DeliveryID: n.ID, Reason: n.Reason, Level: n.Level,
			Recipient: Recipient{Name: n.Recipient.Name, Role: n.Recipient.Role}, FollowUp: n.FollowUp},
	}
	for _, a := range n.Alerts {
		a.Evidence = absolute(n.BaseURL, a.Evidence)
		self := strings.TrimSuffix(n.BaseURL, "/") + "/api/v1/alerts/" + url.PathEscape(a.ID)
		wa := Alert{Alert: a, URL: self, AckURL: self + "/ack", AckLink: n.AckLinks[a.ID]}
		if c, ok := n.Contexts[a.ID]; ok {
			wa.Context = &c
		}
		if pa, ok := n.Answers[a.ID]; ok {
			wa.PatientAnswer = &pa
		}
		p.Data.Alerts = append(p.Data.Alerts, wa)
	}
	return p
}

// absolute prefixes relative evidence links with base.
func absolute(base string, ev []balance.Evidence) []balance.Evidence {
	if base == "" || len(ev) == 0 {
		return ev
	}
	out := make([]balance.Evidence, len(ev))
	for i, e := range ev {
		if strings.HasPrefix(e.URL, "/") {
			e.URL = strings.TrimSuffix(base, "/") + e.URL
		}
		out[i] = e
	}
	return out
}
