package analysis

import (
	"fmt"
	"math"

	"github.com/balance-pt/balance"
)

// SwayOptions tunes Sway. The zero value uses the defaults noted.
type SwayOptions struct {
	// Forward is the wearer's forward axis in sensor coordinates, any
	// length (SwayForward finds it from walking in the same recording, or
	// takes the device's declared mounting); zero when unknown. Quiet
	// stance cannot reveal it; without it AP and ML are arbitrary
	// horizontal axes (SwayAPUnknown) while the 2-D measures, which do not
	// depend on heading, stay valid. Its sign does not matter to any
	// measure.
	Forward [3]float64
	// CutoffHz is the zero-phase low-pass cut-off; default 3.5 Hz (the
	// value of the Mancini/Chiari accelerometric sway work). The filter is
	// an order-4 Butterworth run forward and backward.
	CutoffHz float64
	// BandLoHz and BandHiHz are the band of the frequency measures;
	// default SwayBandLoHz–SwayBandHiHz, 0.15–5 Hz (Prieto 1996).
	BandLoHz, BandHiHz float64
	// TrimSec is cut from each end after filtering (the filter's edge
	// transients); default 1 s. JERK and PATH are scaled back to the whole
	// trial (see SwayResult).
	TrimSec float64
	// MinSec is the analysed duration below which SwayShort is set;
	// default 20 s (trials are 30 s).
	MinSec float64
}

func (o SwayOptions) withDefaults() SwayOptions {
	if !(o.CutoffHz > 0) {
		o.CutoffHz = 3.5
	}
	if !(o.BandLoHz > 0) {
		o.BandLoHz = SwayBandLoHz
	}
	if !(o.BandHiHz > 0) {
		o.BandHiHz = SwayBandHiHz
	}
	if !(o.TrimSec >= 0) || o.TrimSec == 0 {
		o.TrimSec = 1
	}
	if !(o.MinSec > 0) {
		o.MinSec = 20
	}
	return o
}

// SwayQuality flags conditions that make a sway trial doubtful.
type SwayQuality uint32

// Sway quality flags.
const (
	// SwayShort: less than MinSec analysed.
	SwayShort SwayQuality = 1 << iota
	// SwayStepping: a step (vertical acceleration RMS over 0.5 s above
	// 0.5 m/s²; quiet stance stays under 0.1 m/s²).
	SwayStepping
	// SwayMovement: gross movement, the 0.5 Hz low-passed gravity
	// direction stayed more than 15° from the trial's mean for 1 s (past
	// the limits of stability; see LossTilt), or the trunk turned faster
	// than 1 rad/s.
	SwayMovement
	// SwaySaturated: the accelerometer clipped (SaturatedFraction > 0).
	SwaySaturated
	// SwayAPUnknown: no forward axis given; AP/ML split arbitrary.
	SwayAPUnknown
)

// SwayAxis holds the per-direction sway measures: the kernels with y nil
// on one direction's acceleration, and the frequency measures of its PSD
// (Prieto 1996's AP and ML measures).
type SwayAxis struct {
	Jerk     float64 // m²/s⁵
	Dist     float64 // mean |a|, m/s²
	RMS      float64 // m/s²
	Path     float64 // m/s²
	Range    float64 // max − min, m/s²
	MeanVel  float64 // m/s
	MeanFreq float64 // Hz
	SwaySpectrum
}

// SwayMeasures holds the 13 iSway measures (Mancini 2012 Table 2) in two
// dimensions, plus their AP and ML versions and the 95 % ellipse area.
// The 2-D frequency measures are those of the resultant distance
// RD = sqrt(AP² + ML²) (Prieto 1996), whose spectrum is not the sum of the
// AP and ML spectra: RD of a one-direction sine of frequency f oscillates
// at 2f, 4f, ...
type SwayMeasures struct {
	Jerk     float64 // m²/s⁵
	Dist     float64 // m/s²
	RMS      float64 // m/s²
	Path     float64 // m/s²
	Range    float64 // largest point-to-point distance, m/s²
	MeanVel  float64 // m/s
	MeanFreq float64 // Hz
	Area     float64 // swept area per second, m²/s⁵
	SwaySpectrum
	// Ellipse95 is the 95 % confidence ellipse area, m²/s⁴.
	Ellipse95 float64
	AP, ML    SwayAxis
}

// SwayResult is the outcome of Sway.
type SwayResult struct {
	SwayMeasures
	// Seconds is the duration analysed, after trimming TrimSec at each
	// end; TestSeconds is the whole trial's (the samples given).
	Seconds, TestSeconds float64
	Quality              SwayQuality
}

// SwayXY computes every measure from AP (x) and ML (y) accelerations
// already preprocessed (mean-removed, low-passed) at fs Hz, over the
// samples given: the time-domain kernels on x and y, and SwayFrequency
// over [bandLo, bandHi] Hz.
func SwayXY(x, y []float64, fs, bandLo, bandHi float64) SwayMeasures {
	var m SwayMeasures
	m.Jerk = Jerk(x, y, fs)
	m.Dist = MeanDistance(x, y)
	m.RMS = RMSDistance(x, y)
	m.Path = PathLength(x, y)
	m.Range = Range(x, y)
	m.MeanVel = MeanVelocity(x, y, fs)
	m.MeanFreq = MeanFrequency(x, y, fs)
	m.Area = SweptArea(x, y, fs)
	m.Ellipse95 = EllipseArea95(x, y)
	rd, ap, ml := SwayFrequency(x, y, fs, bandLo, bandHi)
	m.SwaySpectrum = rd
	axis := func(v []float64, s SwaySpectrum) SwayAxis {
		return SwayAxis{
			Jerk: Jerk(v, nil, fs), Dist: MeanDistance(v, nil), RMS: RMSDistance(v, nil),
			Path: PathLength(v, nil), Range: Range(v, nil), MeanVel: MeanVelocity(v, nil, fs),
			MeanFreq: MeanFrequency(v, nil, fs), SwaySpectrum: s,
		}
	}
	m.AP = axis(x, ap)
	m.ML = axis(y, ml)
	return m
}

// Sway analyses a quiet-stance trial (iSway; Mancini et al. 2012, JNER
// 9:59): SwayPath, then SwayXY over the path. JERK and PATH (2-D, AP and
// ML) are integrals over the trial, ½∫₀ᵀ|da/dt|²dt and ∫₀ᵀ|da/dt|dt with
// T = TestSeconds (Mancini 2012 Table 2); the filter's edges are not
// usable, so they are measured over the Seconds analysed and scaled by
// TestSeconds/Seconds (the trial's rate times its length: a stationary
// trial reads the same as if the whole had been usable). MeanFreq =
// PATH/(2π·DIST·T) is unchanged by the scaling. It returns ErrBadRate,
// ErrTooShort (less than 5 s after trimming), ErrNonFinite, ErrGap or
// ErrFlat for unusable input; doubtful trials get Quality flags instead.
func Sway(samples []balance.Sample, fs float64, opts SwayOptions) (SwayResult, error) {
	o := opts.withDefaults()
	p, err := SwayPath(samples, fs, o)
	if err != nil {
		return SwayResult{}, err
	}
	res := SwayResult{Seconds: p.Seconds, TestSeconds: float64(len(samples)) / fs, Quality: p.Quality}
	if res.Seconds < o.MinSec {
		res.Quality |= SwayShort
	}
	res.SwayMeasures = SwayXY(p.AP, p.ML, fs, o.BandLoHz, o.BandHiHz)
	k := res.TestSeconds / res.Seconds
	res.Jerk *= k
	res.Path *= k
	for _, a := range []*SwayAxis{&res.AP, &res.ML} {
		a.Jerk *= k
		a.Path *= k
	}
	return res, nil
}

// SwayTrace is the horizontal acceleration path of a quiet-stance trial,
// the input of every sway measure: AP (forward) and ML (left) in m/s²,
// mean-removed, one value per sample after trimming.
type SwayTrace struct {
	AP, ML  []float64
	Seconds float64
	// Quality holds the stepping, movement, saturation and AP-unknown
	// flags (SwayShort is Sway's to set).
	Quality SwayQuality
}

// SwayPath preprocesses a quiet-stance trial as iSway does: it removes the
// static tilt by the Moe-Nilssen (1998) transform (vertical = the trial's
// mean acceleration direction, so the gravity projection of sway, which is
// most of the signal, is kept as in the paper), projects onto the
// horizontal forward (AP) and left (ML) axes, low-passes at CutoffHz (zero
// phase), trims TrimSec from each end and removes the means. Errors as Sway.
func SwayPath(samples []balance.Sample, fs float64, opts SwayOptions) (SwayTrace, error) {
	o := opts.withDefaults()
	if err := checkInput(samples, fs, 5+2*o.TrimSec); err != nil {
		return SwayTrace{}, fmt.Errorf("sway: %w", err)
	}
	if o.CutoffHz >= fs/2 {
		return SwayTrace{}, fmt.Errorf("sway: %w: cut-off %v Hz needs a rate above %v Hz", ErrBadRate, o.CutoffHz, 2*o.CutoffHz)
	}
	var res SwayTrace
	n := len(samples)
	var mv [3]float64
	for i := range samples {
		mv = add3(mv, samples[i].Acc)
	}
	up := unit(mv)
	g := norm3(scale3(mv, 1/float64(n)))
	fwd := unit(sub3(o.Forward, scale3(up, dot(o.Forward, up))))
	if fwd == ([3]float64{}) {
		res.Quality |= SwayAPUnknown
		fwd = perpendicular(up)
	}
	left := cross(up, fwd)
	x := make([]float64, n)
	y := make([]float64, n)
	v := make([]float64, n)
	for i := range samples {
		a := samples[i].Acc
		x[i], y[i], v[i] = dot(a, fwd), dot(a, left), dot(a, up)-g
	}
	res.Quality |= swayChecks(samples, x, y, v, g, fs)
	lp := ButterLowpass(4, o.CutoffHz, fs)
	lp.FiltFilt(x, x)
	lp.FiltFilt(y, y)
	trim := int(math.Round(o.TrimSec * fs))
	x, y = x[trim:n-trim], y[trim:n-trim]
	RemoveMean(x, x)
	RemoveMean(y, y)
	res.AP, res.ML = x, y
	res.Seconds = float64(len(x)) / fs
	return res, nil
}

// swayChecks sets the stepping, movement and saturation flags.
func swayChecks(samples []balance.Sample, x, y, v []float64, g, fs float64) SwayQuality {
	var q SwayQuality
	if SaturatedFraction(samples) > 0 {
		q |= SwaySaturated
	}
	// Stepping: 0.5 s RMS of the 0.5-min(10, 0.45 fs) Hz vertical acceleration.
	hv := ButterBandpass(2, 0.5, math.Min(10, 0.45*fs), fs).FiltFilt(nil, v)
	w := max(1, int(fs/2))
	for s := 0; s+w <= len(hv); s += w / 2 {
		var ss float64
		for _, a := range hv[s : s+w] {
			ss += a * a
		}
		if math.Sqrt(ss/float64(w)) > 0.5 {
			q |= SwayStepping
			break
		}
	}
	// Gross movement: the 0.5 Hz low-passed gravity direction vs the mean.
	lp := ButterLowpass(2, 0.5, fs)
	lx, ly, lv := lp.FiltFilt(nil, x), lp.FiltFilt(nil, y), lp.FiltFilt(nil, v)
	cos15 := math.Cos(15 * math.Pi / 180)
	run, need := 0, int(tiltHoldS*fs)
	for i := range lx {
		h := math.Hypot(lx[i], ly[i])
		if c := (lv[i] + g) / math.Hypot(h, lv[i]+g); c < cos15 {
			run++
		} else {
			run = 0
		}
		if run >= need || norm3(samples[i].Gyro) > 1 {
			q |= SwayMovement
			break
		}
	}
	return q
}
