package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/balance-pt/balance"
)

// AlertContext is what a person needs to act on an alert besides the alert
// itself: who the patient is and how to reach them, when it happened in
// the clinic's time, and what to do.
type AlertContext struct {
	Patient balance.Patient `json:"patient"`
	// LocalTime is the occurrence in the patient's clinic time zone,
	// e.g. "Fri 4 Dec 2026, 14:03 CET".
	LocalTime string `json:"local_time"`
	// WhatToDo says, in one or two plain sentences, what the recipient
	// should do now.
	WhatToDo string `json:"what_to_do"`
}

// Contexts looks up what notifications say about the patients of alerts.
type Contexts struct {
	// Patient returns a patient's record (name and contact).
	Patient func(ctx context.Context, id string) (balance.Patient, error)
	// Zone returns the time zone of a patient's clinic (nil: UTC).
	Zone func(patientID string) *time.Location
}

// of returns the context of an alert; a patient that cannot be read is
// named by id only (the notification still goes).
func (c Contexts) of(ctx context.Context, a balance.Alert) AlertContext {
	out := AlertContext{Patient: balance.Patient{ID: a.PatientID}}
	if c.Patient != nil {
		if p, err := c.Patient(ctx, a.PatientID); err == nil {
			out.Patient = p
		}
	}
	out.LocalTime = a.OccurredAt.In(c.zone(a.PatientID)).Format("Mon 2 Jan 2006, 15:04 MST")
	out.WhatToDo = WhatToDo(a, out.Patient)
	return out
}

// zone returns the time zone of a patient's clinic (UTC if unknown).
func (c Contexts) zone(patientID string) *time.Location {
	if c.Zone != nil {
		if z := c.Zone(patientID); z != nil {
			return z
		}
	}
	return time.UTC
}

// WhatToDo says what a recipient should do about an alert, with the
// patient's contact where it helps.
func WhatToDo(a balance.Alert, p balance.Patient) string {
	name := p.Name
	if name == "" {
		name = "the patient"
	}
	call := "Call " + name + " now"
	if p.Phone != "" {
		call += " on " + p.Phone
	}
	help := "If there is no answer, go or send someone"
	if p.Address != "" {
		help += " to " + p.Address
	}
	help += "; call the emergency services if needed."
	if p.Contact != "" {
		help += " Other contact: " + p.Contact + "."
	}
	switch a.Kind {
	case balance.AlertFall, balance.AlertNoMovement:
		if a.Status == balance.AlertResolved {
			return fmt.Sprintf("%s moved again: %s. Check how they are when you can.", capitalise(name), a.ResolvedReason)
		}
		return call + ". " + help
	case balance.AlertDeviceOffline, balance.AlertNotWorn:
		return "Check with " + name + " that the sensor is charged and worn" + phoneOf(p) + "."
	case balance.AlertRiskRose, balance.AlertTrend:
		return "Review " + name + "'s exercises and falls with them at the next contact; consider an earlier visit."
	}
	return "Look at the alert in the dashboard."
}

func phoneOf(p balance.Patient) string {
	if p.Phone == "" {
		return ""
	}
	return " (" + p.Phone + ")"
}

func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
