package analysis

import (
	"fmt"
	"math"
	"math/cmplx"
	"sort"
)

// SOS is a cascade of second-order sections, each [b0 b1 b2 a0(=1) a1 a2],
// the layout of scipy.signal's "sos" output.
type SOS [][6]float64

func checkCutoff(order int, f, fs float64) {
	if order < 1 {
		panic(fmt.Sprintf("analysis: filter order %d < 1", order))
	}
	if !(fs > 0) || math.IsInf(fs, 0) {
		panic(fmt.Sprintf("analysis: sample rate %v Hz is not positive", fs))
	}
	if !(f > 0 && f < fs/2) {
		panic(fmt.Sprintf("analysis: cutoff %v Hz outside (0, %v) for fs %v Hz", f, fs/2, fs))
	}
}

// butterProtoQ returns b_k = 2 sin((2k+1)π/(2n)) for the conjugate pole pairs
// of the order-n analog Butterworth prototype (poles on the unit circle,
// s² + b_k s + 1), and whether a real pole at s = -1 remains (n odd).
func butterProtoQ(n int) (b []float64, odd bool) {
	for k := 0; k < n/2; k++ {
		b = append(b, 2*math.Sin(float64(2*k+1)*math.Pi/float64(2*n)))
	}
	return b, n%2 == 1
}

// ButterLowpass designs an order-n digital Butterworth low-pass filter with
// -3 dB cutoff cutoffHz at sample rate fs, by the bilinear transform
// s = (1-z⁻¹)/(1+z⁻¹) of the analog prototype pre-warped to K = tan(π·fc/fs).
// Its magnitude response is exactly
//
//	|H(f)| = 1/sqrt(1 + (tan(πf/fs)/tan(πfc/fs))^(2n)),
//
// the design of scipy.signal.butter(n, fc, fs=fs, output="sos") (sections
// may be ordered differently). Each pole pair s² + b·K·s + K² maps to
// b = K²[1 2 1], a = [1+bK+K², 2K²-2, 1-bK+K²] normalised by a0; odd n adds a
// first-order section. It panics if order < 1 or cutoff is not in (0, fs/2).
func ButterLowpass(order int, cutoffHz, fs float64) SOS {
	checkCutoff(order, cutoffHz, fs)
	K := math.Tan(math.Pi * cutoffHz / fs)
	bs, odd := butterProtoQ(order)
	var s SOS
	if odd {
		a0 := 1 + K
		s = append(s, [6]float64{K / a0, K / a0, 0, 1, (K - 1) / a0, 0})
	}
	for _, b := range bs {
		a0 := 1 + b*K + K*K
		g := K * K / a0
		s = append(s, [6]float64{g, 2 * g, g, 1, (2*K*K - 2) / a0, (1 - b*K + K*K) / a0})
	}
	return s
}

// ButterHighpass designs an order-n digital Butterworth high-pass filter with
// -3 dB cutoff cutoffHz, the low-pass prototype under s → K/s followed by the
// bilinear transform (as scipy.signal.butter(n, fc, "highpass", fs=fs)):
//
//	|H(f)| = 1/sqrt(1 + (tan(πfc/fs)/tan(πf/fs))^(2n)).
//
// It panics if order < 1 or cutoff is not in (0, fs/2).
func ButterHighpass(order int, cutoffHz, fs float64) SOS {
	checkCutoff(order, cutoffHz, fs)
	K := math.Tan(math.Pi * cutoffHz / fs)
	bs, odd := butterProtoQ(order)
	var s SOS
	if odd {
		a0 := 1 + K
		s = append(s, [6]float64{1 / a0, -1 / a0, 0, 1, (K - 1) / a0, 0})
	}
	for _, b := range bs {
		a0 := 1 + b*K + K*K
		s = append(s, [6]float64{1 / a0, -2 / a0, 1 / a0, 1, (2*K*K - 2) / a0, (1 - b*K + K*K) / a0})
	}
	return s
}

// ButterBandpass designs an order-2n digital Butterworth band-pass filter with
// -3 dB edges lowHz and highHz: the order-n analog prototype under
// s → (s² + W0²)/(s·Bw), with pre-warped edges Wl = tan(π·lowHz/fs),
// Wh = tan(π·highHz/fs), W0² = Wl·Wh, Bw = Wh - Wl, then the bilinear
// transform (as scipy.signal.butter(n, [lo, hi], "bandpass", fs=fs)). Its
// magnitude response is 1/sqrt(1 + ((W² - W0²)/(W·Bw))^(2n)) with
// W = tan(πf/fs), unity at the centre W = W0. Each section has one zero at
// z = 1 and one at z = -1. It panics on invalid parameters.
func ButterBandpass(order int, lowHz, highHz, fs float64) SOS {
	checkCutoff(order, lowHz, fs)
	checkCutoff(order, highHz, fs)
	if !(lowHz < highHz) {
		panic(fmt.Sprintf("analysis: band-pass edges %v >= %v Hz", lowHz, highHz))
	}
	wl, wh := math.Tan(math.Pi*lowHz/fs), math.Tan(math.Pi*highHz/fs)
	w0sq, bw := wl*wh, wh-wl
	// Analog prototype poles exp(iπ(2k+n+1)/(2n)), k = 0..n-1.
	var zp []complex128
	for k := 0; k < order; k++ {
		p := cmplx.Exp(complex(0, math.Pi*float64(2*k+order+1)/float64(2*order)))
		d := cmplx.Sqrt(p*p*complex(bw*bw, 0) - complex(4*w0sq, 0))
		for _, s := range []complex128{(p*complex(bw, 0) + d) / 2, (p*complex(bw, 0) - d) / 2} {
			zp = append(zp, (1+s)/(1-s)) // bilinear: z = (1+s)/(1-s)
		}
	}
	// Pair conjugate poles; pair leftover real poles with each other.
	const eps = 1e-12
	var reals []float64
	var sos SOS
	for _, z := range zp {
		switch {
		case imag(z) > eps:
			sos = append(sos, [6]float64{1, 0, -1, 1, -2 * real(z), real(z)*real(z) + imag(z)*imag(z)})
		case imag(z) >= -eps:
			reals = append(reals, real(z))
		}
	}
	sort.Float64s(reals)
	for i := 0; i+1 < len(reals); i += 2 {
		sos = append(sos, [6]float64{1, 0, -1, 1, -(reals[i] + reals[i+1]), reals[i] * reals[i+1]})
	}
	// Normalise to unity gain at the centre frequency z0 = exp(i·2·atan(W0)).
	z0 := cmplx.Exp(complex(0, 2*math.Atan(math.Sqrt(w0sq))))
	h := sos.response(z0)
	g := math.Pow(1/cmplx.Abs(h), 1/float64(len(sos)))
	for i := range sos {
		for j := 0; j < 3; j++ {
			sos[i][j] *= g
		}
	}
	if real(h) < 0 {
		for j := 0; j < 3; j++ {
			sos[0][j] = -sos[0][j]
		}
	}
	return sos
}

// response evaluates the transfer function of the cascade at z.
func (s SOS) response(z complex128) complex128 {
	h := complex(1, 0)
	zi := 1 / z
	for _, c := range s {
		num := complex(c[0], 0) + complex(c[1], 0)*zi + complex(c[2], 0)*zi*zi
		den := complex(c[3], 0) + complex(c[4], 0)*zi + complex(c[5], 0)*zi*zi
		h *= num / den
	}
	return h
}

// Response returns the complex frequency response H(e^{i2πf/fs}) of the
// cascade at f Hz, like scipy.signal.sosfreqz.
func (s SOS) Response(f, fs float64) complex128 {
	return s.response(cmplx.Exp(complex(0, 2*math.Pi*f/fs)))
}

// Filter runs the sections forward over x in direct form II transposed with
// zero initial state, like scipy.signal.sosfilt(sos, x), writing into dst
// (nil allocates; dst may alias x). It panics if dst is non-nil with a
// different length.
func (s SOS) Filter(dst, x []float64) []float64 {
	dst = useDst(dst, len(x))
	copy(dst, x)
	for _, c := range s {
		s.runSection(c, dst, 0, 0)
	}
	return dst
}

// runSection filters y in place through one section from state (z0, z1),
// returning the final state.
func (SOS) runSection(c [6]float64, y []float64, z0, z1 float64) (float64, float64) {
	b0, b1, b2, a1, a2 := c[0]/c[3], c[1]/c[3], c[2]/c[3], c[4]/c[3], c[5]/c[3]
	for i, xi := range y {
		yi := b0*xi + z0
		z0 = b1*xi - a1*yi + z1
		z1 = b2*xi - a2*yi
		y[i] = yi
	}
	return z0, z1
}

// padLen returns scipy.signal.sosfiltfilt's default pad length:
// 3·(2·len(sos)+1 - min(#sections with b2 = 0, #sections with a2 = 0)).
func (s SOS) padLen() int {
	nb, na := 0, 0
	for _, c := range s {
		if c[2] == 0 {
			nb++
		}
		if c[5] == 0 {
			na++
		}
	}
	return 3 * (2*len(s) + 1 - min(nb, na))
}

// FiltFilt filters x forward and backward for zero phase and squared
// magnitude |H|², following scipy.signal.sosfiltfilt(sos, x) with its
// defaults: odd extension (2·x[0] - x[k]) of padlen = 3·(2·len(sos)+1 -
// min(#b2=0, #a2=0)) samples at each end, each pass started from the
// step-response steady state (sosfilt_zi) scaled by the first sample of its
// input. Where scipy would raise because len(x) <= padlen, padlen is cut to
// len(x)-1 instead (as scipy.signal.filtfilt does with an explicit padlen).
// dst (nil allocates) may alias x.
func (s SOS) FiltFilt(dst, x []float64) []float64 {
	n := len(x)
	dst = useDst(dst, n)
	if n == 0 {
		return dst
	}
	edge := min(s.padLen(), n-1)
	ext := make([]float64, n+2*edge)
	for i := 0; i < edge; i++ {
		ext[i] = 2*x[0] - x[edge-i]
		ext[n+edge+i] = 2*x[n-1] - x[n-2-i]
	}
	copy(ext[edge:], x)
	s.filterSteady(ext)
	reverse(ext)
	s.filterSteady(ext)
	reverse(ext)
	copy(dst, ext[edge:edge+n])
	return dst
}

// filterSteady filters y in place, each section starting in the steady state
// of a step of height y[0] (scipy.signal.sosfilt_zi(sos)·y[0]).
func (s SOS) filterSteady(y []float64) {
	scale := y[0]
	var z [][2]float64 // each section's initial state
	for _, c := range s {
		b0, b1, b2, a1, a2 := c[0]/c[3], c[1]/c[3], c[2]/c[3], c[4]/c[3], c[5]/c[3]
		g := (b0 + b1 + b2) / (1 + a1 + a2) // DC gain of the section
		z1 := scale * (b2 - a2*g)
		z0 := scale*(b1-a1*g) + z1
		z = append(z, [2]float64{z0, z1})
		scale *= g
	}
	if len(s) == 2 {
		// Second-order band-pass and fourth-order filters: both sections
		// in one pass.
		s.runTwoSections(y, z[0], z[1])
		return
	}
	for k, c := range s {
		s.runSection(c, y, z[k][0], z[k][1])
	}
}

// runTwoSections filters y in place through the two sections of s from
// states p and q, sample by sample: the arithmetic of runSection over
// each section in turn, in one pass, where the processor overlaps the two
// sections' recurrences.
func (s SOS) runTwoSections(y []float64, p, q [2]float64) {
	c, d := s[0], s[1]
	b0, b1, b2, a1, a2 := c[0]/c[3], c[1]/c[3], c[2]/c[3], c[4]/c[3], c[5]/c[3]
	e0, e1, e2, f1, f2 := d[0]/d[3], d[1]/d[3], d[2]/d[3], d[4]/d[3], d[5]/d[3]
	z0, z1, w0, w1 := p[0], p[1], q[0], q[1]
	for i, xi := range y {
		yi := b0*xi + z0
		z0 = b1*xi - a1*yi + z1
		z1 = b2*xi - a2*yi
		ui := e0*yi + w0
		w0 = e1*yi - f1*ui + w1
		w1 = e2*yi - f2*ui
		y[i] = ui
	}
}

func reverse(x []float64) {
	for i, j := 0, len(x)-1; i < j; i, j = i+1, j-1 {
		x[i], x[j] = x[j], x[i]
	}
}

// useDst returns dst if it has length n, a new slice if dst is nil, and
// panics otherwise (a programming error, like gonum's floats package).
func useDst(dst []float64, n int) []float64 {
	if dst == nil {
		return make([]float64, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("analysis: dst length %d != %d", len(dst), n))
	}
	return dst
}
