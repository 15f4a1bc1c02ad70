package monitor_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
)

// TestResumeAfterAnotherInstance: a device whose ingest partition moves to
// this instance mid-stream (the instance that had it was killed) arrives
// with samples already stored and acknowledged by the other instance, up
// to 1 s after a fall's impact, but not decided on. This monitor started
// before any of it, so it holds no watermark for the device. The fall
// must still raise exactly one alert: whether the other instance saved a
// watermark past the impact (its detector had the impact pending) or saved
// none. Without resume the fall is lost (the remaining samples hold no
// impact).
func TestResumeAfterAnotherInstance(t *testing.T) {
	const fs = 100
	for _, tc := range []struct {
		name string
		// savedAfterImpact: the other instance's saved watermark, seconds
		// after the impact; < 0: none saved.
		savedAfterImpact float64
		// replayS: this instance's first batch starts this many seconds
		// before the other's last stored sample (the messages after the
		// other's ack floor come again), 0: right after it.
		replayS float64
	}{
		{"no watermark saved", -1, 0},
		{"watermark saved just after the impact", 0.5, 0},
		{"replay from before the impact", 0.5, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monitor.DefaultConfig())
			h.start() // this instance runs from before the device's data
			base := time.Now().Add(-time.Hour).Truncate(time.Second)
			ss, _, _ := scenario(t, func(s *sim.Scenario) {
				s.Idle(10)
				s.Fall(sim.FallSpec{Kind: sim.FallForward, LieS: 20, GetUp: true})
				s.Idle(10)
			}, base)
			impact := 0
			for i, s := range ss {
				if math.Hypot(math.Hypot(s.Acc[0], s.Acc[1]), s.Acc[2]) > math.Hypot(math.Hypot(ss[impact].Acc[0], ss[impact].Acc[1]), ss[impact].Acc[2]) {
					impact = i
				}
			}
			cut := impact + fs // the other instance stored up to 1 s after the impact
			ctx := context.Background()
			b := &balance.Batch{DeviceID: h.device, PatientID: h.patient, RateHz: fs, Samples: ss[:cut]}
			if err := h.store.WriteBatches(ctx, []*balance.Batch{b}); err != nil {
				t.Fatal(err)
			}
			if tc.savedAfterImpact >= 0 {
				wm := ss[impact].TimeNS + int64(tc.savedAfterImpact*1e9)
				if err := h.state.SaveWatermarks(ctx, map[string]int64{h.device: wm}); err != nil {
					t.Fatal(err)
				}
			}
			h.feed(ss[cut-int(tc.replayS*fs):], fs, nil) // the rest reaches this instance
			h.waitIdle()
			if got := len(h.sink.kind(balance.AlertFall)); got != 1 {
				t.Errorf("%d fall alerts, want 1 (the fall the other instance stored but did not decide on)", got)
			}
			if calls := h.sink.kindCalls(balance.AlertFall); calls != 1 {
				t.Errorf("the fall alert was raised %d times, want once", calls)
			}
		})
	}
}

// TestForgetThenResume: a device this instance analysed before (A→B→A:
// its partition went to another instance and came back) has stale state:
// the other instance stored up to 1 s after a fall's impact and saved its
// watermark before deciding. After Forget (called when the partition is
// taken again) the device resumes from the saved watermark and the fall is
// raised once. (Without Forget this instance skips the other's interval
// and raises none: checked when the test was written.)
func TestForgetThenResume(t *testing.T) {
	const fs = 100
	h := newHarness(t, monitor.DefaultConfig())
	h.start()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	ss, _, _ := scenario(t, func(s *sim.Scenario) {
		s.Idle(10)
		s.Fall(sim.FallSpec{Kind: sim.FallBackward, LieS: 20, GetUp: true})
		s.Idle(10)
	}, base)
	mag := func(s balance.Sample) float64 { return math.Hypot(math.Hypot(s.Acc[0], s.Acc[1]), s.Acc[2]) }
	impact := 0
	for i := range ss {
		if mag(ss[i]) > mag(ss[impact]) {
			impact = i
		}
	}
	h.feed(ss[:5*fs], fs, nil) // this instance had the device first
	h.waitIdle()
	ctx := context.Background()
	cut := impact + fs
	b := &balance.Batch{DeviceID: h.device, PatientID: h.patient, RateHz: fs, Samples: ss[5*fs : cut]}
	if err := h.store.WriteBatches(ctx, []*balance.Batch{b}); err != nil { // the other instance
		t.Fatal(err)
	}
	if err := h.state.SaveWatermarks(ctx, map[string]int64{h.device: ss[impact].TimeNS + 5e8}); err != nil {
		t.Fatal(err)
	}
	h.mon.Forget(func(id string) bool { return id == h.device })
	h.feed(ss[cut:], fs, nil)
	h.waitIdle()
	if got := len(h.sink.kind(balance.AlertFall)); got != 1 {
		t.Errorf("%d fall alerts, want 1", got)
	}
	if calls := h.sink.kindCalls(balance.AlertFall); calls != 1 {
		t.Errorf("the fall alert was raised %d times, want once", calls)
	}
}
