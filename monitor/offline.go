package monitor

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// This file is the monitor's analysis without the stream: the functions the
// live path runs on a session's or a walk's samples, for callers that have
// the samples in hand (the embedded demo's history backfill) and want
// exactly what monitoring would have stored.

// AnalyzeSession runs the analysis matching es.Kind on the session's
// contiguous samples at fs Hz, filling es (hold, losses, sway, result,
// quality flags) and returning the measurements monitoring stores for it (at
// the session's start, tagged with device and exercise). Walk sessions are
// not handled here (their bouts come from GaitMeasurements). A session that
// cannot be analysed gets the quality flag analysis_failed and the error.
// The sway measures get no forward axis (quality ap_unknown): see
// AnalyzeSessionWith.
func AnalyzeSession(es *balance.ExerciseSession, ss []balance.Sample, fs float64) ([]balance.Measurement, error) {
	return AnalyzeSessionWith(es, ss, fs, analysis.SwayHeading{Source: analysis.ForwardNone})
}

// AnalyzeSessionWith is AnalyzeSession with the wearer's forward axis for
// the sway measures' AP/ML split (analysis.SwayForward: from walking
// recorded around the session, or the device's declared mounting); none
// adds the quality flag ap_unknown.
func AnalyzeSessionWith(es *balance.ExerciseSession, ss []balance.Sample, fs float64, fwd analysis.SwayHeading) ([]balance.Measurement, error) {
	meas := func(name string, f map[string]float64, kv ...string) balance.Measurement {
		addQuality(f, es.Quality)
		return balance.Measurement{Name: name, PatientID: es.PatientID, Time: es.Start,
			Tags: tags(append([]string{"device", es.DeviceID}, kv...)...), Fields: f}
	}
	fail := func(err error) ([]balance.Measurement, error) {
		es.Quality = append(es.Quality, "analysis_failed")
		if es.Result == nil {
			es.Result = map[string]float64{}
		}
		return nil, err
	}
	dur := float64(len(ss)) / fs
	switch es.Kind {
	case balance.SessionSway:
		r, err := analysis.Sway(ss, fs, analysis.SwayOptions{Forward: fwd.Forward})
		if err != nil {
			return fail(err)
		}
		es.Sway = swayFields(r)
		es.HoldS = r.Seconds
		es.Quality = append(es.Quality, swayFlags(r.Quality)...)
		return []balance.Measurement{meas(MeasSway, swayFields(r), "exercise", es.ExerciseID)}, nil
	case balance.SessionFourStage, balance.SessionExercise:
		target := 10.0
		if es.Kind == balance.SessionExercise {
			target = 30
		}
		h, err := analysis.Hold(ss, fs, analysis.HoldOptions{TargetSec: target})
		if err != nil {
			return fail(err)
		}
		es.HoldS = h.HeldSec
		if h.Loss != analysis.NoLoss {
			es.LossesOfBalance = 1
		}
		es.Result = map[string]float64{"held_s": h.HeldSec, "passed": b2f(h.Passed), "target_s": target, "loss_at_s": h.LossAt}
		f := map[string]float64{"held_s": h.HeldSec, "passed": b2f(h.Passed), "losses": float64(es.LossesOfBalance), "duration_s": dur}
		if h.Loss != analysis.NoLoss {
			es.Quality = append(es.Quality, "loss_"+h.Loss.String())
			f[qualityField("loss_"+h.Loss.String())] = 1
		}
		if r, err := analysis.Sway(ss, fs, analysis.SwayOptions{Forward: fwd.Forward}); err == nil {
			es.Sway = swayFields(r)
			f["sway_rms"] = r.RMS
			f["sway_jerk"] = r.Jerk
		}
		name := MeasExercise
		if es.Kind == balance.SessionFourStage {
			name = MeasFourStage
		}
		return []balance.Measurement{meas(name, f, "exercise", es.ExerciseID)}, nil
	case balance.SessionTUG:
		r, err := analysis.TUG(ss, fs, analysis.TransitionOptions{})
		if err != nil {
			return fail(err)
		}
		es.Quality = append(es.Quality, tugFlags(r.Quality)...)
		es.Result = map[string]float64{"tug_s": r.Seconds, "turn_deg": r.TurnDeg}
		if r.Seconds <= 0 {
			return nil, nil
		}
		return []balance.Measurement{meas(MeasTUG, map[string]float64{"seconds": r.Seconds, "turn_deg": r.TurnDeg,
			"sit_to_stand_s": r.SitToStand.Seconds(), "walk_out_s": r.WalkOut.Seconds(), "turn_s": r.Turn.Seconds(),
			"walk_back_s": r.WalkBack.Seconds(), "stand_to_sit_s": r.StandToSit.Seconds()})}, nil
	case balance.SessionSitToStand:
		r, err := analysis.FiveTimesSitToStand(ss, fs, analysis.TransitionOptions{})
		if err != nil {
			return fail(err)
		}
		es.Result = map[string]float64{"sts5_s": r.Seconds, "stands": float64(r.Stands)}
		if !r.Complete {
			es.Quality = append(es.Quality, "incomplete_test")
		}
		return []balance.Measurement{meas(MeasSTS5, map[string]float64{"seconds": r.Seconds, "stands": float64(r.Stands), "complete": b2f(r.Complete)})}, nil
	default:
		es.Quality = append(es.Quality, "unknown_kind_"+strings.ToLower(es.Kind))
		return nil, nil
	}
}

// GaitMeasurements runs gait analysis on a walk's contiguous samples at fs
// Hz with the patient's heights and returns the bouts found as the
// gait_bout measurements monitoring stores (source names where they come
// from: "session", "free_living").
func GaitMeasurements(p balance.Patient, deviceID, source string, ss []balance.Sample, fs float64) ([]balance.Measurement, error) {
	res, err := analysis.Gait(ss, fs, analysis.GaitParams{HeightM: p.HeightM, SensorHeightM: p.SensorHeightM})
	if err != nil {
		return nil, err
	}
	ms := make([]balance.Measurement, 0, len(res.Bouts))
	for _, b := range res.Bouts {
		b.Flags = append(b.Flags, res.Quality...)
		ms = append(ms, boutMeasurement(p.ID, deviceID, source, b))
	}
	return ms, nil
}

// FallMeasurement is the "fall" measurement monitoring stores for a
// detected fall, at its impact time.
func FallMeasurement(patientID, deviceID string, ev analysis.FallEvent) balance.Measurement {
	return fallMeasurement(patientID, deviceID, ev)
}

// Storable drops non-finite field values (a store cannot keep NaN), each
// flagged q_non_finite_<field>, as monitoring does before every write.
func Storable(ms []balance.Measurement) []balance.Measurement {
	for i := range ms {
		for k, v := range ms[i].Fields {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				delete(ms[i].Fields, k)
				ms[i].Fields[qualityField("non_finite_"+k)] = 1
			}
		}
	}
	return ms
}

// AssessPatientAt is AssessPatient at time at (not the wall clock): the
// history of a patient assessed as monitoring would have assessed it then.
// A rise of the level raises the risk alert, dated at.
func (m *Monitor) AssessPatientAt(ctx context.Context, patientID string, at time.Time) (balance.RiskAssessment, error) {
	m.assessMu.Lock() // one assessment at a time: one history entry, one alert
	defer m.assessMu.Unlock()
	return m.assessAt(ctx, patientID, at.UTC().Truncate(time.Millisecond))
}
