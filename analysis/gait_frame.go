package analysis

// verticalFrame projects one gait sequence onto its own vertical: the unit
// vector of the mean acceleration over the sequence, which during walking is
// gravity's direction because the trunk's own acceleration averages to zero
// over whole steps (Moe-Nilssen 1998). It returns the vertical acceleration
// (m/s², gravity included, positive up) and the angular rate about that
// vertical (rad/s, positive counter-clockwise seen from above = left). It
// costs two dot products per sample, against a full orientation filter, and
// is exact for a sensor whose tilt does not change during the sequence.
func verticalFrame(acc, gyro [][3]float64) (accV, yaw []float64, up [3]float64) {
	var m [3]float64
	for _, a := range acc {
		m[0] += a[0]
		m[1] += a[1]
		m[2] += a[2]
	}
	n := norm3(m)
	if n == 0 {
		return make([]float64, len(acc)), make([]float64, len(acc)), up
	}
	up = [3]float64{m[0] / n, m[1] / n, m[2] / n}
	accV = make([]float64, len(acc))
	for i, a := range acc {
		accV[i] = dot(a, up)
	}
	if gyro != nil {
		yaw = make([]float64, len(gyro))
		for i, g := range gyro {
			yaw[i] = dot(g, up)
		}
	}
	return accV, yaw, up
}
