package analysis

import (
	"math"
	"sort"
)

// ZijlstraK is the scaling factor of the inverted-pendulum step length used
// by default: 4.587/4 = 1.147, the factor Soltani et al. (IEEE TNSRE
// 29:1955-1964, 2021) tuned on people with multiple sclerosis in the
// Mobilise-D MS project (model "MS-MS" of the Mobilise-D recommended
// algorithms) and mobgap's SlZijlstra default
// (step_length_scaling_factor_MS_MS). It is a published constant, not
// fitted here; among the published factors (ZijlstraKMSAll, Soltani's
// ICICLE-ALL 4.99/4, Zijlstra & Hof's own 1.25) it was the one chosen
// leave-one-subject-out on the Mobilise-D example recordings
// (validation.MobgapGait), in both folds. Like all of them it
// over-estimates the stride length of slow walking (< 0.6 m/s).
const ZijlstraK = 4.587 / 4

// ZijlstraKMSAll is the factor Soltani et al. (2021) tuned on all
// participants of the Mobilise-D MS project, healthy and with multiple
// sclerosis: 4.739/4 = 1.185 (model "MS-ALL").
const ZijlstraKMSAll = 4.739 / 4

// StepLengthPendulum returns the step length in metres of the inverted
// pendulum model of Zijlstra & Hof (2003) for a vertical trunk excursion h
// (m) and a pendulum (sensor) height l (m), scaled by k:
//
//	L = k · 2·sqrt(2·l·h − h²)
//
// (the chord of a circle of radius l whose sagitta is h). h outside [0, 2l]
// gives 0.
func StepLengthPendulum(h, l, k float64) float64 {
	v := 2*l*h - h*h
	if !(v > 0) {
		return 0
	}
	return k * 2 * math.Sqrt(v)
}

// VerticalDisplacement returns the vertical trunk displacement (m) from the
// vertical acceleration accV (m/s², gravity may be included) at fs Hz, as in
// Zijlstra & Hof (2003) and mobgap SlZijlstra: high-pass 0.1 Hz (4th-order
// Butterworth, zero phase), integrate to velocity, high-pass 1 Hz (same
// design) against integration drift, integrate to displacement. dst (nil
// allocates) must have len(accV).
func VerticalDisplacement(dst, accV []float64, fs float64) []float64 {
	dst = useDst(dst, len(accV))
	if len(accV) == 0 {
		return dst
	}
	ButterHighpass(4, 0.1, fs).FiltFilt(dst, accV)
	CumTrapz(dst, dst, fs)
	ButterHighpass(4, 1, fs).FiltFilt(dst, dst)
	return CumTrapz(dst, dst, fs)
}

// StepLengths writes into dst (nil allocates; length len(ics)-1) the step
// length of each step between consecutive initial contacts ics (sample
// indices into disp, the output of VerticalDisplacement): h = max − min of
// disp over the step, then StepLengthPendulum(h, l, k).
func StepLengths(dst []float64, disp []float64, ics []int, l, k float64) []float64 {
	if len(ics) < 2 {
		return dst[:0]
	}
	dst = useDst(dst, len(ics)-1)
	for s := range dst {
		a, b := max(0, ics[s]), min(len(disp), ics[s+1]+1)
		if b-a < 2 {
			dst[s] = 0
			continue
		}
		lo, hi := disp[a], disp[a]
		for _, v := range disp[a:b] {
			lo = math.Min(lo, v)
			hi = math.Max(hi, v)
		}
		dst[s] = StepLengthPendulum(hi-lo, l, k)
	}
	return dst
}

// Hampel replaces in place each value of x that lies more than nSigma
// scaled median absolute deviations (1.4826·MAD) from the median of its
// window of half-width half by that median (Hampel filter; mobgap smooths
// step lengths with half = 2, nSigma = 3). It returns x.
func Hampel(x []float64, half int, nSigma float64) []float64 {
	orig := append([]float64(nil), x...)
	w := make([]float64, 0, 2*half+1)
	d := make([]float64, 0, 2*half+1)
	for i := range orig {
		w = append(w[:0], orig[max(0, i-half):min(len(orig), i+half+1)]...)
		med := medianOf(w)
		d = d[:0]
		for _, v := range w {
			d = append(d, math.Abs(v-med))
		}
		mad := 1.4826 * medianOf(d)
		if math.Abs(orig[i]-med) > nSigma*mad {
			x[i] = med
		}
	}
	return x
}

// medianOf sorts x in place and returns its median (0 for empty x).
func medianOf(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return 0
	}
	sort.Float64s(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}
