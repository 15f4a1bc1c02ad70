package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

func TestWelchSine(t *testing.T) {
	// A sine of amplitude A at a bin centre: the PSD peaks at f and its
	// integral Σpsd·Δf equals the sine's power A²/2 (Parseval; a Hann window
	// spreads the line over 3 bins but density scaling preserves power).
	fs, nper := 100.0, 256
	f := 10 * fs / float64(nper) // bin 10
	a := 1.5
	x := coreSine(4096, fs, f, a, 0.4)
	freqs, psd := Welch(x, fs, nper)
	if len(freqs) != nper/2+1 || len(psd) != nper/2+1 {
		t.Fatalf("lengths %d %d", len(freqs), len(psd))
	}
	imax := 0
	var tot float64
	for k, p := range psd {
		if p > psd[imax] {
			imax = k
		}
		tot += p * fs / float64(nper)
	}
	if freqs[imax] != f {
		t.Errorf("peak at %v Hz, want %v", freqs[imax], f)
	}
	if !scalar.EqualWithinRel(tot, a*a/2, 1e-6) {
		t.Errorf("power %v, want A²/2 = %v", tot, a*a/2)
	}
}

func TestWelchWhiteNoise(t *testing.T) {
	// White noise of variance σ² has one-sided density 2σ²/fs.
	r := rand.New(rand.NewPCG(1, 2))
	fs, sigma := 100.0, 0.7
	x := make([]float64, 200000)
	for i := range x {
		x[i] = sigma * r.NormFloat64()
	}
	_, psd := Welch(x, fs, 128)
	var m float64
	for _, p := range psd[1 : len(psd)-1] {
		m += p
	}
	m /= float64(len(psd) - 2)
	want := 2 * sigma * sigma / fs
	// ~3100 segments × 63 bins: the mean's relative standard error is well under 1 %.
	if !scalar.EqualWithinRel(m, want, 0.02) {
		t.Errorf("mean psd %v, want %v", m, want)
	}
}

func TestWelchShort(t *testing.T) {
	if f, p := Welch(nil, 100, 64); f != nil || p != nil {
		t.Error("empty input should give nil")
	}
	f, p := Welch([]float64{1, 2, 3}, 100, 64)
	if len(f) != 2 || len(p) != 2 || math.IsNaN(p[0]) {
		t.Errorf("short input: %v %v", f, p)
	}
}
