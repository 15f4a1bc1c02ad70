package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// testAlertStoreUrgentGroups: urgent alerts of one group, planned by
// alerts.Config.Plan and placed by the store: the first is due at once; a
// second one, while the first is unresolved and was told less than the
// urgent group interval ago, goes in a follow-up due one interval after
// the first notice, which a third joins; their escalations join the
// first's; raising again changes nothing; and the group's resolved notice
// waits for the last of them and carries all three.
func testAlertStoreUrgentGroups(t *testing.T, bk Backend) {
	ctx := context.Background()
	st := bk.alertStore(t)
	t0 := time.Unix(1_800_000_000, 0).UTC()
	secret := "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
	cfg := alerts.Config{
		UrgentGroupInterval: 2 * time.Minute,
		Recipients: []alerts.Recipient{
			{Name: "dr", Role: alerts.RoleTherapist, Webhook: &alerts.WebhookTarget{URL: "http://127.0.0.1:9/dr", Secrets: []string{secret}}},
			{Name: "night", Role: alerts.RoleOnCall, Kinds: []string{balance.AlertNoMovement}, Webhook: &alerts.WebhookTarget{URL: "http://127.0.0.1:9/n", Secrets: []string{secret}}},
		},
		Escalation: []alerts.EscalationStep{{After: 10 * time.Minute, Notify: []string{alerts.RoleOnCall}}},
	}
	cfg.SetDefaults()
	fall := func(id string, at time.Time) balance.Alert {
		return balance.Alert{ID: id, Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1", GroupKey: "p1/fall",
			OccurredAt: at.Add(-time.Second), CreatedAt: at, Status: balance.AlertOpen}
	}
	raise := func(a balance.Alert) alerts.Enqueued {
		t.Helper()
		res, err := st.Enqueue(ctx, a, cfg.Plan(&a, a.CreatedAt), a.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	deliver := func(at time.Time) []alerts.Delivery {
		t.Helper()
		ds, err := st.Claim(ctx, at, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if err := st.Finish(ctx, alerts.Outcome{Attempt: alerts.Attempt{DeliveryID: d.ID, N: d.Attempts, Start: at, Outcome: alerts.OutcomeDelivered},
				State: alerts.StateDelivered}); err != nil {
				t.Fatal(err)
			}
		}
		return ds
	}
	byReason := func(id string) map[string]alerts.Delivery {
		t.Helper()
		ds, err := st.Deliveries(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]alerts.Delivery{}
		for _, d := range ds {
			out[d.Recipient+"/"+d.Reason] = d
		}
		return out
	}

	f1 := fall("f1", t0)
	if res := raise(f1); !res.Created || len(res.Grouped) != 0 {
		t.Fatalf("first fall: %+v; want created, nothing grouped", res)
	}
	if ds := deliver(t0); len(ds) != 1 || ds[0].Recipient != "dr" || !ds[0].FollowUpSince.IsZero() {
		t.Fatalf("due at once: %+v; want f1's first notice to dr", ds)
	}
	first := byReason("f1")

	f2 := fall("f2", t0.Add(30*time.Second))
	res := raise(f2)
	fu := byReason("f2")["dr/initial"]
	want := []alerts.Grouped{
		{Recipient: "dr", Reason: alerts.ReasonInitial, Into: fu.ID, Due: t0.Add(2 * time.Minute)},
		{Recipient: "night", Reason: alerts.ReasonEscalation, Level: 1, Into: first["night/escalation"].ID, Due: t0.Add(10 * time.Minute), Joined: true},
	}
	if diff := cmp.Diff(want, res.Grouped); diff != "" {
		t.Errorf("second fall grouped (-want +got):\n%s", diff)
	}
	if again := raise(f2); again.Created || len(again.Grouped) != 0 {
		t.Errorf("raising f2 again: %+v; want nothing done", again)
	}
	if !fu.FollowUpSince.Equal(f1.OccurredAt) || !fu.NextAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("follow-up %+v; want due at 2m, since f1 occurred", fu)
	}
	if res := raise(fall("f3", t0.Add(time.Minute))); len(res.Grouped) != 2 || !res.Grouped[0].Joined || res.Grouped[0].Into != fu.ID {
		t.Errorf("third fall: %+v; want it joined to the follow-up %s and the escalation", res.Grouped, fu.ID)
	}
	if ds := deliver(t0.Add(2*time.Minute - time.Millisecond)); len(ds) != 0 {
		t.Errorf("claimed %+v before the follow-up is due", ds)
	}
	ds := deliver(t0.Add(2 * time.Minute))
	if len(ds) != 1 || ds[0].ID != fu.ID || !cmp.Equal(ds[0].AlertIDs, []string{"f2", "f3"}) || ds[0].FollowUpSince.IsZero() {
		t.Fatalf("at 2m claimed %+v; want the follow-up with f2 and f3", ds)
	}
	esc := byReason("f3")["night/escalation"]
	if esc.ID != first["night/escalation"].ID || !cmp.Equal(esc.AlertIDs, []string{"f1", "f2", "f3"}) {
		t.Errorf("escalations %+v; want one, of f1, f2 and f3", esc)
	}

	// The group's resolved notice waits for its last unresolved alert.
	at := t0.Add(3 * time.Minute)
	for i, id := range []string{"f1", "f2", "f3"} {
		if _, _, err := st.Resolve(ctx, id, "moved", at, time.Hour); err != nil {
			t.Fatal(err)
		}
		n := byReason(id)["dr/resolved"]
		if last := i == 2; (n.ID != "") != last {
			t.Errorf("after resolving %s: resolved notice %+v; want one only after the last", id, n)
		}
	}
	if n := byReason("f3")["dr/resolved"]; !cmp.Equal(n.AlertIDs, []string{"f1", "f2", "f3"}) {
		t.Errorf("resolved notice carries %v; want the group's three", n.AlertIDs)
	}
	if s := byReason("f1")["night/escalation"].State; s != alerts.StateCancelled {
		t.Errorf("escalation %s after the resolution; want cancelled", s)
	}
	if _, ok := byReason("f1")["night/resolved"]; ok {
		t.Error("night was never told, yet gets a resolved notice")
	}
}
