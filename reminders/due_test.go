package reminders

import (
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at730 := Settings{PatientID: "p1", Email: "ada@example.com", Time: "07:30", Days: EveryDay, On: true}
	with := func(f func(*Settings)) Settings { s := at730; f(&s); return s }
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name     string
		s        Settings
		zone     *time.Location
		lastSent string
		now      time.Time
		want     bool
	}{
		{"a minute before", at730, london, "", utc("2026-01-14T07:29:00Z"), false},
		{"at the time", at730, london, "", utc("2026-01-14T07:30:00Z"), true},
		{"a minute after", at730, london, "", utc("2026-01-14T07:31:00Z"), true},
		{"sent today already", at730, london, "2026-01-14", utc("2026-01-14T07:31:00Z"), false},
		{"sent yesterday", at730, london, "2026-01-13", utc("2026-01-14T07:31:00Z"), true},
		{"too late in the day", at730, london, "", utc("2026-01-14T09:30:00Z"), false},
		{"just within Late", at730, london, "", utc("2026-01-14T09:29:59Z"), true},
		{"off", with(func(s *Settings) { s.On = false }), london, "", utc("2026-01-14T07:31:00Z"), false},
		{"no address", with(func(s *Settings) { s.Email = "" }), london, "", utc("2026-01-14T07:31:00Z"), false},
		{"not one of the days (Wednesday)", with(func(s *Settings) { s.Days = DaysOf(time.Monday, time.Friday) }), london, "", utc("2026-01-14T07:31:00Z"), false},
		{"one of the days (Wednesday)", with(func(s *Settings) { s.Days = DaysOf(time.Wednesday) }), london, "", utc("2026-01-14T07:31:00Z"), true},
		// Summer time: 07:30 BST is 06:30 UTC.
		{"summer: 07:29 BST", at730, london, "", utc("2026-07-01T06:29:00Z"), false},
		{"summer: 07:31 BST", at730, london, "", utc("2026-07-01T06:31:00Z"), true},
		// 29 March 2026: clocks go forward at 01:00 GMT to 02:00 BST.
		{"spring forward day: 07:29 BST", at730, london, "", utc("2026-03-29T06:29:00Z"), false},
		{"spring forward day: 07:31 BST", at730, london, "", utc("2026-03-29T06:31:00Z"), true},
		{"spring forward day: 07:31 GMT is 08:31 BST, still within Late", at730, london, "", utc("2026-03-29T07:31:00Z"), true},
		{"spring forward day: the skipped 01:30 is 02:30 BST, not before", with(func(s *Settings) { s.Time = "01:30" }), london, "", utc("2026-03-29T01:29:00Z"), false},
		{"spring forward day: the skipped 01:30 is 02:30 BST", with(func(s *Settings) { s.Time = "01:30" }), london, "", utc("2026-03-29T01:30:00Z"), true},
		// 25 October 2026: clocks go back at 02:00 BST to 01:00 GMT.
		{"fall back day: 07:29 GMT", at730, london, "", utc("2026-10-25T07:29:00Z"), false},
		{"fall back day: 07:31 GMT", at730, london, "", utc("2026-10-25T07:31:00Z"), true},
		// 01:30 happens twice that day; which one time.Date picks is not
		// guaranteed, but by the second one it is due, and only once.
		{"fall back day: the repeated 01:30, by the second (GMT)", with(func(s *Settings) { s.Time = "01:30" }), london, "", utc("2026-10-25T01:31:00Z"), true},
		{"fall back day: the repeated 01:30, sent already", with(func(s *Settings) { s.Time = "01:30" }), london, "2026-10-25", utc("2026-10-25T01:31:00Z"), false},
		{"the day before spring forward, sent; the day itself not yet", at730, london, "2026-03-28", utc("2026-03-29T06:31:00Z"), true},
		{"UTC when no zone", at730, nil, "", utc("2026-07-01T07:31:00Z"), true},
		{"a local date, not the UTC one (Auckland, 07:31 on the 15th)", at730, mustZone(t, "Pacific/Auckland"), "2026-01-14", utc("2026-01-14T18:31:00Z"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Due(tc.s, tc.zone, tc.lastSent, tc.now); got != tc.want {
				t.Errorf("Due(%s on %v, last %q, %s) = %v, want %v", tc.s.Time, tc.zone, tc.lastSent, tc.now.In(orUTC(tc.zone)), got, tc.want)
			}
		})
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func orUTC(z *time.Location) *time.Location {
	if z == nil {
		return time.UTC
	}
	return z
}

func TestSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Settings
		ok   bool
	}{
		{"on, complete", Settings{PatientID: "p1", Email: " ada@example.com ", Time: "07:30", Days: EveryDay, On: true}, true},
		{"off, no address", Settings{PatientID: "p1", Time: "09:00", Days: EveryDay}, true},
		{"on, no address", Settings{PatientID: "p1", Time: "09:00", Days: EveryDay, On: true}, false},
		{"a name with the address", Settings{PatientID: "p1", Email: "Ada <ada@example.com>", Time: "09:00", Days: EveryDay, On: true}, false},
		{"not an address", Settings{PatientID: "p1", Email: "ada", Time: "09:00", Days: EveryDay, On: true}, false},
		{"no time", Settings{PatientID: "p1", Email: "ada@example.com", Days: EveryDay, On: true}, false},
		{"24:00", Settings{PatientID: "p1", Email: "ada@example.com", Time: "24:00", Days: EveryDay, On: true}, false},
		{"7:30", Settings{PatientID: "p1", Email: "ada@example.com", Time: "7:30", Days: EveryDay, On: true}, false},
		{"+7:30", Settings{PatientID: "p1", Email: "ada@example.com", Time: "+7:30", Days: EveryDay, On: true}, false},
		{"on, no day", Settings{PatientID: "p1", Email: "ada@example.com", Time: "07:30", On: true}, false},
		{"no patient", Settings{Email: "ada@example.com", Time: "07:30", Days: EveryDay, On: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if err := s.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
