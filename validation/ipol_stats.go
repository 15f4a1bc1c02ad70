package validation

import (
	"math"
	"sort"
)

// matchICsIn matches detected and reference initial contacts (s) one to
// one when no more than tol apart, greedily by distance (the matching of
// mobgap's evaluation, Micó-Amigo et al. 2023), and returns the number of
// matched detections and of matched references within [lo, hi].
func matchICsIn(det, ref []float64, tol, lo, hi float64) (nDet, nRefIn int) {
	type pair struct {
		d    float64
		i, j int
	}
	var ps []pair
	for i, a := range det {
		for j, b := range ref {
			if d := math.Abs(a - b); d <= tol {
				ps = append(ps, pair{d, i, j})
			}
		}
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].d < ps[b].d })
	usedD, usedR := map[int]bool{}, map[int]bool{}
	for _, p := range ps {
		if !usedD[p.i] && !usedR[p.j] {
			usedD[p.i], usedR[p.j] = true, true
			nDet++
			if ref[p.j] >= lo && ref[p.j] <= hi {
				nRefIn++
			}
		}
	}
	return nDet, nRefIn
}

// mean returns the arithmetic mean of x, NaN for empty x.
func mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// median returns the median of x (not modified), NaN for empty x.
func median(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
