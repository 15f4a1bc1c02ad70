package dashboard_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/dashboard"
)

// Rule sources cited below:
//   - CMS, Medicare Physician Fee Schedule final rule CY 2022, 86 FR 64996
//     (19 Nov 2021), section II.I "Remote therapeutic monitoring": 98975,
//     98976 and 98977 need data on at least 16 days of a 30-day period;
//     98975 once per episode of care; 98980/98981 per calendar month with
//     at least one interactive communication.
//   - AMA CPT 2022 descriptors: 98977 "each 30 days"; 98980 "first 20
//     minutes"; 98981 "each additional 20 minutes".

// TestRTMDeviceSupplyDays: 98977 needs data on at least 16 days of the
// 30-day period (86 FR 64996): 15 days are not enough, 16 are.
func TestRTMDeviceSupplyDays(t *testing.T) {
	for _, tc := range []struct {
		days      int
		supported bool
	}{{0, false}, {1, false}, {15, false}, {16, true}, {17, true}, {30, true}} {
		l := dashboard.RTMDeviceSupplyLine(tc.days)
		if l.Code != "98977" || l.Supported != tc.supported || l.Units != b2i(tc.supported) || l.Why == "" {
			t.Errorf("%d days: %+v, want supported %v", tc.days, l, tc.supported)
		}
	}
}

// TestRTMSetup: 98975 needs the same 16 days (86 FR 64996) and is billed
// once per episode of care: the report supports it only when monitoring
// started in the period (no data in the 30 days before), and asks the
// clinician to confirm the set-up, the education and the episode.
func TestRTMSetup(t *testing.T) {
	for _, tc := range []struct {
		days       int
		dataBefore bool
		supported  bool
	}{
		{15, false, false}, // AMA/CMS: fewer than 16 days
		{16, false, true},
		{16, true, false}, // not the start of the episode of care
		{30, true, false},
	} {
		l := dashboard.RTMSetupLine(tc.days, tc.dataBefore)
		if l.Code != "98975" || l.Supported != tc.supported || l.Units != b2i(tc.supported) || l.Why == "" {
			t.Errorf("%d days, data before %v: %+v, want supported %v", tc.days, tc.dataBefore, l, tc.supported)
		}
		if tc.supported && !strings.Contains(l.Confirm, "episode of care") {
			t.Errorf("supported set-up does not ask to confirm the episode: %q", l.Confirm)
		}
	}
}

// TestRTMTreatmentMinutes: 98980 needs 20 minutes in the calendar month
// (19.9 are not enough); 98981 is each additional full 20 minutes,
// floor((minutes-20)/20) units: 40 minutes give 1, 59.9 give 1, 60 give 2
// (AMA CPT 2022 descriptors; 86 FR 64996).
func TestRTMTreatmentMinutes(t *testing.T) {
	for _, tc := range []struct {
		minutes      float64
		first, units int
	}{
		{0, 0, 0},
		{19.9, 0, 0},
		{19.999, 0, 0},
		{20, 1, 0},
		{39.9, 1, 0},
		{40, 1, 1},
		{59.9, 1, 1},
		{60, 1, 2},
		{85, 1, 3},
		{2399.9999999 / 60, 1, 1}, // 40 minutes summed from logged seconds, a rounding error short
	} {
		ls := dashboard.RTMTreatmentLines(tc.minutes, false)
		if ls[0].Code != "98980" || ls[1].Code != "98981" {
			t.Fatalf("codes %s, %s", ls[0].Code, ls[1].Code)
		}
		if ls[0].Units != tc.first || ls[0].Supported != (tc.first > 0) {
			t.Errorf("%v min: 98980 %+v, want %d unit", tc.minutes, ls[0], tc.first)
		}
		if ls[1].Units != tc.units || ls[1].Supported != (tc.units > 0) {
			t.Errorf("%v min: 98981 %+v, want %d units", tc.minutes, ls[1], tc.units)
		}
		// The review log cannot show the interactive communication the
		// codes need: a supported line asks the clinician to confirm it.
		for _, l := range ls {
			if l.Supported && !strings.Contains(l.Confirm, "real time") {
				t.Errorf("%v min: %s supported without asking to confirm the interactive communication: %+v", tc.minutes, l.Code, l)
			}
			if !l.Supported && l.Confirm != "" {
				t.Errorf("%v min: %s not supported but asks to confirm %q", tc.minutes, l.Code, l.Confirm)
			}
		}
	}
	// 19.96 minutes are written 19.9, never rounded up to the threshold.
	if ls := dashboard.RTMTreatmentLines(19.96, false); !strings.Contains(ls[0].Why, "19.9 minutes") {
		t.Errorf("19.96 min: %q", ls[0].Why)
	}
	// With the interactive communication known, nothing is left to confirm.
	want := [2]dashboard.RTMCodeLine{
		{Code: "98980", Description: "Treatment management services, first 20 minutes in the calendar month", Supported: true, Units: 1,
			Why: "60.0 minutes of treatment-management time logged this month (at least 20 needed)."},
		{Code: "98981", Description: "Treatment management services, each additional 20 minutes in the calendar month", Supported: true, Units: 2,
			Why: "60.0 minutes logged: 2 full 20-minute blocks after the first 20 minutes, billed with 98980."},
	}
	if diff := cmp.Diff(want, dashboard.RTMTreatmentLines(60, true)); diff != "" {
		t.Errorf("60 min, interactive (-want +got):\n%s", diff)
	}
}

func TestRTMCodeLinesOrder(t *testing.T) {
	var codes []string
	for _, l := range dashboard.RTMCodeLines(16, false, 45, false) {
		codes = append(codes, l.Code)
		if !l.Supported {
			t.Errorf("%s not supported with 16 days and 45 minutes: %s", l.Code, l.Why)
		}
	}
	if diff := cmp.Diff([]string{"98975", "98977", "98980", "98981"}, codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rtmFixture gives p1 a name and date of birth (through the patient API,
// as an admin would), data on days 1..n of November 2026 and reviews of
// the given minutes in November.
func rtmFixture(t *testing.T, e *env, n int, minutes ...float64) {
	t.Helper()
	ctx := t.Context()
	if st, body := e.login("admin").do("POST", "/api/v1/patients", `{"id":"p1","name":"Ada Lovelace","date_of_birth":"1948-03-07"}`); st != 201 {
		t.Fatalf("create patient: %d %s", st, body)
	}
	var bs []*balance.Batch
	for d := 1; d <= n; d++ {
		at := time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC)
		bs = append(bs, &balance.Batch{DeviceID: "d1", PatientID: "p1", RateHz: 100, Samples: []balance.Sample{{TimeNS: at.UnixNano(), Acc: [3]float64{0, 0, 9.81}}}})
	}
	if len(bs) > 0 {
		must(t, e.samples.WriteBatches(ctx, bs))
	}
	for i, m := range minutes {
		must(t, e.state.LogReview(ctx, balance.ReviewEntry{UserID: e.users["t1"].ID, PatientID: "p1",
			Start: time.Date(2026, 11, 2+i, 10, 0, 0, 0, time.UTC), Seconds: m * 60, Activity: "patient page"}))
	}
}

// codeRow is the CPT table row of code in the page.
func codeRow(t *testing.T, page, code string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr class="rtm-code [a-z-]+" data-code="` + code + `">.*?</tr>`).FindString(page)
	if m == "" {
		t.Fatalf("no row for %s in the CPT table", code)
	}
	return m
}

// TestRTMPrintablePage: the report page names the patient (name, date of
// birth, id), the month, the period and the time zone; shows the data
// days, the minutes, each CPT code with supported or not and why; has the
// print button wired by a script file (no inline script or handler, as
// the Content-Security-Policy demands) and the print stylesheet in its
// head; and the stylesheet and script are served.
func TestRTMPrintablePage(t *testing.T) {
	e := newEnv(t)
	rtmFixture(t, e, 16, 25, 16) // 16 days; 41 minutes
	c := e.login("t1")
	st, page := c.do("GET", "/patients/p1/rtm?month=2026-11", "")
	if st != 200 {
		t.Fatalf("page: %d %s", st, page)
	}
	for _, want := range []string{
		`<link rel="stylesheet" href="/static/print.css" media="print">`,
		`<script src="/static/rtm.js" defer></script>`,
		`<button type="button" id="rtm-print"`, "Print / save as PDF",
		`<dd id="rtm-name">Ada Lovelace</dd>`,
		`<dd id="rtm-dob">7 March 1948 (1948-03-07)</dd>`,
		`<dd id="rtm-id">p1</dd>`,
		`<dd id="rtm-month">November 2026</dd>`,
		`<dd id="rtm-period">1 November 2026 to 30 November 2026</dd>`,
		"UTC", "16 of 16 days needed", "41.0 minutes",
		"Signature", "Clinician attestation", "86 FR 64996",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for code, want := range map[string]string{
		"98975": "<strong>Yes</strong>, once you confirm", // no data in October: monitoring started
		"98977": "<strong>Yes</strong></td>",
		"98980": "<strong>Yes</strong>, once you confirm",
		"98981": "<strong>Yes</strong>, once you confirm",
	} {
		if row := codeRow(t, page, code); !strings.Contains(row, want) {
			t.Errorf("%s row lacks %q: %s", code, want, row)
		}
	}
	if row := codeRow(t, page, "98981"); !strings.Contains(row, "<td>1</td>") {
		t.Errorf("98981 with 41 minutes: want 1 unit: %s", row)
	}
	if n := strings.Count(page, `<td>Yes</td>`); n != 16 {
		t.Errorf("%d days marked Yes in the day table, want 16", n)
	}
	// CSP: no inline script and no inline event handler.
	if regexp.MustCompile(`<script(\s[^>]*)?>[^<]`).MatchString(page) || regexp.MustCompile(`(?i)\son[a-z]+=`).MatchString(page) {
		t.Error("page has an inline script or event handler")
	}
	for path, want := range map[string]string{
		"/static/print.css": "@page { size: A4; margin: 15mm; }",
		"/static/rtm.css":   ".table-scroll",
		"/static/rtm.js":    "window.print()",
	} {
		st, body := e.anon().do("GET", path, "")
		if st != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, lacks %q", path, st, want)
		}
	}

	// Fewer days and minutes: not supported, and said why.
	e = newEnv(t)
	rtmFixture(t, e, 15, 19.9)
	_, page = e.login("t1").do("GET", "/patients/p1/rtm?month=2026-11", "")
	for _, code := range []string{"98975", "98977", "98980", "98981"} {
		if row := codeRow(t, page, code); !strings.Contains(row, "<strong>No</strong>") {
			t.Errorf("15 days, 19.9 minutes: %s row not refused: %s", code, row)
		}
	}
	if row := codeRow(t, page, "98977"); !strings.Contains(row, "only 15 days") {
		t.Errorf("98977 row does not say why: %s", row)
	}
	if !strings.Contains(page, "19.9 minutes") || !strings.Contains(page, "15 of 16 days needed") {
		t.Error("page lacks 19.9 minutes or 15 of 16 days")
	}
}

// TestRTMPeriodStart: ?start= moves the 30-day period (the minutes stay
// the calendar month's); a start outside the month or not a date is
// refused; the JSON API gives the same report with its code lines.
func TestRTMPeriodStart(t *testing.T) {
	e := newEnv(t)
	rtmFixture(t, e, 20, 20) // days 1..20 of November
	c := e.login("t1")
	st, body := c.do("GET", "/api/v1/dashboard/patients/p1/rtm?month=2026-11&start=2026-11-10", "")
	if st != 200 {
		t.Fatalf("JSON: %d %s", st, body)
	}
	var rep dashboard.RTMReport
	must(t, json.Unmarshal([]byte(body), &rep))
	// 10..20 November: 11 days; data before (1..9 November).
	if rep.PeriodLastDay != "2026-12-09" || rep.DaysWithData != 11 || rep.MeetsDays || !rep.DataBefore || len(rep.Days) != 30 {
		t.Errorf("period from 10 Nov: last %s, %d days (met %v), data before %v, %d days listed", rep.PeriodLastDay, rep.DaysWithData, rep.MeetsDays, rep.DataBefore, len(rep.Days))
	}
	if rep.PatientName != "Ada Lovelace" || rep.DateOfBirth.String() != "1948-03-07" || rep.TimeZone != "UTC" {
		t.Errorf("who: %q %s %s", rep.PatientName, rep.DateOfBirth, rep.TimeZone)
	}
	var got []string
	for _, l := range rep.Codes {
		got = append(got, l.Code+":"+map[bool]string{true: "yes", false: "no"}[l.Supported])
	}
	if diff := cmp.Diff([]string{"98975:no", "98977:no", "98980:yes", "98981:no"}, got); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	// The month alone from start; start must be a date in the month.
	if st, body := c.do("GET", "/patients/p1/rtm?start=2026-11-10", ""); st != 200 || !strings.Contains(body, "10 November 2026 to 9 December 2026") {
		t.Errorf("start without month: %d", st)
	}
	for _, q := range []string{"month=2026-11&start=2026-12-01", "start=2026-11-31", "start=10/11/2026", "month=November"} {
		if st, _ := c.do("GET", "/patients/p1/rtm?"+q, ""); st != 400 {
			t.Errorf("?%s: %d, want 400", q, st)
		}
		if st, _ := c.do("GET", "/api/v1/dashboard/patients/p1/rtm?"+q, ""); st != 400 {
			t.Errorf("API ?%s: %d, want 400", q, st)
		}
	}
}

// TestRTMOtherTherapistRefused: a therapist cannot open (or print) the
// report of a patient assigned to someone else, in the UI or the API,
// whatever the query; the assigned therapist and the admin can.
func TestRTMOtherTherapistRefused(t *testing.T) {
	e := newEnv(t)
	rtmFixture(t, e, 16, 20)
	t1, t2, admin := e.login("t1"), e.login("t2"), e.login("admin")
	for _, path := range []string{"/patients/p1/rtm", "/patients/p1/rtm?month=2026-11&start=2026-11-05", "/api/v1/dashboard/patients/p1/rtm?month=2026-11"} {
		st, body := t2.do("GET", path, "")
		if st != 403 || strings.Contains(body, "Ada Lovelace") || strings.Contains(body, "1948") {
			t.Errorf("t2 %s: %d (shows the name or birth date: %v), want 403 without them", path, st, strings.Contains(body, "Ada Lovelace"))
		}
		if st, _ := t1.do("GET", path, ""); st != 200 {
			t.Errorf("t1 %s: %d, want 200", path, st)
		}
		if st, _ := admin.do("GET", path, ""); st != 200 {
			t.Errorf("admin %s: %d, want 200", path, st)
		}
	}
	if st, loc := e.anon().do("GET", "/patients/p1/rtm?month=2026-11", ""); st != 303 || !strings.HasPrefix(loc, "/login") {
		t.Errorf("logged out: %d %s, want the log-in page", st, loc)
	}
}

// TestRTMClinicZone: with the clinic's time zone configured the days and
// the month are the clinic's (a sample at 03:00 UTC on 2 November is on
// 1 November five hours west of UTC), and the page names the zone.
func TestRTMClinicZone(t *testing.T) {
	west := time.FixedZone("UTC-5", -5*3600)
	e := newEnv(t, func(c *dashboard.Config) { c.Zone = func(string) *time.Location { return west } })
	rtmFixture(t, e, 0)
	at := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	must(t, e.samples.WriteBatches(t.Context(), []*balance.Batch{{DeviceID: "d1", PatientID: "p1", RateHz: 100,
		Samples: []balance.Sample{{TimeNS: at.UnixNano(), Acc: [3]float64{0, 0, 9.81}}}}}))
	rep, err := e.srv.RTM(t.Context(), "p1", "2026-11")
	must(t, err)
	if diff := cmp.Diff([]string{"2026-11-01"}, rep.DataDays); diff != "" || rep.TimeZone != "UTC-5" || !rep.ZoneSet {
		t.Errorf("zone %s (set %v), data days (-want +got):\n%s", rep.TimeZone, rep.ZoneSet, diff)
	}
	if _, page := e.login("t1").do("GET", "/patients/p1/rtm?month=2026-11", ""); !strings.Contains(page, "UTC-5, the clinic's time zone") {
		t.Error("page does not name the clinic's time zone")
	}
	// Without it: UTC, and said.
	e = newEnv(t)
	rtmFixture(t, e, 0)
	if _, page := e.login("t1").do("GET", "/patients/p1/rtm?month=2026-11", ""); !strings.Contains(page, "the server has no clinic time zone set") {
		t.Error("page does not say the days are UTC for want of a clinic time zone")
	}
}
