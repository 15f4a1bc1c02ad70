package statetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

func testAlertNotesAndAssignee(t *testing.T, bk Backend) {
	ctx := t.Context()
	st := bk.alertStore(t)
	now := time.Unix(1_800_000_000, 0).UTC()
	if _, err := st.Enqueue(ctx, alertFixture("a1", now), nil, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddNote(ctx, balance.AlertNote{AlertID: "nope", Author: "ann", Text: "x", CreatedAt: now}); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("note on an unknown alert: %v, want not_found", err)
	}
	n1, err := st.AddNote(ctx, balance.AlertNote{AlertID: "a1", Author: "ann", Text: "Called, no answer", CreatedAt: now.Add(time.Minute)})
	if err != nil || n1.ID == 0 || n1.Kind != balance.NoteText {
		t.Fatalf("AddNote = %+v, %v", n1, err)
	}
	a, err := st.Assign(ctx, "a1", "bob", "ann", now.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if a.Assignee != "bob" || a.AssignedBy != "ann" || !a.AssignedAt.Equal(now.Add(2*time.Minute)) || a.NoteCount != 1 {
		t.Errorf("after Assign: assignee %q by %q at %v, %d notes", a.Assignee, a.AssignedBy, a.AssignedAt, a.NoteCount)
	}
	// Assigning bob again records nothing; unassigning does.
	if _, err := st.Assign(ctx, "a1", "bob", "cy", now.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Assign(ctx, "a1", "", "cy", now.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Assign(ctx, "nope", "bob", "ann", now); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("assign an unknown alert: %v, want not_found", err)
	}
	ns, err := st.Notes(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	type line struct{ Kind, Author, Text string }
	var got []line
	for _, n := range ns {
		got = append(got, line{n.Kind, n.Author, n.Text})
	}
	want := []line{{balance.NoteText, "ann", "Called, no answer"}, {balance.NoteAssigned, "ann", "bob"}, {balance.NoteAssigned, "cy", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	back, err := st.Alert(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if back.Assignee != "" || back.NoteCount != 1 || back.Status != balance.AlertOpen {
		t.Errorf("alert read back: assignee %q, %d notes (assignments are not notes), status %s", back.Assignee, back.NoteCount, back.Status)
	}
}

func testAlertFilters(t *testing.T, bk Backend) {
	ctx := t.Context()
	st := bk.alertStore(t)
	now := time.Unix(1_800_000_000, 0).UTC()
	// A silence of p2's device d2, every kind but falls, for the second hour.
	if _, err := st.AddSilence(ctx, balance.Silence{PatientID: "p2", DeviceID: "d2", StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour),
		Reason: "charging", CreatedBy: "ann", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for i, a := range []balance.Alert{
		{ID: "fall-p1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1", DeviceID: "d1"},
		{ID: "off-p2", Kind: balance.AlertDeviceOffline, Severity: balance.SeverityInfo, PatientID: "p2", DeviceID: "d2"},     // before the silence
		{ID: "off-p2-sil", Kind: balance.AlertDeviceOffline, Severity: balance.SeverityInfo, PatientID: "p2", DeviceID: "d2"}, // in it
		{ID: "fall-p2-sil", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p2", DeviceID: "d2"},       // in it, but a fall
		{ID: "trend-p3", Kind: balance.AlertTrend, Severity: balance.SeverityWarning, PatientID: "p3"},
	} {
		a.GroupKey, a.Summary, a.Status = a.PatientID+"/"+a.Kind, a.ID, balance.AlertOpen
		a.CreatedAt = now.Add(time.Duration(i) * 30 * time.Minute)
		a.OccurredAt = a.CreatedAt
		if _, err := st.Enqueue(ctx, a, nil, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Ack(ctx, "fall-p2-sil", "ann", now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Resolve(ctx, "fall-p1", "got up", now.Add(3*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    alerts.AlertFilter
		want []string
	}{
		{"all, newest first", alerts.AlertFilter{}, []string{"trend-p3", "fall-p2-sil", "off-p2-sil", "off-p2", "fall-p1"}},
		{"severity", alerts.AlertFilter{Severity: balance.SeverityUrgent}, []string{"fall-p2-sil", "fall-p1"}},
		{"kind", alerts.AlertFilter{Kind: balance.AlertDeviceOffline}, []string{"off-p2-sil", "off-p2"}},
		{"open", alerts.AlertFilter{Status: balance.AlertOpen}, []string{"trend-p3", "off-p2-sil", "off-p2"}},
		{"acknowledged", alerts.AlertFilter{Status: balance.AlertAcknowledged}, []string{"fall-p2-sil"}},
		{"resolved", alerts.AlertFilter{Status: balance.AlertResolved}, []string{"fall-p1"}},
		{"silenced", alerts.AlertFilter{Silenced: true}, []string{"off-p2-sil"}},
		{"patient and severity", alerts.AlertFilter{PatientID: "p2", Severity: balance.SeverityInfo}, []string{"off-p2-sil", "off-p2"}},
		{"among patients", alerts.AlertFilter{PatientIDs: []string{"p1", "p3"}}, []string{"trend-p3", "fall-p1"}},
		{"among no patients", alerts.AlertFilter{PatientIDs: []string{}}, nil},
		{"limit", alerts.AlertFilter{Limit: 2}, []string{"trend-p3", "fall-p2-sil"}},
	} {
		as, err := st.Alerts(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, a := range as {
			got = append(got, a.ID)
			if a.Silenced != (a.ID == "off-p2-sil") {
				t.Errorf("%s: %s silenced = %v", tc.name, a.ID, a.Silenced)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
