package dashboard_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

var deviceRowRE = regexp.MustCompile(`<tr data-device="([^"]+)"`)

// deviceRows returns the device ids of the devices page's rows, in order.
func deviceRows(body string) []string {
	var out []string
	for _, m := range deviceRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// boundTo returns the patient device id is bound to ("" = none).
func boundTo(t *testing.T, e *env, id string) string {
	t.Helper()
	d, err := e.state.Device(context.Background(), id)
	must(t, err)
	return d.PatientID
}

// TestDevicesPageListsWhatTheViewerMaySee: administrators see every
// device, unbound ones too; a therapist only those bound to their
// patients. Status, battery, last status, firmware and the patient are
// given in words, with the bind form's controls labelled.
func TestDevicesPageListsWhatTheViewerMaySee(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must(t, e.state.RegisterDevice(ctx, balance.Device{ID: "d9"}))
	must(t, e.state.SaveStatus(ctx, balance.DeviceStatus{DeviceID: "d1", Online: true, BatteryPct: 80, Firmware: "fw-1.2.3", ReceivedAt: testNow.Add(-12 * time.Minute)}))
	must(t, e.state.SaveStatus(ctx, balance.DeviceStatus{DeviceID: "d2", Online: false, BatteryPct: -1, ReceivedAt: testNow.Add(-3 * time.Hour)}))
	for _, tc := range []struct {
		who        string
		want       []string
		has, lacks []string
	}{
		{"admin", []string{"d1", "d2", "d3", "d9"},
			[]string{"Not bound", `action="/devices"`, `<label for="new-device">`, "Every device, also those not bound"},
			nil},
		{"t1", []string{"d1"},
			[]string{"Online", "80%", "12 min ago", "fw-1.2.3", `<a href="/patients/p1">Patient p1</a>`, "Unbind d1 from Patient p1",
				`<label for="bind-device">`, `<label for="bind-patient">Patient</label>`, `<option value="p1">Patient p1 (p1)</option>`},
			[]string{`action="/devices"`, "Patient p2 (p2)", `value="d9"`}},
		{"t2", []string{"d2", "d3"},
			[]string{"Offline", "not known", "3 h ago", "Unbind d2 from Patient p2", "Patient p3 (p3)"},
			[]string{"Patient p1", "fw-1.2.3"}},
	} {
		st, body := e.login(tc.who).do("GET", "/devices", "")
		if st != 200 {
			t.Fatalf("%s GET /devices: %d %s", tc.who, st, body)
		}
		if got := deviceRows(body); !slices.Equal(got, tc.want) {
			t.Errorf("%s sees devices %v, want %v", tc.who, got, tc.want)
		}
		for _, s := range tc.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s's devices page lacks %q", tc.who, s)
			}
		}
		for _, s := range tc.lacks {
			if strings.Contains(body, s) {
				t.Errorf("%s's devices page shows %q", tc.who, s)
			}
		}
		if !strings.Contains(body, `<a href="/devices">Devices</a>`) {
			t.Errorf("%s: no Devices link in the main navigation", tc.who)
		}
	}
}

// TestDeviceFormsRefuseOthersPatients: a therapist can neither bind a
// device to another therapist's patient, nor take another's device, nor
// unbind it, nor register devices; each refusal is a 403 page and nothing
// changes.
func TestDeviceFormsRefuseOthersPatients(t *testing.T) {
	e := newEnv(t)
	t1 := e.login("t1")
	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"bind own device to another's patient", "/devices/bind", url.Values{"device": {"d1"}, "patient": {"p2"}}},
		{"take another's device", "/devices/bind", url.Values{"device": {"d2"}, "patient": {"p1"}}},
		{"unbind another's device", "/devices/d2/unbind", nil},
		{"register a device", "/devices", url.Values{"device": {"d7"}}},
	} {
		st, body, ctype := t1.postForm(tc.path, tc.form)
		if st != 403 || !strings.HasPrefix(ctype, "text/html") {
			t.Errorf("t1 %s: %d %s, want a 403 page", tc.name, st, ctype)
		} else if !strings.Contains(body, "Not allowed") {
			t.Errorf("t1 %s: the page does not say it is not allowed", tc.name)
		}
	}
	for dev, want := range map[string]string{"d1": "p1", "d2": "p2", "d3": "p3"} {
		if got := boundTo(t, e, dev); got != want {
			t.Errorf("after refused forms %s is bound to %q, want %q", dev, got, want)
		}
	}
	if _, err := e.state.Device(context.Background(), "d7"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("a device registered by a therapist exists: %v", err)
	}
	// Without the session's CSRF token nothing happens either.
	if st, _, _ := e.login("admin").postForm("/devices/d1/unbind", url.Values{"csrf": {"forged"}}); st != 403 {
		t.Errorf("unbind with a forged token: %d, want 403", st)
	}
	if got := boundTo(t, e, "d1"); got != "p1" {
		t.Errorf("after a forged unbind d1 is bound to %q", got)
	}
}

// TestDeviceFormsWork registers, binds (from the devices page and from a
// patient's page) and unbinds by plain form posts, and says in words what
// is wrong with a bad form.
func TestDeviceFormsWork(t *testing.T) {
	e := newEnv(t)
	admin, t1 := e.login("admin"), e.login("t1")

	st, body, _ := admin.postForm("/devices", url.Values{"device": {"d10"}})
	if st != 200 || !strings.Contains(body, "Device d10 registered") {
		t.Fatalf("admin registers d10: %d, want 200 saying so", st)
	}
	if got := boundTo(t, e, "d10"); got != "" {
		t.Errorf("new d10 is bound to %q", got)
	}
	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		says       string
	}{
		{"register a bad id", "/devices", url.Values{"device": {"bad id!"}}, 400, "may hold only letters"},
		{"register an existing id", "/devices", url.Values{"device": {"d1"}}, 409, "registered already"},
		{"bind an unknown device", "/devices/bind", url.Values{"device": {"nope"}, "patient": {"p1"}}, 404, "not found"},
		{"bind without a patient", "/devices/bind", url.Values{"device": {"d10"}}, 400, "Choose the patient"},
		{"bind without a device", "/devices/bind", url.Values{"patient": {"p1"}}, 400, "Type the id of the device"},
	} {
		st, body, _ := admin.postForm(tc.path, tc.form)
		if st != tc.status || !strings.Contains(body, tc.says) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("admin %s: %d, want %d saying %q", tc.name, st, tc.status, tc.says)
		}
	}

	// A therapist binds the unbound device to their patient, then unbinds it.
	if st, loc, _ := t1.postForm("/devices/bind", url.Values{"device": {"d10"}, "patient": {"p1"}}); st != 303 || loc != "/devices?done=bound" {
		t.Fatalf("t1 binds d10 to p1: %d %s", st, loc)
	}
	if got := boundTo(t, e, "d10"); got != "p1" {
		t.Fatalf("d10 bound to %q, want p1", got)
	}
	if st, body := t1.do("GET", "/devices?done=bound", ""); st != 200 || !strings.Contains(body, "Device bound") || !strings.Contains(body, "Unbind d10 from Patient p1") {
		t.Errorf("t1's devices page after binding: %d, want d10 listed and the change confirmed", st)
	}
	if st, loc, _ := t1.postForm("/devices/d10/unbind", nil); st != 303 || loc != "/devices?done=unbound" {
		t.Fatalf("t1 unbinds d10: %d %s", st, loc)
	}
	if got := boundTo(t, e, "d10"); got != "" {
		t.Errorf("d10 after unbinding: bound to %q", got)
	}

	// From the patient's page the forms come back to it.
	if st, loc, _ := t1.postForm("/devices/bind", url.Values{"device": {"d10"}, "patient": {"p1"}, "back": {"/patients/p1"}}); st != 303 || loc != "/patients/p1#devices" {
		t.Errorf("bind from the patient page: %d %s, want back to /patients/p1#devices", st, loc)
	}
	st, body = t1.do("GET", "/patients/p1", "")
	if st != 200 || !strings.Contains(body, `action="/devices/d10/unbind"`) || !strings.Contains(body, "Unbind d10 from Patient p1") ||
		!strings.Contains(body, `<label for="bind-device">`) {
		t.Errorf("patient page after binding: %d, want d10 with its unbind form and a labelled bind form", st)
	}
	if st, loc, _ := t1.postForm("/devices/d10/unbind", url.Values{"back": {"/patients/p1"}}); st != 303 || loc != "/patients/p1#devices" {
		t.Errorf("unbind from the patient page: %d %s", st, loc)
	}
	if got := boundTo(t, e, "d10"); got != "" {
		t.Errorf("d10 after unbinding from the patient page: bound to %q", got)
	}
	// A "back" off the site is not followed.
	if st, loc, _ := t1.postForm("/devices/bind", url.Values{"device": {"d10"}, "patient": {"p1"}, "back": {"https://evil.example/"}}); st != 303 || loc != "/devices?done=bound" {
		t.Errorf("bind with a foreign back: %d %s", st, loc)
	}
}
