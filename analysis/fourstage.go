package analysis

import (
	"fmt"
	"math"

	"github.com/balance-pt/balance"
)

// LossKind says how balance was lost during a held stance.
type LossKind int

// Kinds of loss of balance.
const (
	NoLoss LossKind = iota
	// LossStep: a step (vertical acceleration RMS over 0.5 s above
	// 0.5 m/s², 0.5-10 Hz; quiet stance stays under 0.1 m/s²).
	LossStep
	// LossTransient: a grab or arm swing: trunk angular rate above 1 rad/s
	// (57 °/s; quiet stance stays under 0.2 rad/s) or horizontal
	// acceleration band-passed at 0.5-3.5 Hz (fast movement; a slow lean is
	// LossTilt) above 2.5 m/s² (the hardest ladder stances sway with RMS
	// under 1 m/s², Neville 2015).
	LossTransient
	// LossTilt: the 0.5 Hz low-passed gravity direction stayed more than
	// 15° from the stance's initial posture for at least 1 s (beyond the
	// limits of stability, about 12.5° AP and 16° ML (Nashner), a person
	// leans on support or falls; brief excursions of large sway are not a
	// loss). The loss is dated at the start of the excursion.
	LossTilt
)

// String names the kind.
func (k LossKind) String() string {
	if k < NoLoss || k > LossTilt {
		return "unknown"
	}
	return [...]string{"none", "step", "transient", "tilt"}[k]
}

// tiltHoldS is how long a tilt beyond 15° must last to end a hold.
const tiltHoldS = 1.0

// HoldOptions tunes Hold. The zero value uses the defaults.
type HoldOptions struct {
	// TargetSec is the hold time that passes; default 10 s (CDC STEADI).
	TargetSec float64
	// SettleSec at the start is ignored while the stance is assumed;
	// default 1 s.
	SettleSec float64
}

// HoldResult is one stance's outcome.
type HoldResult struct {
	// HeldSec is from the first sample (the stance taken; the settling
	// second included) to the loss of balance, or to the end of the
	// recording when none.
	HeldSec float64
	Loss    LossKind
	// LossAt is the time of the loss, seconds since the first sample.
	LossAt float64
	Passed bool
}

// Hold measures how long a static stance was held: the recording starts
// when the stance is taken; the first loss of balance (a step, a grab or
// large transient, or a large tilt; see LossKind) ends the hold. The
// initial posture is the mean gravity direction over the first second
// after settling. It returns the input errors of checkInput (at least
// SettleSec + 1 s of data).
func Hold(samples []balance.Sample, fs float64, opts HoldOptions) (HoldResult, error) {
	if !(opts.TargetSec > 0) {
		opts.TargetSec = 10
	}
	if !(opts.SettleSec >= 0) || opts.SettleSec == 0 {
		opts.SettleSec = 1
	}
	if err := checkInput(samples, fs, opts.SettleSec+1); err != nil {
		return HoldResult{}, fmt.Errorf("hold: %w", err)
	}
	n := len(samples)
	s0 := int(opts.SettleSec * fs)
	var ref [3]float64
	for i := s0; i < min(n, s0+int(fs)); i++ {
		ref = add3(ref, samples[i].Acc)
	}
	up := unit(ref)
	g := norm3(ref) / float64(min(n, s0+int(fs))-s0)
	e1 := perpendicular(up)
	e2 := cross(up, e1)
	v := make([]float64, n)
	h1 := make([]float64, n)
	h2 := make([]float64, n)
	for i := range samples {
		a := samples[i].Acc
		v[i], h1[i], h2[i] = dot(a, up)-g, dot(a, e1), dot(a, e2)
	}
	loss, at := NoLoss, n
	mark := func(k LossKind, i int) {
		if i < at {
			loss, at = k, i
		}
	}
	// Step.
	bv := ButterBandpass(2, 0.5, math.Min(10, 0.45*fs), fs).FiltFilt(nil, v)
	w := max(1, int(fs/2))
	for s := s0; s+w <= n; s += max(1, w/4) {
		var ss float64
		for _, a := range bv[s : s+w] {
			ss += a * a
		}
		if math.Sqrt(ss/float64(w)) > 0.5 {
			mark(LossStep, s+w/2)
			break
		}
	}
	// Transient.
	bp := ButterBandpass(2, 0.5, math.Min(3.5, 0.4*fs), fs)
	l1, l2 := bp.FiltFilt(nil, h1), bp.FiltFilt(nil, h2)
	for i := s0; i < n; i++ {
		if math.Hypot(l1[i], l2[i]) > 2.5 || norm3(samples[i].Gyro) > 1 {
			mark(LossTransient, i)
			break
		}
	}
	// Tilt.
	lt := ButterLowpass(2, math.Min(0.5, 0.4*fs), fs)
	t1, t2, tv := lt.FiltFilt(nil, h1), lt.FiltFilt(nil, h2), lt.FiltFilt(nil, v)
	c15 := math.Cos(15 * math.Pi / 180)
	run, need := 0, int(tiltHoldS*fs)
	for i := s0; i < n; i++ {
		if (tv[i]+g)/math.Sqrt(t1[i]*t1[i]+t2[i]*t2[i]+(tv[i]+g)*(tv[i]+g)) >= c15 {
			run = 0
			continue
		}
		if run++; run >= need {
			mark(LossTilt, i-run+1)
			break
		}
	}
	// The hold runs from the start of the recording (the stance taken):
	// the settling second is part of it, only not searched for losses,
	// whose reference posture it sets. A 30 s hold recorded for 30 s is
	// 30 s held, not 29.
	r := HoldResult{Loss: loss}
	if loss == NoLoss {
		r.HeldSec = float64(n) / fs
	} else {
		r.HeldSec = float64(at) / fs
		r.LossAt = float64(at) / fs
	}
	r.Passed = r.HeldSec >= opts.TargetSec
	return r, nil
}

// FourStageResult is the CDC STEADI 4-stage balance test: feet together,
// semi-tandem, tandem, single leg, 10 s each, stopping at the first stage
// not held.
type FourStageResult struct {
	// Stages holds the result of each stage recorded, in order, up to and
	// including the first failure.
	Stages []HoldResult
	// Highest is the number of stages passed (0-4).
	Highest int
	// TandemFail reports the STEADI fall-risk sign: the tandem stance
	// (stage 3) not held for the target time.
	TandemFail bool
}

// FourStage scores the 4-stage balance test from one recording per stage
// (stages not attempted may be nil or missing). Each stage is scored with
// Hold; the test stops at the first stage not passed.
func FourStage(stages [][]balance.Sample, fs float64, opts HoldOptions) (FourStageResult, error) {
	var r FourStageResult
	for k, s := range stages {
		if k == 4 || s == nil {
			break
		}
		h, err := Hold(s, fs, opts)
		if err != nil {
			return r, fmt.Errorf("stage %d: %w", k+1, err)
		}
		r.Stages = append(r.Stages, h)
		if !h.Passed {
			break
		}
		r.Highest = k + 1
	}
	r.TandemFail = r.Highest < 3
	return r, nil
}
