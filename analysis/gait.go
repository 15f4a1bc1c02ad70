package analysis

import (
	"fmt"
	"math"
	"slices"

	"github.com/balance-pt/balance"
)

// GaitParams describe the wearer for gait analysis.
type GaitParams struct {
	// HeightM is the wearer's height in metres; 0 if unknown.
	HeightM float64
	// SensorHeightM is the height of the lower-back sensor above the floor in
	// metres (the inverted pendulum's length); 0 means 0.53 × HeightM, the
	// leg length of GaitPy and scikit-digital-health (from Winter's
	// anthropometric proportions). Without either, step length and speed are
	// not estimated.
	SensorHeightM float64
	// K scales the inverted-pendulum step length; 0 means ZijlstraK.
	K float64
	// Rules assemble walking bouts; the zero value means MobilisedBoutRules.
	Rules BoutRules
}

// LegLengthFraction is the sensor (leg) height as a fraction of body height
// used when only the height is known (GaitPy, scikit-digital-health; Winter
// DA, Biomechanics and Motor Control of Human Movement: greater trochanter at
// 0.53 H).
const LegLengthFraction = 0.53

// Quality and bout flags.
const (
	FlagGaps                    = "gaps"                      // time gaps over MaxBridgeGapS split the recording
	FlagGapsBridged             = "gaps_bridged"              // shorter gaps were filled by linear interpolation (BridgeGaps)
	FlagSaturated               = "saturated"                 // some accelerometer values sit on a clipping plateau
	FlagNoSensorHeight          = "no_sensor_height"          // no step length or speed without a height
	FlagNoGyro                  = "no_gyro"                   // no turns without a gyroscope
	FlagFlatline                = "flatline"                  // the accelerometer repeats one value for 1 s or more (stuck or zero-filled)
	FlagShortBout               = "short_bout"                // < 10 s: speed and length less reliable
	FlagCadenceImplausible      = "cadence_implausible"       // outside 40-172.9 steps/min
	FlagSpeedImplausible        = "speed_implausible"         // outside 0.08-2.22 m/s
	FlagStrideLengthImplausible = "stride_length_implausible" // outside 0.15-2.19 m
)

// Mobilise-D plausibility limits of digital mobility outcomes (official
// DMO thresholds, all cohorts).
const (
	dmoCadenceMin, dmoCadenceMax           = 40.0, 172.9
	dmoSpeedMin, dmoSpeedMax               = 0.08, 2.22
	dmoStrideLengthMin, dmoStrideLengthMax = 0.15, 2.19
)

// WalkingBout is one walking bout and its gait measures. Times are seconds
// since the first sample of the recording.
type WalkingBout struct {
	Start float64 `json:"start_s"`
	End   float64 `json:"end_s"`
	// StartTimeNS is Start as device time, Unix ns (0-based when the
	// samples carry no absolute time).
	StartTimeNS int64   `json:"start_unix_ns"`
	DurationS   float64 `json:"duration_s"`
	// ICs are the initial contacts, s; Start and End are the first and last.
	ICs        []float64 `json:"initial_contacts_s"`
	NumSteps   int       `json:"num_steps"`
	NumStrides int       `json:"num_strides"`
	// CadenceSPM is 120 / mean stride time (steps/min; Mobilise-D's
	// 2 × stride frequency).
	CadenceSPM float64 `json:"cadence_spm"`
	// StepTimeS, StrideTimeS: means; *SD sample standard deviations (s);
	// *CV coefficients of variation (%).
	StepTimeS    float64 `json:"step_time_s"`
	StepTimeCV   float64 `json:"step_time_cv_pct"`
	StrideTimeS  float64 `json:"stride_time_s"`
	StrideTimeSD float64 `json:"stride_time_sd_s"`
	StrideTimeCV float64 `json:"stride_time_cv_pct"`
	// Regularity and symmetry of the vertical acceleration (Moe-Nilssen &
	// Helbostad 2004) and the vertical harmonic ratio (Menz 2003).
	StepRegularity   float64 `json:"step_regularity"`
	StrideRegularity float64 `json:"stride_regularity"`
	Symmetry         float64 `json:"symmetry"`
	HarmonicRatio    float64 `json:"harmonic_ratio"`
	// HasLength is false when no sensor height was known; StrideLengthM and
	// SpeedMPS are then 0.
	HasLength     bool     `json:"has_length"`
	StrideLengthM float64  `json:"stride_length_m"`
	SpeedMPS      float64  `json:"speed_mps"`
	Turns         []Turn   `json:"turns"`
	Flags         []string `json:"flags"`
}

func (b *WalkingBout) flagged(f string) bool { return slices.Contains(b.Flags, f) }

// GaitResult is the gait analysis of a recording.
type GaitResult struct {
	// DurationS is the recording's length in seconds.
	DurationS float64 `json:"duration_s"`
	// SensorHeightM is the pendulum length used, 0 if none.
	SensorHeightM float64 `json:"sensor_height_m"`
	// Sequences are the gait sequences searched for steps, [start, end] s.
	Sequences [][2]float64  `json:"gait_sequences_s"`
	Bouts     []WalkingBout `json:"bouts"`
	// Aggregates summarise Bouts.
	Aggregates GaitAggregates `json:"aggregates"`
	// Quality holds Flag* values about the whole recording.
	Quality []string `json:"quality"`
	// BridgedSamples counts the samples BridgeGaps interpolated into gaps
	// of up to MaxBridgeGapS (flag FlagGapsBridged).
	BridgedSamples int `json:"bridged_samples"`
}

// minGaitSeconds is the shortest recording Gait accepts: one 3 s window of
// gait-sequence detection.
const minGaitSeconds = gsdWindowS

// icdEdgeS drops initial contacts this close to a gait sequence's ends,
// where the band-pass and wavelet see zero padding.
const icdEdgeS = 0.3

// Gait analyses walking in samples (sensor frame, SI units, fs Hz), the
// Mobilise-D way for one lower-back IMU:
//
//  1. fill time gaps of up to MaxBridgeGapS by linear interpolation
//     (BridgeGaps; flag FlagGapsBridged), split the recording at longer
//     ones (FlagGaps) and at stretches of 1 s or more where the
//     accelerometer repeats one value (FlagFlatline);
//  2. gait sequences (GaitSequences), cheap, on the whole recording;
//  3. within each, the vertical from the mean acceleration, initial
//     contacts (InitialContacts), walking bouts (AssembleBouts with
//     p.Rules, strides that move the trunk as walking does, strideActive),
//     without the weight shift before the first step (trimInitiation),
//     vertical displacement for step length (Zijlstra & Hof 2003) and
//     turns (Turns) on the yaw rate; turns stay inside a bout;
//  4. per bout: cadence, step and stride times and their variability,
//     regularity and symmetry, harmonic ratio, stride length and speed,
//     turns, and plausibility flags (Mobilise-D DMO thresholds);
//  5. aggregates over the bouts.
//
// It returns ErrBadRate for a rate outside balance.MinRateHz..MaxRateHz or
// timestamps that contradict it, ErrTooShort below 3 s, ErrNonFinite, a
// balance.ERANGE error for values beyond balance.MaxAccMS2 or MaxGyroRadS,
// ErrGap for times that do not increase, and ErrFlat for a constant
// accelerometer. A recording without walking gives no bouts and no error.
func Gait(samples []balance.Sample, fs float64, p GaitParams) (GaitResult, error) {
	if !(fs >= balance.MinRateHz && fs <= balance.MaxRateHz) {
		return GaitResult{}, fmt.Errorf("%w: %v Hz is outside %v..%v Hz", ErrBadRate, fs, balance.MinRateHz, balance.MaxRateHz)
	}
	if n := len(samples); float64(n) < minGaitSeconds*fs {
		return GaitResult{}, fmt.Errorf("%w: %d samples (%.2f s), gait needs %.0f s", ErrTooShort, n, float64(n)/fs, minGaitSeconds)
	}
	run, longest := 1, 1
	lo, hi := samples[0].Acc, samples[0].Acc
	for i := range samples {
		s := &samples[i]
		for k := 0; k < 3; k++ {
			if math.IsNaN(s.Acc[k]) || math.IsInf(s.Acc[k], 0) || math.IsNaN(s.Gyro[k]) || math.IsInf(s.Gyro[k], 0) {
				return GaitResult{}, fmt.Errorf("%w: sample %d", ErrNonFinite, i)
			}
			if math.Abs(s.Acc[k]) > balance.MaxAccMS2 || math.Abs(s.Gyro[k]) > balance.MaxGyroRadS {
				return GaitResult{}, balance.Errorf(balance.ERANGE, "sample %d: acc %v m/s² or gyro %v rad/s beyond what a body-worn IMU reads", i, s.Acc, s.Gyro)
			}
			if v := s.Acc[k]; v < lo[k] {
				lo[k] = v
			} else if v > hi[k] {
				hi[k] = v
			}
		}
		if i > 0 && s.Acc == samples[i-1].Acc {
			run++
			longest = max(longest, run)
		} else {
			run = 1
		}
	}
	if isFlat(samples) {
		return GaitResult{}, fmt.Errorf("%w: every accelerometer axis is constant", ErrFlat)
	}
	samples, segs, gaps, bridged, err := splitAtGaps(samples, fs)
	if err != nil {
		return GaitResult{}, err
	}
	res := GaitResult{DurationS: float64(len(samples)) / fs, BridgedSamples: bridged}
	if gaps {
		res.Quality = append(res.Quality, FlagGaps)
	}
	if bridged > 0 {
		res.Quality = append(res.Quality, FlagGapsBridged)
	}
	if clipped(samples, lo, hi) {
		res.Quality = append(res.Quality, FlagSaturated)
	}
	if float64(longest) >= fs {
		res.Quality = append(res.Quality, FlagFlatline)
		segs = splitAtFlat(samples, segs, int(fs))
	}
	l, k, rules := gaitSettings(p)
	if l == 0 {
		res.Quality = append(res.Quality, FlagNoSensorHeight)
	}
	res.SensorHeightM = l
	hasGyro := false
	for i := range samples {
		if samples[i].Gyro != [3]float64{} {
			hasGyro = true
			break
		}
	}
	if !hasGyro {
		res.Quality = append(res.Quality, FlagNoGyro)
	}
	t00 := samples[0].TimeNS
	timed := samples[0].TimeNS != 0 || samples[len(samples)-1].TimeNS != 0
	for _, seg := range segs {
		segT := float64(seg.Start) / fs
		if timed {
			segT = float64(samples[seg.Start].TimeNS-t00) / 1e9
		}
		part := samples[seg.Start:seg.End]
		for _, gs := range GaitSequences(part, fs) {
			t0 := segT + float64(gs.Start)/fs
			res.Sequences = append(res.Sequences, [2]float64{t0, segT + float64(gs.End)/fs})
			bouts := gaitSequence(part[gs.Start:gs.End], fs, t0, l, k, rules, hasGyro)
			for i := range bouts {
				bouts[i].StartTimeNS = t00 + int64(math.Round(bouts[i].Start*1e9))
			}
			res.Bouts = append(res.Bouts, bouts...)
		}
	}
	res.Aggregates = Aggregate(res.Bouts)
	return res, nil
}

// splitAtGaps fills the gaps of samples up to MaxBridgeGapS (BridgeGaps)
// and returns the samples so bridged, the stretches between longer gaps,
// whether there were any, and the number of samples bridged; errors are
// those of BridgeGaps (ErrGap for a time that does not increase,
// ErrBadRate when the times contradict fs). All-zero times (no timestamps)
// give one stretch.
func splitAtGaps(samples []balance.Sample, fs float64) ([]balance.Sample, []Interval, bool, int, error) {
	out, spans, bridged, err := BridgeGaps(samples, fs, MaxBridgeGapS)
	if err != nil {
		return nil, nil, false, 0, err
	}
	return out, spans, len(spans) > 1, bridged, nil
}

// clipped reports whether some accelerometer axis sits on a clipping
// plateau, the definition of SaturatedFraction > 0 (a value beyond 1.5 g in
// magnitude equal to that axis's extreme lo or hi over the recording, in at
// least 3 consecutive samples), in one cheap pass given the extremes.
func clipped(samples []balance.Sample, lo, hi [3]float64) bool {
	const lim = 1.5 * balance.StandardGravity
	for k := 0; k < 3; k++ {
		for _, ext := range [2]float64{lo[k], hi[k]} {
			if math.Abs(ext) < lim {
				continue
			}
			run := 0
			for i := range samples {
				if samples[i].Acc[k] == ext {
					if run++; run >= 3 {
						return true
					}
				} else {
					run = 0
				}
			}
		}
	}
	return false
}

// splitAtFlat removes from each stretch the runs of at least minRun
// samples with one repeated acceleration (a stuck or zero-filled sensor),
// treating them like time gaps.
func splitAtFlat(samples []balance.Sample, segs []Interval, minRun int) []Interval {
	var out []Interval
	for _, sg := range segs {
		start := sg.Start
		for i := sg.Start; i < sg.End; {
			j := i + 1
			for j < sg.End && samples[j].Acc == samples[i].Acc {
				j++
			}
			if j-i >= minRun {
				if i > start {
					out = append(out, Interval{start, i})
				}
				start = j
			}
			i = j
		}
		if start < sg.End {
			out = append(out, Interval{start, sg.End})
		}
	}
	return out
}

// gaitSequence analyses one gait sequence starting t0 s into the recording.
func gaitSequence(seq []balance.Sample, fs, t0, l, k float64, rules BoutRules, hasGyro bool) []WalkingBout {
	accV, yaw, _ := verticalFrame(seq, hasGyro)
	edge := int(icdEdgeS * fs)
	var idx []int
	for _, ic := range InitialContacts(accV, fs) {
		if ic >= edge && ic < len(seq)-edge {
			idx = append(idx, ic)
		}
	}
	times := make([]float64, len(idx))
	for i, ic := range idx {
		times[i] = t0 + float64(ic)/fs
	}
	var disp, stepLen []float64
	if l > 0 && len(idx) > 1 {
		disp = VerticalDisplacement(nil, accV, fs)
		stepLen = StepLengths(nil, disp, idx, l, k)
	}
	var bp []float64
	if len(idx) >= 3 {
		bp = ButterBandpass(2, gsdLowHz, gsdHighHz, fs).FiltFilt(nil, accV)
	}
	spans := trimInitiation(AssembleBouts(times, stepLen, strideActive(bp, idx), rules), bp, idx, rules)
	if len(spans) == 0 {
		return nil
	}
	var turns []Turn
	if hasGyro {
		turns = Turns(yaw, fs, t0)
	}
	out := make([]WalkingBout, 0, len(spans))
	for _, sp := range spans {
		out = append(out, boutMeasures(sp, times, idx, accV, stepLen, turns, fs))
	}
	return out
}

// boutMeasures computes the measures of one assembled bout.
func boutMeasures(sp BoutSpan, times []float64, idx []int, accV, stepLen []float64, turns []Turn, fs float64) WalkingBout {
	ics := times[sp.First : sp.Last+1]
	b := WalkingBout{
		Start: ics[0], End: ics[len(ics)-1],
		ICs:        append([]float64(nil), ics...),
		NumSteps:   len(ics) - 1,
		NumStrides: sp.NumStrides,
	}
	b.DurationS = b.End - b.Start
	var strides, steps []float64
	inValid := make([]bool, len(ics)-1) // step s belongs to a valid stride
	for j, ok := range sp.Valid {
		if ok {
			strides = append(strides, ics[j+2]-ics[j])
			inValid[j], inValid[j+1] = true, true
		}
	}
	for s := range inValid {
		if inValid[s] {
			steps = append(steps, ics[s+1]-ics[s])
		}
	}
	b.StrideTimeS, b.StrideTimeSD, b.StrideTimeCV = Variability(strides)
	b.StepTimeS, _, b.StepTimeCV = Variability(steps)
	b.CadenceSPM = CadenceFromStrides(strides)

	bi := idx[sp.First : sp.Last+1]
	seg := accV[bi[0] : bi[len(bi)-1]+1]
	b.StepRegularity, b.StrideRegularity, b.Symmetry = Regularity(seg, fs, medianOf(append([]float64(nil), steps...)), medianOf(append([]float64(nil), strides...)))
	var hr []float64
	for j, ok := range sp.Valid {
		if ok {
			hr = append(hr, HarmonicRatio(accV[bi[j]:bi[j+2]]))
		}
	}
	b.HarmonicRatio = meanOf(hr)

	if stepLen != nil {
		sl := Hampel(append([]float64(nil), stepLen[sp.First:sp.Last]...), 2, 3)
		var used []float64
		for s, ok := range inValid {
			if ok {
				used = append(used, sl[s])
			}
		}
		b.HasLength = true
		b.StrideLengthM = 2 * meanOf(used)
		if b.StrideTimeS > 0 {
			b.SpeedMPS = b.StrideLengthM / b.StrideTimeS
		}
	}
	for _, t := range turns {
		if c := (t.Start + t.End) / 2; c >= b.Start && c <= b.End {
			b.Turns = append(b.Turns, t)
		}
	}
	if b.DurationS < 10 {
		b.Flags = append(b.Flags, FlagShortBout)
	}
	if b.CadenceSPM < dmoCadenceMin || b.CadenceSPM > dmoCadenceMax {
		b.Flags = append(b.Flags, FlagCadenceImplausible)
	}
	if b.HasLength {
		if b.SpeedMPS < dmoSpeedMin || b.SpeedMPS > dmoSpeedMax {
			b.Flags = append(b.Flags, FlagSpeedImplausible)
		}
		if b.StrideLengthM < dmoStrideLengthMin || b.StrideLengthM > dmoStrideLengthMax {
			b.Flags = append(b.Flags, FlagStrideLengthImplausible)
		}
	}
	return b
}

// Quiet stance keeps the vertical trunk acceleration under about 0.1 m/s²
// RMS (the stepping threshold of Sway rests on the same figure), so a "step"
// quieter than that is standing, not walking.
const quietStanceStd = 0.1 // m/s²

// strideRelMin is the least movement of a stride relative to the median
// stride of its gait sequence: fidgeting and weight shifts next to walking
// move the trunk several times less than the steps of the same person.
const strideRelMin = 1.0 / 3

// strideActive reports for each stride (IC k to IC k+2) whether it moves as
// in walking, from the standard deviation of bp, the 0.5-3 Hz band of the
// vertical acceleration (2nd-order Butterworth, zero phase): over each of
// its two steps above quietStanceStd,
// and over the stride at least strideRelMin of the median over the
// sequence's strides. It removes the "strides" the IC detector finds in
// standing before, between and after walks, which would otherwise bridge
// pauses longer than the bout rules allow, while keeping slow, shallow
// walking (a relative, not an absolute, amplitude).
func strideActive(bp []float64, idx []int) []bool {
	if len(idx) < 3 {
		return nil
	}
	step := make([]bool, len(idx)-1)
	for k := range step {
		step[k] = stdPop(bp[idx[k]:idx[k+1]+1]) > quietStanceStd
	}
	sd := make([]float64, len(idx)-2)
	for k := range sd {
		sd[k] = stdPop(bp[idx[k] : idx[k+2]+1])
	}
	ref := strideRelMin * medianOf(append([]float64(nil), sd...))
	out := make([]bool, len(sd))
	for k := range out {
		out[k] = step[k] && step[k+1] && sd[k] >= ref
	}
	return out
}
