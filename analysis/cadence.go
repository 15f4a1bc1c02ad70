package analysis

// CadenceFromStrides returns the cadence in steps per minute as twice the
// stride frequency, 120 / mean stride time (s): the definition of the
// Mobilise-D reference (Cadence = 2 × StrideFrequency), which differs from
// 60 / mean step time by 1-3 % on real gait. It returns 0 without strides.
func CadenceFromStrides(strideTimes []float64) float64 {
	m, _, _ := Variability(strideTimes)
	if m <= 0 {
		return 0
	}
	return 120 / m
}

// CadenceFromSteps returns 60 / mean step time (s) in steps per minute, or 0
// without steps.
func CadenceFromSteps(stepTimes []float64) float64 {
	m, _, _ := Variability(stepTimes)
	if m <= 0 {
		return 0
	}
	return 60 / m
}
