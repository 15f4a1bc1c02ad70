package analysis

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

func TestResampleSine(t *testing.T) {
	// A sine well below both Nyquist rates is reproduced at the new sample
	// instants (band-limited interpolation); away from the truncated edges
	// the windowed-sinc error is small.
	for _, tc := range []struct{ fsIn, fsOut float64 }{{200, 100}, {100, 200}, {50, 100}, {128, 100}, {100, 60}} {
		f := 2.3
		n := int(10 * tc.fsIn)
		x := coreSine(n, tc.fsIn, f, 1, 0.2)
		y := Resample(nil, x, tc.fsIn, tc.fsOut)
		if want := int(math.Floor(float64(n-1)*tc.fsOut/tc.fsIn)) + 1; len(y) != want {
			t.Fatalf("%v->%v: len %d, want %d", tc.fsIn, tc.fsOut, len(y), want)
		}
		for j := int(tc.fsOut); j < len(y)-int(tc.fsOut); j++ {
			want := math.Sin(2*math.Pi*f*float64(j)/tc.fsOut + 0.2)
			if !scalar.EqualWithinAbs(y[j], want, 2e-3) {
				t.Fatalf("%v->%v: y[%d] = %v, want %v", tc.fsIn, tc.fsOut, j, y[j], want)
			}
		}
	}
}

func TestResampleAntiAlias(t *testing.T) {
	// An 80 Hz tone at 200 Hz lies above the 100 Hz output's Nyquist (50 Hz)
	// and the 45 Hz interpolation cutoff: it must be removed, not aliased to
	// 20 Hz.
	x := coreSine(4000, 200, 80, 1, 0)
	y := Resample(nil, x, 200, 100)
	var ss float64
	for _, v := range y[200 : len(y)-200] {
		ss += v * v
	}
	rms := math.Sqrt(ss / float64(len(y)-400))
	if rms > 0.01 {
		t.Errorf("80 Hz tone leaks with RMS %v after 200->100 Hz", rms)
	}
}

func TestResampleConstant(t *testing.T) {
	x := []float64{3, 3, 3, 3, 3, 3, 3}
	for _, v := range Resample(nil, x, 100, 37) {
		if !scalar.EqualWithinAbs(v, 3, 1e-12) {
			t.Fatalf("constant -> %v", v)
		}
	}
	if len(Resample(nil, nil, 100, 50)) != 0 {
		t.Error("empty")
	}
}
