package analysis

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

func TestQuatFromUp(t *testing.T) {
	for _, u := range [][3]float64{{0, 0, 1}, {0, -1, 0}, {1, 0, 0}, {0.3, -0.5, 0.8}, {0, 0, -1}, {-0.2, 0.1, -0.97}} {
		u = unit(u)
		got := QuatFromUp(u).Up()
		for i := range got {
			if !scalar.EqualWithinAbs(got[i], u[i], 1e-12) {
				t.Fatalf("QuatFromUp(%v).Up() = %v", u, got)
			}
		}
	}
}

// TestMadgwickStaticConverges: a still sensor (acc = g·u, no rotation) must
// converge from a wrong initial tilt to Up() = u; Madgwick's correction
// rate is at most β rad/s, so a 0.5 rad error needs at least 5 s at β = 0.1.
func TestMadgwickStaticConverges(t *testing.T) {
	u := unit([3]float64{0.5, -0.8, 0.2})
	m := NewMadgwick(100, 0.1, Quat{1, 0, 0, 0})
	for i := 0; i < 3000; i++ {
		m.Update([3]float64{9.81 * u[0], 9.81 * u[1], 9.81 * u[2]}, [3]float64{})
	}
	if a := angleDeg(m.Q.Up(), u); a > 0.5 {
		t.Errorf("after 30 s the tilt error is %v deg", a)
	}
}

// TestMadgwickGyroIntegration: with β = 0 the filter integrates the gyro
// exactly up to the first-order step; a constant rate ω about x for t
// seconds tilts the up vector by ωt (rotation kinematics).
func TestMadgwickGyroIntegration(t *testing.T) {
	m := NewMadgwick(1000, 0, Quat{1, 0, 0, 0})
	w := 0.5 // rad/s about sensor x
	for i := 0; i < 1000; i++ {
		m.Update([3]float64{}, [3]float64{w, 0, 0})
	}
	// A vector fixed in the earth, seen from a frame rotating at ω, obeys
	// du/dt = -ω × u = u × ω; from u = (0,0,1) with ω = (w,0,0) that gives
	// u(t) = (0, sin wt, cos wt). The first-order step's error is O(dt).
	got := m.Q.Up()
	want := [3]float64{0, math.Sin(w), math.Cos(w)}
	for i := range got {
		if !scalar.EqualWithinAbs(got[i], want[i], 1e-3) {
			t.Fatalf("Up() after 1 s at 0.5 rad/s about x = %v, want %v", got, want)
		}
	}
}

// BenchmarkMadgwickUpdate: one filter step (ns/op = ns/sample).
func BenchmarkMadgwickUpdate(b *testing.B) {
	m := NewMadgwick(100, 0.1, Quat{1, 0, 0, 0})
	acc := [3]float64{0.3, -0.2, 9.7}
	gyr := [3]float64{0.1, 0.05, -0.2}
	for i := 0; i < b.N; i++ {
		m.Update(acc, gyr)
	}
}

// TestQuatRotate: q = (cos θ/2, sin θ/2·k) rotates by θ about k (Hamilton
// convention), so 90° about z takes x to y; Up() is the conjugate rotation
// of earth z by definition; p⊗q composes rotations.
func TestQuatRotate(t *testing.T) {
	h := math.Sqrt(0.5)
	qz := Quat{h, 0, 0, h} // 90° about z
	qx := Quat{h, h, 0, 0} // 90° about x
	for _, c := range []struct {
		name      string
		got, want [3]float64
	}{
		{"z90·x", qz.Rotate([3]float64{1, 0, 0}), [3]float64{0, 1, 0}},
		{"x90·y", qx.Rotate([3]float64{0, 1, 0}), [3]float64{0, 0, 1}},
		// Composition: first x90 then z90 takes y → z → z.
		{"z90⊗x90·y", qz.Mul(qx).Rotate([3]float64{0, 1, 0}), [3]float64{0, 0, 1}},
		// ... and x → x → y.
		{"z90⊗x90·x", qz.Mul(qx).Rotate([3]float64{1, 0, 0}), [3]float64{0, 1, 0}},
	} {
		for i := range c.got {
			if !scalar.EqualWithinAbs(c.got[i], c.want[i], 1e-12) {
				t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				break
			}
		}
	}
	q := Quat{0.8, 0.2, -0.4, 0.4}
	n := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
	for i := range q {
		q[i] /= n
	}
	up, rot := q.Up(), q.Conj().Rotate([3]float64{0, 0, 1})
	for i := range up {
		if !scalar.EqualWithinAbs(up[i], rot[i], 1e-12) {
			t.Fatalf("Up %v != conj rotation %v", up, rot)
		}
	}
	if p := q.Mul(q.Conj()); !scalar.EqualWithinAbs(p[0], 1, 1e-12) || !scalar.EqualWithinAbs(norm3([3]float64{p[1], p[2], p[3]}), 0, 1e-12) {
		t.Errorf("q⊗q* = %v, want identity", p)
	}
}

func TestKindStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{SitToStand.String(), "sit-to-stand"}, {StandToSit.String(), "stand-to-sit"}, {TransitionOther.String(), "other"},
		{LossStep.String(), "step"}, {LossTilt.String(), "tilt"}, {NoLoss.String(), "none"}, {LossKind(99).String(), "unknown"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}
