package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts/webhook"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/wire"
)

// TestMonitoringConfigRefused: a misconfigured rule or an unknown key is
// refused at start with the key in the message.
func TestMonitoringConfigRefused(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"monitoring:\n  clinic:\n    no_movement_after: 1s\n", "monitoring.clinic.no_movement_after"},
		{"monitoring:\n  clinic:\n    thresholds:\n      tug_moderate_s: 14\n", "monitoring.clinic.thresholds.tug_high_s"},
		{"monitoring:\n  clinic:\n    expected_hours: always\n", "monitoring.clinic.expected_hours"},
		{"monitoring:\n  patients:\n    p1:\n      time_zone: Nowhere/Land\n", "monitoring.patients.p1.time_zone"},
		{"monitoring:\n  clinic:\n    no_such_rule: 3\n", "no_such_rule"},
		{"monitoring:\n  patients:\n    p1:\n      thresholds:\n        tug_hi: 3\n", "tug_hi"},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		err := cfg.loadFile(path)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one naming %s", tt.yaml, err, tt.want)
		}
	}
	// The app refuses to start with it.
	cfg0 := DefaultConfig()
	cfg0.DataDir, cfg0.HTTP.Addr, cfg0.Storage.Kind = t.TempDir(), "127.0.0.1:0", "embedded"
	cfg0.EmbeddedBroker.Enabled, cfg0.EmbeddedBroker.Addr = true, "127.0.0.1:0"
	path0 := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path0, []byte("monitoring:\n  clinic:\n    missed_fraction: 2\n"), 0o600)
	if err := cfg0.loadFile(path0); err != nil {
		t.Fatal(err)
	}
	app := NewApp(cfg0, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	err0 := app.Open(context.Background())
	app.Close()
	if err0 == nil || !strings.Contains(err0.Error(), "monitoring.clinic.missed_fraction") {
		t.Errorf("Open with a bad rule: %v, want a refusal naming monitoring.clinic.missed_fraction", err0)
	}
	// Overrides start from the clinic's rules.
	cfg := DefaultConfig()
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("monitoring:\n  clinic:\n    no_movement_after: 45s\n    thresholds: {tug_high_s: 14}\n  patients:\n    p1:\n      expected_hours: 07:00-22:00\n      neuropathy_thresholds: {tug_moderate_s: 10.5}\n"), 0o600)
	if err := cfg.loadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil || !cfg.Monitoring.On() {
		t.Fatal(err)
	}
	mc := cfg.Monitoring.Monitor()
	if p := mc.RulesFor("p1"); p.NoMovementAfter != 45*time.Second || p.ExpectedHours != "07:00-22:00" {
		t.Errorf("p1 rules %+v, want the clinic's 45s with its own hours", p)
	}
	// A partial thresholds block changes only the keys it names.
	std, pn := balance.StandardThresholds(), balance.NeuropathyThresholds()
	if c := mc.Clinic.Thresholds; c.TUGHigh != 14 || c.TUGModerate != std.TUGModerate || c.GaitSpeedHigh != std.GaitSpeedHigh {
		t.Errorf("clinic thresholds %+v, want the defaults with tug_high_s 14", c)
	}
	if p := mc.RulesFor("p1"); p.NeuropathyThresholds.TUGModerate != 10.5 || p.NeuropathyThresholds.TUGHigh != pn.TUGHigh || p.Thresholds.TUGHigh != 14 {
		t.Errorf("p1 thresholds %+v / %+v", p.Thresholds, p.NeuropathyThresholds)
	}
}

// e2e is the whole system on real services: the embedded MQTT broker, the
// embedded store, mailpit for e-mail and an httptest webhook receiver.
type e2e struct {
	app   *App
	mail  *testenv.Mailpit
	base  string
	cls   map[string]mqtt.Client // by device: each logs in with its own secret
	mu    sync.Mutex
	hooks []hookArrival
	got   chan struct{}
}

type hookArrival struct {
	at    time.Time
	typ   string // the payload's type: alert.notified, alert.resolved, ...
	alert balance.Alert
}

func startE2E(t testing.TB, devices int) *e2e {
	t.Helper()
	return startE2EOn(t, devices, "storage: {kind: embedded}\n")
}

// startE2EOn is startE2E with the given storage section.
func startE2EOn(t testing.TB, devices int, storage string) *e2e {
	t.Helper()
	e, hookURL := newE2E(t)
	key := make([]byte, 32)
	rand.Read(key)
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: %s\nhttp: {addr: 127.0.0.1:0}\nembedded_broker: {enabled: true, addr: 127.0.0.1:0}\n%s", t.TempDir(), storage)
	fmt.Fprintf(&b, "dashboard: {admin_password: %s}\n", testAdminPassword)
	b.WriteString("patients:\n")
	for i := range devices {
		fmt.Fprintf(&b, "  - {id: p%d, name: Patient %d, phone: \"+49 30 555 010%d\", address: \"Hauptstr. %d, Berlin\"}\n", i, i, i, i+1)
	}
	b.WriteString("devices:\n")
	for i := range devices {
		fmt.Fprintf(&b, "  - {id: d%d, patient_id: p%d}\n", i, i)
	}
	fmt.Fprintf(&b, `alerts:
  smtp: {host: %s, port: %d, starttls: none, from: "Balance <alerts@clinic.example>"}
  recipients:
    - {name: nurse, role: on_call, email: nurse@clinic.example, kinds: [fall]}
    - {name: hook, role: on_call, kinds: [fall], webhook: {url: %q, secrets: [%q]}}
monitoring:
  clinic: {no_movement_after: 60s, time_zone: Europe/Berlin}
`, e.mail.SMTPHost, e.mail.SMTPPort, hookURL, "whsec_"+base64.StdEncoding.EncodeToString(key))
	e.open(t, b.String())
	for i := range devices {
		id := fmt.Sprintf("d%d", i)
		e.cls[id] = deviceClient(t, e.app, id)
	}
	return e
}

// newE2E starts mailpit and a webhook receiver that records every alert it
// is sent, and returns the receiver's URL.
func newE2E(t testing.TB) (*e2e, string) {
	t.Helper()
	e := &e2e{got: make(chan struct{}, 1000), cls: map[string]mqtt.Client{}}
	e.mail = testenv.StartMailpit(t, testenv.MailpitOptions{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		for _, a := range p.Data.Alerts {
			e.hooks = append(e.hooks, hookArrival{at, p.Type, a.Alert})
		}
		e.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		e.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return e, srv.URL
}

// open starts the system on the configuration cfgText (YAML), closed when
// the test ends.
func (e *e2e) open(t testing.TB, cfgText string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "balance.yaml")
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := cfg.loadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e.app = NewApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.app.Open(ctx); err != nil {
		cancel()
		e.app.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); e.app.Close() })
	e.base = "http://" + e.app.HTTPAddr()
}

// fallAlert returns the patient's newest stored fall alert (the zero
// Alert when there is none).
func (e *e2e) fallAlert(t testing.TB, patient string) balance.Alert {
	t.Helper()
	as, err := e.app.Alerts.PatientAlerts(context.Background(), patient, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Kind == balance.AlertFall {
			return a
		}
	}
	return balance.Alert{}
}

// deviceClient connects to the app's embedded broker as a device does: its
// id as client id and user name, a secret issued for it as password.
func deviceClient(t testing.TB, a *App, id string) mqtt.Client {
	t.Helper()
	secret, err := a.State.IssueDeviceSecret(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	o := mqtt.NewClientOptions().AddBroker(a.Broker.URL()).SetClientID(id).SetUsername(id).SetPassword(secret).SetCleanSession(true)
	cl := mqtt.NewClient(o)
	if tk := cl.Connect(); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
		t.Fatalf("device %s connect: %v", id, tk.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return cl
}

// publication records when each batch of a device was published.
type publication struct {
	firstNS, lastNS int64
	at              time.Time
}

// play publishes samples of one device in real time, in batches of per
// samples, each as soon as its last sample's time has come (device time =
// wall time, as a real wearable), and returns when each went out.
func (e *e2e) play(t testing.TB, device string, ss []balance.Sample, fs float64, per int) []publication {
	var pubs []publication
	for i := 0; i < len(ss); i += per {
		b := &balance.Batch{DeviceID: device, RateHz: fs, Samples: ss[i:min(i+per, len(ss))]}
		last := b.Samples[len(b.Samples)-1].TimeNS
		if d := time.Until(time.Unix(0, last)); d > 0 {
			time.Sleep(d)
		}
		payload := wire.AppendJSON(nil, b, wire.JSONOptions{})
		at := time.Now()
		tk := e.cls[device].Publish(wire.Topic(device, wire.KindIMU), 1, false, payload)
		if !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
			t.Errorf("publish: %v", tk.Error())
			return pubs
		}
		pubs = append(pubs, publication{b.Samples[0].TimeNS, last, at})
	}
	return pubs
}

// fallSamples is a person standing, then falling (lying 6 s and getting
// up), `falls` times, starting at device time start.
func fallSamples(t testing.TB, start time.Time, seed uint64, falls int) []balance.Sample {
	s := sim.NewScenario(sim.DefaultBody(), 100, seed)
	s.Idle(3)
	kinds := []sim.FallKind{sim.FallForward, sim.FallBackward, sim.FallLeft, sim.FallRight}
	for i := range falls {
		s.Fall(sim.FallSpec{Kind: kinds[(int(seed)+i)%len(kinds)], LieS: 6, GetUp: true})
		s.Idle(3)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return s.Samples(sim.TypicalSensor(), start.UnixNano())
}

// falls returns the fall notices for a patient that arrived at the
// webhook (resolved notices left out: see resolvedFalls). A fall resolved
// before its first notice went is in it, shown as resolved.
func (e *e2e) falls(patient string) []hookArrival { return e.fallNotices(patient, false) }

// resolvedFalls returns the resolved notices of falls for a patient.
func (e *e2e) resolvedFalls(patient string) []hookArrival { return e.fallNotices(patient, true) }

func (e *e2e) fallNotices(patient string, resolved bool) []hookArrival {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []hookArrival
	for _, h := range e.hooks {
		if h.alert.Kind == balance.AlertFall && h.alert.PatientID == patient && (h.typ == "alert.resolved") == resolved {
			out = append(out, h)
		}
	}
	return out
}

// TestFallAlertEndToEnd: a fall published over MQTT reaches the webhook
// and the e-mail inbox, once, with the evidence link working.
func TestFallAlertEndToEnd(t *testing.T) {
	e := startE2E(t, 1)
	ss := fallSamples(t, time.Now().Add(200*time.Millisecond), 3, 1)
	e.play(t, "d0", ss, 100, 10)
	deadline := time.Now().Add(20 * time.Second)
	for len(e.falls("p0")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := e.falls("p0")
	if len(got) != 1 {
		t.Fatalf("%d fall alerts at the webhook, want 1", len(got))
	}
	// The simulated patient gets up: the alert resolves, and those who
	// were told are told so (webhook and e-mail); nothing escalates.
	deadline = time.Now().Add(20 * time.Second)
	for len(e.resolvedFalls("p0")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	res := e.resolvedFalls("p0")
	if len(res) != 1 || res[0].alert.ID != got[0].alert.ID || !strings.Contains(res[0].alert.ResolvedReason, "moved again") {
		t.Fatalf("resolved notices %+v, want one for the fall, saying the patient moved again", res)
	}
	if a, err := e.app.Alerts.Alert(context.Background(), got[0].alert.ID); err != nil || a.Status != balance.AlertResolved {
		t.Errorf("stored alert %+v (%v), want resolved", a, err)
	}
	// E-mail: the alert about the fall, then its resolved notice.
	msgs := e.mail.WaitMessages(t, 2, 20*time.Second)
	var alerted, resolved int
	for _, m := range msgs {
		switch {
		case strings.HasPrefix(m.Subject, "[RESOLVED] "):
			resolved++
		case strings.Contains(strings.ToLower(m.Subject+e.mail.Message(t, m.ID).Text), "fall"):
			alerted++
		}
	}
	if len(msgs) != 2 || alerted != 1 || resolved != 1 {
		t.Errorf("mails %+v, want one about the fall and one [RESOLVED] notice", msgs)
	}
	// The alert says who, when (clinic time) and what to do, with the
	// patient's contact from the patient record.
	var first string
	for _, m := range msgs {
		if !strings.HasPrefix(m.Subject, "[RESOLVED] ") {
			first = e.mail.Message(t, m.ID).Text
		}
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	when := "WHEN: " + got[0].alert.OccurredAt.In(berlin).Format("Mon 2 Jan 2006, 15:04 MST") // CET or CEST, by the date
	for _, want := range []string{"WHO:  Patient 0 (p0), phone +49 30 555 0100, Hauptstr. 1, Berlin", when, "WHAT TO DO: Call Patient 0 now on +49 30 555 0100.",
		"go or send someone to Hauptstr. 1, Berlin", "I'm on it"} {
		if !strings.Contains(first, want) {
			t.Errorf("the fall e-mail lacks %q:\n%s", want, first)
		}
	}
	// The evidence link answers with the samples around the impact.
	a := got[0].alert
	resp := adminRequest(t, "GET", e.base+a.Evidence[0].URL, "")
	var body struct{ Count int }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body.Count < 1000 {
		t.Errorf("evidence %s: status %d, %d samples; want 200 and ~30 s at 100 Hz", a.Evidence[0].URL, resp.StatusCode, body.Count)
	}
	// The measurement and the risk API see the fall.
	resp = adminRequest(t, "GET", e.base+"/api/v1/patients/p0/risk", "")
	var risk struct{ Current balance.RiskAssessment }
	json.NewDecoder(resp.Body).Decode(&risk)
	resp.Body.Close()
	if risk.Current.Level != balance.RiskHigh {
		t.Errorf("risk after a fall %+v, want high (fall_recent)", risk.Current)
	}
}

// BenchmarkFallAlertLatency measures, on real services, the time from the
// publication of the batch holding a fall's impact sample to the webhook's
// arrival, minus the detector's own confirmation window (impact to
// decision sample, 3 s by default): the pipeline's own delay. Ten
// wearables publish in real time, 10-sample (0.1 s) batches, three falls
// each; p50 and p99 over all falls of all iterations are reported.
func BenchmarkFallAlertLatency(b *testing.B) {
	const devices, falls = 10, 3
	e := startE2E(b, devices)
	pubs := make([][]publication, devices)
	for range b.N {
		var wg sync.WaitGroup
		start := time.Now().Add(300 * time.Millisecond)
		for d := range devices {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Stagger devices over 2 s so that falls interleave.
				ss := fallSamples(b, start.Add(time.Duration(d)*200*time.Millisecond), uint64(d+1), falls)
				p := e.play(b, fmt.Sprintf("d%d", d), ss, 100, 10)
				e.mu.Lock()
				pubs[d] = append(pubs[d], p...)
				e.mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	// Wait for the stragglers, then time every fall of every iteration.
	want := b.N * devices * falls
	total := func() int {
		n := 0
		for d := range devices {
			n += len(e.falls(fmt.Sprintf("p%d", d)))
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); total() < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	var lat []float64
	for d := range devices {
		for _, h := range e.falls(fmt.Sprintf("p%d", d)) {
			impact := h.alert.OccurredAt.UnixNano()
			decided, err := time.Parse(time.RFC3339Nano, h.alert.Details["decided_at"])
			if err != nil {
				b.Fatalf("decided_at %q: %v", h.alert.Details["decided_at"], err)
			}
			window := decided.Sub(h.alert.OccurredAt)
			for _, pb := range pubs[d] {
				if impact >= pb.firstNS && impact <= pb.lastNS {
					lat = append(lat, (h.at.Sub(pb.at) - window).Seconds())
				}
			}
		}
	}
	if len(lat) != want {
		b.Errorf("%d falls timed, want %d (one alert per simulated fall)", len(lat), want)
	}
	if len(lat) == 0 {
		return
	}
	sort.Float64s(lat)
	q := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(q(0.5)*1000, "p50-ms")
	b.ReportMetric(q(0.99)*1000, "p99-ms")
	b.ReportMetric(lat[len(lat)-1]*1000, "max-ms")
	b.ReportMetric(float64(len(lat)), "falls")
}

// TestFallsAlertWhileInfluxIsDown: with InfluxDB stopped, ingest keeps
// batches in its disk spool, and monitoring gets them from there: each of
// two falls published during the outage reaches the webhook within 5 s of
// the publication of its decision sample (the detector confirms a fall 3 s
// after the impact; the 5 s budget is issue 15's), once. When InfluxDB is
// back the spool drains and no fall alerts twice.
func TestFallsAlertWhileInfluxIsDown(t *testing.T) {
	in := testenv.StartInflux(t)
	e := startE2EOn(t, 1, fmt.Sprintf("ingest: {retry_max: 1s}\nstorage:\n  kind: influx\n  influx: {url: %q, raw_bucket: %q, derived_bucket: %q, timeout: 2s}\n",
		in.URL, testenv.RawBucket, testenv.DerivedBucket))
	in.Stop()
	ss := fallSamples(t, time.Now().Add(200*time.Millisecond), 5, 2)
	pubs := e.play(t, "d0", ss, 100, 10)
	deadline := time.Now().Add(10 * time.Second)
	for len(e.falls("p0")) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := e.falls("p0")
	if len(got) != 2 {
		t.Fatalf("%d fall alerts at the webhook during the outage, want 2", len(got))
	}
	if e.app.Spool.Pending() == 0 {
		t.Fatal("nothing in the spool: the store was not down")
	}
	for _, h := range got {
		decided, err := time.Parse(time.RFC3339Nano, h.alert.Details["decided_at"])
		if err != nil {
			t.Fatalf("decided_at %q: %v", h.alert.Details["decided_at"], err)
		}
		var publishedAt time.Time
		for _, pb := range pubs {
			if decided.UnixNano() >= pb.firstNS && decided.UnixNano() <= pb.lastNS+int64(10*time.Millisecond) {
				publishedAt = pb.at
			}
		}
		if publishedAt.IsZero() {
			t.Fatalf("no publication holds the decision sample %v", decided)
		}
		if lat := h.at.Sub(publishedAt); lat > 5*time.Second {
			t.Errorf("fall at %v alerted %v after its decision sample was published, want within 5 s", h.alert.OccurredAt, lat)
		} else {
			t.Logf("fall at %v alerted %v after its decision sample was published (store down)", h.alert.OccurredAt.Format(time.TimeOnly), lat.Round(time.Millisecond))
		}
	}
	// InfluxDB back: the spool drains into it, and the replay raises nothing new.
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); e.app.Spool.Pending() > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("spool still holds %d batches a minute after InfluxDB came back", e.app.Spool.Pending())
		}
	}
	time.Sleep(2 * time.Second)
	if n := len(e.falls("p0")); n != 2 {
		t.Errorf("%d fall alerts after the spool drained, want still 2", n)
	}
	n, err := e.app.Store.CountSamples(context.Background(), balance.SampleQuery{DeviceID: "d0", // ±1 ms: samples are kept at 1 µs, rounded
		From: time.Unix(0, ss[0].TimeNS).Add(-time.Millisecond), To: time.Unix(0, ss[len(ss)-1].TimeNS).Add(time.Millisecond)})
	if err != nil || n != int64(len(ss)) {
		t.Errorf("InfluxDB holds %d samples of d0 (%v), want the %d published", n, err, len(ss))
	}
	// No fall can be missed silently: the fall detector saw every stored
	// sample of the device, once (through the spool, not read back).
	if analysed := e.app.Monitor.Stats().Samples.Load(); analysed != n {
		t.Errorf("the detector analysed %d samples, the store holds %d: a missed fall would go unnoticed", analysed, n)
	}
}

// TestSwaySessionOverMQTT: a sway test's samples and its start and stop
// events, published over MQTT as a device does (events before the batch
// that holds them), give one stored sway session and one sway measurement,
// served by the sessions and measurements API.
func TestSwaySessionOverMQTT(t *testing.T) {
	e := startE2E(t, 1)
	s, err := sim.NamedScenario("sway", sim.DefaultBody(), 100, 5)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	ss := s.Samples(sim.TypicalSensor(), base.UnixNano())
	var evs []balance.DeviceEvent
	for _, seg := range s.Segments() {
		if seg.Session == balance.SessionSway {
			evs = append(evs,
				balance.DeviceEvent{Action: "start", Kind: seg.Session, SessionID: "sw1", Time: time.Unix(0, ss[int(seg.StartS*100)].TimeNS).UTC()},
				balance.DeviceEvent{Action: "stop", Kind: seg.Session, SessionID: "sw1", Time: time.Unix(0, ss[int(seg.EndS*100)-1].TimeNS).UTC()})
		}
	}
	if len(evs) != 2 {
		t.Fatalf("scenario has %d session events, want 2", len(evs))
	}
	ei := 0
	for i := 0; i < len(ss); i += 100 {
		b := &balance.Batch{DeviceID: "d0", RateHz: 100, Samples: ss[i:min(i+100, len(ss))]}
		for ei < len(evs) && evs[ei].Time.UnixNano() <= b.Samples[len(b.Samples)-1].TimeNS {
			if tk := e.cls["d0"].Publish(wire.Topic("d0", wire.KindEvent), 1, false, wire.EncodeEvent(evs[ei])); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
				t.Fatalf("publish event: %v", tk.Error())
			}
			ei++
		}
		if tk := e.cls["d0"].Publish(wire.Topic("d0", wire.KindIMU), 1, false, wire.AppendJSON(nil, b, wire.JSONOptions{})); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
			t.Fatalf("publish: %v", tk.Error())
		}
	}
	var sessions struct{ Sessions []balance.ExerciseSession }
	deadline := time.Now().Add(30 * time.Second)
	for len(sessions.Sessions) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		monGetJSON(t, e.base+"/api/v1/patients/p0/sessions?since="+base.Format(time.RFC3339), &sessions)
	}
	if len(sessions.Sessions) != 1 || sessions.Sessions[0].Kind != balance.SessionSway || sessions.Sessions[0].Sway["rms"] <= 0 {
		t.Fatalf("sessions %+v, want one sway test with its sway", sessions.Sessions)
	}
	if q := sessions.Sessions[0].Quality; len(q) != 1 || q[0] != "ap_unknown" {
		t.Errorf("session quality %v, want only ap_unknown (quiet stance cannot tell forward)", q)
	}
	var ms struct{ Measurements []balance.Measurement }
	monGetJSON(t, e.base+"/api/v1/patients/p0/measurements?name=sway&from="+base.Format(time.RFC3339)+"&to="+time.Now().Format(time.RFC3339), &ms)
	if len(ms.Measurements) != 1 || ms.Measurements[0].Fields["rms"] != sessions.Sessions[0].Sway["rms"] {
		t.Errorf("sway measurements %+v, want one with the session's rms", ms.Measurements)
	}
}

func monGetJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp := adminRequest(t, "GET", url, "")
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestLookAlikesOverMQTT: hard sitting, a stumble, a jump, jogging and
// lying down, published over MQTT, reach no one; the falls scenario right
// after, on another device, reaches the webhook once per fall.
func TestLookAlikesOverMQTT(t *testing.T) {
	e := startE2E(t, 2)
	base := time.Now().Add(-20 * time.Minute).Truncate(time.Second)
	total := 0
	for d, name := range []string{"adl", "falls"} {
		s, err := sim.NamedScenario(name, sim.DefaultBody(), 100, 11)
		if err != nil {
			t.Fatal(err)
		}
		ss := s.Samples(sim.TypicalSensor(), base.UnixNano())
		total += len(ss)
		e.play(t, fmt.Sprintf("d%d", d), ss, 100, 100) // in the past: as fast as MQTT goes
		if name == "falls" {
			n := 0
			for _, seg := range s.Segments() {
				if seg.Fall {
					n++
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(e.falls("p1")) < n && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if got := len(e.falls("p1")); got != n {
				t.Errorf("%d fall alerts for %d falls", got, n)
			}
		}
	}
	// Everything stored and analysed (the falls device finished later than
	// the look-alikes one, and each device is analysed in order).
	var st struct {
		Ingest struct {
			SamplesStored int64 `json:"samples_stored"`
		}
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		monGetJSON(t, e.base+"/api/v1/status", &st)
		if st.Ingest.SamplesStored >= int64(total) {
			break
		}
	}
	if st.Ingest.SamplesStored < int64(total) {
		t.Fatalf("%d of %d samples stored", st.Ingest.SamplesStored, total)
	}
	if got := e.falls("p0"); len(got) != 0 {
		t.Errorf("%d fall alerts for look-alikes, want 0: %s", len(got), got[0].alert.Summary)
	}
	var ms struct{ Measurements []balance.Measurement }
	monGetJSON(t, e.base+"/api/v1/patients/p0/measurements?name=fall&from="+base.Add(-time.Minute).Format(time.RFC3339), &ms)
	if len(ms.Measurements) != 0 {
		t.Errorf("%d fall measurements for look-alikes", len(ms.Measurements))
	}
}
