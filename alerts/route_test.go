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
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)

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
