package monitor

import (
	"strings"
	"testing"
	"time"
)

// TestFallAlertSaysWhatHappened: the fall alert's summary and action follow
// the detector's findings: got up (and how soon), lying still, still down
// and moving, out of bed.
func TestFallAlertSaysWhatHappened(t *testing.T) {
	at := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC) // the text's date is the impact's, injected
	for _, tc := range []struct {
		name       string
		info       FallInfo
		summary    string
		action     string
		notSummary string
	}{
		{"got up", FallInfo{GotUp: true, TimeToGetUpS: 4.2}, "appears to have fallen at", "a fall they got up from still counts", "lying still"},
		{"lying still", FallInfo{Inactive: true}, "and is lying still", "send help if there is no answer", "got up"},
		{"down and moving", FallInfo{}, "is still down (moving, not upright)", "send help if there is no answer", "lying still"},
		{"out of bed", FallInfo{FromLying: true, Inactive: true}, "fallen out of bed", "send help", "got up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.info.ImpactNS = at.UnixNano()
			a := FallAlert("p1", "d1", tc.info)
			if !strings.Contains(a.Summary, tc.summary) || strings.Contains(a.Summary, tc.notSummary) {
				t.Errorf("summary %q: want %q, not %q", a.Summary, tc.summary, tc.notSummary)
			}
			if !strings.Contains(a.Details["action"], tc.action) {
				t.Errorf("action %q, want %q", a.Details["action"], tc.action)
			}
		})
	}
	if s := FallAlert("p1", "d1", FallInfo{ImpactNS: at.UnixNano(), GotUp: true, TimeToGetUpS: 4.2}).Summary; !strings.Contains(s, "got up again after 4 s") {
		t.Errorf("summary %q does not say how soon the patient got up", s)
	}
}
