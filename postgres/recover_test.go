package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// TestRecoverTakesBackOnlyStoppedInstancesDeliveries: an instance starting
// next to a running one leaves the deliveries the running one is sending
// alone (Recover finds none), and takes back those of an instance that
// has stopped, marking their attempts interrupted.
func TestRecoverTakesBackOnlyStoppedInstancesDeliveries(t *testing.T) {
	ctx := context.Background()
	dsn := newDatabase(t)
	open := func() *StateDB {
		t.Helper()
		db, err := OpenState(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	now := time.Unix(1_800_000_000, 0).UTC()
	a := open()
	d := alerts.NewDelivery{ID: "d1", Recipient: "dr", Channel: alerts.ChannelWebhook, Target: "http://x", Reason: alerts.ReasonInitial,
		AlertIDs: []string{"a1"}, NextAt: now, GiveUpAfter: time.Hour}
	alert := balance.Alert{ID: "a1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1", OccurredAt: now, CreatedAt: now, Status: balance.AlertOpen}
	if _, err := a.AlertStore().Enqueue(ctx, alert, []alerts.NewDelivery{d}, now); err != nil {
		t.Fatal(err)
	}
	if ds, err := a.AlertStore().Claim(ctx, now, 10, nil); err != nil || len(ds) != 1 {
		t.Fatalf("Claim = %v, %v; want d1", ds, err)
	}
	b := open()
	if n, err := b.AlertStore().Recover(ctx, now.Add(time.Second)); err != nil || n != 0 {
		t.Fatalf("Recover next to the running instance = %d, %v; want 0 (d1 is being sent)", n, err)
	}
	a.Close() // stops: its lock goes with its session
	c := open()
	if n, err := c.AlertStore().Recover(ctx, now.Add(2*time.Second)); err != nil || n != 1 {
		t.Fatalf("Recover after the instance stopped = %d, %v; want 1", n, err)
	}
	ds, err := c.AlertStore().Deliveries(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].State != alerts.StatePending || !ds[0].NextAt.Equal(now.Add(2*time.Second)) ||
		len(ds[0].Log) != 1 || ds[0].Log[0].Outcome != alerts.OutcomeInterrupted {
		t.Fatalf("after Recover: %+v", ds)
	}
}
