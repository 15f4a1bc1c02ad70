package analysis

import "math"

// Resample converts x, sampled at fsIn Hz, to fsOut Hz by band-limited
// (windowed-sinc) interpolation: output sample j at time t = j/fsOut is
//
//	y[j] = Σ_k x[k]·h(t·fsIn - k) / Σ_k h(t·fsIn - k),
//	h(u) = sinc(2·fc·u/fsIn)·w(u),
//
// with cutoff fc = 0.45·min(fsIn, fsOut) (anti-aliasing when decimating,
// image rejection when interpolating), w a Hann window spanning ±8 periods of
// fc (h is tabulated at 1/256 of a sample and interpolated linearly), and the division by Σh keeping a constant exact and the edges unbiased
// (the kernel is truncated there). The output has floor((len(x)-1)·fsOut/fsIn)+1
// samples, so the first sample is x[0]'s instant and none lies after the
// last input. dst, if non-nil, must have that length. It panics if a rate is
// not positive and finite. Equal rates copy x.
func Resample(dst, x []float64, fsIn, fsOut float64) []float64 {
	if !(fsIn > 0) || !(fsOut > 0) || math.IsInf(fsIn, 0) || math.IsInf(fsOut, 0) {
		panic("analysis: resample rates must be positive and finite")
	}
	if len(x) == 0 {
		return useDst(dst, 0)
	}
	n := ResampledLen(len(x), fsIn, fsOut)
	dst = useDst(dst, n)
	if fsIn == fsOut {
		copy(dst, x)
		return dst
	}
	fc := 0.45 * math.Min(fsIn, fsOut)
	nu := 2 * fc / fsIn             // normalised cutoff, cycles per input sample ×2
	half := math.Ceil(8 / (nu / 2)) // ±8 cutoff periods, in input samples
	tab := resampleKernel(nu, half)
	ratio := fsIn / fsOut
	for j := range dst {
		t := float64(j) * ratio
		lo := max(0, int(math.Ceil(t-half)))
		hi := min(len(x)-1, int(math.Floor(t+half)))
		var num, den float64
		for k := lo; k <= hi; k++ {
			p := (t - float64(k) + half) * kernelPhases
			i := int(p)
			if i >= len(tab)-1 {
				i = len(tab) - 2
			}
			f := p - float64(i)
			h := tab[i] + (tab[i+1]-tab[i])*f
			num += h * x[k]
			den += h
		}
		dst[j] = num / den
	}
	return dst
}

// kernelPhases is the resampling kernel's table resolution per input
// sample; linear interpolation between entries errs by about
// (π·ν/Q)²/8 relative, under 1e-5.
const kernelPhases = 256

// resampleKernel tabulates h(u) = sinc(ν·u)·(½ + ½cos(πu/half)) for
// u = -half .. half in steps of 1/kernelPhases.
func resampleKernel(nu, half float64) []float64 {
	n := int(2*half*kernelPhases) + 1
	tab := make([]float64, n)
	for i := range tab {
		u := float64(i)/kernelPhases - half
		tab[i] = sinc(nu*u) * (0.5 + 0.5*math.Cos(math.Pi*u/half))
	}
	return tab
}

// ResampledLen is the length of Resample's output for n input samples.
func ResampledLen(n int, fsIn, fsOut float64) int {
	if n <= 0 {
		return 0
	}
	// A tiny tolerance keeps exact ratios (e.g. 200→100 Hz) from losing the
	// last sample to rounding.
	return int(math.Floor(float64(n-1)*fsOut/fsIn+1e-9)) + 1
}

// sinc is sin(πx)/(πx), 1 at 0.
func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}
