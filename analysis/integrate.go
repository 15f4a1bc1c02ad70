package analysis

// CumTrapz returns the cumulative trapezoid integral of x sampled at fs Hz,
// dst[0] = 0 and dst[i] = dst[i-1] + (x[i-1]+x[i])/(2·fs), like
// scipy.integrate.cumulative_trapezoid(x, dx=1/fs, initial=0). Units are
// those of x times seconds. dst (nil allocates) may alias x.
func CumTrapz(dst, x []float64, fs float64) []float64 {
	dst = useDst(dst, len(x))
	if len(x) == 0 {
		return dst
	}
	h := 0.5 / fs
	prev, acc := x[0], 0.0
	dst[0] = 0
	for i := 1; i < len(x); i++ {
		xi := x[i]
		acc += (prev + xi) * h
		prev = xi
		dst[i] = acc
	}
	return dst
}

// Detrend subtracts from x its least-squares straight line a + b·i (like
// scipy.signal.detrend(x, type="linear")), removing the offset and linear
// drift that integration of a biased signal produces. dst (nil allocates)
// may alias x. A single sample detrends to 0.
func Detrend(dst, x []float64) []float64 {
	n := len(x)
	dst = useDst(dst, n)
	if n == 0 {
		return dst
	}
	// Centre the abscissa at (n-1)/2 so the slope and intercept decouple:
	// b = Σ(i-c)x / Σ(i-c)², a = mean(x).
	c := float64(n-1) / 2
	var sx, sxy, sxx float64
	for i, v := range x {
		u := float64(i) - c
		sx += v
		sxy += u * v
		sxx += u * u
	}
	a := sx / float64(n)
	b := 0.0
	if sxx > 0 {
		b = sxy / sxx
	}
	for i, v := range x {
		dst[i] = v - a - b*(float64(i)-c)
	}
	return dst
}

// RemoveMean subtracts the mean of x (scipy.signal.detrend type="constant").
func RemoveMean(dst, x []float64) []float64 {
	dst = useDst(dst, len(x))
	if len(x) == 0 {
		return dst
	}
	var s float64
	for _, v := range x {
		s += v
	}
	m := s / float64(len(x))
	for i, v := range x {
		dst[i] = v - m
	}
	return dst
}
