package httpapi_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance/httpapi"
	"github.com/balance-pt/balance/internal/route"
	"github.com/balance-pt/balance/sqlite"
)

// TestReadinessChecksTheIngestSource: /readyz checks MQTT, or NATS when
// ingest reads from NATS (then also showing the partitions owned, 0 being
// ready), and answers 503 while that connection is down.
func TestReadinessChecksTheIngestSource(t *testing.T) {
	store, err := sqlite.OpenSamples(context.Background(), filepath.Join(t.TempDir(), "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tests := []struct {
		name   string
		in     httpapi.IngestStatus
		status int
		checks map[string]any
	}{
		{"mqtt up", httpapi.IngestStatus{MQTTConnected: true}, 200, map[string]any{"store": "ok", "mqtt": "ok"}},
		{"mqtt down", httpapi.IngestStatus{}, 503, map[string]any{"store": "ok", "mqtt": "disconnected"}},
		{"nats up", httpapi.IngestStatus{NATS: true, NATSConnected: true, PartitionsOwned: 6}, 200,
			map[string]any{"store": "ok", "nats": "ok", "nats_partitions_owned": "6"}},
		{"nats up, no partition", httpapi.IngestStatus{NATS: true, NATSConnected: true}, 200,
			map[string]any{"store": "ok", "nats": "ok", "nats_partitions_owned": "0"}},
		{"nats down", httpapi.IngestStatus{NATS: true, PartitionsOwned: 6}, 503,
			map[string]any{"store": "ok", "nats": "disconnected", "nats_partitions_owned": "6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := route.New(route.NoLogin{})
			(&httpapi.Server{Store: store, Ingest: func() httpapi.IngestStatus { return tt.in }}).Routes(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			st, m, _ := call(t, "GET", srv.URL+"/readyz", "")
			if st != tt.status {
				t.Errorf("/readyz = %d, want %d", st, tt.status)
			}
			if diff := cmp.Diff(tt.checks, m["checks"]); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
		})
	}
}
