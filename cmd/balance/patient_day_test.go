package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/progression"
	"github.com/balance-pt/balance/sim"
)

// axeCheck runs axe-core with the given rule tags on the page open in ctx
// and reports its serious and critical violations.
func axeCheck(t *testing.T, ctx context.Context, axe string, tags []string, name string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+"\n;true")); err != nil {
		t.Fatalf("loading axe-core into %s: %v", name, err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](fmt.Sprintf(`axe.run(document, {resultTypes: ['violations'],
		runOnly: {type: 'tag', values: %s}}).then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical'))`, jsString2(tags)), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", name, err)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+" "+truncate(n.HTML, 120))
		}
		t.Errorf("%s: axe %s (%s): %s\n\t%s", name, v.ID, v.Impact, v.Help, strings.Join(where, "\n\t"))
	}
}

// TestPatientDayInTheApp drives a patient's day on a 390×844 phone in
// headless Chromium, on the running system with the patient's simulated
// sensor streaming over MQTT:
//   - the therapist makes a log-in on the patient page; the phone opens
//     the link and says yes;
//   - today's exercise with its picture, dose and safety notes;
//   - Start, the 30 s countdown while the sensor streams the hold, the
//     result ("You held 30 seconds … Well done"), from the session
//     monitoring analysed;
//   - "How did it go?" answered (stored for progression);
//   - progress: the week against the plan and the ladder;
//   - a fall: the app asks "Are you OK?", the patient answers "I'm OK":
//     the alert is resolved with that reason and the webhook and e-mail
//     recipients get the resolved notice saying so.
//
// Every page passes axe-core with the AAA rules (contrast ≥ 7:1).
// Screenshots are artefacts.
func TestPatientDayInTheApp(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Fatal("chromium not installed (Debian package chromium; scripts/test.sh installs it)")
	}
	axe := axeSource(t)
	aaa := []string{"wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}
	e := startE2E(t, 1)
	ctx := context.Background()
	shots := artifacts(t)
	lv := e.app.Progression.Levels()[0]
	if lv.TargetHoldS != 30 {
		t.Fatalf("the first level %s holds %v s; this test counts 30", lv.ID, lv.TargetHoldS)
	}
	if _, err := e.app.Progression.SetPlan(ctx, "p0", progression.PlanRequest{LevelID: lv.ID, SessionsPerWeek: 3, Mode: balance.PlanSuggest, By: "admin"}); err != nil {
		t.Fatal(err)
	}

	// The therapist makes the phone's log-in.
	staff := newBrowser(t, chrome, 1366, 768)
	sctx, cancel := context.WithTimeout(staff, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(e.base+"/login"), chromedp.SendKeys(chromedp.CSS("#username"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), testAdminPassword), chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#patients")),
		chromedp.Navigate(e.base+"/patients/p0"), chromedp.Click(chromedp.CSS("#app-invite")), chromedp.WaitVisible(chromedp.CSS("#app-code"))); err != nil {
		t.Fatalf("make the log-in: %v", err)
	}
	link, err := chromedp.Run(staff, chromedp.Evaluate[string](`document.getElementById('app-link').href`))
	if err != nil || !strings.Contains(link, "/app/join?t=") {
		t.Fatalf("link %q, %v", link, err)
	}

	phone := newBrowser(t, chrome, 390, 844)
	page := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		pctx, cancel := context.WithTimeout(phone, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(pctx, actions...); err != nil {
			shot(t, phone, shots, "day-failed-"+name)
			t.Fatalf("%s: %v", name, err)
		}
		axeCheck(t, phone, axe, aaa, name)
		shot(t, phone, shots, "day-"+name)
	}
	say := func(sel string) string {
		s, _ := chromedp.Run(phone, chromedp.Evaluate[string](`(document.querySelector(`+jsString(sel)+`) || {}).innerText || ""`))
		return s
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	page("join", chromedp.EmulateViewport(390, 844), chromedp.Navigate(link), chromedp.WaitVisible(css("#join")))
	page("today", chromedp.Click(css("#join")), chromedp.WaitVisible(css("#exercise-name")))
	if got := say("main"); !strings.Contains(got, lv.Name) || !strings.Contains(got, "Hold for 30 seconds") || !strings.Contains(got, "dizzy") {
		t.Errorf("today's page says %q; want the level, its dose and the safety notes", got)
	}
	if n, _ := chromedp.Run(phone, chromedp.Evaluate[int](`document.querySelectorAll('svg.pictogram[role=img][aria-label]').length`)); n != 1 {
		t.Errorf("%d pictograms with a text alternative, want 1", n)
	}

	// The exercise: the sensor streams a quiet stance from now on.
	s := sim.NewScenario(sim.DefaultBody(), 100, 9)
	s.Stand(45, sim.StanceCondition{Stance: sim.FeetApart}, sim.SwayOptions{Session: balance.SessionExercise, LossAtS: -1})
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	streamed := make(chan struct{})
	go func() {
		e.play(t, "d0", s.Samples(sim.TypicalSensor(), time.Now().UnixNano()), 100, 10)
		close(streamed)
	}()
	page("exercise", chromedp.Click(css("#start-exercise")), chromedp.WaitVisible(css("#exercise-start")))
	page("countdown", chromedp.Click(css("#exercise-start")), chromedp.WaitVisible(css("#countdown")))
	page("result", chromedp.WaitVisible(css("#exercise-result")))
	if got := say("#result-lines"); !strings.Contains(got, "You held 30 seconds") || !strings.Contains(got, "Well done") {
		t.Errorf("result %q, want a full 30 s hold", got)
	}
	page("how", chromedp.Click(css("#how-link")), chromedp.WaitVisible(css("#how")))
	page("how-answered", chromedp.Click(css(`label[for="difficulty-4"]`)), chromedp.Click(css(`label[for="conf-2"]`)),
		chromedp.Click(css("#how-send")), chromedp.WaitVisible(css("#how-thanks")))
	fb, err := e.app.State.PatientFeedback(ctx, "p0", time.Now().Add(-time.Hour))
	if err != nil || len(fb) != 1 || fb[0].Difficulty != 4 || fb[0].Confidence != 2 || fb[0].Pain || fb[0].Dizziness {
		t.Errorf("stored answers %+v, %v; want difficulty 4, confidence 2, no pain, not dizzy", fb, err)
	}
	page("progress", chromedp.Navigate(e.base+"/app/progress"), chromedp.WaitVisible(css("#progress-week")))
	if got := say("#progress-week"); !strings.Contains(got, "1 of 3") {
		t.Errorf("progress says %q, want 1 of 3 sessions this week", got)
	}
	if got := say("#ladder .current"); !strings.Contains(got, lv.Name) {
		t.Errorf("the ladder marks %q, want %s", got, lv.Name)
	}
	<-streamed

	// A fall: lying 25 s; the app asks, the patient answers "I'm OK".
	fell := make(chan struct{})
	go func() { e.play(t, "d0", longFallSamples(t, time.Now(), 25), 100, 10); close(fell) }()
	asked := false
	for deadline := time.Now().Add(30 * time.Second); !asked && time.Now().Before(deadline); time.Sleep(time.Second) {
		actx, cancel := context.WithTimeout(phone, 10*time.Second)
		chromedp.Do(actx, chromedp.Navigate(e.base+"/app/"), chromedp.WaitVisible(css("#hello")))
		cancel()
		asked = say("#are-you-ok") != ""
	}
	if !asked {
		t.Fatal("the app did not ask \"Are you OK?\" within 30 s of the fall")
	}
	axeCheck(t, phone, axe, aaa, "are-you-ok")
	shot(t, phone, shots, "day-are-you-ok")
	page("answered", chromedp.Click(css("#answer-ok")), chromedp.WaitVisible(css("#answer-thanks")))
	fall := e.fallAlert(t, "p0")
	if fall.Status != balance.AlertResolved || !strings.Contains(fall.ResolvedReason, "I'm OK") {
		t.Errorf("the fall alert after the answer: status %s, reason %q; want resolved by the patient's answer", fall.Status, fall.ResolvedReason)
	}
	var said bool
	for deadline := time.Now().Add(20 * time.Second); !said && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, h := range e.resolvedFalls("p0") {
			said = said || strings.Contains(h.alert.ResolvedReason, "I'm OK")
		}
	}
	if !said {
		t.Error("the webhook got no resolved notice saying the patient is OK")
	}
	mailed := false
	for deadline := time.Now().Add(20 * time.Second); !mailed && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, m := range e.mail.Messages(t) {
			mailed = mailed || strings.HasPrefix(m.Subject, "[RESOLVED] ") && strings.Contains(e.mail.Message(t, m.ID).Text, "I'm OK")
		}
	}
	if !mailed {
		t.Error("the e-mail recipient got no resolved notice saying the patient is OK")
	}
	<-fell
}
