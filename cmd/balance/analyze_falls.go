package main

import (
	"math"

	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/recording"
)

// The fall part of `balance analyze --json` (docs/analyze-json.md).

// fallUpDoc says which upright axis the fall detector used.
type fallUpDoc struct {
	// Source is "walking" (learned from the recording's walking bouts,
	// analysis.UpFromBouts), "declared" (--sensor-up, else the file's
	// sensor_up metadata; not checked) or "none" (the detector's no-Up
	// behaviour: rolling in bed may be alarmed).
	Source string `json:"up_source"`
	// Axis is the up axis in sensor coordinates (unit; zero for none).
	Axis [3]float64 `json:"up_axis"`
	// WalkingS is the walking it was learned from, s (0 unless walking).
	WalkingS float64 `json:"walking_s"`
}

// fallUp finds the fall detector's upright axis for rec: from its walking
// bouts (gait, nil when gait was not analysed) when they hold at least
// analysis.UpMinWalkS of walking, else from --sensor-up, else from the
// file's sensor_up metadata, else none. The note says when the file's
// metadata could not be read.
func fallUp(o analyzeOptions, rec recording.Recording, gait *analysis.GaitResult) (fallUpDoc, string) {
	return fallUpFrom(o, rec.Meta, gait, func() ([3]float64, float64, error) {
		return analysis.UpFromBouts(rec.Samples, rec.RateHz, gait.Bouts)
	})
}

// fallUpFrom is fallUp with the file's metadata meta and walkingUp giving
// analysis.UpFromBouts over the recording's bouts (called only when gait
// has bouts).
func fallUpFrom(o analyzeOptions, meta map[string]string, gait *analysis.GaitResult, walkingUp func() ([3]float64, float64, error)) (fallUpDoc, string) {
	if gait != nil && len(gait.Bouts) > 0 {
		if up, walkS, err := walkingUp(); err == nil {
			return fallUpDoc{Source: string(analysis.UpWalking), Axis: up, WalkingS: walkS}, ""
		}
	}
	var note string
	declared, _ := analysis.ParseAxis(o.sensorUp) // checked by parseAnalyzeFlags
	if declared == ([3]float64{}) {
		var err error
		if declared, err = analysis.ParseAxis(meta["sensor_up"]); err != nil {
			note = "falls: the file's sensor_up is not an axis (" + err.Error() + "); not used"
		}
	}
	if u := unit3(declared); u != ([3]float64{}) {
		return fallUpDoc{Source: string(analysis.UpDeclared), Axis: u}, note
	}
	return fallUpDoc{Source: string(analysis.UpNone)}, note
}

// analyzeFalls runs the fall detector over rec with the upright axis of
// fallUp and returns the falls and that axis.
func analyzeFalls(o analyzeOptions, rec recording.Recording, gait *analysis.GaitResult) ([]fallDoc, fallUpDoc, string) {
	s, fs := rec.Samples, rec.RateHz
	up, note := fallUp(o, rec, gait)
	out := []fallDoc{}
	for _, ev := range analysis.DetectFalls(s, fs, analysis.FallConfig{Up: up.Axis}) {
		out = append(out, fallFrom(ev, s[0].TimeNS))
	}
	return out, up, note
}

// fallFrom is the document of ev in a recording whose first sample is at
// t0 (Unix ns).
func fallFrom(ev analysis.FallEvent, t0 int64) fallDoc {
	return fallDoc{
		ImpactS: float64(ev.ImpactTimeNS-t0) / 1e9, ImpactUnixNS: ev.ImpactTimeNS,
		DecisionS: float64(ev.DecisionTimeNS-t0) / 1e9, DecisionUnixNS: ev.DecisionTimeNS,
		PeakAccG: ev.PeakAccG, MinAccG: ev.MinAccG, DescentMPS: ev.DescentMS, TiltDeg: ev.TiltDeg,
		Inactive: ev.Inactive, GotUp: ev.GotUp, TimeToGetUpS: ev.TimeToGetUpS, FreeFallS: ev.FreeFallS, OutOfBed: ev.FromLying,
		Confidence: ev.Confidence,
	}
}

// unit3 is v scaled to length 1 (zero for the zero vector).
func unit3(v [3]float64) [3]float64 {
	n := v[0]*v[0] + v[1]*v[1] + v[2]*v[2]
	if n == 0 {
		return v
	}
	r := 1 / math.Sqrt(n)
	return [3]float64{v[0] * r, v[1] * r, v[2] * r}
}
