package dashboard_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
)

// TestPatientFormAddsAndEdits: an administrator adds a patient through
// the page's form (heights typed in cm stored in m, the date of birth, the
// contact), edits the details (the id stays), and gets errors in words on
// the form with what was typed kept; a therapist may not.
func TestPatientFormAddsAndEdits(t *testing.T) {
	e := newEnv(t)
	a := e.login("admin")
	if st, body := a.do("GET", "/", ""); st != 200 || !strings.Contains(body, `href="/admin/patients/new"`) {
		t.Errorf("list: %d, add link %v", st, strings.Contains(body, `href="/admin/patients/new"`))
	}
	if st, body := a.do("GET", "/admin/patients/new", ""); st != 200 || !strings.Contains(body, `<label for="p-name">`) {
		t.Fatalf("new form: %d %.200q", st, body)
	}
	form := url.Values{"id": {"p9"}, "name": {"Ada Example"}, "date_of_birth": {"1941-03-09"}, "neuropathy": {"yes"},
		"height_cm": {"168"}, "sensor_height_cm": {"98,5"}, "phone": {"+44 20 7946 0000"}, "address": {"1 High Street"}, "contact": {"Ben (son) +44 20 7946 0001"}}
	if st, loc, _ := a.postForm("/admin/patients", form); st != 303 || loc != "/patients/p9" {
		t.Fatalf("add: %d %q, want 303 to the patient", st, loc)
	}
	p, err := e.state.Patient(t.Context(), "p9")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Ada Example" || p.DateOfBirth.String() != "1941-03-09" || !p.Neuropathy || p.HeightM != 1.68 || p.SensorHeightM != 0.985 ||
		p.Phone != "+44 20 7946 0000" || p.Address != "1 High Street" || p.Contact != "Ben (son) +44 20 7946 0001" {
		t.Errorf("stored %+v", p)
	}
	created := p.CreatedAt
	// Adding the same id again is refused, not an overwrite.
	if st, body, _ := a.postForm("/admin/patients", url.Values{"id": {"p9"}, "name": {"Someone Else"}}); st != 409 || !strings.Contains(body, "exists already") {
		t.Errorf("duplicate id: %d %.300q", st, body)
	}
	// Edit: the form shows the details; a change is saved; the id stays.
	if st, body := a.do("GET", "/admin/patients/p9", ""); st != 200 || !strings.Contains(body, `value="168"`) || !strings.Contains(body, `value="1941-03-09"`) {
		t.Errorf("edit form: %d, height %v, dob %v", st, strings.Contains(body, `value="168"`), strings.Contains(body, `value="1941-03-09"`))
	}
	form.Set("phone", "+44 20 7946 0999")
	form.Set("id", "ignored")
	form.Del("neuropathy")
	if st, loc, _ := a.postForm("/admin/patients/p9", form); st != 303 || loc != "/patients/p9" {
		t.Fatalf("edit: %d %q", st, loc)
	}
	if p, _ := e.state.Patient(t.Context(), "p9"); p.Phone != "+44 20 7946 0999" || p.Neuropathy || !p.CreatedAt.Equal(created) {
		t.Errorf("after edit %+v", p)
	}
	if _, err := e.state.Patient(t.Context(), "ignored"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("the edit created patient %q: %v", "ignored", err)
	}
	// Errors in words, what was typed kept.
	for _, tc := range []struct {
		field, value, want string
	}{
		{"date_of_birth", "1941-02-30", "not a real date"},
		{"height_cm", "tall", "number of centimetres"},
		{"name", "", "needs a name"},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(tc.field, tc.value)
		st, body, _ := a.postForm("/admin/patients/p9", bad)
		if st != 400 || !strings.Contains(body, tc.want) || !strings.Contains(body, `value="Ada Example"`) && tc.field != "name" || !strings.Contains(body, `1 High Street</textarea>`) {
			t.Errorf("%s=%q: %d, says %q %v, keeps what was typed %v", tc.field, tc.value, st, tc.want, strings.Contains(body, tc.want), strings.Contains(body, `1 High Street</textarea>`))
		}
	}
	// A therapist may not.
	th := e.login("t1")
	if st, body := th.do("GET", "/admin/patients/p1", ""); st != 403 || !strings.Contains(body, "Not allowed") {
		t.Errorf("therapist edit form: %d", st)
	}
	if st, _, _ := th.postForm("/admin/patients/p1", url.Values{"name": {"Changed"}}); st != 403 {
		t.Errorf("therapist edit: %d, want 403", st)
	}
	if p, _ := e.state.Patient(t.Context(), "p1"); p.Name != "Patient p1" {
		t.Errorf("therapist changed the name to %q", p.Name)
	}
}
