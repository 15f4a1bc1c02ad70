package analysis

import (
	"errors"
	"math"
	"testing"

	"github.com/balance-pt/balance"
	"gonum.org/v1/gonum/floats/scalar"
)

// quietStance is 12 s of stance with 0.3 m/s² AP and 0.2 m/s² ML sway (a
// demanding stance; Neville 2015 reports sway RMS up to 0.9 m/s²) from a
// sensor tilted 20°.
func quietStance() []balance.Sample {
	return coreStanding(100, 12, coreRotMat([3]float64{1, 0, 0}, 20*math.Pi/180), 0.3, 0.4, 0.2, 0.9)
}

func TestHold(t *testing.T) {
	fs := 100.0
	r := coreRotMat([3]float64{1, 0, 0}, 20*math.Pi/180)
	step := quietStance()
	for i := 600; i < 660; i++ { // a step at 6 s: ±3 m/s² vertical jolt at 2.5 Hz
		step[i].Acc = add3(step[i].Acc, coreMulMV(r, [3]float64{0, 0, 3 * math.Sin(2*math.Pi*2.5*float64(i-600)/fs)}))
	}
	grab := quietStance()
	for i := 800; i < 830; i++ { // a 2 rad/s trunk rotation from 8 s (arm grab)
		grab[i].Gyro = coreMulMV(r, [3]float64{0, 0, 2})
	}
	tilt := quietStance()
	for i := 900; i < len(tilt); i++ { // leaning 25° from 9 s (slowly: no transient)
		a := 25 * math.Pi / 180 * math.Min(1, float64(i-900)/200)
		tilt[i].Acc = coreMulMV(r, coreMulMV(coreRotMat([3]float64{0, 1, 0}, a), [3]float64{0, 0, balance.StandardGravity}))
	}
	brief := quietStance()
	for i := 700; i < 800; i++ { // 20° out and back over 1 s (above 15° for well under 1 s)
		a := 20 * math.Pi / 180 * math.Sin(math.Pi*float64(i-700)/100)
		brief[i].Acc = coreMulMV(r, coreMulMV(coreRotMat([3]float64{0, 1, 0}, a), [3]float64{0, 0, balance.StandardGravity}))
	}
	for _, tc := range []struct {
		name   string
		s      []balance.Sample
		loss   LossKind
		held   float64 // seconds from the first sample (settling included)
		tol    float64
		passed bool
	}{
		// No loss: the whole 12 s recording.
		{"quiet", quietStance(), NoLoss, 12, 1e-9, true},
		// The jolt starts at 6 s; the 0.5 s RMS window crosses 0.5 m/s²
		// within its first quarter-period.
		{"step", step, LossStep, 6, 0.35, false},
		// The rate exceeds 1 rad/s at the first sample of the grab.
		{"grab", grab, LossTransient, 8, 1e-9, false},
		// 25° reached over 2 s from 9 s: 15° at 10.2 s, delayed a little
		// by the 0.5 Hz low-pass of the gravity direction.
		// (10.2 s is past the 10 s target: passed.)
		{"tilt", tilt, LossTilt, 10.2, 0.5, true},
		// 20·sin(πt) stays above 15° for 0.46 s, and the 0.5 Hz low-pass
		// lowers it further: large sway, not a loss.
		{"brief lean", brief, NoLoss, 12, 1e-9, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Hold(tc.s, fs, HoldOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if h.Loss != tc.loss || !scalar.EqualWithinAbs(h.HeldSec, tc.held, tc.tol) || h.Passed != tc.passed {
				t.Errorf("hold %+v (loss %v), want %v after %.2f s (±%.2f), passed %v", h, h.Loss, tc.loss, tc.held, tc.tol, tc.passed)
			}
		})
	}
	if _, err := Hold(quietStance()[:150], fs, HoldOptions{}); !errors.Is(err, ErrTooShort) {
		t.Errorf("1.5 s: err %v, want ErrTooShort", err)
	}
}

func TestFourStage(t *testing.T) {
	fs := 100.0
	fail := quietStance()
	for i := 500; i < 530; i++ {
		fail[i].Gyro = [3]float64{0, 2, 0}
	}
	res, err := FourStage([][]balance.Sample{quietStance(), quietStance(), fail, quietStance()}, fs, HoldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// STEADI: stop at the first stage not held 10 s; tandem is stage 3.
	if res.Highest != 2 || len(res.Stages) != 3 || !res.TandemFail || res.Stages[2].Loss != LossTransient {
		t.Errorf("result %+v, want 2 stages passed, stopped at tandem", res)
	}
	res, err = FourStage([][]balance.Sample{quietStance(), quietStance(), quietStance(), quietStance()}, fs, HoldOptions{})
	if err != nil || res.Highest != 4 || res.TandemFail {
		t.Errorf("all held: %+v %v", res, err)
	}
}
