package analysis

import "math"

// Quat is a unit quaternion [w x y z]. In this package a Quat q describes the
// orientation of the earth frame relative to the sensor frame, Madgwick's
// convention (Madgwick 2010, "An efficient orientation filter for inertial
// and inertial/magnetic sensor arrays", eq. 1-3): rotating an earth vector
// d into sensor coordinates is q* ⊗ d ⊗ q.
type Quat [4]float64

// Mul returns the Hamilton product p ⊗ q.
func (p Quat) Mul(q Quat) Quat {
	return Quat{
		p[0]*q[0] - p[1]*q[1] - p[2]*q[2] - p[3]*q[3],
		p[0]*q[1] + p[1]*q[0] + p[2]*q[3] - p[3]*q[2],
		p[0]*q[2] - p[1]*q[3] + p[2]*q[0] + p[3]*q[1],
		p[0]*q[3] + p[1]*q[2] - p[2]*q[1] + p[3]*q[0],
	}
}

// Conj returns the conjugate (inverse of a unit quaternion).
func (p Quat) Conj() Quat { return Quat{p[0], -p[1], -p[2], -p[3]} }

// Rotate returns q ⊗ (0,v) ⊗ q*.
func (p Quat) Rotate(v [3]float64) [3]float64 {
	r := p.Mul(Quat{0, v[0], v[1], v[2]}).Mul(p.Conj())
	return [3]float64{r[1], r[2], r[3]}
}

// Up returns the earth's up direction (0,0,1) expressed in sensor
// coordinates, q* ⊗ (0,0,1) ⊗ q = [2(q1q3−q0q2), 2(q0q1+q2q3),
// q0²−q1²−q2²+q3²] (Madgwick 2010 eq. 24 with d = up). At rest the
// accelerometer reads g₀ times this vector.
func (p Quat) Up() [3]float64 {
	w, x, y, z := p[0], p[1], p[2], p[3]
	return [3]float64{2 * (x*z - w*y), 2 * (w*x + y*z), w*w - x*x - y*y + z*z}
}

// QuatFromUp returns the shortest-arc orientation q whose Up() is the unit
// vector u (sensor coordinates): the sensor is taken to have zero heading.
func QuatFromUp(u [3]float64) Quat {
	u = unit(u)
	// q* maps earth z to u in sensor coords; the shortest arc from z to u
	// has axis z × u = (-u_y, u_x, 0) and angle acos(u_z). q is its
	// conjugate.
	c := u[2]
	if c < -1+1e-12 { // upside down: half-turn about x
		return Quat{0, 1, 0, 0}
	}
	w := math.Sqrt((1 + c) / 2)
	s := 1 / (2 * w)
	qc := Quat{w, -u[1] * s, u[0] * s, 0}
	return qc.Conj()
}

// Madgwick is the gradient-descent gyroscope + accelerometer orientation
// filter of Madgwick 2010 (IMU version; Madgwick et al. 2011 IEEE ICORR):
//
//	q̇ = ½ q ⊗ (0, ω) − β ∇f/‖∇f‖,  f(q) = q* ⊗ (0,0,1) ⊗ q − â,
//
// integrated with step 1/fs, ω in rad/s, â the normalised accelerometer
// reading. β (rad/s) weighs the accelerometer correction; Madgwick suggests
// about 0.1 for body-worn sensors (β = √(3/4)·gyro error). Without a
// magnetometer heading is unobserved and drifts; tilt is corrected.
type Madgwick struct {
	Q    Quat
	Beta float64
	dt   float64
}

// NewMadgwick returns a filter at sample rate fs starting at q0.
func NewMadgwick(fs, beta float64, q0 Quat) *Madgwick {
	return &Madgwick{Q: q0, Beta: beta, dt: 1 / fs}
}

// Update advances the filter by one sample: acc in any unit (only its
// direction is used; a zero or non-finite reading skips the correction),
// gyro in rad/s.
func (m *Madgwick) Update(acc, gyro [3]float64) {
	q0, q1, q2, q3 := m.Q[0], m.Q[1], m.Q[2], m.Q[3]
	gx, gy, gz := gyro[0], gyro[1], gyro[2]
	d0 := 0.5 * (-q1*gx - q2*gy - q3*gz)
	d1 := 0.5 * (q0*gx + q2*gz - q3*gy)
	d2 := 0.5 * (q0*gy - q1*gz + q3*gx)
	d3 := 0.5 * (q0*gz + q1*gy - q2*gx)
	an := math.Sqrt(acc[0]*acc[0] + acc[1]*acc[1] + acc[2]*acc[2])
	if an > 0 && !math.IsInf(an, 0) && !math.IsNaN(an) {
		ax, ay, az := acc[0]/an, acc[1]/an, acc[2]/an
		// Objective f and its Jacobian-transposed gradient J^T f.
		f1 := 2*(q1*q3-q0*q2) - ax
		f2 := 2*(q0*q1+q2*q3) - ay
		f3 := 2*(0.5-q1*q1-q2*q2) - az
		s0 := -2*q2*f1 + 2*q1*f2
		s1 := 2*q3*f1 + 2*q0*f2 - 4*q1*f3
		s2 := -2*q0*f1 + 2*q3*f2 - 4*q2*f3
		s3 := 2*q1*f1 + 2*q2*f2
		if sn := math.Sqrt(s0*s0 + s1*s1 + s2*s2 + s3*s3); sn > 0 {
			k := m.Beta / sn
			d0 -= k * s0
			d1 -= k * s1
			d2 -= k * s2
			d3 -= k * s3
		}
	}
	q0 += d0 * m.dt
	q1 += d1 * m.dt
	q2 += d2 * m.dt
	q3 += d3 * m.dt
	n := 1 / math.Sqrt(q0*q0+q1*q1+q2*q2+q3*q3)
	m.Q = Quat{q0 * n, q1 * n, q2 * n, q3 * n}
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func norm3(a [3]float64) float64 { return math.Sqrt(dot(a, a)) }

// unit returns a/‖a‖, or the zero vector for a zero a.
func unit(a [3]float64) [3]float64 {
	n := norm3(a)
	if n == 0 {
		return a
	}
	return [3]float64{a[0] / n, a[1] / n, a[2] / n}
}

// angleDeg returns the angle between unit vectors a and b in degrees.
func angleDeg(a, b [3]float64) float64 {
	c := math.Max(-1, math.Min(1, dot(a, b)))
	return math.Acos(c) * 180 / math.Pi
}
