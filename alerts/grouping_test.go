package alerts_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/email"
	"github.com/balance-pt/balance/alerts/webhook"
	"github.com/balance-pt/balance/alerts/webhook/webhooktest"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sqlite"
)

// TestSixFallsGrouped is the scenario on the real outbox, with a
// real SMTP server (mailpit) and real webhook receivers: six falls of one
// patient in 7.5 minutes, none resolved until minute 18. Time is scaled:
// one simulated minute is `scale` of real time.
//
// Configuration (simulated): urgent_group_interval 2m; the caregiver
// "family" (e-mail) repeats every 5m; the therapist "dr" (webhook) does
// not repeat; one escalation step after 10m to on-call "night" (webhook,
// which gets falls only by escalation). Falls at 0, 0.5, 1.5, 3.5, 5 and
// 7.5 min (spaced so that no fall lands on a follow-up's due time).
//
// Expected, per recipient of the initial notices (family and dr):
//   - 0: f1 at once (first of the group);
//   - f2 (0.5) is told less than 2m after the 0 notice: follow-up due 2,
//     which f3 (1.5) joins;
//   - f4 (3.5): 1.5 after the notice of 2: follow-up due 4;
//   - f5 (5): follow-up due 6; f6 (7.5): follow-up due 8;
//     so 5 initial notices (1 first + 4 follow-ups, at most one per 2m)
//     instead of 6.
//   - family's repeats form one chain: due 5 (the follow-ups of 2 and 4
//     join it), 10 (those of 6 and 8 join it), 15; the one due 20 is
//     cancelled by the resolution at 18: 3 repeats instead of one chain
//     per fall.
//   - night: one escalation at 10 carrying all six (f2..f6 joined f1's),
//     instead of six.
//   - after the resolution of all six: one resolved notice per recipient
//     (the group's), and nothing more.
//
// So family gets 5+3+1 = 9 e-mails, dr 5+1 = 6 webhooks and night 1+1 = 2.
// The old behaviour sent family 6 notices, one repeat chain per fall and 6
// resolved notices; see the report of the change for the measured counts.
func TestSixFallsGrouped(t *testing.T) {
	const scale = 400 * time.Millisecond
	sim := func(m float64) time.Duration { return time.Duration(m * float64(scale)) }
	ctx := context.Background()

	mp := testenv.StartMailpit(t, testenv.MailpitOptions{})
	drRx := webhooktest.NewReceiver(t, []string{secretA}, nil)
	nightRx := webhooktest.NewReceiver(t, []string{secretB}, nil)
	family := alerts.Recipient{Name: "family", Role: alerts.RoleCaregiver, Email: "family@clinic.example", RepeatInterval: sim(5)}
	night := hook("night", alerts.RoleOnCall, nightRx.URL, secretB)
	night.Kinds = []string{balance.AlertNoMovement}
	cfg := alerts.Config{
		SMTP:                alerts.SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, StartTLS: alerts.StartTLSNone, From: "Balance alerts <alerts@balance.example.org>"},
		UrgentGroupInterval: sim(2),
		Recipients:          []alerts.Recipient{family, hook("dr", alerts.RoleTherapist, drRx.URL, secretA), night},
		Escalation:          []alerts.EscalationStep{{After: sim(10), Notify: []string{alerts.RoleOnCall}, Severities: []string{balance.SeverityUrgent}}},
	}
	cfg.SetDefaults()
	st, err := sqlite.OpenState(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := email.New(cfg.SMTP)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	svc, err := alerts.New(cfg, st.AlertStore(), alerts.Options{
		Notifiers: map[string]alerts.Notifier{alerts.ChannelWebhook: webhook.New(cfg.WebhookTimeout), alerts.ChannelEmail: mailer},
		Metrics:   alerts.NewMetrics(reg, st.AlertStore().DeliveryCounts),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })

	start := time.Now()
	until := func(m float64) { time.Sleep(time.Until(start.Add(sim(m)))) }
	fallTimes := []float64{0, 0.5, 1.5, 3.5, 5, 7.5}
	var ids []string
	for i, m := range fallTimes {
		until(m)
		id := fmt.Sprintf("fall-%d", i+1)
		ids = append(ids, id)
		a := fall(id, "p1")
		a.OccurredAt = time.Now().UTC()
		if err := svc.Raise(ctx, a); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// The first fall is never delayed.
			drRx.Wait(t, 2*time.Second, "the first fall at once", webhooktest.Count(1))
			mp.WaitMessages(t, 1, 2*time.Second)
			if d := time.Since(start); d > time.Second {
				t.Errorf("first notices took %s; want them at once", d)
			}
		}
	}
	until(18)
	for _, id := range ids {
		if err := svc.Resolve(ctx, id, "the patient moved again"); err != nil {
			t.Fatal(err)
		}
	}
	until(21) // past the cancelled repeat's due time (20)

	// family: e-mails, newest first in mailpit's list.
	sums := mp.Messages(t)
	slices.Reverse(sums)
	mailKinds := map[string]int{}
	mailSeen := map[string]bool{}
	for _, m := range sums {
		kind := "initial"
		for _, k := range []string{"REMINDER", "ESCALATED", "RESOLVED"} {
			if strings.HasPrefix(m.Subject, "["+k+"]") {
				kind = strings.ToLower(k)
			}
		}
		if kind == "initial" && strings.Contains(m.Subject, "more fall") {
			kind = "follow-up"
		}
		mailKinds[kind]++
		if kind == "initial" || kind == "follow-up" {
			body := mp.Message(t, m.ID).Text
			for _, id := range ids {
				if strings.Contains(body, "/api/v1/alerts/"+id+"\n") || strings.Contains(body, "/api/v1/alerts/"+id+"\r\n") {
					mailSeen[id] = true
				}
			}
		}
	}
	t.Logf("family (e-mail): %d messages %v", len(sums), mailKinds)
	wantMail := map[string]int{"initial": 1, "follow-up": 4, "reminder": 3, "resolved": 1}
	if len(sums) != 9 || !maps(mailKinds, wantMail) {
		for _, m := range sums {
			t.Logf("  %s", m.Subject)
		}
		t.Errorf("family got %d e-mails %v; want 9 %v", len(sums), mailKinds, wantMail)
	}
	for _, id := range ids {
		if !mailSeen[id] {
			t.Errorf("%s is in no first notice or follow-up e-mail to family", id)
		}
	}

	// dr and night: webhooks.
	count := func(name string, rx *webhooktest.Receiver) (map[string]int, map[string]bool) {
		types := map[string]int{}
		seen := map[string]bool{}
		for _, r := range rx.Requests() {
			if r.VerifyErr != nil {
				t.Errorf("%s: %v", name, r.VerifyErr)
			}
			typ := r.Payload.Type
			if r.Payload.Data.FollowUp != nil {
				typ += "+follow_up"
				as := r.Payload.Data.Alerts
				if r.Payload.Data.FollowUp.Count != len(as) || !slices.IsSortedFunc(as, func(a, b webhook.Alert) int { return b.OccurredAt.Compare(a.OccurredAt) }) {
					t.Errorf("%s: follow-up %+v with alerts not newest first or miscounted", name, r.Payload.Data.FollowUp)
				}
			}
			types[typ]++
			if r.Payload.Type != "alert.resolved" {
				for _, a := range r.Payload.Data.Alerts {
					seen[a.ID] = true
				}
			}
		}
		t.Logf("%s (webhook): %d requests %v", name, len(rx.Requests()), types)
		return types, seen
	}
	drTypes, drSeen := count("dr", drRx)
	if want := map[string]int{"alert.notified": 1, "alert.notified+follow_up": 4, "alert.resolved": 1}; !maps(drTypes, want) {
		t.Errorf("dr got %v; want %v", drTypes, want)
	}
	nightTypes, nightSeen := count("night", nightRx)
	if want := map[string]int{"alert.escalated": 1, "alert.resolved": 1}; !maps(nightTypes, want) {
		t.Errorf("night got %v; want %v", nightTypes, want)
	}
	for _, id := range ids {
		if !drSeen[id] || !nightSeen[id] {
			t.Errorf("%s lost: in a notice to dr %v, in the escalation to night %v", id, drSeen[id], nightSeen[id])
		}
	}
	for _, r := range slices.Concat(drRx.Requests(), nightRx.Requests()) {
		if r.Payload.Type == "alert.resolved" && len(r.Payload.Data.Alerts) != len(ids) {
			t.Errorf("%s's resolved notice carries %d alerts; want the group's %d", r.Payload.Data.Recipient.Name, len(r.Payload.Data.Alerts), len(ids))
		}
	}

	// Folded alerts are counted: f2..f6 to family and dr (initial), and
	// to night's escalation.
	if got := testenv.MetricValue(t, reg, "balance_alerts_grouped_total", "kind", balance.AlertFall, "reason", alerts.ReasonInitial); got != 10 {
		t.Errorf("grouped{initial} = %v, want 10", got)
	}
	if got := testenv.MetricValue(t, reg, "balance_alerts_grouped_total", "kind", balance.AlertFall, "reason", alerts.ReasonEscalation); got != 5 {
		t.Errorf("grouped{escalation} = %v, want 5", got)
	}
	// Nothing is left to send.
	counts, err := st.AlertStore().DeliveryCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[alerts.StatePending]+counts[alerts.StateDelivering] != 0 {
		t.Errorf("deliveries by state %v after the resolution; want none pending", counts)
	}
}

func maps(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
