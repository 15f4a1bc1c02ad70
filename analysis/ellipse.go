package analysis

import (
	"cmp"
	"math"
	"slices"
)

// chi2At95 is the 95 % quantile of χ² with 2 degrees of freedom,
// −2·ln(0.05) = 5.991 (closed form for 2 dof).
var chi2At95 = -2 * math.Log(0.05)

// EllipseArea95 returns the area of the 95 % confidence (prediction)
// ellipse of the points (x, y): π·χ²₂,₀.₉₅·sqrt(λ1·λ2) = π·5.991·sqrt(det Σ)
// with Σ the sample covariance (n−1), in the squared units of x (m²/s⁴ for
// accelerations). For independent Gaussian axes it is π·5.991·σx·σy. It
// returns 0 for fewer than 3 points.
func EllipseArea95(x, y []float64) float64 {
	n := len(x)
	if n < 3 || len(y) != n {
		return 0
	}
	_, _, sxx, syy, sxy := covariance2(x, y)
	det := sxx*syy - sxy*sxy
	return math.Pi * chi2At95 * math.Sqrt(math.Max(0, det))
}

// covariance2 returns the means of x and y and their sample covariance
// matrix [[sxx sxy] [sxy syy]] (n−1); len(x) = len(y) ≥ 2.
func covariance2(x, y []float64) (mx, my, sxx, syy, sxy float64) {
	mx, my = mean(x), mean(y)
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	d := float64(len(x) - 1)
	return mx, my, sxx / d, syy / d, sxy / d
}

// Ellipse is a 95 % confidence (prediction) ellipse: centre (CX, CY),
// semi-axes A ≥ B and the angle of A from the x axis in radians, in the
// units of the points.
type Ellipse struct {
	CX, CY, A, B, Angle float64
}

// Ellipse95 returns the 95 % confidence ellipse of the points (x, y): the
// semi-axes are sqrt(χ²₂,₀.₉₅·λ) for the eigenvalues λ1 ≥ λ2 of the sample
// covariance Σ (n−1), along their eigenvectors (Schubert & Kirchner 2014,
// Gait Posture 40:35, on the ellipse area of sway), so that π·A·B equals
// EllipseArea95. The zero Ellipse for fewer than 3 points.
func Ellipse95(x, y []float64) Ellipse {
	n := len(x)
	if n < 3 || len(y) != n {
		return Ellipse{}
	}
	mx, my, sxx, syy, sxy := covariance2(x, y)
	// Eigenvalues of [[sxx sxy] [sxy syy]] in closed form.
	tr, det := sxx+syy, sxx*syy-sxy*sxy
	disc := math.Sqrt(math.Max(0, tr*tr/4-det))
	l1, l2 := tr/2+disc, math.Max(0, tr/2-disc)
	return Ellipse{CX: mx, CY: my, A: math.Sqrt(chi2At95 * l1), B: math.Sqrt(chi2At95 * l2),
		Angle: 0.5 * math.Atan2(2*sxy, sxx-syy)}
}

// Range returns RANGE for one axis (max − min of x) when y is nil, and
// for two the largest distance between any two points (the diameter of
// their convex hull), in the units of x.
func Range(x, y []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	if y == nil {
		lo, hi := x[0], x[0]
		for _, v := range x {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		return hi - lo
	}
	h := convexHull(x, y)
	var best float64
	for i := range h {
		for j := i + 1; j < len(h); j++ {
			best = math.Max(best, math.Hypot(h[i][0]-h[j][0], h[i][1]-h[j][1]))
		}
	}
	return best
}

// convexHull returns the hull of the points by Andrew's monotone chain.
func convexHull(x, y []float64) [][2]float64 {
	p := make([][2]float64, len(x))
	for i := range x {
		p[i] = [2]float64{x[i], y[i]}
	}
	slices.SortFunc(p, func(a, b [2]float64) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	if len(p) < 3 {
		return p
	}
	crossZ := func(o, a, b [2]float64) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	h := make([][2]float64, 0, 2*len(p))
	for _, q := range p {
		for len(h) >= 2 && crossZ(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	lower := len(h) + 1
	for i := len(p) - 2; i >= 0; i-- {
		q := p[i]
		for len(h) >= lower && crossZ(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	return h[:len(h)-1]
}
