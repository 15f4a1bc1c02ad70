package sim

import (
	"math"
	"math/rand/v2"

	"github.com/balance-pt/balance"
)

// Sensor turns true trunk motion into raw IMU readings: it rotates by the
// mounting, adds gravity, bias and white noise, quantises and saturates.
// The zero value is an ideal sensor mounted straight.
type Sensor struct {
	// TiltPitchDeg and TiltRollDeg tilt the sensor on the body (forward and to
	// the right), degrees: a belt clip rarely sits square to the trunk.
	TiltPitchDeg float64 `json:"tilt_pitch_deg,omitempty"`
	TiltRollDeg  float64 `json:"tilt_roll_deg,omitempty"`
	// UpsideDown clips the sensor on rotated 180° about the forward axis, so
	// that vertical and medio-lateral readings change sign.
	UpsideDown bool `json:"upside_down,omitempty"`
	// AccNoise and GyroNoise are white-noise standard deviations per sample,
	// m/s² and rad/s.
	AccNoise  float64 `json:"acc_noise,omitempty"`
	GyroNoise float64 `json:"gyro_noise,omitempty"`
	// AccBias and GyroBias are constant offsets in the sensor frame.
	AccBias  [3]float64 `json:"acc_bias,omitempty"`
	GyroBias [3]float64 `json:"gyro_bias,omitempty"`
	// AccRange and GyroRange saturate readings at ±range (0 = no limit),
	// m/s² and rad/s.
	AccRange  float64 `json:"acc_range,omitempty"`
	GyroRange float64 `json:"gyro_range,omitempty"`
	// AccLSB and GyroLSB quantise readings to multiples of the step
	// (0 = continuous), m/s² and rad/s.
	AccLSB  float64 `json:"acc_lsb,omitempty"`
	GyroLSB float64 `json:"gyro_lsb,omitempty"`
}

// TypicalSensor is a consumer MEMS IMU: ±8 g with 16-bit resolution,
// ±2000 deg/s, noise about 0.02 m/s² and 0.003 rad/s per sample at 100 Hz
// (order of an LSM6DS3 datasheet's noise densities × √50 Hz), a small bias
// and a 4° forward mounting tilt.
func TypicalSensor() Sensor {
	return Sensor{
		TiltPitchDeg: 4,
		AccNoise:     0.02,
		GyroNoise:    0.003,
		AccBias:      [3]float64{0.03, -0.02, 0.02},
		GyroBias:     [3]float64{0.002, -0.001, 0.0015},
		AccRange:     8 * balance.StandardGravity,
		GyroRange:    2000 * math.Pi / 180,
		AccLSB:       16 * balance.StandardGravity / 65536,
		GyroLSB:      4000 * math.Pi / 180 / 65536,
	}
}

// mounting returns the rotation whose columns are the sensor axes in the
// body frame.
func (s Sensor) mounting() mat3 {
	m := bodyToHeading(s.TiltPitchDeg*math.Pi/180, s.TiltRollDeg*math.Pi/180, 0)
	if s.UpsideDown {
		m = m.mul(mat3{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}})
	}
	return m
}

// Read converts true motions into samples timed from startNS at rateHz.
// rng drives the noise; it may be nil when the sensor has no noise.
func (s Sensor) Read(dst []balance.Sample, motions []Motion, startNS int64, rateHz float64, rng *rand.Rand) []balance.Sample {
	m := s.mounting()
	period := 1e9 / rateHz
	for i, mo := range motions {
		f := m.applyT(mo.SpecificForce())
		w := m.applyT(mo.Gyro)
		var smp balance.Sample
		smp.TimeNS = startNS + int64(math.Round(float64(i)*period))
		for k := 0; k < 3; k++ {
			a, g := f[k]+s.AccBias[k], w[k]+s.GyroBias[k]
			if rng != nil {
				a += s.AccNoise * rng.NormFloat64()
				g += s.GyroNoise * rng.NormFloat64()
			}
			smp.Acc[k] = condition(a, s.AccLSB, s.AccRange)
			smp.Gyro[k] = condition(g, s.GyroLSB, s.GyroRange)
		}
		dst = append(dst, smp)
	}
	return dst
}

// condition quantises v to lsb and clips it to ±limit (0 disables either).
func condition(v, lsb, limit float64) float64 {
	if lsb > 0 {
		v = math.Round(v/lsb) * lsb
	}
	if limit > 0 {
		v = math.Max(-limit, math.Min(limit, v))
	}
	return v
}
