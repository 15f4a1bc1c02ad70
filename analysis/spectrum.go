package analysis

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Welch estimates the one-sided power spectral density of x (units of x² per
// Hz) by Welch's method with the defaults of scipy.signal.welch(x, fs,
// nperseg=nperseg): periodic Hann window, 50 % overlap (nperseg/2 samples),
// each segment's mean removed, nfft = nperseg, density scaling
// 1/(fs·Σw²), averaged over segments by the mean, and doubled except at 0
// and (for even nperseg) the Nyquist bin. freqs[k] = k·fs/nperseg for
// k = 0..nperseg/2. As in scipy, nperseg > len(x) is cut to len(x). It
// returns nil slices when x is empty or nperseg < 1.
//
// By Parseval, Σ psd·fs/nperseg ≈ var(x); a sine of amplitude A puts A²/2 of
// power in a peak at its frequency.
func Welch(x []float64, fs float64, nperseg int) (freqs, psd []float64) {
	freqs, psds := welchAll(fs, nperseg, x)
	if psds == nil {
		return nil, nil
	}
	return freqs, psds[0]
}

// welchAll is Welch on signals of one length, sharing the window, the FFT
// plan and the buffers: the same numbers as Welch on each.
func welchAll(fs float64, nperseg int, xs ...[]float64) (freqs []float64, psds [][]float64) {
	if len(xs) == 0 {
		return nil, nil
	}
	n := len(xs[0])
	if nperseg > n {
		nperseg = n
	}
	if nperseg < 1 || !(fs > 0) {
		return nil, nil
	}
	step := nperseg - nperseg/2
	nseg := (n-nperseg)/step + 1
	w := make([]float64, nperseg)
	var wss float64
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(nperseg))
		wss += w[i] * w[i]
	}
	nf := nperseg/2 + 1
	freqs = make([]float64, nf)
	for k := range freqs {
		freqs[k] = float64(k) * fs / float64(nperseg)
	}
	fft := fourier.NewFFT(nperseg)
	seg := make([]float64, nperseg)
	coef := make([]complex128, nf)
	scale := 1 / (fs * wss * float64(nseg))
	psds = make([][]float64, len(xs))
	for j, x := range xs {
		psd := make([]float64, nf)
		for s := 0; s < nseg; s++ {
			part := x[s*step : s*step+nperseg]
			var m float64
			for _, v := range part {
				m += v
			}
			m /= float64(nperseg)
			for i, v := range part {
				seg[i] = (v - m) * w[i]
			}
			coef = fft.Coefficients(coef, seg)
			for k, c := range coef {
				psd[k] += real(c)*real(c) + imag(c)*imag(c)
			}
		}
		for k := range psd {
			psd[k] *= scale
			if k > 0 && !(nperseg%2 == 0 && k == nf-1) {
				psd[k] *= 2
			}
		}
		psds[j] = psd
	}
	return freqs, psds
}
