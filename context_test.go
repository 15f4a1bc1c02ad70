package balance_test

import (
	"context"
	"testing"

	"github.com/balance-pt/balance"
)

// TestPatientViewer: a patient viewer sees only themself, is no staff, and
// is recorded as "patient <id>" when they act.
func TestPatientViewer(t *testing.T) {
	v := balance.PatientViewer("p1")
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"sees self", v.CanSee("p1"), true},
		{"sees another", v.CanSee("p2"), false},
		{"sees all", v.SeesAll(), false},
		{"admin", v.IsAdmin(), false},
		{"staff", v.IsStaff(), false},
		{"self", v.Self(), "p1"},
		{"actor", balance.Actor(balance.NewContextWithViewer(context.Background(), v), "claimed"), "patient p1"},
		{"therapist is staff", (&balance.Viewer{User: balance.User{Role: balance.RoleTherapist}}).IsStaff(), true},
		{"therapist has no self", (&balance.Viewer{User: balance.User{Username: "patient:p1", Role: balance.RoleTherapist}, Patients: map[string]bool{"p1": true}}).Self(), ""},
		{"patient role seeing all has no self", (&balance.Viewer{User: balance.User{Username: "patient:p1", Role: balance.RolePatient}, AllPatients: true}).Self(), ""},
		{"nil viewer", (*balance.Viewer)(nil).Self(), ""},
		{"staff actor", balance.Actor(balance.NewContextWithViewer(context.Background(), &balance.Viewer{User: balance.User{Username: "ann", Role: balance.RoleTherapist}}), "x"), "ann"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
