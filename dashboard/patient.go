package dashboard

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/progression"
)

// PatientView is everything the patient page shows (and what
// GET /api/v1/dashboard/patients/{id} returns).
type PatientView struct {
	Summary     balance.PatientSummary    `json:"summary"`
	Risk        *balance.RiskAssessment   `json:"risk"`
	RiskHistory []balance.RiskAssessment  `json:"risk_history"`
	Sessions    []balance.ExerciseSession `json:"sessions"`
	// Feedback holds the patient's answers about the sessions, by session id.
	Feedback    FeedbackBySession     `json:"feedback"`
	Alerts      []balance.Alert       `json:"alerts"`
	Plan        *progression.PlanView `json:"plan"`
	PlanHistory []balance.PlanChange  `json:"plan_history"`
	// Trends are the measurement series behind the charts.
	Trends Trends `json:"trends"`
	// Missing names the parts whose component is not running.
	Missing []string  `json:"missing,omitempty"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// Days is the length of [From, To) in days.
	Days int `json:"days"`
}

// Point is one value of a trend.
type Point struct {
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
}

// Trends are the series charted on the patient page.
type Trends struct {
	GaitSpeed  []Point            `json:"gait_speed_mps"`
	Cadence    []Point            `json:"cadence_spm"`
	StrideSD   []Point            `json:"stride_time_sd_s"`
	StrideCV   []Point            `json:"stride_time_cv_pct"`
	Sway       map[string][]Point `json:"sway_rms_mps2"` // by stance condition
	TUG        []Point            `json:"tug_s"`
	STS5       []Point            `json:"sts5_s"`
	Adherence  []Point            `json:"adherence_sessions_per_week"`
	PlannedPer int                `json:"planned_per_week"`
}

// TrendDays is how far back the patient page looks unless asked otherwise.
const TrendDays = 90

// TrendRanges are the ranges (days) the patient page offers.
var TrendRanges = []int{30, 90, 365}

// Patient gathers the patient page over the last days days (0:
// TrendDays); parts whose source is missing are named in Missing, and a
// part that fails to load fails the whole view.
func (s *Server) Patient(ctx context.Context, id string, days int) (PatientView, error) {
	if days <= 0 {
		days = TrendDays
	}
	now := s.now()
	v := PatientView{From: now.AddDate(0, 0, -days), To: now, Days: days}
	var err error
	if v.Summary, err = s.deps.Summaries.PatientSummary(ctx, id, now.Add(-7*24*time.Hour)); err != nil {
		return v, err
	}
	src := s.sources()
	if src.risk != nil {
		if v.RiskHistory, err = src.risk.RiskAssessments(ctx, id, v.From, 500); err != nil {
			return v, err
		}
		sort.Slice(v.RiskHistory, func(i, j int) bool { return v.RiskHistory[i].Time.After(v.RiskHistory[j].Time) })
		if len(v.RiskHistory) > 0 {
			v.Risk = &v.RiskHistory[0]
		}
	} else {
		v.Missing = append(v.Missing, "risk")
	}
	if src.sessions != nil {
		if v.Sessions, err = src.sessions.ExerciseSessions(ctx, id, v.From); err != nil {
			return v, err
		}
		sort.Slice(v.Sessions, func(i, j int) bool { return v.Sessions[i].Start.After(v.Sessions[j].Start) })
	} else {
		v.Missing = append(v.Missing, "sessions")
	}
	if v.Feedback, err = s.feedback(ctx, id, v.From); err != nil {
		return v, err
	}
	if src.alerts != nil {
		if v.Alerts, err = src.alerts.PatientAlerts(ctx, id, "", 100); err != nil {
			return v, err
		}
	} else {
		v.Missing = append(v.Missing, "alerts")
	}
	if src.plans != nil {
		pv, err := src.plans.View(ctx, id)
		switch {
		case err == nil:
			v.Plan = &pv
			if v.PlanHistory, err = src.plans.History(ctx, id); err != nil {
				return v, err
			}
		case balance.ErrorCode(err) == balance.ENOTFOUND:
		default:
			return v, err
		}
	} else {
		v.Missing = append(v.Missing, "plan")
	}
	if s.deps.Measurements != nil {
		if v.Trends, err = s.trends(ctx, id, v.From, now); err != nil {
			return v, err
		}
	} else {
		v.Missing = append(v.Missing, "measurements")
	}
	if v.Plan != nil {
		v.Trends.PlannedPer = v.Plan.Plan.SessionsPerWeek
		for _, w := range v.Plan.Adherence {
			v.Trends.Adherence = append(v.Trends.Adherence, Point{Time: w.WeekStart, Value: float64(w.Done)})
		}
	}
	return v, nil
}

// trends reads the charted measurements of [from, to).
func (s *Server) trends(ctx context.Context, id string, from, to time.Time) (Trends, error) {
	t := Trends{Sway: map[string][]Point{}}
	read := func(name string) ([]balance.Measurement, error) {
		return s.deps.Measurements.ReadMeasurements(ctx, balance.MeasurementQuery{Name: name, PatientID: id, From: from, To: to})
	}
	add := func(dst *[]Point, m balance.Measurement, field string) {
		if v, ok := m.Fields[field]; ok && finite(v) {
			*dst = append(*dst, Point{Time: m.Time, Value: v})
		}
	}
	gait, err := read("gait_bout")
	if err != nil {
		return t, err
	}
	for _, m := range gait {
		add(&t.GaitSpeed, m, "speed_mps")
		add(&t.Cadence, m, "cadence_spm")
		add(&t.StrideSD, m, "stride_time_sd_s")
		add(&t.StrideCV, m, "stride_time_cv_pct")
	}
	sway, err := read("sway")
	if err != nil {
		return t, err
	}
	for _, m := range sway {
		cond := m.Tags["exercise"]
		if cond == "" {
			cond = "sway test"
		}
		pts := t.Sway[cond]
		add(&pts, m, "rms")
		t.Sway[cond] = pts
	}
	tug, err := read("tug")
	if err != nil {
		return t, err
	}
	for _, m := range tug {
		add(&t.TUG, m, "seconds")
	}
	sts, err := read("sts5")
	if err != nil {
		return t, err
	}
	for _, m := range sts {
		add(&t.STS5, m, "seconds")
	}
	return t, nil
}

// feedback reads the patient's answers given since from, by session id
// (empty without a FeedbackSource).
func (s *Server) feedback(ctx context.Context, id string, from time.Time) (FeedbackBySession, error) {
	out := FeedbackBySession{}
	if s.deps.Feedback == nil {
		return out, nil
	}
	fs, err := s.deps.Feedback.PatientFeedback(ctx, id, from)
	if err != nil {
		return out, fmt.Errorf("feedback of %s: %w", id, err)
	}
	for _, f := range fs {
		out[f.SessionID] = f
	}
	return out, nil
}
