package analysis

import (
	"fmt"
	"math"

	"github.com/balance-pt/balance"
)

// MaxBridgeGapS is the longest time step, in seconds, between two samples
// that BridgeGaps fills in (Gait and the live monitor use it); longer gaps
// split a recording.
//
// Why 0.5 s: a gap shorter than one step can hide at most one initial
// contact, and one step lasts 0.5 s at 120 steps/min and longer at the
// slower cadences of older people and of people with peripheral neuropathy
// (the Mobilise-D plausible range starts at 40 steps/min, 1.5 s per step).
// Inside a bridged gap the straight line carries no step of its own, so a
// contact that fell in it may be lost, but the contacts on either side keep
// their timing on the nominal grid. A gap this short is also far below the
// 3 s pause that ends a walking bout in the Mobilise-D consensus (Kluge et
// al. 2021, PLOS ONE 16:e0256541), so bridging it never joins two bouts the
// consensus would keep apart. Longer losses are treated as the pauses they
// may be.
const MaxBridgeGapS = 0.5

// BridgeGaps fills the short gaps of samples (times in ns, nominal rate fs
// Hz) and splits it at the long ones.
//
// A step d between two successive samples is a gap when it spans m =
// round(d·fs) ≥ 2 sample intervals (at least one sample missing). When d ≤
// maxGapS seconds the m−1 missing samples are put back evenly spaced at
// d/m (the nominal grid 1/fs, or as close as the clock allows), their
// acceleration and angular rate interpolated linearly between the two
// neighbours:
//
//	x(t_a + j·d/m) = x_a + (j/m)·(x_b − x_a),  j = 1..m−1.
//
// Linear, not cubic or spline, interpolation: it never leaves the range of
// the two measured neighbours, so it cannot invent an impact peak, a
// clipping plateau or an overshoot next to the sharp heel-strike transient,
// and over at most maxGapS it keeps the low-frequency gait rhythm that the
// gait and fall analyses use. (Model-based reconstruction, such as the
// autoregressive and EMD interpolation of IEEE TNSRE 24:1191, 2016, may
// follow the waveform more closely but can also invent it.)
//
// Longer gaps are not filled: spans lists the stretches of out, [Start,
// End) indices, separated by them. bridged counts the samples added. out
// shares samples' storage when nothing is bridged, else it is new. A
// maxGapS of 0 bridges nothing and splits at every gap.
//
// Samples whose times are all zero (no timestamps) come back as one span.
// Errors: ErrBadRate (wrapped) for fs outside balance.MinRateHz..MaxRateHz,
// or when fewer than half the steps are one interval or their mean is not
// within 10 % of 1/fs (the times contradict fs); ErrGap for a time that
// does not increase.
func BridgeGaps(samples []balance.Sample, fs, maxGapS float64) (out []balance.Sample, spans []Interval, bridged int, err error) {
	if err := CheckRate(fs); err != nil {
		return nil, nil, 0, err
	}
	n := len(samples)
	if n == 0 {
		return samples, nil, 0, nil
	}
	if samples[0].TimeNS == 0 && samples[n-1].TimeNS == 0 {
		return samples, []Interval{{0, n}}, 0, nil
	}
	dt := 1e9 / fs
	maxNS := maxGapS * 1e9
	missing, regular := 0, 0
	var span float64
	for i := 1; i < n; i++ {
		d := float64(samples[i].TimeNS - samples[i-1].TimeNS)
		if d <= 0 {
			return nil, nil, 0, fmt.Errorf("%w: time does not increase at sample %d", ErrGap, i)
		}
		switch k, split := gapStep(d, dt, maxNS); {
		case split:
		case k == 0:
			span += d
			regular++
		default:
			missing += k
		}
	}
	if n > 1 {
		if 2*regular < n-1 {
			return nil, nil, 0, fmt.Errorf("%w: only %d of %d time steps are 1/%v s", ErrBadRate, regular, n-1, fs)
		}
		if mean := span / float64(regular); math.Abs(mean-dt) > 0.1*dt {
			return nil, nil, 0, fmt.Errorf("%w: timestamps say %.4g Hz, declared %v Hz", ErrBadRate, 1e9/mean, fs)
		}
	}
	build := missing > 0
	if build {
		out = make([]balance.Sample, 1, n+missing)
		out[0] = samples[0]
	} else {
		out = samples
	}
	start, size := 0, 1 // the current span's first index in out; len(out) so far
	for i := 1; i < n; i++ {
		a, b := &samples[i-1], &samples[i]
		d := float64(b.TimeNS - a.TimeNS)
		switch k, split := gapStep(d, dt, maxNS); {
		case split:
			spans = append(spans, Interval{start, size})
			start = size
		case k > 0:
			for j := 1; j <= k; j++ {
				if build {
					out = append(out, lerpSample(a, b, d, float64(j)/float64(k+1)))
				}
				size++
			}
		}
		if build {
			out = append(out, *b)
		}
		size++
	}
	spans = append(spans, Interval{start, size})
	return out, spans, missing, nil
}

// gapStep classifies one time step of d ns at the nominal step dt ns: a
// regular step (missing 0, split false), a gap of missing samples to
// bridge (d at most maxNS), or a gap to split at (split true). Steps
// within half a sample of dt are regular, as BridgeGaps and GaitStream
// both take them.
func gapStep(d, dt, maxNS float64) (missing int, split bool) {
	m := math.Round(d / dt)
	switch {
	case m <= 1:
		return 0, false
	case d <= maxNS:
		return int(m) - 1, false
	}
	return 0, true
}

// lerpSample is the sample at fraction f of the step d (ns) from a to b,
// linearly interpolated.
func lerpSample(a, b *balance.Sample, d, f float64) balance.Sample {
	s := balance.Sample{TimeNS: a.TimeNS + int64(math.Round(f*d))}
	for k := 0; k < 3; k++ {
		s.Acc[k] = a.Acc[k] + f*(b.Acc[k]-a.Acc[k])
		s.Gyro[k] = a.Gyro[k] + f*(b.Gyro[k]-a.Gyro[k])
	}
	return s
}
