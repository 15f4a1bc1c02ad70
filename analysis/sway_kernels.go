package analysis

import "math"

// The sway kernels take the anteroposterior (x) and mediolateral (y)
// horizontal accelerations in m/s², mean-removed and filtered as Sway
// does, sampled at fs Hz; y may be nil to measure the single axis x (y ≡ 0).
// Formulas follow Mancini et al. 2012 (JNER 9:59, Table 2), adapted from
// Prieto et al. 1996 (IEEE Trans Biomed Eng 43:956); r = sqrt(x² + y²),
// N samples, T = N/fs.

func yAt(y []float64, i int) float64 {
	if y == nil {
		return 0
	}
	return y[i]
}

// Jerk returns JERK = ½ ∫₀ᵀ [(dx/dt)² + (dy/dt)²] dt in m²/s⁵, with forward
// differences for the derivatives and a rectangle sum for the integral. It
// is not normalised by T (Mancini 2012's units); divide by T to compare
// trials of different lengths.
func Jerk(x, y []float64, fs float64) float64 {
	var s float64
	for i := 0; i+1 < len(x); i++ {
		dx := (x[i+1] - x[i]) * fs
		dy := (yAt(y, i+1) - yAt(y, i)) * fs
		s += dx*dx + dy*dy
	}
	return 0.5 * s / fs
}

// MeanDistance returns DIST = mean(r) in m/s².
func MeanDistance(x, y []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for i, v := range x {
		s += math.Hypot(v, yAt(y, i))
	}
	return s / float64(len(x))
}

// RMSDistance returns RMS = sqrt(mean(r²)) in m/s².
func RMSDistance(x, y []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for i, v := range x {
		w := yAt(y, i)
		s += v*v + w*w
	}
	return math.Sqrt(s / float64(len(x)))
}

// PathLength returns PATH = Σ sqrt(Δx² + Δy²), the trajectory length in
// m/s².
func PathLength(x, y []float64) float64 {
	var s float64
	for i := 0; i+1 < len(x); i++ {
		s += math.Hypot(x[i+1]-x[i], yAt(y, i+1)-yAt(y, i))
	}
	return s
}

// MeanFrequency returns MF = PATH / (2π·DIST·T) in Hz, the rate of loops
// around the mean that would cover the path: exactly f for a circle or a
// sine of frequency f (PATH = 4Af·T and DIST = 2A/π for a sine). It is 0
// when DIST is 0.
func MeanFrequency(x, y []float64, fs float64) float64 {
	d := MeanDistance(x, y)
	if d == 0 || len(x) == 0 {
		return 0
	}
	return PathLength(x, y) / (2 * math.Pi * d * float64(len(x)) / fs)
}

// MeanVelocity returns MV for accelerations: the mean magnitude of the
// velocity obtained by integrating the mean-removed accelerations
// (CumTrapz) and removing the velocity's least-squares line (the drift a
// residual bias integrates to), in m/s. (Detrending the acceleration
// itself would be wrong: its fitted line integrates to a parabola.) For x = A·sin(2πft) over whole periods it is (2/π)·A/(2πf).
func MeanVelocity(x, y []float64, fs float64) float64 {
	if len(x) == 0 {
		return 0
	}
	vx := Detrend(nil, CumTrapz(nil, RemoveMean(nil, x), fs))
	var vy []float64
	if y != nil {
		vy = Detrend(nil, CumTrapz(nil, RemoveMean(nil, y), fs))
	}
	return MeanDistance(vx, vy)
}

// SweptArea returns AREA = 1/(2T) Σ |x[i]·y[i+1] − x[i+1]·y[i]|, the area
// swept by the radius vector per second, in m²/s⁵; π·R²·f for a circle of
// radius R at f Hz (exactly N·R²·sin(2πf/fs)/(2T)). It is 0 for one axis.
func SweptArea(x, y []float64, fs float64) float64 {
	if y == nil || len(x) == 0 {
		return 0
	}
	var s float64
	for i := 0; i+1 < len(x); i++ {
		s += math.Abs(x[i]*y[i+1] - x[i+1]*y[i])
	}
	return s / (2 * float64(len(x)) / fs)
}

// SwaySpectrum holds the frequency-domain sway measures of a PSD over a
// band (Prieto 1996 eqs. 25-30; Mancini 2012): spectral moments
// m_k = Σ f^k·P(f)·Δf over the band.
type SwaySpectrum struct {
	// Power is PWR = m0, the band power in m²/s⁴.
	Power float64
	// F50 and F95 are the frequencies below which 50 % and 95 % of Power
	// lies, in Hz, treating each bin's power as spread evenly over its
	// width Δf.
	F50, F95 float64
	// CF is the centroidal frequency sqrt(m2/m0), Hz.
	CF float64
	// FD is the frequency dispersion sqrt(1 − m1²/(m0·m2)): 0 for a pure
	// tone, towards 1 for broadband sway.
	FD float64
}

// SpectralMeasures computes SwaySpectrum from a one-sided PSD (freqs
// evenly spaced, as from Welch) over the bins with lo ≤ f ≤ hi. It returns
// the zero value when the band holds no power.
func SpectralMeasures(freqs, psd []float64, lo, hi float64) SwaySpectrum {
	if len(freqs) < 2 {
		return SwaySpectrum{}
	}
	df := freqs[1] - freqs[0]
	var m0, m1, m2 float64
	for k, f := range freqs {
		if f < lo || f > hi {
			continue
		}
		p := psd[k] * df
		m0 += p
		m1 += f * p
		m2 += f * f * p
	}
	if !(m0 > 0) {
		return SwaySpectrum{}
	}
	s := SwaySpectrum{Power: m0, CF: math.Sqrt(m2 / m0)}
	s.FD = math.Sqrt(math.Max(0, 1-m1*m1/(m0*m2)))
	s.F50 = quantileFreq(freqs, psd, lo, hi, 0.5*m0/df)
	s.F95 = quantileFreq(freqs, psd, lo, hi, 0.95*m0/df)
	return s
}

// quantileFreq returns the frequency at which the cumulative band power
// (bins spread uniformly over [f−Δf/2, f+Δf/2]) reaches target.
func quantileFreq(freqs, psd []float64, lo, hi, target float64) float64 {
	df := freqs[1] - freqs[0]
	var cum float64
	last := 0.0
	for k, f := range freqs {
		if f < lo || f > hi {
			continue
		}
		if psd[k] > 0 && cum+psd[k] >= target {
			return f - df/2 + df*(target-cum)/psd[k]
		}
		cum += psd[k]
		last = f + df/2
	}
	return last
}
