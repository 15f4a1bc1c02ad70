package analysis

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// tone is a sinusoid of amplitude A at F Hz.
type tone struct{ A, F float64 }

// hannSpectrum is the closed form of SwaySpectrum for a sum of tones that
// each sit on a bin of a Welch estimate with Hann segments holding whole
// periods of every tone (Prieto 1996's definitions applied to it). The
// periodic Hann window's DFT is N/2 at the tone's bin and −N/4 at the
// bins either side, zero elsewhere, so a tone of power A²/2 puts 1/6, 2/3
// and 1/6 of it in the bins f−Δ, f, f+Δ (Parseval: the Welch scaling
// 1/(fs·Σw²), Σw² = 3N/8, makes the three sum to A²/2 exactly). Bins
// outside [lo, hi] are dropped. Tones must be at least 3 bins apart.
func hannSpectrum(tones []tone, df, lo, hi float64) SwaySpectrum {
	type bin struct{ f, p float64 }
	var bins []bin
	for _, t := range tones {
		for _, b := range []bin{{t.F - df, 1.0 / 6}, {t.F, 2.0 / 3}, {t.F + df, 1.0 / 6}} {
			if b.f >= lo-1e-9 && b.f <= hi+1e-9 {
				bins = append(bins, bin{b.f, b.p * t.A * t.A / 2})
			}
		}
	}
	// Sorted by frequency for the cumulative sums.
	for i := range bins {
		for j := i + 1; j < len(bins); j++ {
			if bins[j].f < bins[i].f {
				bins[i], bins[j] = bins[j], bins[i]
			}
		}
	}
	var m0, m1, m2 float64
	for _, b := range bins {
		m0 += b.p
		m1 += b.f * b.p
		m2 += b.f * b.f * b.p
	}
	if m0 == 0 {
		return SwaySpectrum{}
	}
	at := func(frac float64) float64 {
		var c float64
		for _, b := range bins {
			if c += b.p; c >= frac*m0 {
				return b.f
			}
		}
		return bins[len(bins)-1].f
	}
	return SwaySpectrum{Power: m0, F50: at(0.5), F95: at(0.95), CF: math.Sqrt(m2 / m0),
		FD: math.Sqrt(1 - m1*m1/(m0*m2))}
}

func sumTones(n int, fs float64, tones []tone) []float64 {
	x := make([]float64, n)
	for _, t := range tones {
		for i, v := range coreSine(n, fs, t.F, t.A, 0) {
			x[i] += v
		}
	}
	return x
}

// TestSwaySpectrumClosedForm checks every frequency measure (Prieto 1996:
// POWER = μ0, F50, F95, CFREQ = sqrt(μ2/μ0), FREQD = sqrt(1 − μ1²/(μ0μ2)))
// on tones whose Welch spectrum is known exactly (hannSpectrum), over the
// default band 0.15–5 Hz, 100 Hz, 40 s (three 20 s segments, Δf = 0.05 Hz).
// For one tone of amplitude A at f: POWER = A²/2, F50 = f, F95 = f + Δf
// (2/3 + 1/6 of the power is reached at f, 5/6 < 95 %), CF = sqrt(f² +
// Δf²/3), FD = sqrt(1 − f²/(f² + Δf²/3)).
func TestSwaySpectrumClosedForm(t *testing.T) {
	fs, n := 100.0, 4000
	df := 1 / float64(SwaySegmentSec)
	lo, hi := SwayBandLoHz, SwayBandHiHz
	for _, tc := range []struct {
		name  string
		tones []tone
		want  SwaySpectrum // zero: from hannSpectrum
	}{
		{"sine 1 Hz", []tone{{0.2, 1}}, SwaySpectrum{Power: 0.02, F50: 1, F95: 1 + df,
			CF: math.Sqrt(1 + df*df/3), FD: math.Sqrt(1 - 1/(1+df*df/3))}},
		{"sine 0.5 Hz", []tone{{0.1, 0.5}}, SwaySpectrum{}},
		{"two tones", []tone{{0.1, 0.5}, {0.05, 2}}, SwaySpectrum{}},
		// Band edges: a tone whose three bins all lie outside the band
		// (5.2 Hz: 5.15–5.25; 0.05 Hz: 0–0.1, each segment one whole
		// period, mean removed) adds nothing to the 1 Hz tone's measures.
		{"1 Hz + 5.2 Hz above the band", []tone{{0.2, 1}, {0.5, 5.2}}, SwaySpectrum{}},
		{"1 Hz + 0.05 Hz below the band", []tone{{0.2, 1}, {0.5, 0.05}}, SwaySpectrum{}},
		// Tones on the edges: 0.2 Hz (bins 0.15–0.25) counts whole; 5 Hz
		// loses its 5.05 Hz bin: POWER = 5/6·A²/2, F50 = 5 Hz.
		{"0.2 Hz inside the lower edge", []tone{{0.1, 0.2}}, SwaySpectrum{Power: 0.005, F50: 0.2, F95: 0.25,
			CF: math.Sqrt(0.04 + df*df/3), FD: math.Sqrt(1 - 0.04/(0.04+df*df/3))}},
		{"5 Hz on the upper edge", []tone{{0.1, 5}}, SwaySpectrum{}},
		{"nothing in the band", []tone{{0.5, 6}}, SwaySpectrum{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := sumTones(n, fs, tc.tones)
			_, got, _ := SwayFrequency(x, make([]float64, n), fs, lo, hi)
			want := tc.want
			if want == (SwaySpectrum{}) {
				want = hannSpectrum(tc.tones, df, lo, hi)
			}
			checkSpectrum(t, got, want)
		})
	}
	if s := hannSpectrum([]tone{{0.1, 5}}, df, lo, hi); !scalar.EqualWithinRel(s.Power, 5.0/6*0.01/2, 1e-12) || s.F50 != 5 {
		t.Errorf("closed form at the upper edge: %+v, want power 5/6·A²/2, F50 5", s)
	}
}

// TestSwaySpectrumResultant checks the 2-D measures, which Prieto 1996
// computes from the resultant distance RD = sqrt(AP² + ML²):
//   - radial sway (c + a·sin 2πft along a fixed direction φ, c > a):
//     RD = c + a·sin 2πft, so they are those of one tone of amplitude a
//     (the mean c is removed from each segment);
//   - a sine A·sin 2πft in AP only: RD = A|sin 2πft| = 2A/π − (4A/π)
//     Σ_k cos(4πkft)/(4k² − 1), tones at 2kf of amplitude 4A/(π(4k² − 1)).
//     With f = 0.4 Hz the harmonics 0.8…4.8 Hz lie in the band, 5.6 Hz and
//     above outside. Sampled at 100 Hz, RD repeats every 125 samples, and
//     the harmonics k ≡ ±j (mod 125) fold onto harmonic j (all cosines in
//     phase at the sample times), so harmonic j's amplitude is
//     (4A/π)·Σ 1/(4k² − 1) over those k (series cut after 10⁶ folds: the
//     rest is below 5e-9 of the term).
func TestSwaySpectrumResultant(t *testing.T) {
	fs, n := 100.0, 4000
	df := 1 / float64(SwaySegmentSec)
	lo, hi := SwayBandLoHz, SwayBandHiHz

	c, a, f, phi := 0.3, 0.1, 0.7, 0.6
	x, y := make([]float64, n), make([]float64, n)
	for i, v := range coreSine(n, fs, f, a, 0) {
		x[i], y[i] = (c+v)*math.Cos(phi), (c+v)*math.Sin(phi)
	}
	rd, _, _ := SwayFrequency(x, y, fs, lo, hi)
	checkSpectrum(t, rd, hannSpectrum([]tone{{a, f}}, df, lo, hi))

	A := 0.2
	f = 0.4
	var harm []tone
	for j := 1; 2*float64(j)*f+df <= hi; j++ {
		var s float64
		for m := 0; m <= 1e6; m++ {
			k := float64(125*m + j)
			s += 1 / (4*k*k - 1)
			if m > 0 {
				k = float64(125*m - j)
				s += 1 / (4*k*k - 1)
			}
		}
		harm = append(harm, tone{4 * A / math.Pi * s, 2 * float64(j) * f})
	}
	if len(harm) != 6 {
		t.Fatalf("%d harmonics in the band, want 6 (0.8-4.8 Hz)", len(harm))
	}
	rd, ap, _ := SwayFrequency(coreSine(n, fs, f, A, 0), make([]float64, n), fs, lo, hi)
	want := hannSpectrum(harm, df, lo, hi)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"Power", rd.Power, want.Power}, {"F50", rd.F50, want.F50}, {"F95", rd.F95, want.F95},
		{"CF", rd.CF, want.CF}, {"FD", rd.FD, want.FD}} {
		if !scalar.EqualWithinRel(c.got, c.want, 1e-7) {
			t.Errorf("RD of an AP sine: %s = %.8g, want %.8g", c.name, c.got, c.want)
		}
	}
	// The AP spectrum of the same trial is the one tone at f.
	checkSpectrum(t, ap, hannSpectrum([]tone{{A, f}}, df, lo, hi))
}

func checkSpectrum(t *testing.T, got, want SwaySpectrum) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"Power", got.Power, want.Power}, {"F50", got.F50, want.F50}, {"F95", got.F95, want.F95},
		{"CF", got.CF, want.CF}, {"FD", got.FD, want.FD}} {
		// 1e-9 relative: the FFT's rounding (F50, F95 are bin frequencies
		// k·Δf computed as k·fs/N).
		if !scalar.EqualWithinAbsOrRel(c.got, c.want, 1e-12, 1e-9) {
			t.Errorf("%s = %.12g, want %.12g", c.name, c.got, c.want)
		}
	}
}
