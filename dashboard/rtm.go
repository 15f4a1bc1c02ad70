package dashboard

import (
	"context"
	"time"

	"github.com/balance-pt/balance"
)

// RTM thresholds (CMS remote therapeutic monitoring: device supply codes
// need data on at least 16 days of each 30-day period; treatment-management
// codes count at least 20 minutes of a clinician's time in a month).
const (
	RTMDaysRequired   = 16
	RTMMinutesMinimum = 20
)

// RTMReport is the remote-monitoring report of one patient and month.
type RTMReport struct {
	PatientID string `json:"patient_id"`
	Month     string `json:"month"` // YYYY-MM
	// The 30-day period starting on the first of the month (UTC).
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	// DataDays are the UTC dates in the period with any sample.
	DataDays     []string `json:"data_days"`
	DaysWithData int      `json:"days_with_data"`
	DaysRequired int      `json:"days_required"`
	MeetsDays    bool     `json:"meets_days"`
	// Review time in the calendar month, by everyone and entry by entry.
	ReviewMinutes float64               `json:"review_minutes"`
	MinutesNeeded float64               `json:"minutes_needed"`
	MeetsMinutes  bool                  `json:"meets_minutes"`
	Reviews       []balance.ReviewEntry `json:"reviews"`
}

// RTM builds the report of patient id for month (YYYY-MM).
func (s *Server) RTM(ctx context.Context, id, month string) (RTMReport, error) {
	start, err := time.Parse("2006-01", month)
	if err != nil {
		return RTMReport{}, balance.Errorf(balance.EINVALID, "month %q must be YYYY-MM", month)
	}
	if _, err := s.deps.Registry.Patient(ctx, id); err != nil {
		return RTMReport{}, err
	}
	r := RTMReport{PatientID: id, Month: month, PeriodStart: start, PeriodEnd: start.AddDate(0, 0, 30),
		DataDays: []string{}, DaysRequired: RTMDaysRequired, MinutesNeeded: RTMMinutesMinimum}
	if s.deps.Samples != nil {
		for d := start; d.Before(r.PeriodEnd); d = d.AddDate(0, 0, 1) {
			n, err := s.deps.Samples.CountSamples(ctx, balance.SampleQuery{PatientID: id, From: d, To: d.AddDate(0, 0, 1)})
			if err != nil {
				return r, err
			}
			if n > 0 {
				r.DataDays = append(r.DataDays, d.Format("2006-01-02"))
			}
		}
	}
	r.DaysWithData = len(r.DataDays)
	r.MeetsDays = r.DaysWithData >= RTMDaysRequired
	if r.Reviews, err = s.deps.Users.ReviewLog(ctx, id, start, start.AddDate(0, 1, 0)); err != nil {
		return r, err
	}
	if r.Reviews == nil {
		r.Reviews = []balance.ReviewEntry{}
	}
	for _, e := range r.Reviews {
		r.ReviewMinutes += e.Seconds / 60
	}
	r.MeetsMinutes = r.ReviewMinutes >= RTMMinutesMinimum
	return r, nil
}
