package reminders

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// fakes of the scheduler's dependencies, recording what it did.
type fakeStore struct {
	entries []Entry
	marked  []string
}

func (f *fakeStore) Reminders(context.Context) ([]Entry, error) { return f.entries, nil }
func (f *fakeStore) MarkReminderSent(_ context.Context, p, date, _ string, _ time.Time) (bool, error) {
	f.marked = append(f.marked, p+" "+date)
	return true, nil
}

type fakeSessions map[string][]balance.ExerciseSession

func (f fakeSessions) ExerciseSessions(_ context.Context, p string, since time.Time) ([]balance.ExerciseSession, error) {
	var out []balance.ExerciseSession
	for _, s := range f[p] {
		if !s.Start.Before(since) {
			out = append(out, s)
		}
	}
	return out, nil
}

type fakeMailer struct {
	sent []string
	err  error
}

func (f *fakeMailer) Remind(_ context.Context, p, addr, subject, text string, dueAt time.Time) error {
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, p+" "+addr+" "+dueAt.Format("2006-01-02 15:04 MST")+" "+text)
	return nil
}

// TestSchedulerTick: a due reminder is enqueued (due time in the clinic's
// zone, text in plain words) and recorded; none for a patient who did a
// session today (one yesterday does not count) or whose time has not
// come; a failed enqueue records nothing, so the next tick tries again.
func TestSchedulerTick(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	now := time.Date(2026, 3, 29, 7, 31, 0, 0, london) // spring-forward day
	on := func(p, at string) Entry {
		return Entry{Settings: Settings{PatientID: p, Email: p + "@example.com", Time: at, Days: EveryDay, On: true}}
	}
	text := "Time for your balance exercises.\n\nOpen the balance app on your phone.\n\nTo change the time or stop these reminders, open Reminders in the app.\n"
	for _, tc := range []struct {
		name       string
		entries    []Entry
		sessions   fakeSessions
		mailErr    error
		wantSent   []string
		wantMarked []string
		wantErr    bool
	}{
		{name: "due", entries: []Entry{on("p1", "07:30")},
			wantSent: []string{"p1 p1@example.com 2026-03-29 07:30 BST " + text}, wantMarked: []string{"p1 2026-03-29"}},
		{name: "exercised today", entries: []Entry{on("p1", "07:30")},
			sessions: fakeSessions{"p1": {{Start: time.Date(2026, 3, 29, 6, 0, 0, 0, london)}}}},
		{name: "exercised yesterday only", entries: []Entry{on("p1", "07:30")},
			sessions: fakeSessions{"p1": {{Start: time.Date(2026, 3, 28, 20, 0, 0, 0, london)}}},
			wantSent: []string{"p1 p1@example.com 2026-03-29 07:30 BST " + text}, wantMarked: []string{"p1 2026-03-29"}},
		{name: "not yet", entries: []Entry{on("p1", "07:45")}},
		{name: "sent today already", entries: []Entry{{Settings: on("p1", "07:30").Settings, LastSent: "2026-03-29"}}},
		{name: "outbox fails", entries: []Entry{on("p1", "07:30")}, mailErr: errors.New("database is locked"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, m := &fakeStore{entries: tc.entries}, &fakeMailer{err: tc.mailErr}
			s := &Scheduler{Store: st, Sessions: tc.sessions, Mailer: m, Zone: func(string) *time.Location { return london }, Now: func() time.Time { return now }}
			_, err := s.Tick(context.Background())
			if (err != nil) != tc.wantErr {
				t.Errorf("Tick error = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantSent, m.sent); diff != "" {
				t.Errorf("enqueued (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMarked, st.marked); diff != "" {
				t.Errorf("recorded (-want +got):\n%s", diff)
			}
		})
	}
}
