package analysis

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
)

// bedScenario is a night in bed ending with a roll to the bed's edge and,
// when DropM > 0, a fall out of bed. It is built from rigid-body
// kinematics in the body frame (x right, y anterior, z cranial; the sensor
// on the lower back, 0.1 m behind the roll axis), and rotated into the
// sensor frame by a mounting matrix. The accelerometer reads the specific
// force f = a + g·up (m/s²), the gyroscope the body rate (rad/s).
type bedScenario struct {
	// DropM is the sensor's drop from the mattress to the floor (m); zero:
	// the roll ends on the mattress with a thud of ThudG (g, peak).
	DropM, ThudG float64
}

const (
	bedRollS   = 0.5  // roll of 90° onto the right side, toward the edge
	bedSlideS  = 0.15 // hips sliding over the edge, trunk partly held
	bedSlideG  = 0.3  // downward acceleration while sliding (reads 0.7 g)
	bedSpinRad = 2.0  // the trunk keeps turning while it drops (rad/s)
	bedSensorR = 0.1  // sensor offset behind the roll axis (m)
	bedRollR   = 0.15 // rolling radius (half the trunk's width, m)
	bedImpactS = 0.15 // floor impact: half-sine deceleration (s)
)

// freeS returns the free-fall time (s) of the scenario's drop after the
// slide: h_ff = v₁·t + g·t²/2 with v₁ and the slide's own drop from
// bedSlideG over bedSlideS; and the impact speed (m/s).
func (b bedScenario) freeS() (t, v float64) {
	g := balance.StandardGravity
	a := bedSlideG * g
	v1, d1 := a*bedSlideS, a*bedSlideS*bedSlideS/2
	h := b.DropM - d1
	t = (-v1 + math.Sqrt(v1*v1+2*g*h)) / g
	return t, v1 + g*t
}

func (b bedScenario) samples(fs float64, mount [3][3]float64, seed uint64) []balance.Sample {
	g := balance.StandardGravity
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []balance.Sample
	phi := 0.0 // roll angle: 0 supine, π/2 on the right side
	// up in the body frame at roll angle phi, and the world horizontal
	// toward the bed's edge.
	up := func(p float64) [3]float64 { return [3]float64{-math.Sin(p), math.Cos(p), 0} }
	edge := func(p float64) [3]float64 { return [3]float64{math.Cos(p), math.Sin(p), 0} }
	emit := func(acc, gyro [3]float64) {
		for k := range acc {
			acc[k] += 0.005 * g * rng.NormFloat64() // sensor noise, 0.005 g
			gyro[k] += 0.01 * rng.NormFloat64()
		}
		out = append(out, balance.Sample{TimeNS: int64(len(out)+1) * int64(1e9/fs),
			Acc: coreMulMV(mount, acc), Gyro: coreMulMV(mount, gyro)})
	}
	still := func(sec float64) {
		for i := 0; i < int(sec*fs); i++ {
			// Breathing: 0.01 g at 0.25 Hz along up.
			br := 0.01 * g * math.Sin(2*math.Pi*0.25*float64(len(out))/fs)
			emit(scale3(up(phi), g+br), [3]float64{})
		}
	}
	// Rotation about the body's long axis z at rate w, angular
	// acceleration al: the sensor at p = (0, -r, 0) adds α×p + ω×(ω×p)
	// = (α·r, ω²·r, 0).
	spin := func(w, al float64) [3]float64 { return [3]float64{al * bedSensorR, w * w * bedSensorR, 0} }

	still(5)
	// Roll: phi = (π/2)(1 - cos(π t/T))/2, rolling on the mattress (the
	// axis moves toward the edge by bedRollR·phi).
	n := int(bedRollS * fs)
	for i := 0; i < n; i++ {
		u := math.Pi * float64(i) / float64(n)
		phi = math.Pi / 4 * (1 - math.Cos(u))
		w := math.Pi / 4 * math.Sin(u) * math.Pi / bedRollS
		al := math.Pi / 4 * math.Cos(u) * (math.Pi / bedRollS) * (math.Pi / bedRollS)
		a := add3(spin(w, al), scale3(edge(phi), bedRollR*al))
		emit(add3(a, scale3(up(phi), g)), [3]float64{0, 0, w})
	}
	phi = math.Pi / 2
	var impV float64
	if b.DropM > 0 {
		// Sliding over the edge: partly held, down at bedSlideG.
		for i := 0; i < int(bedSlideS*fs); i++ {
			emit(scale3(up(phi), g*(1-bedSlideG)), [3]float64{})
		}
		// Free fall, the trunk still turning.
		tf, v := b.freeS()
		impV = v
		for i := 0; i < int(math.Round(tf*fs)); i++ {
			phi += bedSpinRad / fs
			emit(spin(bedSpinRad, 0), [3]float64{0, 0, bedSpinRad})
		}
	} else {
		// A thud on the mattress: the speed whose half-sine stop peaks
		// at ThudG (f = g + π·v/(2D)).
		impV = (b.ThudG - 1) * g * 2 * bedImpactS / math.Pi
	}
	// Impact: half-sine deceleration removing impV over bedImpactS, then
	// a damped 8 Hz rebound (sim.Fall's pulse and rebound).
	n = int(bedImpactS * fs)
	peak := math.Pi * impV / (2 * bedImpactS)
	for i := 0; i < n; i++ {
		u := (float64(i) + 0.5) / float64(n)
		emit(scale3(up(phi), g+peak*math.Sin(math.Pi*u)), [3]float64{})
	}
	for i := 0; i < int(0.3*fs); i++ {
		t := float64(i) / fs
		emit(scale3(up(phi), g+0.25*peak*math.Exp(-t/0.06)*math.Sin(2*math.Pi*8*t)), [3]float64{})
	}
	still(10)
	return out
}

// TestFallOutOfBed checks the fall-out-of-bed exemption (FallConfig.
// BedDropM) on falls built from physics (bedScenario): lying supine, a
// 90° roll over 0.5 s to the edge, the hips sliding over it (0.15 s at
// 0.3 g down), a free fall with the trunk sideways, a floor impact (half
// sine of 0.15 s: 4.3 g from 0.5 m), lying on the floor. With the up axis
// known, drops from a bed (0.5 m, and a low 0.3 m) are falls out of bed;
// a 0.15 m drop (0.12 s of free fall, under the 0.175 s of BedDropM) and
// a roll ending in a thud on the mattress are not. Without the up axis
// the fall is found by the turn rule.
func TestFallOutOfBed(t *testing.T) {
	mounts := map[string][3][3]float64{
		"upright":   coreRotMat([3]float64{0, 0, 1}, 0),
		"tilted 30": coreRotMat([3]float64{1, 1, 0}, 30*math.Pi/180),
	}
	for _, tc := range []struct {
		name      string
		sc        bedScenario
		upKnown   bool
		bedDropM  float64 // FallConfig.BedDropM; 0: default
		fall      bool
		fromLying bool
	}{
		{"out of bed 0.5 m", bedScenario{DropM: 0.5}, true, 0, true, true},
		{"out of a low bed 0.3 m", bedScenario{DropM: 0.3}, true, 0, true, true},
		{"drop 0.15 m: too short", bedScenario{DropM: 0.15}, true, 0, false, false},
		// BedDropM 1 m: 0.45 s of free fall needed, the 0.5 m drop has 0.27 s.
		{"out of bed 0.5 m, BedDropM 1 m", bedScenario{DropM: 0.5}, true, 1, false, false},
		{"roll with a 3 g thud on the mattress", bedScenario{ThudG: 3}, true, 0, false, false},
		{"out of bed 0.5 m, up unknown", bedScenario{DropM: 0.5}, false, 0, true, false},
	} {
		for mname, r := range mounts {
			for _, fs := range []float64{100, 200} {
				t.Run(tc.name+"/"+mname+"/"+strconv.FormatFloat(fs, 'f', 0, 64), func(t *testing.T) {
					cfg := FallConfig{BedDropM: tc.bedDropM}
					if tc.upKnown {
						cfg.Up = coreMulMV(r, [3]float64{0, 0, 1})
					}
					evs := DetectFalls(tc.sc.samples(fs, r, 1), fs, cfg)
					if len(evs) > 1 || (len(evs) == 1) != tc.fall {
						t.Fatalf("%d events %+v, want fall=%v", len(evs), evs, tc.fall)
					}
					if !tc.fall {
						return
					}
					ev := evs[0]
					if ev.FromLying != tc.fromLying {
						t.Errorf("FromLying %v, want %v", ev.FromLying, tc.fromLying)
					}
					// The free-fall run is the built one (within a
					// sample each side: the impact pulse's first sample
					// and rounding).
					tf, v := tc.sc.freeS()
					t.Logf("free fall %.3f s (built %.3f s), peak %.2f g, tilt %.0f°, confidence %.2f",
						ev.FreeFallS, tf, ev.PeakAccG, ev.TiltDeg, ev.Confidence)
					if math.Abs(ev.FreeFallS-tf) > 1.5/fs {
						t.Errorf("FreeFallS %.3f s, built %.3f s", ev.FreeFallS, tf)
					}
					// Peak: 1 g + π·v/(2D) at the pulse's middle sample.
					want := 1 + math.Pi*v/(2*bedImpactS)/balance.StandardGravity
					if math.Abs(ev.PeakAccG-want) > 0.1 {
						t.Errorf("PeakAccG %.2f g, built %.2f g", ev.PeakAccG, want)
					}
					if !ev.Inactive {
						t.Errorf("not inactive on the floor: %+v", ev)
					}
				})
			}
		}
	}
}

// TestBedDropDefault pins the default free-fall time: t = sqrt(2·0.15 m /
// 9.80665 m/s²) = 0.1749 s.
func TestBedDropDefault(t *testing.T) {
	if got := FreeFallSec(DefaultBedDropM); math.Abs(got-0.1749) > 5e-5 {
		t.Errorf("FreeFallSec(%v) = %.5f s, want 0.1749 s", DefaultBedDropM, got)
	}
	if c := (FallConfig{}).withDefaults(); c.BedDropM != DefaultBedDropM {
		t.Errorf("default BedDropM %v", c.BedDropM)
	}
}

// TestFallOutOfBedSetUp checks that an up axis given by SetUp (as the
// monitor gives the one learned from walking) enables the exemption
// exactly as a declared FallConfig.Up does: the same events.
func TestFallOutOfBedSetUp(t *testing.T) {
	const fs = 100.0
	r := coreRotMat([3]float64{1, 1, 0}, 30*math.Pi/180)
	up := coreMulMV(r, [3]float64{0, 0, 1})
	s := bedScenario{DropM: 0.5}.samples(fs, r, 2)
	want := DetectFalls(s, fs, FallConfig{Up: up})
	d := NewFallDetector(fs, FallConfig{})
	d.SetUp(scale3(up, 9.8)) // any length
	var got []FallEvent
	for _, x := range s {
		if ev, ok := d.Push(x); ok {
			got = append(got, ev)
		}
	}
	got = append(got, d.Flush()...)
	if len(want) != 1 || !want[0].FromLying {
		t.Fatalf("declared Up: %+v, want one fall out of bed", want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetUp vs declared Up (-want +got):\n%s", diff)
	}
}
