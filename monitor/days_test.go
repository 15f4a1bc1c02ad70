package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
)

// TestTrendOverDays follows two simulated patients over 14 days, three
// 40-step walks a day, through the whole stream (free-living gait
// detection, analysis.Gait, gait_bout measurements) to the trend rule. The
// simulator's gait speed is cadence × step length, (112 − 30·I)/60 ×
// 0.41·1.70·(1 − 0.4·I) m/s for impairment I (sim.NormalWalk): 1.22 m/s at
// I = 0.1 and 0.98 m/s at I = 0.4. A patient whose impairment jumps from
// 0.1 to 0.4 after a week loses about 0.24 m/s, more than the 0.1 m/s MDC:
// one trend alert. A patient steady at I = 0.25 gets none.
func TestTrendOverDays(t *testing.T) {
	for _, tt := range []struct {
		name        string
		early, late float64
		want        bool
	}{
		{"deteriorating", 0.1, 0.4, true},
		{"steady", 0.25, 0.25, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, monitor.DefaultConfig())
			h.start()
			now := time.Now().UTC()
			for d := range 14 {
				imp := tt.early
				if d >= 7 {
					imp = tt.late
				}
				body := sim.BodyFor(balance.Patient{HeightM: 1.70}, imp)
				s := sim.NewScenario(body, 100, uint64(d+1))
				for range 3 {
					s.Idle(5)
					s.Walk(sim.NormalWalk(body, 40))
				}
				s.Idle(5)
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				start := now.Add(-time.Duration((13.5-float64(d))*24) * time.Hour)
				h.feed(s.Samples(sim.TypicalSensor(), start.UnixNano()), 100, nil)
			}
			h.waitIdle()
			bouts := h.measurements(monitor.MeasGaitBout)
			if len(bouts) < 14*3*8/10 {
				t.Fatalf("%d walking bouts stored, want about %d", len(bouts), 14*3)
			}
			a, ok, err := h.mon.Trend(context.Background(), testPatient, now)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want {
				t.Fatalf("trend alert %v (%+v), want %v", ok, a.Details, tt.want)
			}
			if ok {
				t.Logf("trend: %s", a.Summary)
				if a.Details["earlier_bouts"] == "" || a.Evidence[0].URL == "" {
					t.Errorf("alert lacks details or evidence: %+v", a)
				}
			}
		})
	}
}
