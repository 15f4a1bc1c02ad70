package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// testPatientDateOfBirth: a date of birth is stored and read back with the
// other patient fields (by Patient and Patients, and across a reopen that
// re-runs the migrations), an update may clear it, and dates that are not
// real, lie in the future or before 1900 are refused with EINVALID.
func testPatientDateOfBirth(t *testing.T, bk Backend) {
	ctx := context.Background()
	path := bk.NewDatabase(t)
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	db := bk.open(t, path, Options{Now: func() time.Time { return now }})
	dob := balance.Date{Year: 1948, Month: time.March, Day: 7}
	want := balance.Patient{ID: "p1", Name: "Ada Lovelace", HeightM: 1.65, SensorHeightM: 0.95, Neuropathy: true,
		Phone: "+1 555 0100", Address: "1 Main St", Contact: "Byron, +1 555 0101", DateOfBirth: dob, CreatedAt: now}
	if err := db.CreatePatient(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePatient(ctx, balance.Patient{ID: "p2", Name: "No birth date"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Patient(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Patient(p1) (-want +got):\n%s", diff)
	}
	db.Close()
	db = bk.open(t, path, Options{Now: func() time.Time { return now }})
	ps, err := db.Patients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].DateOfBirth != dob || !ps[1].DateOfBirth.IsZero() {
		t.Errorf("Patients after reopen: %+v; want p1 born %s and p2 unknown", ps, dob)
	}

	for _, tc := range []struct {
		name string
		dob  balance.Date
	}{
		{"tomorrow", balance.Date{Year: 2026, Month: time.November, Day: 29}},
		{"next year", balance.Date{Year: 2027, Month: time.January, Day: 1}},
		{"30 February", balance.Date{Year: 1950, Month: time.February, Day: 30}},
		{"month 13", balance.Date{Year: 1950, Month: 13, Day: 1}},
		{"day 0", balance.Date{Year: 1950, Month: time.May}},
		{"before 1900", balance.Date{Year: 1899, Month: time.December, Day: 31}},
	} {
		err := db.CreatePatient(ctx, balance.Patient{ID: "p1", Name: "Ada Lovelace", DateOfBirth: tc.dob})
		if balance.ErrorCode(err) != balance.EINVALID {
			t.Errorf("%s (%+v): %v, want %s", tc.name, tc.dob, err, balance.EINVALID)
		}
	}
	if p, _ := db.Patient(ctx, "p1"); p.DateOfBirth != dob {
		t.Errorf("a refused update changed the date of birth to %s", p.DateOfBirth)
	}
	// Today is a valid date of birth; an update without one clears it.
	today := balance.Date{Year: 2026, Month: time.November, Day: 28}
	if err := db.CreatePatient(ctx, balance.Patient{ID: "p3", DateOfBirth: today}); err != nil {
		t.Errorf("born today: %v", err)
	}
	if err := db.CreatePatient(ctx, balance.Patient{ID: "p1", Name: "Ada Lovelace"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Patient(ctx, "p1"); !p.DateOfBirth.IsZero() {
		t.Errorf("update without a date of birth kept %s", p.DateOfBirth)
	}
}
