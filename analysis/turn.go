package analysis

import "math"

// Turn is a change of walking direction about the vertical axis.
type Turn struct {
	// Start and End in seconds since the first sample of the recording.
	Start float64 `json:"start_s"`
	End   float64 `json:"end_s"`
	// DurationS is End − Start.
	DurationS float64 `json:"duration_s"`
	// AngleDeg is the integrated yaw, degrees; positive = left
	// (counter-clockwise seen from above).
	AngleDeg float64 `json:"angle_deg"`
	// PeakRateDPS is the largest low-passed |yaw rate|, °/s.
	PeakRateDPS float64 `json:"peak_rate_dps"`
}

// Turn detection parameters of El-Gohary et al. (2014) with mobgap's
// TdElGohary defaults.
const (
	turnLowpassHz   = 0.5  // 4th-order Butterworth low-pass of the yaw rate
	turnPeakDPS     = 15.0 // a turn's low-passed |yaw rate| peak exceeds this
	turnBoundDPS    = 5.0  // a turn lasts while the low-passed |yaw rate| exceeds this
	turnMergeGapS   = 0.05 // same-direction turns closer than this merge
	turnMinS        = 0.5
	turnMaxS        = 10.0
	turnMinAngleDeg = 45.0
)

// Turns detects turns in the yaw rate (rad/s about the vertical, positive
// counter-clockwise) sampled at fs Hz, t0 seconds after the recording's
// first sample (El-Gohary M et al., Sensors 14:356-369, 2014; parameters as
// mobgap TdElGohary): low-pass the rate at 0.5 Hz (4th order, zero phase);
// every peak of its magnitude above 15 °/s is a candidate whose bounds are
// the nearest samples on either side below 5 °/s; candidates that overlap,
// or turn the same way less than 0.05 s apart, merge; the angle is the
// integral of the unfiltered rate between the bounds; turns lasting 0.5-10 s
// with |angle| ≥ 45° are kept.
func Turns(yaw []float64, fs, t0 float64) []Turn {
	n := len(yaw)
	if n < 2 || !(fs > 2*turnLowpassHz) {
		return nil
	}
	deg := 180 / math.Pi
	lp := ButterLowpass(4, turnLowpassHz, fs).FiltFilt(nil, yaw)
	for i := range lp {
		lp[i] = math.Abs(lp[i]) * deg
	}
	angle := CumTrapz(nil, yaw, fs)
	type cand struct {
		a, b int // [a, b] inclusive
		peak float64
		sign float64
	}
	var cs []cand
	for i := 0; i < n; i++ {
		isPeak := lp[i] > turnPeakDPS && (i == 0 || lp[i] > lp[i-1]) && (i == n-1 || lp[i] >= lp[i+1])
		if !isPeak {
			continue
		}
		if k := len(cs) - 1; k >= 0 && i <= cs[k].b {
			// Same run above the boundary rate as the previous candidate:
			// same bounds, so only the peak can grow (keeps this O(n)).
			cs[k].peak = math.Max(cs[k].peak, lp[i])
			continue
		}
		a := i
		for a > 0 && lp[a] >= turnBoundDPS {
			a--
		}
		b := i
		for b < n-1 && lp[b] >= turnBoundDPS {
			b++
		}
		c := cand{a, b, lp[i], math.Copysign(1, (angle[b] - angle[a]))}
		if k := len(cs) - 1; k >= 0 && (a <= cs[k].b || (c.sign == cs[k].sign && float64(a-cs[k].b)/fs < turnMergeGapS)) {
			cs[k].b = max(cs[k].b, b)
			cs[k].peak = math.Max(cs[k].peak, c.peak)
			cs[k].sign = math.Copysign(1, angle[cs[k].b]-angle[cs[k].a])
			continue
		}
		cs = append(cs, c)
	}
	var out []Turn
	for _, c := range cs {
		d := float64(c.b-c.a) / fs
		ang := (angle[c.b] - angle[c.a]) * deg
		if d < turnMinS || d > turnMaxS || math.Abs(ang) < turnMinAngleDeg {
			continue
		}
		out = append(out, Turn{Start: t0 + float64(c.a)/fs, End: t0 + float64(c.b)/fs, DurationS: d, AngleDeg: ang, PeakRateDPS: c.peak})
	}
	return out
}
