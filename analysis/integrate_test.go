package analysis

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

func TestCumTrapz(t *testing.T) {
	fs := 50.0
	// The trapezoid rule is exact for a linear integrand: ∫0^t (3 + 2u) du = 3t + t².
	n := 101
	x := make([]float64, n)
	for i := range x {
		x[i] = 3 + 2*float64(i)/fs
	}
	y := CumTrapz(nil, x, fs)
	for i, v := range y {
		tt := float64(i) / fs
		if want := 3*tt + tt*tt; !scalar.EqualWithinAbs(v, want, 1e-12) {
			t.Fatalf("y[%d] = %v, want %v", i, v, want)
		}
	}
	// ∫0^t cos(2πfu) du = sin(2πft)/(2πf); trapezoid error O(h²) ≈ (2πf)²h²/12 relative.
	f := 1.0
	c := coreSine(n, fs, f, 1, math.Pi/2)
	y = CumTrapz(nil, c, fs)
	for i, v := range y {
		want := math.Sin(2*math.Pi*f*float64(i)/fs) / (2 * math.Pi * f)
		if !scalar.EqualWithinAbs(v, want, 1e-3) {
			t.Fatalf("cos integral y[%d] = %v, want %v", i, v, want)
		}
	}
	if len(CumTrapz(nil, nil, fs)) != 0 {
		t.Error("empty input")
	}
}

func TestDetrend(t *testing.T) {
	// A line detrends to zero; a line plus a residual orthogonal to 1 and i
	// (here ±1 alternating over an even length with zero sum and a cos that
	// is symmetric) returns the residual.
	n := 100
	x := make([]float64, n)
	for i := range x {
		x[i] = 4 - 0.25*float64(i)
	}
	for i, v := range Detrend(nil, x) {
		if !scalar.EqualWithinAbs(v, 0, 1e-12) {
			t.Fatalf("line: y[%d] = %v", i, v)
		}
	}
	// Residual r: after detrend, it must have zero mean and zero slope.
	for i := range x {
		x[i] += math.Sin(float64(i)) * 3
	}
	y := Detrend(nil, x)
	var s, sl float64
	for i, v := range y {
		s += v
		sl += v * (float64(i) - float64(n-1)/2)
	}
	if !scalar.EqualWithinAbs(s, 0, 1e-9) || !scalar.EqualWithinAbs(sl, 0, 1e-7) {
		t.Errorf("residual sum %v, slope moment %v, want 0", s, sl)
	}
	if y := Detrend(nil, []float64{5}); y[0] != 0 {
		t.Errorf("single sample -> %v", y[0])
	}
}
