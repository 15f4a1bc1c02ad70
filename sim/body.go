package sim

import "github.com/balance-pt/balance"

// Body holds the anthropometry the models need, in metres and kilograms.
type Body struct {
	HeightM       float64 `json:"height_m"`
	MassKg        float64 `json:"mass_kg"`
	SensorHeightM float64 `json:"sensor_height_m"` // lower-back sensor above the floor
	COMHeightM    float64 `json:"com_height_m"`    // centre of mass above the ankles
	// Impairment is 0 for a healthy adult and 1 for severe impairment of
	// balance and gait; it scales sway, slows gait and raises variability.
	Impairment float64 `json:"impairment"`
	// Neuropathy shifts sway towards the medio-lateral plane and lengthens
	// the feedback delay (loss of plantar sensation).
	Neuropathy bool `json:"neuropathy"`
}

// BodyFor returns the body of a patient, filling unknown heights from
// anthropometric ratios (Winter, Biomechanics and Motor Control of Human
// Movement: centre of mass at 0.55 H; lower back at L5 about 0.6 H, as in
// the Mobilise-D participants, 96.4 cm for 159 cm) and mass from a BMI of 25.
func BodyFor(p balance.Patient, impairment float64) Body {
	h := p.HeightM
	if h <= 0 {
		h = 1.70
	}
	b := Body{HeightM: h, MassKg: 25 * h * h, SensorHeightM: p.SensorHeightM, COMHeightM: 0.55 * h,
		Impairment: clamp(impairment, 0, 1), Neuropathy: p.Neuropathy}
	if b.SensorHeightM <= 0 {
		b.SensorHeightM = 0.6 * h
	}
	return b
}

// DefaultBody is a 1.70 m, 72 kg adult without impairment.
func DefaultBody() Body { return BodyFor(balance.Patient{HeightM: 1.70}, 0) }

func clamp(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
