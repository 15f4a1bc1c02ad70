package httpapi_test

import (
	"strings"
	"testing"
	"time"
)

// TestPatientDateOfBirthAPI: POST /api/v1/patients takes "date_of_birth"
// (YYYY-MM-DD), GET returns it, an update may change it, and a date that
// does not exist, is written another way or lies in the future is refused
// with 400 "invalid" and a message naming the problem.
func TestPatientDateOfBirthAPI(t *testing.T) {
	srv, _, _ := newServer(t)
	if st, m, body := call(t, "POST", srv.URL+"/api/v1/patients", `{"id":"p1","name":"Ada","date_of_birth":"1948-03-07"}`); st != 201 || m["date_of_birth"] != "1948-03-07" {
		t.Fatalf("create: %d %s", st, body)
	}
	if got := getDOB(t, srv.URL, "p1"); got != "1948-03-07" {
		t.Errorf("get: date_of_birth %v", got)
	}
	if st, m, body := call(t, "POST", srv.URL+"/api/v1/patients", `{"id":"p1","name":"Ada","date_of_birth":"1948-03-08"}`); st != 201 || m["date_of_birth"] != "1948-03-08" {
		t.Errorf("update: %d %s", st, body)
	}
	if st, _, body := call(t, "POST", srv.URL+"/api/v1/patients", `{"id":"p2","name":"No date"}`); st != 201 || strings.Contains(body, "date_of_birth") {
		t.Errorf("without a date of birth: %d %s (want it left out)", st, body)
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
	for _, tc := range []struct{ dob, want string }{
		{"1950-02-30", "not a real date"},
		{"07/03/1948", "not a real date"},
		{"1948-3-7", "not a real date"},
		{tomorrow, "in the future"},
	} {
		st, m, body := call(t, "POST", srv.URL+"/api/v1/patients", `{"id":"p1","name":"Ada","date_of_birth":"`+tc.dob+`"}`)
		if st != 400 || m["error"] != "invalid" || !strings.Contains(body, tc.want) {
			t.Errorf("date of birth %q: %d %s; want 400 invalid saying %q", tc.dob, st, body, tc.want)
		}
	}
	if got := getDOB(t, srv.URL, "p1"); got != "1948-03-08" {
		t.Errorf("after refused updates: date_of_birth %v", got)
	}
}

// getDOB is the date_of_birth GET /api/v1/patients/{id} answers (nil when
// left out).
func getDOB(t *testing.T, base, id string) any {
	t.Helper()
	st, m, body := call(t, "GET", base+"/api/v1/patients/"+id, "")
	p, ok := m["patient"].(map[string]any)
	if st != 200 || !ok {
		t.Fatalf("get %s: %d %s", id, st, body)
	}
	return p["date_of_birth"]
}
