package analysis

import (
	"math"

	"github.com/balance-pt/balance"
)

// Interval is a half-open range [Start, End) of sample indices.
type Interval struct{ Start, End int }

// Gait-sequence detection parameters, after Iluz et al. (2014) as
// re-implemented in mobgap's GsdIluz: 3 s windows overlapping by half, a
// 0.5-3 Hz band (the step rhythm of walking), an activity threshold of
// 0.01 g on the band-passed standard deviation, 0.5 to 3 steps per second,
// and no posture change within a window. The step-peak height and the
// posture angle are stated here in physical units (our choice, not fitted):
// a heel strike moves the trunk's acceleration by more than 0.02 g even in
// slow gait, and a posture transition (sit, lie, bend) tilts the trunk by
// more than 30° while walking keeps it within about 10°.
const (
	gsdRateHz       = 20  // working rate after block averaging
	gsdWindowS      = 3.0 // window length
	gsdLowHz        = 0.5
	gsdHighHz       = 3.0
	gsdMinStd       = 0.01 * balance.StandardGravity
	gsdPeakHeight   = 0.02 * balance.StandardGravity
	gsdMinStepsPerS = 0.5
	gsdMaxStepsPerS = 3.0
	gsdMinPeakGapS  = 1 / gsdMaxStepsPerS / 2 // 0.167 s: up to 6 peaks/s allowed before counting
	gsdMaxTiltDeg   = 30.0
	gsdPadS         = 1.0 // margin added around each sequence for filter settling
)

// GaitSequences finds stretches of samples that may hold walking, cheaply,
// so that the costly steps of gait analysis run only there. It works on the
// acceleration magnitude (independent of how the sensor is worn), block
// averaged to about 20 Hz:
//
//  1. band-pass 0.5-3 Hz (2nd-order Butterworth, zero phase);
//  2. in 3 s windows with 1.5 s hop, keep a window when the band-passed
//     standard deviation exceeds 0.01 g, it has between 0.5 and 3 peaks per
//     second higher than 0.02 g (steps), and the mean acceleration direction
//     of its first and last second differ by less than 30° (no posture
//     change);
//  3. merge overlapping kept windows, widen each by 2 s on both sides and
//     merge again.
//
// Source: Iluz T et al., J NeuroEng Rehabil 11:48 (2014); window rules as in
// mobgap GsdIluz. samples are in m/s² at fs Hz; the returned intervals index
// samples. Its cost is one square root and a few additions per sample.
func GaitSequences(samples []balance.Sample, fs float64) []Interval {
	q := max(1, int(math.Round(fs/gsdRateHz)))
	fd := fs / float64(q)
	nd := len(samples) / q
	win := int(math.Round(gsdWindowS * fd))
	if nd < win || fd <= 2*gsdHighHz {
		return nil
	}
	norm := make([]float64, nd)
	mean := make([][3]float64, nd)
	for i := 0; i < nd; i++ {
		var s float64
		var m [3]float64
		for j := i * q; j < (i+1)*q; j++ {
			a := &samples[j].Acc
			s += math.Sqrt(a[0]*a[0] + a[1]*a[1] + a[2]*a[2])
			m[0] += a[0]
			m[1] += a[1]
			m[2] += a[2]
		}
		norm[i] = s / float64(q)
		mean[i] = m
	}
	bp := ButterBandpass(2, gsdLowHz, gsdHighHz, fd).FiltFilt(nil, norm)
	hop := win / 2
	sec := int(math.Round(fd))
	minGap := max(1, int(gsdMinPeakGapS*fd))
	minPeaks := gsdMinStepsPerS * gsdWindowS
	maxPeaks := gsdMaxStepsPerS * gsdWindowS
	var out []Interval
	for s := 0; s+win <= nd; s += hop {
		w := bp[s : s+win]
		if stdPop(w) <= gsdMinStd {
			continue
		}
		if p := float64(countPeaks(w, gsdPeakHeight, minGap)); p < minPeaks || p > maxPeaks {
			continue
		}
		if vecAngleDeg(sum3(mean[s:s+sec]), sum3(mean[s+win-sec:s+win])) > gsdMaxTiltDeg {
			continue
		}
		iv := Interval{s * q, (s + win) * q}
		if n := len(out); n > 0 && iv.Start <= out[n-1].End {
			out[n-1].End = iv.End
		} else {
			out = append(out, iv)
		}
	}
	pad := int(gsdPadS * fs)
	merged := out[:0]
	for _, iv := range out {
		iv.Start = max(0, iv.Start-pad)
		iv.End = min(len(samples), iv.End+pad)
		if n := len(merged); n > 0 && iv.Start <= merged[n-1].End {
			merged[n-1].End = iv.End
		} else {
			merged = append(merged, iv)
		}
	}
	return merged
}

// vecAngleDeg returns the angle between a and b in degrees, 0 if either is zero.
func vecAngleDeg(a, b [3]float64) float64 {
	na, nb := norm3(a), norm3(b)
	if na == 0 || nb == 0 {
		return 0
	}
	c := math.Max(-1, math.Min(1, dot(a, b)/(na*nb)))
	return math.Acos(c) * 180 / math.Pi
}

func sum3(v [][3]float64) [3]float64 {
	var s [3]float64
	for _, a := range v {
		s[0] += a[0]
		s[1] += a[1]
		s[2] += a[2]
	}
	return s
}

// stdPop returns the population standard deviation of x.
func stdPop(x []float64) float64 {
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss / float64(len(x)))
}

// countPeaks counts local maxima of x above height, keeping of peaks closer
// than minGap samples only the first.
func countPeaks(x []float64, height float64, minGap int) int {
	n, last := 0, -minGap
	for i := 1; i+1 < len(x); i++ {
		if x[i] > height && x[i] > x[i-1] && x[i] >= x[i+1] && i-last >= minGap {
			n++
			last = i
		}
	}
	return n
}
