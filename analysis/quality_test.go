package analysis

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/balance-pt/balance"
)

// finiteFloats reports the first non-finite float64 reachable in v.
func finiteFloats(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s = %v", path, f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if err := finiteFloats(v.Field(i), path+"."+v.Type().Field(i).Name); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := finiteFloats(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestBadInputNeverPanics feeds every entry point degenerate recordings
// at several rates: each must return a typed input error or finite
// results, never panic or NaN.
func TestBadInputNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	noise := func(n int) []balance.Sample {
		s := make([]balance.Sample, n)
		for i := range s {
			for k := 0; k < 3; k++ {
				s[i].Acc[k] = r.NormFloat64() * 20
				s[i].Gyro[k] = r.NormFloat64() * 5
			}
		}
		return s
	}
	still := func(n int) []balance.Sample {
		s := make([]balance.Sample, n)
		for i := range s {
			s[i].Acc = [3]float64{0, 0, 9.81}
		}
		s[n/2].Acc[0] = 0.001 // not quite flat
		return s
	}
	zeroG := func(n int) []balance.Sample { // free fall for ever: no gravity
		s := make([]balance.Sample, n)
		for i := range s {
			s[i].Acc = [3]float64{1e-3 * r.NormFloat64(), 0, 0}
		}
		return s
	}
	clipped := func(n int) []balance.Sample {
		s := noise(n)
		for i := range s {
			for k := 0; k < 3; k++ {
				s[i].Acc[k] = math.Max(-16*9.81, math.Min(16*9.81, s[i].Acc[k]*20))
			}
		}
		return s
	}
	nan := func(n int) []balance.Sample {
		s := still(n)
		s[n/3].Acc[1] = math.Inf(-1)
		return s
	}
	inputs := map[string]func(int) []balance.Sample{"noise": noise, "still": still, "zero-g": zeroG, "clipped": clipped, "inf": nan}
	for _, fs := range []float64{10, 50, 100, 200, 1000, 0, math.NaN(), -5} {
		for name, gen := range inputs {
			for _, sec := range []float64{0, 0.01, 1.5, 7, 25} {
				n := int(sec * math.Max(fs, 0))
				if math.IsNaN(fs) {
					n = 100
				}
				var s []balance.Sample
				if n > 0 {
					s = gen(n)
				}
				t.Run(fmt.Sprintf("%v Hz/%s/%v s", fs, name, sec), func(t *testing.T) {
					check := func(api string, v any, err error) {
						t.Helper()
						if err != nil {
							if !IsInputError(err) {
								t.Errorf("%s: untyped error %v", api, err)
							}
							return
						}
						if e := finiteFloats(reflect.ValueOf(v), api); e != nil {
							t.Errorf("non-finite result: %v", e)
						}
					}
					b, err := AlignToBody(s, fs, AlignOptions{})
					check("AlignToBody", b, err)
					sw, err := Sway(s, fs, SwayOptions{})
					check("Sway", sw, err)
					tr, err := Transitions(s, fs, TransitionOptions{})
					check("Transitions", tr, err)
					st, err := FiveTimesSitToStand(s, fs, TransitionOptions{})
					check("5xSTS", st, err)
					tug, err := TUG(s, fs, TransitionOptions{})
					check("TUG", tug, err)
					h, err := Hold(s, fs, HoldOptions{})
					check("Hold", h, err)
					fsr, err := FourStage([][]balance.Sample{s, s}, fs, HoldOptions{})
					check("FourStage", fsr, err)
					check("DetectFalls", DetectFalls(s, fs, FallConfig{}), nil)
				})
			}
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrGap), ErrGap) || IsInputError(errors.New("other")) {
		t.Error("IsInputError misclassifies")
	}
}
