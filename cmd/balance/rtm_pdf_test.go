package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/balance-pt/balance"
)

// TestRTMReportPrintsToPDF prints the monthly remote-monitoring report of
// a simulated patient from headless Chromium, as a clinician's "Print /
// save as PDF" does: on A4 and on US Letter paper (Page.printToPDF), each
// a PDF of at least one page whose title names the patient, kept in
// $BALANCE_ARTIFACTS when set. With the print medium emulated, the page
// hides the header, navigation and buttons, prints black on white, keeps
// the content within 180 mm, and still shows the patient's name and date
// of birth. (No PDF text library is available offline, so the page's own
// text is checked through the print medium, not read back from the PDF.)
func TestRTMReportPrintsToPDF(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Fatal("chromium not installed (Debian package chromium; scripts/test.sh installs it)")
	}
	a, base := dashboardApp(t)
	ctx := context.Background()
	dir := artifacts(t)

	// A simulated patient with a name and a date of birth (through the
	// patient API, keeping the other fields), and review time this month.
	var ps []balance.Patient
	if st := apiCall(t, "GET", base+"/api/v1/patients", "admin", e2eAdminPassword, "", &ps); st != 200 || len(ps) == 0 {
		t.Fatalf("patients: %d, %d", st, len(ps))
	}
	p := ps[0]
	const name = "Grace Brewster Hopper"
	p.Name, p.DateOfBirth = name, balance.Date{Year: 1946, Month: time.December, Day: 9}
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if st := apiCall(t, "POST", base+"/api/v1/patients", "admin", e2eAdminPassword, string(body), nil); st != 201 {
		t.Fatalf("update patient %s: %d", p.ID, st)
	}
	u, err := a.State.UserByName(ctx, "therapist")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := a.State.LogReview(ctx, balance.ReviewEntry{UserID: u.ID, PatientID: p.ID, Start: now.Add(-time.Minute), Seconds: 60, Activity: "patient page"}); err != nil {
		t.Fatal(err)
	}

	bctx := newBrowser(t, chrome, 1200, 900)
	run := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			shot(t, bctx, dir, "rtm-failed-"+name)
			t.Fatalf("%s: %v", name, err)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	report := base + "/patients/" + p.ID + "/rtm?month=" + now.Format("2006-01")
	run("log in", chromedp.Navigate(base+"/login"), chromedp.SendKeys(css("#username"), "therapist"),
		chromedp.SendKeys(css("#password"), e2eTherapistPassword), chromedp.Click(css("#login")), chromedp.WaitVisible(css("#patients")))
	run("open the report", chromedp.Navigate(report), chromedp.WaitVisible(css("#rtm-print")),
		chromedp.Poll[chromedp.Void](`document.styleSheets.length >= 3`)) // style, print, rtm
	shot(t, bctx, dir, "rtm-screen")

	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	// On screen the button and the header show.
	if shown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById('rtm-print')).display !== 'none' && getComputedStyle(document.querySelector('header')).display !== 'none'`)); err != nil || !shown {
		t.Errorf("on screen the print button or the header is hidden (%v)", err)
	}
	run("print medium", media("print"))
	type printed struct {
		Header, Button, Actions, Logout string
		Color, Background, Name, DOB    string
		NameShown                       bool
		MainWidth                       float64
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[printed](`(() => {
		const cs = (el) => el ? getComputedStyle(el) : {display: "missing"};
		const name = document.getElementById('rtm-name');
		return {
			Header: cs(document.querySelector('header')).display,
			Button: cs(document.getElementById('rtm-print')).display,
			Actions: cs(document.querySelector('.rtm-actions')).display,
			Logout: cs(document.querySelector('header form button')).display,
			Color: getComputedStyle(document.body).color,
			Background: getComputedStyle(document.body).backgroundColor,
			Name: name.innerText, DOB: document.getElementById('rtm-dob').innerText,
			NameShown: getComputedStyle(name).display !== 'none' && name.getBoundingClientRect().height > 0,
			MainWidth: document.querySelector('main').getBoundingClientRect().width,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string]string{"header": got.Header, "print button": got.Button, "report actions": got.Actions, "log-out button": got.Logout} {
		if v != "none" {
			t.Errorf("printed, the %s has display %q, want none", what, v)
		}
	}
	if got.Color != "rgb(0, 0, 0)" || (got.Background != "rgb(255, 255, 255)" && got.Background != "rgba(0, 0, 0, 0)") {
		t.Errorf("printed body colour %s on %s, want black on white", got.Color, got.Background)
	}
	if got.Name != name || !got.NameShown || !strings.Contains(got.DOB, "1946-12-09") {
		t.Errorf("printed name %q (shown %v), date of birth %q; want %q and 1946-12-09", got.Name, got.NameShown, got.DOB, name)
	}
	if mm := got.MainWidth * 25.4 / 96; mm > 180.5 {
		t.Errorf("printed content is %.1f mm wide, want at most 180 mm (A4 and Letter less 15 mm margins)", mm)
	}
	shot(t, bctx, dir, "rtm-print-medium")
	run("screen medium", media(""))

	// A phone 390 px wide: the page itself does not scroll sideways (wide
	// tables scroll inside their wrapper).
	run("390 px", chromedp.EmulateViewport(390, 844), chromedp.Reload())
	if w, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("at 390 px the page is %d px wide (%v), want no sideways scrolling", w, err)
	}
	shot(t, bctx, dir, "rtm-390px")
	run("desktop", chromedp.EmulateViewport(1200, 900), chromedp.Reload())

	for _, paper := range []struct {
		name          string
		width, height float64 // inches
	}{{"a4", 8.27, 11.69}, {"letter", 8.5, 11}} {
		pdf, err := chromedp.Run(bctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			res, err := cdp.Call(ctx, t, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: paper.width, PaperHeight: paper.height})
			if err != nil {
				return nil, err
			}
			return res.Data, nil
		})
		if err != nil {
			t.Fatalf("print to PDF on %s: %v", paper.name, err)
		}
		path := filepath.Join(dir, "rtm-report-"+paper.name+".pdf")
		if err := os.WriteFile(path, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Errorf("%s: does not start with %%PDF-: %q", path, pdf[:min(len(pdf), 16)])
		}
		if n := pdfPages(pdf); n < 1 {
			t.Errorf("%s: %d pages, want at least 1", path, n)
		} else {
			t.Logf("%s: %d bytes, %d pages", path, len(pdf), n)
		}
		if title := pdfTitle(pdf); !strings.Contains(title, name) {
			t.Errorf("%s: title %q does not name the patient %q", path, title, name)
		}
	}
}

// pdfPages counts the page objects of a PDF (/Type /Page, not /Pages).
func pdfPages(pdf []byte) int {
	return len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1))
}

// pdfTitle reads the /Title of a PDF's document information: a literal
// string, or a hex string in UTF-16BE with a byte-order mark.
func pdfTitle(pdf []byte) string {
	if m := regexp.MustCompile(`/Title\s*\(((?:\\.|[^\\)])*)\)`).FindSubmatch(pdf); m != nil {
		s := string(m[1])
		if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`); err == nil {
			return u
		}
		return s
	}
	m := regexp.MustCompile(`/Title\s*<([0-9A-Fa-f]+)>`).FindSubmatch(pdf)
	if m == nil {
		return ""
	}
	var b []byte
	for i := 0; i+1 < len(m[1]); i += 2 {
		v, _ := strconv.ParseUint(string(m[1][i:i+2]), 16, 8)
		b = append(b, byte(v))
	}
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		var r []rune
		for i := 2; i+1 < len(b); i += 2 {
			r = append(r, rune(b[i])<<8|rune(b[i+1]))
		}
		return string(r)
	}
	return string(b)
}
