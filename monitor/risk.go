package monitor

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

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
	// FallsRecent counts falls within balance.Thresholds.FallWindow; FallsYear
	// within 365 days.
	FallsRecent, FallsYear int
	// LossesOfBalance over the last 14 days.
	LossesOfBalance int
	// SessionsDone and SessionsPlanned over the last 14 days (planned 0:
	// adherence not judged).
	SessionsDone    int
	SessionsPlanned float64
}

var levelRank = map[string]int{balance.RiskNotEnoughData: 0, balance.RiskLow: 0, balance.RiskModerate: 1, balance.RiskHigh: 2}

// LevelRank orders risk levels: low and not enough data 0, moderate 1,
// high 2 (-1 unknown).
func LevelRank(level string) int {
	if r, ok := levelRank[level]; ok {
		return r
	}
	return -1
}

// Assess returns the fall-risk level with its reasons: each finding past a
// cut-off gives a reason with the level it implies, and the assessment
// takes the worst. With no finding the level is low only if the measures
// that could have found one exist (see enoughToCallLow); otherwise it is
// RiskNotEnoughData, with a reason naming what is missing. It is a pure
// function: no I/O, no clock.
func Assess(in RiskInputs, t balance.Thresholds) balance.RiskAssessment {
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
	if a.Level == balance.RiskLow {
		if missing := missingToCallLow(in); len(missing) > 0 {
			a.Level = balance.RiskNotEnoughData
			a.Reasons = append(a.Reasons, balance.RiskReason{Code: "not_enough_data", Level: balance.RiskNotEnoughData,
				Text: "not enough data to call the risk low: no " + strings.Join(missing, ", no ")})
		}
	}
	return a
}

// missingToCallLow names what is missing before a patient with no finding
// can be called low risk: a measure of mobility (walking speed, or a Timed
// Up and Go) and one of balance or leg strength (a tandem stance, a sway
// test against the patient's baseline, or a five-times sit-to-stand). The
// STEADI algorithm (CDC) likewise screens with gait, strength and balance
// tests before calling a person low risk.
func missingToCallLow(in RiskInputs) []string {
	var missing []string
	if in.GaitSpeedMPS <= 0 && in.TUGS <= 0 {
		missing = append(missing, "walking speed or Timed Up and Go")
	}
	if !in.HasTandem && !(in.SwayRMS > 0 && in.SwayBaseline > 0) && in.STS5S <= 0 && !in.STS5Incomplete {
		missing = append(missing, "balance test (tandem stance, sway against a baseline, or sit-to-stand)")
	}
	return missing
}

// round keeps 4 significant decimals so that reasons read well and compare
// stably.
func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }
