package monitor_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
)

// addDevice registers one more patient and device in the harness's state
// database.
func (h *harness) addDevice(patient, device string) {
	h.t.Helper()
	ctx := context.Background()
	if err := h.state.CreatePatient(ctx, balance.Patient{ID: patient, HeightM: 1.70}); err != nil {
		h.t.Fatal(err)
	}
	if err := h.state.RegisterDevice(ctx, balance.Device{ID: device, PatientID: patient}); err != nil {
		h.t.Fatal(err)
	}
}

// fallsOf returns the fall alerts of a patient, in the order first raised.
func (s *fakeSink) fallsOf(patient string) []balance.Alert {
	var out []balance.Alert
	for _, a := range s.kind(balance.AlertFall) {
		if a.PatientID == patient {
			out = append(out, a)
		}
	}
	return out
}

// relabel returns copies of ss' batches for another device: 1-s batches.
func relabel(ss []balance.Sample, device, patient string) []*balance.Batch {
	var out []*balance.Batch
	for i := 0; i < len(ss); i += 100 {
		out = append(out, &balance.Batch{DeviceID: device, PatientID: patient, RateHz: 100, Samples: ss[i:min(i+100, len(ss))]})
	}
	return out
}

// TestReadBackLimitDefersWithoutDelayingLiveFalls: with a read-back limit
// of 2,000 samples/s (burst 60,000: one 10-min catch-up at 100 Hz), on one
// worker and InfluxDB 1.8:
//   - device A's restart catch-up of 10 min (estimated 600 s × 100 Hz =
//     60,000 samples, nothing stored) empties the bucket;
//   - device B's restart catch-up (the "falls" scenario, 5 falls in about
//     190 s = some 19,000 samples, stored) is then deferred: counted, not a
//     failure (no hole counted as failed), no fall of B raised, and B's
//     saved watermark stays at the previous run's while the hole waits;
//   - device C's live batches on the same worker (the same scenario,
//     handed over as ingest does) raise C's 5 falls meanwhile, before any
//     of B's;
//   - once the bucket holds the hole's window (about 20,000 samples: some
//     10 s at 2,000/s), refill reads it and B's 5 falls are raised, once
//     each, and the watermark saved at Close passes the hole.
func TestReadBackLimitDefersWithoutDelayingLiveFalls(t *testing.T) {
	cfg := monitor.DefaultConfig()
	cfg.Workers = 1 // C shares B's worker: what it raises did not wait for B
	cfg.ReadBackPerS = 2000
	h, id := influxHarness(t, cfg, "")
	h.mon.RefillEvery = 100 * time.Millisecond
	ctx := context.Background()
	pA, dA, pC, dC := "pa-"+id, "da-"+id, "pc-"+id, "dc-"+id
	h.addDevice(pA, dA)
	h.addDevice(pC, dC)

	ss, _, segs := scenario(t, named("falls"), time.Now().Add(-time.Hour).Truncate(time.Second))
	falls := countFallsInTruth(segs)
	if err := h.store.WriteBatches(ctx, []*balance.Batch{{DeviceID: h.device, PatientID: h.patient, RateHz: 100, Samples: ss}}); err != nil {
		t.Fatal(err)
	}
	startWM := ss[0].TimeNS
	// A: 11 min since its saved watermark, so its catch-up is the full
	// catchUpMax (10 min).
	aBatch := relabel(ss[:100], dA, pA)[0]
	if err := h.state.SaveWatermarks(ctx, map[string]int64{h.device: startWM, dA: ss[0].TimeNS - int64(11*time.Minute)}); err != nil {
		t.Fatal(err)
	}
	h.start()
	drained := time.Now()
	h.mon.OnBatch(aBatch)
	h.mon.OnBatch(&balance.Batch{DeviceID: h.device, PatientID: h.patient, RateHz: 100, Samples: ss[len(ss)-100:]})
	st := h.mon.Stats()
	for st.Batches.Load() < 2 {
		if time.Since(drained) > 10*time.Second {
			t.Fatalf("%d of 2 batches handled in 10 s", st.Batches.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st.ReadBacksDeferred.Load() == 0 {
		t.Fatal("B's catch-up was not deferred after A's emptied the bucket")
	}
	if n := st.Holes.Load(); n != 0 {
		t.Errorf("%d failed reads counted, want 0 (a deferral is not a failure)", n)
	}
	if n := len(h.sink.fallsOf(h.patient)); n != 0 {
		t.Fatalf("%d falls of B raised before the bucket refilled, want 0", n)
	}

	// C, live, on the same worker.
	for _, b := range relabel(ss, dC, pC) {
		h.mon.OnBatch(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(h.sink.fallsOf(pC)) < falls && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	liveAfter := time.Since(drained)
	if n := len(h.sink.fallsOf(pC)); n != falls {
		t.Fatalf("%d live falls of C raised, want %d", n, falls)
	}
	if n := len(h.sink.fallsOf(h.patient)); n != 0 {
		t.Fatalf("B's hole was analysed (%d falls) before C's live falls were all raised (%v after the bucket was emptied)", n, liveAfter)
	}
	t.Logf("C's %d live falls raised %v after the bucket was emptied; %d read-backs deferred so far", falls, liveAfter.Round(time.Millisecond), st.ReadBacksDeferred.Load())

	// A watermark flush after B's batch (C's watermark saved): B's stays
	// before the hole.
	for {
		wm, err := h.state.Watermarks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if wm[dC] > 0 {
			if wm[h.device] > startWM {
				t.Errorf("B's saved watermark %d is past its unanalysed hole from %d", wm[h.device], startWM+1)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no watermark flush in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(h.sink.fallsOf(h.patient)); n != 0 {
		t.Fatalf("B's hole was analysed before the flush could be checked (%v after the bucket was emptied): the test proves nothing", time.Since(drained))
	}

	// The bucket refills; refill reads the hole.
	for len(h.sink.fallsOf(h.patient)) < falls && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(h.sink.fallsOf(h.patient)); n != falls {
		t.Fatalf("%d falls of B once the bucket refilled, want %d", n, falls)
	}
	refilled := time.Since(drained)
	t.Logf("B's hole analysed %v after the bucket was emptied (its ~20,000 samples take ~10 s at 2,000/s); %d deferrals counted", refilled.Round(time.Millisecond), st.ReadBacksDeferred.Load())
	if refilled < 5*time.Second {
		t.Errorf("B's hole analysed %v after the bucket was emptied; at 2,000 samples/s its window needs about 10 s", refilled)
	}
	// Raised once each: C's first, then B's.
	order := h.sink.kind(balance.AlertFall)
	if len(order) != 2*falls || h.sink.kindCalls(balance.AlertFall) != 2*falls {
		t.Errorf("%d fall alerts in %d Raise calls, want %d each", len(order), h.sink.kindCalls(balance.AlertFall), 2*falls)
	}
	for i, a := range order {
		if want := i >= falls; (a.PatientID == h.patient) != want {
			t.Errorf("fall alert %d is %s's; want C's %d first, then B's", i, a.PatientID, falls)
		}
	}
	if n := st.HolesAbandoned.Load(); n != 0 {
		t.Errorf("%d holes given up", n)
	}
	if err := h.mon.Close(); err != nil {
		t.Fatal(err)
	}
	wm, err := h.state.Watermarks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := ss[len(ss)-1].TimeNS; wm[h.device] != last {
		t.Errorf("B's saved watermark %d after the hole was analysed, want its last sample %d", wm[h.device], last)
	}
}

// TestReadBackDefaultLimitDefersNothing: with the default limit (200,000
// samples/s, burst 200,000) a restart catch-up (the "falls" scenario, some
// 19,000 samples) and dropped batches are read at once, on InfluxDB 1.8:
// nothing is deferred and every fall is raised.
func TestReadBackDefaultLimitDefersNothing(t *testing.T) {
	t.Run("restart", func(t *testing.T) {
		h, _ := influxHarness(t, monitor.DefaultConfig(), "")
		ctx := context.Background()
		ss, _, segs := scenario(t, named("falls"), time.Now().Add(-time.Hour).Truncate(time.Second))
		if err := h.store.WriteBatches(ctx, []*balance.Batch{{DeviceID: h.device, PatientID: h.patient, RateHz: 100, Samples: ss}}); err != nil {
			t.Fatal(err)
		}
		if err := h.state.SaveWatermarks(ctx, map[string]int64{h.device: ss[0].TimeNS}); err != nil {
			t.Fatal(err)
		}
		h.start()
		h.mon.OnBatch(&balance.Batch{DeviceID: h.device, PatientID: h.patient, RateHz: 100, Samples: ss[len(ss)-100:]})
		h.fed++
		h.waitFalls(countFallsInTruth(segs), "after the restart catch-up")
		st := h.mon.Stats()
		if st.ReadBacksDeferred.Load() != 0 || st.CatchUpSamples.Load() == 0 {
			t.Errorf("%d read-backs deferred, %d samples caught up; want 0 and the scenario's", st.ReadBacksDeferred.Load(), st.CatchUpSamples.Load())
		}
	})
	t.Run("dropped batches", func(t *testing.T) {
		cfg := monitor.DefaultConfig()
		cfg.QueueLen, cfg.Workers = 1, 1
		h, _ := influxHarness(t, cfg, "")
		ss, _, segs := scenario(t, named("falls"), time.Now().Add(-time.Hour).Truncate(time.Second))
		h.mon.BatchWait = time.Millisecond
		// Before the workers start: batch 0 is queued, the rest dropped.
		h.feed(ss[:len(ss)-100], 100, nil)
		dropped := h.mon.Stats().Dropped.Load()
		h.start()
		for h.mon.Stats().Batches.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		h.feed(ss[len(ss)-100:], 100, nil)
		h.waitFalls(countFallsInTruth(segs), "with dropped batches caught up")
		st := h.mon.Stats()
		if dropped == 0 || st.ReadBacksDeferred.Load() != 0 || st.CatchUpSamples.Load() == 0 {
			t.Errorf("%d batches dropped, %d read-backs deferred, %d samples caught up; want some, 0, some", dropped, st.ReadBacksDeferred.Load(), st.CatchUpSamples.Load())
		}
	})
}

// TestReadBackLimitConfig: the limit must be > 0, finite and at most 1e9
// samples/s; 0 is the default.
func TestReadBackLimitConfig(t *testing.T) {
	for _, tc := range []struct {
		perS float64
		ok   bool
	}{
		{0, true}, {1, true}, {monitor.DefaultReadBackPerS, true}, {1e9, true},
		{-1, false}, {math.NaN(), false}, {math.Inf(1), false}, {2e9, false},
	} {
		c := monitor.DefaultConfig()
		c.ReadBackPerS = tc.perS
		err := c.Validate()
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), "monitoring.read_back_samples_per_s")) {
			t.Errorf("ReadBackPerS %v: error %v, want ok=%v (naming monitoring.read_back_samples_per_s)", tc.perS, err, tc.ok)
		}
	}
}
