package alerts

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

func TestPlan(t *testing.T) {
	c := validConfig()
	c.GroupWait = 30 * time.Second
	c.Recipients[0].Patients = []string{"p1"}
	c.Recipients[1].Kinds = []string{balance.AlertFall}
	c.Recipients[2].MinSeverity = balance.SeverityHigh
	now := time.Now().UTC().Truncate(time.Second)

	type plan struct {
		Recipient, Reason string
		Level             int
		Group             bool
		Due               time.Duration // after now
	}
	summarize := func(ds []NewDelivery) []plan {
		var out []plan
		for _, d := range ds {
			out = append(out, plan{d.Recipient, d.Reason, d.Level, d.Group, d.NextAt.Sub(now)})
		}
		return out
	}
	tests := []struct {
		name  string
		alert balance.Alert
		want  []plan
	}{
		{"urgent fall goes at once to all, escalates to on-call",
			balance.Alert{ID: "a1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1", GroupKey: "p1/fall", CreatedAt: now},
			[]plan{{"dr-a", ReasonInitial, 0, false, 0}, {"family", ReasonInitial, 0, false, 0}, {"night", ReasonInitial, 0, false, 0},
				{"night", ReasonEscalation, 1, false, 10 * time.Minute}}},
		{"warning waits for its group; filters apply; no escalation step for warnings",
			balance.Alert{ID: "a2", Kind: balance.AlertTrend, Severity: balance.SeverityWarning, PatientID: "p1", GroupKey: "p1/trend", CreatedAt: now},
			[]plan{{"dr-a", ReasonInitial, 0, true, 30 * time.Second}}},
		{"other patient: therapist filter excludes",
			balance.Alert{ID: "a3", Kind: balance.AlertRiskRose, Severity: balance.SeverityHigh, PatientID: "p2", GroupKey: "p2/risk", CreatedAt: now},
			[]plan{{"night", ReasonInitial, 0, true, 30 * time.Second}}},
		{"no group key: not grouped",
			balance.Alert{ID: "a4", Kind: balance.AlertRiskRose, Severity: balance.SeverityHigh, PatientID: "p2", CreatedAt: now},
			[]plan{{"night", ReasonInitial, 0, false, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(c.Plan(&tt.alert, now))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanIDsStable(t *testing.T) {
	c := validConfig()
	now := time.Now()
	a := balance.Alert{ID: "x", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p", CreatedAt: now}
	p1, p2 := c.Plan(&a, now), c.Plan(&a, now.Add(time.Hour))
	seen := map[string]bool{}
	for i := range p1 {
		if p1[i].ID != p2[i].ID {
			t.Errorf("delivery %d: ID %s then %s; want the same for the same alert and recipient", i, p1[i].ID, p2[i].ID)
		}
		if seen[p1[i].ID] {
			t.Errorf("ID %s used twice", p1[i].ID)
		}
		seen[p1[i].ID] = true
	}
}

// TestPlanMarksGroups: urgent alerts with a group key are planned to fold
// (with the urgent group interval) and their escalations to join the
// group's; without a group key, nothing is grouped.
func TestPlanMarksGroups(t *testing.T) {
	c := validConfig()
	c.UrgentGroupInterval = 2 * time.Minute
	now := time.Now().UTC().Truncate(time.Second)
	type mark struct {
		Recipient, Reason string
		Fold, Join, Group bool
		Interval          time.Duration
	}
	marks := func(ds []NewDelivery) []mark {
		var out []mark
		for _, d := range ds {
			out = append(out, mark{d.Recipient, d.Reason, d.Fold, d.Join, d.Group, d.GroupInterval})
		}
		return out
	}
	fallA := balance.Alert{ID: "f", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1", GroupKey: "p1/fall", CreatedAt: now}
	want := []mark{
		{"dr-a", ReasonInitial, true, false, false, 2 * time.Minute},
		{"family", ReasonInitial, true, false, false, 2 * time.Minute},
		{"night", ReasonInitial, true, false, false, 2 * time.Minute},
		{"night", ReasonEscalation, false, true, false, 0},
	}
	if diff := cmp.Diff(want, marks(c.Plan(&fallA, now))); diff != "" {
		t.Errorf("urgent fall with a group key (-want +got):\n%s", diff)
	}
	fallA.GroupKey = ""
	for _, m := range marks(c.Plan(&fallA, now)) {
		if m.Fold || m.Join || m.Group {
			t.Errorf("urgent fall without a group key planned grouped: %+v", m)
		}
	}
	trendA := balance.Alert{ID: "t", Kind: balance.AlertTrend, Severity: balance.SeverityWarning, PatientID: "p1", GroupKey: "p1/trend", CreatedAt: now}
	for _, m := range marks(c.Plan(&trendA, now)) {
		if m.Fold || !m.Group || m.Interval != c.GroupInterval {
			t.Errorf("warning planned %+v; want grouped the non-urgent way (group_wait, group_interval), not folded", m)
		}
	}
}

// TestPlaceFolding: the folding rules of urgent groups, and the joining of
// repeats and escalations, applied to the outbox state of the group.
func TestPlaceFolding(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 14, 2, 0, 0, time.UTC)
	min := func(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }
	fold := NewDelivery{ID: "new", Reason: ReasonInitial, Fold: true, GroupInterval: 2 * time.Minute}
	join := NewDelivery{ID: "new", Reason: ReasonEscalation, Level: 1, Join: true}
	tests := []struct {
		name string
		d    NewDelivery
		due  time.Time // as planned
		now  time.Time
		g    GroupState
		want Placement
	}{
		{"first of its group: at once", fold, min(0), min(0), GroupState{}, Placement{NextAt: min(0)}},
		{"earlier ones all resolved: at once, a new first notice", fold, min(1), min(1),
			GroupState{LastDue: min(0), Unresolved: false, NewestTold: min(0)}, Placement{NextAt: min(1)}},
		{"earlier unresolved, told less than the interval ago: follow-up one interval after it", fold, min(1.5), min(1.5),
			GroupState{LastDue: min(0), Unresolved: true, NewestTold: min(-0.1)}, Placement{NextAt: min(2), FollowUpSince: min(-0.1)}},
		{"follow-up pending: joins it", fold, min(1.8), min(1.8),
			GroupState{Pending: "fu", PendingAt: min(2), LastDue: min(2), Unresolved: true, NewestTold: min(0)}, Placement{Join: "fu"}},
		{"first notice not started yet: joins it, still at once", fold, min(0), min(0),
			GroupState{Pending: "first", PendingAt: min(0), LastDue: min(0), Unresolved: true}, Placement{Join: "first"}},
		{"last notice an interval or more ago: at once", fold, min(4), min(4),
			GroupState{LastDue: min(2), Unresolved: true, NewestTold: min(1.5)}, Placement{NextAt: min(4)}},
		{"just inside the interval after a follow-up: the next follow-up", fold, min(3.9), min(3.9),
			GroupState{LastDue: min(2), Unresolved: true, NewestTold: min(1.5)}, Placement{NextAt: min(4), FollowUpSince: min(1.5)}},
		{"never waits for a later pending notice (e.g. a non-urgent one of the key)", fold, min(0), min(0),
			GroupState{Pending: "later", PendingAt: min(5)}, Placement{NextAt: min(0)}},
		{"nothing told yet (last notice retrying): since its due time", fold, min(1), min(1),
			GroupState{LastDue: min(0.5), Unresolved: true}, Placement{NextAt: min(2.5), FollowUpSince: min(0.5)}},
		{"escalation joins the group's pending one of its step, keeping its due time", join, min(17.5), min(7.5),
			GroupState{Pending: "esc", PendingAt: min(10)}, Placement{Join: "esc"}},
		{"escalation with none pending: as planned", join, min(17.5), min(7.5), GroupState{}, Placement{NextAt: min(17.5)}},
		{"not grouped: as planned", NewDelivery{ID: "x", Reason: ReasonInitial}, min(0), min(0),
			GroupState{Pending: "other", PendingAt: min(0), LastDue: min(0), Unresolved: true}, Placement{NextAt: min(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			d.NextAt = tt.due
			if diff := cmp.Diff(tt.want, d.Place(tt.g, tt.now)); diff != "" {
				t.Errorf("Place (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFollowUpSummary: the one line a follow-up leads with, newest first,
// in the clinic's time zone.
func TestFollowUpSummary(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	at := func(h, m int) time.Time { return time.Date(2026, 11, 28, h, m, 0, 0, time.UTC) }
	fallAt := func(t time.Time) balance.Alert { return balance.Alert{Kind: balance.AlertFall, OccurredAt: t} }
	f := NewFollowUp(at(13, 2), []balance.Alert{fallAt(at(13, 9)), fallAt(at(13, 5))}, zone)
	if want := "2 more falls since 14:02: 14:09, 14:05"; f.Summary != want || f.Count != 2 || !f.Since.Equal(at(13, 2)) {
		t.Errorf("follow-up %+v; want summary %q, count 2", f, want)
	}
	mixed := []balance.Alert{{Kind: balance.AlertNoMovement, OccurredAt: at(13, 9)}}
	if got := NewFollowUp(at(13, 2), mixed, nil).Summary; got != "1 more no-movement alert since 13:02: 13:09" {
		t.Errorf("one no-movement alert in UTC: %q", got)
	}
	mixed = append(mixed, fallAt(at(13, 5)))
	if got := NewFollowUp(at(13, 2), mixed, nil).Summary; got != "2 more alerts since 13:02: 13:09, 13:05" {
		t.Errorf("mixed kinds: %q", got)
	}
}
