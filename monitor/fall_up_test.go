package monitor_test

import (
	"math"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
)

// bedTurnWithThud appends to ss, at fs Hz, a wearer who stands 3 s, lies
// down (trunk 90° from upright over 3 s), lies 3 s, turns further to 160°
// over 0.5 s and lands with a 2.5 g thud (50 ms), then lies still 6 s: the
// turn in bed that the fall detector alarms when it does not know the
// wearer's up (analysis.TestFallDeclaredUp). up is the sensor-frame
// direction of standing gravity (unit); the trunk tilts about an axis ⊥ up.
func bedTurnWithThud(ss []balance.Sample, fs float64, up [3]float64, startNS int64) []balance.Sample {
	// A horizontal axis e ⊥ up; tilting by θ gives up·cosθ + e·sinθ.
	e := [3]float64{1, 0, 0}
	if math.Abs(up[0]) > 0.9 {
		e = [3]float64{0, 1, 0}
	}
	d := e[0]*up[0] + e[1]*up[1] + e[2]*up[2]
	e = [3]float64{e[0] - d*up[0], e[1] - d*up[1], e[2] - d*up[2]}
	n := math.Sqrt(e[0]*e[0] + e[1]*e[1] + e[2]*e[2])
	e = [3]float64{e[0] / n, e[1] / n, e[2] / n}
	tilt := 0.0
	t := startNS
	add := func(sec, accG, tiltEnd float64) {
		k := int(sec * fs)
		for i := 0; i < k; i++ {
			th := (tilt + (tiltEnd-tilt)*float64(i+1)/float64(k)) * math.Pi / 180
			g := accG * balance.StandardGravity
			var a [3]float64
			for j := range a {
				a[j] = g * (up[j]*math.Cos(th) + e[j]*math.Sin(th))
			}
			ss = append(ss, balance.Sample{TimeNS: t, Acc: a})
			t += int64(1e9 / fs)
		}
		tilt = tiltEnd
	}
	add(3, 1, 0)
	add(3, 1, 90)
	add(3, 1, 90)
	add(0.5, 1, 160)
	add(0.05, 2.5, 160)
	add(6, 1, 160)
	return ss
}

// TestFallUpLearnedFromWalking: the monitor learns the wearer's up from
// their free-living walking and hands it to the device's fall detector, so
// that a turn in bed ending in a thud is not a fall alert after a walk; the
// same turn before any walk (no up known: the detector's no-up behaviour)
// and after the device was silent for over an hour (the axis is forgotten)
// is alarmed.
func TestFallUpLearnedFromWalking(t *testing.T) {
	const fs = 100
	for _, tc := range []struct {
		name    string
		walk    bool
		gapNS   int64 // silence between the walk part and the turn in bed
		restart bool  // the monitor restarts between the two
		want    int
	}{
		{"after a walk", true, 0, false, 0},
		{"no walk yet", false, 0, false, 1},
		{"after a walk and 2 h of silence", true, int64(2 * time.Hour), false, 1},
		{"after a walk and a restart", true, 0, true, 0},
		{"after a walk, a restart and 2 h of silence", true, int64(2 * time.Hour), true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monitor.DefaultConfig())
			h.start()
			base := time.Now().Add(-4 * time.Hour).Truncate(time.Second)
			ss, _, _ := scenario(t, func(s *sim.Scenario) {
				s.Idle(5)
				if tc.walk {
					s.Walk(sim.WalkSpec{Steps: 30, CadenceSPM: 100, StepLengthM: 0.6, StepTimeCV: 0.02})
				}
				s.Idle(10)
			}, base)
			// Standing gravity: the mean of the last 5 s (standing still).
			var up [3]float64
			for _, s := range ss[len(ss)-5*fs:] {
				for j := range up {
					up[j] += s.Acc[j]
				}
			}
			n := math.Sqrt(up[0]*up[0] + up[1]*up[1] + up[2]*up[2])
			up = [3]float64{up[0] / n, up[1] / n, up[2] / n}
			h.feed(ss, fs, nil)
			h.waitIdle() // the walk's gait analysis has run
			if tc.restart {
				// The learned axis is stored (state database) and the next
				// run starts from it.
				h.mon.Close()
				h.open()
				h.start()
			}
			bed := bedTurnWithThud(nil, fs, up, ss[len(ss)-1].TimeNS+int64(1e9/fs)+tc.gapNS)
			h.feed(bed, fs, nil)
			h.waitIdle()
			if got := len(h.sink.kind(balance.AlertFall)); got != tc.want {
				t.Errorf("%d fall alerts, want %d", got, tc.want)
			}
		})
	}
}
