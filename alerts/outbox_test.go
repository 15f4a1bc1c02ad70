package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/webhook"
	"github.com/balance-pt/balance/alerts/webhook/webhooktest"
	"github.com/balance-pt/balance/internal/route"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sqlite"
)

// Secrets of the test recipients: base64 of bytes 0..23 and 100..131
// (python3 -c "import base64; print(base64.b64encode(bytes(range(100,132))).decode())").
const (
	secretA = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
	secretB = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
)

type harness struct {
	svc   *alerts.Service
	store *sqlite.AlertStore
	reg   *prometheus.Registry
	api   string
}

// start runs a Service on a fresh state database with the real webhook
// notifier, and serves its API.
func start(t *testing.T, cfg alerts.Config) *harness { return startB(t, cfg) }

func startB(t testing.TB, cfg alerts.Config) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenState(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SetDefaults()
	h := &harness{store: st.AlertStore(), reg: prometheus.NewRegistry()}
	h.svc, err = alerts.New(cfg, h.store, alerts.Options{
		Notifiers: map[string]alerts.Notifier{alerts.ChannelWebhook: webhook.New(cfg.WebhookTimeout)},
		Metrics:   alerts.NewMetrics(h.reg, h.store.DeliveryCounts),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mux := route.New(route.NoLogin{})
	h.svc.Routes(mux)
	srv := httptest.NewServer(mux)
	h.api = srv.URL
	t.Cleanup(func() {
		srv.Close()
		h.svc.Close()
		st.Close()
	})
	return h
}

func hook(name, role, url string, secrets ...string) alerts.Recipient {
	return alerts.Recipient{Name: name, Role: role, Webhook: &alerts.WebhookTarget{URL: url, Secrets: secrets}}
}

func fall(id, patient string) balance.Alert {
	return balance.Alert{ID: id, Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: patient,
		Summary: "Fall detected", GroupKey: patient + "/fall", OccurredAt: time.Now().Add(-3 * time.Second).UTC()}
}

// ownGroup gives a fall a group of its own, so that it is notified on its
// own even while another fall of its patient is unresolved (tests of
// delivery mechanics, not of grouping).
func ownGroup(a balance.Alert) balance.Alert {
	a.GroupKey = a.PatientID + "/fall/" + a.ID
	return a
}

func trend(id, patient string) balance.Alert {
	return balance.Alert{ID: id, Kind: balance.AlertTrend, Severity: balance.SeverityWarning, PatientID: patient,
		Summary: "Gait speed falling", GroupKey: patient + "/trend", OccurredAt: time.Now().UTC()}
}

// view reads GET /api/v1/alerts/{id}.
func (h *harness) view(t *testing.T, id string) alerts.AlertView {
	t.Helper()
	resp, err := http.Get(h.api + "/api/v1/alerts/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET alert %s: %d", id, resp.StatusCode)
	}
	var v alerts.AlertView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// waitDelivery polls the API until the alert's delivery to recipient
// reaches one of the states.
func (h *harness) waitDelivery(t *testing.T, alertID, recipient string, timeout time.Duration, states ...string) alerts.Delivery {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, d := range h.view(t, alertID).Deliveries {
			if d.Recipient == recipient && d.Reason == alerts.ReasonInitial {
				for _, s := range states {
					if d.State == s {
						return d
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("delivery of %s to %s is %s after %s; want %v (log %+v)", alertID, recipient, d.State, timeout, states, d.Log)
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery of %s to %s", alertID, recipient)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func outcomes(d alerts.Delivery) []string {
	var out []string
	for _, a := range d.Log {
		out = append(out, a.Outcome)
	}
	return out
}

func TestDeliveredOnceSignedWithEverySecret(t *testing.T) {
	rx := webhooktest.NewReceiver(t, []string{secretA, secretB}, nil)
	h := start(t, alerts.Config{Recipients: []alerts.Recipient{hook("family", alerts.RoleCaregiver, rx.URL, secretA, secretB)}})
	ctx := context.Background()
	a := fall("fall-1", "p1")
	for range 3 { // idempotent on ID
		if err := h.svc.Raise(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	rx.Wait(t, 10*time.Second, "the notification", webhooktest.Count(1))
	d := h.waitDelivery(t, "fall-1", "family", 5*time.Second, alerts.StateDelivered)
	time.Sleep(100 * time.Millisecond)
	reqs := rx.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests for one alert raised three times; want 1", len(reqs))
	}
	r := reqs[0]
	if r.VerifyErr != nil {
		t.Errorf("signature: %v", r.VerifyErr)
	}
	if r.ID != d.ID {
		t.Errorf("webhook-id %s, want the delivery ID %s", r.ID, d.ID)
	}
	if got := r.Payload.Data.Alerts; len(got) != 1 || got[0].ID != "fall-1" || got[0].Status != balance.AlertOpen {
		t.Errorf("payload alerts %+v", got)
	}
	if diff := strings.Join(outcomes(d), ","); diff != alerts.OutcomeDelivered {
		t.Errorf("log outcomes %s, want one delivered attempt", diff)
	}
	if got := waitMetric(t, h.reg, 1, "balance_alert_delivery_attempts_total", "channel", "webhook", "outcome", "delivered"); got != 1 {
		t.Errorf("delivered attempts metric %v, want 1", got)
	}
}

func TestRetriesOn5xxAndHonoursRetryAfter(t *testing.T) {
	rx := webhooktest.NewReceiver(t, []string{secretA}, func(n int, _ *webhooktest.Request, w http.ResponseWriter) {
		switch n {
		case 0:
			w.WriteHeader(500)
		case 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
		default:
			w.WriteHeader(200)
		}
	})
	h := start(t, alerts.Config{
		Retry:      alerts.RetryConfig{InitialBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, GiveUpAfter: time.Minute},
		Recipients: []alerts.Recipient{hook("family", alerts.RoleCaregiver, rx.URL, secretA)},
	})
	if err := h.svc.Raise(context.Background(), fall("fall-2", "p1")); err != nil {
		t.Fatal(err)
	}
	reqs := rx.Wait(t, 15*time.Second, "three attempts", webhooktest.Count(3))
	d := h.waitDelivery(t, "fall-2", "family", 5*time.Second, alerts.StateDelivered)
	for i, r := range reqs {
		if r.ID != d.ID {
			t.Errorf("attempt %d webhook-id %s, want %s on every attempt", i+1, r.ID, d.ID)
		}
		if r.VerifyErr != nil {
			t.Errorf("attempt %d: %v", i+1, r.VerifyErr)
		}
	}
	// The receiver asked for 1 s; the backoff alone would be at most 50 ms.
	if gap := reqs[2].At.Sub(reqs[1].At); gap < time.Second {
		t.Errorf("third attempt %s after a 503 with Retry-After: 1; want at least 1 s", gap)
	}
	want := []string{alerts.OutcomeRetry, alerts.OutcomeRetry, alerts.OutcomeDelivered}
	if got := outcomes(d); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("log outcomes %v, want %v", got, want)
	}
	if d.Log[0].StatusCode != 500 || d.Log[1].StatusCode != 503 || !strings.Contains(d.Log[0].Error, "500") {
		t.Errorf("log %+v: status codes and errors not recorded", d.Log)
	}
}

func TestClientErrorIsNotRetried(t *testing.T) {
	rx := webhooktest.NewReceiver(t, []string{secretA}, func(_ int, _ *webhooktest.Request, w http.ResponseWriter) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "unknown patient")
	})
	h := start(t, alerts.Config{
		Retry:      alerts.RetryConfig{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, GiveUpAfter: time.Minute},
		Recipients: []alerts.Recipient{hook("family", alerts.RoleCaregiver, rx.URL, secretA)},
	})
	if err := h.svc.Raise(context.Background(), fall("fall-3", "p1")); err != nil {
		t.Fatal(err)
	}
	d := h.waitDelivery(t, "fall-3", "family", 10*time.Second, alerts.StateFailed)
	time.Sleep(200 * time.Millisecond) // ten backoff ceilings: a retry would have come
	if n := len(rx.Requests()); n != 1 {
		t.Errorf("%d requests after a 400; want 1", n)
	}
	if len(d.Log) != 1 || d.Log[0].Outcome != alerts.OutcomeFailed || d.Log[0].StatusCode != 400 || !strings.Contains(d.Log[0].Error, "unknown patient") {
		t.Errorf("log %+v: want one failed attempt with status 400 and the receiver's answer", d.Log)
	}
	if got := waitMetric(t, h.reg, 1, "balance_alert_deliveries_failed_total", "channel", "webhook", "reason", "permanent"); got != 1 {
		t.Errorf("failed{permanent} = %v, want 1", got)
	}
}

// TestGivesUpAtDeadline stands in for "a webhook that answers 500 for an
// hour" with a one-second deadline: every attempt is logged, the last one
// says it gave up, and the alarm metric counts it.
func TestGivesUpAtDeadline(t *testing.T) {
	rx := webhooktest.NewReceiver(t, []string{secretA}, func(_ int, _ *webhooktest.Request, w http.ResponseWriter) { w.WriteHeader(500) })
	h := start(t, alerts.Config{
		Retry:      alerts.RetryConfig{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, GiveUpAfter: time.Second},
		Recipients: []alerts.Recipient{hook("family", alerts.RoleCaregiver, rx.URL, secretA)},
	})
	if err := h.svc.Raise(context.Background(), fall("fall-4", "p1")); err != nil {
		t.Fatal(err)
	}
	d := h.waitDelivery(t, "fall-4", "family", 15*time.Second, alerts.StateFailed)
	if len(d.Log) < 3 {
		t.Fatalf("%d attempts in a second with backoff ≤ 200 ms; want several", len(d.Log))
	}
	if n := len(rx.Requests()); n != len(d.Log) {
		t.Errorf("receiver saw %d requests, log has %d attempts", n, len(d.Log))
	}
	last := d.Log[len(d.Log)-1]
	if last.Outcome != alerts.OutcomeGaveUp || !strings.Contains(last.Error, "gave up") || !strings.Contains(last.Error, "500") {
		t.Errorf("last attempt %+v: want gave_up naming the status", last)
	}
	if end := last.Start.Add(last.Duration); end.Before(d.Deadline) {
		t.Errorf("gave up at %s, before the deadline %s", end, d.Deadline)
	}
	for _, a := range d.Log[:len(d.Log)-1] {
		if a.Outcome != alerts.OutcomeRetry || a.StatusCode != 500 {
			t.Errorf("attempt %+v: want retry with status 500", a)
		}
	}
	if got := waitMetric(t, h.reg, 1, "balance_alert_deliveries_failed_total", "channel", "webhook", "reason", "deadline"); got != 1 {
		t.Errorf("failed{deadline} = %v, want 1", got)
	}
}

// TestHangingReceiverBlocksNobody: one receiver never answers; another
// recipient of the same alerts is served while the first hangs, and the
// hung attempt ends at the timeout and is retried.
func TestHangingReceiverBlocksNobody(t *testing.T) {
	testHanging(t, 500*time.Millisecond, 4)
}

// TestHungReceiverHoldsFewWorkers: with a timeout far longer than the
// test, twenty alerts to a hung receiver take at most per_recipient (2) of
// the 8 workers, and another recipient gets all twenty meanwhile.
func TestHungReceiverHoldsFewWorkers(t *testing.T) {
	testHanging(t, time.Minute, 20)
}

func testHanging(t *testing.T, timeout time.Duration, n int) {
	release := make(chan struct{})
	slow := webhooktest.NewReceiver(t, []string{secretA}, func(int, *webhooktest.Request, http.ResponseWriter) { <-release })
	t.Cleanup(func() { close(release) })
	fast := webhooktest.NewReceiver(t, []string{secretB}, nil)
	h := start(t, alerts.Config{
		WebhookTimeout: timeout,
		Retry:          alerts.RetryConfig{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, GiveUpAfter: time.Minute},
		Recipients: []alerts.Recipient{
			hook("slow", alerts.RoleOnCall, slow.URL, secretA),
			hook("fast", alerts.RoleCaregiver, fast.URL, secretB),
		},
	})
	h.svc.Grace = 100 * time.Millisecond // do not wait for the hung request at Close
	ctx := context.Background()
	if err := h.svc.Raise(ctx, fall("fall-5", "p1")); err != nil {
		t.Fatal(err)
	}
	slow.Wait(t, 10*time.Second, "the hung request", webhooktest.Count(1))
	// More alerts while the slow receiver hangs: Raise never waits on it.
	for i := 1; i < n; i++ {
		if err := h.svc.Raise(ctx, ownGroup(fall(fmt.Sprintf("fall-5-%d", i), "p1"))); err != nil {
			t.Fatal(err)
		}
	}
	fast.Wait(t, 10*time.Second, "every alert", webhooktest.Count(n))
	if got := len(slow.Requests()); got > 2 {
		t.Errorf("%d requests in flight to the hung receiver; per_recipient is 2", got)
	}
	if timeout > 10*time.Second {
		return
	}
	d := h.waitDelivery(t, "fall-5", "slow", 10*time.Second, alerts.StatePending, alerts.StateDelivering)
	deadline := time.Now().Add(10 * time.Second)
	for len(d.Log) == 0 || d.Log[0].Outcome == alerts.OutcomeInProgress {
		if time.Now().After(deadline) {
			t.Fatalf("hung attempt not finished: %+v", d.Log)
		}
		time.Sleep(50 * time.Millisecond)
		d = h.waitDelivery(t, "fall-5", "slow", time.Second, alerts.StatePending, alerts.StateDelivering)
	}
	if a := d.Log[0]; a.Outcome != alerts.OutcomeRetry || !strings.Contains(a.Error, "no answer within "+timeout.String()) {
		t.Errorf("hung attempt logged as %+v; want a retry after the timeout", a)
	}
}

func TestGroupsNonUrgentAlerts(t *testing.T) {
	rx := webhooktest.NewReceiver(t, []string{secretA}, nil)
	h := start(t, alerts.Config{
		GroupWait: 300 * time.Millisecond, GroupInterval: 1500 * time.Millisecond,
		Recipients: []alerts.Recipient{hook("dr", alerts.RoleTherapist, rx.URL, secretA)},
	})
	ctx := context.Background()
	for _, id := range []string{"trend-1", "trend-2"} {
		if err := h.svc.Raise(ctx, trend(id, "p1")); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rx.Wait(t, 10*time.Second, "the grouped notification", webhooktest.Count(1))
	if got := reqs[0].Payload.Data.Alerts; len(got) != 2 || got[0].ID != "trend-1" || got[1].ID != "trend-2" {
		t.Fatalf("first notification carries %+v; want trend-1 and trend-2 together", got)
	}
	if err := h.svc.Raise(ctx, trend("trend-3", "p1")); err != nil {
		t.Fatal(err)
	}
	reqs = rx.Wait(t, 10*time.Second, "the second notification", webhooktest.Count(2))
	if got := reqs[1].Payload.Data.Alerts; len(got) != 1 || got[0].ID != "trend-3" {
		t.Errorf("second notification carries %+v; want trend-3 alone", got)
	}
	first := h.waitDelivery(t, "trend-1", "dr", time.Second, alerts.StateDelivered)
	second := h.waitDelivery(t, "trend-3", "dr", time.Second, alerts.StateDelivered)
	// Due times come from the group rules: the second is due one group
	// interval after the first (the group wait is shorter).
	if got := second.NextAt.Sub(first.NextAt); got != 1500*time.Millisecond {
		t.Errorf("second notification due %s after the first; want the group interval, 1.5s", got)
	}
	if first.ID == second.ID || reqs[0].ID == reqs[1].ID {
		t.Error("two notifications share a webhook-id")
	}
}

func postAck(t *testing.T, api, id, body string) (int, balance.Alert) {
	t.Helper()
	resp, err := http.Post(api+"/api/v1/alerts/"+id+"/ack", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a balance.Alert
	json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a
}

// TestRepeatEscalateAndAck: an unacknowledged urgent alert repeats to the
// therapist and escalates to on-call; acknowledging through the API stops
// both.
func TestRepeatEscalateAndAck(t *testing.T) {
	dr := webhooktest.NewReceiver(t, []string{secretA}, nil)
	oncall := webhooktest.NewReceiver(t, []string{secretB}, nil)
	dr0 := hook("dr", alerts.RoleTherapist, dr.URL, secretA)
	dr0.RepeatInterval = 300 * time.Millisecond
	oc := hook("oncall", alerts.RoleOnCall, oncall.URL, secretB)
	oc.Kinds = []string{balance.AlertNoMovement} // only escalations reach on-call for falls
	h := start(t, alerts.Config{
		Recipients: []alerts.Recipient{dr0, oc},
		Escalation: []alerts.EscalationStep{{After: 1200 * time.Millisecond, Notify: []string{alerts.RoleOnCall}, Severities: []string{balance.SeverityUrgent}}},
	})
	ctx := context.Background()

	// Alert 1: acknowledged after its first repeat.
	if err := h.svc.Raise(ctx, fall("fall-a", "p1")); err != nil {
		t.Fatal(err)
	}
	reqs := dr.Wait(t, 10*time.Second, "initial and a repeat", webhooktest.Count(2))
	if reqs[0].Payload.Type != "alert.notified" || reqs[1].Payload.Type != "alert.repeated" {
		t.Errorf("types %s, %s; want alert.notified then alert.repeated", reqs[0].Payload.Type, reqs[1].Payload.Type)
	}
	if reqs[0].ID == reqs[1].ID {
		t.Error("a repeat reuses the initial webhook-id; a receiver would drop it as a duplicate")
	}
	if code, _ := postAck(t, h.api, "fall-a", `{}`); code != http.StatusBadRequest {
		t.Errorf("ack without by: %d, want 400", code)
	}
	if code, _ := postAck(t, h.api, "nope", `{"by":"dr"}`); code != http.StatusNotFound {
		t.Errorf("ack of unknown alert: %d, want 404", code)
	}
	code, a := postAck(t, h.api, "fall-a", `{"by":"Dr Ada"}`)
	if code != 200 || a.Status != balance.AlertAcknowledged || a.AckedBy != "Dr Ada" || a.AckedAt.IsZero() {
		t.Fatalf("ack: %d %+v", code, a)
	}
	ackedAt := len(dr.Requests())

	// Alert 2: never acknowledged; escalates.
	if err := h.svc.Raise(ctx, fall("fall-b", "p2")); err != nil {
		t.Fatal(err)
	}
	esc := oncall.Wait(t, 10*time.Second, "the escalation", webhooktest.Count(1))
	if p := esc[0].Payload; p.Type != "alert.escalated" || p.Data.Level != 1 || p.Data.Alerts[0].ID != "fall-b" {
		t.Errorf("escalation payload %+v", p)
	}
	time.Sleep(400 * time.Millisecond) // fall-a's escalation was due 1.2 s after it; now well past
	for _, r := range dr.Requests()[ackedAt:] {
		for _, x := range r.Payload.Data.Alerts {
			if x.ID == "fall-a" && r.Payload.Type == "alert.repeated" {
				// One repeat may have been in flight at the moment of the ack.
				if r.At.After(time.Now().Add(-300 * time.Millisecond)) {
					t.Errorf("fall-a repeated at %s after its acknowledgement", r.At)
				}
			}
		}
	}
	for _, r := range oncall.Requests() {
		if r.Payload.Data.Alerts[0].ID == "fall-a" {
			t.Errorf("fall-a escalated after its acknowledgement")
		}
	}
	v := h.view(t, "fall-a")
	var cancelled bool
	for _, d := range v.Deliveries {
		if d.Reason == alerts.ReasonEscalation && d.State == alerts.StateCancelled {
			cancelled = true
		}
		if d.State == alerts.StatePending {
			t.Errorf("delivery %s (%s) still pending after the acknowledgement", d.ID, d.Reason)
		}
	}
	if !cancelled {
		t.Errorf("fall-a's escalation not shown cancelled: %+v", v.Deliveries)
	}

	// The list API filters by status and patient.
	var list []balance.Alert
	resp, err := http.Get(h.api + "/api/v1/alerts?status=acknowledged")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 1 || list[0].ID != "fall-a" {
		t.Errorf("acknowledged alerts %+v, want fall-a", list)
	}
	resp, _ = http.Get(h.api + "/api/v1/alerts?patient=p2")
	list = nil
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 1 || list[0].ID != "fall-b" {
		t.Errorf("alerts of p2 %+v, want fall-b", list)
	}
	resp, _ = http.Get(h.api + "/api/v1/alerts?status=bogus")
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("status=bogus: %d, want 400", resp.StatusCode)
	}
}

func TestRaiseRefusesBadAlerts(t *testing.T) {
	h := start(t, alerts.Config{})
	ctx := context.Background()
	for name, a := range map[string]balance.Alert{
		"no id":            {Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p"},
		"unknown severity": {ID: "x", Kind: balance.AlertFall, Severity: "critical", PatientID: "p"},
		"no patient":       {ID: "x", Kind: balance.AlertFall, Severity: balance.SeverityUrgent},
		"not open":         {ID: "x", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p", Status: balance.AlertAcknowledged},
	} {
		if err := h.svc.Raise(ctx, a); balance.ErrorCode(err) != balance.EINVALID {
			t.Errorf("%s: Raise = %v, want EINVALID", name, err)
		}
	}
	// An alert nobody is configured for is still kept and listed.
	if err := h.svc.Raise(ctx, fall("lonely", "p")); err != nil {
		t.Fatal(err)
	}
	if v := h.view(t, "lonely"); v.ID != "lonely" || len(v.Deliveries) != 0 {
		t.Errorf("unrouted alert: %+v", v)
	}
	if got := testenv.MetricValue(t, h.reg, "balance_alerts_unrouted_total", "kind", balance.AlertFall, "severity", balance.SeverityUrgent); got != 1 {
		t.Errorf("unrouted metric %v, want 1", got)
	}
}

// TestHungReceiverBacklogStarvesNobody: a backlog of eighty deliveries to
// a hung receiver, all due before another recipient's, does not hold that
// recipient's deliveries back.
func TestHungReceiverBacklogStarvesNobody(t *testing.T) {
	release := make(chan struct{})
	slow := webhooktest.NewReceiver(t, []string{secretA}, func(int, *webhooktest.Request, http.ResponseWriter) { <-release })
	t.Cleanup(func() { close(release) })
	fast := webhooktest.NewReceiver(t, []string{secretB}, nil)
	rs := hook("slow", alerts.RoleOnCall, slow.URL, secretA)
	rs.Patients = []string{"p-slow"}
	rf := hook("fast", alerts.RoleCaregiver, fast.URL, secretB)
	rf.Patients = []string{"p-fast"}
	h := start(t, alerts.Config{WebhookTimeout: time.Minute, Recipients: []alerts.Recipient{rs, rf}})
	h.svc.Grace = 100 * time.Millisecond
	ctx := context.Background()
	for i := range 80 {
		if err := h.svc.Raise(ctx, ownGroup(fall(fmt.Sprintf("slow-%d", i), "p-slow"))); err != nil {
			t.Fatal(err)
		}
	}
	slow.Wait(t, 10*time.Second, "the hung requests", webhooktest.Count(2))
	for i := range 5 {
		if err := h.svc.Raise(ctx, ownGroup(fall(fmt.Sprintf("fast-%d", i), "p-fast"))); err != nil {
			t.Fatal(err)
		}
	}
	fast.Wait(t, 10*time.Second, "the other recipient's alerts", webhooktest.Count(5))
}

// TestResolvedAlerts: an alert resolved after it was delivered sends its
// recipient one resolved notice and cancels the repeat; one resolved while
// its first notice waits (group wait) still goes out, once, shown as
// resolved (it happened), with no resolved notice after it.
func TestResolvedAlerts(t *testing.T) {
	rx := webhooktest.NewReceiver(t, []string{secretA}, nil)
	r := hook("family", "caregiver", rx.URL, secretA)
	r.RepeatInterval = time.Hour
	h := start(t, alerts.Config{Recipients: []alerts.Recipient{r}, GroupWait: 300 * time.Millisecond})
	ctx := context.Background()

	if err := h.svc.Raise(ctx, fall("f1", "p1")); err != nil { // urgent: sent at once
		t.Fatal(err)
	}
	rx.Wait(t, 10*time.Second, "the fall notice", webhooktest.Count(1))
	if err := h.svc.Resolve(ctx, "f1", "the patient moved again 12s after the fall"); err != nil {
		t.Fatal(err)
	}
	reqs := rx.Wait(t, 10*time.Second, "the resolved notice", webhooktest.Count(2))
	if p := reqs[1].Payload; p.Type != "alert.resolved" || p.Data.Alerts[0].Status != balance.AlertResolved ||
		p.Data.Alerts[0].ResolvedReason != "the patient moved again 12s after the fall" {
		t.Errorf("second webhook %+v, want alert.resolved with the reason", p)
	}
	// Settled: the first notice delivered, the resolved one too, and no
	// repeat pending (none is made for an alert no longer open).
	var states map[string]string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ds, err := h.store.Deliveries(ctx, "f1")
		if err != nil {
			t.Fatal(err)
		}
		states = map[string]string{}
		for _, d := range ds {
			states[d.Reason] = d.State
		}
		if states[alerts.ReasonInitial] == alerts.StateDelivered && states[alerts.ReasonResolved] == alerts.StateDelivered || time.Now().After(deadline) {
			break
		}
	}
	if states[alerts.ReasonResolved] != alerts.StateDelivered || (states[alerts.ReasonRepeat] != "" && states[alerts.ReasonRepeat] != alerts.StateCancelled) {
		t.Errorf("deliveries of f1 by reason %v, want the resolved notice delivered and no repeat pending", states)
	}
	if err := h.svc.Raise(ctx, trend("t1", "p2")); err != nil { // waits 300 ms for its group
		t.Fatal(err)
	}
	if err := h.svc.Resolve(ctx, "t1", "gait speed recovered"); err != nil {
		t.Fatal(err)
	}
	reqs = rx.Wait(t, 10*time.Second, "the trend's first notice", webhooktest.Count(3))
	if p := reqs[2].Payload; p.Type != "alert.notified" || p.Data.Alerts[0].ID != "t1" || p.Data.Alerts[0].Status != balance.AlertResolved {
		t.Errorf("third webhook %+v, want the first notice of t1, shown resolved", p)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(rx.Requests()); n != 3 {
		t.Errorf("%d webhooks, want 3 (no resolved notice for an alert first told resolved)", n)
	}
	// Resolving twice, or an unknown alert, changes nothing.
	if err := h.svc.Resolve(ctx, "f1", "again"); err != nil {
		t.Error(err)
	}
	if err := h.svc.Resolve(ctx, "never-raised", "x"); err != nil {
		t.Error(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rx.Requests()); n != 3 {
		t.Errorf("%d webhooks after resolving again, want still 3", n)
	}
}

// waitMetric returns a metric's value once it is want, or its value after
// 2 s: counters go up just after an outcome is stored, which is what the
// tests wait for.
func waitMetric(t *testing.T, reg *prometheus.Registry, want float64, name string, labels ...string) float64 {
	t.Helper()
	var got float64
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got = testenv.MetricValue(t, reg, name, labels...); got == want || time.Now().After(deadline) {
			return got
		}
	}
}

// TestSilences: while a patient's silence runs (device charging), their
// offline alerts are stored but not sent; a fall is sent anyway (falls are
// silenced only when listed); other patients are not affected; ended, the
// silence lets the next alert through. Made, listed and ended through the
// API.
func TestSilences(t *testing.T) {
	rx := webhooktest.NewReceiver(t, []string{secretA}, nil)
	h := start(t, alerts.Config{Recipients: []alerts.Recipient{hook("family", "caregiver", rx.URL, secretA)}, GroupWait: 50 * time.Millisecond})
	ctx := context.Background()
	post := func(path, body string) (int, string) {
		resp, err := http.Post(h.api+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, bad := range []string{`{"ends_at":"2001-01-01T00:00:00Z","reason":"x"}`, `{"ends_at":"` + until + `"}`, `{"ends_at":"` + time.Now().Add(100*24*time.Hour).UTC().Format(time.RFC3339) + `","reason":"x"}`} {
		if st, _ := post("/api/v1/patients/p1/silences", bad); st != 400 {
			t.Errorf("silence %s: %d, want 400", bad, st)
		}
	}
	st, body := post("/api/v1/patients/p1/silences", `{"ends_at":"`+until+`","reason":"device charging"}`)
	if st != 201 {
		t.Fatalf("add silence: %d %s", st, body)
	}
	offline := func(id, patient string) balance.Alert {
		return balance.Alert{ID: id, Kind: balance.AlertDeviceOffline, Severity: balance.SeverityInfo, PatientID: patient, DeviceID: "d-" + patient,
			Summary: "offline", GroupKey: patient + "/offline", OccurredAt: time.Now().UTC()}
	}
	for _, a := range []balance.Alert{offline("o1", "p1"), fall("f1", "p1"), offline("o2", "p2")} {
		if err := h.svc.Raise(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rx.Wait(t, 10*time.Second, "the fall and p2's alert", webhooktest.Count(2))
	time.Sleep(300 * time.Millisecond)
	sent := map[string]bool{}
	for _, r := range rx.Requests() {
		for _, a := range r.Payload.Data.Alerts {
			sent[a.ID] = true
		}
	}
	if !sent["f1"] || !sent["o2"] || sent["o1"] || len(reqs) != 2 {
		t.Errorf("sent %v, want the fall and p2's offline alert, not p1's silenced one", sent)
	}
	if a, err := h.store.Alert(ctx, "o1"); err != nil || a.Status != balance.AlertOpen {
		t.Errorf("silenced alert %+v (%v): want it stored and open", a, err)
	}
	// Listed, then ended: the next alert goes out.
	resp, err := http.Get(h.api + "/api/v1/patients/p1/silences")
	if err != nil {
		t.Fatal(err)
	}
	var sls []balance.Silence
	json.NewDecoder(resp.Body).Decode(&sls)
	resp.Body.Close()
	if len(sls) != 1 || sls[0].Reason != "device charging" {
		t.Fatalf("silences %+v", sls)
	}
	req, _ := http.NewRequest("DELETE", h.api+"/api/v1/patients/p1/silences/"+strconv.FormatInt(sls[0].ID, 10), nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("end silence: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := h.svc.Raise(ctx, offline("o3", "p1")); err != nil {
		t.Fatal(err)
	}
	rx.Wait(t, 10*time.Second, "p1's alert after the silence", webhooktest.Count(3))
}
