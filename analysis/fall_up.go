package analysis

import (
	"fmt"
	"math"

	"github.com/balance-pt/balance"
)

// UpSource tells where a fall detector's upright axis (FallConfig.Up) came
// from.
type UpSource string

// Upright axis sources, best first.
const (
	// UpWalking: learned from the wearer's own walking (UpFromBouts).
	UpWalking UpSource = "walking"
	// UpDeclared: the device's declared mounting (not checked).
	UpDeclared UpSource = "declared"
	// UpNone: unknown; the detector takes whatever the gravity direction
	// was before an impact for upright (FallConfig.Up).
	UpNone UpSource = "none"
)

// UpMinWalkS is the least walking (s, summed over bouts) UpFromBouts
// averages over: about five strides at a slow walker's stride time of
// ~1.2 s (Mobilise-D's stride limit is 0.2-3 s), so that the trunk's
// per-stride sway and the step accelerations average out of the mean. A
// design bound, not fitted to data.
const UpMinWalkS = 6.0

// ErrNoWalkingUp is returned by UpFromBouts when the bouts hold less than
// UpMinWalkS of walking.
var ErrNoWalkingUp = fmt.Errorf("%w: too little walking to learn the upright axis", ErrTooShort)

// UpFromBouts returns the wearer's upright "up" in sensor coordinates (a
// unit vector) learned from walking: the direction of the mean
// acceleration over the samples inside the walking bouts (Gait's bouts of
// these samples, whose Start and End are seconds after samples[0], by
// TimeNS when the samples carry times, else by index/fs). Walking is
// upright by definition and its accelerations average to zero over whole
// strides, so the mean is gravity along the upright trunk (Moe-Nilssen
// 1998, Clin Biomech 13:320; the same rule as AlignToBody's step 1, here
// over the bouts Gait found instead of AlignToBody's rhythmic windows, so
// that short bridged gaps inside a bout do not stop it). It also returns
// the walking seconds used. Samples with a non-finite value are passed
// over. It returns ErrBadRate for fs outside balance.MinRateHz..MaxRateHz
// and ErrNoWalkingUp (wrapping ErrTooShort) when the bouts hold less than
// UpMinWalkS.
func UpFromBouts(samples []balance.Sample, fs float64, bouts []WalkingBout) (up [3]float64, walkS float64, err error) {
	if err := CheckRate(fs); err != nil {
		return up, 0, err
	}
	if len(samples) == 0 || len(bouts) == 0 {
		return up, 0, ErrNoWalkingUp
	}
	t00 := samples[0].TimeNS
	timed := t00 != 0 || samples[len(samples)-1].TimeNS != 0
	var sum [3]float64
	n := 0
	for i := range samples {
		t := float64(i) / fs
		if timed {
			t = float64(samples[i].TimeNS-t00) / 1e9
		}
		in := false
		for k := range bouts {
			if t >= bouts[k].Start && t <= bouts[k].End {
				in = true
				break
			}
		}
		a := samples[i].Acc
		if !in || !(dot(a, a) <= math.MaxFloat64) {
			continue
		}
		sum = add3(sum, a)
		n++
	}
	walkS = float64(n) / fs
	if walkS < UpMinWalkS {
		return [3]float64{}, walkS, fmt.Errorf("%w: %.1f s in %d bout(s), need %.0f s", ErrNoWalkingUp, walkS, len(bouts), UpMinWalkS)
	}
	up = unit(sum)
	if up == ([3]float64{}) {
		return up, walkS, fmt.Errorf("%w: the mean acceleration over walking is zero", ErrNoWalkingUp)
	}
	return up, walkS, nil
}

// SetUp gives the detector the wearer's upright axis (sensor coordinates,
// any length; FallConfig.Up), e.g. one learned from walking by
// UpFromBouts; the zero vector (or a non-finite one) forgets it. It takes
// effect for impacts whose pre-fall posture is judged after the call. It
// must not be called concurrently with Push or Flush (between calls is
// safe).
func (d *FallDetector) SetUp(up [3]float64) {
	c := d.cfg
	c.Up = up
	d.cfg.Up = c.withDefaults().Up
}

// Up returns the detector's upright axis (unit, sensor coordinates), zero
// when unknown.
func (d *FallDetector) Up() [3]float64 { return d.cfg.Up }
