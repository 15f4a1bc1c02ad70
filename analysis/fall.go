package analysis

import (
	"math"

	"github.com/balance-pt/balance"
)

// FallConfig holds the fall detector's thresholds. Zero fields take the
// published defaults noted on each; the one threshold checked against data
// (ImpactG) was chosen on development subjects only (validation.Falls
// reports it on the others).
type FallConfig struct {
	// ImpactG is the impact threshold on |acc| in g. Default 2.0 g, the
	// waist impact threshold of Kangas et al. 2008 (Gait Posture 28:285);
	// published trunk/waist values span 2-3.5 g (Bourke 2007 Gait Posture
	// 26:194: 3.52 g), and real-world falls hit softer (FARSEEING:
	// Palmerini 2020 Sensors 20:6479; Bagalà 2012 PLOS ONE 7:e37062). On
	// SisFall the value was also the one chosen from 1.5-3.52 g by the
	// Youden index on the development subjects only (SA01-SA06, SE02),
	// and it is reported on the others (validation.Falls).
	ImpactG float64
	// FreeFallG is the free-fall threshold on |acc| in g within the second
	// before impact. Default 0.6 g (Kangas 2008; Bourke 2007's lower
	// threshold is 0.41 g). A confidence cue only: falls from sitting and
	// slumps have little free fall.
	FreeFallG float64
	// PostureDeg is the least change of the gravity direction between
	// before and just after the impact for the wearer to be lying. Default
	// 60° (Kangas 2008: vertical acceleration under 0.5 g = trunk more than
	// 60° from upright; Bourke 2010 J Biomech 43:3051).
	PostureDeg float64
	// SettleSec is how long after the impact the posture window begins
	// (bounces settle); default 0.5 s. PostureSec is its length; default
	// 1 s. The alarm is decided at its end, SettleSec + PostureSec after
	// the impact. Stillness is not required (issue 12: people who move,
	// roll or get up at once after a fall still fell); whether they were
	// still is reported (Inactive).
	SettleSec, PostureSec float64
	// StillG and StillRadS bound the standard deviation of |acc| (g) and
	// the mean |gyro| (rad/s) in the posture window for Inactive. Defaults
	// 0.05 g (breathing and sensor noise move |acc| by under 0.02 g; slow
	// walking by over 0.1 g) and 0.35 rad/s (20 °/s).
	StillG, StillRadS float64
	// Up is the sensor-frame direction of "up" while the wearer stands
	// (the device's declared mounting, e.g. a recording's axes metadata);
	// zero when unknown. When known, an impact while the trunk was already
	// lying (gravity more than PostureDeg from Up over the pre-fall window)
	// counts only as a fall out of bed (BedDropM): rolling over in bed,
	// turning while lying and lying down heavily are then not alarmed.
	// When unknown, upright is whatever the gravity direction was before
	// the impact.
	Up [3]float64
	// BedDropM is the least free-fall drop (m) before an impact while
	// lying for it to count as a fall out of bed (used only when Up is
	// known). The drop is read as the longest unbroken run of |acc| under
	// FreeFallG in the second before the impact, t_ff = sqrt(2·BedDropM/g)
	// (h = g·t²/2). A fall out of bed (lying, rolling over the edge,
	// dropping to the floor) must then also end lying: gravity PostureDeg
	// or more from Up after the impact (no turn from the pre-fall posture
	// is required: one may land as one lay).
	//
	// Default 0.15 m, t_ff = 0.175 s. Beds are high: home beds are about
	// 0.45-0.6 m to the mattress top (the usual furniture range, not
	// re-checked against a standard), and in 263 nursing-home residents
	// the bed at its lowest position was above 140 % of the lower-leg
	// length (~0.4 m in older adults, not re-checked: so above ~0.56 m)
	// for three quarters of them
	// (Capezuti et al. 2008, Clin Nurs Res 17:50). The lower-back sensor
	// lies about 0.1 m above the floor afterwards, so it drops at least
	// ~0.35 m; a roll-off is not a pure free fall, though: while the hips
	// slide over the mattress edge the trunk is partly held and |acc|
	// reads between FreeFallG and 1 g, and only the rest of the drop is
	// free (|acc| near 0 g, plus ω²r ≈ 0.05-0.25 g from the trunk still
	// turning at 2-5 rad/s with the sensor ~0.1 m off the roll axis).
	// Counting up to half of the shortest drop (0.35 m) as the slide
	// leaves at least 0.175 m of free fall; 0.15 m is taken to keep a
	// margin below it (the free drop is the least the detector must
	// catch, not a typical one). Lying down quickly and rolling in bed
	// stay far below it: on SisFall D12-D14 (every trial, every subject) the
	// longest run under 0.6 g anywhere in a trial is at most 0.085 s
	// (validation.Falls reports the distribution). Beds lowered to ~0.2-0.3
	// m and floor beds (a falls-prevention measure) give too short a drop
	// to be told from lying down and are not covered. A pre-impact
	// vertical velocity (≥ 0.7 m/s, speedMS) is not used: the trunk turns
	// ~90° while rolling off, so a fixed sensor axis is not vertical, and
	// on SisFall a gyro-aided vertical velocity did not separate lying
	// down quickly from falls (see speedMS).
	BedDropM float64
	// GetUpDeg is the largest angle between the gravity direction and the
	// pre-fall one for the trunk to count as upright again (got up):
	// default 45°, midway between upright and lying. It must hold for
	// 1 s.
	GetUpDeg float64
	// GetUpSec is how long after the impact getting up is watched for;
	// default 5 s. The event is returned when the wearer is up again or
	// this long after the impact, whichever is first (DecisionTimeNS says
	// when an alarm could have been raised).
	GetUpSec float64
}

func (c FallConfig) withDefaults() FallConfig {
	def := func(v *float64, d float64) {
		if !(*v > 0) {
			*v = d
		}
	}
	def(&c.ImpactG, DefaultImpactG)
	def(&c.FreeFallG, DefaultFreeFallG)
	def(&c.PostureDeg, 60)
	def(&c.SettleSec, 0.5)
	def(&c.PostureSec, 1)
	def(&c.StillG, 0.05)
	def(&c.StillRadS, 0.35)
	def(&c.GetUpDeg, 45)
	def(&c.GetUpSec, 5)
	def(&c.BedDropM, DefaultBedDropM)
	if c.GetUpSec < c.SettleSec+c.PostureSec {
		c.GetUpSec = c.SettleSec + c.PostureSec
	}
	if n := norm3(c.Up); n > 0 && !math.IsInf(n, 0) {
		c.Up = scale3(c.Up, 1/n)
	} else {
		c.Up = [3]float64{}
	}
	return c
}

// DefaultImpactG is FallConfig.ImpactG's default (g); see there.
const DefaultImpactG = 2.0

// DefaultFreeFallG is FallConfig.FreeFallG's default (g); see there.
const DefaultFreeFallG = 0.6

// DefaultBedDropM is FallConfig.BedDropM's default (m); see there.
const DefaultBedDropM = 0.15

// FreeFallSec is the free-fall time (s) of a drop of h metres from rest,
// t = sqrt(2·h/g₀): the least run of |acc| under FallConfig.FreeFallG that
// makes an impact while lying a fall out of bed (FallConfig.BedDropM).
func FreeFallSec(h float64) float64 { return math.Sqrt(2 * h / balance.StandardGravity) }

// Fixed windows of the multiphase model (Becker/Klenk/Palmerini): the
// impact is the largest |acc| within impactWin of the first crossing; the
// pre-fall posture is the mean gravity direction from preLo to preHi
// seconds before it; free fall and the descent speed are looked for in the
// second before it.
const (
	impactWin = 1.0
	preLo     = 2.5
	preHi     = 1.0
	fallWin   = 1.0
	ringSec   = 4.0
	// upBlock is the block (s) over which the gravity direction is
	// averaged while watching for getting up; two upright blocks in a row
	// (1 s) make the wearer up again.
	upBlock = 0.5
	// relockSec: after an event no new impact is taken until the wearer is
	// up again or this long (s) has passed: one fall, one event, however
	// the person moves on the ground.
	relockSec = 30.0
	// speedMS is a pre-impact velocity threshold, 0.7 m/s (Kangas 2008;
	// Bourke 2010 J Biomech 43:3051 uses vertical velocity too; the value
	// was not re-checked against the papers), used here only as a
	// confidence cue on the descent speed estimated from |acc|: on SisFall
	// a gyro-aided vertical velocity did not separate lying down quickly
	// (0.46-0.70 m/s) from falls onto a mattress (15 falls under 0.7).
	speedMS = 0.7
	// hardImpactG is Bourke 2007's trunk upper fall threshold, a
	// confidence cue.
	hardImpactG = 3.52
	maxCands    = 8
)

// FallEvent is one detected fall. Times are the samples' TimeNS.
type FallEvent struct {
	// FreeFall reports |acc| under FreeFallG in the second before impact;
	// FreeFallStartNS is then the first such sample's time.
	FreeFall        bool
	FreeFallStartNS int64
	// FreeFallS is the longest unbroken run (s) of |acc| under FreeFallG
	// in the second before the impact (a drop of about g·t²/2 when the
	// run is a true free fall).
	FreeFallS float64
	// FromLying reports a fall out of bed: the trunk was lying before the
	// impact (Up known), and it counted because FreeFallS reached the
	// free-fall time of FallConfig.BedDropM.
	FromLying bool
	// ImpactTimeNS is the time of the largest |acc| of the impact.
	ImpactTimeNS int64
	// PostureTimeNS is when the post-impact posture window began
	// (ImpactTimeNS + SettleSec).
	PostureTimeNS int64
	// DecisionTimeNS is when the alarm could be raised: the end of the
	// posture window (ImpactTimeNS + SettleSec + PostureSec), or the last
	// sample when a recording ends sooner.
	DecisionTimeNS int64
	// InactivityEndNS is the end of the post-impact observation: when the
	// wearer was up again, or GetUpSec after the impact, or the last sample
	// seen (the event is returned then).
	InactivityEndNS int64
	// PeakAccG is the impact's |acc| in g; MinAccG the least |acc| in the
	// second before it.
	PeakAccG, MinAccG float64
	// DescentMS is the downward speed (m/s) reached before impact, from
	// the running integral of (|acc| - g) over the second before it: an
	// axis-free stand-in for vertical velocity.
	DescentMS float64
	// TiltDeg is the angle between the gravity directions before and just
	// after the impact (the posture window).
	TiltDeg float64
	// Inactive reports the wearer still in the posture window.
	Inactive bool
	// GotUp reports the trunk upright again (within GetUpDeg of the
	// pre-fall direction for 1 s) within GetUpSec of the impact;
	// GetUpTimeNS is then the start of that upright second and
	// TimeToGetUpS its delay after the impact in seconds.
	GotUp        bool
	GetUpTimeNS  int64
	TimeToGetUpS float64
	// Confidence in [0,1]: 0.55 for impact + posture change, plus 0.1
	// each for free fall, descent ≥ 0.7 m/s, impact ≥ 3.52 g and
	// stillness after it.
	Confidence float64
}

// meanDir is the direction of the mean acc of samples from..to-1 still in
// the ring and after the last gap (a unit vector; zero if none).
func (d *FallDetector) meanDir(from, to int64) [3]float64 {
	L := int64(len(d.ring))
	from = max(from, d.n-L, d.since, 0)
	var m [3]float64
	for j := from; j < to; j++ {
		m = add3(m, d.ring[j%L].acc)
	}
	return unit(m)
}

// fallConfidence scores the published cues of ev (see FallEvent.Confidence).
func fallConfidence(ev FallEvent) float64 {
	conf := 0.55
	for _, cue := range []bool{ev.FreeFall, ev.DescentMS >= speedMS, ev.PeakAccG >= hardImpactG, ev.Inactive} {
		if cue {
			conf += 0.1
		}
	}
	return math.Min(1, conf)
}

// DetectFalls runs a FallDetector over a whole recording and flushes it.
// Impacts within SettleSec + PostureSec/2 of the end are not reported. Unlike
// NewFallDetector it does not panic on a rate outside balance.MinRateHz..
// MaxRateHz: it returns no events (rates are validated at ingest by
// balance.Batch.Validate; use CheckRate to tell the cases apart).
func DetectFalls(samples []balance.Sample, fs float64, cfg FallConfig) []FallEvent {
	if CheckRate(fs) != nil {
		return nil
	}
	d := NewFallDetector(fs, cfg)
	var out []FallEvent
	for i := range samples {
		if ev, ok := d.Push(samples[i]); ok {
			out = append(out, ev)
		}
	}
	return append(out, d.Flush()...)
}
