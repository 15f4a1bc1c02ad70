package analysis

import (
	"fmt"
	"math"
	"sort"

	"github.com/balance-pt/balance"
)

// checkInput validates a recording for an analysis that needs at least
// minSec seconds: the rate must lie in balance.MinRateHz..MaxRateHz, every
// value must be finite, the timestamps (when not all zero) must increase
// with steps within half to twice 1/fs, and the signal must not be
// flat-lined. Errors wrap the sentinels in errors.go.
func checkInput(samples []balance.Sample, fs, minSec float64) error {
	if err := CheckRate(fs); err != nil {
		return err
	}
	if need := int(math.Ceil(minSec * fs)); len(samples) < need || len(samples) < 2 {
		return fmt.Errorf("%w: %d samples (%.2f s), need %d (%.1f s)", ErrTooShort, len(samples), float64(len(samples))/fs, need, minSec)
	}
	for i := range samples {
		for _, v := range samples[i].Acc {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: acc at sample %d", ErrNonFinite, i)
			}
		}
		for _, v := range samples[i].Gyro {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: gyro at sample %d", ErrNonFinite, i)
			}
		}
	}
	if err := checkTimes(samples, fs); err != nil {
		return err
	}
	if isFlat(samples) {
		return fmt.Errorf("%w: every accelerometer axis is constant", ErrFlat)
	}
	return nil
}

// CheckRate returns ErrBadRate (wrapped) unless fs lies within
// balance.MinRateHz..MaxRateHz.
func CheckRate(fs float64) error {
	if !(fs >= balance.MinRateHz && fs <= balance.MaxRateHz) {
		return fmt.Errorf("%w: %v Hz is outside %v..%v Hz", ErrBadRate, fs, balance.MinRateHz, balance.MaxRateHz)
	}
	return nil
}

// checkTimes reports ErrGap for a non-increasing time or a step beyond
// twice 1/fs, and ErrBadRate when the mean step is not within 10 % of
// 1/fs. All-zero times (no timestamps) pass.
func checkTimes(samples []balance.Sample, fs float64) error {
	if samples[0].TimeNS == 0 && samples[len(samples)-1].TimeNS == 0 {
		return nil
	}
	dt := 1e9 / fs
	for i := 1; i < len(samples); i++ {
		d := float64(samples[i].TimeNS - samples[i-1].TimeNS)
		if d <= 0 || d > 2*dt {
			return fmt.Errorf("%w: step of %.3g ms before sample %d at %v Hz", ErrGap, d/1e6, i, fs)
		}
	}
	mean := float64(samples[len(samples)-1].TimeNS-samples[0].TimeNS) / float64(len(samples)-1)
	if math.Abs(mean-dt) > 0.1*dt {
		return fmt.Errorf("%w: timestamps say %.4g Hz, declared %v Hz", ErrBadRate, 1e9/mean, fs)
	}
	return nil
}

func isFlat(samples []balance.Sample) bool {
	first := samples[0].Acc
	for i := range samples {
		if samples[i].Acc != first {
			return false
		}
	}
	return true
}

// SaturatedFraction returns the fraction of samples in which some
// accelerometer axis sits on a clipping plateau: a value beyond 1.5 g in
// magnitude equal to that axis's extreme over the recording and repeated
// in at least 3 consecutive samples (a real signal does not stay exactly at
// its peak; a clipped one does).
func SaturatedFraction(samples []balance.Sample) float64 {
	if len(samples) < 3 {
		return 0
	}
	var lo, hi [3]float64
	lo, hi = samples[0].Acc, samples[0].Acc
	for i := range samples {
		for k, v := range samples[i].Acc {
			lo[k] = math.Min(lo[k], v)
			hi[k] = math.Max(hi[k], v)
		}
	}
	lim := 1.5 * balance.StandardGravity
	n := 0
	for i := range samples {
		sat := false
		for k := 0; k < 3; k++ {
			v := samples[i].Acc[k]
			if math.Abs(v) < lim || (v != lo[k] && v != hi[k]) {
				continue
			}
			run := 1
			for j := i - 1; j >= 0 && samples[j].Acc[k] == v && run < 3; j-- {
				run++
			}
			for j := i + 1; j < len(samples) && samples[j].Acc[k] == v && run < 3; j++ {
				run++
			}
			if run >= 3 {
				sat = true
			}
		}
		if sat {
			n++
		}
	}
	return float64(n) / float64(len(samples))
}

// median returns the median of x (which it sorts), 0 for empty x.
func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	sort.Float64s(x)
	m := len(x) / 2
	if len(x)%2 == 1 {
		return x[m]
	}
	return (x[m-1] + x[m]) / 2
}

// EstimateRate returns the sampling rate of ss in Hz from the median of up
// to its first 256 positive timestamp steps, rounded to 0.001 Hz; 0 when
// there are fewer than two samples or the rate fails CheckRate. The median
// ignores gaps (dropped packets) and jitter.
func EstimateRate(ss []balance.Sample) float64 {
	if len(ss) < 2 {
		return 0
	}
	steps := make([]float64, 0, min(len(ss)-1, 256))
	for i := 1; i < len(ss) && len(steps) < 256; i++ {
		if d := ss[i].TimeNS - ss[i-1].TimeNS; d > 0 {
			steps = append(steps, float64(d))
		}
	}
	if len(steps) == 0 {
		return 0
	}
	fs := 1e9 / median(steps)
	if CheckRate(fs) != nil {
		return 0
	}
	return math.Round(fs*1000) / 1000
}
