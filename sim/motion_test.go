package sim

import (
	"math"
	"testing"

	"github.com/balance-pt/balance"
	"gonum.org/v1/gonum/floats/scalar"
)

// Expected readings follow from the frame definitions in doc.go: a still
// sensor reads +g on the axis that points up.
func TestSpecificForcePostures(t *testing.T) {
	g := Gravity
	for _, tc := range []struct {
		name string
		m    Motion
		want [3]float64
	}{
		{"upright", Motion{}, [3]float64{g, 0, 0}},
		{"prone: forward axis points down", Motion{Pitch: math.Pi / 2}, [3]float64{0, 0, -g}},
		{"supine: forward axis points up", Motion{Pitch: -math.Pi / 2}, [3]float64{0, 0, g}},
		{"on the right side: right axis points down", Motion{Roll: math.Pi / 2}, [3]float64{0, -g, 0}},
		{"supine twisted onto the left side: right axis up", Motion{Pitch: -math.Pi / 2, Twist: math.Pi / 2}, [3]float64{0, g, 0}},
		{"upright accelerating forward 1 m/s²", Motion{Acc: [3]float64{0, 0, 1}}, [3]float64{g, 0, 1}},
		{"free fall", Motion{Acc: [3]float64{-g, 0, 0}}, [3]float64{0, 0, 0}},
	} {
		got := tc.m.SpecificForce()
		for k := range got {
			if !scalar.EqualWithinAbsOrRel(got[k], tc.want[k], 1e-9, 1e-9) {
				t.Errorf("%s: axis %d = %v, want %v", tc.name, k, got[k], tc.want[k])
			}
		}
	}
}

// The body rate must equal the angular velocity of the attitude matrix:
// skew(ω_body) = Rᵀ·dR/dt, checked by central differences.
func TestBodyRateMatchesAttitude(t *testing.T) {
	att := func(t float64) (p, r, w, y float64) {
		return 0.7 * math.Sin(1.3*t), 0.5 * math.Cos(0.9*t), 0.4 * math.Sin(2.1*t+0.3), 0.8 * t * t
	}
	const h = 1e-6
	for _, tt := range []float64{0.1, 0.77, 1.9} {
		p, r, w, _ := att(tt)
		p1, r1, w1, y1 := att(tt + h)
		p0, r0, w0, y0 := att(tt - h)
		// Heading rotates the whole body about up: include yaw in R.
		rot := func(p, r, w, y float64) mat3 {
			sy, cy := math.Sincos(y)
			// Left turn about up turns forward towards −right.
			yaw := mat3{{1, 0, 0}, {0, cy, -sy}, {0, sy, cy}}
			return yaw.mul(bodyToHeading(p, r, w))
		}
		R := rot(p, r, w, (y1+y0)/2)
		dR := rot(p1, r1, w1, y1)
		dR0 := rot(p0, r0, w0, y0)
		var S mat3
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				var v float64
				for k := 0; k < 3; k++ {
					v += R[k][i] * (dR[k][j] - dR0[k][j]) / (2 * h)
				}
				S[i][j] = v
			}
		}
		want := [3]float64{S[2][1], S[0][2], S[1][0]}
		got := bodyRateTwist(p, r, w, (p1-p0)/(2*h), (r1-r0)/(2*h), (w1-w0)/(2*h), (y1-y0)/(2*h))
		for k := range got {
			if !scalar.EqualWithinAbsOrRel(got[k], want[k], 1e-5, 1e-5) {
				t.Errorf("t=%v axis %d: ω = %v, attitude says %v", tt, k, got[k], want[k])
			}
		}
	}
}

func TestSensorMountingAndLimits(t *testing.T) {
	up := []Motion{{}}
	read := func(s Sensor) balance.Sample { return s.Read(nil, up, 0, 100, nil)[0] }
	if got := read(Sensor{UpsideDown: true}); !scalar.EqualWithinAbsOrRel(got.Acc[0], -Gravity, 1e-12, 0) {
		t.Errorf("upside down: vertical reads %v, want %v", got.Acc[0], -Gravity)
	}
	// A sensor tilted 10° forward on an upright trunk sees gravity as a
	// forward lean: AP = −g·sin 10°, V = g·cos 10°.
	got := read(Sensor{TiltPitchDeg: 10})
	if !scalar.EqualWithinAbsOrRel(got.Acc[2], -Gravity*math.Sin(10*math.Pi/180), 1e-12, 0) ||
		!scalar.EqualWithinAbsOrRel(got.Acc[0], Gravity*math.Cos(10*math.Pi/180), 1e-12, 0) {
		t.Errorf("tilted: %v", got.Acc)
	}
	got = read(Sensor{AccRange: 5, AccLSB: 0.5, AccBias: [3]float64{0, 0.26, 0}})
	if got.Acc != [3]float64{5, 0.5, 0} {
		t.Errorf("saturated and quantised: %v, want [5 0.5 0]", got.Acc)
	}
	fast := []Motion{{Gyro: [3]float64{0, 100, 0}}}
	if g := TypicalSensor(); g.Read(nil, fast, 0, 100, nil)[0].Gyro[1] > g.GyroRange {
		t.Errorf("gyro not saturated at %v", g.GyroRange)
	}
	// Times follow the rate exactly.
	smp := Sensor{}.Read(nil, make([]Motion, 4), 1000, 3, nil)
	if smp[3].TimeNS != 1000+1_000_000_000 {
		t.Errorf("sample 3 at %d ns, want %d", smp[3].TimeNS, 1000+1_000_000_000)
	}
}
