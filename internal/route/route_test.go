package route

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
)

// headerGuard logs in the user named in the X-User header: "admin" sees
// every patient, "t1" sees p1 only, "patient:p1" is patient p1 on their
// phone, no header is no log-in.
type headerGuard struct{}

func (headerGuard) Authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	var v *balance.Viewer
	switch r.Header.Get("X-User") {
	case "admin":
		v = &balance.Viewer{User: balance.User{Username: "admin", Role: balance.RoleAdmin}, AllPatients: true}
	case "t1":
		v = &balance.Viewer{User: balance.User{Username: "t1", Role: balance.RoleTherapist}, Patients: map[string]bool{"p1": true}}
	case "patient:p1":
		v = balance.PatientViewer("p1")
	default:
		return r, balance.Errorf(balance.EUNAUTHORIZED, "log in first")
	}
	return r.WithContext(balance.NewContextWithViewer(r.Context(), v)), nil
}

func (headerGuard) Refuse(w http.ResponseWriter, r *http.Request, err error) {
	httpjson.Error(w, r, nil, 0, err)
}

// TestRouteWithoutRuleCannotBeRegistered: deny by default starts at
// registration; a route must say who may call it.
func TestRouteWithoutRuleCannotBeRegistered(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string
		rule    Rule
		want    string
	}{
		{"zero rule", "GET /api/v1/new", Rule{}, "without an access rule"},
		{"patient rule without the parameter", "GET /api/v1/things/{tid}", Patient("id"), "lacks"},
		{"own rule without the parameter", "GET /api/v1/things/{tid}", Own("id"), "lacks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatalf("Handle(%q, %v) did not panic", tc.pattern, tc.rule)
				}
				if !strings.Contains(r.(string), tc.want) {
					t.Errorf("panic %q, want it to say %q", r, tc.want)
				}
			}()
			New(headerGuard{}).Handle(tc.pattern, tc.rule, http.NotFoundHandler())
		})
	}
}

// TestRulesAreApplied: each rule against each kind of caller, and paths no
// route matches.
func TestRulesAreApplied(t *testing.T) {
	m := New(headerGuard{})
	ok := func(w http.ResponseWriter, r *http.Request) {
		v := balance.ViewerFromContext(r.Context())
		name := "anonymous"
		if v != nil {
			name = v.User.Username
		}
		w.Write([]byte(name))
	}
	m.HandleFunc("GET /healthz", Open, ok)
	m.HandleFunc("GET /api/v1/status", User, ok)
	m.HandleFunc("GET /api/v1/users", Admin, ok)
	m.HandleFunc("GET /api/v1/patients/{id}", Patient("id"), ok)
	m.HandleFunc("GET /api/v1/patients/{id}/today", Own("id"), ok)
	m.HandleFunc("GET /app/{$}", Self, ok)
	m.HandleFunc("POST /api/v1/alerts/{id}/answer", UserOrPatient, ok)
	const pat = "patient:p1"
	for _, tc := range []struct {
		user, method, path string
		want               int
	}{
		{"", "GET", "/healthz", 200},
		{"", "GET", "/api/v1/status", 401},
		{"t1", "GET", "/api/v1/status", 200},
		{"t1", "GET", "/api/v1/users", 403},
		{"admin", "GET", "/api/v1/users", 200},
		{"t1", "GET", "/api/v1/patients/p1", 200},
		{"t1", "GET", "/api/v1/patients/p2", 403},
		{"admin", "GET", "/api/v1/patients/p2", 200},
		{"", "GET", "/api/v1/patients/p1", 401},
		// No route: log-in first, then 404 for admins and 403 for others;
		// another method on a known path is no route either.
		{"", "GET", "/api/v1/nothing", 401},
		{"t1", "GET", "/api/v1/nothing", 403},
		{"admin", "GET", "/api/v1/nothing", 404},
		{"t1", "DELETE", "/api/v1/patients/p1", 403},
		// Own: staff as for Patient, and the patient themself only.
		{"t1", "GET", "/api/v1/patients/p1/today", 200},
		{"t1", "GET", "/api/v1/patients/p2/today", 403},
		{"admin", "GET", "/api/v1/patients/p2/today", 200},
		{"", "GET", "/api/v1/patients/p1/today", 401},
		{pat, "GET", "/api/v1/patients/p1/today", 200},
		{pat, "GET", "/api/v1/patients/p2/today", 403},
		// Self: the patient app, for patients only.
		{pat, "GET", "/app/", 200},
		{"t1", "GET", "/app/", 403},
		{"admin", "GET", "/app/", 403},
		{"", "GET", "/app/", 401},
		// Staff rules refuse a patient, even about themself.
		{pat, "GET", "/api/v1/status", 403},
		{pat, "GET", "/api/v1/users", 403},
		{pat, "GET", "/api/v1/patients/p1", 403},
		{pat, "GET", "/api/v1/patients/p2", 403},
		{pat, "GET", "/api/v1/nothing", 403},
		{pat, "GET", "/healthz", 200},
		// UserOrPatient: staff and patients (the handler checks the patient).
		{pat, "POST", "/api/v1/alerts/a1/answer", 200},
		{"t1", "POST", "/api/v1/alerts/a1/answer", 200},
		{"", "POST", "/api/v1/alerts/a1/answer", 401},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.user != "" {
			req.Header.Set("X-User", tc.user)
		}
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%q %s %s: %d, want %d (%s)", tc.user, tc.method, tc.path, rec.Code, tc.want, rec.Body)
		}
		for k, v := range SecurityHeaders {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%q %s %s: header %s = %q, want %q", tc.user, tc.method, tc.path, k, got, v)
			}
		}
		if rec.Code == 200 && tc.path != "/healthz" && rec.Body.String() != tc.user {
			t.Errorf("%q %s: handler saw viewer %q", tc.user, tc.path, rec.Body)
		}
	}
	if got := len(m.Routes()); got != 7 {
		t.Errorf("Routes() lists %d routes, want 7", got)
	}
}
