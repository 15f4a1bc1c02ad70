package monitor

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// Measurement names written by monitoring (docs/monitoring.md lists their
// fields). Quality flags are fields named q_<flag> with value 1.
const (
	MeasFall      = "fall"
	MeasGaitBout  = "gait_bout"
	MeasSway      = "sway"
	MeasTUG       = "tug"
	MeasSTS5      = "sts5"
	MeasFourStage = "four_stage"
	MeasExercise  = "exercise"
	MeasRisk      = "risk"
)

// MeasurementNames lists the names above.
var MeasurementNames = []string{MeasFall, MeasGaitBout, MeasSway, MeasTUG, MeasSTS5, MeasFourStage, MeasExercise, MeasRisk}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func tags(kv ...string) map[string]string {
	t := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			t[kv[i]] = kv[i+1]
		}
	}
	return t
}

// qualityField turns a flag into a field name: q_ and the flag with
// characters other than letters, digits and '_' replaced by '_'.
func qualityField(flag string) string {
	var b strings.Builder
	b.WriteString("q_")
	for _, c := range flag {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func addQuality(f map[string]float64, flags []string) {
	for _, q := range flags {
		f[qualityField(q)] = 1
	}
}

// fallMeasurement records a detected fall at its impact time.
func fallMeasurement(patient, device string, ev analysis.FallEvent) balance.Measurement {
	f := map[string]float64{
		"peak_acc_g": ev.PeakAccG, "min_acc_g": ev.MinAccG, "descent_mps": ev.DescentMS, "tilt_deg": ev.TiltDeg,
		"confidence": ev.Confidence, "inactive": b2f(ev.Inactive), "free_fall": b2f(ev.FreeFallStartNS != 0),
		"decision_delay_s": float64(ev.InactivityEndNS-ev.ImpactTimeNS) / 1e9,
		"free_fall_s":      ev.FreeFallS, "out_of_bed": b2f(ev.FromLying), "got_up": b2f(ev.GotUp),
	}
	if ev.GotUp {
		f["time_to_get_up_s"] = ev.TimeToGetUpS
	}
	return balance.Measurement{
		Name: MeasFall, PatientID: patient, Time: time.Unix(0, ev.ImpactTimeNS).UTC(), Tags: tags("device", device), Fields: f,
	}
}

// boutMeasurement records one walking bout at its start time.
func boutMeasurement(patient, device, source string, b analysis.WalkingBout) balance.Measurement {
	f := map[string]float64{
		"duration_s": b.DurationS, "num_steps": float64(b.NumSteps), "num_strides": float64(b.NumStrides),
		"cadence_spm": b.CadenceSPM, "step_time_s": b.StepTimeS, "step_time_cv_pct": b.StepTimeCV,
		"stride_time_s": b.StrideTimeS, "stride_time_sd_s": b.StrideTimeSD, "stride_time_cv_pct": b.StrideTimeCV,
		"step_regularity": b.StepRegularity, "stride_regularity": b.StrideRegularity, "symmetry": b.Symmetry,
		"harmonic_ratio": b.HarmonicRatio, "turns": float64(len(b.Turns)),
	}
	if b.HasLength {
		f["speed_mps"] = b.SpeedMPS
		f["stride_length_m"] = b.StrideLengthM
	}
	addQuality(f, b.Flags)
	return balance.Measurement{Name: MeasGaitBout, PatientID: patient, Time: time.Unix(0, b.StartTimeNS).UTC(),
		Tags: tags("device", device, "source", source), Fields: f}
}

// swayFields flattens the iSway measures (analysis.SwayResult: the 2-D
// frequency measures are those of the resultant distance over 0.15–5 Hz,
// Prieto 1996; jerk and path are over the whole session, test_seconds;
// seconds is the part analysed). The _ap/_ml measures follow the body's
// axes only when the session has no ap_unknown flag.
func swayFields(r analysis.SwayResult) map[string]float64 {
	return map[string]float64{
		"jerk": r.Jerk, "dist": r.Dist, "rms": r.RMS, "path": r.Path, "range": r.Range, "mean_vel": r.MeanVel,
		"mean_freq": r.MeanFreq, "area": r.Area, "power": r.Power, "f50": r.F50, "f95": r.F95, "cf": r.CF, "fd": r.FD,
		"ellipse95": r.Ellipse95, "rms_ap": r.AP.RMS, "rms_ml": r.ML.RMS, "jerk_ap": r.AP.Jerk, "jerk_ml": r.ML.Jerk,
		"f50_ap": r.AP.F50, "f50_ml": r.ML.F50, "seconds": r.Seconds, "test_seconds": r.TestSeconds,
	}
}

// swayFlags names the set sway quality flags.
func swayFlags(q analysis.SwayQuality) []string {
	var out []string
	for _, f := range []struct {
		bit  analysis.SwayQuality
		name string
	}{{analysis.SwayShort, "short"}, {analysis.SwayStepping, "stepping"}, {analysis.SwayMovement, "movement"},
		{analysis.SwaySaturated, "saturated"}, {analysis.SwayAPUnknown, "ap_unknown"}} {
		if q&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

func tugFlags(q analysis.TUGQuality) []string {
	var out []string
	if q&analysis.TUGNoStand != 0 {
		out = append(out, "no_stand")
	}
	if q&analysis.TUGNoSit != 0 {
		out = append(out, "no_sit")
	}
	if q&analysis.TUGNoTurn != 0 {
		out = append(out, "no_turn")
	}
	return out
}

// write stores measurements after dropping non-finite field values (a
// store cannot keep NaN, and a missing field reads as "not measured").
func (m *Monitor) write(ctx context.Context, ms []balance.Measurement) error {
	for i := range ms {
		for k, v := range ms[i].Fields {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				delete(ms[i].Fields, k)
				ms[i].Fields[qualityField("non_finite_"+k)] = 1
			}
		}
	}
	return m.deps.Store.WriteMeasurements(ctx, ms)
}
