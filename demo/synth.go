package demo

import (
	"fmt"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
)

// Tag is the measurement tag that marks demo data (demo=true); demo session
// ids carry SessionPrefix after the device id.
const (
	Tag           = "demo"
	SessionPrefix = "demo-"
)

// recorded is one synthesised block of activity: its sensor readings and
// the sessions and measurements monitoring computes from them.
type recorded struct {
	samples  []balance.Sample
	sessions []balance.ExerciseSession
	meas     []balance.Measurement
	falls    []analysis.FallEvent
}

// wearer synthesises and analyses one patient's activities.
type wearer struct {
	patient balance.Patient
	device  string
	sensor  sim.Sensor
	rate    float64
}

// record reads scenario sc through the wearer's sensor from start and runs
// monitoring's analyses on it: every session segment as the session
// analysis would (exercise sessions named exerciseID), gait on the whole
// block when walk is set, and the fall detector over every sample.
func (w wearer) record(sc *sim.Scenario, start time.Time, exerciseID string, walk bool) (recorded, error) {
	var r recorded
	if err := sc.Err(); err != nil {
		return r, fmt.Errorf("demo: synthesis: %w", err)
	}
	r.samples = sc.Samples(w.sensor, start.UnixNano())
	for _, seg := range sc.Segments() {
		if seg.Session == "" {
			continue
		}
		i, j := int(seg.StartS*w.rate), min(len(r.samples), int(seg.EndS*w.rate))
		if j-i < 2 {
			continue
		}
		run := r.samples[i:j]
		st, end := run[0].Time(), run[len(run)-1].Time()
		es := balance.ExerciseSession{
			ID:        monitor.SessionID(w.device, seg.Session, fmt.Sprintf("%s%s-%d", SessionPrefix, seg.Session, st.Unix()), st),
			PatientID: w.patient.ID, DeviceID: w.device, Kind: seg.Session, Start: st, End: end,
		}
		if seg.Session == balance.SessionExercise {
			es.ExerciseID = exerciseID
		}
		ms, _ := monitor.AnalyzeSession(&es, run, w.rate) // a failed analysis is flagged on the session, as live
		r.sessions = append(r.sessions, es)
		r.meas = append(r.meas, ms...)
	}
	if walk {
		ms, err := monitor.GaitMeasurements(w.patient, w.device, "free_living", r.samples, w.rate)
		if err != nil && !analysis.IsInputError(err) {
			return r, fmt.Errorf("demo: gait: %w", err)
		}
		r.meas = append(r.meas, ms...)
	}
	det := analysis.NewFallDetector(w.rate, analysis.FallConfig{})
	for _, s := range r.samples {
		if ev, ok := det.Push(s); ok {
			r.falls = append(r.falls, ev)
		}
	}
	r.falls = append(r.falls, det.Flush()...)
	for _, ev := range r.falls {
		r.meas = append(r.meas, monitor.FallMeasurement(w.patient.ID, w.device, ev))
	}
	for i := range r.meas {
		if r.meas[i].Tags == nil {
			r.meas[i].Tags = map[string]string{}
		}
		r.meas[i].Tags[Tag] = "true"
	}
	monitor.Storable(r.meas)
	return r, nil
}

// Scenarios of the demo's activities, each starting and ending at rest.

// swayTest is the 30 s sway test in the patient's fixed test stance.
func swayTest(b sim.Body, rate float64, seed uint64) *sim.Scenario {
	sc := sim.NewScenario(b, rate, seed)
	sc.Idle(2)
	sc.Stand(30, TestStance, sim.SwayOptions{Session: balance.SessionSway})
	sc.Idle(2)
	return sc
}

// exercise is an exercise session: three holds of stance c, 10 s apart, of
// HoldS each (the patient holds a little past the 30 s goal: the analysis
// measures the hold from the settled stance, about a second short of the
// stand).
func exercise(b sim.Body, c sim.StanceCondition, rate float64, seed uint64) *sim.Scenario {
	sc := sim.NewScenario(b, rate, seed)
	for range 3 {
		sc.Stand(HoldS, c, sim.SwayOptions{Session: balance.SessionExercise})
		sc.Idle(10)
	}
	return sc
}

// timedTests is a Timed Up and Go, then a five-times sit-to-stand.
func timedTests(b sim.Body, rate float64, seed uint64) *sim.Scenario {
	sc := sim.NewScenario(b, rate, seed)
	sc.StartSitting()
	sc.Sit(3)
	sc.TUG()
	sc.Sit(20)
	sc.SitToStand5()
	sc.SitDown()
	sc.Sit(3)
	return sc
}

// walkAbout is a walk of the given number of steps.
func walkAbout(b sim.Body, steps int, rate float64, seed uint64) *sim.Scenario {
	sc := sim.NewScenario(b, rate, seed)
	sc.Idle(3)
	sc.Walk(sim.NormalWalk(b, steps))
	sc.Idle(3)
	return sc
}

// fall is a few steps, a forward fall, 30 s on the floor, getting up.
func fall(b sim.Body, rate float64, seed uint64) *sim.Scenario {
	sc := sim.NewScenario(b, rate, seed)
	sc.StartSitting()
	sc.Sit(3)
	sc.StandUp()
	sc.Walk(sim.NormalWalk(b, 6))
	sc.Fall(sim.FallSpec{Kind: sim.FallForward, LieS: 30, GetUp: true})
	sc.SitDown()
	sc.Sit(3)
	return sc
}

// HoldS is how long a demo patient holds each exercise stance.
const HoldS = 33

// TestStance is the stance of every demo sway test (feet together, eyes
// open), fixed so that the sway trend reflects the patient, not the rung.
var TestStance = sim.StanceCondition{Stance: sim.FeetTogether}

// holdStance is the stance practised at a ladder level: the level's own
// for static levels, feet apart for the others.
func holdStance(levelID string) sim.StanceCondition {
	if c, err := sim.ParseExerciseID(levelID); err == nil {
		return c
	}
	return sim.StanceCondition{Stance: sim.FeetApart}
}
