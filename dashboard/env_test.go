package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/dashboard"
	"github.com/balance-pt/balance/httpapi"
	"github.com/balance-pt/balance/sqlite"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const pw = "correct horse battery"

// env is a dashboard in front of the real API server (package httpapi) and
// a stand-in for the alerts API, on real SQLite stores.
type env struct {
	t       testing.TB
	state   *sqlite.StateDB
	samples *sqlite.SampleStore
	srv     *dashboard.Server
	ts      *httptest.Server
	users   map[string]balance.User
}

// newEnv creates patients p1..p3 (devices d1..d3 bound), an admin, the
// therapist t1 (assigned p1) and t2 (assigned p2 and p3), and an open
// alert per patient (a1..a3). Each of configure, if any, changes the
// dashboard's configuration before the server is created.
func newEnv(t testing.TB, configure ...func(*dashboard.Config)) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.OpenState(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = func() time.Time { return testNow }
	ss, err := sqlite.OpenSamples(ctx, filepath.Join(dir, "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	as, err := alerts.New(alerts.Config{}, st.AlertStore(), alerts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	as.Now = func() time.Time { return testNow }
	cfg := dashboard.Config{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return testNow }}
	for _, f := range configure {
		f(&cfg)
	}
	srv, err := dashboard.New(cfg,
		dashboard.Deps{Users: st, Registry: st, Summaries: st, Measurements: ss, Samples: ss, Risk: st, Sessions: st, Alerts: as, Cutoffs: st})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, state: st, samples: ss, srv: srv, users: map[string]balance.User{}}
	for i, id := range []string{"p1", "p2", "p3"} {
		must(t, st.CreatePatient(ctx, balance.Patient{ID: id, Name: "Patient " + id}))
		dev := "d" + id[1:]
		must(t, st.RegisterDevice(ctx, balance.Device{ID: dev, PatientID: id}))
		_, err := st.AlertStore().Enqueue(ctx, balance.Alert{ID: "a" + id[1:], Kind: balance.AlertFall, Severity: balance.SeverityUrgent,
			PatientID: id, Summary: "fall of " + id, GroupKey: id + "/fall", OccurredAt: testNow.Add(-time.Duration(i) * time.Hour),
			CreatedAt: testNow, Status: balance.AlertOpen}, nil, testNow)
		must(t, err)
	}
	for _, u := range []struct{ name, role string }{{"admin", balance.RoleAdmin}, {"t1", balance.RoleTherapist}, {"t2", balance.RoleTherapist}} {
		h, err := dashboard.HashPassword(pw, bcrypt.MinCost)
		must(t, err)
		usr, err := st.CreateUser(ctx, balance.User{Username: u.name, Role: u.role, PasswordHash: h})
		must(t, err)
		e.users[u.name] = usr
	}
	must(t, st.AssignPatient(ctx, e.users["t1"].ID, "p1"))
	must(t, st.AssignPatient(ctx, e.users["t2"].ID, "p2"))
	must(t, st.AssignPatient(ctx, e.users["t2"].ID, "p3"))

	api := &httpapi.Server{Registry: st, Quarantine: st, Store: ss}
	e.ts = httptest.NewServer(srv.Handler(api.Routes, as.Routes))
	t.Cleanup(e.ts.Close)
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// client is a browser-like client: a cookie jar and no redirects followed.
type client struct {
	*http.Client
	base string
	csrf string
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: e.ts.URL}
}

// login logs in through the form and reads the CSRF token from /api/v1/me.
func (e *env) login(name string) *client {
	e.t.Helper()
	c := e.anon()
	resp, err := c.PostForm(c.base+"/login", url.Values{"username": {name}, "password": {pw}, "next": {"/"}})
	must(e.t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("log-in of %s: status %d", name, resp.StatusCode)
	}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	st, body := c.do("GET", "/api/v1/me", "")
	if st != 200 {
		e.t.Fatalf("/api/v1/me: %d %s", st, body)
	}
	must(e.t, json.Unmarshal([]byte(body), &me))
	c.csrf = me.CSRF
	return c
}

// do sends a request (with the CSRF header when the client has a token).
func (c *client) do(method, path, body string) (int, string) {
	return c.doCSRF(method, path, body, c.csrf)
}

func (c *client) doCSRF(method, path, body, csrf string) (int, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrf != "" {
		req.Header.Set(dashboard.CSRFHeader, csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(b)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
