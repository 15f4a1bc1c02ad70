package monitor

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/balance-pt/balance"
)

// Thresholds are the fall-risk cut-offs. Each measure has a moderate and a
// high cut-off; a reason is raised at the worse level the value reaches.
// Zero disables a cut-off. Sources are in docs/monitoring.md.
type Thresholds struct {
	// Gait speed (m/s) below which risk is moderate / high: 1.0 / 0.8
	// (Studenski 2011, Cesari 2005; each 0.1 m/s slower raises fall risk,
	// Verghese 2009).
	GaitSpeedModerate float64 `yaml:"gait_speed_moderate_mps"`
	GaitSpeedHigh     float64 `yaml:"gait_speed_high_mps"`
	// Timed Up and Go (s) at or above which risk is moderate / high: 12
	// (CDC STEADI) / 13.5 (Shumway-Cook 2000).
	TUGModerate float64 `yaml:"tug_moderate_s"`
	TUGHigh     float64 `yaml:"tug_high_s"`
	// Five-times sit-to-stand (s) at or above which risk is moderate /
	// high: 12 (Tiedemann 2008) / 15 (Buatois 2008). Not completing five
	// stands counts as high.
	STSModerate float64 `yaml:"sts5_moderate_s"`
	STSHigh     float64 `yaml:"sts5_high_s"`
	// Tandem stance held (s) below which risk is moderate / high: 10 (CDC
	// STEADI 4-stage test).
	TandemModerate float64 `yaml:"tandem_moderate_s"`
	TandemHigh     float64 `yaml:"tandem_high_s"`
	// Stride-time variability (SD, s) at or above which risk is moderate /
	// high: 0.07 / 0.106 (Hausdorff 2001: fallers 106 ± 30 ms, non-fallers
	// 49 ± 4 ms; 70 ms is five non-faller SDs above their mean and one
	// faller SD below theirs).
	StrideSDModerate float64 `yaml:"stride_time_sd_moderate_s"`
	StrideSDHigh     float64 `yaml:"stride_time_sd_high_s"`
	// Sway against the patient's own baseline: moderate when the recent
	// sway RMS exceeds the baseline by more than its minimal detectable
	// change, high at SwayHighRatio × baseline (2, the regression criterion
	// of balance-training progressions).
	SwayHighRatio float64 `yaml:"sway_high_ratio"`
	// SwayBaselineTests is how many first sway tests form the baseline (3).
	SwayBaselineTests int `yaml:"sway_baseline_tests"`
	// SwayMDCMinFraction floors the MDC at this fraction of the baseline
	// (0.2), since a few baseline tests underestimate their spread.
	SwayMDCMinFraction float64 `yaml:"sway_mdc_min_fraction"`
	// FallWindow: a fall within it makes risk high (default 2160h, 90
	// days); a fall in the last year makes it moderate (CDC STEADI: any
	// fall in the past year screens positive).
	FallWindow time.Duration `yaml:"fall_window"`
	// LossesModerate: this many losses of balance in exercise sessions and
	// tests over the last 14 days (near-falls) make risk moderate (2).
	LossesModerate int `yaml:"losses_of_balance_moderate"`
	// AdherenceModerate: doing fewer than this fraction of the planned
	// sessions over the last 14 days makes risk moderate (0.5).
	AdherenceModerate float64 `yaml:"adherence_moderate"`
}

// StandardThresholds are the published cut-offs for community-dwelling
// older adults.
func StandardThresholds() Thresholds {
	return Thresholds{
		GaitSpeedModerate: 1.0, GaitSpeedHigh: 0.8,
		TUGModerate: 12, TUGHigh: 13.5,
		STSModerate: 12, STSHigh: 15,
		TandemModerate: 10, TandemHigh: 0,
		StrideSDModerate: 0.07, StrideSDHigh: 0.106,
		SwayHighRatio: 2, SwayBaselineTests: 3, SwayMDCMinFraction: 0.2,
		FallWindow: 90 * 24 * time.Hour, LossesModerate: 2, AdherenceModerate: 0.5,
	}
}

// NeuropathyThresholds are stricter defaults for peripheral neuropathy,
// where the standard cut-offs found only 30 % of recurrent fallers
// (Jernigan 2012): every timed cut-off about 1 s (8 %) earlier, gait speed
// one minimal detectable change (0.1 m/s) higher, and a tandem stance under
// 5 s high. These shifts are this project's choice, not published values;
// docs/monitoring.md gives the reasoning.
func NeuropathyThresholds() Thresholds {
	t := StandardThresholds()
	t.GaitSpeedModerate, t.GaitSpeedHigh = 1.1, 0.9
	t.TUGModerate, t.TUGHigh = 11, 12
	t.STSModerate, t.STSHigh = 11, 13.5
	t.TandemHigh = 5
	return t
}

// Validate reports unusable thresholds, each with its key.
func (t Thresholds) Validate(prefix string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	pair := func(kmod, khigh string, mod, high, lo, hi float64, lowerIsWorse bool) {
		for _, kv := range []struct {
			k string
			v float64
		}{{kmod, mod}, {khigh, high}} {
			if !(kv.v == 0 || kv.v >= lo && kv.v <= hi) {
				bad(kv.k, "%v must be 0 (off) or %v..%v", kv.v, lo, hi)
			}
		}
		if mod != 0 && high != 0 {
			if lowerIsWorse && high > mod {
				bad(khigh, "%v must not be above %s %v (lower is worse)", high, kmod, mod)
			}
			if !lowerIsWorse && high < mod {
				bad(khigh, "%v must not be below %s %v (higher is worse)", high, kmod, mod)
			}
		}
	}
	pair("gait_speed_moderate_mps", "gait_speed_high_mps", t.GaitSpeedModerate, t.GaitSpeedHigh, 0.1, 2.5, true)
	pair("tug_moderate_s", "tug_high_s", t.TUGModerate, t.TUGHigh, 3, 120, false)
	pair("sts5_moderate_s", "sts5_high_s", t.STSModerate, t.STSHigh, 3, 120, false)
	pair("tandem_moderate_s", "tandem_high_s", t.TandemModerate, t.TandemHigh, 1, 60, true)
	pair("stride_time_sd_moderate_s", "stride_time_sd_high_s", t.StrideSDModerate, t.StrideSDHigh, 0.005, 1, false)
	if !(t.SwayHighRatio == 0 || t.SwayHighRatio > 1 && t.SwayHighRatio <= 20) {
		bad("sway_high_ratio", "%v must be 0 (off) or above 1 and at most 20", t.SwayHighRatio)
	}
	if t.SwayBaselineTests < 1 || t.SwayBaselineTests > 50 {
		bad("sway_baseline_tests", "%d must be 1..50", t.SwayBaselineTests)
	}
	if !(t.SwayMDCMinFraction >= 0 && t.SwayMDCMinFraction <= 5) {
		bad("sway_mdc_min_fraction", "%v must be 0..5", t.SwayMDCMinFraction)
	}
	if t.FallWindow < 24*time.Hour || t.FallWindow > 365*24*time.Hour {
		bad("fall_window", "%v must be 24h..8760h", t.FallWindow)
	}
	if t.LossesModerate < 0 || t.LossesModerate > 1000 {
		bad("losses_of_balance_moderate", "%d must be 0 (off)..1000", t.LossesModerate)
	}
	if !(t.AdherenceModerate >= 0 && t.AdherenceModerate <= 1) {
		bad("adherence_moderate", "%v must be 0..1", t.AdherenceModerate)
	}
	return errors.Join(errs...)
}

// RiskInputs are the latest findings about a patient. Zero values mean
// "not measured" unless a Has* flag says otherwise.
type RiskInputs struct {
	PatientID string
	Time      time.Time
	// GaitSpeedMPS is the mean speed of recent walking bouts over 10 s.
	GaitSpeedMPS float64
	// TUGS and STS5S are the latest test times; STS5Incomplete is set when
	// the latest five-times sit-to-stand found fewer than five stands.
	TUGS           float64
	STS5S          float64
	STS5Incomplete bool
	// TandemHoldS is the latest tandem stance hold; HasTandem says one was
	// measured (a 0 s hold is a result).
	TandemHoldS float64
	HasTandem   bool
	// StrideTimeSDS is the mean stride-time SD of recent bouts, s.
	StrideTimeSDS float64
	// SwayRMS is the recent sway-test RMS (m/s²); SwayBaseline and SwayMDC
	// the patient's baseline and its minimal detectable change.
	SwayRMS, SwayBaseline, SwayMDC float64
	// FallsRecent counts falls within Thresholds.FallWindow; FallsYear
	// within 365 days.
	FallsRecent, FallsYear int
	// LossesOfBalance over the last 14 days.
	LossesOfBalance int
	// SessionsDone and SessionsPlanned over the last 14 days (planned 0:
	// adherence not judged).
	SessionsDone    int
	SessionsPlanned float64
}

var levelRank = map[string]int{balance.RiskLow: 0, balance.RiskModerate: 1, balance.RiskHigh: 2}

// LevelRank orders risk levels: low 0, moderate 1, high 2 (-1 unknown).
func LevelRank(level string) int {
	if r, ok := levelRank[level]; ok {
		return r
	}
	return -1
}

// Assess returns the fall-risk level with its reasons: each finding past a
// cut-off gives a reason with the level it implies, and the assessment
// takes the worst. With no finding the level is low. It is a pure
// function: no I/O, no clock.
func Assess(in RiskInputs, t Thresholds) balance.RiskAssessment {
	a := balance.RiskAssessment{PatientID: in.PatientID, Time: in.Time, Level: balance.RiskLow, Reasons: []balance.RiskReason{}}
	add := func(code, text string, v, th float64, unit, level string) {
		a.Reasons = append(a.Reasons, balance.RiskReason{Code: code, Text: text, Value: round(v), Threshold: th, Unit: unit, Level: level})
		if levelRank[level] > levelRank[a.Level] {
			a.Level = level
		}
	}
	// below: value under a cut-off is worse.
	below := func(v, mod, high float64, name, code, unit string) {
		if v <= 0 {
			return
		}
		switch {
		case high > 0 && v < high:
			add(fmt.Sprintf("%s_below_%g", code, high), fmt.Sprintf("%s %.2f %s is below %g %s", name, v, unit, high, unit), v, high, unit, balance.RiskHigh)
		case mod > 0 && v < mod:
			add(fmt.Sprintf("%s_below_%g", code, mod), fmt.Sprintf("%s %.2f %s is below %g %s", name, v, unit, mod, unit), v, mod, unit, balance.RiskModerate)
		}
	}
	above := func(v, mod, high float64, name, code, unit string) {
		if v <= 0 {
			return
		}
		switch {
		case high > 0 && v >= high:
			add(fmt.Sprintf("%s_at_least_%g", code, high), fmt.Sprintf("%s %.2f %s is at or above %g %s", name, v, unit, high, unit), v, high, unit, balance.RiskHigh)
		case mod > 0 && v >= mod:
			add(fmt.Sprintf("%s_at_least_%g", code, mod), fmt.Sprintf("%s %.2f %s is at or above %g %s", name, v, unit, mod, unit), v, mod, unit, balance.RiskModerate)
		}
	}
	below(in.GaitSpeedMPS, t.GaitSpeedModerate, t.GaitSpeedHigh, "gait speed", "gait_speed", "m/s")
	above(in.TUGS, t.TUGModerate, t.TUGHigh, "Timed Up and Go", "tug", "s")
	if in.STS5Incomplete {
		add("sts5_incomplete", "could not complete five sit-to-stands", 0, 5, "stands", balance.RiskHigh)
	} else {
		above(in.STS5S, t.STSModerate, t.STSHigh, "five-times sit-to-stand", "sts5", "s")
	}
	if in.HasTandem {
		v := math.Max(in.TandemHoldS, 1e-9) // a 0 s hold is a result
		below(v, t.TandemModerate, t.TandemHigh, "tandem stance held", "tandem_hold", "s")
	}
	above(in.StrideTimeSDS, t.StrideSDModerate, t.StrideSDHigh, "stride-time variability (SD)", "stride_time_sd", "s")
	if in.SwayRMS > 0 && in.SwayBaseline > 0 {
		mdc := math.Max(in.SwayMDC, t.SwayMDCMinFraction*in.SwayBaseline)
		switch {
		case t.SwayHighRatio > 0 && in.SwayRMS >= t.SwayHighRatio*in.SwayBaseline:
			add("sway_doubled", fmt.Sprintf("sway RMS %.3f m/s² is at least %g × the baseline %.3f m/s²", in.SwayRMS, t.SwayHighRatio, in.SwayBaseline),
				in.SwayRMS, round(t.SwayHighRatio*in.SwayBaseline), "m/s²", balance.RiskHigh)
		case in.SwayRMS > in.SwayBaseline+mdc:
			add("sway_above_baseline_mdc", fmt.Sprintf("sway RMS %.3f m/s² exceeds the baseline %.3f m/s² by more than its minimal detectable change %.3f m/s²", in.SwayRMS, in.SwayBaseline, mdc),
				in.SwayRMS, round(in.SwayBaseline+mdc), "m/s²", balance.RiskModerate)
		}
	}
	switch {
	case in.FallsRecent > 0:
		add("fall_recent", fmt.Sprintf("%d fall(s) in the last %.0f days", in.FallsRecent, t.FallWindow.Hours()/24), float64(in.FallsRecent), 1, "falls", balance.RiskHigh)
	case in.FallsYear > 0:
		add("fall_past_year", fmt.Sprintf("%d fall(s) in the past year", in.FallsYear), float64(in.FallsYear), 1, "falls", balance.RiskModerate)
	}
	if t.LossesModerate > 0 && in.LossesOfBalance >= t.LossesModerate {
		add("losses_of_balance", fmt.Sprintf("%d losses of balance in exercises and tests in 14 days", in.LossesOfBalance),
			float64(in.LossesOfBalance), float64(t.LossesModerate), "losses", balance.RiskModerate)
	}
	if t.AdherenceModerate > 0 && in.SessionsPlanned > 0 {
		if frac := float64(in.SessionsDone) / in.SessionsPlanned; frac < t.AdherenceModerate {
			add("low_adherence", fmt.Sprintf("%d of %.0f planned exercise sessions done in 14 days", in.SessionsDone, in.SessionsPlanned),
				frac, t.AdherenceModerate, "fraction", balance.RiskModerate)
		}
	}
	return a
}

// round keeps 4 significant decimals so that reasons read well and compare
// stably.
func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }
