package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/balance-pt/balance"
)

// TestPatientAppAccessible walks the patient's way in, in headless
// Chromium on the running app: the demo therapist makes a log-in on the
// patient page (axe: WCAG A and AA), and a 390 px phone opens the link,
// says yes and reaches its home page, then the code page. On the phone's
// pages axe runs the AAA rules too (contrast ≥ 7:1), the body text is at
// least 20 px and every button, link-button and input is at least 48 px
// high.
func TestPatientAppAccessible(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Fatal("chromium not installed (Debian package chromium; scripts/test.sh installs it)")
	}
	axe := axeSource(t)
	_, base := dashboardApp(t)
	shots := artifacts(t)
	var ps []balance.Patient
	if st := apiCall(t, "GET", base+"/api/v1/patients", "admin", e2eAdminPassword, "", &ps); st != 200 || len(ps) == 0 {
		t.Fatalf("patients: %d", st)
	}
	pid := ps[0].ID

	run := func(bctx context.Context, name string, tags []string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			shot(t, bctx, shots, "app-failed-"+name)
			t.Fatalf("%s: %v", name, err)
		}
		axeCheck(t, sctx, axe, tags, name)
		shot(t, bctx, shots, "app-"+name)
	}
	aa := []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}
	aaa := append([]string{"wcag2aaa"}, aa...)
	// sizes checks the phone page's type and targets.
	sizes := func(bctx context.Context, name string) {
		t.Helper()
		body, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`parseFloat(getComputedStyle(document.body).fontSize)`))
		if err != nil || body < 20 {
			t.Errorf("%s: body text %v px (%v), want at least 20", name, body, err)
		}
		small, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('button, a.big, input:not([type=hidden])'))
			.filter(e => e.getBoundingClientRect().height < 48).map(e => e.outerHTML.slice(0, 80))`))
		if err != nil || len(small) > 0 {
			t.Errorf("%s: targets lower than 48 px: %v (%v)", name, small, err)
		}
	}

	staff := newBrowser(t, chrome, 1366, 768)
	run(staff, "invite", aa, chromedp.Navigate(base+"/login"), chromedp.SendKeys(chromedp.CSS("#username"), "therapist"),
		chromedp.SendKeys(chromedp.CSS("#password"), e2eTherapistPassword), chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#patients")),
		chromedp.Navigate(base+"/patients/"+pid), chromedp.Click(chromedp.CSS("#app-invite")), chromedp.WaitVisible(chromedp.CSS("#app-code")))
	link, err := chromedp.Run(staff, chromedp.Evaluate[string](`document.getElementById('app-link').href`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, base+"/app/join?t=") {
		t.Fatalf("link %q", link)
	}

	phone := newBrowser(t, chrome, 390, 844)
	run(phone, "join", aaa, chromedp.EmulateViewport(390, 844), chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#join")))
	sizes(phone, "join")
	run(phone, "home", aaa, chromedp.Click(chromedp.CSS("#join")), chromedp.WaitVisible(chromedp.CSS("#hello")))
	sizes(phone, "home")
	run(phone, "reminders", aaa, chromedp.Navigate(base+"/app/reminders"), chromedp.WaitVisible(chromedp.CSS("#save")))
	run(phone, "code", aaa, chromedp.Navigate(base+"/app/code"), chromedp.WaitVisible(chromedp.CSS("#code")))
	sizes(phone, "code")
}

// jsString2 writes a list of strings as a JavaScript array.
func jsString2(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = jsString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
