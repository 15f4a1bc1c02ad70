package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/reminders"
)

// patientPhone returns a phone logged in as patient (through t1 or t2's
// one-time link), with its CSRF token.
func patientPhone(t *testing.T, e *env, therapist, patient string) *client {
	t.Helper()
	ph := e.phone()
	if st, _ := ph.join(t, createInvite(t, e.login(therapist), patient).link); st != 303 {
		t.Fatalf("join as %s failed", patient)
	}
	ph.csrf = ph.appCSRF(t)
	return ph
}

// TestAppRemindersSaveOwn: a patient sees the defaults (off, every day,
// 09:00), saves a time, days and an address, and sees them again; a
// wrong address is refused on the page in plain words and nothing is
// saved; another patient sees and changes only their own settings, and
// cannot post with the first patient's CSRF token (403); staff cannot use
// the page (403).
func TestAppRemindersSaveOwn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p1 := patientPhone(t, e, "t1", "p1")

	st, body := p1.do("GET", "/app/reminders", "")
	if st != 200 {
		t.Fatalf("GET /app/reminders: %d %s", st, body)
	}
	for _, want := range []string{`<input type="time" name="time" id="time" value="09:00"`, `id="day-1" checked`, `<label for="email">`,
		`<script src="/static/reminders.js" defer></script>`, `id="notify-here" hidden`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="on" checked`) {
		t.Error("reminders are on before the patient chose them")
	}

	form := url.Values{"time": {"07:30"}, "day": {"1", "3", "5"}, "email": {"ada@example.com"}, "on": {"1"}}
	if st, loc := p1.form(t, "/app/reminders", form); st != 303 || loc != "/app/reminders?saved=1" {
		t.Fatalf("save: %d %s", st, loc)
	}
	got, err := e.state.ReminderSettings(ctx, "p1")
	must(t, err)
	want := reminders.Settings{PatientID: "p1", Email: "ada@example.com", Time: "07:30", Days: 1<<1 | 1<<3 | 1<<5, On: true}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(reminders.Settings{}, "UpdatedAt")); diff != "" {
		t.Errorf("saved (-want +got):\n%s", diff)
	}
	// Every app page loads the phone's reminder script, which reads the
	// times from /app/reminders.json.
	if st, js := p1.do("GET", "/app/reminders.json", ""); st != 200 || !strings.Contains(js, `"on": true`) || !strings.Contains(js, `"time": "07:30"`) ||
		!strings.Contains(strings.Join(strings.Fields(js), ""), `"days":[1,3,5]`) {
		t.Errorf("reminders.json: %d %s", st, js)
	}
	if _, home := p1.do("GET", "/app/", ""); !strings.Contains(home, `<script src="/static/reminders.js" defer></script>`) {
		t.Error("the home page does not load the phone's reminder script")
	}
	if st, _ := e.login("t1").do("GET", "/app/reminders.json", ""); st != 403 {
		t.Errorf("staff reading reminders.json: %d, want 403", st)
	}
	_, body = p1.do("GET", "/app/reminders?saved=1", "")
	for _, want := range []string{`id="saved"`, `value="07:30"`, `id="day-3" checked`, `value="ada@example.com"`, `id="on" checked`, `data-days="1,3,5"`} {
		if !strings.Contains(body, want) {
			t.Errorf("after saving, the page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="day-2" checked`) {
		t.Error("Tuesday shows as chosen")
	}

	bad := url.Values{"time": {"07:45"}, "day": {"1"}, "email": {"not an address"}, "on": {"1"}}
	if st, body := p1.form(t, "/app/reminders", bad); st != 400 || !strings.Contains(body, "Please type an e-mail address like name@example.com.") {
		t.Errorf("a wrong address: %d, want 400 with a plain message:\n%s", st, body)
	}
	if got, _ := e.state.ReminderSettings(ctx, "p1"); got.Time != "07:30" {
		t.Errorf("a refused form changed the time to %s", got.Time)
	}

	p2 := patientPhone(t, e, "t2", "p2")
	if _, body := p2.do("GET", "/app/reminders", ""); strings.Contains(body, "ada@example.com") || !strings.Contains(body, `value="09:00"`) {
		t.Error("p2 sees p1's settings")
	}
	if st, _, _ := p2.postForm("/app/reminders", url.Values{"csrf": {p1.csrf}, "time": {"06:00"}, "day": {"0"}, "email": {"x@example.com"}, "on": {"1"}}); st != 403 {
		t.Errorf("p2 posting with p1's CSRF token: %d, want 403", st)
	}
	if st, _ := p2.form(t, "/app/reminders", url.Values{"time": {"06:00"}, "day": {"0"}, "email": {"grace@example.com"}, "on": {"1"}}); st != 303 {
		t.Errorf("p2 saving their own: %d", st)
	}
	if got, _ := e.state.ReminderSettings(ctx, "p1"); got.Email != "ada@example.com" || got.Time != "07:30" {
		t.Errorf("p2's save changed p1's settings: %+v", got)
	}
	if got, _ := e.state.ReminderSettings(ctx, "p2"); got.Email != "grace@example.com" {
		t.Errorf("p2's settings: %+v", got)
	}

	staff := e.login("t1")
	if st, _ := staff.do("GET", "/app/reminders", ""); st != 403 {
		t.Errorf("staff GET /app/reminders: %d, want 403", st)
	}
	if st, _, _ := staff.postForm("/app/reminders", form); st != 403 {
		t.Errorf("staff POST /app/reminders: %d, want 403", st)
	}
	if _, err := e.state.ReminderSettings(ctx, "p3"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("p3 has settings nobody saved: %v", err)
	}
}
