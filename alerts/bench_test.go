package alerts_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/balance-pt/balance/alerts"
)

// BenchmarkRaiseToWebhook measures the latency from Raise (an urgent
// alert, stored durably in SQLite) to the signed webhook's arrival at a
// real HTTP receiver on loopback, one alert at a time, and reports its
// 50th and 99th percentiles.
func BenchmarkRaiseToWebhook(b *testing.B) {
	arrived := make(chan time.Time, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- time.Now()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	h := startB(b, alerts.Config{Recipients: []alerts.Recipient{hook("family", alerts.RoleCaregiver, srv.URL, secretA)}})
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if err := h.svc.Raise(ctx, ownGroup(fall(fmt.Sprintf("bench-%d", i), "p1"))); err != nil {
			b.Fatal(err)
		}
		at := <-arrived
		lat = append(lat, at.Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkRaise measures Raise alone: one alert and its deliveries (three
// recipients and an escalation) committed in one SQLite transaction.
func BenchmarkRaise(b *testing.B) {
	cfg := alerts.Config{
		Recipients: []alerts.Recipient{
			hook("a", alerts.RoleTherapist, "http://127.0.0.1:9/a", secretA),
			hook("b", alerts.RoleCaregiver, "http://127.0.0.1:9/b", secretA),
			hook("c", alerts.RoleOnCall, "http://127.0.0.1:9/c", secretA),
		},
		Escalation: []alerts.EscalationStep{{After: time.Hour, Notify: []string{alerts.RoleOnCall}}},
	}
	h := startB(b, cfg)
	h.svc.Close() // measure the outbox write, not deliveries to nowhere
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := h.svc.Raise(ctx, ownGroup(fall(fmt.Sprintf("bench-%d", i), "p1"))); err != nil {
			b.Fatal(err)
		}
	}
}
