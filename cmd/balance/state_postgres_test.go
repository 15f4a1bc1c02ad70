package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/jackc/pgx/v5"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts/webhook"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/wire"
)

// defaultTestPostgres is the machine's PostgreSQL (trust authentication
// for user postgres on loopback), as in package postgres's tests;
// BALANCE_TEST_POSTGRES overrides it.
const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// newTestPostgres creates a uniquely named, empty database on the test
// server, dropped when the test ends, and returns its DSN. The test fails
// (never skips) when the server does not answer.
func newTestPostgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("BALANCE_TEST_POSTGRES")
	if admin == "" {
		admin = defaultTestPostgres
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL needed for this test (set BALANCE_TEST_POSTGRES, default %s): %v", defaultTestPostgres, err)
	}
	defer c.Close(ctx)
	name := "balance_test_" + randomHex(8)
	if _, err := c.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	if strings.HasPrefix(admin, "postgres://") || strings.HasPrefix(admin, "postgresql://") {
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatalf("BALANCE_TEST_POSTGRES: %v", err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return admin + " dbname=" + name
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// hookReceiver is a webhook endpoint that counts every request by its
// webhook-id header (the delivery's id, the same on every retry).
type hookReceiver struct {
	mu      sync.Mutex
	byID    map[string]int
	notices []hookNotice
}

type hookNotice struct {
	webhookID, typ string
	alert          balance.Alert
}

func newHookReceiver(t *testing.T) (*hookReceiver, string) {
	h := &hookReceiver{byID: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		// A receiver that takes a moment keeps each delivery "delivering"
		// long enough for the other instance's dispatcher to look at it.
		time.Sleep(300 * time.Millisecond)
		h.mu.Lock()
		id := r.Header.Get("webhook-id")
		h.byID[id]++
		for _, a := range p.Data.Alerts {
			h.notices = append(h.notices, hookNotice{id, p.Type, a.Alert})
		}
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

// falls returns the notices of type typ about fall alerts of patient.
func (h *hookReceiver) falls(patient, typ string) []hookNotice {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookNotice
	for _, n := range h.notices {
		if n.alert.Kind == balance.AlertFall && n.alert.PatientID == patient && n.typ == typ {
			out = append(out, n)
		}
	}
	return out
}

// repeats returns the webhook-ids received more than once.
func (h *hookReceiver) repeats() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for id, n := range h.byID {
		if n != 1 {
			out[id] = n
		}
	}
	return out
}

// pgInstance is one `balance serve` of a cluster: state on the shared
// PostgreSQL database, samples in the shared influxd, ingest from the
// machine's Mosquitto through the shared subscription topic.
type pgInstance struct {
	app  *App
	base string
}

// startPGInstance starts an instance named name, closed when the test ends
// (and its persistent MQTT session removed from the broker after that).
func startPGInstance(t *testing.T, name, dsn, topic string, in *testenv.Influx, mqttURL, hookURL, hookSecret string) *pgInstance {
	t.Helper()
	clientID := "balance-pgtest-" + name + "-" + randomHex(4)
	t.Cleanup(func() { clearMQTTSession(t, mqttURL, clientID) }) // runs after the app's Close
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: %s\nstate: {driver: postgres, dsn: %q}\nhttp: {addr: 127.0.0.1:0}\n", t.TempDir(), dsn)
	fmt.Fprintf(&b, "mqtt: {broker: %q, client_id: %q, topic: %q}\n", mqttURL, clientID, topic)
	fmt.Fprintf(&b, "storage:\n  kind: influx\n  influx: {url: %q, raw_bucket: %q, derived_bucket: %q, timeout: 5s}\n", in.URL, testenv.RawBucket, testenv.DerivedBucket)
	fmt.Fprintf(&b, "dashboard: {admin_password: %s}\n", testAdminPassword)
	fmt.Fprintf(&b, `alerts:
  recipients:
    - {name: hook, role: on_call, kinds: [fall], webhook: {url: %q, secrets: [%q]}}
monitoring:
  clinic: {no_movement_after: 60s, time_zone: Europe/Berlin}
`, hookURL, hookSecret)
	path := filepath.Join(t.TempDir(), "balance.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	app := openInstance(t, name, path)
	waitFor(t, 10*time.Second, "instance "+name+" connected to MQTT", app.Sub.Connected)
	return &pgInstance{app: app, base: app.BaseURL()}
}

// openInstance opens an App, named name in its log, on the configuration
// file path; it is closed when the test ends.
func openInstance(t *testing.T, name, path string) *App {
	t.Helper()
	cfg, err := loadConfig([]string{"--config", path}, io.Discard, false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)).With("instance", name), io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	if err := app.Open(ctx); err != nil {
		cancel()
		app.Close()
		t.Fatalf("instance %s: %v", name, err)
	}
	t.Cleanup(func() {
		cancel()
		if err := app.Close(); err != nil {
			t.Errorf("instance %s close: %v", name, err)
		}
	})
	return app
}

// clearMQTTSession ends the persistent session an instance left on the
// machine's broker (a clean-session connection with its client id).
func clearMQTTSession(t *testing.T, mqttURL, clientID string) {
	cl, err := testenv.MQTTConnect(mqttURL, clientID, "", "")
	if err != nil {
		t.Logf("clear MQTT session %s: %v", clientID, err)
		return
	}
	cl.Disconnect(100)
}

func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
	}
}

// publish sends one batch of a device's samples (QoS 1) and waits for the
// broker's acknowledgement.
func publish(t *testing.T, cl mqtt.Client, device string, ss []balance.Sample) {
	t.Helper()
	payload := wire.AppendJSON(nil, &balance.Batch{DeviceID: device, RateHz: 100, Samples: ss}, wire.JSONOptions{})
	tk := cl.Publish(wire.Topic(device, wire.KindIMU), 1, false, payload)
	if !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
		t.Fatalf("publish for %s: %v", device, tk.Error())
	}
}

// TestTwoInstancesShareOnePostgreSQL runs two `balance serve` instances on
// one fresh PostgreSQL database, one influxd and the machine's Mosquitto
// (127.0.0.1:1883), both subscribed in one MQTT shared-subscription group
// ($share/<group>/balance/v1/+/+). It checks that
//   - a patient and a device created through instance A's API are seen
//     through instance B's API;
//   - the group splits a device's messages between the two pipelines:
//     each gets some, together they get every sample exactly once, and
//     the store holds them all;
//   - a fall published over MQTT (its whole scenario in one message, so
//     that one instance's detector sees it all: the broker balances per
//     message, not per device) raises one alert, seen through both APIs,
//     whose notice and resolved notice are each delivered exactly once
//     (every webhook-id once), although both instances run dispatchers on
//     the shared outbox.
func TestTwoInstancesShareOnePostgreSQL(t *testing.T) {
	dsn := newTestPostgres(t)
	mqttURL := testenv.MQTTURL(t)
	in := testenv.StartInflux(t)
	hooks, hookURL := newHookReceiver(t)
	key := make([]byte, 32)
	rand.Read(key)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	run := randomHex(4)
	topic := "$share/balance-pgtest-" + run + "/" + wire.SubscribeFilter

	a := startPGInstance(t, "a", dsn, topic, in, mqttURL, hookURL, secret)
	b := startPGInstance(t, "b", dsn, topic, in, mqttURL, hookURL, secret)

	// Registry through A, seen through B.
	patient, device := "pg-p-"+run, "pg-d-"+run
	splitPatient, splitDevice := "pg-sp-"+run, "pg-sd-"+run
	for _, p := range []string{patient, splitPatient} {
		if st := apiCall(t, "POST", a.base+"/api/v1/patients", "admin", testAdminPassword, fmt.Sprintf(`{"id":%q,"name":"Shared %s"}`, p, p), nil); st != http.StatusCreated {
			t.Fatalf("create patient %s through A: status %d", p, st)
		}
	}
	for d, p := range map[string]string{device: patient, splitDevice: splitPatient} {
		if st := apiCall(t, "POST", a.base+"/api/v1/devices", "admin", testAdminPassword, fmt.Sprintf(`{"id":%q,"patient_id":%q}`, d, p), nil); st != http.StatusCreated {
			t.Fatalf("create device %s through A: status %d", d, st)
		}
	}
	var gotP struct {
		Patient balance.Patient `json:"patient"`
		Devices []string        `json:"devices"`
	}
	if st := apiCall(t, "GET", b.base+"/api/v1/patients/"+patient, "admin", testAdminPassword, "", &gotP); st != http.StatusOK ||
		gotP.Patient.Name != "Shared "+patient || len(gotP.Devices) != 1 || gotP.Devices[0] != device {
		t.Fatalf("patient through B: status %d, %+v; want the one created through A, with device %s", st, gotP, device)
	}
	var gotD struct {
		ID        string `json:"id"`
		PatientID string `json:"patient_id"`
	}
	if st := apiCall(t, "GET", b.base+"/api/v1/devices/"+device, "admin", testAdminPassword, "", &gotD); st != http.StatusOK || gotD.PatientID != patient {
		t.Fatalf("device through B: status %d, %+v; want it bound to %s", st, gotD, patient)
	}

	pub, err := testenv.MQTTConnect(mqttURL, "balance-pgtest-pub-"+run, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Disconnect(100)

	// The shared group splits messages: 100 batches of 10 samples (10 s
	// of a person standing), each to exactly one pipeline.
	const batches, per = 100, 10
	sc := sim.NewScenario(sim.DefaultBody(), 100, 1)
	sc.Idle(batches * per / 100)
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	ss := sc.Samples(sim.TypicalSensor(), start.UnixNano())[:batches*per]
	inA, inB := a.app.Pipeline.Stats().SamplesIn.Load(), b.app.Pipeline.Stats().SamplesIn.Load()
	for i := 0; i < len(ss); i += per {
		publish(t, pub, splitDevice, ss[i:i+per])
	}
	ctx := context.Background()
	q := balance.SampleQuery{DeviceID: splitDevice, From: start.Add(-time.Second), To: time.Now()}
	waitFor(t, 30*time.Second, "every published sample stored", func() bool {
		n, err := a.app.Store.CountSamples(ctx, q)
		return err == nil && n >= batches*per
	})
	time.Sleep(2 * time.Second) // a doubled delivery would come meanwhile
	dA, dB := a.app.Pipeline.Stats().SamplesIn.Load()-inA, b.app.Pipeline.Stats().SamplesIn.Load()-inB
	t.Logf("shared subscription: instance A took %d samples, B %d, of %d published", dA, dB, batches*per)
	if dA == 0 || dB == 0 || dA+dB != batches*per {
		t.Errorf("pipelines took %d (A) + %d (B) samples, want both some and %d in all: none lost, none doubled", dA, dB, batches*per)
	}
	if n, err := b.app.Store.CountSamples(ctx, q); err != nil || n != batches*per {
		t.Errorf("store holds %d samples of %s (%v), want %d", n, splitDevice, err, batches*per)
	}

	// A fall, in one message, through the group.
	fs := sim.NewScenario(sim.DefaultBody(), 100, 3)
	fs.Idle(3)
	fs.Fall(sim.FallSpec{Kind: sim.FallForward, LieS: 6, GetUp: true})
	fs.Idle(3)
	if err := fs.Err(); err != nil {
		t.Fatal(err)
	}
	fall := fs.Samples(sim.TypicalSensor(), time.Now().Add(-20*time.Second).UnixNano())
	if len(fall) > balance.MaxBatchSize {
		t.Fatalf("fall scenario of %d samples does not fit one batch", len(fall))
	}
	inA, inB = a.app.Pipeline.Stats().SamplesIn.Load(), b.app.Pipeline.Stats().SamplesIn.Load()
	publish(t, pub, device, fall)
	waitFor(t, 30*time.Second, "the fall's notice at the webhook", func() bool { return len(hooks.falls(patient, "alert.notified")) > 0 })
	waitFor(t, 30*time.Second, "the fall's resolved notice at the webhook", func() bool { return len(hooks.falls(patient, "alert.resolved")) > 0 })
	time.Sleep(5 * time.Second) // both dispatchers poll meanwhile: a second delivery would come now
	took := "A"
	if b.app.Pipeline.Stats().SamplesIn.Load() > inB {
		took = "B"
	}
	t.Logf("the fall's message went to instance %s (A took %d samples, B %d)", took,
		a.app.Pipeline.Stats().SamplesIn.Load()-inA, b.app.Pipeline.Stats().SamplesIn.Load()-inB)

	notified, resolved := hooks.falls(patient, "alert.notified"), hooks.falls(patient, "alert.resolved")
	if len(notified) != 1 || len(resolved) != 1 || resolved[0].alert.ID != notified[0].alert.ID {
		t.Fatalf("fall notices %+v and resolved notices %+v, want one of each about one alert", notified, resolved)
	}
	if r := hooks.repeats(); len(r) > 0 {
		t.Errorf("webhook-ids delivered more than once: %v", r)
	}
	for name, inst := range map[string]*pgInstance{"A": a, "B": b} {
		var as []balance.Alert
		if st := apiCall(t, "GET", inst.base+"/api/v1/alerts?patient="+patient, "admin", testAdminPassword, "", &as); st != http.StatusOK {
			t.Fatalf("alerts through %s: status %d", name, st)
		}
		var ids []string
		for _, al := range as {
			if al.Kind == balance.AlertFall && al.PatientID == patient {
				ids = append(ids, al.ID)
			}
		}
		if len(ids) != 1 || ids[0] != notified[0].alert.ID {
			t.Errorf("fall alerts of %s through %s: %v, want exactly %s", patient, name, ids, notified[0].alert.ID)
		}
	}
}
