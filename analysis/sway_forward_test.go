package analysis

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance"
	"gonum.org/v1/gonum/floats/scalar"
)

// walkThenStand is a recording of 30 s of walking (coreSynthWalk: 3 s
// standing, then the inverted-pendulum pattern, forward = body x) and then
// 32 s of quiet stance with AP sway 0.1·sin(2π·0.5t) and ML sway
// 0.05·sin(2π·1.2t) m/s² (coreStanding), both through the same mounting r.
func walkThenStand(fs float64, r [3][3]float64) (walk, stand []balance.Sample) {
	return coreSynthWalk(fs, 30, r), coreStanding(fs, 32, r, 0.1, 0.5, 0.05, 1.2)
}

// TestSwayForwardRotated: the device is turned about the vertical by
// several angles (and tilted); the forward axis found from the walk before
// the trial keeps AP and ML on the body's axes, so AP RMS = 0.1/√2 and ML
// RMS = 0.05/√2 (sines of those amplitudes, filter gain 1 − 2e-7 at these
// frequencies; 1 % for the walk's axis estimate, within 3° as in
// TestAlignToBodySynthetic: an axis 3° off gives AP √(0.1²cos²3° +
// 0.05²sin²3°) = 0.1·(1 − 0.1 %) and ML √(0.05²cos²3° + 0.1²sin²3°) =
// 0.05·(1 + 0.4 %)) and
// the F50s stay at 0.5 and 1.2 Hz. Without a forward axis the split
// follows the sensor, not the body, and SwayAPUnknown is set.
func TestSwayForwardRotated(t *testing.T) {
	fs := 100.0
	wantAP, wantML := 0.1/math.Sqrt2, 0.05/math.Sqrt2
	yaw := func(deg float64) [3][3]float64 { return coreRotMat([3]float64{0, 0, 1}, deg*math.Pi/180) }
	for _, tc := range []struct {
		name string
		r    [3][3]float64 // mounting: body → sensor
	}{
		{"yaw 0", yaw(0)},
		{"yaw 40", yaw(40)},
		{"yaw 90", yaw(90)},
		{"yaw 200 tilted 20", coreMat3Mul(coreRotMat([3]float64{1, 0, 0}, 20*math.Pi/180), yaw(200))},
		{"yaw 300 upside down", coreMat3Mul(coreRotMat([3]float64{0, 1, 0}, math.Pi), yaw(300))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			walk, stand := walkThenStand(fs, r)
			for _, side := range []struct {
				name          string
				before, after []balance.Sample
			}{{"walk before", walk, nil}, {"walk after", nil, walk}} {
				h := SwayForward(side.before, side.after, fs, [3]float64{})
				if h.Source != ForwardWalking {
					t.Fatalf("%s: source %q, want walking", side.name, h.Source)
				}
				res, err := Sway(stand, fs, SwayOptions{Forward: h.Forward})
				if err != nil {
					t.Fatal(err)
				}
				if res.Quality&SwayAPUnknown != 0 {
					t.Errorf("%s: ap_unknown set with a forward axis", side.name)
				}
				if !scalar.EqualWithinRel(res.AP.RMS, wantAP, 0.01) || !scalar.EqualWithinRel(res.ML.RMS, wantML, 0.01) {
					t.Errorf("%s: RMS AP %.5f ML %.5f, want %.5f %.5f", side.name, res.AP.RMS, res.ML.RMS, wantAP, wantML)
				}
				if res.AP.F50 != 0.5 || res.ML.F50 != 1.2 {
					t.Errorf("%s: F50 AP %v ML %v, want 0.5 1.2", side.name, res.AP.F50, res.ML.F50)
				}
			}
			// Declared mounting (the body's forward in sensor axes) gives the
			// same split without walking.
			h := SwayForward(nil, stand, fs, coreMulMV(r, [3]float64{2, 0, 0}))
			if h.Source != ForwardDeclared {
				t.Fatalf("declared: source %q", h.Source)
			}
			res, err := Sway(stand, fs, SwayOptions{Forward: h.Forward})
			if err != nil {
				t.Fatal(err)
			}
			if !scalar.EqualWithinRel(res.AP.RMS, wantAP, 0.01) || !scalar.EqualWithinRel(res.ML.RMS, wantML, 0.01) {
				t.Errorf("declared: RMS AP %.5f ML %.5f", res.AP.RMS, res.ML.RMS)
			}
			// Neither: flagged; the stance (passed as after) holds no walking.
			h = SwayForward(nil, stand, fs, [3]float64{})
			if h.Source != ForwardNone || h.Forward != ([3]float64{}) {
				t.Fatalf("none: %+v", h)
			}
			res, err = Sway(stand, fs, SwayOptions{Forward: h.Forward})
			if err != nil {
				t.Fatal(err)
			}
			if res.Quality&SwayAPUnknown == 0 {
				t.Error("no forward axis: ap_unknown not set")
			}
		})
	}
}

// TestSwayForwardUnknownSplit: with no forward axis and the device turned
// 40° about the vertical, the arbitrary split mixes the body's axes (the
// RMS of AP is no longer 0.1/√2): the reason for the flag.
func TestSwayForwardUnknownSplit(t *testing.T) {
	fs := 100.0
	r := coreRotMat([3]float64{0, 0, 1}, 40*math.Pi/180)
	_, stand := walkThenStand(fs, r)
	res, err := Sway(stand, fs, SwayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The arbitrary axis is a sensor axis ⊥ up, here sensor x or y, at 40°
	// or 50° from the body's forward: AP RMS = √(0.1²cos² + 0.05²sin²)/√2.
	c, s := math.Cos(40*math.Pi/180), math.Sin(40*math.Pi/180)
	mix := []float64{math.Sqrt(0.01*c*c+0.0025*s*s) / math.Sqrt2, math.Sqrt(0.01*s*s+0.0025*c*c) / math.Sqrt2}
	if res.Quality&SwayAPUnknown == 0 {
		t.Error("ap_unknown not set")
	}
	if !scalar.EqualWithinRel(res.AP.RMS, mix[0], 0.01) && !scalar.EqualWithinRel(res.AP.RMS, mix[1], 0.01) {
		t.Errorf("AP RMS %.5f, want one of the mixed values %.5f %.5f", res.AP.RMS, mix[0], mix[1])
	}
}

func TestParseAxis(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [3]float64
		bad  bool
	}{
		{"", [3]float64{}, false},
		{"+x", [3]float64{1, 0, 0}, false},
		{"x", [3]float64{1, 0, 0}, false},
		{"-Y", [3]float64{0, -1, 0}, false},
		{"+z", [3]float64{0, 0, 1}, false},
		{" 0.5, 0, -1 ", [3]float64{0.5, 0, -1}, false},
		{"0,0,0", [3]float64{}, true},
		{"1,2", [3]float64{}, true},
		{"a,b,c", [3]float64{}, true},
		{"NaN,0,1", [3]float64{}, true},
		{"w", [3]float64{}, true},
	} {
		got, err := ParseAxis(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseAxis(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// TestSwayForwardMobgapRotated: a real lower-back recording (mobgap HA_001
// Test11, simulated daily living; committed test data, Apache-2.0) turned
// about the sensor's x axis (up when worn, mobgap README) by several
// angles. The forward axis SwayForward finds from the walking before
// 50.9 s (where the INDIP reference's bouts pause until 76.4 s) turns with
// the device: within 35° of the turned anterior axis +z, the bound
// TestAlignToBodyMobgap holds the unturned recordings to.
func TestSwayForwardMobgapRotated(t *testing.T) {
	s := coreReadMobgap(t, filepath.Join("testdata", "mobgap", "HA_001", "Test11_Trial1_imu.csv"))
	for i := range s {
		s[i].TimeNS = int64(i) * 1e7
	}
	for _, deg := range []float64{0, 60, 135, 250} {
		r := coreRotMat([3]float64{1, 0, 0}, deg*math.Pi/180)
		rs := make([]balance.Sample, len(s))
		for i, x := range s {
			rs[i] = balance.Sample{TimeNS: x.TimeNS, Acc: coreMulMV(r, x.Acc), Gyro: coreMulMV(r, x.Gyro)}
		}
		h := SwayForward(rs[:5090], rs[7640:], 100, [3]float64{})
		if h.Source != ForwardWalking {
			t.Fatalf("%v°: forward source %q", deg, h.Source)
		}
		if a := angleDeg(h.Forward, coreMulMV(r, [3]float64{0, 0, 1})); a > 35 {
			t.Errorf("%v°: forward %.1f° from the turned +z (anterior)", deg, a)
		}
	}
}
