package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/balance-pt/balance"
)

// SimDevice is a device of a simulated fleet with its wearer.
type SimDevice struct {
	Config DeviceConfig
	Model  PatientModel
	Sensor Sensor
	Seed   uint64
}

// Population returns n simulated wearers with their devices, reproducible
// for seed: heights 1.50-1.90 m, 60 % with neuropathy, baseline impairment
// 0.1-0.8, adherence 0.2-1.0, sensors with a random mounting tilt of up to
// 10° (one in twenty clipped on upside down), clock offsets up to ±2 s and
// drift up to ±50 ppm. With faults, devices also duplicate (1 %) and
// reorder (1 %) batches and lose their link (0.5 % a minute for ~60 s).
func Population(n int, prefix string, rateHz float64, enc Encoding, seed uint64, faults bool) []SimDevice {
	rng := rand.New(rand.NewPCG(seed, 0xf1ee7))
	out := make([]SimDevice, n)
	for i := range out {
		id := fmt.Sprintf("%s%04d", prefix, i+1)
		h := 1.50 + 0.40*rng.Float64()
		p := balance.Patient{ID: "p-" + id, Name: fmt.Sprintf("Simulated patient %d", i+1), HeightM: math.Round(h*100) / 100,
			SensorHeightM: math.Round(0.6*h*100) / 100, Neuropathy: rng.Float64() < 0.6}
		sensor := TypicalSensor()
		sensor.TiltPitchDeg = -10 + 20*rng.Float64()
		sensor.TiltRollDeg = -5 + 10*rng.Float64()
		sensor.UpsideDown = rng.IntN(20) == 0
		cfg := DeviceConfig{
			ID: id, PatientID: p.ID, RateHz: rateHz, Encoding: enc.forDevice(i),
			ClockOffset: durationS(-2 + 4*rng.Float64()), DriftPPM: -50 + 100*rng.Float64(),
			BatteryPct: 60 + 40*rng.Float64(),
		}
		if faults {
			cfg.DuplicateProb, cfg.ReorderProb, cfg.OfflineProb = 0.01, 0.01, 0.005
		}
		out[i] = SimDevice{
			Config: cfg,
			Model:  PatientModel{Patient: p, Baseline: 0.1 + 0.7*rng.Float64(), Adherence: 0.2 + 0.8*rng.Float64(), Seed: rng.Uint64()},
			Sensor: sensor,
			Seed:   rng.Uint64(),
		}
	}
	return out
}

// durationS converts seconds to a Duration.
func durationS(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
