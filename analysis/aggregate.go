package analysis

import (
	"math"
	"sort"
	"time"
)

// GaitAggregates summarise walking bouts the way Mobilise-D aggregates its
// digital mobility outcomes (mobgap MobilisedAggregator): counts and
// durations over all bouts, cadence and stride time over all bouts, and
// walking speed and stride length over bouts longer than 10 s (shorter bouts
// give unreliable speeds, Kirk et al. 2024). Only plausible values (see
// WalkingBout.Flags) enter the means. Zero means "no data".
type GaitAggregates struct {
	NumBouts int     `json:"num_bouts"`
	WalkingS float64 `json:"walking_s"`
	NumSteps int     `json:"num_steps"`
	NumTurns int     `json:"num_turns"`
	// BoutDurationMedianS and BoutDurationP90S over all bouts.
	BoutDurationMedianS float64 `json:"bout_duration_median_s"`
	BoutDurationP90S    float64 `json:"bout_duration_p90_s"`
	// BoutsOver60S counts bouts longer than 60 s.
	BoutsOver60S int `json:"bouts_over_60s"`
	// CadenceSPM and StrideTimeS are means of the bouts' values;
	// StrideTimeCV is the mean of the bouts' CVs (%).
	CadenceSPM   float64 `json:"cadence_spm"`
	StrideTimeS  float64 `json:"stride_time_s"`
	StrideTimeCV float64 `json:"stride_time_cv_pct"`
	// SpeedMPS and StrideLengthM: means over bouts > 10 s; SpeedP90MPS the
	// 90th percentile over the same bouts.
	SpeedMPS      float64 `json:"speed_mps"`
	SpeedP90MPS   float64 `json:"speed_p90_mps"`
	StrideLengthM float64 `json:"stride_length_m"`
}

// Aggregate summarises bouts.
func Aggregate(bouts []WalkingBout) GaitAggregates {
	var a GaitAggregates
	var durs, cad, st, cv, sp, sl []float64
	for _, b := range bouts {
		a.NumBouts++
		a.WalkingS += b.DurationS
		a.NumSteps += b.NumSteps
		a.NumTurns += len(b.Turns)
		durs = append(durs, b.DurationS)
		if b.DurationS > 60 {
			a.BoutsOver60S++
		}
		if !b.flagged(FlagCadenceImplausible) {
			cad = append(cad, b.CadenceSPM)
			st = append(st, b.StrideTimeS)
			cv = append(cv, b.StrideTimeCV)
		}
		if b.HasLength && b.DurationS > 10 {
			if !b.flagged(FlagSpeedImplausible) {
				sp = append(sp, b.SpeedMPS)
			}
			if !b.flagged(FlagStrideLengthImplausible) {
				sl = append(sl, b.StrideLengthM)
			}
		}
	}
	a.BoutDurationMedianS = percentile(durs, 50)
	a.BoutDurationP90S = percentile(durs, 90)
	a.CadenceSPM = meanOf(cad)
	a.StrideTimeS = meanOf(st)
	a.StrideTimeCV = meanOf(cv)
	a.SpeedMPS = meanOf(sp)
	a.SpeedP90MPS = percentile(sp, 90)
	a.StrideLengthM = meanOf(sl)
	return a
}

// DailyGait is the aggregate of one UTC calendar day.
type DailyGait struct {
	// Date is the UTC day, YYYY-MM-DD, of the bouts' starts.
	Date string `json:"date"`
	GaitAggregates
}

// AggregateDaily groups bouts by the UTC day of their StartTimeNS and
// aggregates each day, in date order.
func AggregateDaily(bouts []WalkingBout) []DailyGait {
	byDay := map[string][]WalkingBout{}
	for _, b := range bouts {
		d := time.Unix(0, b.StartTimeNS).UTC().Format("2006-01-02")
		byDay[d] = append(byDay[d], b)
	}
	days := make([]string, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Strings(days)
	out := make([]DailyGait, 0, len(days))
	for _, d := range days {
		out = append(out, DailyGait{Date: d, GaitAggregates: Aggregate(byDay[d])})
	}
	return out
}

func meanOf(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// percentile returns the p-th percentile of x with linear interpolation
// between order statistics (numpy.percentile's default), 0 for empty x.
func percentile(x []float64, p float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	r := p / 100 * float64(len(s)-1)
	i := int(math.Floor(r))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (r-float64(i))*(s[i+1]-s[i])
}
