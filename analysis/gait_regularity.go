package analysis

import "math"

// UnbiasedAutocorr returns the unbiased autocorrelation of x (after removing
// its mean) at lag m, normalised by its value at lag 0 (Moe-Nilssen &
// Helbostad 2004):
//
//	Ad(m) = [1/(N−m) Σ_{i<N−m} x(i)·x(i+m)] / [1/N Σ x(i)²]
//
// It returns 0 for m outside [0, N) or a constant x.
func UnbiasedAutocorr(x []float64, m int) float64 {
	n := len(x)
	if m < 0 || m >= n {
		return 0
	}
	var mu float64
	for _, v := range x {
		mu += v
	}
	mu /= float64(n)
	return unbiasedAutocorrCentered(x, mu, m, energy(x, mu)/float64(n))
}

func energy(x []float64, mu float64) float64 {
	var e float64
	for _, v := range x {
		e += (v - mu) * (v - mu)
	}
	return e
}

func unbiasedAutocorrCentered(x []float64, mu float64, m int, c0 float64) float64 {
	if c0 <= 0 {
		return 0
	}
	n := len(x)
	var s float64
	for i := 0; i+m < n; i++ {
		s += (x[i] - mu) * (x[i+m] - mu)
	}
	return s / float64(n-m) / c0
}

// Regularity returns the step and stride regularity of the vertical trunk
// acceleration x (one walking bout, fs Hz) and their ratio, the symmetry
// (Moe-Nilssen & Helbostad 2004, J Biomech 37:121-126): Ad1, the highest
// unbiased autocorrelation at lags within ±40 % of the step time stepS, and
// Ad2, the highest within ±20 % of the stride time strideS; symmetry =
// Ad1/Ad2 (1 for identical left and right steps). Searching near the
// measured step and stride times follows skdh's StepRegularityV. Values are
// in [-1, 1] in theory (the unbiased estimator may exceed 1 slightly on short
// bouts); lags beyond half the bout give 0.
func Regularity(x []float64, fs, stepS, strideS float64) (step, stride, symmetry float64) {
	n := len(x)
	if n < 4 || !(stepS > 0) || !(strideS > 0) {
		return 0, 0, 0
	}
	var mu float64
	for _, v := range x {
		mu += v
	}
	mu /= float64(n)
	c0 := energy(x, mu) / float64(n)
	// Coarse search on a grid of about 20 ms, then every lag around the
	// best: the autocorrelation peak of walking is a few hundred ms wide.
	stride0 := max(1, int(fs/50))
	best := func(lo, hi float64) float64 {
		a, b := max(1, int(math.Floor(lo*fs))), min(n/2, int(math.Ceil(hi*fs)))
		if a > b {
			return 0
		}
		m, at := math.Inf(-1), a
		for lag := a; lag <= b; lag += stride0 {
			if v := unbiasedAutocorrCentered(x, mu, lag, c0); v > m {
				m, at = v, lag
			}
		}
		for lag := max(a, at-stride0+1); lag <= min(b, at+stride0-1); lag++ {
			m = math.Max(m, unbiasedAutocorrCentered(x, mu, lag, c0))
		}
		return m
	}
	step = best(0.6*stepS, 1.4*stepS)
	stride = best(0.8*strideS, 1.2*strideS)
	if stride > 0 {
		symmetry = step / stride
	}
	return step, stride, symmetry
}

// HarmonicRatio returns the harmonic ratio of one stride of acceleration x
// (exactly one stride long) for the vertical or antero-posterior axis
// (Menz, Lord & Fitzpatrick 2003; Bellanca et al. 2013): with A_k the
// amplitude of the k-th harmonic of the stride frequency (the k-th DFT bin of
// the stride),
//
//	HR = Σ_{k=1..10} A_{2k} / Σ_{k=1..10} A_{2k−1}
//
// Steps repeat twice per stride, so even harmonics dominate a symmetric
// gait. Harmonics at or above the Nyquist bin are left out; no harmonic
// energy (odd harmonics below 1e-12 of Σ|x|) gives 0.
func HarmonicRatio(x []float64) float64 {
	n := len(x)
	var even, odd, scale float64
	for _, v := range x {
		scale += math.Abs(v)
	}
	kmax := min(20, (n-1)/2) // harmonics k with 2k < n
	amp := func(c, s1, s2 float64) float64 { return math.Sqrt(math.Max(0, s1*s1+s2*s2-c*s1*s2)) }
	add := func(k int, a float64) {
		if k%2 == 0 {
			even += a
		} else {
			odd += a
		}
	}
	// Goertzel recurrences for DFT bins k, three flops per sample each;
	// four bins at a time, whose independent chains the processor
	// overlaps (each bin's arithmetic is the same as alone).
	coef := func(k int) float64 { return 2 * math.Cos(2*math.Pi*float64(k)/float64(n)) }
	k := 1
	for ; k+3 <= kmax; k += 4 {
		c0, c1, c2, c3 := coef(k), coef(k+1), coef(k+2), coef(k+3)
		var a1, a2, b1, b2, d1, d2, e1, e2 float64
		for _, v := range x {
			a1, a2 = v+c0*a1-a2, a1
			b1, b2 = v+c1*b1-b2, b1
			d1, d2 = v+c2*d1-d2, d1
			e1, e2 = v+c3*e1-e2, e1
		}
		add(k, amp(c0, a1, a2))
		add(k+1, amp(c1, b1, b2))
		add(k+2, amp(c2, d1, d2))
		add(k+3, amp(c3, e1, e2))
	}
	for ; k <= kmax; k++ {
		c := coef(k)
		var s1, s2 float64
		for _, v := range x {
			s1, s2 = v+c*s1-s2, s1
		}
		add(k, amp(c, s1, s2))
	}
	// Below 1e-12 of Σ|x| the harmonics are rounding noise.
	if odd <= 1e-12*scale || even+odd <= 1e-12*scale {
		return 0
	}
	return even / odd
}
