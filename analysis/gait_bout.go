package analysis

import (
	"fmt"
	"math"

	"github.com/balance-pt/balance"
)

// ErrNoSteps is returned by GaitWithin when the interval holds fewer than
// three initial contacts (one stride).
var ErrNoSteps error = balance.Errorf(balance.EINVALID, "no strides found")

// GaitWithin analyses samples[start:end] as one known walking bout, without
// gait-sequence detection or bout assembly: a walk the patient's app marked
// with start and stop (balance.SessionWalk), or a reference bout to validate
// against. It detects initial contacts in the interval (filters see one
// extra second on either side when the recording has it), drops a weight
// shift before the first step (as Gait does), keeps strides by the duration
// and length rules of p.Rules, and returns the bout's measures
// with times in seconds since samples[0], counted as index/fs (the interval
// should hold no time gap). Errors are those of Gait, and ErrNoSteps.
func GaitWithin(samples []balance.Sample, fs float64, start, end int, p GaitParams) (WalkingBout, error) {
	if !(fs >= balance.MinRateHz && fs <= balance.MaxRateHz) {
		return WalkingBout{}, fmt.Errorf("%w: %v Hz is outside %v..%v Hz", ErrBadRate, fs, balance.MinRateHz, balance.MaxRateHz)
	}
	start, end = max(0, start), min(len(samples), end)
	if end-start < int(fs) {
		return WalkingBout{}, fmt.Errorf("%w: %d samples, need 1 s", ErrTooShort, max(0, end-start))
	}
	pad := int(fs)
	a, b := max(0, start-pad), min(len(samples), end+pad)
	seq := samples[a:b]
	for i := range seq {
		for k := 0; k < 3; k++ {
			if math.IsNaN(seq[i].Acc[k]) || math.IsInf(seq[i].Acc[k], 0) || math.IsNaN(seq[i].Gyro[k]) || math.IsInf(seq[i].Gyro[k], 0) {
				return WalkingBout{}, fmt.Errorf("%w: sample %d", ErrNonFinite, a+i)
			}
			if math.Abs(seq[i].Acc[k]) > balance.MaxAccMS2 || math.Abs(seq[i].Gyro[k]) > balance.MaxGyroRadS {
				return WalkingBout{}, balance.Errorf(balance.ERANGE, "sample %d beyond what a body-worn IMU reads", a+i)
			}
		}
	}
	if isFlat(seq) {
		return WalkingBout{}, fmt.Errorf("%w: every accelerometer axis is constant", ErrFlat)
	}
	l, k, rules := gaitSettings(p)
	hasGyro := false
	for i := range seq {
		if seq[i].Gyro != [3]float64{} {
			hasGyro = true
			break
		}
	}
	accV, yaw, _ := verticalFrame(seq, hasGyro)
	t0 := float64(a) / fs
	var idx []int
	for _, ic := range InitialContacts(accV, fs) {
		if ic >= start-a && ic < end-a {
			idx = append(idx, ic)
		}
	}
	if len(idx) < 3 {
		return WalkingBout{}, fmt.Errorf("%w: %d initial contacts in %.1f s", ErrNoSteps, len(idx), float64(end-start)/fs)
	}
	times := make([]float64, len(idx))
	for i, ic := range idx {
		times[i] = t0 + float64(ic)/fs
	}
	var stepLen []float64
	if l > 0 {
		stepLen = StepLengths(nil, VerticalDisplacement(nil, accV, fs), idx, l, k)
	}
	sp := BoutSpan{First: 0, Last: len(idx) - 1, Valid: make([]bool, len(idx)-2)}
	for j := range sp.Valid {
		d := times[j+2] - times[j]
		sp.Valid[j] = d >= rules.MinStrideS && d <= rules.MaxStrideS &&
			(stepLen == nil || stepLen[j]+stepLen[j+1] >= rules.MinStrideLengthM)
		if sp.Valid[j] {
			sp.NumStrides++
		}
	}
	if sp.NumStrides == 0 {
		return WalkingBout{}, fmt.Errorf("%w: no stride passes the rules", ErrNoSteps)
	}
	// Gait initiation: a walk marked from standing starts with the weight
	// shift, which is not a step (trimInitiation); kept when nothing else
	// would be left.
	bp := ButterBandpass(2, gsdLowHz, gsdHighHz, fs).FiltFilt(nil, accV)
	if tr := trimInitiation([]BoutSpan{sp}, bp, idx, BoutRules{MinStrides: 1}); len(tr) == 1 {
		sp = tr[0]
	}
	var turns []Turn
	if hasGyro {
		turns = Turns(yaw, fs, t0)
	}
	bout := boutMeasures(sp, times, idx, accV, stepLen, turns, fs)
	bout.StartTimeNS = samples[0].TimeNS + int64(math.Round(bout.Start*1e9))
	return bout, nil
}

// gaitSettings resolves the defaults of p: pendulum length (0 when
// unknown), step-length factor and bout rules.
func gaitSettings(p GaitParams) (l, k float64, rules BoutRules) {
	l = p.SensorHeightM
	if l <= 0 && p.HeightM > 0 {
		l = LegLengthFraction * p.HeightM
	}
	if !(l > 0) || math.IsInf(l, 0) {
		l = 0
	}
	k = p.K
	if !(k > 0) {
		k = ZijlstraK
	}
	rules = p.Rules
	if rules == (BoutRules{}) {
		rules = MobilisedBoutRules
	}
	return l, k, rules
}
