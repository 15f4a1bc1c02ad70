package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

func TestWhatToDo(t *testing.T) {
	ann := balance.Patient{ID: "p1", Name: "Ann", Phone: "+44 20 7946 0000", Address: "1 High St, Leeds", Contact: "Bob (son) +44 7700 900000"}
	for _, tc := range []struct {
		name string
		a    balance.Alert
		p    balance.Patient
		want []string
	}{
		{"fall, full record", balance.Alert{Kind: balance.AlertFall, Status: balance.AlertOpen}, ann,
			[]string{"Call Ann now on +44 20 7946 0000.", "go or send someone to 1 High St, Leeds", "emergency services", "Other contact: Bob (son)"}},
		{"fall, no record", balance.Alert{Kind: balance.AlertFall, Status: balance.AlertOpen}, balance.Patient{ID: "p2"},
			[]string{"Call the patient now.", "go or send someone;"}},
		{"fall resolved", balance.Alert{Kind: balance.AlertFall, Status: balance.AlertResolved, ResolvedReason: "the patient moved again 12s after the fall"}, ann,
			[]string{"Ann moved again: the patient moved again 12s after the fall."}},
		{"offline", balance.Alert{Kind: balance.AlertDeviceOffline}, ann, []string{"sensor is charged and worn (+44 20 7946 0000)"}},
	} {
		got := WhatToDo(tc.a, tc.p)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
	}
}

func TestContextsInTheClinicZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c := Contexts{
		Patient: func(_ context.Context, id string) (balance.Patient, error) {
			if id == "p1" {
				return balance.Patient{ID: "p1", Name: "Ann"}, nil
			}
			return balance.Patient{}, errors.New("not found")
		},
		Zone: func(string) *time.Location { return berlin },
	}
	// A winter date on purpose: the expected zone name (CET) and offset are
	// fixed by it; nothing is stored, so the date cannot expire.
	at := time.Date(2026, 12, 4, 13, 3, 0, 0, time.UTC) // 14:03 in Berlin (CET)
	got := c.of(context.Background(), balance.Alert{Kind: balance.AlertFall, PatientID: "p1", OccurredAt: at, Status: balance.AlertOpen})
	if got.Patient.Name != "Ann" || got.LocalTime != "Fri 4 Dec 2026, 14:03 CET" || !strings.HasPrefix(got.WhatToDo, "Call Ann now") {
		t.Errorf("context %+v", got)
	}
	// A patient that cannot be read: named by id; the notice still goes.
	if got := c.of(context.Background(), balance.Alert{Kind: balance.AlertFall, PatientID: "p9", OccurredAt: at}); got.Patient.ID != "p9" || got.WhatToDo == "" {
		t.Errorf("unknown patient: %+v", got)
	}
}
