package dashboard_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

func TestLoggedOutIsRefused(t *testing.T) {
	e := newEnv(t)
	c := e.anon()
	for _, tc := range []struct {
		method, path string
		want         int
		location     string // for redirects: the prefix of Location
	}{
		{"GET", "/api/v1/patients", 401, ""},
		{"GET", "/api/v1/patients/p1", 401, ""},
		{"GET", "/api/v1/devices", 401, ""},
		{"GET", "/api/v1/alerts", 401, ""},
		{"POST", "/api/v1/alerts/a1/ack", 401, ""},
		{"GET", "/api/v1/dashboard/patients", 401, ""},
		{"GET", "/api/v1/dashboard/patients/p1/measurements.csv", 401, ""},
		{"GET", "/", 303, "/login?next=%2F"},
		{"GET", "/patients/p1", 303, "/login?next=%2Fpatients%2Fp1"},
		{"GET", "/patients/p1/rtm", 303, "/login"},
		// Open paths.
		{"GET", "/healthz", 200, ""},
		{"GET", "/login", 200, ""},
		{"GET", "/static/app.js", 200, ""},
		{"GET", "/static/style.css", 200, ""},
	} {
		st, body := c.do(tc.method, tc.path, "")
		if st != tc.want {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, st, tc.want, body)
		}
		if tc.location != "" && !strings.HasPrefix(body, tc.location) {
			t.Errorf("%s %s: Location %q, want prefix %q", tc.method, tc.path, body, tc.location)
		}
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	e := newEnv(t)
	c := e.anon()
	for _, tc := range []struct{ user, pass string }{{"t1", "wrong password"}, {"nobody", pw}, {"t1", ""}} {
		resp, err := c.PostForm(c.base+"/login", url.Values{"username": {tc.user}, "password": {tc.pass}})
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("log-in %s/%q: status %d, want 401", tc.user, tc.pass, resp.StatusCode)
		}
		for _, ck := range resp.Cookies() {
			if ck.Value != "" {
				t.Errorf("log-in %s/%q set cookie %s", tc.user, tc.pass, ck.Name)
			}
		}
	}
	// Basic auth, right and wrong.
	for _, tc := range []struct {
		pass string
		want int
	}{{"wrong password", 401}, {pw, 200}, {pw, 200}, {"wrong password", 401}} { // a verified password is remembered; a wrong one never is
		req, _ := http.NewRequest("GET", c.base+"/api/v1/patients", nil)
		req.SetBasicAuth("admin", tc.pass)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("basic auth %q: status %d, want %d", tc.pass, resp.StatusCode, tc.want)
		}
	}
	// The session cookie is HttpOnly and SameSite=Strict.
	resp, err := c.PostForm(c.base+"/login", url.Values{"username": {"t1"}, "password": {pw}})
	must(t, err)
	resp.Body.Close()
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name == "balance_session" {
			found = true
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie HttpOnly=%v SameSite=%v, want true and Strict", ck.HttpOnly, ck.SameSite)
			}
		}
	}
	if !found {
		t.Error("no session cookie after a good log-in")
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.anon()
	// Config default: 5 failures within 15 minutes pause log-ins.
	for i := 0; i < 5; i++ {
		resp, err := c.PostForm(c.base+"/login", url.Values{"username": {"t1"}, "password": {"guess " + string(rune('a'+i))}})
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp, err := c.PostForm(c.base+"/login", url.Values{"username": {"t1"}, "password": {pw}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password after 5 failures: status %d, want 429", resp.StatusCode)
	}
	// Basic auth counts too.
	req, _ := http.NewRequest("GET", c.base+"/api/v1/patients", nil)
	req.SetBasicAuth("t1", pw)
	r2, err := http.DefaultClient.Do(req)
	must(t, err)
	r2.Body.Close()
	if r2.StatusCode != http.StatusTooManyRequests {
		t.Errorf("basic auth after 5 failures: status %d, want 429", r2.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.login("t1")
	review := `{"seconds": 30}`
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", 403},
		{"forged token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 403},
		{"another session's token", e.login("t2").csrf, 403},
		{"own token", c.csrf, 201},
	} {
		st, body := c.doCSRF("POST", "/api/v1/dashboard/patients/p1/review", review, tc.token)
		if st != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, st, tc.want, body)
		}
	}
	// Acknowledging through the other API needs the token too.
	if st, body := c.doCSRF("POST", "/api/v1/alerts/a1/ack", `{"by":"t1"}`, "forged"); st != 403 {
		t.Errorf("ack with a forged token: %d, want 403 (%s)", st, body)
	}
	a, err := e.state.AlertStore().Alert(t.Context(), "a1")
	must(t, err)
	if a.Status != balance.AlertOpen {
		t.Errorf("alert a1 is %s after a forged ack, want open", a.Status)
	}
	// Log-out form without the token is refused, with it the session ends.
	if st, _ := c.doCSRF("POST", "/logout", "", ""); st != 403 {
		t.Errorf("log-out without token: %d, want 403", st)
	}
	if st, _ := c.do("POST", "/logout", ""); st != 303 {
		t.Errorf("log-out: %d, want 303", st)
	}
	if st, _ := c.do("GET", "/api/v1/me", ""); st != 401 {
		t.Errorf("after log-out /api/v1/me: %d, want 401", st)
	}
}

func TestTherapistSeesOnlyAssignedPatients(t *testing.T) {
	e := newEnv(t)
	t1, admin := e.login("t1"), e.login("admin")
	for _, tc := range []struct {
		method, path, body string
		t1, admin          int
	}{
		{"GET", "/api/v1/patients/p1", "", 200, 200},
		{"GET", "/api/v1/patients/p2", "", 403, 200},
		{"GET", "/api/v1/patients/p2/samples", "", 403, 200},
		{"GET", "/api/v1/dashboard/patients/p1", "", 200, 200},
		{"GET", "/api/v1/dashboard/patients/p2", "", 403, 200},
		{"GET", "/api/v1/dashboard/patients/p2/measurements.csv", "", 403, 200},
		{"GET", "/api/v1/dashboard/patients/p2/rtm?month=2026-11", "", 403, 200},
		{"GET", "/patients/p1", "", 200, 200},
		{"GET", "/patients/p2", "", 403, 200},
		{"GET", "/patients/p2/rtm", "", 403, 200},
		{"GET", "/api/v1/alerts?patient=p2", "", 403, 200},
		{"GET", "/api/v1/alerts/a2", "", 403, 200},
		{"POST", "/api/v1/alerts/a2/ack", `{"by":"x"}`, 403, 200},
		{"GET", "/api/v1/devices/d2", "", 403, 200},
		{"PUT", "/api/v1/devices/d1/binding", `{"patient_id":"p2"}`, 403, 204},
		{"POST", "/api/v1/patients", `{"id":"p9"}`, 403, 201},
		{"GET", "/api/v1/quarantine", "", 403, 200},
		{"GET", "/api/v1/users", "", 403, 200},
		{"GET", "/api/v1/not-a-route", "", 403, 404},
	} {
		if st, body := t1.do(tc.method, tc.path, tc.body); st != tc.t1 {
			t.Errorf("t1 %s %s: %d, want %d (%s)", tc.method, tc.path, st, tc.t1, body)
		}
		if st, body := admin.do(tc.method, tc.path, tc.body); st != tc.admin && !(tc.admin == 204 && st == 200) {
			t.Errorf("admin %s %s: %d, want %d (%s)", tc.method, tc.path, st, tc.admin, body)
		}
	}
	// t1's failed ack left a2 open.
	a, err := e.state.AlertStore().Alert(t.Context(), "a1")
	must(t, err)
	if a.Status != balance.AlertOpen {
		t.Errorf("a1 status %s, want open (never acknowledged)", a.Status)
	}
}

func ids(t *testing.T, body, field string) []string {
	t.Helper()
	var items []map[string]any
	if err := json.Unmarshal([]byte(body), &items); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out []string
	for _, it := range items {
		if v, ok := it[field].(string); ok {
			out = append(out, v)
		} else if p, ok := it["patient"].(map[string]any); ok {
			out = append(out, p["id"].(string))
		}
	}
	sort.Strings(out)
	return out
}

func TestListsAreFiltered(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		user, path, field string
		want              []string
	}{
		{"t1", "/api/v1/patients", "id", []string{"p1"}},
		{"t2", "/api/v1/patients", "id", []string{"p2", "p3"}},
		{"admin", "/api/v1/patients", "id", []string{"p1", "p2", "p3"}},
		{"t1", "/api/v1/devices", "patient_id", []string{"p1"}},
		{"t2", "/api/v1/devices", "patient_id", []string{"p2", "p3"}},
		{"t1", "/api/v1/alerts", "patient_id", []string{"p1"}},
		{"t1", "/api/v1/alerts?status=open", "patient_id", []string{"p1"}},
		{"t2", "/api/v1/alerts", "patient_id", []string{"p2", "p3"}},
		{"admin", "/api/v1/alerts", "patient_id", []string{"p1", "p2", "p3"}},
		{"t1", "/api/v1/dashboard/patients", "", []string{"p1"}},
		{"t2", "/api/v1/dashboard/patients", "", []string{"p2", "p3"}},
	} {
		c := e.login(tc.user)
		st, body := c.do("GET", tc.path, "")
		if st != 200 {
			t.Errorf("%s %s: %d %s", tc.user, tc.path, st, body)
			continue
		}
		if diff := cmp.Diff(tc.want, ids(t, body, tc.field)); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.user, tc.path, diff)
		}
	}
	// The UI list shows only the assigned patients too.
	st, body := e.login("t1").do("GET", "/", "")
	if st != 200 || !strings.Contains(body, `data-patient="p1"`) || strings.Contains(body, `data-patient="p2"`) {
		t.Errorf("UI list for t1: status %d; want p1 and not p2", st)
	}
}

func TestCanSeePatient(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		user, patient string
		want          bool
	}{
		{"admin", "p2", true}, {"admin", "unknown", true},
		{"t1", "p1", true}, {"t1", "p2", false}, {"t1", "", false},
		{"t2", "p3", true}, {"t2", "p1", false},
	} {
		got, err := e.srv.CanSeePatient(t.Context(), e.users[tc.user], tc.patient)
		must(t, err)
		if got != tc.want {
			t.Errorf("CanSeePatient(%s, %q) = %v, want %v", tc.user, tc.patient, got, tc.want)
		}
	}
	if ok, _ := e.srv.CanSeePatient(t.Context(), balance.User{ID: 99, Role: "visitor"}, "p1"); ok {
		t.Error("an unknown role sees a patient")
	}
}

// TestActionsNameTheUser checks that an acknowledgement records the
// logged-in user, whatever the request body claims.
func TestActionsNameTheUser(t *testing.T) {
	e := newEnv(t)
	c := e.login("t1")
	if st, body := c.do("POST", "/api/v1/alerts/a1/ack", `{"by":"somebody else"}`); st != 200 {
		t.Fatalf("ack: %d %s", st, body)
	}
	a, err := e.state.AlertStore().Alert(t.Context(), "a1")
	must(t, err)
	if a.Status != balance.AlertAcknowledged || a.AckedBy != "t1" {
		t.Errorf("a1: status %s by %q, want acknowledged by t1", a.Status, a.AckedBy)
	}
}

func TestDeviceBindingRules(t *testing.T) {
	e := newEnv(t)
	t1, t2 := e.login("t1"), e.login("t2")
	for _, tc := range []struct {
		c         *client
		who, path string
		body      string
		want      int
		wantBound string // d1's patient afterwards
	}{
		{t2, "t2", "/api/v1/devices/d1/binding", `{"patient_id":""}`, 403, "p1"},   // not t2's device
		{t1, "t1", "/api/v1/devices/d1/binding", `{"patient_id":"p2"}`, 403, "p1"}, // not t1's patient
		{t1, "t1", "/api/v1/devices/d1/binding", `{"patient_id":""}`, 200, ""},     // unbind own
		{t1, "t1", "/api/v1/devices/d1", "", 403, ""},                              // unbound: not visible
		{t2, "t2", "/api/v1/devices/d1/binding", `{"patient_id":"p1"}`, 403, ""},   // to another's patient
		{t2, "t2", "/api/v1/devices/d1/binding", `{"patient_id":"p3"}`, 200, "p3"}, // to own patient
	} {
		method := "PUT"
		if tc.body == "" {
			method = "GET"
		}
		if st, body := tc.c.do(method, tc.path, tc.body); st != tc.want && !(tc.want == 200 && st == 204) {
			t.Errorf("%s %s %s: %d, want %d (%s)", tc.who, method, tc.body, st, tc.want, body)
		}
		d, err := e.state.Device(t.Context(), "d1")
		must(t, err)
		if d.PatientID != tc.wantBound {
			t.Errorf("after %s %s: d1 bound to %q, want %q", tc.who, tc.body, d.PatientID, tc.wantBound)
		}
	}
}
