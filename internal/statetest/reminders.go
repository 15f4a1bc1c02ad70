package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/reminders"
)

// testReminderSettings: settings are stored, read back and replaced; an
// invalid one is refused (EINVALID), an unknown patient too (ENOTFOUND);
// Reminders lists only those that are on, with the last date sent; the
// key on patient and date records each day's reminder once, across
// reopening the database.
func testReminderSettings(t *testing.T, bk Backend) {
	ctx := context.Background()
	path := bk.NewDatabase(t)
	st := bk.open(t, path, Options{})
	for _, id := range []string{"p1", "p2"} {
		if err := st.CreatePatient(ctx, balance.Patient{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.ReminderSettings(ctx, "p1"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Fatalf("no settings yet: %v, want ENOTFOUND", err)
	}
	at := time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)
	p1 := reminders.Settings{PatientID: "p1", Email: "ada@example.com", Time: "07:30", Days: reminders.DaysOf(time.Monday, time.Thursday), On: true, UpdatedAt: at}
	p2 := reminders.Settings{PatientID: "p2", Email: "grace@example.com", Time: "18:00", Days: reminders.EveryDay, On: false, UpdatedAt: at}
	for _, s := range []reminders.Settings{p2, p1} {
		if err := st.SetReminderSettings(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.ReminderSettings(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p1, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		s    reminders.Settings
		code string
	}{
		{reminders.Settings{PatientID: "p1", Email: "nope", Time: "07:30", Days: reminders.EveryDay, On: true}, balance.EINVALID},
		{reminders.Settings{PatientID: "p1", Email: "ada@example.com", Time: "25:00", Days: reminders.EveryDay, On: true}, balance.EINVALID},
		{reminders.Settings{PatientID: "nobody", Email: "x@example.com", Time: "07:30", Days: reminders.EveryDay, On: true}, balance.ENOTFOUND},
	} {
		if err := st.SetReminderSettings(ctx, tc.s); balance.ErrorCode(err) != tc.code {
			t.Errorf("SetReminderSettings(%+v) = %v, want %s", tc.s, err, tc.code)
		}
	}
	if got, _ := st.ReminderSettings(ctx, "p1"); !cmp.Equal(p1, got) {
		t.Errorf("a refused save changed the settings: %+v", got)
	}

	es, err := st.Reminders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]reminders.Entry{{Settings: p1}}, es); diff != "" {
		t.Errorf("Reminders before any was sent (-want +got):\n%s", diff)
	}
	for i, want := range []bool{true, false} {
		first, err := st.MarkReminderSent(ctx, "p1", "2026-03-30", "msg_x", at)
		if err != nil || first != want {
			t.Errorf("MarkReminderSent #%d = %v, %v; want %v", i+1, first, err, want)
		}
	}
	if first, err := st.MarkReminderSent(ctx, "p1", "2026-03-29", "msg_y", at); err != nil || !first {
		t.Errorf("an earlier day: %v, %v", first, err)
	}
	st.Close()

	st = bk.open(t, path, Options{})
	if first, err := st.MarkReminderSent(ctx, "p1", "2026-03-30", "msg_x", at); err != nil || first {
		t.Errorf("after reopening: %v, %v; want recorded already", first, err)
	}
	es, err = st.Reminders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]reminders.Entry{{Settings: p1, LastSent: "2026-03-30"}}, es); diff != "" {
		t.Errorf("Reminders after sending (-want +got):\n%s", diff)
	}
}
