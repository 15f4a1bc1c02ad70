package dashboard_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"image"
	"image/color"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	qr "github.com/piglig/go-qr"

	"github.com/balance-pt/balance/dashboard"
)

var (
	appLinkRE  = regexp.MustCompile(`id="app-link" href="([^"]+)"`)
	appCodeRE  = regexp.MustCompile(`id="app-code"[^>]*>([^<]+)<`)
	qrPathRE   = regexp.MustCompile(`<svg[^>]*class="qr" viewBox="0 0 (\d+) \d+"[^>]*>.*?<path fill="#000" d="([^"]*)"`)
	qrModuleRE = regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`)
	csrfMetaRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)
	phoneRowRE = regexp.MustCompile(`<tr data-app-session="(\d+)">`)
	sha256Hex  = func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
)

// invite is a one-time log-in as the therapist's page shows it.
type invite struct{ link, code, page string }

// createInvite makes a log-in for a patient's phone as c.
func createInvite(t *testing.T, c *client, patient string) invite {
	t.Helper()
	st, body := c.do("POST", "/patients/"+patient+"/app-access", "")
	if st != 200 {
		t.Fatalf("create a log-in for %s: %d %s", patient, st, body)
	}
	l, k := appLinkRE.FindStringSubmatch(body), appCodeRE.FindStringSubmatch(body)
	if l == nil || k == nil {
		t.Fatalf("the log-in page shows no link or no code:\n%s", body)
	}
	return invite{link: html.UnescapeString(l[1]), code: k[1], page: body}
}

// phone is a browser on a patient's phone: a cookie jar, no redirects.
func (e *env) phone() *client { return e.anon() }

// join opens the link and says yes; it returns the final status and body
// or Location.
func (c *client) join(t *testing.T, link string) (int, string) {
	t.Helper()
	u, err := url.Parse(link)
	must(t, err)
	st, body := c.do("GET", "/app/join?"+u.RawQuery, "")
	if st != 200 {
		return st, body
	}
	return c.form(t, "/app/join", url.Values{"t": {u.Query().Get("t")}})
}

// form posts a form as a browser does (postForm) and returns the status
// and the body, or the Location of a redirect.
func (c *client) form(t *testing.T, path string, v url.Values) (int, string) {
	t.Helper()
	st, body, _ := c.postForm(path, v)
	return st, body
}

// appCSRF reads the CSRF token of the phone's session from its home page.
func (c *client) appCSRF(t *testing.T) string {
	t.Helper()
	st, body := c.do("GET", "/app/", "")
	m := csrfMetaRE.FindStringSubmatch(body)
	if st != 200 || m == nil || m[1] == "" {
		t.Fatalf("/app/: %d, no CSRF token: %s", st, body)
	}
	return m[1]
}

// decodeQR reads the QR code of the log-in page back: it draws the SVG's
// modules in an image and decodes it.
func decodeQR(t *testing.T, page string) string {
	t.Helper()
	m := qrPathRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no QR code in the page")
	}
	side, _ := strconv.Atoi(m[1])
	const scale = 6
	img := image.NewGray(image.Rect(0, 0, side*scale, side*scale))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for _, mod := range qrModuleRE.FindAllStringSubmatch(m[2], -1) {
		x, _ := strconv.Atoi(mod[1])
		y, _ := strconv.Atoi(mod[2])
		for dy := range scale {
			for dx := range scale {
				img.SetGray(x*scale+dx, y*scale+dy, color.Gray{})
			}
		}
	}
	text, err := qr.Decode(img)
	if err != nil {
		t.Fatalf("decode the QR code: %v", err)
	}
	return text
}

// TestAppInviteIsTheTherapists: only staff who may see the patient make a
// log-in for them; the page shows the link (absolute), the same link as a
// QR code, and an 8-character code from the unambiguous alphabet.
func TestAppInviteIsTheTherapists(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		who, patient string
		want         int
	}{
		{"t2", "p1", 403},
		{"t1", "p2", 403},
	} {
		if st, body := e.login(tc.who).do("POST", "/patients/"+tc.patient+"/app-access", ""); st != tc.want {
			t.Errorf("%s makes a log-in for %s: %d, want %d (%s)", tc.who, tc.patient, st, tc.want, body)
		}
	}
	if st, _ := e.anon().do("POST", "/patients/p1/app-access", ""); st != 303 {
		t.Errorf("anonymous log-in creation: %d, want a redirect to log in", st)
	}
	if st, _ := e.login("t1").doCSRF("POST", "/patients/p1/app-access", "", ""); st != 403 {
		t.Errorf("log-in creation without CSRF token: %d, want 403", st)
	}
	for _, who := range []string{"t1", "admin"} {
		inv := createInvite(t, e.login(who), "p1")
		if !strings.HasPrefix(inv.link, e.ts.URL+"/app/join?t=") {
			t.Errorf("%s: link %q is not absolute on this server", who, inv.link)
		}
		if got := decodeQR(t, inv.page); got != inv.link {
			t.Errorf("%s: QR code reads %q, want the link %q", who, got, inv.link)
		}
		if !regexp.MustCompile(`^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$`).MatchString(inv.code) {
			t.Errorf("%s: code %q, want 8 characters of Crockford base32 without 0 and 1", who, inv.code)
		}
		if !strings.Contains(inv.page, "in 24 hours") {
			t.Errorf("%s: the page does not say how long the log-in works", who)
		}
	}
}

// TestAppJoinByLinkOnce: the link logs one phone in (a long-lived,
// HttpOnly, Lax cookie), and works once: a second phone, and the same
// invitation's code, are refused in words; only hashes are stored.
func TestAppJoinByLinkOnce(t *testing.T) {
	e := newEnv(t)
	inv := createInvite(t, e.login("t1"), "p1")
	ph := e.phone()
	u, _ := url.Parse(inv.link)
	st, body := ph.do("GET", "/app/join?"+u.RawQuery, "")
	if st != 200 || !strings.Contains(body, "Welcome Patient") || !strings.Contains(body, "Use this phone") {
		t.Fatalf("join page: %d %s", st, body)
	}
	resp, err := ph.PostForm(ph.base+"/app/join", url.Values{"t": {u.Query().Get("t")}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/app/" {
		t.Fatalf("join: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == dashboard.AppCookie {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge != 180*24*3600 {
		t.Errorf("phone cookie %+v, want HttpOnly, SameSite=Lax, Path=/, Max-Age 180 days", ck)
	}
	if st, body := ph.do("GET", "/app/", ""); st != 200 || !strings.Contains(body, "Hello Patient") {
		t.Errorf("/app/ after joining: %d %s", st, body)
	}
	for _, tc := range []struct {
		name string
		try  func(c *client) (int, string)
	}{
		{"the link again", func(c *client) (int, string) { return c.join(t, inv.link) }},
		{"the code", func(c *client) (int, string) { return c.form(t, "/app/code", url.Values{"code": {inv.code}}) }},
	} {
		st, body := tc.try(e.phone())
		if st != 401 || !strings.Contains(body, "already been used") {
			t.Errorf("%s after use: %d, want 401 saying it was already used: %s", tc.name, st, body)
		}
	}

	// Only hashes are kept: no column holds the token, the code or the
	// cookie's token.
	token := u.Query().Get("t")
	secrets := []string{token, inv.code, strings.ReplaceAll(inv.code, "-", ""), ck.Value}
	for _, table := range []string{"app_invites", "app_sessions"} {
		rows, err := e.state.DB().Query(`SELECT * FROM ` + table)
		must(t, err)
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(t, rows.Scan(ptrs...))
			for i, v := range vals {
				for _, sec := range secrets {
					if s := fmt.Sprint(v); strings.Contains(s, sec) {
						t.Errorf("%s.%s holds a secret in clear: %q", table, cols[i], s)
					}
				}
			}
		}
		rows.Close()
	}
	var n int
	must(t, e.state.DB().QueryRow(`SELECT count(*) FROM app_invites WHERE token_hash = ?`, sha256Hex(token)).Scan(&n))
	if n != 1 {
		t.Errorf("no invitation is kept by the SHA-256 of its token")
	}
	must(t, e.state.DB().QueryRow(`SELECT count(*) FROM app_sessions WHERE token_hash = ?`, sha256Hex(ck.Value)).Scan(&n))
	if n != 1 {
		t.Errorf("no session is kept by the SHA-256 of its cookie")
	}
}

// TestAppJoinByCode: the code logs a phone in however it is typed (small
// letters, spaces, with or without the dash), once.
func TestAppJoinByCode(t *testing.T) {
	e := newEnv(t)
	t1 := e.login("t1")
	for _, typed := range []func(string) string{
		func(c string) string { return c },
		func(c string) string { return " " + strings.ToLower(strings.ReplaceAll(c, "-", " ")) + " " },
	} {
		inv := createInvite(t, t1, "p1")
		ph := e.phone()
		if st, loc := ph.form(t, "/app/code", url.Values{"code": {typed(inv.code)}}); st != 303 || loc != "/app/" {
			t.Fatalf("code %q: %d %s", typed(inv.code), st, loc)
		}
		if st, body := ph.do("GET", "/app/", ""); st != 200 || !strings.Contains(body, "Hello Patient") {
			t.Errorf("/app/ after the code: %d %s", st, body)
		}
		if st, body := e.phone().form(t, "/app/code", url.Values{"code": {inv.code}}); st != 401 || !strings.Contains(body, "already been used") {
			t.Errorf("code twice: %d %s", st, body)
		}
	}
}

// TestAppInviteExpires: a day later the link and the code are refused, in
// words.
func TestAppInviteExpires(t *testing.T) {
	now := testNow
	e := newEnv(t, func(c *dashboard.Config) { c.Now = func() time.Time { return now } })
	e.state.Now = func() time.Time { return now }
	inv := createInvite(t, e.login("t1"), "p1")
	now = now.Add(24 * time.Hour)
	if st, body := e.phone().join(t, inv.link); st != 401 || !strings.Contains(body, "link has expired") {
		t.Errorf("expired link: %d, want 401 saying it expired: %s", st, body)
	}
	if st, body := e.phone().form(t, "/app/code", url.Values{"code": {inv.code}}); st != 401 || !strings.Contains(body, "code has expired") {
		t.Errorf("expired code: %d, want 401 saying it expired: %s", st, body)
	}
	now = now.Add(-time.Second)
	if st, _ := e.phone().join(t, inv.link); st != 303 {
		t.Errorf("link a second before expiry: %d, want it to work", st)
	}
}

// TestAppCodeRateLimit: wrong codes from one address are limited; once
// limited, even the right code waits.
func TestAppCodeRateLimit(t *testing.T) {
	e := newEnv(t)
	inv := createInvite(t, e.login("t1"), "p1")
	ph := e.phone()
	for i := range 5 {
		if st, body := ph.form(t, "/app/code", url.Values{"code": {"ABCD-EFGH"}}); st != 401 || !strings.Contains(body, "code is not right") {
			t.Errorf("wrong code %d: %d %s", i+1, st, body)
		}
	}
	if st, body := ph.form(t, "/app/code", url.Values{"code": {inv.code}}); st != 429 || !strings.Contains(body, "Too many tries") {
		t.Errorf("right code after 5 wrong ones: %d, want 429: %s", st, body)
	}
	if st, body := ph.join(t, inv.link); st != 303 {
		t.Errorf("the link after wrong codes: %d, want it to work (codes and links are limited apart): %s", st, body)
	}
}

// TestAppRevokeStopsAtOnce: the therapist sees the phone on the patient
// page and revokes it; the phone's next request is refused (the app sends
// it to the code page and clears the cookie; the API answers 401). Only
// staff who may see the patient revoke, and only that patient's phones.
func TestAppRevokeStopsAtOnce(t *testing.T) {
	e := newEnv(t)
	t1 := e.login("t1")
	ph := e.phone()
	if st, _ := ph.join(t, createInvite(t, t1, "p1").link); st != 303 {
		t.Fatal("join failed")
	}
	other := e.phone()
	if st, _ := other.join(t, createInvite(t, e.login("t2"), "p2").link); st != 303 {
		t.Fatal("join of p2 failed")
	}
	_, page := t1.do("GET", "/patients/p1", "")
	rows := phoneRowRE.FindAllStringSubmatch(page, -1)
	if len(rows) != 1 || !strings.Contains(page, "Phone added 20 Nov 12:00 UTC") || !strings.Contains(page, "Revoke: Phone added") {
		t.Fatalf("patient page lists phones %v, want one, labelled, with a Revoke button", rows)
	}
	sid := rows[0][1]
	_, page2 := e.login("t2").do("GET", "/patients/p2", "")
	sid2 := phoneRowRE.FindStringSubmatch(page2)[1]
	for _, tc := range []struct {
		who, path string
		want      int
	}{
		{"t2", "/patients/p1/app-access/" + sid + "/revoke", 403},
		{"t1", "/patients/p1/app-access/" + sid2 + "/revoke", 404}, // p2's phone through p1
		{"t1", "/patients/p1/app-access/x/revoke", 400},
	} {
		if st, body := e.login(tc.who).do("POST", tc.path, ""); st != tc.want {
			t.Errorf("%s POST %s: %d, want %d (%s)", tc.who, tc.path, st, tc.want, body)
		}
	}
	if st, _ := ph.do("GET", "/app/", ""); st != 200 {
		t.Fatalf("phone before revocation: %d", st)
	}
	if st, loc := t1.do("POST", "/patients/p1/app-access/"+sid+"/revoke", ""); st != 303 || loc != "/patients/p1#app-access" {
		t.Fatalf("revoke: %d %s", st, loc)
	}
	if st, loc := ph.do("GET", "/app/", ""); st != 303 || loc != "/app/code?ended=1" {
		t.Errorf("revoked phone on /app/: %d %q, want a redirect to the code page", st, loc)
	}
	if st, _ := ph.do("GET", "/api/v1/patients/p1", ""); st != 401 {
		t.Errorf("revoked phone on the API: %d, want 401", st)
	}
	if st, _ := other.do("GET", "/app/", ""); st != 200 {
		t.Errorf("another patient's phone after the revocation: %d, want it to keep working", st)
	}
	if _, page := t1.do("GET", "/patients/p1", ""); phoneRowRE.MatchString(page) || !strings.Contains(page, "No phone is logged in") {
		t.Errorf("patient page still lists the revoked phone")
	}
}

// TestAppPatientReachesOnlyTheApp: a patient's phone passes no staff rule
// (its own patient's staff routes included), the app's forms need the
// session's CSRF token, "forget this phone" ends the session, and a staff
// log-in in the same browser keeps working beside it.
func TestAppPatientReachesOnlyTheApp(t *testing.T) {
	e := newEnv(t)
	ph := e.login("t1") // a therapist's browser that also logs in as p1
	if st, _ := ph.join(t, createInvite(t, ph, "p1").link); st != 303 {
		t.Fatal("join failed")
	}
	if st, body := ph.do("GET", "/app/", ""); st != 200 || !strings.Contains(body, "Hello Patient") {
		t.Errorf("/app/ with both cookies: %d, want the patient's page", st)
	}
	if st, _ := ph.do("GET", "/patients/p1", ""); st != 200 {
		t.Errorf("/patients/p1 with both cookies: %d, want the therapist's page", st)
	}
	pat := e.phone()
	if st, _ := pat.join(t, createInvite(t, e.login("t1"), "p1").link); st != 303 {
		t.Fatal("join failed")
	}
	csrf := pat.appCSRF(t)
	pat.csrf = csrf
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/", 403},
		{"GET", "/patients/p1", 403},
		{"GET", "/patients/p2", 403},
		{"POST", "/patients/p1/app-access", 403},
		{"GET", "/api/v1/me", 403},
		{"GET", "/api/v1/patients", 403},
		{"GET", "/api/v1/patients/p1", 403},
		{"GET", "/api/v1/dashboard/patients/p1", 403},
		{"GET", "/api/v1/alerts", 403},
		{"GET", "/admin/users", 403},
		{"GET", "/nothing", 403},
	} {
		if st, body := pat.do(tc.method, tc.path, ""); st != tc.want {
			t.Errorf("patient %s %s: %d, want %d (%.200s)", tc.method, tc.path, st, tc.want, body)
		}
	}
	if st, _ := pat.doCSRF("POST", "/app/logout", "", ""); st != 403 {
		t.Errorf("log-out without CSRF token: %d, want 403", st)
	}
	if st, loc := pat.do("POST", "/app/logout", ""); st != 303 || loc != "/app/code?bye=1" {
		t.Errorf("log-out: %d %s", st, loc)
	}
	if st, loc := pat.do("GET", "/app/", ""); st != 303 || !strings.HasPrefix(loc, "/app/code") {
		t.Errorf("/app/ after log-out: %d %s, want the code page", st, loc)
	}
	if st, _ := e.anon().do("GET", "/app/", ""); st != 303 {
		t.Errorf("/app/ with no cookie: %d, want the code page", st)
	}
	if st, _ := e.login("t1").do("GET", "/app/", ""); st != 403 {
		t.Errorf("/app/ as a therapist only: %d, want 403", st)
	}
}

// TestAppInviteLinkUsesBaseURL: with the system's external URL set
// (alerts.base_url), the link and the code page start with it, not with
// the host the therapist happened to use.
func TestAppInviteLinkUsesBaseURL(t *testing.T) {
	e := newEnv(t, func(c *dashboard.Config) { c.BaseURL = "https://balance.example.org/" })
	inv := createInvite(t, e.login("t1"), "p1")
	if !strings.HasPrefix(inv.link, "https://balance.example.org/app/join?t=") || !strings.Contains(inv.page, "https://balance.example.org/app/code") {
		t.Errorf("link %q: want it on the configured base URL", inv.link)
	}
	if got := decodeQR(t, inv.page); got != inv.link {
		t.Errorf("QR code reads %q, want %q", got, inv.link)
	}
}
