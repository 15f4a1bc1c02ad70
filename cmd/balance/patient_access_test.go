package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/dashboard"
)

var (
	appLinkRE  = regexp.MustCompile(`id="app-link" href="([^"]+)"`)
	appCSRFRE  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
	appPhoneRE = regexp.MustCompile(`<tr data-app-session="(\d+)">`)
	pathParam  = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)
)

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// phoneSession is a patient's phone logged in to the running app.
type phoneSession struct {
	cookie *http.Cookie
	csrf   string
}

// send makes a request as the phone (its cookie, and its CSRF token in
// the header) and returns the status and the body, or the Location of a
// redirect.
func (p phoneSession) send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.cookie != nil {
		req.AddCookie(p.cookie)
	}
	if p.csrf != "" {
		req.Header.Set(dashboard.CSRFHeader, p.csrf)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 == 3 {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(b)
}

// staffPost posts a form with Basic auth (no CSRF token needed) and
// returns the status and body.
func staffPost(t *testing.T, url, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// joinPhone makes a log-in for a patient as the demo therapist and redeems
// its link on a new phone.
func joinPhone(t *testing.T, base, patient string) phoneSession {
	t.Helper()
	st, page := staffPost(t, base+"/patients/"+patient+"/app-access", "therapist", e2eTherapistPassword)
	m := appLinkRE.FindStringSubmatch(page)
	if st != 200 || m == nil {
		t.Fatalf("create a log-in for %s: %d %s", patient, st, page)
	}
	link, _ := url.Parse(html.UnescapeString(m[1]))
	resp, err := noRedirects.PostForm(base+"/app/join", url.Values{"t": {link.Query().Get("t")}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var p phoneSession
	for _, c := range resp.Cookies() {
		if c.Name == dashboard.AppCookie {
			p.cookie = c
		}
	}
	if resp.StatusCode != 303 || p.cookie == nil {
		t.Fatalf("join as %s: %d, cookie %v", patient, resp.StatusCode, p.cookie)
	}
	st, home := p.send(t, "GET", base+"/app/", "")
	c := appCSRFRE.FindStringSubmatch(home)
	if st != 200 || c == nil {
		t.Fatalf("/app/ as %s: %d %s", patient, st, home)
	}
	p.csrf = c[1]
	return p
}

// fillPath writes a route's pattern as a path: {id} is the patient given,
// any other parameter a dummy, {$} nothing.
func fillPath(pattern, patient string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	path = pathParam.ReplaceAllStringFunc(path, func(p string) string {
		if p == "{id}" {
			return url.PathEscape(patient)
		}
		return "x1"
	})
	return method, path
}

// TestPatientReachesOnlyTheirOwn logs a phone in as patient A through the
// running app's pages and calls EVERY registered route with its cookie and
// CSRF token, first naming patient B and then A: no route that is not open
// answers 2xx or 5xx but A's own routes (route.Own with A's id, and the
// app, route.Self); staff routes (route.User, Admin, Patient) are 403 even
// about A; A's own routes are not refused.
func TestPatientReachesOnlyTheirOwn(t *testing.T) {
	a, base := dashboardApp(t)
	var ps []balance.Patient
	if st := apiCall(t, "GET", base+"/api/v1/patients", "admin", e2eAdminPassword, "", &ps); st != 200 || len(ps) < 2 {
		t.Fatalf("patients: %d, %d", st, len(ps))
	}
	pa, pb := ps[0].ID, ps[1].ID
	phone := joinPhone(t, base, pa)
	routes := a.Routes.Routes()
	checked := 0
	for _, r := range routes {
		rule := r.Rule.String()
		if rule == "open" || r.Pattern == "POST /app/logout" { // log-out last, below
			continue
		}
		for _, who := range []string{pb, pa} {
			method, path := fillPath(r.Pattern, who)
			body := ""
			if method == "POST" || method == "PUT" {
				body = "{}"
			}
			st, resp := phone.send(t, method, base+path, body)
			checked++
			own := rule == "self" || (rule == "own{id}" && who == pa) || rule == "user-or-patient"
			switch {
			case st >= 500:
				t.Errorf("%s %s (%s) as patient %s: %d, a server error (%.300s)", method, path, rule, pa, st, resp)
			case !own && st != 403:
				t.Errorf("%s %s (%s) as patient %s: %d, want 403 (%.300s)", method, path, rule, pa, st, resp)
			case rule == "user-or-patient" && who == pb && st/100 == 2:
				t.Errorf("%s %s (%s) as patient %s about %s: %d, want a refusal", method, path, rule, pa, pb, st)
			case own && rule != "user-or-patient" && (st == 401 || st == 403):
				t.Errorf("%s %s (%s): patient %s is refused their own route: %d (%.300s)", method, path, rule, pa, st, resp)
			}
		}
	}
	if checked < 80 {
		t.Errorf("only %d requests made; want every route twice", checked)
	}
	// The routes the app needs work for the patient.
	if st, body := phone.send(t, "GET", base+"/api/v1/patients/"+pa+"/today", ""); st != 200 && st != 404 {
		t.Errorf("A's today: %d %s", st, body)
	}
	if st, body := phone.send(t, "GET", base+"/api/v1/patients/"+pb+"/today", ""); st != 403 {
		t.Errorf("B's today as A: %d %s", st, body)
	}
	// Without the CSRF token a state-changing request is refused.
	if st, _ := (phoneSession{cookie: phone.cookie}).send(t, "POST", base+"/app/logout", ""); st != 403 {
		t.Errorf("log-out without CSRF token: %d, want 403", st)
	}
	if st, loc := phone.send(t, "POST", base+"/app/logout", ""); st != 303 || !strings.HasPrefix(loc, "/app/code") {
		t.Errorf("log-out: %d %s", st, loc)
	}
	if st, _ := phone.send(t, "GET", base+"/api/v1/patients/"+pa+"/today", ""); st != 401 {
		t.Errorf("A's today after log-out: %d, want 401", st)
	}
}

// TestRevokedPhoneStopsAtOnce: on the running app, a therapist who does
// not see the patient cannot revoke the phone; the patient's therapist
// does, and the phone's very next request is refused.
func TestRevokedPhoneStopsAtOnce(t *testing.T) {
	_, base := dashboardApp(t)
	var ps []balance.Patient
	if st := apiCall(t, "GET", base+"/api/v1/patients", "admin", e2eAdminPassword, "", &ps); st != 200 || len(ps) == 0 {
		t.Fatalf("patients: %d", st)
	}
	pa := ps[0].ID
	if st := apiCall(t, "POST", base+"/api/v1/users", "admin", e2eAdminPassword, `{"username":"other","password":"other-password","role":"therapist"}`, nil); st != 201 {
		t.Fatalf("create therapist: %d", st)
	}
	if st, _ := staffPost(t, base+"/patients/"+pa+"/app-access", "other", "other-password"); st != 403 {
		t.Errorf("another therapist makes a log-in for %s: %d, want 403", pa, st)
	}
	phone := joinPhone(t, base, pa)
	req, _ := http.NewRequest("GET", base+"/patients/"+pa, nil)
	req.SetBasicAuth("therapist", e2eTherapistPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := appPhoneRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("the patient page lists no phone")
	}
	revoke := fmt.Sprintf("%s/patients/%s/app-access/%s/revoke", base, pa, m[1])
	if st, _ := staffPost(t, revoke, "other", "other-password"); st != 403 {
		t.Errorf("another therapist revokes: %d, want 403", st)
	}
	if st, _ := phone.send(t, "GET", base+"/app/", ""); st != 200 {
		t.Fatalf("phone before revocation: %d", st)
	}
	if st, body := staffPost(t, revoke, "therapist", e2eTherapistPassword); st != 303 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	if st, loc := phone.send(t, "GET", base+"/app/", ""); st != 303 || loc != "/app/code?ended=1" {
		t.Errorf("revoked phone on /app/: %d %q, want the code page", st, loc)
	}
	if st, _ := phone.send(t, "GET", base+"/api/v1/patients/"+pa+"/today", ""); st != 401 {
		t.Errorf("revoked phone on the API: %d, want 401", st)
	}
}
