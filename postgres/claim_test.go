package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// TestConcurrentClaimsTakeEachDeliveryOnce: several instances (each its
// own pool) dispatching from one outbox at once claim every due delivery
// exactly once, and log exactly one attempt of each. A claimer that
// refuses a recipient (take) leaves its deliveries to the others.
func TestConcurrentClaimsTakeEachDeliveryOnce(t *testing.T) {
	const (
		instances  = 4
		perInst    = 3 // dispatchers per instance
		deliveries = 300
		limit      = 7
	)
	ctx := context.Background()
	dsn := newDatabase(t)
	var stores []*AlertStore
	for range instances {
		db, err := OpenState(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		stores = append(stores, db.AlertStore())
	}
	now := time.Unix(1_800_000_000, 0).UTC()
	for i := range deliveries {
		id := fmt.Sprintf("a%03d", i)
		a := balance.Alert{ID: id, Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1",
			OccurredAt: now.Add(-time.Minute), CreatedAt: now, Status: balance.AlertOpen}
		d := alerts.NewDelivery{ID: "d-" + id, Recipient: fmt.Sprintf("r%d", i%5), Channel: alerts.ChannelWebhook, Target: "http://x",
			Reason: alerts.ReasonInitial, AlertIDs: []string{id}, NextAt: now.Add(-time.Duration(i%13) * time.Second), GiveUpAfter: time.Hour}
		if _, err := stores[i%instances].Enqueue(ctx, a, []alerts.NewDelivery{d}, now); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, instances*perInst)
	for i := range instances * perInst {
		st := stores[i%instances]
		var take func(string) bool
		if i%3 == 0 {
			take = func(r string) bool { return r != "r0" } // r0 hangs here
		}
		wg.Go(func() {
			for {
				ds, err := st.Claim(ctx, now, limit, take)
				if err != nil {
					errs <- err
					return
				}
				if len(ds) == 0 {
					// Nothing free now: done once nothing is pending (rows
					// another claimer holds locked are skipped, not lost).
					next, err := st.NextDue(ctx)
					if err != nil {
						errs <- err
						return
					}
					if next.IsZero() {
						return
					}
					continue
				}
				for _, d := range ds {
					mu.Lock()
					claimed[d.ID]++
					mu.Unlock()
					err := st.Finish(ctx, alerts.Outcome{State: alerts.StateDelivered,
						Attempt: alerts.Attempt{DeliveryID: d.ID, N: d.Attempts, Start: now, Duration: time.Millisecond, Outcome: alerts.OutcomeDelivered}})
					if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(claimed) != deliveries {
		t.Errorf("%d deliveries claimed, want all %d", len(claimed), deliveries)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("delivery %s claimed %d times, want once", id, n)
		}
	}
	counts, err := stores[0].DeliveryCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[alerts.StateDelivered] != deliveries || len(counts) != 1 {
		t.Errorf("delivery states %v, want all %d delivered", counts, deliveries)
	}
	var attempts, maxN int
	if err := stores[0].db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(n), 0) FROM alert_delivery_attempts`).Scan(&attempts, &maxN); err != nil {
		t.Fatal(err)
	}
	if attempts != deliveries || maxN != 1 {
		t.Errorf("%d attempts logged (highest n %d), want %d, each the first", attempts, maxN, deliveries)
	}
}
