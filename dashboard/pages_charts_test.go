package dashboard_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

// TestChartRanges: the patient page and its charts take ?days=30|90|365
// (90 by default), say the range, link the others, and refuse other
// values in words (a page for the page, JSON for the API).
func TestChartRanges(t *testing.T) {
	e := newEnv(t)
	writeMeasurements(t, e, "p1", 10)
	c := e.login("t1")
	for _, tc := range []struct {
		query, heading string
		links          []string
	}{
		{"", "Trends (last 90 days)", []string{"?days=30#charts", "?days=365#charts"}},
		{"?days=30", "Trends (last 30 days)", []string{"?days=90#charts", "?days=365#charts"}},
		{"?days=365", "Trends (last 365 days)", []string{"?days=30#charts", "?days=90#charts"}},
	} {
		st, body := c.do("GET", "/patients/p1"+tc.query, "")
		if st != 200 || !strings.Contains(body, tc.heading) {
			t.Errorf("%q: status %d, heading %q present %v", tc.query, st, tc.heading, strings.Contains(body, tc.heading))
		}
		for _, l := range tc.links {
			if !strings.Contains(body, `href="/patients/p1`+l+`"`) {
				t.Errorf("%q: no link to %s", tc.query, l)
			}
		}
	}
	// Each chart says in words what it draws: the TUG chart has one test a
	// week over the 10 days written (days 0 and 7 back, 2 h before noon).
	_, page := c.do("GET", "/patients/p1", "")
	want := `data-first="` + testNow.AddDate(0, 0, -7).Format("2006-01-02") + `" data-last="` + testNow.Format("2006-01-02") + `">Timed Up and Go: 2 measurements from`
	if !strings.Contains(page, want) {
		t.Errorf("the TUG chart's caption lacks %q", want)
	}
	st, body := c.do("GET", "/patients/p1?days=7", "")
	if st != 400 || !strings.Contains(body, "<!doctype html>") || !strings.Contains(body, "30, 90 or 365 days") {
		t.Errorf("days=7 page: %d %.200q, want a 400 page saying the choices", st, body)
	}
	if st, body := c.do("GET", "/api/v1/dashboard/patients/p1?days=7", ""); st != 400 || !strings.Contains(body, `"invalid"`) {
		t.Errorf("days=7 API: %d %.200q, want 400 JSON", st, body)
	}
	var v struct {
		Days int       `json:"days"`
		From time.Time `json:"from"`
	}
	st, body = c.do("GET", "/api/v1/dashboard/patients/p1?days=30", "")
	if err := json.Unmarshal([]byte(body), &v); st != 200 || err != nil || v.Days != 30 || !v.From.Equal(testNow.AddDate(0, 0, -30)) {
		t.Errorf("API days=30: %d, %+v, %v", st, v, err)
	}
}

// TestRefusedPagesAreHTML: a page a user may not see, or that does not
// exist, answers with an HTML page in words (not raw JSON), with its status.
func TestRefusedPagesAreHTML(t *testing.T) {
	e := newEnv(t)
	c := e.login("t1") // assigned p1 only
	for _, tc := range []struct {
		path  string
		st    int
		title string
	}{
		{"/patients/p2", 403, "Not allowed"},
		{"/patients/p2/rtm", 403, "Not allowed"},
		{"/patients/p2/sessions/s1", 403, "Not allowed"},
	} {
		st, body := c.do("GET", tc.path, "")
		if st != tc.st || !strings.HasPrefix(body, "<!doctype html>") || !strings.Contains(body, `<h1 id="error-title">`+tc.title+`</h1>`) ||
			!strings.Contains(body, `<html lang="en">`) {
			t.Errorf("%s: %d %.300q; want %d and the %q page", tc.path, st, body, tc.st, tc.title)
		}
	}
	a := e.login("admin")
	if st, body := a.do("GET", "/patients/nobody", ""); st != 404 || !strings.Contains(body, `<h1 id="error-title">Not found</h1>`) {
		t.Errorf("unknown patient: %d %.300q, want the 404 page", st, body)
	}
	// The API keeps answering in JSON.
	if st, body := c.do("GET", "/api/v1/dashboard/patients/p2", ""); st != 403 || !strings.HasPrefix(strings.TrimSpace(body), "{") {
		t.Errorf("API refusal: %d %.100q, want JSON", st, body)
	}
}

// TestSwaySessionPage: a sway test's page says its result in words and
// draws the sway path with its 95 % ellipse. The samples sway forward
// 0.2 sin(2π·0.25 t) and sideways 0.1 sin(2π·0.5 t) m/s² for 30 s at
// 100 Hz; after the 1 s trim each axis holds whole periods, so its
// variance is amplitude²/2 and the semi-axes are sqrt(5.991·a²/2)
// (χ²₂ at 95 %): 0.346 and 0.173 m/s².
func TestSwaySessionPage(t *testing.T) {
	e := newEnv(t)
	start := testNow.Add(-time.Hour)
	var ss []balance.Sample
	for i := 0; i < 3000; i++ {
		s := float64(i) / 100
		ss = append(ss, balance.Sample{TimeNS: start.UnixNano() + int64(i)*1e7,
			Acc: [3]float64{0.2 * math.Sin(2*math.Pi*0.25*s), 0.1 * math.Sin(2*math.Pi*0.5*s), 9.81}})
	}
	must(t, e.samples.WriteBatches(t.Context(), []*balance.Batch{{DeviceID: "d1", PatientID: "p1", Samples: ss}}))
	must(t, e.state.SaveExerciseSession(t.Context(), balance.ExerciseSession{ID: "sw1", PatientID: "p1", DeviceID: "d1", Kind: balance.SessionSway,
		ExerciseID: "feet_together", Start: start, End: start.Add(30 * time.Second), HoldS: 28, Sway: map[string]float64{"rms": 0.158, "ellipse95": 0.188},
		Quality: []string{"ap_unknown"}}))
	st, body := e.login("t1").do("GET", "/patients/p1/sessions/sw1", "")
	if st != 200 {
		t.Fatalf("session page: %d %.300q", st, body)
	}
	for _, want := range []string{"<h1>Sway test (feet together)</h1>", "Stood 28.0 s; sway 0.158 m/s² (RMS)", `id="chart-sway-path"`,
		"semi-axes are 0.346 and 0.173 m/s²", "forward and sideways sway are not told apart"} {
		if !strings.Contains(body, want) {
			t.Errorf("session page lacks %q", want)
		}
	}
	// The patient page lists it in words, not raw keys.
	_, page := e.login("t1").do("GET", "/patients/p1", "")
	if !strings.Contains(page, "Stood 28.0 s; sway 0.158 m/s²") || strings.Contains(page, "passed=") || strings.Contains(page, "rms=") {
		t.Error("patient page does not describe the session in words")
	}
}
