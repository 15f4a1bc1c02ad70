package analysis

import (
	"math"

	"github.com/balance-pt/balance"
)

// AlignOptions tunes AlignToBody. The zero value is usable.
type AlignOptions struct {
	// Beta is the Madgwick filter gain in rad/s; 0 means 0.1 (Madgwick 2010).
	Beta float64
	// DeclaredUp and DeclaredForward are the sensor axes (any length) the
	// device declares as the wearer's up and forward when worn as intended;
	// zero when unknown. They are checked, not trusted: up always comes
	// from gravity; forward comes from walking when walking is found and
	// DeclaredForward then only fixes its sign.
	DeclaredUp, DeclaredForward [3]float64
	// KeepGravity leaves gravity in V (V reads about +G at rest); by
	// default V is the vertical acceleration with G subtracted.
	KeepGravity bool
}

// AlignQuality flags how trustworthy the body frame of AlignToBody is.
type AlignQuality uint32

// Alignment quality flags.
const (
	// AlignUpsideDown: gravity says up is more than 90° from DeclaredUp
	// (sensor clipped upside down); the data are still aligned correctly.
	AlignUpsideDown AlignQuality = 1 << iota
	// AlignTilted: up is more than 30° from DeclaredUp.
	AlignTilted
	// AlignNoStill: no still second was found; G is the mean |acc|.
	AlignNoStill
	// AlignNoWalking: no walking was found, so AP is DeclaredForward's
	// horizontal part or, failing that, an arbitrary horizontal sensor axis.
	AlignNoWalking
	// AlignAPSignUncertain: the walking pattern could not fix AP's sign.
	AlignAPSignUncertain
	// AlignForwardMismatch: the walking AP axis is more than 45° from
	// DeclaredForward's horizontal part.
	AlignForwardMismatch
)

// Body is a recording in the wearer's frame. All slices have one value per
// input sample. V, AP and ML are accelerations in m/s² along the earth's
// vertical (from the Madgwick tilt estimate, positive up, gravity removed
// unless KeepGravity) and along the horizontal projections of the body's
// forward axis (AP, positive forward) and of V × AP (ML, positive to the
// wearer's left). YawRate is the angular rate about the vertical, rad/s,
// positive counter-clockwise seen from above (a left turn). TiltDeg is the
// trunk's inclination from the upright (walking) posture, degrees;
// PitchDeg its forward (+) or backward (−) component.
type Body struct {
	V, AP, ML, YawRate []float64
	TiltDeg, PitchDeg  []float64
	// Up and Forward are the upright posture's vertical and the body's
	// forward axis as unit vectors in sensor coordinates (the static
	// rotation found); Left = Up × Forward.
	Up, Forward [3]float64
	// G is the estimated gravity in m/s² (mean |acc| while still).
	G float64
	// StepHz is the dominant step frequency of the walking used for AP, 0
	// if none.
	StepHz  float64
	Quality AlignQuality
}

// Thresholds of the posture search; physical, not fitted: quiet standing
// moves |acc| by a few hundredths of g, walking by 0.1-0.5 g.
const (
	stillAccStd  = 0.3  // m/s², std of |acc| over 1 s for "still"
	stillGyro    = 0.2  // rad/s, mean |gyro| over 1 s for "still"
	walkAccStd   = 0.35 // m/s², std of 0.5-3 Hz |acc| over 2 s for "moving rhythmically"
	walkGyroMax  = 2.0  // rad/s, mean |gyro| above which a window is not walking
	maxAPSamples = 10 * 60
	// minSignCorr is the |correlation| of a_AP(t) with a_V(t+T/4) above
	// which the walking pattern fixes AP's sign (a pure quarter-step lead
	// gives 1; unrelated signals of this length give about 0).
	minSignCorr = 0.2
)

// AlignToBody rotates samples (sensor frame, SI units, rate fs) into the
// wearer's vertical / anteroposterior / mediolateral frame without trusting
// the sensor's axes:
//
//  1. Upright vertical Up: the mean acceleration direction over walking
//     (2 s windows whose 0.5-3 Hz |acc| varies by more than 0.35 m/s²), else
//     over the still 1 s window closest to DeclaredUp, else over the whole
//     recording (Moe-Nilssen 1998).
//  2. Per-sample vertical: a Madgwick gyro+acc filter (β = 0.1) started
//     from the first half second's gravity tracks tilt through movement.
//  3. AP: the horizontal direction (⊥ Up, sensor frame) of largest
//     variance of the acceleration band-passed at the step frequency (the
//     0.8-3.5 Hz peak of the vertical PSD) during walking; its sign from
//     the inverted-pendulum phase relation of walking: forward acceleration
//     leads vertical acceleration by a quarter step (forward speed is
//     least, and height greatest, at mid-stance; Zijlstra & Hof 2003), so
//     corr(a_AP(t), a_V(t+T/4)) > 0. When that correlation is below 0.2 in
//     magnitude the sign comes from DeclaredForward, if given.
//  4. ML = V × AP.
//
// It returns ErrBadRate, ErrTooShort (< 1 s), ErrNonFinite, ErrGap or
// ErrFlat for unusable input.
func AlignToBody(samples []balance.Sample, fs float64, opts AlignOptions) (Body, error) {
	if err := checkInput(samples, fs, 1); err != nil {
		return Body{}, err
	}
	beta := opts.Beta
	if beta <= 0 {
		beta = 0.1
	}
	n := len(samples)
	var b Body
	mag := make([]float64, n)
	gm := make([]float64, n)
	for i := range samples {
		mag[i] = norm3(samples[i].Acc)
		gm[i] = norm3(samples[i].Gyro)
	}

	// Still windows and gravity.
	win := max(int(fs), 2)
	type still struct {
		mean [3]float64
		g    float64
	}
	var stills []still
	for s := 0; s+win <= n; s += win / 2 {
		var m, m2, gy float64
		var mv [3]float64
		for i := s; i < s+win; i++ {
			m += mag[i]
			m2 += mag[i] * mag[i]
			gy += gm[i]
			for k := 0; k < 3; k++ {
				mv[k] += samples[i].Acc[k]
			}
		}
		fw := float64(win)
		m /= fw
		sd := math.Sqrt(math.Max(0, m2/fw-m*m))
		if sd < stillAccStd && gy/fw < stillGyro {
			stills = append(stills, still{unit(mv), m})
		}
	}
	if len(stills) > 0 {
		gs := make([]float64, len(stills))
		for i, s := range stills {
			gs[i] = s.g
		}
		b.G = median(gs)
	} else {
		b.Quality |= AlignNoStill
		b.G = mean(mag)
	}

	// Walking windows from the orientation-free |acc|.
	walk := make([]bool, n)
	nWalk := 0
	if n >= int(2*fs) {
		bp := ButterBandpass(2, 0.5, 3, fs).FiltFilt(nil, mag)
		ww := int(2 * fs)
		for s := 0; s+ww <= n; s += ww {
			var m2, gy float64
			for i := s; i < s+ww; i++ {
				m2 += bp[i] * bp[i]
				gy += gm[i]
			}
			if math.Sqrt(m2/float64(ww)) > walkAccStd && gy/float64(ww) < walkGyroMax {
				for i := s; i < s+ww; i++ {
					walk[i] = true
				}
				nWalk += ww
			}
		}
	}

	// Upright vertical.
	declUp := unit(opts.DeclaredUp)
	switch {
	case nWalk > 0:
		var mv [3]float64
		for i := range samples {
			if walk[i] {
				for k := 0; k < 3; k++ {
					mv[k] += samples[i].Acc[k]
				}
			}
		}
		b.Up = unit(mv)
	case len(stills) > 0 && declUp != [3]float64{}:
		best := -2.0
		for _, s := range stills {
			if c := dot(s.mean, declUp); c > best {
				best, b.Up = c, s.mean
			}
		}
	default:
		var mv [3]float64
		for i := range samples {
			for k := 0; k < 3; k++ {
				mv[k] += samples[i].Acc[k]
			}
		}
		b.Up = unit(mv)
	}
	if declUp != [3]float64{} {
		c := dot(b.Up, declUp)
		if c < 0 {
			b.Quality |= AlignUpsideDown
		}
		if c < math.Cos(30*math.Pi/180) {
			b.Quality |= AlignTilted
		}
	}

	// Per-sample vertical from Madgwick, started from the first 0.5 s.
	var a0 [3]float64
	for i := 0; i < min(n, max(1, int(fs/2))); i++ {
		for k := 0; k < 3; k++ {
			a0[k] += samples[i].Acc[k]
		}
	}
	vs := trackUp(samples, fs, beta, a0)

	b.Forward = b.findForward(samples, vs, walk, nWalk, fs, opts)

	b.V = make([]float64, n)
	b.AP = make([]float64, n)
	b.ML = make([]float64, n)
	b.YawRate = make([]float64, n)
	b.TiltDeg = make([]float64, n)
	b.PitchDeg = make([]float64, n)
	g0 := b.G
	if opts.KeepGravity {
		g0 = 0
	}
	const deg = 180 / math.Pi
	F, U := b.Forward, b.Up
	for i := range samples {
		v, a := vs[i], samples[i].Acc
		// AP is F's part ⊥ v, of length sqrt(1 − (F·v)²) for unit F and v.
		fv := dot(F, v)
		k := 1 / math.Sqrt(math.Max(1e-12, 1-fv*fv))
		ap := [3]float64{(F[0] - fv*v[0]) * k, (F[1] - fv*v[1]) * k, (F[2] - fv*v[2]) * k}
		b.V[i] = dot(a, v) - g0
		b.AP[i] = dot(a, ap)
		b.ML[i] = dot(a, cross(v, ap))
		b.YawRate[i] = dot(samples[i].Gyro, v)
		// For unit vectors the angle is 2·asin(|v − Up|/2) (half the chord).
		d := [3]float64{v[0] - U[0], v[1] - U[1], v[2] - U[2]}
		b.TiltDeg[i] = 2 * math.Asin(math.Min(1, math.Sqrt(dot(d, d))/2)) * deg
		// Leaning forward turns earth-up toward the sensor's back; for unit
		// v, asin(−v·F) = atan2(−v·F, |v − (v·F)F|).
		b.PitchDeg[i] = math.Asin(math.Max(-1, math.Min(1, -fv))) * deg
	}
	return b, nil
}

// findForward returns the forward axis in sensor coordinates (unit, ⊥ Up)
// and sets StepHz and the quality flags.
func (b *Body) findForward(samples []balance.Sample, vs [][3]float64, walk []bool, nWalk int, fs float64, opts AlignOptions) [3]float64 {
	// Orthonormal basis of the horizontal plane.
	e1 := perpendicular(b.Up)
	e2 := cross(b.Up, e1)
	declF := unit(sub3(opts.DeclaredForward, scale3(b.Up, dot(opts.DeclaredForward, b.Up))))
	fallback := func() [3]float64 {
		b.Quality |= AlignNoWalking
		if declF != [3]float64{} {
			return declF
		}
		return e1
	}
	if nWalk < int(4*fs) {
		return fallback()
	}
	// Gather up to maxAPSamples seconds of walking: vertical and the two
	// horizontal components (sensor acc minus its vertical part).
	limit := min(int(maxAPSamples*fs), nWalk)
	av := make([]float64, 0, limit)
	h1 := make([]float64, 0, limit)
	h2 := make([]float64, 0, limit)
	for i := range samples {
		if !walk[i] {
			continue
		}
		a := samples[i].Acc
		v := vs[i]
		av = append(av, dot(a, v))
		h := sub3(a, scale3(v, dot(a, v)))
		h1 = append(h1, dot(h, e1))
		h2 = append(h2, dot(h, e2))
		if len(av) >= limit {
			break
		}
	}
	freqs, psd := Welch(RemoveMean(nil, av), fs, int(4*fs))
	best := -1.0
	for k, f := range freqs {
		if f >= 0.8 && f <= 3.5 && psd[k] > best {
			best, b.StepHz = psd[k], f
		}
	}
	if b.StepHz == 0 {
		return fallback()
	}
	lo, hi := 0.7*b.StepHz, math.Min(1.3*b.StepHz, 0.45*fs)
	bp := ButterBandpass(2, lo, hi, fs)
	av = bp.FiltFilt(av, av)
	h1 = bp.FiltFilt(h1, h1)
	h2 = bp.FiltFilt(h2, h2)
	// 2×2 PCA: the major axis angle of the covariance (closed form).
	var s11, s22, s12 float64
	for i := range h1 {
		s11 += h1[i] * h1[i]
		s22 += h2[i] * h2[i]
		s12 += h1[i] * h2[i]
	}
	th := 0.5 * math.Atan2(2*s12, s11-s22)
	c, s := math.Cos(th), math.Sin(th)
	f := unit(add3(scale3(e1, c), scale3(e2, s)))
	// Sign from the quarter-step lead of AP over V.
	lag := int(math.Round(fs / (4 * b.StepHz)))
	var cv, pa, pv float64
	for i := 0; i+lag < len(av); i++ {
		ap := c*h1[i] + s*h2[i]
		cv += ap * av[i+lag]
		pa += ap * ap
		pv += av[i+lag] * av[i+lag]
	}
	rho := 0.0
	if pa > 0 && pv > 0 {
		rho = cv / math.Sqrt(pa*pv)
	}
	if rho < 0 {
		f = scale3(f, -1)
	}
	confident := math.Abs(rho) >= minSignCorr
	if declF != [3]float64{} {
		if !confident && dot(f, declF) < 0 {
			f = scale3(f, -1)
		}
		if dot(f, declF) < math.Cos(45*math.Pi/180) {
			b.Quality |= AlignForwardMismatch
		}
	} else if !confident {
		b.Quality |= AlignAPSignUncertain
	}
	return f
}

// perpendicular returns a unit vector ⊥ u built from the sensor axis least
// aligned with u.
func perpendicular(u [3]float64) [3]float64 {
	k := 0
	for i := 1; i < 3; i++ {
		if math.Abs(u[i]) < math.Abs(u[k]) {
			k = i
		}
	}
	var e [3]float64
	e[k] = 1
	return unit(sub3(e, scale3(u, dot(e, u))))
}

func add3(a, b [3]float64) [3]float64 { return [3]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func sub3(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func scale3(a [3]float64, s float64) [3]float64 {
	return [3]float64{a[0] * s, a[1] * s, a[2] * s}
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// trackUp runs a Madgwick filter from the orientation whose up is a0 and
// returns the earth's up in sensor coordinates at every sample.
func trackUp(samples []balance.Sample, fs, beta float64, a0 [3]float64) [][3]float64 {
	vs := make([][3]float64, len(samples))
	mf := NewMadgwick(fs, beta, QuatFromUp(unit(a0)))
	for i := range samples {
		mf.Update(samples[i].Acc, samples[i].Gyro)
		vs[i] = mf.Q.Up()
	}
	return vs
}

// Rotation returns the static sensor-to-body rotation found: its rows are
// the body's forward (AP), left (ML) and up (V) axes in sensor
// coordinates, so Rotation()·a turns a sensor-frame vector a into
// (AP, ML, V) for the upright posture. The per-sample V, AP and ML of Body
// follow the tracked tilt instead.
func (b *Body) Rotation() [3][3]float64 {
	return [3][3]float64{b.Forward, cross(b.Up, b.Forward), b.Up}
}
