package reminders_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/email"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/progression"
	"github.com/balance-pt/balance/reminders"
	"github.com/balance-pt/balance/sqlite"
)

// today names one exercise for every patient.
type today string

func (n today) Today(_ context.Context, patientID string) (progression.Today, error) {
	return progression.Today{PatientID: patientID, Balance: progression.TodayExercise{Name: string(n)}}, nil
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// system is the state database, the real alerts outbox delivering by
// e-mail to mailpit, and a reminder scheduler on a fake clock.
type system struct {
	state *sqlite.StateDB
	out   *alerts.Service
	sched *reminders.Scheduler
}

func start(t *testing.T, path string, mp *testenv.Mailpit, c *clock, london *time.Location) *system {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenState(ctx, path)
	must(t, err)
	cfg := alerts.Config{SMTP: alerts.SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, StartTLS: alerts.StartTLSNone, From: "Balance <reminders@clinic.example>"}}
	cfg.SetDefaults()
	mailer, err := email.New(cfg.SMTP)
	must(t, err)
	out, err := alerts.New(cfg, st.AlertStore(), alerts.Options{Notifiers: map[string]alerts.Notifier{alerts.ChannelEmail: mailer}})
	must(t, err)
	must(t, out.Start(ctx))
	return &system{state: st, out: out, sched: &reminders.Scheduler{
		Store: st, Sessions: st, Exercises: today("Standing with feet together"), Mailer: out,
		Zone: func(string) *time.Location { return london }, AppURL: "https://clinic.example/app/", Now: c.Now,
	}}
}

func (s *system) stop() { s.out.Close(); s.state.Close() }

// tick runs one scheduler tick and returns how many reminders it enqueued.
func (s *system) tick(t *testing.T) int {
	t.Helper()
	n, err := s.sched.Tick(context.Background())
	must(t, err)
	return n
}

// TestReminderByEmailOnce: a reminder set for 07:30 (London) is not sent at
// 07:29, is sent at 07:31 as exactly one e-mail to the patient's address
// naming today's exercise and linking the app, and is not sent again on
// the next tick, after a restart, or when enqueued again directly; a
// patient who exercised today gets none.
func TestReminderByEmailOnce(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	must(t, err)
	mp := testenv.StartMailpit(t, testenv.MailpitOptions{})
	path := filepath.Join(t.TempDir(), "state.db")
	c := &clock{t: time.Date(2026, 3, 30, 7, 29, 0, 0, london)} // the Monday after the clocks went forward
	ctx := context.Background()

	s := start(t, path, mp, c, london)
	for _, p := range []balance.Patient{{ID: "p1", Name: "Ada"}, {ID: "p2", Name: "Grace"}} {
		must(t, s.state.CreatePatient(ctx, p))
		must(t, s.state.SetReminderSettings(ctx, reminders.Settings{PatientID: p.ID, Email: p.ID + "@example.com", Time: "07:30", Days: reminders.EveryDay, On: true}))
	}
	// p2 did a session this morning.
	must(t, s.state.SaveExerciseSession(ctx, balance.ExerciseSession{ID: "s1", PatientID: "p2", DeviceID: "d2", Kind: balance.SessionExercise,
		Start: time.Date(2026, 3, 30, 6, 50, 0, 0, london), End: time.Date(2026, 3, 30, 7, 0, 0, 0, london)}))

	if n := s.tick(t); n != 0 {
		t.Fatalf("at 07:29: %d reminders enqueued, want 0", n)
	}
	c.Set(time.Date(2026, 3, 30, 7, 31, 0, 0, london))
	if n := s.tick(t); n != 1 {
		t.Fatalf("at 07:31: %d reminders enqueued, want 1 (p1 only)", n)
	}
	ms := mp.WaitMessages(t, 1, 10*time.Second)
	if len(ms) != 1 {
		t.Fatalf("%d e-mails, want 1", len(ms))
	}
	m := mp.Message(t, ms[0].ID)
	got := struct{ To, Subject string }{m.To[0].Address, m.Subject}
	if diff := cmp.Diff(struct{ To, Subject string }{"p1@example.com", "Time for your balance exercises"}, got); diff != "" {
		t.Errorf("e-mail (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Time for your balance exercises. Today: Standing with feet together.", "Open the app: https://clinic.example/app/"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the e-mail lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Subject, "[") {
		t.Errorf("subject %q has an alert prefix", m.Subject)
	}

	c.Set(time.Date(2026, 3, 30, 7, 32, 0, 0, london))
	if n := s.tick(t); n != 0 {
		t.Errorf("next tick: %d reminders enqueued, want 0", n)
	}
	// The outbox itself keeps one delivery per patient and day.
	must(t, s.out.Remind(ctx, "p1", "p1@example.com", reminders.Subject, "again", time.Date(2026, 3, 30, 7, 30, 0, 0, london)))
	s.stop()

	s = start(t, path, mp, c, london) // a restart (or another instance)
	defer s.stop()
	c.Set(time.Date(2026, 3, 30, 7, 33, 0, 0, london))
	if n := s.tick(t); n != 0 {
		t.Errorf("after a restart: %d reminders enqueued, want 0", n)
	}
	time.Sleep(500 * time.Millisecond) // give a wrong second delivery time to arrive
	if ms := mp.Messages(t); len(ms) != 1 {
		t.Errorf("%d e-mails in the end, want 1", len(ms))
	}
	counts, err := s.state.AlertStore().DeliveryCounts(ctx)
	must(t, err)
	if diff := cmp.Diff(map[string]int{alerts.StateDelivered: 1}, counts); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
}
