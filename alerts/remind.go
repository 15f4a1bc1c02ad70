package alerts

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"github.com/balance-pt/balance"
)

// ReminderGiveUpAfter bounds how long a reminder is retried: one that
// cannot go out within two hours of being enqueued is no use any more.
const ReminderGiveUpAfter = 2 * time.Hour

// ReminderID is the delivery ID of a patient's reminder for one day (date
// is YYYY-MM-DD in the patient's clinic time zone). It is the same on every
// instance and after a restart, so a day's reminder is one row of the
// outbox however often it is enqueued.
func ReminderID(patientID, date string) string {
	return deliveryID(patientID, date, ReasonReminder)
}

// ReminderRecipient is the recipient name of a patient's reminders in the
// delivery log: a one-off address, not a configured recipient.
func ReminderRecipient(patientID string) string { return "patient:" + patientID }

// Remind enqueues a patient's exercise reminder: an e-mail of subject and
// plain text to address (not a configured recipient), delivered by the
// outbox like a notification (same retries, backoff and delivery log;
// giving up after ReminderGiveUpAfter). dueAt is the reminder's time in
// the patient's clinic time zone: its date there names the day, and the
// delivery ID (ReminderID) is derived from the patient and that date, so
// enqueueing a day's reminder again changes nothing. EUNAVAILABLE when no
// e-mail notifier is configured (alerts.smtp).
func (s *Service) Remind(ctx context.Context, patientID, address, subject, text string, dueAt time.Time) error {
	a, err := mail.ParseAddress(address)
	switch {
	case patientID == "":
		return balance.Errorf(balance.EINVALID, "a reminder needs a patient")
	case err != nil || a.Address != address:
		return balance.Errorf(balance.EINVALID, "reminder to %s: %q is not a bare e-mail address", patientID, address)
	case subject == "" || text == "":
		return balance.Errorf(balance.EINVALID, "reminder to %s: subject and text are required", patientID)
	case s.notifiers[ChannelEmail] == nil:
		return balance.Errorf(balance.EUNAVAILABLE, "reminders cannot be sent: no e-mail server is configured (alerts.smtp)")
	}
	now := s.Now()
	d := NewDelivery{
		ID: ReminderID(patientID, dueAt.Format(time.DateOnly)), Recipient: ReminderRecipient(patientID), Channel: ChannelEmail, Target: address,
		Reason: ReasonReminder, NextAt: now, GiveUpAfter: ReminderGiveUpAfter, Message: &Message{Subject: subject, Text: text},
	}
	if err := s.store.AddDelivery(ctx, d, now); err != nil {
		return fmt.Errorf("alerts: reminder to %s: %w", patientID, err)
	}
	s.Wake()
	return nil
}
