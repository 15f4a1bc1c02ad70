package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestEmbeddedDefault runs what `go run ./cmd/balance` runs (in-process
// broker, embedded store, simulated wearables over real MQTT, the API) and
// checks that /healthz answers and the stored sample count keeps growing.
func TestEmbeddedDefault(t *testing.T) {
	cfg := EmbeddedConfig()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.EmbeddedBroker.Addr = "127.0.0.1:0"
	cfg.ProgressEvery = 500 * time.Millisecond
	// As `go run ./cmd/balance` runs it: with the dashboard, so every API
	// call below logs in (HTTP Basic) as the bootstrap admin.
	const adminPassword = "embedded-test-admin"
	if err := yaml.Unmarshal([]byte("dashboard:\n  enabled: true\n  admin_password: "+adminPassword+"\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	app := NewApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return within 30 s of cancel")
		}
	}()

	var base string
	deadline := time.Now().Add(60 * time.Second)
	for base == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no banner within a minute; output:\n%s", out.String())
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if i := strings.Index(line, "health:  http://"); i >= 0 {
				base = strings.Fields(line[i+len("health:  "):])[0]
				base = strings.TrimSuffix(base, "/healthz")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	get := func(path string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.SetBasicAuth("admin", adminPassword)
		return http.DefaultClient.Do(req)
	}
	if resp, err := http.Get(base + "/api/v1/status"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the API answered without log-in: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	stored := func() int64 {
		resp, err := get("/api/v1/status")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st struct {
			DevicesOnline int `json:"devices_online"`
			Ingest        struct {
				SamplesStored int64 `json:"samples_stored"`
				Rejected      int64 `json:"rejected"`
			} `json:"ingest"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		if st.Ingest.Rejected != 0 {
			t.Errorf("the simulator's messages were rejected: %d", st.Ingest.Rejected)
		}
		return st.Ingest.SamplesStored
	}
	var first int64
	for first = stored(); first == 0; first = stored() {
		if time.Now().After(deadline) {
			t.Fatal("no samples stored within a minute")
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if second := stored(); second <= first {
		t.Fatalf("stored samples did not grow: %d then %d", first, second)
	}
	if !strings.Contains(out.String(), "devices online") {
		t.Errorf("no progress line printed:\n%s", out.String())
	}
	// Every simulated device registered itself with a patient of its own.
	resp, err = get("/api/v1/devices")
	if err != nil {
		t.Fatal(err)
	}
	var devs []struct {
		ID        string `json:"id"`
		PatientID string `json:"patient_id"`
	}
	json.NewDecoder(resp.Body).Decode(&devs)
	resp.Body.Close()
	if len(devs) != cfg.Sim.Devices {
		t.Fatalf("%d devices registered, want %d", len(devs), cfg.Sim.Devices)
	}
	for _, d := range devs {
		if d.PatientID == "" {
			t.Errorf("device %s not bound", d.ID)
		}
	}
}
