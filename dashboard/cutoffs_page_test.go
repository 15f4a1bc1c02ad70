package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/dashboard"
	"github.com/balance-pt/balance/monitor"
)

// TestCutoffsPage: the patient's therapist sets the patient's own TUG
// cut-offs on the page; they are stored with author and time, the trend
// chart draws them (one source: the charts read the same
// monitor.ThresholdSource monitoring assesses with), "use the clinic's"
// brings the neuropathy defaults back (TUG 11 / 12 s, NeuropathyThresholds),
// bad values come back in words with nothing stored, and another
// therapist may not.
func TestCutoffsPage(t *testing.T) {
	var e *env
	cfg := monitor.DefaultConfig()
	e = newEnv(t, func(c *dashboard.Config) {
		c.Thresholds = func(ctx context.Context, id string, neuropathy bool) (balance.Thresholds, error) {
			return monitor.ThresholdSource{Config: &cfg, Cutoffs: e.state}.For(ctx, id, neuropathy)
		}
	})
	must(t, e.state.CreatePatient(t.Context(), balance.Patient{ID: "p1", Name: "Patient p1", Neuropathy: true}))
	writeMeasurements(t, e, "p1", 10)
	c := e.login("t1")
	st, body := c.do("GET", "/patients/p1/cutoffs", "")
	if st != 200 || !strings.Contains(body, "clinic's cut-offs for patients with neuropathy") || !strings.Contains(body, `name="tug_high_s" inputmode="decimal" value="12"`) {
		t.Fatalf("page: %d %.400q", st, body)
	}
	form := url.Values{"action": {"save"}}
	for _, f := range []struct{ k, v string }{{"gait_speed_moderate_mps", "1.1"}, {"gait_speed_high_mps", "0.9"}, {"tug_moderate_s", "12.5"}, {"tug_high_s", "14.5"},
		{"sts5_moderate_s", "11"}, {"sts5_high_s", "13.5"}, {"tandem_moderate_s", "10"}, {"tandem_high_s", "5"},
		{"stride_time_sd_moderate_s", "0.07"}, {"stride_time_sd_high_s", "0.106"}} {
		form.Set(f.k, f.v)
	}
	if st, loc, _ := c.postForm("/patients/p1/cutoffs", form); st != 303 || loc != "/patients/p1/cutoffs?done=saved" {
		t.Fatalf("save: %d %q", st, loc)
	}
	own, ok, err := e.state.PatientCutoffs(t.Context(), "p1")
	if err != nil || !ok || own.TUGModerate != 12.5 || own.TUGHigh != 14.5 || own.By != "t1" {
		t.Fatalf("stored %+v %v %v", own, ok, err)
	}
	_, svg := c.do("GET", "/patients/p1/charts/tug.svg", "")
	if !strings.Contains(svg, "high risk from: 14.5<") || !strings.Contains(svg, "moderate risk from: 12.5<") {
		t.Error("the TUG chart does not draw the patient's own cut-offs")
	}
	_, page := c.do("GET", "/patients/p1/cutoffs", "")
	if !strings.Contains(page, "patient's own cut-offs, set by t1") {
		t.Error("the page does not say the cut-offs are the patient's own")
	}
	// Invalid: high below moderate, and a word; nothing stored.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("tug_high_s", "10")
	bad.Set("sts5_high_s", "soon")
	st, body, _ = c.postForm("/patients/p1/cutoffs", bad)
	if st != 400 || !strings.Contains(body, "Five-times sit-to-stand, high risk must be a number") {
		t.Errorf("bad values: %d %.300q", st, body)
	}
	bad.Set("sts5_high_s", "13.5")
	st, body, _ = c.postForm("/patients/p1/cutoffs", bad)
	if st != 400 || !strings.Contains(body, "tug_high_s") || !strings.Contains(body, `value="10"`) {
		t.Errorf("high below moderate: %d %.300q", st, body)
	}
	if own, _, _ := e.state.PatientCutoffs(t.Context(), "p1"); own.TUGHigh != 14.5 {
		t.Errorf("a refused change stored TUG high %v", own.TUGHigh)
	}
	// Another therapist may not (p1 is t1's).
	if st, _, _ := e.login("t2").postForm("/patients/p1/cutoffs", url.Values{"action": {"clinic"}}); st != 403 {
		t.Errorf("t2 clearing p1's cut-offs: %d, want 403", st)
	}
	// Back to the clinic's.
	if st, loc, _ := c.postForm("/patients/p1/cutoffs", url.Values{"action": {"clinic"}}); st != 303 || loc != "/patients/p1/cutoffs?done=cleared" {
		t.Fatalf("clear: %d %q", st, loc)
	}
	_, svg = c.do("GET", "/patients/p1/charts/tug.svg", "")
	if !strings.Contains(svg, "high risk from: 12<") || !strings.Contains(svg, "moderate risk from: 11<") {
		t.Error("after clearing, the TUG chart does not draw the neuropathy defaults 11 / 12 s")
	}
}
