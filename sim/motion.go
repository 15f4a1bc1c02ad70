package sim

import "math"

// Axis indices of the body, heading and (default) sensor frames.
const (
	AxisV  = 0 // vertical, up
	AxisML = 1 // medio-lateral, right
	AxisAP = 2 // antero-posterior, forward
)

// Gravity is the magnitude of gravity used by the models, m/s².
const Gravity = 9.80665

// Motion is the true movement of the trunk at one instant.
//
// Acc is the linear acceleration of the sensor site in the heading frame
// (up, right, forward), in m/s², without gravity. Pitch is the forward lean
// of the trunk, Roll its lean to the right and Twist its rotation about its
// own long axis (positive turns the right side forward, as a left turn
// does), in radians, applied as R = Pitch(θ)·Roll(φ)·Twist(τ). Twist lets a
// person lying down turn onto a side. Gyro is the angular rate in the body
// frame, rad/s.
type Motion struct {
	Acc   [3]float64
	Pitch float64
	Roll  float64
	Twist float64
	Gyro  [3]float64
}

// mat3 is a 3×3 matrix, row-major.
type mat3 [3][3]float64

// bodyToHeading returns R whose columns are the body axes (up, right,
// forward) expressed in the heading frame, for forward lean pitch,
// rightward lean roll and twist (radians).
//
//	A(θ): up=(cosθ,0,sinθ)  right=(0,1,0)        fwd=(−sinθ,0,cosθ)
//	B(φ): up=(cosφ,sinφ,0)  right=(−sinφ,cosφ,0) fwd=(0,0,1)
//	C(τ): up=(1,0,0)        right=(0,cosτ,sinτ)  fwd=(0,−sinτ,cosτ)
//	R = A·B·C
func bodyToHeading(pitch, roll, twist float64) mat3 {
	st, ct := math.Sincos(pitch)
	sp, cp := math.Sincos(roll)
	a := mat3{{ct, 0, -st}, {0, 1, 0}, {st, 0, ct}}
	b := mat3{{cp, -sp, 0}, {sp, cp, 0}, {0, 0, 1}}
	r := a.mul(b)
	if twist != 0 {
		sw, cw := math.Sincos(twist)
		r = r.mul(mat3{{1, 0, 0}, {0, cw, -sw}, {0, sw, cw}})
	}
	return r
}

func (m mat3) mul(n mat3) mat3 {
	var r mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[i][j] = m[i][0]*n[0][j] + m[i][1]*n[1][j] + m[i][2]*n[2][j]
		}
	}
	return r
}

// applyT returns mᵀ·v.
func (m mat3) applyT(v [3]float64) [3]float64 {
	return [3]float64{
		m[0][0]*v[0] + m[1][0]*v[1] + m[2][0]*v[2],
		m[0][1]*v[0] + m[1][1]*v[1] + m[2][1]*v[2],
		m[0][2]*v[0] + m[1][2]*v[1] + m[2][2]*v[2],
	}
}

// SpecificForce returns what an ideal accelerometer aligned with the body
// frame reads for m: Rᵀ·(a + g·up), m/s².
func (m Motion) SpecificForce() [3]float64 {
	r := bodyToHeading(m.Pitch, m.Roll, m.Twist)
	a := m.Acc
	a[AxisV] += Gravity
	return r.applyT(a)
}

// bodyRate returns the body-frame angular rate for pitch, roll and heading
// (yaw, positive = turning left) rates, rad/s, with no twist:
//
//	ω_body = −θ̇·Bᵀe_ML + φ̇·e_AP + ψ̇·Rᵀe_V
//
// (forward pitch turns the up axis towards forward, a rotation about −ML;
// right roll is a rotation about +AP; a left turn is a rotation about +up).
func bodyRate(pitch, roll, dPitch, dRoll, dYaw float64) [3]float64 {
	return bodyRateTwist(pitch, roll, 0, dPitch, dRoll, 0, dYaw)
}

// bodyRateTwist is bodyRate with a twist τ about the body's long axis:
//
//	ω_body = Cᵀ(−θ̇·Bᵀe_ML + φ̇·e_AP) + τ̇·e_V + ψ̇·Rᵀe_V
func bodyRateTwist(pitch, roll, twist, dPitch, dRoll, dTwist, dYaw float64) [3]float64 {
	sp, cp := math.Sincos(roll)
	w := [3]float64{-dPitch * sp, -dPitch * cp, dRoll}
	if twist != 0 {
		sw, cw := math.Sincos(twist)
		c := mat3{{1, 0, 0}, {0, cw, -sw}, {0, sw, cw}}
		w = c.applyT(w)
	}
	w[AxisV] += dTwist
	r := bodyToHeading(pitch, roll, twist)
	y := r.applyT([3]float64{1, 0, 0})
	for i := range w {
		w[i] += dYaw * y[i]
	}
	return w
}
