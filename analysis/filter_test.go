package analysis

import (
	"math"
	"math/cmplx"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// coreButterMag is the closed-form magnitude of the bilinear-transformed
// Butterworth design: |H| = 1/sqrt(1 + (W/Wc)^(2n)), W = tan(πf/fs)
// (Oppenheim & Schafer, Discrete-Time Signal Processing, §7.2.2).
func coreButterMag(f, fc, fs float64, n int, high bool) float64 {
	r := math.Tan(math.Pi*f/fs) / math.Tan(math.Pi*fc/fs)
	if high {
		r = 1 / r
	}
	return 1 / math.Sqrt(1+math.Pow(r, float64(2*n)))
}

func TestButterMagnitude(t *testing.T) {
	fs := 100.0
	for _, tc := range []struct {
		name  string
		order int
		fc    float64
		high  bool
	}{
		{"lp1", 1, 3.5, false}, {"lp2", 2, 3.5, false}, {"lp4", 4, 20, false},
		{"lp5", 5, 10, false}, {"hp1", 1, 0.5, true}, {"hp2", 2, 0.3, true}, {"hp3", 3, 5, true},
		{"hp4", 4, 40, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s SOS
			if tc.high {
				s = ButterHighpass(tc.order, tc.fc, fs)
			} else {
				s = ButterLowpass(tc.order, tc.fc, fs)
			}
			if len(s) != (tc.order+1)/2 {
				t.Fatalf("got %d sections, want %d", len(s), (tc.order+1)/2)
			}
			for _, f := range []float64{0.05, 0.3, 1, tc.fc, 2 * tc.fc, 10, 30, 49} {
				if f >= fs/2 || (tc.high && f == 0) {
					continue
				}
				got := cmplx.Abs(s.Response(f, fs))
				want := coreButterMag(f, tc.fc, fs, tc.order, tc.high)
				if !scalar.EqualWithinAbsOrRel(got, want, 1e-12, 1e-9) {
					t.Errorf("|H(%v Hz)| = %v, want %v", f, got, want)
				}
			}
			// -3 dB at the cutoff: 1/sqrt(2) by the formula above.
			if got := cmplx.Abs(s.Response(tc.fc, fs)); !scalar.EqualWithinAbs(got, 1/math.Sqrt2, 1e-12) {
				t.Errorf("|H(fc)| = %v, want 1/√2", got)
			}
		})
	}
}

func TestButterBandpassMagnitude(t *testing.T) {
	fs := 100.0
	for _, order := range []int{1, 2, 3, 4} {
		lo, hi := 0.5, 3.0
		s := ButterBandpass(order, lo, hi, fs)
		if len(s) != order {
			t.Fatalf("order %d: %d sections, want %d", order, len(s), order)
		}
		wl, wh := math.Tan(math.Pi*lo/fs), math.Tan(math.Pi*hi/fs)
		for _, f := range []float64{0.1, 0.5, 1, 1.2, 2, 3, 5, 20, 45} {
			// Closed form of the LP→BP transformed Butterworth after the
			// bilinear transform: 1/sqrt(1+((W²-W0²)/(W·Bw))^(2n)).
			w := math.Tan(math.Pi * f / fs)
			r := (w*w - wl*wh) / (w * (wh - wl))
			want := 1 / math.Sqrt(1+math.Pow(r, float64(2*order)))
			got := cmplx.Abs(s.Response(f, fs))
			if !scalar.EqualWithinAbsOrRel(got, want, 1e-10, 1e-8) {
				t.Errorf("order %d |H(%v)| = %v, want %v", order, f, got, want)
			}
		}
	}
}

func TestButterPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"zero cutoff":   func() { ButterLowpass(2, 0, 100) },
		"nyquist":       func() { ButterLowpass(2, 50, 100) },
		"order 0":       func() { ButterHighpass(0, 1, 100) },
		"band reversed": func() { ButterBandpass(2, 5, 1, 100) },
		"nan rate":      func() { ButterLowpass(2, 1, math.NaN()) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || len(s) < 10 || s[:10] != "analysis: " {
					t.Errorf("panic %v, want an \"analysis: \" message", r)
				}
			}()
			f()
		})
	}
}

func coreSine(n int, fs, f, a, corePhase float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = a * math.Sin(2*math.Pi*f*float64(i)/fs+corePhase)
	}
	return x
}

// TestFilterSteadyState checks sosfilt: after transients decay, a sine comes
// out scaled by |H(f)| and shifted by arg H(f) (linear-system steady state).
func TestFilterSteadyState(t *testing.T) {
	fs, f := 100.0, 4.0
	s := ButterLowpass(4, 3.5, fs)
	x := coreSine(2000, fs, f, 1, 0)
	y := s.Filter(nil, x)
	h := s.Response(f, fs)
	for i := 1500; i < 2000; i += 37 {
		want := cmplx.Abs(h) * math.Sin(2*math.Pi*f*float64(i)/fs+cmplx.Phase(h))
		if !scalar.EqualWithinAbs(y[i], want, 1e-9) {
			t.Fatalf("y[%d] = %v, want %v", i, y[i], want)
		}
	}
	// In place gives the same result.
	z := append([]float64(nil), x...)
	s.Filter(z, z)
	for i := range z {
		if z[i] != y[i] {
			t.Fatalf("in-place differs at %d", i)
		}
	}
}

// TestFiltFiltZeroPhase: forward-backward filtering scales a sine by |H|²
// with zero phase, and keeps a constant (from the steady-state initial
// conditions, as scipy.signal.sosfiltfilt).
func TestFiltFiltZeroPhase(t *testing.T) {
	fs := 100.0
	s := ButterLowpass(4, 3.5, fs)
	for _, f := range []float64{1, 3.5, 5} {
		x := coreSine(3000, fs, f, 2, 0.3)
		y := s.FiltFilt(nil, x)
		g := math.Pow(cmplx.Abs(s.Response(f, fs)), 2)
		for i := 1000; i < 2000; i += 13 {
			if want := g * x[i]; !scalar.EqualWithinAbs(y[i], want, 1e-6) {
				t.Fatalf("f=%v y[%d] = %v, want %v", f, i, y[i], want)
			}
		}
	}
	c := make([]float64, 200)
	for i := range c {
		c[i] = 9.81
	}
	for i, v := range s.FiltFilt(nil, c) {
		if !scalar.EqualWithinAbs(v, 9.81, 1e-9) {
			t.Fatalf("constant: y[%d] = %v", i, v)
		}
	}
	// A high-pass removes a constant entirely and a ramp's edges stay
	// bounded (odd extension).
	hp := ButterHighpass(2, 0.5, fs)
	for i, v := range hp.FiltFilt(nil, c) {
		if !scalar.EqualWithinAbs(v, 0, 1e-9) {
			t.Fatalf("high-pass of constant: y[%d] = %v", i, v)
		}
	}
	// Short input: padlen cut, no panic, finite output.
	for _, n := range []int{0, 1, 2, 5} {
		y := s.FiltFilt(nil, make([]float64, n))
		if len(y) != n {
			t.Fatalf("len %d -> %d", n, len(y))
		}
	}
}

func TestPadLen(t *testing.T) {
	// scipy: sosfiltfilt padlen = 3*(2*n_sections+1 - min(#b2==0, #a2==0)).
	for _, tc := range []struct {
		s    SOS
		want int
	}{
		{ButterLowpass(4, 3.5, 100), 15},
		{ButterLowpass(3, 3.5, 100), 12}, // 2 sections, one first-order: 3·(5-1)
		{ButterLowpass(1, 3.5, 100), 6},
		{ButterBandpass(2, 0.5, 3, 100), 15},
	} {
		if got := tc.s.padLen(); got != tc.want {
			t.Errorf("padLen = %d, want %d", got, tc.want)
		}
	}
}

// TestTwoSectionsInOnePass: the fused pass of a two-section cascade gives
// runSection over each section in turn, bit for bit, for the filters the
// analysis uses (order-2 band-pass, order-4 low- and high-pass) on a
// noisy signal with an offset.
func TestTwoSectionsInOnePass(t *testing.T) {
	x := make([]float64, 3001)
	for i := range x {
		x[i] = 9.8 + math.Sin(0.07*float64(i)) + 0.3*math.Sin(1.9*float64(i)+0.4) + 1e-3*float64(i%17)
	}
	for _, tc := range []struct {
		name string
		s    SOS
	}{
		{"bandpass 2", ButterBandpass(2, 0.5, 3, 100)},
		{"lowpass 4", ButterLowpass(4, 3.5, 100)},
		{"highpass 4", ButterHighpass(4, 0.1, 100)},
	} {
		if len(tc.s) != 2 {
			t.Fatalf("%s: %d sections, want 2", tc.name, len(tc.s))
		}
		p, q := [2]float64{0.3, -0.1}, [2]float64{-0.2, 0.05}
		want := append([]float64(nil), x...)
		tc.s.runSection(tc.s[0], want, p[0], p[1])
		tc.s.runSection(tc.s[1], want, q[0], q[1])
		got := append([]float64(nil), x...)
		tc.s.runTwoSections(got, p, q)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: sample %d: %v in one pass, %v section by section", tc.name, i, got[i], want[i])
			}
		}
	}
}
