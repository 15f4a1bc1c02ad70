package storetest

import (
	"strings"
	"testing"
	"time"
)

// TestCheckRetention: the guard that every contract write passes refuses a
// fixture older than the store's retention. The first case is the fixed base
// the suite used until 2026-12-01 (2026-11-01 08:00 UTC) against the test
// InfluxDB's 30-day raw retention, checked on 2026-12-04: influxd answered
// "points beyond retention policy dropped" for it.
func TestCheckRetention(t *testing.T) {
	day := 24 * time.Hour
	fixed := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		now       time.Time
		retention time.Duration
		times     []time.Time
		wantErr   bool
	}{
		{"fixed date past 30 days", time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC), 30 * day, []time.Time{fixed}, true},
		{"fixed date inside 30 days", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 30 * day, []time.Time{fixed}, false},
		{"one second past the edge", fixed.Add(30*day + time.Second), 30 * day, []time.Time{fixed}, true},
		{"exactly at the edge", fixed.Add(30 * day), 30 * day, []time.Time{fixed}, false},
		{"no retention keeps all", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 0, []time.Time{fixed}, false},
		{"the last of several expired", fixed.Add(40 * day), 30 * day, []time.Time{fixed.Add(39 * day), fixed}, true},
		{"base of the clock, a year ahead", fixed.AddDate(1, 0, 0), 30 * day, []time.Time{Base(fixed.AddDate(1, 0, 0))}, false},
		{"future points", fixed, 30 * day, []time.Time{fixed.Add(2 * time.Hour)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckRetention(tc.now, tc.retention, tc.times...)
			if (err != nil) != tc.wantErr {
				t.Fatalf("CheckRetention = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "older than the store's retention") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
}

// TestBaseFollowsTheClock: fixtures start at the previous whole hour of the
// clock, so they move with the date and stay within a day of it.
func TestBaseFollowsTheClock(t *testing.T) {
	now := time.Date(2027, 3, 9, 14, 37, 12, 5, time.FixedZone("CET", 3600))
	got := Base(now)
	want := time.Date(2027, 3, 9, 12, 0, 0, 0, time.UTC) // 13:37 UTC -> 13:00 -> 12:00
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("Base(%v) = %v, want %v UTC", now, got, want)
	}
	if d := now.Sub(got); d < time.Hour || d > 2*time.Hour {
		t.Errorf("Base is %v before the clock, want between 1 h and 2 h", d)
	}
}
