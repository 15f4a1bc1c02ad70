package analysis

import "math"

// Frequency-domain sway measures as Prieto et al. 1996 define them
// ("Measures of postural steadiness: differences between healthy young and
// elderly adults", IEEE Trans Biomed Eng 43:956, section II-D) and Mancini
// et al. 2012 (iSway, J NeuroEng Rehabil 9:59, Table 2) adopt them for
// trunk acceleration: from the power spectral density G(f) of the
// resultant distance RD[n] = sqrt(AP[n]² + ML[n]²) for the 2-D measures,
// and of AP and ML for the per-direction ones, over the band
// SwayBandLoHz–SwayBandHiHz (0.15–5 Hz, Prieto's band), with the spectral
// moments μk = Σ f^k·G(f)·Δf over the bins of the band.

// Prieto 1996's band of the frequency measures, Hz: below 0.15 Hz a 30 s
// trial holds too few cycles to estimate the spectrum, and above 5 Hz
// there is no sway power (the acceleration is low-passed at 3.5 Hz
// before, so the band ends in the filter's stop band).
const (
	SwayBandLoHz = 0.15
	SwayBandHiHz = 5.0
)

// SwaySegmentSec is the Welch segment length of the frequency measures:
// 20 s, a bin width Δf = 0.05 Hz, so that 0.15 Hz is a bin (the third).
// A 30 s trial gives two Hann segments overlapping by half.
const SwaySegmentSec = 20

// SwaySpectrum holds the frequency-domain sway measures of one PSD G(f)
// over a band [lo, hi] (Prieto 1996 section II-D; Mancini 2012 Table 2),
// with μk = Σ_{lo ≤ f ≤ hi} f^k·G(f)·Δf.
type SwaySpectrum struct {
	// Power is POWER = μ0, the band power in m²/s⁴ (PWR in Mancini 2012).
	Power float64
	// F50 and F95 are the 50 % and 95 % power frequencies in Hz: the
	// frequency f_u of the lowest bin u of the band whose cumulative power
	// Σ_{lo ≤ f ≤ f_u} G(f) reaches 50 % (95 %) of the band's (Prieto's
	// definition, so quantised to the bin width Δf).
	F50, F95 float64
	// CF is the centroidal frequency CFREQ = sqrt(μ2/μ0), Hz.
	CF float64
	// FD is the frequency dispersion FREQD = sqrt(1 − μ1²/(μ0·μ2)),
	// dimensionless: 0 for a pure tone, towards 1 for broadband sway.
	FD float64
}

// SpectralMeasures computes SwaySpectrum from a one-sided PSD (freqs
// evenly spaced from 0, as from Welch; psd in x² per Hz) over the bins
// with lo ≤ f ≤ hi. It returns the zero value when the band holds no
// power: none, or less than 1e-12 of the whole spectrum's (the FFT's
// rounding of a signal with no power there).
func SpectralMeasures(freqs, psd []float64, lo, hi float64) SwaySpectrum {
	if len(freqs) < 2 {
		return SwaySpectrum{}
	}
	df := freqs[1] - freqs[0]
	var m0, m1, m2, all float64
	for k, f := range freqs {
		all += psd[k] * df
		if f < lo || f > hi {
			continue
		}
		p := psd[k] * df
		m0 += p
		m1 += f * p
		m2 += f * f * p
	}
	if !(m0 > 1e-12*all) || !(m2 > 0) {
		return SwaySpectrum{}
	}
	s := SwaySpectrum{Power: m0, CF: math.Sqrt(m2 / m0)}
	s.FD = math.Sqrt(math.Max(0, 1-m1*m1/(m0*m2)))
	s.F50 = powerFrequency(freqs, psd, lo, hi, 0.5*m0/df)
	s.F95 = powerFrequency(freqs, psd, lo, hi, 0.95*m0/df)
	return s
}

// powerFrequency returns the frequency of the first bin of [lo, hi] at
// which the cumulative sum of psd reaches target (Prieto 1996's u).
func powerFrequency(freqs, psd []float64, lo, hi, target float64) float64 {
	var cum float64
	last := 0.0
	for k, f := range freqs {
		if f < lo || f > hi {
			continue
		}
		cum += psd[k]
		last = f
		if cum >= target {
			return f
		}
	}
	return last // rounding: the whole band
}

// SwayFrequency returns the frequency measures of a sway path (AP x, ML y
// in m/s², mean-removed, at fs Hz) over [lo, hi] Hz: rd from the
// resultant distance RD = sqrt(x² + y²) (Prieto's 2-D measures), ap and ml
// from x and y. The PSDs are Welch estimates (Hann, SwaySegmentSec
// segments overlapping by half, each segment's mean removed, so RD's mean
// does not leak into the band; see Welch). Shorter paths use one segment
// of their length.
func SwayFrequency(x, y []float64, fs, lo, hi float64) (rd, ap, ml SwaySpectrum) {
	nper := int(math.Round(SwaySegmentSec * fs))
	r := make([]float64, len(x))
	for i := range x {
		r[i] = math.Hypot(x[i], y[i])
	}
	f, p := welchAll(fs, nper, r, x, y)
	if p == nil {
		return
	}
	return SpectralMeasures(f, p[0], lo, hi), SpectralMeasures(f, p[1], lo, hi), SpectralMeasures(f, p[2], lo, hi)
}
