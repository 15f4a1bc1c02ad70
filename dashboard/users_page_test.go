package dashboard_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var shownRE = regexp.MustCompile(`<code class="password" id="shown-password">([^<]+)</code>`)

// shownPassword returns the password a users page shows once ("" = none).
func shownPassword(body string) string {
	if m := shownRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// loginStatus tries a log-in through the form and returns its status and body.
func (e *env) loginStatus(name, password string) (int, string) {
	c := e.anon()
	st, body, _ := c.postForm("/login", url.Values{"username": {name}, "password": {password}, "next": {"/"}})
	return st, body
}

// basicStatus calls the API with HTTP Basic auth.
func (e *env) basicStatus(name, password string) int {
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/patients", nil)
	req.SetBasicAuth(name, password)
	resp, err := http.DefaultClient.Do(req)
	must(e.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestUsersPageIsForAdmins(t *testing.T) {
	e := newEnv(t)
	t1 := e.login("t1")
	if st, body := t1.do("GET", "/admin/users", ""); st != 403 || !strings.Contains(body, "administrator") {
		t.Errorf("t1 GET /admin/users: %d, want 403 as a page", st)
	}
	if st, _, _ := t1.postForm("/admin/users", url.Values{"username": {"eve"}, "role": {"admin"}}); st != 403 {
		t.Errorf("t1 adds a user: %d, want 403", st)
	}
	if st, _, _ := t1.postForm("/admin/users/"+id(e, "t2")+"/password", nil); st != 403 {
		t.Errorf("t1 resets t2's password: %d, want 403", st)
	}
	if st, _ := e.loginStatus("eve", "anything at all"); st != 401 {
		t.Errorf("user added by a therapist exists: log-in %d", st)
	}
	st, body := e.login("admin").do("GET", "/admin/users", "")
	if st != 200 {
		t.Fatalf("admin GET /admin/users: %d", st)
	}
	for _, want := range []string{`<tr data-user="t1">`, `<tr data-user="t2">`, "Patient p2 (p2)", "Patient p3 (p3)", "Every patient",
		`<label for="new-username">Username</label>`, `<label for="assign-` + id(e, "t1") + `">Assign a patient to t1</label>`} {
		if !strings.Contains(body, want) {
			t.Errorf("users page lacks %q", want)
		}
	}
	if strings.Contains(body, `action="/admin/users/`+id(e, "admin")+`/disabled"`) {
		t.Error("the admin is offered to disable their own account")
	}
}

func id(e *env, name string) string {
	return strconv.FormatInt(e.users[name].ID, 10)
}

func TestAddUserAndResetPassword(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")

	// A generated password is shown once and works.
	st, body, _ := admin.postForm("/admin/users", url.Values{"username": {"nina"}, "role": {"therapist"}})
	gen := shownPassword(body)
	if st != 200 || len(gen) < 16 {
		t.Fatalf("add nina: %d, shown password %q", st, gen)
	}
	if st, _ := e.loginStatus("nina", gen); st != 303 {
		t.Errorf("nina logs in with the generated password: %d, want 303", st)
	}
	if _, body := admin.do("GET", "/admin/users", ""); strings.Contains(body, gen) || !strings.Contains(body, `<tr data-user="nina">`) {
		t.Error("the users page shows the password again, or not nina")
	}
	// A chosen password is not shown; errors are said in words, the form kept.
	st, body, _ = admin.postForm("/admin/users", url.Values{"username": {"omar"}, "role": {"admin"}, "password": {"a chosen password"}})
	if st != 200 || shownPassword(body) != "" {
		t.Errorf("add omar with a password: %d, shown %q", st, shownPassword(body))
	}
	if st, _ := e.loginStatus("omar", "a chosen password"); st != 303 {
		t.Errorf("omar logs in: %d", st)
	}
	for _, tc := range []struct {
		form  url.Values
		words string
	}{
		{url.Values{"username": {"nina"}, "role": {"therapist"}}, "exists"},
		{url.Values{"username": {"pat"}, "role": {"therapist"}, "password": {"short"}}, "8 to 72"},
		{url.Values{"username": {"two words"}, "role": {"therapist"}}, "no spaces"},
		{url.Values{"username": {"pat"}, "role": {"owner"}}, "choose a role"},
	} {
		st, body, _ := admin.postForm("/admin/users", tc.form)
		if st != 400 || !strings.Contains(body, tc.words) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("add %v: %d, want 400 saying %q", tc.form, st, tc.words)
		}
	}

	// Reset: a new password, shown once; the old one and t1's session stop working.
	t1 := e.login("t1")
	st, body, _ = admin.postForm("/admin/users/"+id(e, "t1")+"/password", nil)
	first := shownPassword(body)
	if st != 200 || first == "" || first == pw {
		t.Fatalf("reset t1: %d, shown %q", st, first)
	}
	if st, _ := t1.do("GET", "/api/v1/me", ""); st != 401 {
		t.Errorf("t1's session after the reset: %d, want 401", st)
	}
	if st, _ := e.loginStatus("t1", pw); st != 401 {
		t.Errorf("t1's old password after the reset: %d, want 401", st)
	}
	if st, _ := e.loginStatus("t1", first); st != 303 {
		t.Errorf("t1's new password: %d, want 303", st)
	}
	// A second reset makes another password; the first stops working.
	_, body, _ = admin.postForm("/admin/users/"+id(e, "t1")+"/password", nil)
	second := shownPassword(body)
	if second == "" || second == first {
		t.Fatalf("second reset shows %q (first %q)", second, first)
	}
	if st, _ := e.loginStatus("t1", first); st != 401 {
		t.Errorf("the first reset password after the second reset: %d, want 401", st)
	}
	if st, _ := e.loginStatus("t1", second); st != 303 {
		t.Errorf("the second reset password: %d, want 303", st)
	}
	if st, _, _ := admin.postForm("/admin/users/999/password", nil); st != 400 {
		t.Errorf("reset unknown user: %d, want 400", st)
	}
}

func TestDisabledUserCannotLogIn(t *testing.T) {
	e := newEnv(t)
	admin, t1 := e.login("admin"), e.login("t1")
	_, js := t1.do("POST", "/api/v1/me/tokens", `{"name":"script"}`)
	var tok struct {
		Token string `json:"token"`
	}
	must(t, json.Unmarshal([]byte(js), &tok))
	if e.basicStatus("t1", pw) != 200 { // remembered by the Basic-auth cache
		t.Fatal("t1's Basic auth before disabling fails")
	}

	st, loc, _ := admin.postForm("/admin/users/"+id(e, "t1")+"/disabled", url.Values{"disabled": {"true"}})
	if st != 303 || loc != "/admin/users?done=disabled" {
		t.Errorf("disable t1: %d %q", st, loc)
	}
	if st, loc := t1.do("GET", "/alerts", ""); st != 303 || !strings.HasPrefix(loc, "/login") {
		t.Errorf("t1's session after disabling: %d %q, want a redirect to log in", st, loc)
	}
	if st, body := e.loginStatus("t1", pw); st != 401 || !strings.Contains(body, "disabled") {
		t.Errorf("t1 logs in while disabled: %d, want 401 saying the account is disabled", st)
	}
	if st := e.basicStatus("t1", pw); st != 401 {
		t.Errorf("t1's Basic auth while disabled: %d, want 401", st)
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/patients", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("t1's API token while disabled: %d, want 401", resp.StatusCode)
	}
	if _, body := admin.do("GET", "/admin/users", ""); !strings.Contains(body, "Disabled: cannot log in") {
		t.Error("the users page does not say t1 is disabled")
	}
	// The admin cannot lock themselves out.
	if st, body, _ := admin.postForm("/admin/users/"+id(e, "admin")+"/disabled", url.Values{"disabled": {"true"}}); st != 400 || !strings.Contains(body, "your own account") {
		t.Errorf("admin disables themselves: %d, want 400 saying why", st)
	}
	// Enabled again, t1 logs in.
	if st, _, _ := admin.postForm("/admin/users/"+id(e, "t1")+"/disabled", url.Values{"disabled": {"false"}}); st != 303 {
		t.Errorf("enable t1: %d", st)
	}
	if st, _ := e.loginStatus("t1", pw); st != 303 {
		t.Errorf("t1 logs in after enabling: %d, want 303", st)
	}
}

func TestAssignPatientsOnUsersPage(t *testing.T) {
	e := newEnv(t)
	admin, t1 := e.login("admin"), e.login("t1")
	if st, _ := t1.do("GET", "/patients/p2", ""); st != 403 {
		t.Fatalf("t1 sees p2 before assignment: %d", st)
	}
	if st, loc, _ := admin.postForm("/admin/users/"+id(e, "t1")+"/patients", url.Values{"patient": {"p2"}}); st != 303 || loc != "/admin/users?done=assigned" {
		t.Errorf("assign p2 to t1: %d %q", st, loc)
	}
	if st, _ := t1.do("GET", "/patients/p2", ""); st != 200 {
		t.Errorf("t1 GET /patients/p2 after assignment: %d, want 200", st)
	}
	if _, body := t1.do("GET", "/alerts", ""); !strings.Contains(body, `<tr data-alert="a2"`) {
		t.Error("p2's alert is not in t1's inbox after assignment")
	}
	for _, tc := range []struct {
		form  url.Values
		words string
	}{
		{url.Values{"patient": {""}}, "choose a patient"},
		{url.Values{"patient": {"p404"}}, "not found"},
	} {
		if st, body, _ := admin.postForm("/admin/users/"+id(e, "t1")+"/patients", tc.form); st != 400 || !strings.Contains(body, tc.words) {
			t.Errorf("assign %v: %d, want 400 saying %q", tc.form, st, tc.words)
		}
	}
	if st, _, _ := admin.postForm("/admin/users/"+id(e, "admin")+"/patients", url.Values{"patient": {"p2"}}); st != 400 {
		t.Errorf("assign a patient to an admin: %d, want 400", st)
	}
	if st, loc, _ := admin.postForm("/admin/users/"+id(e, "t1")+"/patients/p2/remove", nil); st != 303 || loc != "/admin/users?done=unassigned" {
		t.Errorf("unassign p2: %d %q", st, loc)
	}
	if st, _ := t1.do("GET", "/patients/p2", ""); st != 403 {
		t.Errorf("t1 GET /patients/p2 after unassignment: %d, want 403", st)
	}
}
