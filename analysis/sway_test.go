package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/balance-pt/balance"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestSwaySineAxis checks the single-axis kernels on x = A·sin(2πft) with
// f = 1 Hz, fs = 100 Hz, T = 20 s (whole periods, samples on the peaks).
func TestSwaySineAxis(t *testing.T) {
	fs, f, a, T := 100.0, 1.0, 0.2, 20.0
	n := int(T * fs)
	x := coreSine(n, fs, f, a, 0)
	m := SwayXY(x, make([]float64, n), fs, SwayBandLoHz, SwayBandHiHz).AP
	h := 1 / fs
	df := 1 / float64(SwaySegmentSec) // Welch bin width, 0.05 Hz
	for _, c := range []struct {
		name      string
		got, want float64
		rel       float64
	}{
		// mean(A²sin²) over whole periods is exactly A²/2.
		{"RMS", m.RMS, a / math.Sqrt2, 1e-12},
		// mean|A sin| → 2A/π; the midpoint-free sample mean differs by O(h²).
		{"Dist", m.Dist, 2 * a / math.Pi, 1e-3},
		// Total variation: 4A per period over fT periods, less the last
		// missing step A·sin(2πf/fs) (samples stop at T − 1/fs).
		{"Path", m.Path, 4*a*f*T - a*math.Sin(2*math.Pi*f*h), 1e-12},
		// MF = PATH/(2π·DIST·T) = 4AfT/(2π·(2A/π)·T) = f.
		{"MeanFreq", m.MeanFreq, f, 2e-3},
		// ½Σ(Δx·fs)²/fs with Δx = 2A sin(πf/fs) cos(·): ½·fs·(n−1)·2A²sin²(πf/fs)
		// (mean cos² = ½ over the n−1 differences up to one term: rel 1/n).
		{"Jerk", m.Jerk, fs * float64(n-1) * a * a * math.Pow(math.Sin(math.Pi*f*h), 2), 1e-3},
		// ∫A sin = −A/(2πf) cos, mean |·| = (2/π)·A/(2πf).
		{"MeanVel", m.MeanVel, 2 / math.Pi * a / (2 * math.Pi * f), 5e-3},
		{"Range", m.Range, 2 * a, 1e-12},
		// The frequency measures follow TestSwaySpectrumClosedForm (one
		// 20 s Hann segment, tone on bin f/Δf = 20).
		{"Power", m.Power, a * a / 2, 1e-9},
		{"F50", m.F50, f, 1e-12},
		{"F95", m.F95, f + df, 1e-12},
		{"CF", m.CF, math.Sqrt(f*f + df*df/3), 1e-9},
		{"FD", m.FD, math.Sqrt(1 - f*f/(f*f+df*df/3)), 1e-6},
	} {
		if !scalar.EqualWithinAbsOrRel(c.got, c.want, 1e-12, c.rel) {
			t.Errorf("%s = %.10g, want %.10g", c.name, c.got, c.want)
		}
	}
}

// TestSwayCircle: x = R cos(2πft), y = R sin(2πft) sampled 100 times a
// period: every 2-D measure has a closed form.
func TestSwayCircle(t *testing.T) {
	fs, f, r, T := 100.0, 1.0, 0.1, 20.0
	n := int(T * fs)
	x := coreSine(n, fs, f, r, math.Pi/2)
	y := coreSine(n, fs, f, r, 0)
	m := SwayXY(x, y, fs, SwayBandLoHz, SwayBandHiHz)
	dth := 2 * math.Pi * f / fs
	for _, c := range []struct {
		name      string
		got, want float64
		rel       float64
	}{
		{"Dist", m.Dist, r, 1e-12},
		{"RMS", m.RMS, r, 1e-12},
		// n−1 chords of length 2R·sin(Δθ/2).
		{"Path", m.Path, float64(n-1) * 2 * r * math.Sin(dth/2), 1e-12},
		// MF = PATH/(2π·R·T) → f as the chords approach the arc.
		{"MeanFreq", m.MeanFreq, f, 1e-3},
		// Each step sweeps a triangle of twice-area R²·sin Δθ.
		{"Area", m.Area, float64(n-1) * r * r * math.Sin(dth) / (2 * T), 1e-12},
		// Opposite points (50 samples apart) are on the circle: diameter 2R.
		{"Range", m.Range, 2 * r, 1e-12},
		// Covariance R²/2·I (n−1 normalisation: n/(n−1)): π·5.991·R²/2.
		{"Ellipse95", m.Ellipse95, math.Pi * chi2At95 * r * r / 2 * float64(n) / float64(n-1), 1e-9},
		// The resultant distance RD = R is constant: no power in the band
		// (Prieto's 2-D frequency measures see changes of distance from the
		// centre, not rotation about it; F50, CF of rounding noise mean nothing).
		{"Power", m.Power, 0, 0},
		// Each direction is a sine of amplitude R: power R²/2, F50 = f.
		{"AP.Power", m.AP.Power, r * r / 2, 1e-9},
		{"ML.Power", m.ML.Power, r * r / 2, 1e-9},
		{"ML.F50", m.ML.F50, f, 1e-12},
		// JERK = ½∫|v'|² with |Δ| = 2R sin(Δθ/2) each step: ½·fs·(n−1)·(2R sin(Δθ/2))².
		{"Jerk", m.Jerk, 0.5 * fs * float64(n-1) * math.Pow(2*r*math.Sin(dth/2), 2), 1e-12},
	} {
		if !scalar.EqualWithinAbsOrRel(c.got, c.want, 1e-15, c.rel) {
			t.Errorf("%s = %.10g, want %.10g", c.name, c.got, c.want)
		}
	}
}

// TestEllipseGaussian: for independent Gaussian axes the 95 % ellipse is
// π·5.991·σx·σy, and about 95 % of the points fall inside it.
func TestEllipseGaussian(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 200000
	sx, sy := 0.3, 0.1
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i], y[i] = sx*r.NormFloat64(), sy*r.NormFloat64()
	}
	want := math.Pi * 5.991 * sx * sy
	// Relative SE of the σ̂xσ̂y estimate ≈ sqrt(1/(2n))·√2 ≈ 0.3 %; 2 % is ~6 SE.
	if got := EllipseArea95(x, y); !scalar.EqualWithinRel(got, want, 0.02) {
		t.Errorf("ellipse %v, want %v", got, want)
	}
	in := 0
	for i := range x {
		if (x[i]/sx)*(x[i]/sx)+(y[i]/sy)*(y[i]/sy) <= chi2At95 {
			in++
		}
	}
	if p := float64(in) / float64(n); !scalar.EqualWithinAbs(p, 0.95, 0.003) {
		t.Errorf("fraction inside %v, want 0.95", p)
	}
	if EllipseArea95(x[:2], y[:2]) != 0 {
		t.Error("two points should give 0")
	}
}

// standing builds a quiet-stance trial: gravity along the sensor up axis of
// mount r, with AP sway a·sin(2πf t) and ML sway b·sin(2πf2 t) (m/s²) in the
// body frame (x forward, y left, z up).
func coreStanding(fs, sec float64, r [3][3]float64, a, f, b, f2 float64) []balance.Sample {
	n := int(sec * fs)
	out := make([]balance.Sample, n)
	for i := range out {
		tt := float64(i) / fs
		body := [3]float64{a * math.Sin(2*math.Pi*f*tt), b * math.Sin(2*math.Pi*f2*tt), balance.StandardGravity}
		out[i] = balance.Sample{TimeNS: int64(float64(i) * 1e9 / fs), Acc: coreMulMV(r, body)}
	}
	return out
}

func TestSwayEndToEnd(t *testing.T) {
	for name, r := range map[string][3][3]float64{
		"tilted 25":   coreRotMat([3]float64{1, 1, 0}, 25*math.Pi/180),
		"upside down": coreRotMat([3]float64{0.3, 1, 0}, math.Pi),
		"y down":      coreRotMat([3]float64{1, 0, 0}, -math.Pi/2),
	} {
		t.Run(name, func(t *testing.T) { swayEndToEnd(t, r) })
	}
}

func swayEndToEnd(t *testing.T, r [3][3]float64) {
	fs := 100.0
	s := coreStanding(fs, 32, r, 0.1, 0.5, 0.05, 1.2)
	res, err := Sway(s, fs, SwayOptions{Forward: coreMulMV(r, [3]float64{1, 0, 0})})
	if err != nil {
		t.Fatal(err)
	}
	if res.Quality != 0 {
		t.Errorf("quality %b, want clean", res.Quality)
	}
	if !scalar.EqualWithinAbs(res.Seconds, 30, 1e-9) {
		t.Errorf("seconds %v, want 30 (32 − 2·1 s trim)", res.Seconds)
	}
	// The zero-phase 3.5 Hz order-4 low-pass passes 0.5 Hz and 1.2 Hz with
	// gain |H|² ≈ 1 (1/(1+(0.5/3.5)^8)); RMS of a sine is A/√2.
	if !scalar.EqualWithinRel(res.AP.RMS, 0.1/math.Sqrt2, 0.01) || !scalar.EqualWithinRel(res.ML.RMS, 0.05/math.Sqrt2, 0.01) {
		t.Errorf("RMS AP %v ML %v, want %v %v", res.AP.RMS, res.ML.RMS, 0.1/math.Sqrt2, 0.05/math.Sqrt2)
	}
	if !scalar.EqualWithinAbs(res.AP.F50, 0.5, 0.05) || !scalar.EqualWithinAbs(res.ML.F50, 1.2, 0.05) {
		t.Errorf("F50 AP %v ML %v", res.AP.F50, res.ML.F50)
	}
	// JERK and PATH are integrals over the whole 32 s trial (Mancini 2012
	// Table 2), measured over the 30 s analysed and scaled by 32/30. For
	// AP = A·sin(2πft), A = 0.1 m/s², f = 0.5 Hz: PATH = 4A·f·T = 6.4 m/s²
	// (the window from t = 1 s holds 15 whole periods) and JERK =
	// ½∫(2πfA·cos)²dt = ¼(2πfA)²·T = 0.7896 m²/s⁵. Tolerance 2e-3: the n−1
	// differences of the window miss one step (rel 1/3000), the filter's
	// gain at 0.5 Hz is 1 − 2e-7 and the forward difference
	// sin(πf/fs)/(πf/fs) is 1 − 4e-6.
	a, f, T := 0.1, 0.5, 32.0
	if !scalar.EqualWithinAbs(res.TestSeconds, T, 1e-9) {
		t.Errorf("test seconds %v, want %v", res.TestSeconds, T)
	}
	if want := 4 * a * f * T; !scalar.EqualWithinRel(res.AP.Path, want, 2e-3) {
		t.Errorf("AP PATH %v, want %v", res.AP.Path, want)
	}
	if want := 0.25 * math.Pow(2*math.Pi*f*a, 2) * T; !scalar.EqualWithinRel(res.AP.Jerk, want, 2e-3) {
		t.Errorf("AP JERK %v, want %v", res.AP.Jerk, want)
	}
	// Without a forward axis the 2-D measures are unchanged and the flag set.
	res2, err := Sway(s, fs, SwayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Quality&SwayAPUnknown == 0 || !scalar.EqualWithinRel(res2.RMS, res.RMS, 1e-9) || !scalar.EqualWithinRel(res2.Jerk, res.Jerk, 1e-9) {
		t.Errorf("no forward: quality %b RMS %v vs %v", res2.Quality, res2.RMS, res.RMS)
	}
}

func TestSwayFlags(t *testing.T) {
	fs := 100.0
	r := coreRotMat([3]float64{0, 0, 1}, 0)
	fwd := [3]float64{1, 0, 0}
	base := func() []balance.Sample { return coreStanding(fs, 32, r, 0.1, 0.5, 0.05, 1.2) }

	step := base()
	for i := 1500; i < 1560; i++ { // a 0.6 s vertical jolt of ±2 m/s² at 2 Hz
		step[i].Acc[2] += 2 * math.Sin(2*math.Pi*2*float64(i)/fs)
	}
	move := base()
	for i := 1000; i < 1400; i++ { // bend 40° forward for 4 s
		move[i].Acc = coreMulMV(coreRotMat([3]float64{0, 1, 0}, 40*math.Pi/180), move[i].Acc)
	}
	sat := base()
	for i := 800; i < 810; i++ {
		sat[i].Acc[0] = 16 * balance.StandardGravity
	}
	for _, tc := range []struct {
		name string
		s    []balance.Sample
		want SwayQuality
	}{
		{"stepping", step, SwayStepping},
		{"movement", move, SwayMovement},
		{"saturated", sat, SwaySaturated},
		{"short", base()[:1500], SwayShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Sway(tc.s, fs, SwayOptions{Forward: fwd})
			if err != nil {
				t.Fatal(err)
			}
			if res.Quality&tc.want == 0 {
				t.Errorf("quality %b lacks %b", res.Quality, tc.want)
			}
			for _, v := range []float64{res.Jerk, res.RMS, res.F50, res.FD, res.Ellipse95, res.MeanVel} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("non-finite measure in %+v", res.SwayMeasures)
				}
			}
		})
	}
	if _, err := Sway(base()[:600], fs, SwayOptions{}); !errors.Is(err, ErrTooShort) {
		t.Errorf("6 s trial: err %v, want ErrTooShort", err)
	}
	if _, err := Sway(base(), 5, SwayOptions{}); !errors.Is(err, ErrBadRate) {
		t.Errorf("5 Hz: err %v, want ErrBadRate", err)
	}
	flat := make([]balance.Sample, 3200)
	if _, err := Sway(flat, fs, SwayOptions{}); !errors.Is(err, ErrFlat) {
		t.Errorf("flat: err %v, want ErrFlat", err)
	}
}

// TestEllipse95: for points on an axis-aligned grid with known variances
// the semi-axes are sqrt(5.991·σ²) (χ²₂ at 95 %, -2·ln 0.05), the angle
// follows a rotation of the points, and π·A·B equals EllipseArea95 (both
// from the same covariance; Schubert & Kirchner 2014).
func TestEllipse95(t *testing.T) {
	// x = ±2, y = ±1 (four corners, repeated): sample variance with n−1.
	var x, y []float64
	for i := 0; i < 25; i++ {
		x = append(x, 2, 2, -2, -2)
		y = append(y, 1, -1, 1, -1)
	}
	n := float64(len(x))
	vx, vy := 4*n/(n-1), 1*n/(n-1)
	e := Ellipse95(x, y)
	chi := -2 * math.Log(0.05)
	if math.Abs(e.A-math.Sqrt(chi*vx)) > 1e-12 || math.Abs(e.B-math.Sqrt(chi*vy)) > 1e-12 || math.Abs(e.Angle) > 1e-12 {
		t.Errorf("axis-aligned: %+v, want A %.6f B %.6f angle 0", e, math.Sqrt(chi*vx), math.Sqrt(chi*vy))
	}
	if a := EllipseArea95(x, y); math.Abs(math.Pi*e.A*e.B-a) > 1e-9*a {
		t.Errorf("π·A·B = %v, EllipseArea95 = %v", math.Pi*e.A*e.B, a)
	}
	// Rotated by 30°: same axes, angle 30° (mod 180°).
	th := math.Pi / 6
	xr, yr := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		xr[i] = x[i]*math.Cos(th) - y[i]*math.Sin(th) + 5
		yr[i] = x[i]*math.Sin(th) + y[i]*math.Cos(th) - 3
	}
	r := Ellipse95(xr, yr)
	if math.Abs(r.A-e.A) > 1e-9 || math.Abs(r.B-e.B) > 1e-9 || math.Abs(r.Angle-th) > 1e-9 || math.Abs(r.CX-5) > 1e-9 || math.Abs(r.CY+3) > 1e-9 {
		t.Errorf("rotated: %+v, want A %v B %v angle %v centre (5, -3)", r, e.A, e.B, th)
	}
	if (Ellipse95([]float64{1, 2}, []float64{1, 2}) != Ellipse{}) {
		t.Error("two points: want the zero Ellipse")
	}
}
