package monitor_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
)

// TestAssess checks each rule at and around its cut-off. Expected levels
// come from the cut-offs documented on balance.Thresholds (sources:
// gait speed 1.0/0.8 m/s Studenski 2011 and Cesari 2005; TUG 12 s CDC
// STEADI and 13.5 s Shumway-Cook 2000; 5xSTS 12 s Tiedemann 2008 and 15 s
// Buatois 2008; tandem 10 s CDC STEADI; stride-time SD 70/106 ms from
// Hausdorff 2001), and for neuropathy from NeuropathyThresholds.
func TestAssess(t *testing.T) {
	std, pn := balance.StandardThresholds(), balance.NeuropathyThresholds()
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		in    monitor.RiskInputs
		th    balance.Thresholds
		level string
		codes []string
	}{
		{"nothing measured", monitor.RiskInputs{}, std, balance.RiskNotEnoughData, []string{"not_enough_data"}},
		{"one sway test only (no mobility measure)", monitor.RiskInputs{SwayRMS: 0.05, SwayBaseline: 0.05, SwayMDC: 0.005}, std, balance.RiskNotEnoughData, []string{"not_enough_data"}},
		{"walking speed only (no balance measure)", monitor.RiskInputs{GaitSpeedMPS: 1.2}, std, balance.RiskNotEnoughData, []string{"not_enough_data"}},
		{"mobility and balance measured, no finding", monitor.RiskInputs{GaitSpeedMPS: 1.2, HasTandem: true, TandemHoldS: 30}, std, balance.RiskLow, nil},
		{"a finding needs no more data", monitor.RiskInputs{TUGS: 14}, std, balance.RiskHigh, []string{"tug_at_least_13.5"}},
		{"gait speed 1.0 is not below 1.0", monitor.RiskInputs{GaitSpeedMPS: 1.0, HasTandem: true, TandemHoldS: 30}, std, balance.RiskLow, nil},
		{"gait speed 0.95", monitor.RiskInputs{GaitSpeedMPS: 0.95}, std, balance.RiskModerate, []string{"gait_speed_below_1"}},
		{"gait speed 0.79", monitor.RiskInputs{GaitSpeedMPS: 0.79}, std, balance.RiskHigh, []string{"gait_speed_below_0.8"}},
		{"PN gait speed 1.05", monitor.RiskInputs{GaitSpeedMPS: 1.05}, pn, balance.RiskModerate, []string{"gait_speed_below_1.1"}},
		{"TUG 11.9", monitor.RiskInputs{TUGS: 11.9, HasTandem: true, TandemHoldS: 30}, std, balance.RiskLow, nil},
		{"TUG 12", monitor.RiskInputs{TUGS: 12}, std, balance.RiskModerate, []string{"tug_at_least_12"}},
		{"TUG 13.5", monitor.RiskInputs{TUGS: 13.5}, std, balance.RiskHigh, []string{"tug_at_least_13.5"}},
		{"PN TUG 11.2: standard misses it", monitor.RiskInputs{TUGS: 11.2}, pn, balance.RiskModerate, []string{"tug_at_least_11"}},
		{"PN TUG 12.5", monitor.RiskInputs{TUGS: 12.5}, pn, balance.RiskHigh, []string{"tug_at_least_12"}},
		{"5xSTS 12.5", monitor.RiskInputs{STS5S: 12.5}, std, balance.RiskModerate, []string{"sts5_at_least_12"}},
		{"5xSTS 15.2", monitor.RiskInputs{STS5S: 15.2}, std, balance.RiskHigh, []string{"sts5_at_least_15"}},
		{"5xSTS incomplete", monitor.RiskInputs{STS5Incomplete: true, STS5S: 0}, std, balance.RiskHigh, []string{"sts5_incomplete"}},
		{"tandem 9 s", monitor.RiskInputs{TandemHoldS: 9, HasTandem: true}, std, balance.RiskModerate, []string{"tandem_hold_below_10"}},
		{"tandem 0 s is a result", monitor.RiskInputs{TandemHoldS: 0, HasTandem: true}, std, balance.RiskModerate, []string{"tandem_hold_below_10"}},
		{"PN tandem 4 s", monitor.RiskInputs{TandemHoldS: 4, HasTandem: true}, pn, balance.RiskHigh, []string{"tandem_hold_below_5"}},
		{"tandem 10 s", monitor.RiskInputs{TandemHoldS: 10, HasTandem: true, GaitSpeedMPS: 1.2}, std, balance.RiskLow, nil},
		{"stride SD 49 ms (non-faller mean)", monitor.RiskInputs{StrideTimeSDS: 0.049, GaitSpeedMPS: 1.2, HasTandem: true, TandemHoldS: 30}, std, balance.RiskLow, nil},
		{"stride SD 80 ms", monitor.RiskInputs{StrideTimeSDS: 0.08}, std, balance.RiskModerate, []string{"stride_time_sd_at_least_0.07"}},
		{"stride SD 106 ms (faller mean)", monitor.RiskInputs{StrideTimeSDS: 0.106}, std, balance.RiskHigh, []string{"stride_time_sd_at_least_0.106"}},
		// Sway: baseline 0.05, MDC 0.005 floored at 0.2 × 0.05 = 0.01.
		{"sway within MDC", monitor.RiskInputs{SwayRMS: 0.059, SwayBaseline: 0.05, SwayMDC: 0.005, GaitSpeedMPS: 1.2}, std, balance.RiskLow, nil},
		{"sway past MDC", monitor.RiskInputs{SwayRMS: 0.061, SwayBaseline: 0.05, SwayMDC: 0.005}, std, balance.RiskModerate, []string{"sway_above_baseline_mdc"}},
		{"sway doubled", monitor.RiskInputs{SwayRMS: 0.10, SwayBaseline: 0.05, SwayMDC: 0.005}, std, balance.RiskHigh, []string{"sway_doubled"}},
		{"recent fall", monitor.RiskInputs{FallsRecent: 1, FallsYear: 1}, std, balance.RiskHigh, []string{"fall_recent"}},
		{"fall this year", monitor.RiskInputs{FallsYear: 1}, std, balance.RiskModerate, []string{"fall_past_year"}},
		{"two losses of balance", monitor.RiskInputs{LossesOfBalance: 2}, std, balance.RiskModerate, []string{"losses_of_balance"}},
		{"adherence 2 of 6", monitor.RiskInputs{SessionsDone: 2, SessionsPlanned: 6}, std, balance.RiskModerate, []string{"low_adherence"}},
		{"adherence 3 of 6", monitor.RiskInputs{SessionsDone: 3, SessionsPlanned: 6, GaitSpeedMPS: 1.2, HasTandem: true, TandemHoldS: 30}, std, balance.RiskLow, nil},
		{"worst reason wins", monitor.RiskInputs{GaitSpeedMPS: 0.9, TUGS: 14}, std, balance.RiskHigh, []string{"gait_speed_below_1", "tug_at_least_13.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.PatientID, tt.in.Time = "p1", at
			got := monitor.Assess(tt.in, tt.th)
			if got.Level != tt.level {
				t.Errorf("level %s, want %s (reasons %+v)", got.Level, tt.level, got.Reasons)
			}
			var codes []string
			for _, r := range got.Reasons {
				codes = append(codes, r.Code)
				if r.Text == "" || (monitor.LevelRank(r.Level) < 1 && r.Level != balance.RiskNotEnoughData) {
					t.Errorf("reason %+v lacks text or level", r)
				}
			}
			if diff := cmp.Diff(tt.codes, codes); diff != "" {
				t.Errorf("reason codes (-want +got):\n%s", diff)
			}
			if got.PatientID != "p1" || !got.Time.Equal(at) {
				t.Errorf("assessment of %s at %v", got.PatientID, got.Time)
			}
		})
	}
}

// TestSwayVsBaseline: baseline is the median of the first n tests of the
// latest condition; MDC95 = 1.96·√2·SD (values worked by hand below).
func TestSwayVsBaseline(t *testing.T) {
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var ms []balance.Measurement
	for i, v := range []float64{0.04, 0.05, 0.06, 0.2, 0.07, 0.08, 0.09} {
		tag := "feet-together"
		if i == 3 {
			tag = "tandem" // another condition: ignored
		}
		ms = append(ms, balance.Measurement{Name: monitor.MeasSway, Time: at.Add(time.Duration(i) * 24 * time.Hour),
			Tags: map[string]string{"exercise": tag}, Fields: map[string]float64{"rms": v}})
	}
	recent, base, mdc := monitor.SwayVsBaseline(ms, 3)
	// Baseline tests 0.04, 0.05, 0.06: median 0.05, SD 0.01 → MDC 1.96·√2·0.01 = 0.027719.
	// Recent: median of 0.07, 0.08, 0.09 = 0.08.
	if base != 0.05 || recent != 0.08 || mdc < 0.0277185 || mdc > 0.0277195 {
		t.Errorf("recent %v, baseline %v, mdc %v; want 0.08, 0.05, 0.027719", recent, base, mdc)
	}
	if r, b, _ := monitor.SwayVsBaseline(ms[:3], 3); r != 0 || b != 0 {
		t.Errorf("with only the baseline tests: %v, %v; want zeros", r, b)
	}
}

// TestExerciseBlocks: sessions under 30 min apart are one plan session.
func TestExerciseBlocks(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := func(startMin, endMin int, kind string) balance.ExerciseSession {
		return balance.ExerciseSession{Kind: kind, Start: t0.Add(time.Duration(startMin) * time.Minute), End: t0.Add(time.Duration(endMin) * time.Minute)}
	}
	ss := []balance.ExerciseSession{s(0, 1, "exercise"), s(2, 3, "exercise"), s(4, 5, "exercise"),
		s(300, 301, "exercise"), s(400, 401, balance.SessionSway), s(24*60, 24*60+1, "exercise")}
	if n := monitor.ExerciseBlocks(ss, t0, t0.Add(48*time.Hour)); n != 3 {
		t.Errorf("%d blocks, want 3 (three stances at 09:00, one at 14:00, one next day; sway tests do not count)", n)
	}
	if n := monitor.ExerciseBlocks(ss, t0.Add(time.Hour), t0.Add(24*time.Hour)); n != 1 {
		t.Errorf("%d blocks in [10:00, next 09:00), want 1", n)
	}
}
