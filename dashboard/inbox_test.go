package dashboard_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/dashboard"
	"github.com/balance-pt/balance/internal/route"
)

// postForm posts a form as a browser without script does: the CSRF token
// as the field "csrf" (not the header). It returns the status and the
// Location of a redirect, else the body, and the Content-Type.
func (c *client) postForm(path string, v url.Values) (int, string, string) {
	if v == nil {
		v = url.Values{}
	}
	if c.csrf != "" && v.Get("csrf") == "" {
		v.Set("csrf", c.csrf)
	}
	resp, err := c.PostForm(c.base+path, v)
	if err != nil {
		return 0, err.Error(), ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type")
	}
	return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
}

var rowRE = regexp.MustCompile(`<tr data-alert="([^"]+)"`)

// rows returns the alert ids of the inbox's rows, in order.
func rows(body string) []string {
	var out []string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// moreAlerts adds to newEnv's a1..a3 (urgent falls, open, raised at
// testNow): an info alert of p2 raised during a silence of its device, a
// warning of p3 acknowledged, and a resolved high alert of p1, raised
// later in that order.
func moreAlerts(t *testing.T, e *env) {
	t.Helper()
	ctx := t.Context()
	st := e.state.AlertStore()
	_, err := st.AddSilence(ctx, balance.Silence{PatientID: "p2", DeviceID: "d2", StartsAt: testNow, EndsAt: testNow.Add(time.Hour), Reason: "charging", CreatedAt: testNow})
	must(t, err)
	for i, a := range []balance.Alert{
		{ID: "off2", Kind: balance.AlertDeviceOffline, Severity: balance.SeverityInfo, PatientID: "p2", DeviceID: "d2", Summary: "sensor of p2 offline"},
		{ID: "trend3", Kind: balance.AlertTrend, Severity: balance.SeverityWarning, PatientID: "p3", Summary: "p3 walks slower"},
		{ID: "risk1", Kind: balance.AlertRiskRose, Severity: balance.SeverityHigh, PatientID: "p1", Summary: "p1 risk high"},
	} {
		a.GroupKey, a.Status = a.PatientID+"/"+a.Kind, balance.AlertOpen
		a.CreatedAt = testNow.Add(time.Duration(i+1) * time.Minute)
		a.OccurredAt = a.CreatedAt
		_, err := st.Enqueue(ctx, a, nil, testNow)
		must(t, err)
	}
	_, err = st.Ack(ctx, "trend3", "t2", testNow.Add(5*time.Minute))
	must(t, err)
	_, _, err = st.Resolve(ctx, "risk1", "risk fell", testNow.Add(6*time.Minute), time.Hour)
	must(t, err)
}

func TestInboxFilters(t *testing.T) {
	e := newEnv(t)
	moreAlerts(t, e)
	admin, t1, t2 := e.login("admin"), e.login("t1"), e.login("t2")
	all := []string{"risk1", "trend3", "off2", "a1", "a2", "a3"} // newest first (a1..a3 tie, by id)
	for _, tc := range []struct {
		name  string
		c     *client
		query string
		want  []string
	}{
		{"admin, everything", admin, "", all},
		{"severity", admin, "severity=urgent", []string{"a1", "a2", "a3"}},
		{"severity info", admin, "severity=info", []string{"off2"}},
		{"patient", admin, "patient=p1", []string{"risk1", "a1"}},
		{"state open", admin, "state=open", []string{"off2", "a1", "a2", "a3"}},
		{"state acknowledged", admin, "state=acknowledged", []string{"trend3"}},
		{"state resolved", admin, "state=resolved", []string{"risk1"}},
		{"state silenced", admin, "state=silenced", []string{"off2"}},
		{"kind", admin, "kind=" + balance.AlertTrend, []string{"trend3"}},
		{"kind and patient", admin, "kind=fall&patient=p3", []string{"a3"}},
		{"nothing matches", admin, "kind=fall&state=resolved", nil},
		{"t1 sees only p1", t1, "", []string{"risk1", "a1"}},
		{"t2 sees only p2 and p3", t2, "", []string{"trend3", "off2", "a2", "a3"}},
		{"t2 filtered", t2, "severity=urgent", []string{"a2", "a3"}},
	} {
		st, body := tc.c.do("GET", "/alerts?"+tc.query, "")
		if st != 200 {
			t.Errorf("%s: status %d", tc.name, st)
			continue
		}
		if diff := cmp.Diff(tc.want, rows(body)); diff != "" {
			t.Errorf("%s: rows (-want +got):\n%s", tc.name, diff)
		}
	}

	// A row says severity and state in words, names the patient with a
	// link, and the time zone of its time.
	_, body := admin.do("GET", "/alerts?patient=p3", "")
	for _, want := range []string{`<span class="sev sev-warning">Warning</span>`, `<a href="/patients/p3">Patient p3</a>`,
		"Acknowledged by t2, Fri 20 Nov 2026, 12:05 UTC", "Worsening trend", "p3 walks slower", "Times are in UTC", `<label for="f-severity">`} {
		if !strings.Contains(body, want) {
			t.Errorf("inbox for p3 lacks %q", want)
		}
	}
	_, body = admin.do("GET", "/alerts?state=silenced", "")
	if !strings.Contains(body, "silenced: not sent") {
		t.Error("a silenced alert is not said to be silenced")
	}
	// The filter form keeps its choices.
	_, body = admin.do("GET", "/alerts?severity=info&state=silenced", "")
	if !strings.Contains(body, `<option value="info" selected>`) || !strings.Contains(body, `<option value="silenced" selected>`) {
		t.Error("the filter form forgets what was chosen")
	}

	// Limits: the first rows, and a link to more.
	st, body := admin.do("GET", "/alerts?limit=2", "")
	if st != 200 || !cmp.Equal(rows(body), all[:2]) {
		t.Errorf("limit 2: %d %v", st, rows(body))
	}
	if !strings.Contains(body, `href="/alerts?limit=52"`) {
		t.Error("limit 2 of 6: no link to show more")
	}
	if _, body := admin.do("GET", "/alerts", ""); strings.Contains(body, "Show more") {
		t.Error("every alert shown, yet a link to show more")
	}

	// Bad filters are said in words; another's patient is refused.
	for _, tc := range []struct {
		c     *client
		query string
		want  int
		words string
	}{
		{admin, "severity=bad", 400, "no severity"},
		{admin, "state=closed", 400, "no state"},
		{admin, "limit=0", 400, "number of alerts"},
		{t1, "patient=p2", 403, "not assigned to you"},
	} {
		st, body := tc.c.do("GET", "/alerts?"+tc.query, "")
		if st != tc.want || !strings.Contains(body, tc.words) {
			t.Errorf("?%s: %d, want %d with %q", tc.query, st, tc.want, tc.words)
		}
	}
}

func TestInboxTimeZone(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	e := newEnv(t, func(c *dashboard.Config) {
		c.Zone = func(string) *time.Location { return cet }
	})
	_, body := e.login("admin").do("GET", "/alerts?patient=p1", "")
	if !strings.Contains(body, "Fri 20 Nov 2026, 13:00 CET") || strings.Contains(body, "Times are in UTC") {
		t.Error("inbox times are not in the clinic's time zone")
	}
}

// TestInboxRefusesOthersPatients: a therapist can neither see nor act on
// the alerts of a patient not assigned to them, and nothing changes.
func TestInboxRefusesOthersPatients(t *testing.T) {
	e := newEnv(t)
	t1 := e.login("t1")
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/alerts/a2", nil},
		{"POST", "/alerts/a2/ack", url.Values{}},
		{"POST", "/alerts/a2/notes", url.Values{"text": {"I saw this"}}},
		{"POST", "/alerts/a2/assignee", url.Values{"assignee": {"t1"}}},
	} {
		var st int
		var body, ctype string
		if tc.method == "GET" {
			resp, err := t1.Get(t1.base + tc.path)
			must(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			st, body, ctype = resp.StatusCode, string(b), resp.Header.Get("Content-Type")
		} else {
			st, body, ctype = t1.postForm(tc.path, tc.form)
		}
		if st != 403 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "not assigned to you") {
			t.Errorf("t1 %s %s: %d %s, want 403 as a page saying why", tc.method, tc.path, st, ctype)
		}
	}
	a, err := e.state.AlertStore().Alert(t.Context(), "a2")
	must(t, err)
	if a.Status != balance.AlertOpen || a.Assignee != "" || a.NoteCount != 0 {
		t.Errorf("after t1's refused actions a2 is %s, assignee %q, %d notes", a.Status, a.Assignee, a.NoteCount)
	}
	// Nor may the alert be assigned to someone who cannot see its patient.
	admin := e.login("admin")
	st, body, _ := admin.postForm("/alerts/a2/assignee", url.Values{"assignee": {"t1"}, "back": {"/alerts"}})
	if st != 400 || !strings.Contains(body, "cannot see this patient") {
		t.Errorf("assigning a2 to t1: %d, want 400 saying why", st)
	}
	// Without the CSRF token a form is refused.
	if st, _, _ := admin.postForm("/alerts/a2/ack", url.Values{"csrf": {"forged"}}); st != 403 {
		t.Errorf("ack with a forged token: %d, want 403", st)
	}
	if a, _ := e.state.AlertStore().Alert(t.Context(), "a2"); a.Status != balance.AlertOpen || a.Assignee != "" {
		t.Errorf("a2 changed by refused posts: %s, assignee %q", a.Status, a.Assignee)
	}
}

// TestInboxActions acknowledges, notes and assigns from the inbox with
// plain form posts, and finds it all on the alert's timeline.
func TestInboxActions(t *testing.T) {
	e := newEnv(t)
	t1 := e.login("t1")
	back := "/alerts?severity=urgent"

	st, loc, _ := t1.postForm("/alerts/a1/ack", url.Values{"back": {back}})
	if st != 303 || loc != "/alerts?done=ack&severity=urgent" {
		t.Errorf("ack: %d %q, want 303 back to the filtered inbox", st, loc)
	}
	a, err := e.state.AlertStore().Alert(t.Context(), "a1")
	must(t, err)
	if a.Status != balance.AlertAcknowledged || a.AckedBy != "t1" {
		t.Errorf("after ack a1 is %s by %q, want acknowledged by t1", a.Status, a.AckedBy)
	}
	_, body := t1.do("GET", loc, "")
	if !strings.Contains(body, "Alert acknowledged.") || !strings.Contains(body, "Acknowledged by t1") {
		t.Error("the inbox does not confirm the acknowledgement")
	}

	// A note: stored with its author and time; an empty one is refused in words.
	if st, body, _ := t1.postForm("/alerts/a1/notes", url.Values{"text": {"   "}, "back": {back}}); st != 400 || !strings.Contains(body, "a note must have 1 to") {
		t.Errorf("empty note: %d, want 400 saying why", st)
	}
	if st, loc, _ := t1.postForm("/alerts/a1/notes", url.Values{"text": {"Called; she is fine & resting."}, "back": {"/alerts/a1"}}); st != 303 || loc != "/alerts/a1?done=note" {
		t.Errorf("note: %d %q", st, loc)
	}
	ns, err := e.state.AlertStore().Notes(t.Context(), "a1")
	must(t, err)
	if len(ns) != 1 || ns[0].Author != "t1" || ns[0].Text != "Called; she is fine & resting." || !ns[0].CreatedAt.Equal(testNow) {
		t.Errorf("notes = %+v", ns)
	}

	// Assign: to the admin (who sees every patient), then to no one.
	if st, _, _ := t1.postForm("/alerts/a1/assignee", url.Values{"assignee": {"admin"}}); st != 303 {
		t.Errorf("assign to admin: %d", st)
	}
	_, body = t1.do("GET", "/alerts", "")
	row := body[strings.Index(body, `<tr data-alert="a1"`):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{`<td class="assignee">admin</td>`, `<td class="notes">1</td>`, `<option value="admin" selected>admin</option>`} {
		if !strings.Contains(row, want) {
			t.Errorf("inbox row of a1 lacks %q", want)
		}
	}
	if strings.Contains(row, `value="t2"`) {
		t.Error("t2, who cannot see p1, is offered as assignee")
	}
	if st, _, _ := t1.postForm("/alerts/a1/assignee", url.Values{"assignee": {""}}); st != 303 {
		t.Errorf("unassign: %d", st)
	}

	// The timeline, oldest first.
	st, body = t1.do("GET", "/alerts/a1", "")
	if st != 200 {
		t.Fatalf("alert page: %d", st)
	}
	var order []int
	for _, want := range []string{"<b>Happened</b>", "<b>Alert raised</b>", "<b>Acknowledged</b> · t1", "<b>Note</b> · t1",
		"Called; she is fine &amp; resting.", "<b>Assigned to admin</b> · t1", "<b>Unassigned</b> · t1"} {
		i := strings.Index(body, want)
		if i < 0 {
			t.Errorf("timeline lacks %q", want)
		}
		order = append(order, i)
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Errorf("timeline out of order: %v", order)
			break
		}
	}
	// The API's view of the alert has the note too.
	_, js := t1.do("GET", "/api/v1/alerts/a1", "")
	if !strings.Contains(js, `"text": "Called; she is fine \u0026 resting."`) {
		t.Errorf("GET /api/v1/alerts/a1 lacks the note: %s", js)
	}
}

// TestNewRoutesHaveTheirRules: the inbox is for any logged-in user (its
// service checks each alert's patient); the users pages for admins only.
func TestNewRoutesHaveTheirRules(t *testing.T) {
	e := newEnv(t)
	m := route.New(e.srv)
	e.srv.Routes(m)
	got := map[string]string{}
	for _, r := range m.Routes() {
		got[r.Pattern] = r.Rule.String()
	}
	for pattern, want := range map[string]string{
		"GET /alerts": "user", "GET /alerts/{id}": "user", "POST /alerts/{id}/ack": "user",
		"POST /alerts/{id}/notes": "user", "POST /alerts/{id}/assignee": "user",
		"GET /admin/users": "admin", "POST /admin/users": "admin", "POST /admin/users/{id}/password": "admin",
		"POST /admin/users/{id}/disabled": "admin", "POST /admin/users/{id}/patients": "admin",
		"POST /admin/users/{id}/patients/{pid}/remove": "admin",
	} {
		if got[pattern] != want {
			t.Errorf("%s: rule %q, want %q", pattern, got[pattern], want)
		}
	}
	for pattern, rule := range got {
		if _, path, _ := strings.Cut(pattern, " "); strings.HasPrefix(path, "/admin/") && rule != "admin" {
			t.Errorf("%s: rule %s, want admin", pattern, rule)
		}
	}
	// Logged out, the pages send to the log-in page.
	c := e.anon()
	for _, p := range []string{"/alerts", "/alerts/a1", "/admin/users"} {
		if st, loc := c.do("GET", p, ""); st != 303 || !strings.HasPrefix(loc, "/login?next=") {
			t.Errorf("logged out GET %s: %d %q, want a redirect to log in", p, st, loc)
		}
	}
}
