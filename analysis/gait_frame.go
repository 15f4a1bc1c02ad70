package analysis

import "github.com/balance-pt/balance"

// verticalFrame projects one gait sequence onto its own vertical: the unit
// vector of the mean acceleration over the sequence, which during walking is
// gravity's direction because the trunk's own acceleration averages to zero
// over whole steps (Moe-Nilssen 1998). It returns the vertical acceleration
// (m/s², gravity included, positive up) and, when withGyro, the angular rate
// about that vertical (rad/s, positive counter-clockwise seen from above =
// left). It costs two dot products per sample, against a full orientation
// filter, and is exact for a sensor whose tilt does not change during the
// sequence.
func verticalFrame(seq []balance.Sample, withGyro bool) (accV, yaw []float64, up [3]float64) {
	var m [3]float64
	for i := range seq {
		a := &seq[i].Acc
		m[0] += a[0]
		m[1] += a[1]
		m[2] += a[2]
	}
	accV = make([]float64, len(seq))
	if withGyro {
		yaw = make([]float64, len(seq))
	}
	n := norm3(m)
	if n == 0 {
		return accV, yaw, up
	}
	up = [3]float64{m[0] / n, m[1] / n, m[2] / n}
	for i := range seq {
		accV[i] = dot(seq[i].Acc, up)
	}
	if withGyro {
		for i := range seq {
			yaw[i] = dot(seq[i].Gyro, up)
		}
	}
	return accV, yaw, up
}
