package main

import (
	"sort"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/recording"
)

// The sway object of `balance analyze --json` (docs/analyze-json.md).

type swayAxisDoc struct {
	RMS      float64 `json:"rms_mps2"`
	Range    float64 `json:"range_mps2"`
	Path     float64 `json:"path_mps2"`
	Jerk     float64 `json:"jerk_m2ps5"`
	MeanVel  float64 `json:"mean_velocity_mps"`
	Power    float64 `json:"power_m2ps4"`
	F50      float64 `json:"f50_hz"`
	F95      float64 `json:"f95_hz"`
	Centroid float64 `json:"centroid_hz"`
	FreqDisp float64 `json:"frequency_dispersion"`
}

type swayDoc struct {
	Seconds     float64 `json:"seconds"`
	TestSeconds float64 `json:"test_seconds"`
	// ForwardSource is where the AP axis came from: "walking" (recorded
	// around the trial), "declared" (--sensor-forward or the file's
	// sensor_forward) or "none" (flag ap_unknown); ForwardAxis is it in
	// sensor axes (zero for none).
	ForwardSource string      `json:"forward_source"`
	ForwardAxis   [3]float64  `json:"forward_axis"`
	Jerk          float64     `json:"jerk_m2ps5"`
	Dist          float64     `json:"dist_mps2"`
	RMS           float64     `json:"rms_mps2"`
	Path          float64     `json:"path_mps2"`
	Range         float64     `json:"range_mps2"`
	MeanVel       float64     `json:"mean_velocity_mps"`
	MeanFreq      float64     `json:"mean_frequency_hz"`
	Area          float64     `json:"area_m2ps5"`
	Ellipse95     float64     `json:"ellipse95_m2ps4"`
	Power         float64     `json:"power_m2ps4"`
	F50           float64     `json:"f50_hz"`
	F95           float64     `json:"f95_hz"`
	Centroid      float64     `json:"centroid_hz"`
	FreqDisp      float64     `json:"frequency_dispersion"`
	AP            swayAxisDoc `json:"ap"`
	ML            swayAxisDoc `json:"ml"`
	Flags         []string    `json:"flags"`
}

func swayFrom(r analysis.SwayResult, h analysis.SwayHeading) *swayDoc {
	ax := func(a analysis.SwayAxis) swayAxisDoc {
		return swayAxisDoc{RMS: a.RMS, Range: a.Range, Path: a.Path, Jerk: a.Jerk, MeanVel: a.MeanVel,
			Power: a.Power, F50: a.F50, F95: a.F95, Centroid: a.CF, FreqDisp: a.FD}
	}
	d := &swayDoc{
		Seconds: r.Seconds, TestSeconds: r.TestSeconds, ForwardSource: string(h.Source), ForwardAxis: h.Forward,
		Jerk: r.Jerk, Dist: r.Dist, RMS: r.RMS, Path: r.Path, Range: r.Range,
		MeanVel: r.MeanVel, MeanFreq: r.MeanFreq, Area: r.Area, Ellipse95: r.Ellipse95,
		Power: r.Power, F50: r.F50, F95: r.F95, Centroid: r.CF, FreqDisp: r.FD,
		AP: ax(r.AP), ML: ax(r.ML), Flags: []string{},
	}
	for _, f := range []struct {
		q    analysis.SwayQuality
		name string
	}{{analysis.SwayShort, "short"}, {analysis.SwayStepping, "stepping"}, {analysis.SwayMovement, "movement"},
		{analysis.SwaySaturated, "saturated"}, {analysis.SwayAPUnknown, "ap_unknown"}} {
		if r.Quality&f.q != 0 {
			d.Flags = append(d.Flags, f.name)
		}
	}
	return d
}

// swayHeading finds the forward axis of the sway trial rec (analysis.
// SwayForward): from walking in the file before or after the trial when
// --from/--to cut it out of a longer recording, else from --sensor-forward,
// else from the file's sensor_forward metadata. The note says when the
// file's metadata could not be read.
func swayHeading(o analyzeOptions, rec recording.Recording) (analysis.SwayHeading, string) {
	var note string
	declared, _ := analysis.ParseAxis(o.sensorForward) // checked by parseAnalyzeFlags
	if declared == ([3]float64{}) {
		var err error
		if declared, err = analysis.ParseAxis(rec.Meta["sensor_forward"]); err != nil {
			note = "sway: the file's sensor_forward is not an axis (" + err.Error() + "); not used"
		}
	}
	var before, after []balance.Sample
	if s := rec.Samples; len(o.whole) > 0 && len(s) > 0 {
		t0, t1 := s[0].TimeNS, s[len(s)-1].TimeNS
		i0 := sort.Search(len(o.whole), func(i int) bool { return o.whole[i].TimeNS >= t0 })
		i1 := sort.Search(len(o.whole), func(i int) bool { return o.whole[i].TimeNS > t1 })
		before, after = o.whole[:i0], o.whole[i1:]
	}
	return analysis.SwayForward(before, after, rec.RateHz, declared), note
}
