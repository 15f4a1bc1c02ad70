package analysis

import (
	"math"
	"sort"

	"github.com/balance-pt/balance"
)

// TransitionKind says which way a postural transition went.
type TransitionKind int

// Transition kinds.
const (
	// TransitionOther is a trunk flexion with no net rise or descent
	// (bending, reaching).
	TransitionOther TransitionKind = iota
	SitToStand
	StandToSit
)

// String names the kind.
func (k TransitionKind) String() string {
	switch k {
	case SitToStand:
		return "sit-to-stand"
	case StandToSit:
		return "stand-to-sit"
	}
	return "other"
}

// Transition is one trunk-flexion event: a sit-to-stand, a stand-to-sit or
// another bend. Times are seconds since the first sample.
type Transition struct {
	Kind             TransitionKind
	Start, Peak, End float64
	// LeanDeg is the forward trunk flexion at Peak above the posture
	// before it (the peak's prominence), degrees.
	LeanDeg float64
	// RiseM is the net vertical displacement across the transition, m
	// (positive up); PeakVelMS the largest |vertical velocity|, m/s.
	RiseM, PeakVelMS float64
}

// TransitionOptions tunes Transitions. The zero value uses the defaults.
type TransitionOptions struct {
	// Align is passed to AlignToBody.
	Align AlignOptions
	// MinLeanDeg is the least trunk flexion of a transition; default 15°
	// (lower-trunk flexion in sit-to-stand is 20-45°; quiet stance sways
	// a few degrees).
	MinLeanDeg float64
	// MinRiseM is the least |net vertical displacement| that makes a
	// flexion a sit-to-stand or stand-to-sit; default 0.1 m (the pelvis
	// rises 0.3-0.5 m from a chair).
	MinRiseM float64
}

// Transitions finds sit-to-stand and stand-to-sit transitions in the
// manner of Van Lummel et al. 2013 (Gait Posture 38:153; one sensor at the
// lower back, trunk flexion angle plus vertical motion) and Zijlstra et al.
// 2010: every forward flexion of the trunk (peak of the 2 Hz low-passed
// pitch with prominence ≥ MinLeanDeg, peaks at least 0.8 s apart) is a
// candidate; its start and end are where the pitch comes within 20 % of the
// prominence of the posture on either side (searched up to 2.5 s away and
// not past the midpoint to a neighbouring peak); the vertical acceleration
// (AlignToBody) is integrated to velocity between the lowest pitch before
// and after the peak in that neighbourhood (each moved to the stillest
// 0.5 s of vertical acceleration within 0.3 s), the velocity forced to
// zero at both ends by removing a line (the trunk is upright and
// momentarily still between transitions), and integrated again: a net
// rise ≥ MinRiseM is a sit-to-stand, a descent a stand-to-sit. It is
// TransitionOther when the rise is smaller (a bend) or when either end is
// not at rest (vertical acceleration SD over the stillest 0.5 s above
// 0.5 m/s², e.g. a flexion within walking, whose vertical velocity spoils
// the integration); the clinical tests, which start seated, then fall back
// on their known order.
//
// Pitch needs the body's forward axis: the declared one, or the one from
// walking when AlignToBody is sure of its sign, otherwise the horizontal
// direction in which the trunk tilts most, signed so that the largest
// excursions are forward (flexion of 30-50° in rising and sitting exceeds
// any recline).
func Transitions(samples []balance.Sample, fs float64, opts TransitionOptions) ([]Transition, error) {
	b, err := AlignToBody(samples, fs, opts.Align)
	if err != nil {
		return nil, err
	}
	return transitionsFromBody(samples, fs, &b, opts), nil
}

func transitionsFromBody(samples []balance.Sample, fs float64, b *Body, opts TransitionOptions) []Transition {
	minLean := opts.MinLeanDeg
	if !(minLean > 0) {
		minLean = 15
	}
	minRise := opts.MinRiseM
	if !(minRise > 0) {
		minRise = 0.1
	}
	pitch := b.PitchDeg
	if b.Quality&(AlignNoWalking|AlignAPSignUncertain) != 0 && unit(opts.Align.DeclaredForward) == ([3]float64{}) {
		pitch = flexionPitch(samples, fs, b)
	}
	p := ButterLowpass(2, math.Min(2, 0.4*fs), fs).FiltFilt(nil, pitch)
	peaks := prominentPeaks(p, int(3*fs), minLean, int(0.8*fs))
	var out []Transition
	w := int(2.5 * fs)
	for k, pk := range peaks {
		lo, hi := max(0, pk.i-w), min(len(p)-1, pk.i+w)
		if k > 0 {
			lo = max(lo, (peaks[k-1].i+pk.i)/2)
		}
		if k+1 < len(peaks) {
			hi = min(hi, (peaks[k+1].i+pk.i)/2)
		}
		baseL, baseR := p[pk.i], p[pk.i]
		for i := lo; i <= pk.i; i++ {
			baseL = math.Min(baseL, p[i])
		}
		for i := pk.i; i <= hi; i++ {
			baseR = math.Min(baseR, p[i])
		}
		s, e := pk.i, pk.i
		for s > lo && p[s] > baseL+0.2*(p[pk.i]-baseL) {
			s--
		}
		for e < hi && p[e] > baseR+0.2*(p[pk.i]-baseR) {
			e++
		}
		// Integrate between the pitch minima on either side: the trunk is
		// upright and momentarily at rest there (between transitions).
		vlo, vhi := lo, hi
		for i := lo; i <= pk.i; i++ {
			if p[i] < p[vlo] {
				vlo = i
			}
		}
		for i := hi; i >= pk.i; i-- {
			if p[i] < p[vhi] {
				vhi = i
			}
		}
		var sdLo, sdHi float64
		vlo, sdLo = stillest(b.V, vlo, int(0.3*fs), int(restWinS*fs))
		vhi, sdHi = stillest(b.V, vhi, int(0.3*fs), int(restWinS*fs))
		if vhi <= vlo {
			vlo, vhi = lo, hi
		}
		rise, vmax := verticalExcursion(b.V[vlo:vhi+1], fs)
		atRest := sdLo <= restAccSD && sdHi <= restAccSD
		t := Transition{
			Start: float64(s) / fs, Peak: float64(pk.i) / fs, End: float64(e) / fs,
			LeanDeg: pk.prom, RiseM: rise, PeakVelMS: vmax,
		}
		switch {
		case !atRest:
		case rise >= minRise:
			t.Kind = SitToStand
		case rise <= -minRise:
			t.Kind = StandToSit
		}
		out = append(out, t)
	}
	return out
}

// restAccSD is the largest standard deviation (m/s²) of the vertical
// acceleration over restWinS (about one step) at a transition's ends for
// the trunk to count as at rest there: sitting and standing stay under
// about 0.3 m/s², walking and turning swing by 0.7-2 m/s² over a step.
const (
	restAccSD = 0.5
	restWinS  = 0.5
)

// stillest returns the centre of the w-sample window with the least
// variance of x whose centre lies within r samples of c (the best rest
// point, zero velocity, near c) and that window's standard deviation.
func stillest(x []float64, c, r, w int) (int, float64) {
	best, bi := math.Inf(1), c
	w = max(w, 2)
	for m := max(w/2, c-r); m <= min(len(x)-1-w/2, c+r); m++ {
		var s, s2 float64
		for _, v := range x[m-w/2 : m-w/2+w] {
			s += v
			s2 += v * v
		}
		if vr := s2/float64(w) - (s/float64(w))*(s/float64(w)); vr < best {
			best, bi = vr, m
		}
	}
	if math.IsInf(best, 1) {
		return c, math.Inf(1)
	}
	return bi, math.Sqrt(math.Max(0, best))
}

// verticalExcursion integrates a vertical acceleration (gravity removed)
// to velocity with zero velocity forced at both ends (a removed line) and
// returns the net displacement and the largest |velocity|.
func verticalExcursion(av []float64, fs float64) (rise, vmax float64) {
	n := len(av)
	if n < 2 {
		return 0, 0
	}
	v := CumTrapz(nil, av, fs)
	end := v[n-1]
	for i := range v {
		v[i] -= end * float64(i) / float64(n-1)
		vmax = math.Max(vmax, math.Abs(v[i]))
	}
	d := CumTrapz(nil, v, fs)
	return d[n-1], vmax
}

// flexionPitch returns the trunk pitch (degrees, + forward) about the
// horizontal axis of largest tilt variation, signed so that the largest
// excursion from the median posture (99th vs 1st percentile) is forward:
// rising and sitting flex the trunk 30-50° forward, while sitting reclines
// the lower back only 10-20°.
func flexionPitch(samples []balance.Sample, fs float64, b *Body) []float64 {
	var a0 [3]float64
	for i := 0; i < min(len(samples), max(1, int(fs/2))); i++ {
		a0 = add3(a0, samples[i].Acc)
	}
	vs := trackUp(samples, fs, 0.1, a0)
	e1 := perpendicular(b.Up)
	e2 := cross(b.Up, e1)
	var s11, s22, s12 float64
	for _, v := range vs {
		h1, h2 := dot(v, e1), dot(v, e2)
		s11 += h1 * h1
		s22 += h2 * h2
		s12 += h1 * h2
	}
	th := 0.5 * math.Atan2(2*s12, s11-s22)
	back := add3(scale3(e1, math.Cos(th)), scale3(e2, math.Sin(th)))
	out := make([]float64, len(vs))
	for i, v := range vs {
		// Leaning toward "forward" turns earth-up toward the back.
		out[i] = math.Asin(math.Max(-1, math.Min(1, dot(v, back)))) * 180 / math.Pi
	}
	srt := append([]float64(nil), out...)
	sort.Float64s(srt)
	med := srt[len(srt)/2]
	if srt[len(srt)*99/100]-med < med-srt[len(srt)/100] {
		for i := range out {
			out[i] = -out[i]
		}
	}
	return out
}

type flexPeak struct {
	i    int
	prom float64
}

// prominentPeaks returns local maxima of x whose prominence (height above
// the higher of the lowest points within win samples on either side) is
// at least minProm, keeping the taller of peaks closer than minSep.
func prominentPeaks(x []float64, win int, minProm float64, minSep int) []flexPeak {
	var out []flexPeak
	for i := 1; i+1 < len(x); i++ {
		if !(x[i] > x[i-1] && x[i] >= x[i+1]) {
			continue
		}
		l, r := x[i], x[i]
		for j := max(0, i-win); j < i; j++ {
			l = math.Min(l, x[j])
		}
		for j := i + 1; j <= min(len(x)-1, i+win); j++ {
			r = math.Min(r, x[j])
		}
		prom := x[i] - math.Max(l, r)
		if prom < minProm {
			continue
		}
		if n := len(out); n > 0 && i-out[n-1].i < minSep {
			if x[i] > x[out[n-1].i] {
				out[n-1] = flexPeak{i, prom}
			}
			continue
		}
		out = append(out, flexPeak{i, prom})
	}
	return out
}
