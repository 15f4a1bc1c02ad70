package analysis

import "math"

// Ricker returns the Ricker ("Mexican hat") wavelet of width a samples on n
// points centred on (n-1)/2, the definition of scipy.signal.ricker:
//
//	ψ(t) = 2/(sqrt(3a)·π^(1/4)) · (1 - t²/a²) · exp(-t²/(2a²))
//
// It is the negative second derivative of a Gaussian of standard deviation
// a, normalised to unit energy. dst (nil allocates) must have length n.
func Ricker(dst []float64, n int, a float64) []float64 {
	dst = useDst(dst, n)
	if !(a > 0) {
		panic("analysis: Ricker width must be positive")
	}
	amp := 2 / (math.Sqrt(3*a) * math.Pow(math.Pi, 0.25))
	c := float64(n-1) / 2
	for i := range dst {
		t := (float64(i) - c) / a
		dst[i] = amp * (1 - t*t) * math.Exp(-t*t/2)
	}
	return dst
}

// CWTRicker returns the continuous wavelet transform of x at one scale: the
// correlation of x with a Ricker wavelet of width a samples,
//
//	W(k) = Σ_j x(k+j) · ψ(j),   j = -L..L, L = ceil(5a)
//
// with x taken as zero outside its ends (numpy.convolve(x, ψ, "same"), the
// wavelet being symmetric), by direct summation: 2L+1 multiply-adds per
// sample. dst (nil allocates) must have len(x) and may not alias x.
func CWTRicker(dst, x []float64, a float64) []float64 {
	n := len(x)
	dst = useDst(dst, n)
	L := int(math.Ceil(5 * a))
	w := Ricker(nil, 2*L+1, a)
	for k := 0; k < n; k++ {
		lo, hi := max(-L, -k), min(L, n-1-k)
		var s float64
		xs := x[k+lo : k+hi+1]
		ws := w[L+lo : L+hi+1]
		for j, v := range xs {
			s += v * ws[j]
		}
		dst[k] = s
	}
	return dst
}
