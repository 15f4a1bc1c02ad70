package dashboard

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/balance-pt/balance"
)

// Remote therapeutic monitoring (RTM) billing rules, as the Centers for
// Medicare & Medicaid Services (CMS) adopted them with the AMA's CPT codes
// 98975-98981 in the Physician Fee Schedule final rule for CY 2022
// (86 FR 64996, 19 November 2021, section II.I) and the AMA CPT 2022
// descriptors:
//
//   - 98975 initial set-up and patient education on use of equipment:
//     once per episode of care, and like the device-supply codes only when
//     data were recorded on at least 16 days of a 30-day period;
//   - 98977 device(s) supply with scheduled (e.g., daily) recording(s) and/or
//     programmed alert(s) transmission to monitor the musculoskeletal system,
//     each 30 days: data on at least 16 days of the 30;
//   - 98980 RTM treatment management services by a physician or other
//     qualified health care professional, first 20 minutes in a calendar
//     month, requiring at least one interactive communication with the
//     patient or caregiver during the month;
//   - 98981 each additional 20 minutes (with 98980).
//
// The CY 2026 final rule added codes for 2-15 days of data and for 10-19
// minutes; this report does not assess them (check the fee schedule in
// force).
const (
	// RTMDaysRequired is the days with data needed in a 30-day period
	// (98975, 98977).
	RTMDaysRequired = 16
	// RTMPeriodDays is the length of a device-supply period (98977), days.
	RTMPeriodDays = 30
	// RTMMinutesMinimum is the treatment-management time of 98980, and of
	// each further unit of 98981, in minutes per calendar month.
	RTMMinutesMinimum = 20
)

// The RTM CPT codes the report assesses.
const (
	CPTSetup               = "98975"
	CPTDeviceSupplyMSK     = "98977"
	CPTTreatmentFirst20    = "98980"
	CPTTreatmentEachNext20 = "98981"
)

// RTMCodeLine is one CPT code of the report: whether the data the system
// holds support billing it, how many units, and why, in plain words.
type RTMCodeLine struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	// Supported: the requirements the system can check are met.
	Supported bool `json:"supported"`
	// Units is how many units the data support (0 when not supported).
	Units int    `json:"units"`
	Why   string `json:"why"`
	// Confirm names what the clinician must still confirm before billing
	// (requirements the system cannot see); "" when nothing.
	Confirm string `json:"confirm,omitempty"`
}

// RTMSetupLine is code 98975 (initial set-up and patient education, once
// per episode of care; 86 FR 64996: only with data on at least 16 days of
// the 30-day period). The system cannot see an episode of care: it takes a
// period with no data in the 30 days before it as the start of monitoring,
// and leaves the episode and the education to the clinician to confirm.
// daysWithData is the days with data in the period; dataBefore whether
// there were data in the 30 days before it.
func RTMSetupLine(daysWithData int, dataBefore bool) RTMCodeLine {
	l := RTMCodeLine{Code: CPTSetup, Description: "Initial set-up and patient education on use of the equipment (once per episode of care)"}
	switch {
	case daysWithData < RTMDaysRequired:
		l.Why = fmt.Sprintf("Data on %s of this 30-day period; set-up can be billed only with data on at least %d days.", days(daysWithData), RTMDaysRequired)
		if daysWithData == 0 {
			l.Why = fmt.Sprintf("No data were recorded in this 30-day period; set-up can be billed only with data on at least %d days.", RTMDaysRequired)
		}
	case dataBefore:
		l.Why = "The patient already had data in the 30 days before this period, so monitoring did not start in it; set-up is billed once, at the start of an episode of care."
	default:
		l.Supported, l.Units = true, 1
		l.Why = fmt.Sprintf("Monitoring started in this period (no data in the 30 days before it) and data were recorded on %s (at least %d needed).", days(daysWithData), RTMDaysRequired)
		l.Confirm = "Confirm that you set up the device and taught the patient to use it, and that this is the start of the episode of care (billed once per episode)."
	}
	return l
}

// RTMDeviceSupplyLine is code 98977 (device supply with daily recording,
// musculoskeletal system, each 30 days): one unit when data were recorded
// on at least 16 days of the 30-day period (86 FR 64996; AMA CPT 2022).
func RTMDeviceSupplyLine(daysWithData int) RTMCodeLine {
	l := RTMCodeLine{Code: CPTDeviceSupplyMSK, Description: "Device supply with daily recording, musculoskeletal system, each 30 days"}
	if daysWithData >= RTMDaysRequired {
		l.Supported, l.Units = true, 1
		l.Why = fmt.Sprintf("Data on %s of this 30-day period (at least %d needed).", days(daysWithData), RTMDaysRequired)
	} else if daysWithData == 0 {
		l.Why = fmt.Sprintf("No data were recorded in this 30-day period; data on at least %d days are needed.", RTMDaysRequired)
	} else {
		l.Why = fmt.Sprintf("Data on only %s of this 30-day period; at least %d are needed.", days(daysWithData), RTMDaysRequired)
	}
	return l
}

// rtmUnitMillis is 20 minutes in milliseconds: review time is compared in
// whole milliseconds, so that sums of logged seconds that land a rounding
// error short of 20 minutes still count as 20.
const rtmUnitMillis = RTMMinutesMinimum * 60 * 1000

func millis(minutes float64) int64 { return int64(math.Round(minutes * 60 * 1000)) }

// RTMTreatmentLines are codes 98980 (the first 20 minutes of treatment
// management in a calendar month) and 98981 (each additional 20 minutes:
// floor((minutes-20)/20) units), from the clinicians' logged minutes in
// the month (AMA CPT 2022; 86 FR 64996). Both need at least one real-time
// interactive communication with the patient or caregiver in the month:
// when interactive is false (the review log does not record it) the lines
// ask the clinician to confirm it instead of claiming it.
func RTMTreatmentLines(minutes float64, interactive bool) [2]RTMCodeLine {
	first := RTMCodeLine{Code: CPTTreatmentFirst20, Description: "Treatment management services, first 20 minutes in the calendar month"}
	next := RTMCodeLine{Code: CPTTreatmentEachNext20, Description: "Treatment management services, each additional 20 minutes in the calendar month"}
	ms := millis(minutes)
	confirm := ""
	if !interactive {
		confirm = "Confirm that you talked with the patient or caregiver in real time (phone or video) at least once this month: the review log does not record it, and the code requires it."
	}
	if ms < rtmUnitMillis {
		first.Why = fmt.Sprintf("%s of treatment-management time logged this month; at least %d are needed.", mins(minutes), RTMMinutesMinimum)
		next.Why = fmt.Sprintf("Needs at least %d minutes in the month (the first %d for %s, then %d more for each unit).", 2*RTMMinutesMinimum, RTMMinutesMinimum, CPTTreatmentFirst20, RTMMinutesMinimum)
		return [2]RTMCodeLine{first, next}
	}
	first.Supported, first.Units, first.Confirm = true, 1, confirm
	first.Why = fmt.Sprintf("%s of treatment-management time logged this month (at least %d needed).", mins(minutes), RTMMinutesMinimum)
	units := int((ms - rtmUnitMillis) / rtmUnitMillis)
	if units == 0 {
		next.Why = fmt.Sprintf("%s logged: each unit needs %d minutes beyond the first %d, so %d minutes in all for one unit.", mins(minutes), RTMMinutesMinimum, RTMMinutesMinimum, 2*RTMMinutesMinimum)
		return [2]RTMCodeLine{first, next}
	}
	next.Supported, next.Units, next.Confirm = true, units, confirm
	next.Why = fmt.Sprintf("%s logged: %d full %d-minute blocks after the first %d minutes, billed with %s.", mins(minutes), units, RTMMinutesMinimum, RTMMinutesMinimum, CPTTreatmentFirst20)
	return [2]RTMCodeLine{first, next}
}

// RTMCodeLines are the four code lines of a report in code order:
// 98975, 98977 (from the period's days with data and whether there were
// data in the 30 days before), 98980 and 98981 (from the month's minutes).
func RTMCodeLines(daysWithData int, dataBefore bool, minutes float64, interactive bool) []RTMCodeLine {
	t := RTMTreatmentLines(minutes, interactive)
	return []RTMCodeLine{RTMSetupLine(daysWithData, dataBefore), RTMDeviceSupplyLine(daysWithData), t[0], t[1]}
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// mins writes minutes with one decimal, never rounding up to a threshold
// (19.96 minutes is "19.9 minutes", not "20.0").
func mins(m float64) string {
	return fmt.Sprintf("%.1f minutes", math.Floor(m*10+1e-9)/10)
}

// RTMDay is one day of a 30-day period.
type RTMDay struct {
	Number  int    `json:"number"` // 1 to 30
	Date    string `json:"date"`   // YYYY-MM-DD
	Weekday string `json:"weekday"`
	HasData bool   `json:"has_data"`
}

// RTMReport is the remote-monitoring report of one patient: the days with
// data in one 30-day device-supply period, the treatment-management time
// of one calendar month, and the CPT codes they support.
type RTMReport struct {
	PatientID   string       `json:"patient_id"`
	PatientName string       `json:"patient_name"`
	DateOfBirth balance.Date `json:"date_of_birth,omitzero"`
	Month       string       `json:"month"` // YYYY-MM
	// TimeZone is the IANA zone of the days and the month: the clinic's
	// (Config.Zone), or "UTC" when none is set (ZoneSet false).
	TimeZone string `json:"time_zone"`
	ZoneSet  bool   `json:"time_zone_set"`
	// The 30-day period [PeriodStart, PeriodEnd); it starts on the first
	// of the month unless the request names another start in the month.
	// PeriodLastDay is its last day (YYYY-MM-DD).
	PeriodStart   time.Time `json:"period_start"`
	PeriodEnd     time.Time `json:"period_end"`
	PeriodLastDay string    `json:"period_last_day"`
	// Days are the period's 30 days; DataDays the dates with any sample.
	Days         []RTMDay `json:"days"`
	DataDays     []string `json:"data_days"`
	DaysWithData int      `json:"days_with_data"`
	DaysRequired int      `json:"days_required"`
	MeetsDays    bool     `json:"meets_days"`
	// DataBefore: samples in the 30 days before the period (98975).
	DataBefore bool `json:"data_before_period"`
	// Review time in the calendar month [MonthStart, MonthEnd), by
	// everyone and entry by entry.
	MonthStart    time.Time             `json:"month_start"`
	MonthEnd      time.Time             `json:"month_end"`
	ReviewMinutes float64               `json:"review_minutes"`
	MinutesNeeded float64               `json:"minutes_needed"`
	MeetsMinutes  bool                  `json:"meets_minutes"`
	Reviews       []balance.ReviewEntry `json:"reviews"`
	// Codes are the CPT code lines (98975, 98977, 98980, 98981).
	Codes []RTMCodeLine `json:"codes"`
	// Generated is when the report was made.
	Generated time.Time `json:"generated"`
}

// RTM builds the report of patient id for month (YYYY-MM) with the 30-day
// period starting on the first of the month.
func (s *Server) RTM(ctx context.Context, id, month string) (RTMReport, error) {
	return s.RTMFrom(ctx, id, month, "")
}

// RTMFrom builds the report of patient id for month (YYYY-MM; "" = the
// month of start, or the current month) with the 30-day period starting on
// start (YYYY-MM-DD, a day of the month; "" = the first of the month).
// A clinic whose 30-day periods run from the day monitoring began gives
// that day of the month as start; treatment-management minutes are always
// those of the calendar month, as the codes count them. Days and months
// are those of the clinic's time zone (Config.Zone), else UTC.
func (s *Server) RTMFrom(ctx context.Context, id, month, start string) (RTMReport, error) {
	loc, zoneSet := time.UTC, false
	if s.cfg.Zone != nil {
		if l := s.cfg.Zone(id); l != nil {
			loc, zoneSet = l, true
		}
	}
	var from time.Time
	if start != "" {
		d, err := balance.ParseDate(start)
		if err != nil {
			return RTMReport{}, balance.Errorf(balance.EINVALID, "start %q must be a real date written YYYY-MM-DD", start)
		}
		from = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
		if month == "" {
			month = from.Format("2006-01")
		}
	}
	if month == "" {
		month = s.now().In(loc).Format("2006-01")
	}
	first, err := time.ParseInLocation("2006-01", month, loc)
	if err != nil {
		return RTMReport{}, balance.Errorf(balance.EINVALID, "month %q must be YYYY-MM", month)
	}
	monthEnd := first.AddDate(0, 1, 0)
	if from.IsZero() {
		from = first
	} else if from.Before(first) || !from.Before(monthEnd) {
		return RTMReport{}, balance.Errorf(balance.EINVALID, "start %s is not in the month %s", start, month)
	}
	p, err := s.deps.Registry.Patient(ctx, id)
	if err != nil {
		return RTMReport{}, err
	}
	end := from.AddDate(0, 0, RTMPeriodDays)
	r := RTMReport{PatientID: id, PatientName: p.Name, DateOfBirth: p.DateOfBirth, Month: month, TimeZone: loc.String(), ZoneSet: zoneSet,
		PeriodStart: from, PeriodEnd: end, PeriodLastDay: end.AddDate(0, 0, -1).Format(balance.DateLayout),
		Days: []RTMDay{}, DataDays: []string{}, DaysRequired: RTMDaysRequired,
		MonthStart: first, MonthEnd: monthEnd, MinutesNeeded: RTMMinutesMinimum, Generated: s.now().In(loc)}
	for i, d := 0, from; d.Before(end); i, d = i+1, d.AddDate(0, 0, 1) {
		day := RTMDay{Number: i + 1, Date: d.Format(balance.DateLayout), Weekday: d.Weekday().String()}
		if s.deps.Samples != nil {
			n, err := s.deps.Samples.CountSamples(ctx, balance.SampleQuery{PatientID: id, From: d, To: d.AddDate(0, 0, 1)})
			if err != nil {
				return r, fmt.Errorf("rtm: samples of %s on %s: %w", id, day.Date, err)
			}
			if day.HasData = n > 0; day.HasData {
				r.DataDays = append(r.DataDays, day.Date)
			}
		}
		r.Days = append(r.Days, day)
	}
	if s.deps.Samples != nil {
		n, err := s.deps.Samples.CountSamples(ctx, balance.SampleQuery{PatientID: id, From: from.AddDate(0, 0, -RTMPeriodDays), To: from})
		if err != nil {
			return r, fmt.Errorf("rtm: samples of %s before %s: %w", id, from.Format(balance.DateLayout), err)
		}
		r.DataBefore = n > 0
	}
	r.DaysWithData = len(r.DataDays)
	r.MeetsDays = r.DaysWithData >= RTMDaysRequired
	if r.Reviews, err = s.deps.Users.ReviewLog(ctx, id, first, monthEnd); err != nil {
		return r, fmt.Errorf("rtm: review log of %s: %w", id, err)
	}
	if r.Reviews == nil {
		r.Reviews = []balance.ReviewEntry{}
	}
	for _, e := range r.Reviews {
		r.ReviewMinutes += e.Seconds / 60
	}
	r.MeetsMinutes = millis(r.ReviewMinutes) >= rtmUnitMillis
	// The review log records time, not whether it included a real-time
	// conversation with the patient: the clinician confirms that.
	r.Codes = RTMCodeLines(r.DaysWithData, r.DataBefore, r.ReviewMinutes, false)
	return r, nil
}

// Words for the printed report (the template calls these).

// MonthName is the report's month in words ("November 2026").
func (r RTMReport) MonthName() string { return r.MonthStart.Format("January 2006") }

// PeriodText is the 30-day period in words, both days included.
func (r RTMReport) PeriodText() string {
	return longDate(r.PeriodStart) + " to " + longDate(r.PeriodEnd.AddDate(0, 0, -1))
}

// DateOfBirthText is the date of birth in words and as YYYY-MM-DD, or ""
// when unknown.
func (r RTMReport) DateOfBirthText() string {
	if r.DateOfBirth.IsZero() {
		return ""
	}
	return longDate(r.DateOfBirth.Time()) + " (" + r.DateOfBirth.String() + ")"
}

// MinutesText is the month's review time ("21.5 minutes"), never rounded
// up to a threshold.
func (r RTMReport) MinutesText() string { return mins(r.ReviewMinutes) }

// GeneratedText is when the report was made, in the report's zone.
func (r RTMReport) GeneratedText() string {
	return r.Generated.In(r.loc()).Format("2 January 2006, 15:04") + " " + r.TimeZone
}

// loc is the report's time zone (UTC when it cannot be loaded).
func (r RTMReport) loc() *time.Location {
	if l := r.PeriodStart.Location(); l != nil && l.String() == r.TimeZone {
		return l
	}
	if l, err := time.LoadLocation(r.TimeZone); err == nil {
		return l
	}
	return time.UTC
}

// RTMReviewLine is one review-log entry in words.
type RTMReviewLine struct {
	Start, Who, Activity, Minutes string
}

// ReviewLines are the review-log entries in words.
func (r RTMReport) ReviewLines() []RTMReviewLine {
	out := make([]RTMReviewLine, 0, len(r.Reviews))
	for _, e := range r.Reviews {
		who := e.Username
		if who == "" {
			who = fmt.Sprintf("user %d", e.UserID)
		}
		act := e.Activity
		if act == "" {
			act = "review"
		}
		out = append(out, RTMReviewLine{Start: e.Start.In(r.loc()).Format("Mon 2 Jan 2006, 15:04"), Who: who, Activity: act,
			Minutes: fmt.Sprintf("%.1f", math.Floor(e.Seconds/6+1e-9)/10)})
	}
	return out
}

// DateText is the day in words ("Sun 1 Nov 2026").
func (d RTMDay) DateText() string {
	t, err := time.Parse(balance.DateLayout, d.Date)
	if err != nil {
		return d.Date
	}
	return t.Format("Mon 2 Jan 2006")
}

func longDate(t time.Time) string { return t.Format("2 January 2006") }
