package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/sim"
)

// escalateAfter is when an unacknowledged urgent alert goes to the on-call
// lead in the clinic of TestClinicDayInTheBrowser.
const escalateAfter = 25 * time.Second

// startClinic runs the system as a clinic would: the embedded broker and
// store, two patients with their wearables (p0 and p1), the dashboard, a
// nurse told of falls by e-mail (mailpit), a webhook, and an on-call lead
// reached only by escalation, escalateAfter after an urgent alert nobody
// acknowledged.
func startClinic(t *testing.T) *e2e {
	t.Helper()
	e, hookURL := newE2E(t)
	cfgText := fmt.Sprintf(`data_dir: %s
http: {addr: 127.0.0.1:0}
embedded_broker: {enabled: true, addr: 127.0.0.1:0}
storage: {kind: embedded}
dashboard: {admin_password: %s}
patients:
  - {id: p0, name: Ada Example, phone: "+44 20 7946 0100", address: "1 High Street, London"}
  - {id: p1, name: Ben Example, phone: "+44 20 7946 0101", address: "2 High Street, London"}
devices:
  - {id: d0, patient_id: p0}
  - {id: d1, patient_id: p1}
alerts:
  base_url: http://balance.clinic.example
  smtp: {host: %s, port: %d, starttls: none, from: "Balance <alerts@clinic.example>"}
  recipients:
    - {name: nurse, role: caregiver, email: nurse@clinic.example, kinds: [fall]}
    - {name: lead, role: on_call, email: lead@clinic.example, kinds: [device_offline]}
    - {name: hook, role: therapist, kinds: [fall], webhook: {url: %q, secrets: [%q]}}
  escalation:
    - {after: %s, notify: [on_call], severities: [urgent]}
monitoring:
  clinic: {no_movement_after: 60s, time_zone: Europe/London}
`, t.TempDir(), testAdminPassword, e.mail.SMTPHost, e.mail.SMTPPort, hookURL, "whsec_"+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")), escalateAfter)
	e.open(t, cfgText)
	e.cls["d0"], e.cls["d1"] = deviceClient(t, e.app, "d0"), deviceClient(t, e.app, "d1")
	return e
}

// TestClinicDayInTheBrowser does a clinic's work through the pages in
// headless Chromium, never through the API:
//   - two patients fall (simulated wearables over MQTT): Ada gets up after
//     6 s, Ben lies 25 s;
//   - the nurse's e-mail for Ben's fall has a one-click link: opened in the
//     browser and pressed, it acknowledges the alert without a log-in;
//   - Ada's alert resolves when she gets up: the nurse gets the resolved
//     notice, and neither fall escalates to the on-call lead (one
//     resolved, one acknowledged, both within escalateAfter);
//   - the inbox shows both falls, filters them, and takes a note and an
//     assignee;
//   - an administrator adds a patient, edits the contact, sets the
//     patient's cut-offs, assigns a plan and changes its level, registers
//     a wearable and binds it, adds a therapist, assigns the patient,
//     resets the therapist's password and disables the account.
func TestClinicDayInTheBrowser(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Fatal("chromium not installed (Debian package chromium; scripts/test.sh installs it)")
	}
	e := startClinic(t)
	ctx := context.Background()
	shots := artifacts(t)
	b := newBrowser(t, chrome, 1366, 900)
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(b, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			shot(t, b, shots, "clinic-failed-"+name)
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Evaluate[string](`(document.querySelector(`+jsString(sel)+`) || {}).innerText || ""`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	// waitText waits for the page, after a form post navigated it, to say
	// want (each poll its own call: a navigation ends a running one).
	waitText := func(want string) {
		t.Helper()
		got := ""
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if got, _ = chromedp.Run(b, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); strings.Contains(got, want) {
				return
			}
		}
		t.Fatalf("the page does not say %q: %.300q", want, got)
	}
	// submit clicks a form's button and waits for the page the post
	// leads to (a marker on the old page tells them apart).
	submit := func(name, button string) {
		t.Helper()
		step(name+" (marker)", chromedp.Evaluate[chromedp.Void](`window.__old = true`))
		step(name, chromedp.Click(css(button)))
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if fresh, err := chromedp.Run(b, chromedp.Evaluate[bool](`!window.__old && document.readyState === "complete"`)); err == nil && fresh {
				return
			}
		}
		shot(t, b, shots, "clinic-failed-"+name)
		t.Fatalf("%s: no new page after the post", name)
	}
	// waitURL waits for the browser to be at a URL holding want.
	waitURL := func(want string) {
		t.Helper()
		loc := ""
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if loc, _ = chromedp.Run(b, chromedp.Location()); strings.Contains(loc, want) {
				if _, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.readyState === "complete"`)); err == nil {
					return
				}
			}
		}
		t.Fatalf("the browser is at %s, not at a URL with %q", loc, want)
	}

	// Two falls at once: Ada (p0) gets up after 6 s, Ben (p1) after 25 s.
	start := time.Now().Add(200 * time.Millisecond)
	done := make(chan struct{}, 2)
	go func() { e.play(t, "d0", fallSamples(t, start, 3, 1), 100, 10); done <- struct{}{} }()
	go func() { e.play(t, "d1", longFallSamples(t, start, 25), 100, 10); done <- struct{}{} }()

	// The nurse's e-mail about Ben's fall, and its one-click link.
	var benMail string
	for deadline := time.Now().Add(30 * time.Second); benMail == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, m := range e.mail.Messages(t) {
			if body := e.mail.Message(t, m.ID).Text; strings.Contains(body, "Ben Example") && !strings.HasPrefix(m.Subject, "[RESOLVED]") {
				benMail = body
			}
		}
	}
	i := strings.Index(benMail, "/ack/")
	if i < 0 {
		t.Fatalf("no e-mail with a one-click link for Ben's fall:\n%s", benMail)
	}
	link := strings.Fields(benMail[i:])[0]
	benFallAt := time.Now()
	step("open the one-click link", chromedp.Navigate(e.base+link), chromedp.WaitVisible(css("form button")))
	shot(t, b, shots, "clinic-01-one-click-link")
	submit("press I'm on it", "form button")
	waitText("Thank you")
	benAlert := e.fallAlert(t, "p1")
	if benAlert.Status != balance.AlertAcknowledged || !strings.HasPrefix(benAlert.AckedBy, "nurse") {
		t.Errorf("Ben's fall after the link: %+v, want acknowledged by the nurse", benAlert)
	}
	if time.Since(benFallAt) > escalateAfter/2 {
		t.Fatalf("the acknowledgement took %v; the escalation check below needs it well within %v", time.Since(benFallAt), escalateAfter)
	}

	// Ada got up: her alert resolves and the nurse is told.
	for deadline := time.Now().Add(30 * time.Second); len(e.resolvedFalls("p0")) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
	}
	if len(e.resolvedFalls("p0")) != 1 {
		t.Fatalf("Ada's fall: %d resolved notices at the webhook, want 1", len(e.resolvedFalls("p0")))
	}
	<-done
	<-done

	// The inbox, logged in as the administrator.
	step("log in", chromedp.Navigate(e.base+"/login"), chromedp.SendKeys(css("#username"), "admin"),
		chromedp.SendKeys(css("#password"), testAdminPassword), chromedp.Click(css("#login")), chromedp.WaitVisible(css("#patients")))
	step("inbox", chromedp.Click(css(`header nav a[href="/alerts"]`)), chromedp.WaitVisible(css("table.inbox-table")))
	rows, err := chromedp.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.inbox-table tbody tr')).map(r => r.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	var adaRow, benRow string
	for _, r := range rows {
		switch {
		case strings.Contains(r, "Ada Example") && strings.Contains(r, "Fall"):
			adaRow = r
		case strings.Contains(r, "Ben Example") && strings.Contains(r, "Fall"):
			benRow = r
		}
	}
	if !strings.Contains(strings.ToLower(adaRow), "resolved") || !strings.Contains(benRow, "acknowledged by nurse (link)") {
		t.Errorf("inbox rows:\nAda: %q (want resolved)\nBen: %q (want acknowledged by the nurse's link)", adaRow, benRow)
	}
	shot(t, b, shots, "clinic-02-inbox")
	step("filter", chromedp.SetValue(css("#f-patient"), "p0"), chromedp.SetValue(css("#f-kind"), balance.AlertFall),
		chromedp.Click(css(`.filters button[type="submit"]`)))
	waitURL("patient=p0")
	if got := text(".inbox-table tbody"); !strings.Contains(got, "Ada Example") || strings.Contains(got, "Ben Example") {
		t.Errorf("the filter for Ada's falls shows %q", got)
	}
	// A note and an assignee on Ben's fall.
	id := benAlert.ID
	step("open the alert", chromedp.Navigate(e.base+"/alerts/"+id), chromedp.WaitVisible(css("ol.timeline")))
	step("open the note form", chromedp.Click(css(`details.act summary`)), chromedp.SendKeys(css("#note-"+id), "Called Ben: he is up and unhurt."))
	submit("add a note", `form[action="/alerts/`+id+`/notes"] button`)
	step("open the alert again", chromedp.Navigate(e.base+"/alerts/"+id), chromedp.WaitVisible(css("ol.timeline")),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details.act').forEach(d => d.open = true)`),
		chromedp.SetValue(css("#assign-"+id), "admin"))
	submit("assign", `form[action="/alerts/`+id+`/assignee"] button`)
	step("timeline", chromedp.Navigate(e.base+"/alerts/"+id), chromedp.WaitVisible(css("ol.timeline")))
	if tl := text("ol.timeline"); !strings.Contains(tl, "Called Ben: he is up and unhurt.") || !strings.Contains(strings.ToLower(tl), "acknowledged") {
		t.Errorf("timeline %q lacks the note or the acknowledgement", tl)
	}
	if a, _ := e.app.Alerts.Alert(ctx, id); a.Assignee != "admin" {
		t.Errorf("assignee %q, want admin", a.Assignee)
	}
	shot(t, b, shots, "clinic-03-alert-timeline")

	// An administrator's tasks: add a patient, edit the contact, set the
	// patient's cut-offs.
	step("add a patient", chromedp.Navigate(e.base+"/"), chromedp.Click(css("#add-patient")), chromedp.WaitVisible(css("#save-patient")),
		chromedp.SendKeys(css("#p-id"), "p-new"), chromedp.SendKeys(css("#p-name"), "Cleo Example"),
		chromedp.SetValue(css("#p-dob"), "1944-05-17"), chromedp.Click(css("#p-neuropathy")),
		chromedp.SendKeys(css("#p-phone"), "+44 20 7946 0102"))
	submit("save the new patient", "#save-patient")
	step("edit the contact", chromedp.WaitVisible(css("#edit-patient")), chromedp.Click(css("#edit-patient")), chromedp.WaitVisible(css("#save-patient")),
		chromedp.SendKeys(css("#p-contact"), "Dan (son) +44 20 7946 0103"))
	submit("save the contact", "#save-patient")
	p, err := e.app.State.Patient(ctx, "p-new")
	if err != nil || p.Name != "Cleo Example" || p.DateOfBirth.String() != "1944-05-17" || !p.Neuropathy || p.Contact != "Dan (son) +44 20 7946 0103" {
		t.Errorf("patient after the forms: %+v, %v", p, err)
	}
	step("cut-offs", chromedp.WaitVisible(css("#cutoffs-link")), chromedp.Click(css("#cutoffs-link")), chromedp.WaitVisible(css("#save-cutoffs")),
		chromedp.SetValue(css("#c-tug_high_s"), "14.5"))
	submit("save the cut-offs", "#save-cutoffs")
	waitText("are saved")
	if c, ok, err := e.app.State.PatientCutoffs(ctx, "p-new"); err != nil || !ok || c.TUGHigh != 14.5 || c.By != "admin" {
		t.Errorf("cut-offs after the form: %+v %v %v", c, ok, err)
	}
	shot(t, b, shots, "clinic-04-cutoffs")

	// A plan for the new patient, from the patient page's form.
	levels := e.app.Progression.Levels()
	step("plan form", chromedp.Navigate(e.base+"/patients/p-new"), chromedp.WaitVisible(css("#assign-plan")),
		chromedp.SetValue(css("#plan-level-choice"), levels[1].ID), chromedp.SetValue(css("#plan-sessions"), "4"),
		chromedp.Click(css("#plan-mode-"+balance.PlanSuggest)))
	submit("assign the plan", "#assign-plan-button")
	if pl, err := e.app.State.Plan(ctx, "p-new"); err != nil || pl.LevelID != levels[1].ID || pl.SessionsPerWeek != 4 || pl.Mode != balance.PlanSuggest || pl.UpdatedBy != "admin" {
		t.Errorf("plan after the form: %+v, %v", pl, err)
	}
	step("change the level", chromedp.WaitVisible(css("#override")), chromedp.SetValue(css("#override-level"), levels[2].ID),
		chromedp.SendKeys(css("#override-reason"), "Steady in clinic today"))
	submit("change the level", "#override-button")
	if pl, _ := e.app.State.Plan(ctx, "p-new"); pl.LevelID != levels[2].ID {
		t.Errorf("level after the override form: %s, want %s", pl.LevelID, levels[2].ID)
	}
	// A new wearable, registered and bound on the devices page.
	step("devices page", chromedp.Click(css(`header nav a[href="/devices"]`)), chromedp.WaitVisible(css("#new-device")),
		chromedp.SendKeys(css("#new-device"), "d-new"))
	submit("register the device", "#register-device")
	waitText("d-new")
	step("bind form", chromedp.WaitVisible(css("#bind-device")), chromedp.SetValue(css("#bind-device"), "d-new"), chromedp.SetValue(css("#bind-patient"), "p-new"))
	submit("bind the device", "#bind-device-button")
	if d, err := e.app.State.Device(ctx, "d-new"); err != nil || d.PatientID != "p-new" {
		t.Errorf("device after the forms: %+v, %v; want bound to p-new", d, err)
	}
	shot(t, b, shots, "clinic-05-devices")

	// Users: add a therapist, assign the new patient, reset the password,
	// disable the account.
	step("users page", chromedp.Click(css(`header nav a[href="/admin/users"]`)), chromedp.WaitVisible(css("#new-username")),
		chromedp.SendKeys(css("#new-username"), "erin"))
	submit("add a user", `form[action="/admin/users"] button[type="submit"]`)
	first := text("#shown-password")
	erin, err := e.app.State.UserByName(ctx, "erin")
	if err != nil || erin.Role != balance.RoleTherapist || len(first) < 12 {
		t.Fatalf("user erin: %+v, %v; password shown %q", erin, err, first)
	}
	uid := fmt.Sprint(erin.ID)
	step("choose the patient", chromedp.SetValue(css("#assign-"+uid), "p-new"))
	submit("assign the patient", `form[action="/admin/users/`+uid+`/patients"] button`)
	if ids, _ := e.app.State.AssignedPatients(ctx, erin.ID); len(ids) != 1 || ids[0] != "p-new" {
		t.Errorf("erin's patients %v, want [p-new]", ids)
	}
	submit("reset the password", `form[action="/admin/users/`+uid+`/password"] button`)
	if second := text("#shown-password"); second == first || len(second) < 12 {
		t.Errorf("reset showed %q (first was %q)", second, first)
	}
	submit("disable", `form[action="/admin/users/`+uid+`/disabled"] button`)
	if u, _ := e.app.State.UserByName(ctx, "erin"); !u.Disabled {
		t.Error("erin is not disabled after the button")
	}
	shot(t, b, shots, "clinic-06-users")

	// No escalation: by escalateAfter (and a margin for the dispatcher),
	// the on-call lead got nothing, and the nurse got Ada's resolved
	// notice.
	if wait := time.Until(benFallAt.Add(escalateAfter + 5*time.Second)); wait > 0 {
		time.Sleep(wait)
	}
	var lead, resolved int
	for _, m := range e.mail.Messages(t) {
		for _, to := range m.To {
			if strings.Contains(to.Address, "lead@") {
				lead++
			}
		}
		if strings.HasPrefix(m.Subject, "[RESOLVED] ") && strings.Contains(e.mail.Message(t, m.ID).Text, "Ada Example") {
			resolved++
		}
	}
	if lead != 0 || resolved != 1 {
		t.Errorf("after %v: %d messages to the on-call lead (want 0: one fall resolved, one acknowledged), %d resolved notices for Ada (want 1)", escalateAfter, lead, resolved)
	}
}

// longFallSamples is a person standing, falling forward, lying lieS
// seconds and getting up, from device time start.
func longFallSamples(t *testing.T, start time.Time, lieS float64) []balance.Sample {
	t.Helper()
	s := sim.NewScenario(sim.DefaultBody(), 100, 11)
	s.Idle(3)
	s.Fall(sim.FallSpec{Kind: sim.FallForward, LieS: lieS, GetUp: true})
	s.Idle(3)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return s.Samples(sim.TypicalSensor(), start.UnixNano())
}
