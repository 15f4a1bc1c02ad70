package analysis

import "math"

// The sway kernels take the anteroposterior (x) and mediolateral (y)
// horizontal accelerations in m/s², mean-removed and filtered as Sway
// does, sampled at fs Hz; y may be nil to measure the single axis x (y ≡ 0).
// Formulas follow Mancini et al. 2012 (JNER 9:59, Table 2), adapted from
// Prieto et al. 1996 (IEEE Trans Biomed Eng 43:956); r = sqrt(x² + y²),
// N samples, T = N/fs. Each kernel measures the samples it is given: Sway
// gives them the trimmed trial and scales JERK and PATH to the whole one.

func yAt(y []float64, i int) float64 {
	if y == nil {
		return 0
	}
	return y[i]
}

// Jerk returns JERK = ½ ∫₀ᵀ [(dx/dt)² + (dy/dt)²] dt in m²/s⁵, with forward
// differences for the derivatives and a rectangle sum for the integral. It
// is not normalised by T (Mancini 2012's units); divide by T to compare
// trials of different lengths. It covers the N−1 intervals between the
// samples.
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
