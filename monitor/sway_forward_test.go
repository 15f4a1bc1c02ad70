package monitor_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestSwaySessionForwardFromWalk: a sway test after a walk gets its forward
// axis from the walk (no ap_unknown), and the stored rms_ml and rms_ap
// equal analysis.Sway with analysis.SwayForward on the walk before the
// session (the independent computation). The split is the body's: the
// simulator's true SD of ML and AP sway (noise-free, gravity-aligned) plus
// the sensor's white noise (SD 0.02 m/s² per axis, TypicalSensor) passed
// by the 3.5 Hz low-pass (about 3.5/50 of its variance at 100 Hz) is
// matched within 5 % (the trims and the 4° mounting tilt remain).
func TestSwaySessionForwardFromWalk(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	h.start()
	ss, evs, segs := scenario(t, func(s *sim.Scenario) {
		s.Idle(3)
		s.Walk(sim.NormalWalk(sim.DefaultBody(), 40))
		s.Idle(2)
		s.Stand(30, sim.StanceCondition{Stance: sim.FeetApart}, sim.SwayOptions{Session: balance.SessionSway, LossAtS: -1})
		s.Idle(5)
	}, time.Now().Add(-time.Hour).Truncate(time.Second))
	h.feed(ss, 100, evs)
	h.waitIdle()
	sessions, err := h.state.ExerciseSessions(context.Background(), h.patient, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 || sessions[0].Kind != balance.SessionSway {
		t.Fatalf("sessions %+v, want one sway test", sessions)
	}
	if slices.Contains(sessions[0].Quality, "ap_unknown") {
		t.Errorf("quality %v: ap_unknown after a walk", sessions[0].Quality)
	}
	var before, sub []balance.Sample
	for _, s := range ss {
		switch {
		case s.Time().Before(evs[0].Time):
			before = append(before, s)
		case !s.Time().After(evs[1].Time):
			sub = append(sub, s)
		}
	}
	hd := analysis.SwayForward(before, nil, 100, [3]float64{})
	if hd.Source != analysis.ForwardWalking {
		t.Fatalf("independent forward: %+v", hd)
	}
	want, err := analysis.Sway(sub, 100, analysis.SwayOptions{Forward: hd.Forward})
	if err != nil {
		t.Fatal(err)
	}
	ms := h.measurements(monitor.MeasSway)
	if len(ms) != 1 {
		t.Fatalf("%d sway measurements, want 1", len(ms))
	}
	for _, c := range []struct {
		field string
		want  float64
	}{{"rms_ml", want.ML.RMS}, {"rms_ap", want.AP.RMS}, {"jerk_ml", want.ML.Jerk}, {"test_seconds", want.TestSeconds}} {
		if got := ms[0].Fields[c.field]; !scalar.EqualWithinAbsOrRel(got, c.want, 1e-12, 1e-12) {
			t.Errorf("stored %s %v, analysis gives %v", c.field, got, c.want)
		}
	}
	var truth *sim.SwayMeasures
	for _, sg := range segs {
		if sg.Session == balance.SessionSway {
			truth = sg.Sway
		}
	}
	if truth == nil {
		t.Fatal("no sway truth")
	}
	noise := 0.02 * 0.02 * 3.5 / 50
	wantML, wantAP := math.Sqrt(truth.RMSML*truth.RMSML+noise), math.Sqrt(truth.RMSAP*truth.RMSAP+noise)
	t.Logf("RMS ML %.4f AP %.4f m/s², true+noise %.4f %.4f", want.ML.RMS, want.AP.RMS, wantML, wantAP)
	if !scalar.EqualWithinRel(want.ML.RMS, wantML, 0.05) || !scalar.EqualWithinRel(want.AP.RMS, wantAP, 0.05) {
		t.Errorf("RMS ML %.4f AP %.4f, want %.4f %.4f", want.ML.RMS, want.AP.RMS, wantML, wantAP)
	}
}
