package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/balance-pt/balance"
)

// Posture is the resting posture between activities.
type Posture int

// Postures a scenario can rest in.
const (
	Standing Posture = iota
	Sitting
	Lying
)

// Resting trunk angles: sitting reclines the lower back (posterior pelvic
// tilt); lying is supine.
const (
	sitPitch = -12 * math.Pi / 180
	liePitch = -90 * math.Pi / 180
)

// Scenario builds a sequence of activities as true trunk motion with its
// ground truth. Methods append one activity each; the first error sticks
// and is returned by Err, later calls do nothing.
type Scenario struct {
	body    Body
	rate    float64
	seed    uint64
	rng     *rand.Rand
	motions []Motion
	segs    []Segment
	posture Posture
	att     [3]float64 // resting pitch, roll, twist of the current posture
	err     error
}

// NewScenario starts an empty scenario for body at rateHz, standing, with
// randomness from a PCG seeded by seed.
func NewScenario(body Body, rateHz float64, seed uint64) *Scenario {
	s := &Scenario{body: body, rate: rateHz, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	if !(rateHz >= balance.MinRateHz && rateHz <= balance.MaxRateHz) {
		s.err = balance.Errorf(balance.ERATE, "sim: rate %v Hz is outside %v..%v Hz", rateHz, balance.MinRateHz, balance.MaxRateHz)
	}
	if !(body.HeightM > 0.5 && body.HeightM < 2.5 && body.SensorHeightM > 0.2 && body.SensorHeightM < body.HeightM && body.COMHeightM > 0.2) {
		s.err = balance.Errorf(balance.EINVALID, "sim: implausible body %+v", body)
	}
	return s
}

// StartSitting makes an empty scenario start seated.
func (s *Scenario) StartSitting() {
	if len(s.motions) == 0 {
		s.posture, s.att = Sitting, [3]float64{sitPitch, 0, 0}
	}
}

// Err returns the first error of the scenario.
func (s *Scenario) Err() error { return s.err }

// RateHz returns the sample rate.
func (s *Scenario) RateHz() float64 { return s.rate }

// Posture returns the posture the scenario currently rests in.
func (s *Scenario) Posture() Posture { return s.posture }

// Motions returns the true motion, one per sample.
func (s *Scenario) Motions() []Motion { return s.motions }

// Len returns the number of samples so far.
func (s *Scenario) Len() int { return len(s.motions) }

// DurationS returns the length of the scenario in seconds.
func (s *Scenario) DurationS() float64 { return float64(len(s.motions)) / s.rate }

// Segments returns the ground-truth segments so far.
func (s *Scenario) Segments() []Segment { return s.segs }

// Truth returns the ground truth for the scenario as read by sensor from
// startNS.
func (s *Scenario) Truth(sensor Sensor, startNS int64) Truth {
	return Truth{Seed: s.seed, RateHz: s.rate, StartNS: startNS, Samples: len(s.motions), Body: s.body, Sensor: sensor, Segments: s.segs}
}

// Samples returns the sensor readings of the scenario from startNS, with
// noise from a PCG seeded by the scenario's seed.
func (s *Scenario) Samples(sensor Sensor, startNS int64) []balance.Sample {
	rng := rand.New(rand.NewPCG(s.seed^0x5eed5eed, 7))
	return sensor.Read(make([]balance.Sample, 0, len(s.motions)), s.motions, startNS, s.rate, rng)
}

// n returns the number of samples in d seconds (at least 1).
func (s *Scenario) n(d float64) int { return max(1, int(math.Round(d*s.rate))) }

// now returns the current end of the scenario in seconds.
func (s *Scenario) now() float64 { return float64(len(s.motions)) / s.rate }

func (s *Scenario) fail(format string, args ...any) bool {
	if s.err == nil {
		s.err = balance.Errorf(balance.EINVALID, "sim: "+format, args...)
	}
	return false
}

// ok reports whether the scenario can take an activity of d seconds that
// starts in one of the given postures.
func (s *Scenario) ok(what string, d float64, from ...Posture) bool {
	if s.err != nil {
		return false
	}
	if !(d > 0 && d <= 24*3600) {
		return s.fail("%s: duration %v s is not in (0, 86400]", what, d)
	}
	for _, p := range from {
		if p == s.posture {
			return true
		}
	}
	return s.fail("%s cannot start from posture %d", what, s.posture)
}

// addSegment appends seg with its start and end set from sample indices and
// returns a pointer to it.
func (s *Scenario) addSegment(seg Segment, from int) *Segment {
	seg.StartS = float64(from) / s.rate
	seg.EndS = s.now()
	s.segs = append(s.segs, seg)
	return &s.segs[len(s.segs)-1]
}

// peakG returns the peak |specific force| of motions[from:to] in g and the
// time in seconds of the peak.
func (s *Scenario) peakG(from, to int) (float64, float64) {
	best, at := 0.0, from
	for i := from; i < to && i < len(s.motions); i++ {
		f := s.motions[i].SpecificForce()
		if m := math.Sqrt(f[0]*f[0] + f[1]*f[1] + f[2]*f[2]); m > best {
			best, at = m, i
		}
	}
	return best / Gravity, float64(at) / s.rate
}

// ar1 is first-order autoregressive noise with the given standard deviation
// and correlation time, a stand-in for small irregular body movement.
type ar1 struct {
	a, b, x float64
}

func newAR1(sd, tauS, rate float64) ar1 {
	a := math.Exp(-1 / (tauS * rate))
	return ar1{a: a, b: sd * math.Sqrt(1-a*a)}
}

func (n *ar1) next(r *rand.Rand) float64 {
	n.x = n.a*n.x + n.b*r.NormFloat64()
	return n.x
}

// String names a posture.
func (p Posture) String() string {
	switch p {
	case Standing:
		return "standing"
	case Sitting:
		return "sitting"
	case Lying:
		return "lying"
	}
	return fmt.Sprintf("Posture(%d)", int(p))
}
