package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/webhook/webhooktest"
	"github.com/balance-pt/balance/internal/testenv"
)

// testSecret is "whsec_" + base64 of the bytes 0..23.
const testSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"

// alertsApp returns an embedded-mode app (no simulated devices, log-in on)
// on dataDir whose configuration has the given alerts section.
func alertsApp(t *testing.T, dataDir, section string) *App {
	t.Helper()
	indented := "alerts:\n  " + strings.ReplaceAll(strings.TrimSpace(section), "\n", "\n  ") + "\n"
	cfg := testConfig(t, indented)
	cfg.DataDir = dataDir
	return NewApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
}

// adminRequest is a request with the tests' admin credentials.
func adminRequest(t *testing.T, method, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", testAdminPassword)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// familyAndDoctor starts a webhook receiver and mailpit and returns an
// alerts section with two recipients: "family" (caregiver, webhook,
// repeated hourly) and "dr" (therapist, e-mail, then drExtra). head comes
// first (e.g. base_url).
func familyAndDoctor(t *testing.T, head, drExtra string) (*webhooktest.Receiver, *testenv.Mailpit, string) {
	t.Helper()
	rx := webhooktest.NewReceiver(t, []string{testSecret}, nil)
	mp := testenv.StartMailpit(t, testenv.MailpitOptions{})
	section := head + fmt.Sprintf(`smtp: {host: %s, port: %d, starttls: none, from: "Balance <alerts@balance.example.org>"}
recipients:
  - name: family
    role: caregiver
    webhook: {url: %q, secrets: [%q]}
    repeat_interval: 1h
  - name: dr
    role: therapist
    email: dr@clinic.example
`, mp.SMTPHost, mp.SMTPPort, rx.URL, testSecret) + drExtra
	return rx, mp, section
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp := adminRequest(t, "GET", url, "")
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestAlertsComponent wires alerts into the app: an alert raised through
// the sink monitoring and progression are given is delivered
// to a real webhook, shown with its log by the API, acknowledged through
// the API, counted in /metrics, and still there after a restart.
func TestAlertsComponent(t *testing.T) {
	rx, mp, section := familyAndDoctor(t, "base_url: http://balance.example.org\n", "")
	dir := t.TempDir()
	ctx := context.Background()
	app := alertsApp(t, dir, section)
	if err := app.Open(ctx); err != nil {
		app.Close()
		t.Fatal(err)
	}
	var sink balance.AlertSink = app.Alerts
	a := balance.Alert{ID: "fall-p1-1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1",
		Summary: "Fall detected", GroupKey: "p1/fall", OccurredAt: time.Now().UTC()}
	if err := sink.Raise(ctx, a); err != nil {
		t.Fatal(err)
	}
	reqs := rx.Wait(t, 10*time.Second, "the webhook", webhooktest.Count(1))
	if reqs[0].VerifyErr != nil {
		t.Error(reqs[0].VerifyErr)
	}
	if got := reqs[0].Payload.Data.Alerts[0].AckURL; got != "http://balance.example.org/api/v1/alerts/fall-p1-1/ack" {
		t.Errorf("ack_url %q", got)
	}
	if ms := mp.WaitMessages(t, 1, 10*time.Second); len(ms) != 1 || ms[0].To[0].Address != "dr@clinic.example" || ms[0].Subject != "[URGENT] Fall detected" {
		t.Errorf("e-mail: %+v", ms)
	}
	base := "http://" + app.HTTPAddr()

	var v alerts.AlertView
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		getJSON(t, base+"/api/v1/alerts/fall-p1-1", &v)
		done := 0
		for _, d := range v.Deliveries {
			if d.Reason == alerts.ReasonInitial && d.State == alerts.StateDelivered {
				done++
			}
		}
		if done == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery not done: %+v", v.Deliveries)
		}
	}
	for _, d := range v.Deliveries {
		if d.Reason == alerts.ReasonRepeat {
			if d.State != alerts.StatePending || d.NextAt.Before(time.Now().Add(59*time.Minute)) {
				t.Errorf("repeat %+v; want pending, due in an hour", d)
			}
			continue
		}
		if d.Channel == alerts.ChannelWebhook && d.ID != reqs[0].ID {
			t.Errorf("webhook delivery %s; the receiver saw webhook-id %s", d.ID, reqs[0].ID)
		}
		if len(d.Log) != 1 || d.Log[0].Outcome != alerts.OutcomeDelivered {
			t.Errorf("delivery %+v; want one delivered attempt", d)
		}
	}
	resp := adminRequest(t, "POST", base+"/api/v1/alerts/fall-p1-1/ack", `{"by":"Ann (daughter)"}`)
	var acked balance.Alert
	json.NewDecoder(resp.Body).Decode(&acked)
	resp.Body.Close()
	if resp.StatusCode != 200 || acked.Status != balance.AlertAcknowledged || acked.AckedBy != "admin" { // the logged-in user, not what the body claims
		t.Fatalf("ack: %d %+v", resp.StatusCode, acked)
	}
	resp, err := http.Get(base + "/metrics") // open: no log-in
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`balance_alert_delivery_attempts_total{channel="webhook",outcome="delivered"} 1`,
		`balance_alert_delivery_attempts_total{channel="email",outcome="delivered"} 1`, `balance_alert_deliveries{state="cancelled"} 1`, `balance_build_info{`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart on the same data directory: the alert and its log are kept.
	app2 := alertsApp(t, dir, section)
	if err := app2.Open(ctx); err != nil {
		app2.Close()
		t.Fatal(err)
	}
	defer app2.Close()
	var list []balance.Alert
	getJSON(t, "http://"+app2.HTTPAddr()+"/api/v1/alerts?patient=p1", &list)
	if len(list) != 1 || list[0].Status != balance.AlertAcknowledged {
		t.Errorf("after restart: %+v", list)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(rx.Requests()); n != 1 {
		t.Errorf("%d webhooks after restart; want still 1", n)
	}
}

// TestAlertsConfigRefusedAtStart: a misconfigured alerts section stops
// `balance serve` before anything runs, naming every problem.
func TestAlertsConfigRefusedAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "balance.yaml")
	os.WriteFile(path, []byte(`
storage: {kind: embedded}
alerts:
  recipients:
    - name: dr
      role: doctor
      email: dr@clinic.example
    - name: hook
      role: on_call
      webhook: {url: "ftp://x", secrets: ["nope"]}
  escalation:
    - after: 10m
      notify: [caregiver]
`), 0o600)
	_, err := loadConfig([]string{"--config", path}, io.Discard, false, func(string) string { return "" })
	if err == nil {
		t.Fatal("bad alerts section accepted")
	}
	for _, want := range []string{`role "doctor" is unknown`, "alerts.smtp: host is required", `url "ftp://x"`, `no recipient has role "caregiver"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	os.WriteFile(path, []byte("storage: {kind: embedded}\nalerts:\n  recipents: []\n"), 0o600)
	if _, err := loadConfig([]string{"--config", path}, io.Discard, false, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "recipents") {
		t.Errorf("misspelt key: %v; want it refused by name", err)
	}
}

// TestOneClickAcknowledgement: the e-mail and the webhook of a fall carry a
// signed link for their recipient. Opening it (as a mail scanner would)
// shows the alert and a button but acknowledges nothing; pressing the
// button acknowledges it in the recipient's name without a log-in, and
// stops the repeats; a tampered link is refused.
func TestOneClickAcknowledgement(t *testing.T) {
	rx, mp, section := familyAndDoctor(t, "", "    repeat_interval: 1h\n")
	app := alertsApp(t, t.TempDir(), section)
	ctx := context.Background()
	if err := app.Open(ctx); err != nil {
		app.Close()
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Alerts.Raise(ctx, balance.Alert{ID: "fall-link-1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1",
		Summary: "Fall detected", GroupKey: "p1/fall", OccurredAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	hook := rx.Wait(t, 10*time.Second, "the webhook", webhooktest.Count(1))[0].Payload.Data.Alerts[0].AckLink
	msgs := mp.WaitMessages(t, 1, 10*time.Second)
	text := mp.Message(t, msgs[0].ID).Text
	i := strings.Index(text, "/ack/")
	if hook == "" || i < 0 {
		t.Fatalf("no one-click link: webhook %q, e-mail:\n%s", hook, text)
	}
	mailLink := strings.Fields(text[i:])[0]
	base := "http://" + app.HTTPAddr()
	get := func(link string) (int, string) {
		resp, err := http.Get(base + link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Opening the link shows the alert and a button; nothing is acknowledged.
	st, page := get(mailLink)
	if st != 200 || !strings.Contains(page, "I'm on it") || !strings.Contains(page, "Fall detected") || !strings.Contains(page, `lang="en"`) {
		t.Fatalf("GET link: %d\n%s", st, page)
	}
	if a, _ := app.Alerts.Alert(ctx, "fall-link-1"); a.Status != balance.AlertOpen {
		t.Fatalf("opening the link changed the alert to %s", a.Status)
	}
	// A tampered link is refused.
	if st, _ := get(strings.Replace(mailLink, "r=dr", "r=someone", 1)); st != http.StatusForbidden {
		t.Errorf("tampered link: %d, want 403", st)
	}
	// Pressing the button (the form posts the link's fields) acknowledges.
	u, _ := url.Parse(mailLink)
	resp, err := http.PostForm(base+u.Path, u.Query())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Thank you") {
		t.Fatalf("POST link: %d\n%s", resp.StatusCode, body)
	}
	a, err := app.Alerts.Alert(ctx, "fall-link-1")
	if err != nil || a.Status != balance.AlertAcknowledged || a.AckedBy != "dr (link)" {
		t.Fatalf("after the button: %+v (%v), want acknowledged by %q", a, err, "dr (link)")
	}
	// The webhook recipient's own link, pressed later, says so.
	hu, _ := url.Parse(hook)
	resp, err = http.PostForm(base+hu.Path, hu.Query())
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Already acknowledged") {
		t.Errorf("second link after the acknowledgement: %d\n%s", resp.StatusCode, body)
	}
}
