package analysis

import "math"

// StepTimes writes the step times IC(k+1) - IC(k) of the initial contacts
// ics (seconds, increasing) into dst (nil allocates; length len(ics)-1).
func StepTimes(dst, ics []float64) []float64 {
	if len(ics) < 2 {
		return dst[:0]
	}
	dst = useDst(dst, len(ics)-1)
	for k := range dst {
		dst[k] = ics[k+1] - ics[k]
	}
	return dst
}

// StrideTimes writes the stride times IC(k+2) - IC(k) of the initial
// contacts ics (seconds, alternating feet) into dst (nil allocates; length
// len(ics)-2).
func StrideTimes(dst, ics []float64) []float64 {
	if len(ics) < 3 {
		return dst[:0]
	}
	dst = useDst(dst, len(ics)-2)
	for k := range dst {
		dst[k] = ics[k+2] - ics[k]
	}
	return dst
}

// Variability returns the mean, the sample standard deviation and the
// coefficient of variation (per cent) of x:
//
//	mean = Σx/n,  sd = sqrt(Σ(x-mean)²/(n-1)),  cv = 100·sd/mean
//
// (stride-time variability as in Hausdorff 2001). Fewer than two values, or a
// non-positive mean, give sd = cv = 0.
func Variability(x []float64) (mean, sd, cv float64) {
	n := float64(len(x))
	if n == 0 {
		return 0, 0, 0
	}
	for _, v := range x {
		mean += v
	}
	mean /= n
	if n < 2 || mean <= 0 {
		return mean, 0, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	sd = math.Sqrt(ss / (n - 1))
	return mean, sd, 100 * sd / mean
}
