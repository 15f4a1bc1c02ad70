package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

func alertFixture(id string, now time.Time) balance.Alert {
	return balance.Alert{ID: id, Kind: balance.AlertTrend, Severity: balance.SeverityWarning, PatientID: "p1", GroupKey: "p1/trend",
		Summary: "s", Details: map[string]string{"k": "v"}, Evidence: []balance.Evidence{{Label: "l", URL: "/u"}},
		OccurredAt: now.Add(-time.Minute), CreatedAt: now, Status: balance.AlertOpen}
}

func delivery(id, recipient, reason string, alertID string, due time.Time, group bool) alerts.NewDelivery {
	return alerts.NewDelivery{ID: id, Recipient: recipient, Channel: alerts.ChannelWebhook, Target: "http://x", Reason: reason,
		AlertIDs: []string{alertID}, GroupKey: "p1/trend", Group: group, GroupInterval: time.Minute, NextAt: due, GiveUpAfter: time.Hour}
}

func testAlertStoreOutbox(t *testing.T, bk Backend) {
	ctx := context.Background()
	st := bk.alertStore(t)
	now := time.Unix(1_800_000_000, 0).UTC()

	// Enqueue is idempotent on the alert ID and round-trips the alert.
	a1 := alertFixture("a1", now)
	for i, want := range []bool{true, false} {
		got, err := st.Enqueue(ctx, a1, []alerts.NewDelivery{delivery("d1", "dr", alerts.ReasonInitial, "a1", now.Add(30*time.Second), true)}, now)
		if err != nil || got.Created != want {
			t.Fatalf("Enqueue #%d = %+v, %v; want created %v", i+1, got, err, want)
		}
	}
	back, err := st.Alert(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a1, back); diff != "" {
		t.Errorf("alert round trip (-want +got):\n%s", diff)
	}

	// A second alert of the group within the wait joins d1 instead of
	// creating d2.
	if _, err := st.Enqueue(ctx, alertFixture("a2", now), []alerts.NewDelivery{delivery("d2", "dr", alerts.ReasonInitial, "a2", now.Add(31*time.Second), true)}, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Deliveries(ctx, "a2")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].ID != "d1" || !cmp.Equal(ds[0].AlertIDs, []string{"a1", "a2"}) {
		t.Fatalf("a2's deliveries %+v; want it joined to d1", ds)
	}

	// Nothing is due before the group wait; then d1 is claimed with both
	// alerts and its first attempt is logged in progress.
	if got, _ := st.Claim(ctx, now.Add(29*time.Second), 10, nil); len(got) != 0 {
		t.Fatalf("claimed %d deliveries before they were due", len(got))
	}
	next, _ := st.NextDue(ctx)
	if !next.Equal(now.Add(30 * time.Second)) {
		t.Errorf("NextDue %s, want %s", next, now.Add(30*time.Second))
	}
	if got, _ := st.Claim(ctx, now.Add(30*time.Second), 10, func(string) bool { return false }); len(got) != 0 {
		t.Fatalf("claimed %d deliveries that take refused", len(got))
	}
	got, err := st.Claim(ctx, now.Add(30*time.Second), 10, nil)
	if err != nil || len(got) != 1 || len(got[0].Alerts) != 2 || got[0].Attempts != 1 || got[0].State != alerts.StateDelivering {
		t.Fatalf("Claim = %+v, %v", got, err)
	}

	// A third alert now does not join the running delivery: it gets its
	// own, due a group interval after d1's due time.
	if _, err := st.Enqueue(ctx, alertFixture("a3", now), []alerts.NewDelivery{delivery("d3", "dr", alerts.ReasonInitial, "a3", now.Add(60*time.Second), true)}, now.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	ds, _ = st.Deliveries(ctx, "a3")
	if len(ds) != 1 || ds[0].ID != "d3" || !ds[0].NextAt.Equal(now.Add(90*time.Second)) {
		t.Fatalf("a3's delivery %+v; want d3 due at +90s (d1's +30s plus the 1m interval)", ds)
	}

	// A crash: Recover returns d1 to pending and marks the attempt.
	n, err := st.Recover(ctx, now.Add(40*time.Second))
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want 1", n, err)
	}
	ds, _ = st.Deliveries(ctx, "a1")
	if ds[0].State != alerts.StatePending || len(ds[0].Log) != 1 || ds[0].Log[0].Outcome != alerts.OutcomeInterrupted {
		t.Fatalf("after Recover: %+v", ds[0])
	}
	got, _ = st.Claim(ctx, now.Add(40*time.Second), 10, nil)
	if len(got) != 1 || got[0].ID != "d1" || got[0].Attempts != 2 {
		t.Fatalf("reclaim: %+v", got)
	}
	err = st.Finish(ctx, alerts.Outcome{Attempt: alerts.Attempt{DeliveryID: "d1", N: 2, Start: now.Add(40 * time.Second), Duration: time.Second, Outcome: alerts.OutcomeDelivered}, State: alerts.StateDelivered})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ = st.Deliveries(ctx, "a1")
	if d := ds[0]; d.State != alerts.StateDelivered || !d.DeliveredAt.Equal(now.Add(41*time.Second)) || len(d.Log) != 2 || d.Log[1].Outcome != alerts.OutcomeDelivered {
		t.Fatalf("after Finish: %+v", d)
	}

	// Acknowledging cancels a pending repeat only once all its alerts are
	// acknowledged, and never an initial delivery.
	rep := delivery("r1", "dr", alerts.ReasonRepeat, "a1", now.Add(time.Hour), false)
	rep.AlertIDs = []string{"a1", "a2"}
	if err := st.AddDelivery(ctx, rep, now.Add(41*time.Second)); err != nil {
		t.Fatal(err)
	}
	state := func(alertID, deliveryID string) string {
		ds, _ := st.Deliveries(ctx, alertID)
		for _, d := range ds {
			if d.ID == deliveryID {
				return d.State
			}
		}
		return "missing"
	}
	if a, err := st.Ack(ctx, "a1", "Dr Ada", now.Add(time.Minute)); err != nil || a.Status != balance.AlertAcknowledged || a.AckedBy != "Dr Ada" {
		t.Fatalf("Ack a1 = %+v, %v", a, err)
	}
	if s := state("a1", "r1"); s != alerts.StatePending {
		t.Errorf("r1 %s after acking a1 only; a2 is still open, want pending", s)
	}
	if _, err := st.Ack(ctx, "a2", "Dr Ada", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if s := state("a1", "r1"); s != alerts.StateCancelled {
		t.Errorf("r1 %s after acking both, want cancelled", s)
	}
	if s := state("a3", "d3"); s != alerts.StatePending {
		t.Errorf("initial d3 %s, want pending (acks never cancel first notifications)", s)
	}
	if a, err := st.Ack(ctx, "a1", "someone else", now.Add(2*time.Minute)); err != nil || a.AckedBy != "Dr Ada" {
		t.Errorf("second ack = %+v, %v; want the first acknowledgement kept", a, err)
	}
	if _, err := st.Ack(ctx, "nope", "x", now); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("ack of unknown alert: %v, want ENOTFOUND", err)
	}
	counts, _ := st.DeliveryCounts(ctx)
	if diff := cmp.Diff(map[string]int{alerts.StateDelivered: 1, alerts.StatePending: 1, alerts.StateCancelled: 1}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	list, _ := st.Alerts(ctx, alerts.AlertFilter{Status: balance.AlertOpen})
	if len(list) != 1 || list[0].ID != "a3" {
		t.Errorf("open alerts %+v, want a3", list)
	}
}

// testAlertStoreResolve: resolving an alert records when and why, cancels
// its pending repeat and escalation, and creates one resolved delivery per
// recipient who was told (delivered), none for one who was not; resolving
// again changes nothing.
func testAlertStoreResolve(t *testing.T, bk Backend) {
	ctx := context.Background()
	st := bk.alertStore(t)
	now := time.Unix(1_800_000_000, 0).UTC()
	a := alertFixture("a1", now)
	ds := []alerts.NewDelivery{
		delivery("told", "dr", alerts.ReasonInitial, "a1", now, false),
		delivery("not-yet", "nurse", alerts.ReasonInitial, "a1", now.Add(time.Hour), false),
		delivery("esc", "oncall", alerts.ReasonEscalation, "a1", now.Add(10*time.Minute), false),
	}
	if _, err := st.Enqueue(ctx, a, ds, now); err != nil {
		t.Fatal(err)
	}
	// "told" is delivered; its repeat is pending.
	claimed, err := st.Claim(ctx, now, 10, func(string) bool { return true })
	if err != nil || len(claimed) != 1 || claimed[0].ID != "told" {
		t.Fatalf("claimed %+v (%v), want the due delivery", claimed, err)
	}
	rep := delivery("rep", "dr", alerts.ReasonRepeat, "a1", now.Add(time.Hour), false)
	if err := st.Finish(ctx, alerts.Outcome{Attempt: alerts.Attempt{DeliveryID: "told", N: 1, Start: now, Outcome: alerts.OutcomeDelivered},
		State: alerts.StateDelivered, FollowUp: &rep}); err != nil {
		t.Fatal(err)
	}
	at := now.Add(5 * time.Minute)
	got, changed, err := st.Resolve(ctx, "a1", "the patient got up", at, time.Hour)
	if err != nil || !changed {
		t.Fatalf("Resolve = %v, %v", changed, err)
	}
	if got.Status != balance.AlertResolved || !got.ResolvedAt.Equal(at) || got.ResolvedReason != "the patient got up" {
		t.Errorf("resolved alert %+v", got)
	}
	all, err := st.Deliveries(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	var notices []alerts.Delivery
	for _, d := range all {
		states[d.ID] = d.State
		if d.Reason == alerts.ReasonResolved {
			notices = append(notices, d)
		}
	}
	if states["rep"] != alerts.StateCancelled || states["esc"] != alerts.StateCancelled {
		t.Errorf("repeat %s, escalation %s; want both cancelled", states["rep"], states["esc"])
	}
	if len(notices) != 1 || notices[0].Recipient != "dr" || !notices[0].NextAt.Equal(at) {
		t.Errorf("resolved notices %+v, want one to dr (told), due at once, none to nurse (not told)", notices)
	}
	if _, changed, err := st.Resolve(ctx, "a1", "again", at.Add(time.Minute), time.Hour); err != nil || changed {
		t.Errorf("second Resolve changed=%v err=%v, want nothing changed", changed, err)
	}
	if _, _, err := st.Resolve(ctx, "nope", "x", at, time.Hour); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("Resolve(unknown) = %v, want not found", err)
	}
}
