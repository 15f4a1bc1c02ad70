package monitor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

const day = 24 * time.Hour

// RiskInputsFor gathers a patient's latest findings from the stores at now.
func (m *Monitor) RiskInputsFor(ctx context.Context, patientID string, now time.Time, th balance.Thresholds) (RiskInputs, error) {
	in := RiskInputs{PatientID: patientID, Time: now.UTC()}
	read := func(name string, from time.Time) ([]balance.Measurement, error) {
		ms, err := m.deps.Store.ReadMeasurements(ctx, balance.MeasurementQuery{Name: name, PatientID: patientID, From: from, To: now.Add(time.Second)})
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Time.Before(ms[j].Time) })
		return ms, err
	}
	// Gait: bouts of the last 14 days.
	bouts, err := read(MeasGaitBout, now.Add(-14*day))
	if err != nil {
		return in, err
	}
	var speeds, sds []float64
	for _, b := range bouts {
		f := b.Fields
		if v, ok := f["speed_mps"]; ok && f["duration_s"] > 10 && f[qualityField("speed_implausible")] == 0 {
			speeds = append(speeds, v)
		}
		if f["num_strides"] >= 3 && f[qualityField("cadence_implausible")] == 0 {
			sds = append(sds, f["stride_time_sd_s"])
		}
	}
	in.GaitSpeedMPS, _ = meanSD(speeds)
	in.StrideTimeSDS, _ = meanSD(sds)
	// Timed tests: the latest of the past year.
	yearAgo := now.Add(-365 * day)
	if ms, err := read(MeasTUG, yearAgo); err != nil {
		return in, err
	} else if len(ms) > 0 {
		in.TUGS = ms[len(ms)-1].Fields["seconds"]
	}
	if ms, err := read(MeasSTS5, yearAgo); err != nil {
		return in, err
	} else if len(ms) > 0 {
		last := ms[len(ms)-1].Fields
		in.STS5S = last["seconds"]
		in.STS5Incomplete = last["complete"] == 0 && last[qualityField("incomplete")] == 0 && last[qualityField("gaps")] == 0
	}
	// Sessions: tandem holds, losses of balance, adherence.
	sessions, err := m.deps.State.ExerciseSessions(ctx, patientID, yearAgo)
	if err != nil {
		return in, err
	}
	for _, s := range sessions {
		if (s.Kind == balance.SessionFourStage || s.Kind == balance.SessionExercise) && s.ExerciseID == "tandem" && !slices.Contains(s.Quality, "analysis_failed") {
			in.TandemHoldS, in.HasTandem = s.HoldS, true
		}
		if !s.Start.Before(now.Add(-14 * day)) {
			in.LossesOfBalance += s.LossesOfBalance
		}
	}
	rules := m.cfg.RulesFor(patientID)
	perWeek, err := m.plannedPerWeek(ctx, patientID, rules)
	if err != nil {
		return in, err
	}
	if p, err := m.deps.State.Patient(ctx, patientID); err == nil && perWeek > 0 {
		span := min(14*day, now.Sub(p.CreatedAt))
		if span >= 7*day {
			in.SessionsPlanned = perWeek * span.Hours() / (7 * 24)
			in.SessionsDone = ExerciseBlocks(sessions, now.Add(-span), now)
		}
	}
	// Sway against the patient's baseline, per condition of the latest test.
	sway, err := read(MeasSway, now.Add(-2*365*day))
	if err != nil {
		return in, err
	}
	in.SwayRMS, in.SwayBaseline, in.SwayMDC = SwayVsBaseline(sway, th.SwayBaselineTests)
	// Falls.
	falls, err := read(MeasFall, yearAgo)
	if err != nil {
		return in, err
	}
	for _, f := range falls {
		in.FallsYear++
		if !f.Time.Before(now.Add(-th.FallWindow)) {
			in.FallsRecent++
		}
	}
	return in, nil
}

// SwayVsBaseline takes sway measurements in time order and returns the
// recent RMS (median of the up to 3 latest tests after the baseline), the
// baseline (median RMS of the first n tests of the same condition as the
// latest, "exercise" tag) and its minimal detectable change, MDC95 =
// 1.96 × √2 × SD of the baseline tests (the SD standing in for the standard
// error of measurement; Haley & Fragala-Pinkham 2006). Zeros when there are
// not more than n tests of the condition. Tests flagged for stepping or
// movement are left out.
func SwayVsBaseline(ms []balance.Measurement, n int) (recent, baseline, mdc float64) {
	if len(ms) == 0 || n < 1 {
		return 0, 0, 0
	}
	cond := ms[len(ms)-1].Tags["exercise"]
	var rms []float64
	for _, s := range ms {
		if s.Tags["exercise"] != cond || s.Fields[qualityField("stepping")] != 0 || s.Fields[qualityField("movement")] != 0 {
			continue
		}
		if v := s.Fields["rms"]; v > 0 {
			rms = append(rms, v)
		}
	}
	if len(rms) <= n {
		return 0, 0, 0
	}
	base := rms[:n]
	_, sd := meanSD(base)
	after := rms[n:]
	if len(after) > 3 {
		after = after[len(after)-3:]
	}
	return median(after), median(base), 1.96 * 1.4142135623730951 * sd
}

// ExerciseBlocks counts exercise sessions in [from, to), merging sessions
// less than 30 minutes apart into one (a programme of several stances is
// one session of the plan).
func ExerciseBlocks(ss []balance.ExerciseSession, from, to time.Time) int {
	var n int
	var lastEnd time.Time
	for _, s := range ss {
		if s.Kind != balance.SessionExercise || s.Start.Before(from) || !s.Start.Before(to) {
			continue
		}
		if lastEnd.IsZero() || s.Start.Sub(lastEnd) >= 30*time.Minute {
			n++
		}
		if s.End.After(lastEnd) {
			lastEnd = s.End
		}
	}
	return n
}

func (m *Monitor) plannedPerWeek(ctx context.Context, patientID string, r Rules) (float64, error) {
	if m.deps.Plans != nil {
		v, ok, err := m.deps.Plans.SessionsPerWeek(ctx, patientID)
		if err != nil {
			return 0, err
		}
		if ok {
			return v, nil
		}
	}
	return r.SessionsPerWeek, nil
}

// AssessPatient assesses a patient's fall risk now; when the level, its
// reasons or their values changed since the last assessment, it stores the new one in the
// history (and a "risk" measurement) and, if the level rose, raises an
// alert. It returns the current assessment.
func (m *Monitor) AssessPatient(ctx context.Context, patientID string) (balance.RiskAssessment, error) {
	m.assessMu.Lock() // one assessment at a time: one history entry, one alert
	defer m.assessMu.Unlock()
	return m.assessAt(ctx, patientID, m.deps.Now().UTC().Truncate(time.Millisecond))
}

// assessAt is AssessPatient at now (m.assessMu held).
func (m *Monitor) assessAt(ctx context.Context, patientID string, now time.Time) (balance.RiskAssessment, error) {
	cur, err := m.riskAt(ctx, patientID, now)
	if err != nil {
		return cur, err
	}
	rules := m.cfg.RulesFor(patientID)
	prevs, err := m.deps.State.RiskAssessments(ctx, patientID, time.Time{}, 1)
	if err != nil {
		return cur, err
	}
	if len(prevs) > 0 && prevs[0].Level == cur.Level && reasonKey(prevs[0]) == reasonKey(cur) {
		return prevs[0], nil
	}
	if err := m.deps.State.SaveRiskAssessment(ctx, cur); err != nil {
		return cur, err
	}
	f := map[string]float64{"level": float64(LevelRank(cur.Level)), "reasons": float64(len(cur.Reasons))}
	if err := m.write(ctx, []balance.Measurement{{Name: MeasRisk, PatientID: patientID, Time: cur.Time, Fields: f}}); err != nil {
		m.log.Warn("storing risk measurement failed", "patient", patientID, "err", err)
	}
	prev := balance.RiskAssessment{Level: balance.RiskLow}
	if len(prevs) > 0 {
		prev = prevs[0]
	}
	if rules.RiskRose && LevelRank(cur.Level) > LevelRank(prev.Level) {
		a := RiskRoseAlert(prev, cur)
		a.CreatedAt = now
		m.raise(ctx, a)
	}
	return cur, nil
}

// CurrentRisk assesses a patient's fall risk now without storing it.
func (m *Monitor) CurrentRisk(ctx context.Context, patientID string) (balance.RiskAssessment, error) {
	return m.riskAt(ctx, patientID, m.deps.Now().UTC().Truncate(time.Millisecond))
}

// Thresholds is the source of the thresholds monitoring applies.
func (m *Monitor) Thresholds() ThresholdSource {
	return ThresholdSource{Config: &m.cfg, Cutoffs: m.deps.Cutoffs}
}

// riskAt assesses a patient's fall risk at now without storing it.
func (m *Monitor) riskAt(ctx context.Context, patientID string, now time.Time) (balance.RiskAssessment, error) {
	p, err := m.deps.State.Patient(ctx, patientID)
	if err != nil {
		return balance.RiskAssessment{}, err
	}
	th, err := m.Thresholds().For(ctx, patientID, p.Neuropathy)
	if err != nil {
		return balance.RiskAssessment{}, err
	}
	in, err := m.RiskInputsFor(ctx, patientID, now, th)
	if err != nil {
		return balance.RiskAssessment{}, err
	}
	return Assess(in, th), nil
}

func reasonKey(a balance.RiskAssessment) string {
	codes := make([]string, 0, len(a.Reasons))
	for _, r := range a.Reasons {
		// The value too: "5 falls" must not stay "1 fall" on the page.
		codes = append(codes, fmt.Sprintf("%s=%g", r.Code, r.Value))
	}
	sort.Strings(codes)
	return strings.Join(codes, ",")
}

// isoWeek names the ISO week of t, e.g. "2026-W48".
func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// SessionsMissed returns a warning when, over the 7 days before now, the
// patient did fewer exercise sessions than MissedFraction of the plan. It
// judges only patients registered for at least 7 days; the alert's ID is
// per ISO week, so it comes at most once a week.
func (m *Monitor) SessionsMissed(ctx context.Context, patientID string, now time.Time) (balance.Alert, bool, error) {
	p, err := m.deps.State.Patient(ctx, patientID)
	if err != nil {
		return balance.Alert{}, false, err
	}
	if now.Sub(p.CreatedAt) < 7*day {
		return balance.Alert{}, false, nil
	}
	rules := m.cfg.RulesFor(patientID)
	planned, err := m.plannedPerWeek(ctx, patientID, rules)
	if err != nil || planned <= 0 {
		return balance.Alert{}, false, err
	}
	from := now.Add(-7 * day)
	ss, err := m.deps.State.ExerciseSessions(ctx, patientID, from)
	if err != nil {
		return balance.Alert{}, false, err
	}
	done := ExerciseBlocks(ss, from, now)
	if float64(done) >= rules.MissedFraction*planned {
		return balance.Alert{}, false, nil
	}
	wk := isoWeek(now)
	return balance.Alert{
		ID: AlertID(balance.AlertSessionsMissed, patientID, wk), Kind: balance.AlertSessionsMissed, Severity: balance.SeverityWarning,
		PatientID: patientID,
		Summary:   fmt.Sprintf("Patient %s did %d of %.0f planned exercise sessions in the last 7 days.", patientID, done, planned),
		Details: map[string]string{"done": fmt.Sprint(done), "planned_per_week": fmt.Sprint(planned), "from": rfc(from), "to": rfc(now),
			"missed_fraction": fmt.Sprint(rules.MissedFraction), "week": wk},
		Evidence:   []balance.Evidence{{Label: "sessions", URL: SessionsURL(patientID)}},
		GroupKey:   groupKey(patientID, balance.AlertSessionsMissed),
		OccurredAt: now.UTC().Truncate(time.Second),
	}, true, nil
}

// Trend returns a warning when the patient's mean gait speed over the
// second half of TrendWindow is lower than over the first half by more than
// TrendGaitSpeedMDC, each half holding at least TrendMinBouts bouts over
// 10 s. The alert's ID is per ISO week.
func (m *Monitor) Trend(ctx context.Context, patientID string, now time.Time) (balance.Alert, bool, error) {
	rules := m.cfg.RulesFor(patientID)
	from := now.Add(-rules.TrendWindow)
	mid := now.Add(-rules.TrendWindow / 2)
	ms, err := m.deps.Store.ReadMeasurements(ctx, balance.MeasurementQuery{Name: MeasGaitBout, PatientID: patientID, From: from, To: now})
	if err != nil {
		return balance.Alert{}, false, err
	}
	var early, late []float64
	for _, b := range ms {
		v, ok := b.Fields["speed_mps"]
		if !ok || b.Fields["duration_s"] <= 10 || b.Fields[qualityField("speed_implausible")] != 0 {
			continue
		}
		if b.Time.Before(mid) {
			early = append(early, v)
		} else {
			late = append(late, v)
		}
	}
	if len(early) < rules.TrendMinBouts || len(late) < rules.TrendMinBouts {
		return balance.Alert{}, false, nil
	}
	e, _ := meanSD(early)
	l, _ := meanSD(late)
	if e-l <= rules.TrendGaitSpeedMDC {
		return balance.Alert{}, false, nil
	}
	wk := isoWeek(now)
	return balance.Alert{
		ID: AlertID(balance.AlertTrend, patientID, "gait_speed", wk), Kind: balance.AlertTrend, Severity: balance.SeverityWarning,
		PatientID: patientID,
		Summary: fmt.Sprintf("Gait speed of patient %s fell from %.2f to %.2f m/s over %s, more than its minimal detectable change of %.2f m/s.",
			patientID, e, l, rules.TrendWindow, rules.TrendGaitSpeedMDC),
		Details: map[string]string{"measure": "gait_speed_mps", "earlier_mean": f2(e), "later_mean": f2(l), "drop": f2(e - l),
			"mdc": f2(rules.TrendGaitSpeedMDC), "earlier_bouts": fmt.Sprint(len(early)), "later_bouts": fmt.Sprint(len(late)),
			"window": rules.TrendWindow.String(), "week": wk},
		Evidence:   []balance.Evidence{{Label: "walking bouts", URL: MeasurementsURL(patientID, MeasGaitBout, from, now)}},
		GroupKey:   groupKey(patientID, balance.AlertTrend),
		OccurredAt: now.UTC().Truncate(time.Second),
	}, true, nil
}
