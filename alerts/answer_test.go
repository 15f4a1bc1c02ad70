package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/email"
	"github.com/balance-pt/balance/alerts/webhook"
	"github.com/balance-pt/balance/alerts/webhook/webhooktest"
	"github.com/balance-pt/balance/internal/route"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sqlite"
)

// answerRig is a Service on a fresh state database with the real outbox,
// a real SMTP server (mailpit) for the caregiver "family", and real
// webhook receivers for the therapist "dr" and the on-call "night" (who
// gets falls only by escalation, after escalateAfter).
type answerRig struct {
	svc      *alerts.Service
	reg      *prometheus.Registry
	mp       *testenv.Mailpit
	dr       *webhooktest.Receiver
	night    *webhooktest.Receiver
	api      string
	answered time.Time // set by answer
}

func startAnswerRig(t *testing.T, escalateAfter time.Duration) *answerRig {
	t.Helper()
	ctx := context.Background()
	r := &answerRig{
		reg:   prometheus.NewRegistry(),
		mp:    testenv.StartMailpit(t, testenv.MailpitOptions{}),
		dr:    webhooktest.NewReceiver(t, []string{secretA}, nil),
		night: webhooktest.NewReceiver(t, []string{secretB}, nil),
	}
	night := hook("night", alerts.RoleOnCall, r.night.URL, secretB)
	night.Kinds = []string{balance.AlertNoMovement}
	cfg := alerts.Config{
		SMTP: alerts.SMTPConfig{Host: r.mp.SMTPHost, Port: r.mp.SMTPPort, StartTLS: alerts.StartTLSNone, From: "Balance alerts <alerts@balance.example.org>"},
		Recipients: []alerts.Recipient{
			{Name: "family", Role: alerts.RoleCaregiver, Email: "family@clinic.example"},
			hook("dr", alerts.RoleTherapist, r.dr.URL, secretA),
			night,
		},
		Escalation: []alerts.EscalationStep{{After: escalateAfter, Notify: []string{alerts.RoleOnCall}, Severities: []string{balance.SeverityUrgent}}},
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
	r.svc, err = alerts.New(cfg, st.AlertStore(), alerts.Options{
		Notifiers: map[string]alerts.Notifier{alerts.ChannelWebhook: webhook.New(cfg.WebhookTimeout), alerts.ChannelEmail: mailer},
		Metrics:   alerts.NewMetrics(r.reg, st.AlertStore().DeliveryCounts),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Contexts: alerts.Contexts{
			Patient: func(_ context.Context, id string) (balance.Patient, error) {
				return balance.Patient{ID: id, Name: "Ada Lovelace", Phone: "+44 20 7946 0000"}, nil
			},
			Zone: func(string) *time.Location { return time.UTC },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mux := route.New(route.NoLogin{})
	r.svc.Routes(mux)
	srv := httptest.NewServer(mux)
	r.api = srv.URL
	t.Cleanup(func() { srv.Close(); r.svc.Close(); st.Close() })
	return r
}

// patient is the context of the patient p1's own log-in.
func patient() context.Context {
	return balance.NewContextWithViewer(context.Background(), &balance.Viewer{
		User: balance.User{Username: "ada", Role: "patient"}, Patients: map[string]bool{"p1": true}})
}

// therapist is the context of a therapist who sees the patients listed.
func therapist(name string, patients ...string) context.Context {
	v := &balance.Viewer{User: balance.User{Username: name, Role: balance.RoleTherapist}, Patients: map[string]bool{}}
	for _, p := range patients {
		v.Patients[p] = true
	}
	return balance.NewContextWithViewer(context.Background(), v)
}

// raiseAndWait raises a fall of p1 and waits for its first notices to
// family and dr.
func (r *answerRig) raiseAndWait(t *testing.T, id string) {
	t.Helper()
	a := fall(id, "p1")
	a.OccurredAt = time.Now().UTC()
	if err := r.svc.Raise(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	r.dr.Wait(t, 5*time.Second, "the first notice", webhooktest.Count(1))
	if n := len(r.mp.WaitMessages(t, 1, 5*time.Second)); n != 1 {
		t.Fatalf("%d e-mails for the fall; want 1", n)
	}
}

func (r *answerRig) answer(t *testing.T, ctx context.Context, id, answer string) balance.Alert {
	t.Helper()
	r.answered = time.Now()
	a, err := r.svc.PatientAnswer(ctx, id, answer)
	if err != nil {
		t.Fatalf("answer %s: %v", answer, err)
	}
	return a
}

// clock is t as notices say it (clinic time: UTC here).
func clock(t time.Time) string { return t.UTC().Format("15:04") }

// timeline returns the answers on an alert's timeline (Detail's notes of
// kind patient_answer) as "author: text", and checks their times.
func timeline(t *testing.T, svc *alerts.Service, id string, from, to time.Time) []string {
	t.Helper()
	v, err := svc.Detail(therapist("dr-ann", "p1"), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range v.Notes {
		if n.Kind != alerts.NotePatientAnswer {
			continue
		}
		if n.CreatedAt.Before(from.Add(-time.Millisecond)) || n.CreatedAt.After(to.Add(time.Millisecond)) {
			t.Errorf("answer %q at %s; want between %s and %s", n.Text, n.CreatedAt, from, to)
		}
		out = append(out, n.Author+": "+n.Text)
	}
	return out
}

// TestAnswerOKResolvesAndTellsEveryone: a fall with an escalation step at
// 3 s (30 s scaled down); the patient answers "I'm OK" about 0.3 s after
// the first notices. The alert is resolved with a reason naming the
// answer; family (e-mail) and dr (webhook) each get exactly one resolved
// notice that says the patient is OK; the escalation is never sent; the
// answer and its time are on the alert's timeline; pressing again
// changes nothing; "I need help" after that is refused as already
// resolved, put on the timeline, and sent to nobody.
func TestAnswerOKResolvesAndTellsEveryone(t *testing.T) {
	const escalateAfter = 3 * time.Second
	r := startAnswerRig(t, escalateAfter)
	raised := time.Now()
	r.raiseAndWait(t, "fall-ok")
	time.Sleep(300 * time.Millisecond)

	a := r.answer(t, patient(), "fall-ok", alerts.AnswerOK)
	answered, done := r.answered, time.Now()
	wantReason := `the patient answered "I'm OK" in the app at ` + clock(answered)
	if a.Status != balance.AlertResolved || a.ResolvedReason != wantReason {
		t.Errorf("after I'm OK: status %s, reason %q; want resolved, %q", a.Status, a.ResolvedReason, wantReason)
	}
	if again := r.answer(t, patient(), "fall-ok", alerts.AnswerOK); again.ResolvedAt != a.ResolvedAt {
		t.Errorf("answering I'm OK again changed the alert: %+v", again)
	}

	summary := "Ada Lovelace says they are OK (answered " + clock(answered) + " in the app)"
	// dr: the resolved webhook says so.
	reqs := r.dr.Wait(t, 5*time.Second, "the resolved notice", webhooktest.Count(2))
	p := reqs[1].Payload
	if p.Type != "alert.resolved" || p.Data.Reason != alerts.ReasonResolved || len(p.Data.Alerts) != 1 {
		t.Fatalf("second webhook: type %s reason %s, %d alerts; want alert.resolved", p.Type, p.Data.Reason, len(p.Data.Alerts))
	}
	got := p.Data.Alerts[0]
	if got.ResolvedReason != wantReason || got.PatientAnswer == nil || got.PatientAnswer.Answer != alerts.AnswerOK ||
		got.PatientAnswer.Summary != summary || got.PatientAnswer.By != "ada" || got.PatientAnswer.OnBehalf {
		t.Errorf("resolved payload: reason %q, patient_answer %+v; want %q, %q", got.ResolvedReason, got.PatientAnswer, wantReason, summary)
	}
	if !strings.Contains(string(reqs[1].Body), `"patient_answer":{"answer":"ok"`) || !strings.Contains(string(reqs[1].Body), `"version":"1"`) {
		t.Errorf("resolved body lacks data.alerts[].patient_answer or version 1: %s", reqs[1].Body)
	}
	if w := got.Context; w == nil || !strings.HasPrefix(w.WhatToDo, summary) {
		t.Errorf("what to do %+v; want it to start with %q", w, summary)
	}
	// family: one [RESOLVED] e-mail saying so.
	msgs := r.mp.WaitMessages(t, 2, 5*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails; want the notice and the resolved notice", len(msgs))
	}
	m := r.mp.Message(t, msgs[0].ID) // newest first
	if !strings.HasPrefix(m.Subject, "[RESOLVED] [URGENT] ") {
		t.Errorf("resolved e-mail subject %q", m.Subject)
	}
	for _, want := range []string{"Resolved: " + wantReason, "PATIENT'S ANSWER: " + summary} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("resolved e-mail text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "Patient's answer:</strong> "+summary+"<") {
		t.Errorf("resolved e-mail HTML lacks the answer:\n%s", m.HTML)
	}

	// No escalation, ever: wait past its due time.
	time.Sleep(time.Until(raised.Add(escalateAfter + 700*time.Millisecond)))
	if n := len(r.night.Requests()); n != 0 {
		t.Errorf("on-call got %d webhooks after the patient said I'm OK; want none", n)
	}
	if n, m := len(r.dr.Requests()), len(r.mp.Messages(t)); n != 2 || m != 2 {
		t.Errorf("dr got %d webhooks, family %d e-mails; want 2 each (notice, resolved)", n, m)
	}
	var cancelled bool
	for _, d := range r.view(t, "fall-ok").Deliveries {
		if d.Reason == alerts.ReasonEscalation {
			cancelled = d.State == alerts.StateCancelled
		}
	}
	if !cancelled {
		t.Error("the escalation is not shown cancelled")
	}

	// The timeline: the answer with its time; Detail's patient_answer.
	want := []string{"ada: I'm OK (answered in the app)"}
	if diff := cmp.Diff(want, timeline(t, r.svc, "fall-ok", answered, done)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if v := r.view(t, "fall-ok"); v.PatientAnswer == nil || v.PatientAnswer.Answer != alerts.AnswerOK || v.PatientAnswer.Summary != summary {
		t.Errorf("GET alert patient_answer %+v", v.PatientAnswer)
	}
	if got := waitMetric(t, r.reg, 1, "balance_alerts_patient_answers_total", "answer", "ok"); got != 1 {
		t.Errorf("answers metric %v; want 1", got)
	}

	// "I need help" on the resolved alert: refused, on the timeline, sent
	// to nobody.
	if _, err := r.svc.PatientAnswer(patient(), "fall-ok", alerts.AnswerHelp); balance.ErrorCode(err) != balance.ECONFLICT {
		t.Errorf("help after I'm OK: %v; want conflict", err)
	}
	want = append(want, "ada: I need help (answered in the app; after the alert was resolved: nobody was notified)")
	if diff := cmp.Diff(want, timeline(t, r.svc, "fall-ok", answered, time.Now())); diff != "" {
		t.Errorf("timeline after a late answer (-want +got):\n%s", diff)
	}
	time.Sleep(500 * time.Millisecond)
	if n, m, o := len(r.dr.Requests()), len(r.mp.Messages(t)), len(r.night.Requests()); n != 2 || m != 2 || o != 0 {
		t.Errorf("after the late answer: dr %d, family %d, night %d; want 2, 2, 0", n, m, o)
	}
}

// TestAnswerHelpEscalatesAtOnce: a fall with an escalation step at 30 s;
// the patient answers "I need help". The on-call recipient gets the
// escalation within about a second (not after 30 s), carrying the answer;
// family and dr, who were told, each get one update notice asking them to
// send help, under the deterministic delivery ID; pressing again sends
// nothing more. Then a therapist answers "I'm OK" on the patient's
// behalf: the alert is resolved in their name, and everyone told gets the
// resolved notice.
func TestAnswerHelpEscalatesAtOnce(t *testing.T) {
	r := startAnswerRig(t, 30*time.Second)
	r.raiseAndWait(t, "fall-help")

	a := r.answer(t, patient(), "fall-help", alerts.AnswerHelp)
	helpAt := r.answered
	if a.Status != balance.AlertOpen {
		t.Errorf("after I need help: status %s; want open", a.Status)
	}
	help := "Ada Lovelace asked for help in the app at " + clock(r.answered) + " — send help now"

	esc := r.night.Wait(t, 1500*time.Millisecond, "the escalation at once", webhooktest.Count(1))
	if d := esc[0].At.Sub(r.answered); d > time.Second {
		t.Errorf("escalation %s after the answer; want within 1 s", d)
	}
	p := esc[0].Payload
	if p.Type != "alert.escalated" || p.Data.Level != 1 || len(p.Data.Alerts) != 1 || p.Data.Alerts[0].PatientAnswer == nil ||
		p.Data.Alerts[0].PatientAnswer.Summary != help {
		t.Errorf("escalation payload: type %s level %d alerts %+v; want alert.escalated with %q", p.Type, p.Data.Level, p.Data.Alerts, help)
	}
	if c := p.Data.Alerts[0].Context; c == nil || !strings.HasPrefix(c.WhatToDo, help+". Call Ada Lovelace now on +44 20 7946 0000") {
		t.Errorf("escalation what to do %+v", c)
	}

	upd := r.dr.Wait(t, 1500*time.Millisecond, "the help update", webhooktest.Count(2))
	u := upd[1]
	if u.Payload.Type != "alert.updated" || u.Payload.Data.Reason != alerts.ReasonUpdate || u.Payload.Data.Alerts[0].PatientAnswer == nil ||
		u.Payload.Data.Alerts[0].PatientAnswer.Summary != help || u.Payload.Data.Alerts[0].PatientAnswer.Answer != alerts.AnswerHelp {
		t.Errorf("dr's update: %+v; want alert.updated with %q", u.Payload, help)
	}
	if want := alerts.AnswerDeliveryID("fall-help", "dr", alerts.AnswerHelp); u.ID != want {
		t.Errorf("update webhook-id %s; want the deterministic %s", u.ID, want)
	}
	msgs := r.mp.WaitMessages(t, 2, 1500*time.Millisecond)
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails; want the notice and the help update", len(msgs))
	}
	m := r.mp.Message(t, msgs[0].ID)
	if m.Subject != "[UPDATE] [URGENT] "+help {
		t.Errorf("update subject %q; want %q", m.Subject, "[UPDATE] [URGENT] "+help)
	}
	if !strings.Contains(m.Text, "UPDATE: "+help+".") {
		t.Errorf("update text lacks the help line:\n%s", m.Text)
	}

	// Pressing again sends nothing more.
	if again := r.answer(t, patient(), "fall-help", alerts.AnswerHelp); again.Status != balance.AlertOpen {
		t.Errorf("second help: %+v", again)
	}
	time.Sleep(700 * time.Millisecond)
	if n, m, o := len(r.dr.Requests()), len(r.mp.Messages(t)), len(r.night.Requests()); n != 2 || m != 2 || o != 1 {
		t.Errorf("after pressing help twice: dr %d, family %d, night %d; want 2, 2, 1", n, m, o)
	}
	if got := waitMetric(t, r.reg, 1, "balance_alerts_patient_answers_total", "answer", "help"); got != 1 {
		t.Errorf("help answers metric %v; want 1 (the second press changed nothing)", got)
	}

	// A therapist answers I'm OK for the patient over the phone.
	a = r.answer(t, therapist("dr-ann", "p1"), "fall-help", alerts.AnswerOK)
	wantReason := `dr-ann answered "I'm OK" for the patient at ` + clock(r.answered)
	if a.Status != balance.AlertResolved || a.ResolvedReason != wantReason {
		t.Errorf("after staff's I'm OK: %s %q; want resolved, %q", a.Status, a.ResolvedReason, wantReason)
	}
	res := r.dr.Wait(t, 5*time.Second, "the resolved notice", webhooktest.Count(3))[2].Payload
	if pa := res.Data.Alerts[0].PatientAnswer; res.Type != "alert.resolved" || pa == nil || !pa.OnBehalf || pa.By != "dr-ann" || pa.Answer != alerts.AnswerOK {
		t.Errorf("resolved after staff's answer: %s %+v", res.Type, pa)
	}
	r.night.Wait(t, 5*time.Second, "on-call's resolved notice (told by the escalation)", webhooktest.Count(2))
	want := []string{"ada: I need help (answered in the app)", "dr-ann: I'm OK (answered for the patient by staff)"}
	if diff := cmp.Diff(want, timeline(t, r.svc, "fall-help", helpAt, time.Now())); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// TestAnswerRefusals: only falls take an answer; only "ok" and "help"; a
// viewer who may not see the patient is refused and nothing is recorded;
// the HTTP route answers with the service's errors and, served without
// log-in, records who the request names.
func TestAnswerRefusals(t *testing.T) {
	r := startAnswerRig(t, time.Hour)
	ctx := context.Background()
	if err := r.svc.Raise(ctx, trend("trend-1", "p1")); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Raise(ctx, fall("fall-r", "p1")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		ctx    context.Context
		id     string
		answer string
		want   string
	}{
		{"not a fall", patient(), "trend-1", alerts.AnswerOK, balance.EINVALID},
		{"unknown answer", patient(), "fall-r", "maybe", balance.EINVALID},
		{"another's patient", therapist("dr-bob", "p2"), "fall-r", alerts.AnswerHelp, balance.EFORBIDDEN},
		{"no log-in", ctx, "fall-r", alerts.AnswerOK, balance.EUNAUTHORIZED},
		{"unknown alert", patient(), "nope", alerts.AnswerOK, balance.ENOTFOUND},
	}
	for _, tc := range cases {
		if _, err := r.svc.PatientAnswer(tc.ctx, tc.id, tc.answer); balance.ErrorCode(err) != tc.want {
			t.Errorf("%s: %v; want %s", tc.name, err, tc.want)
		}
	}
	for _, id := range []string{"fall-r", "trend-1"} {
		if got := timeline(t, r.svc, id, time.Time{}, time.Now()); len(got) != 0 {
			t.Errorf("%s: refused answers recorded: %v", id, got)
		}
		if a, _ := r.svc.Alert(ctx, id); a.Status != balance.AlertOpen {
			t.Errorf("%s: %s after refused answers; want open", id, a.Status)
		}
	}

	post := func(id, body string) int {
		resp, err := http.Post(r.api+"/api/v1/alerts/"+id+"/answer", "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			var a balance.Alert
			if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || a.ID != id {
				t.Errorf("answer %s: %+v, %v", id, a, err)
			}
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		id, body string
		want     int
	}{
		{"trend-1", `{"answer":"ok","by":"desk"}`, http.StatusBadRequest},
		{"fall-r", `{"answer":"perhaps","by":"desk"}`, http.StatusBadRequest},
		{"fall-r", `{"answer":"ok"}`, http.StatusBadRequest}, // no log-in and no "by"
		{"fall-r", `not json`, http.StatusBadRequest},
		{"nope", `{"answer":"ok","by":"desk"}`, http.StatusNotFound},
		{"fall-r", `{"answer":"ok","by":"desk"}`, http.StatusOK},
		{"fall-r", `{"answer":"ok","by":"desk"}`, http.StatusOK}, // the same answer again
	} {
		if got := post(tc.id, tc.body); got != tc.want {
			t.Errorf("POST answer %s %s: %d; want %d", tc.id, tc.body, got, tc.want)
		}
	}
	if got, want := timeline(t, r.svc, "fall-r", time.Time{}, time.Now()), []string{"desk: I'm OK (answered for the patient by staff)"}; !cmp.Equal(got, want) {
		t.Errorf("timeline after the API's answer: %v; want %v", got, want)
	}
}

// view reads GET /api/v1/alerts/{id} of the rig's API.
func (r *answerRig) view(t *testing.T, id string) alerts.AlertView {
	t.Helper()
	return (&harness{api: r.api}).view(t, id)
}
