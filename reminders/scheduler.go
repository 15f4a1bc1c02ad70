package reminders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/progression"
)

// Entry is one patient's settings with the local date (YYYY-MM-DD) of the
// last reminder sent ("" for none).
type Entry struct {
	Settings
	LastSent string
}

// Store keeps reminder settings and the reminders sent (sqlite.StateDB
// implements it).
type Store interface {
	// Reminders returns the settings of every patient whose reminders are on.
	Reminders(ctx context.Context) ([]Entry, error)
	// MarkReminderSent records that the patient's reminder of date went to
	// the outbox as delivery deliveryID; false when it was recorded
	// already (another instance got there first).
	MarkReminderSent(ctx context.Context, patientID, date, deliveryID string, at time.Time) (bool, error)
}

// Sessions says what sessions a patient did (sqlite.StateDB implements it).
type Sessions interface {
	// ExerciseSessions returns the sessions that started at or after since.
	ExerciseSessions(ctx context.Context, patientID string, since time.Time) ([]balance.ExerciseSession, error)
}

// Exercises names today's exercise (*progression.Service implements it).
type Exercises interface {
	Today(ctx context.Context, patientID string) (progression.Today, error)
}

// Mailer enqueues a reminder e-mail (*alerts.Service implements it).
type Mailer interface {
	Remind(ctx context.Context, patientID, email, subject, text string, dueAt time.Time) error
}

// Scheduler sends the reminders that are due, every Every.
type Scheduler struct {
	Store    Store
	Sessions Sessions
	// Exercises names today's exercise in the e-mail (nil, or no plan:
	// the e-mail names none).
	Exercises Exercises
	Mailer    Mailer
	// Zone returns a patient's clinic time zone (nil: UTC).
	Zone func(patientID string) *time.Location
	// AppURL is the patient app's absolute address for the e-mail's link
	// ("": the e-mail says to open the app on the phone).
	AppURL string
	// Now is the clock [time.Now]; Every the pause between ticks [1m].
	Now   func() time.Time
	Every time.Duration
	Log   *slog.Logger
}

// Subject is the reminder e-mail's subject.
const Subject = "Time for your balance exercises"

// Run ticks at once and then every Every until ctx ends. A failed tick is
// logged; the next one tries again.
func (s *Scheduler) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick sends every reminder due now and returns how many it enqueued.
// Each patient's failure is collected; the others still go.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	es, err := s.Store.Reminders(ctx)
	if err != nil {
		return 0, fmt.Errorf("reminders: %w", err)
	}
	now := s.now()
	var errs []error
	sent := 0
	for _, e := range es {
		ok, err := s.remind(ctx, e, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("reminders: patient %s: %w", e.PatientID, err))
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// remind sends one patient's reminder if it is due now and they have not
// exercised today.
func (s *Scheduler) remind(ctx context.Context, e Entry, now time.Time) (bool, error) {
	zone := s.zone(e.PatientID)
	if !Due(e.Settings, zone, e.LastSent, now) {
		return false, nil
	}
	at, _ := dueAt(e.Settings, zone, now)
	date := at.Format(time.DateOnly)
	local := now.In(zone)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	done, err := s.Sessions.ExerciseSessions(ctx, e.PatientID, midnight)
	if err != nil {
		return false, fmt.Errorf("sessions today: %w", err)
	}
	if len(done) > 0 {
		s.log().Debug("no reminder: the patient exercised today", "patient", e.PatientID, "date", date, "sessions", len(done))
		return false, nil
	}
	// Enqueue first, then record: the delivery ID is the day's, so a crash
	// between the two (or another instance doing the same) enqueues nothing
	// new, and the next tick records it.
	if err := s.Mailer.Remind(ctx, e.PatientID, e.Email, Subject, s.text(ctx, e.PatientID), at); err != nil {
		return false, err
	}
	id := alerts.ReminderID(e.PatientID, date)
	first, err := s.Store.MarkReminderSent(ctx, e.PatientID, date, id, now)
	if err != nil {
		return false, fmt.Errorf("record reminder of %s: %w", date, err)
	}
	if first {
		s.log().Info("exercise reminder enqueued", "patient", e.PatientID, "date", date, "time", e.Time, "delivery", id)
	}
	return first, nil
}

// text is the reminder e-mail's body, in plain words.
func (s *Scheduler) text(ctx context.Context, patientID string) string {
	b := "Time for your balance exercises."
	if s.Exercises != nil {
		t, err := s.Exercises.Today(ctx, patientID)
		switch {
		case err == nil && t.Balance.Name != "":
			b += " Today: " + t.Balance.Name + "."
		case err != nil && balance.ErrorCode(err) != balance.ENOTFOUND:
			s.log().Warn("reminder without today's exercise", "patient", patientID, "err", err)
		}
	}
	if s.AppURL != "" {
		b += "\n\nOpen the app: " + s.AppURL
	} else {
		b += "\n\nOpen the balance app on your phone."
	}
	b += "\n\nTo change the time or stop these reminders, open Reminders in the app.\n"
	return b
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scheduler) zone(patientID string) *time.Location {
	if s.Zone != nil {
		if z := s.Zone(patientID); z != nil {
			return z
		}
	}
	return time.UTC
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}
