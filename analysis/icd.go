package analysis

import "math"

// Parameters of the initial-contact detector (McCamley et al. 2012, as
// modified by Paraschiv-Ionescu et al. 2020 and implemented in mobgap's
// IcdIonescu): the 0.15-3.14 Hz band keeps the step fundamental of walking
// from about 9 to 190 steps/min, and the wavelet is pywt's "gaus2" at scale
// 9 sampled at 40 Hz, i.e. a Ricker wavelet of width 9/√2 samples at 40 Hz
// = 0.159 s, applied here at the recording's own rate.
const (
	icdLowHz      = 0.15
	icdHighHz     = 3.14
	icdRateHz     = 40.0
	icdRickerSecs = 9 / math.Sqrt2 / icdRateHz
)

// InitialContacts detects initial contacts (heel strikes) in the vertical
// trunk acceleration accV (m/s², any constant offset, positive up) sampled
// at fs Hz during walking, and returns their sample indices in increasing
// order:
//
//  1. band-pass 0.15-3.14 Hz (2nd-order Butterworth, zero phase);
//  2. resample to 40 Hz (as mobgap) by linear interpolation, exact enough
//     for a signal band-limited to 3.14 Hz (error below (π·3.14/40)²/8 =
//     0.8 % of its amplitude), and integrate (cumulative trapezoid) to a
//     vertical velocity;
//  3. CWT with a Ricker wavelet of width 0.159 s (a smoothed negative
//     derivative, which turns the velocity back into a smoothed negative
//     acceleration slope); remove its mean;
//  4. between each positive-to-negative and the next negative-to-positive
//     zero crossing, the minimum is an initial contact: the steepest rise of
//     the vertical acceleration, when the leading heel strikes the ground.
//
// Sources: McCamley J, Donati M, Grimpampi E, Mazzà C. Gait Posture
// 36:316-318 (2012); Paraschiv-Ionescu A, Soltani A, Aminian K. EMBC 2020
// 4596-4599. ICs are found on the 40 Hz grid and mapped back to the nearest
// input sample (25 ms resolution, as mobgap). fs must be above 2·3.14 Hz;
// inputs shorter than 1 s give none.
func InitialContacts(accV []float64, fs float64) []int {
	if len(accV) < int(fs) || !(fs > 2*icdHighHz) {
		return nil
	}
	bp := ButterBandpass(2, icdLowHz, icdHighHz, fs).FiltFilt(nil, accV)
	fw := math.Min(fs, icdRateHz)
	x := linearResample(bp, fs, fw)
	vel := CumTrapz(x, x, fw)
	RemoveMean(vel, vel)
	w := CWTRicker(nil, vel, icdRickerSecs*fw)
	RemoveMean(w, w)
	ics := minimaBetweenZeroCrossings(w)
	for i, j := range ics {
		ics[i] = min(len(accV)-1, int(math.Round(float64(j)*fs/fw)))
	}
	return ics
}

// linearResample samples x (at fsIn) at fsOut by linear interpolation; the
// output spans the input's duration. Equal rates copy.
func linearResample(x []float64, fsIn, fsOut float64) []float64 {
	if fsIn == fsOut {
		return append([]float64(nil), x...)
	}
	n := int(math.Floor(float64(len(x)-1)*fsOut/fsIn+1e-9)) + 1
	out := make([]float64, n)
	r := fsIn / fsOut
	for j := range out {
		t := float64(j) * r
		k := int(t)
		if k >= len(x)-1 {
			out[j] = x[len(x)-1]
			continue
		}
		f := t - float64(k)
		out[j] = x[k] + f*(x[k+1]-x[k])
	}
	return out
}

// minimaBetweenZeroCrossings returns, for each run of negative values that
// starts with a positive-to-negative crossing and ends with a
// negative-to-positive one, the index of its minimum.
func minimaBetweenZeroCrossings(w []float64) []int {
	var out []int
	start := -1
	for i := 1; i < len(w); i++ {
		switch {
		case w[i-1] >= 0 && w[i] < 0:
			start = i
		case w[i-1] < 0 && w[i] >= 0 && start >= 0:
			m := start
			for j := start; j < i; j++ {
				if w[j] < w[m] {
					m = j
				}
			}
			out = append(out, m)
			start = -1
		}
	}
	return out
}
