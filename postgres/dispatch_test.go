package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/webhook"
)

// TestInstancesDeliverEachAlertOnce: three balance instances, each with
// its own pool and alert dispatcher (alerts.Service with the real webhook
// notifier) on one database, raise falls in turn; the receiver gets each
// webhook-id exactly once, every fall's notification included.
func TestInstancesDeliverEachAlertOnce(t *testing.T) {
	const instances, falls = 3, 60
	ctx := context.Background()
	dsn := newDatabase(t)

	var mu sync.Mutex
	got := map[string]int{}
	all := make(chan struct{})
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got[r.Header.Get("webhook-id")]++
		if len(got) == falls {
			close(all)
		}
		mu.Unlock()
	}))
	defer rx.Close()

	// Secret: base64 of bytes 0..23, as in alerts' own tests.
	cfg := alerts.Config{Recipients: []alerts.Recipient{{Name: "family", Role: alerts.RoleCaregiver,
		Webhook: &alerts.WebhookTarget{URL: rx.URL, Secrets: []string{"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"}}}}}
	cfg.SetDefaults()
	var svcs []*alerts.Service
	for range instances {
		db, err := OpenState(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		svc, err := alerts.New(cfg, db.AlertStore(), alerts.Options{
			Notifiers: map[string]alerts.Notifier{alerts.ChannelWebhook: webhook.New(cfg.WebhookTimeout)},
			Logger:    slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	for i := range falls {
		id, patient := fmt.Sprintf("fall-%02d", i), fmt.Sprintf("p%d", i%7)
		a := balance.Alert{ID: id, Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: patient,
			Summary: "Fall detected", GroupKey: patient + "/fall/" + id, OccurredAt: time.Now().Add(-3 * time.Second).UTC()}
		if err := svcs[i%instances].Raise(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		mu.Lock()
		t.Fatalf("after 60 s the receiver has %d of %d notifications", len(got), falls)
	}
	// Closing waits for attempts in flight: a second claim of a delivery
	// would have reached the receiver by then.
	for _, s := range svcs {
		s.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	for id, n := range got {
		if n != 1 {
			t.Errorf("webhook-id %s received %d times, want once", id, n)
		}
	}
}
