package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balance-pt/balance"
)

// axeSource reads axe-core's browser bundle (npm axe-core; scripts/test.sh
// installs it and exports BALANCE_AXE). A missing bundle fails the test.
func axeSource(t *testing.T) string {
	t.Helper()
	p := os.Getenv("BALANCE_AXE")
	if p == "" {
		t.Fatal("BALANCE_AXE is not set: run ./scripts/test.sh, which installs axe-core from npm")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return string(b)
}

// axeViolation is one failed axe rule with the nodes it failed on.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// viewports are the sizes every page is checked at: a common laptop and a
// phone (iPhone 12-15, 390 CSS px wide).
var viewports = []struct {
	name string
	w, h int64
}{{"1366x768", 1366, 768}, {"390x844", 390, 844}}

// TestEveryPageAccessible opens every page (19 views) of the dashboard in headless
// Chromium on the embedded default with its demo history, as an administrator (who sees every
// page) and as a therapist refused another's patient, at 1366×768 and
// 390×844, and on each:
//   - runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules, best practices):
//     no serious or critical violation;
//   - at 390 px, the page does not scroll sideways (scrollWidth ≤ width);
//   - saves a full-page screenshot as an artefact (BALANCE_ARTIFACTS).
func TestEveryPageAccessible(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Fatal("chromium not installed (Debian package chromium; scripts/test.sh installs it)")
	}
	axe := axeSource(t)
	opened := time.Now()
	a, base := demoDashboardApp(t) // weeks of history on every chart
	ctx := context.Background()
	shots := artifacts(t)

	var ps []balance.Patient
	if st := apiCall(t, "GET", base+"/api/v1/patients", "admin", e2eAdminPassword, "", &ps); st != 200 || len(ps) == 0 {
		t.Fatalf("patients: %d, %d", st, len(ps))
	}
	pid := ps[0].ID
	// Something on every page: an alert, a sway session with its samples.
	if err := a.Alerts.Raise(ctx, balance.Alert{ID: "a11y-fall", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: pid,
		Summary: "Fall detected (set by the test)", GroupKey: pid + "/fall", OccurredAt: time.Now(), CreatedAt: time.Now(), Status: balance.AlertOpen}); err != nil {
		t.Fatal(err)
	}
	sid := saveSwaySession(t, a, pid)
	// A patient no therapist has: the demo therapist is refused it.
	if st := apiCall(t, "POST", base+"/api/v1/patients", "admin", e2eAdminPassword, `{"id":"a11y-other","name":"Someone Else"}`, nil); st != 201 {
		t.Fatalf("create patient: %d", st)
	}

	// check opens path in the browser context bctx at each viewport and runs
	// the checks; ready is a CSS selector the page shows when loaded.
	check := func(bctx context.Context, who, name, path, ready string) {
		t.Helper()
		for _, vp := range viewports {
			sctx, cancel := context.WithTimeout(bctx, 60*time.Second)
			if err := chromedp.Do(sctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(ready))); err != nil {
				cancel()
				shot(t, bctx, shots, "a11y-failed-"+name+"-"+vp.name)
				t.Errorf("%s %s at %s: %v", who, path, vp.name, err)
				continue
			}
			if _, err := chromedp.Run(sctx, chromedp.Evaluate[bool](axe+"\n;true")); err != nil {
				cancel()
				t.Fatalf("loading axe-core into %s: %v", path, err)
			}
			vs, err := chromedp.Run(sctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ['violations'],
				runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})
				.then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical'))`, chromedp.EvalAwaitPromise))
			if err != nil {
				cancel()
				t.Fatalf("axe on %s: %v", path, err)
			}
			for _, v := range vs {
				var where []string
				for _, n := range v.Nodes {
					where = append(where, fmt.Sprint(n.Target)+" "+truncate(n.HTML, 120))
				}
				t.Errorf("%s %s at %s: axe %s (%s): %s\n\t%s", who, path, vp.name, v.ID, v.Impact, v.Help, strings.Join(where, "\n\t"))
			}
			if vp.w < 500 {
				wide, err := chromedp.Run(sctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth - window.innerWidth`))
				if err != nil || wide > 0.5 {
					// Name the widest elements that stick out, to find the cause.
					over, _ := chromedp.Run(sctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('body *'))
						.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
						.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right).slice(0, 6)
						.map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + e.className : '') + ' right=' + Math.round(e.getBoundingClientRect().right))`))
					t.Errorf("%s %s at %s: the page is %v px wider than the screen (%v); sticking out: %v", who, path, vp.name, wide, err, over)
				}
			}
			cancel()
			shot(t, bctx, shots, "page-"+name+"-"+vp.name)
		}
	}

	login := func(bctx context.Context, user, pass string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, chromedp.Navigate(base+"/login"), chromedp.SendKeys(chromedp.CSS("#username"), user),
			chromedp.SendKeys(chromedp.CSS("#password"), pass), chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#patients"))); err != nil {
			t.Fatalf("log in as %s: %v", user, err)
		}
	}

	admin := newBrowser(t, chrome, 1366, 768)
	check(admin, "anonymous", "login", "/login", "#login")
	login(admin, "admin", e2eAdminPassword)
	demoVisible(t, admin, base, pid)
	t.Logf("the demo's list, charts and inbox were shown %v after the embedded default started", time.Since(opened).Round(time.Millisecond))
	for _, p := range []struct{ name, path, ready string }{
		{"patients", "/", "#patients"},
		{"patient", "/patients/" + pid, "#charts"},
		{"patient-365-days", "/patients/" + pid + "?days=365", "#charts"},
		{"session", "/patients/" + pid + "/sessions/" + sid, "#sway-path"},
		{"rtm", "/patients/" + pid + "/rtm", "h1"},
		{"not-found", "/patients/no-such-patient", "#error-title"},
		{"alert-inbox", "/alerts", "h1"},
		{"alert-inbox-filtered", "/alerts?severity=urgent&state=open", "h1"},
		{"alert", "/alerts/a11y-fall", "h1"},
		{"users", "/admin/users", "h1"},
		{"devices", "/devices", "#devices-title"},
		{"patient-without-plan", "/patients/a11y-other", "#assign-plan"},
		{"patient-new", "/admin/patients/new", "#save-patient"},
		{"cutoffs", "/patients/" + pid + "/cutoffs", "#save-cutoffs"},
		{"patient-edit", "/admin/patients/" + pid, "#save-patient"},
	} {
		check(admin, "admin", p.name, p.path, p.ready)
	}

	// The demo therapist, in the same browser after logging out.
	therapist := admin
	if err := chromedp.Do(therapist, chromedp.Click(chromedp.CSS("header form button")), chromedp.WaitVisible(chromedp.CSS("#login"))); err != nil {
		t.Fatalf("log out: %v", err)
	}
	login(therapist, "therapist", e2eTherapistPassword)
	check(therapist, "therapist", "forbidden", "/patients/a11y-other", "#error-title")
	body, err := chromedp.Run(therapist, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil || !strings.Contains(body, "Not allowed") {
		t.Errorf("a therapist opening another's patient sees %q (%v), want the \"Not allowed\" page", truncate(body, 200), err)
	}
}

// saveSwaySession stores a 30 s sway test of the patient's first device
// with its 100 Hz samples (a gentle 0.25 Hz forward and 0.5 Hz sideways
// sway on gravity) and returns its id.
func saveSwaySession(t *testing.T, a *App, patientID string) string {
	t.Helper()
	ctx := context.Background()
	all, err := a.State.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var devs []balance.Device
	for _, d := range all {
		if d.PatientID == patientID {
			devs = append(devs, d)
		}
	}
	if len(devs) == 0 {
		t.Fatalf("patient %s has no device", patientID)
	}
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	b := &balance.Batch{DeviceID: devs[0].ID, PatientID: patientID, RateHz: 100}
	for i := 0; i < 3000; i++ {
		s := float64(i) / 100
		b.Samples = append(b.Samples, balance.Sample{TimeNS: start.UnixNano() + int64(i)*1e7,
			Acc: [3]float64{0.2 * math.Sin(2*math.Pi*0.25*s), 0.1 * math.Sin(2*math.Pi*0.5*s), 9.81}})
	}
	if err := a.Store.WriteBatches(ctx, []*balance.Batch{b}); err != nil {
		t.Fatal(err)
	}
	es := balance.ExerciseSession{ID: "a11y-sway", PatientID: patientID, DeviceID: devs[0].ID, Kind: balance.SessionSway, ExerciseID: "feet_together",
		Start: start, End: start.Add(30 * time.Second), HoldS: 28, Sway: map[string]float64{"rms": 0.158, "ellipse95": 0.188}}
	if err := a.State.SaveExerciseSession(ctx, es); err != nil {
		t.Fatal(err)
	}
	return es.ID
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// demoVisible checks, in the browser, what a newcomer sees on the embedded
// default's demo history: the patient list sorted by risk (high, moderate,
// low, not enough data, not assessed), each assessed patient with a
// reason; the patient's sway chart with points over at least 8 weeks (its
// caption's dates); the
// alert inbox with open and acknowledged alerts.
func demoVisible(t *testing.T, b context.Context, base, pid string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b, 60*time.Second)
	defer cancel()
	type row struct {
		Level  string `json:"level"`
		Reason string `json:"reason"`
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#patients"))); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]row](`Array.from(document.querySelectorAll('#patients tbody tr')).map(r => ({
			level: r.className.replace('risk-', ''), reason: (r.querySelector('td[data-label="Fall risk"] small') || {}).innerText || ''}))`))
	if err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{balance.RiskHigh: 0, balance.RiskModerate: 1, balance.RiskLow: 2, balance.RiskNotEnoughData: 3, "": 4}
	if len(rows) < 3 {
		t.Fatalf("patient list %+v, want the three demo patients", rows)
	}
	for i, r := range rows {
		if i > 0 && rank[rows[i-1].Level] > rank[r.Level] {
			t.Errorf("list not sorted by risk: %+v", rows)
		}
		if r.Level != "" && r.Level != balance.RiskLow && r.Reason == "" {
			t.Errorf("row %d (%s) shows no reason", i, r.Level)
		}
	}
	// The sway chart's caption gives the dates of its first and last
	// points: at least 8 weeks apart.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/patients/"+pid), chromedp.WaitVisible(chromedp.CSS("#chart-sway svg"))); err != nil {
		t.Fatal(err)
	}
	dates, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const c = document.querySelector('#chart-sway figcaption');
		return [c.dataset.first || '', c.dataset.last || '', c.innerText]; })()`))
	if err != nil || len(dates) != 3 {
		t.Fatalf("sway chart caption: %v, %v", dates, err)
	}
	first, err1 := time.Parse("2006-01-02", dates[0])
	last, err2 := time.Parse("2006-01-02", dates[1])
	if err1 != nil || err2 != nil || last.Sub(first) < 56*24*time.Hour {
		t.Errorf("the sway chart covers %q to %q (%q), want at least 8 weeks of demo history", dates[0], dates[1], dates[2])
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(chromedp.CSS("table.inbox-table"))); err != nil {
		t.Fatal(err)
	}
	states, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('.inbox-table td.state')).map(td => td.innerText).join(' | ')`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(states, "Open") || !strings.Contains(strings.ToLower(states), "acknowledged") {
		t.Errorf("inbox states %q, want open and acknowledged alerts from the demo", states)
	}
}
