package monitor_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
)

// flakyStore is the embedded store whose reads fail while down, or block
// until their context ends while hung (the store down or stalled under a
// backlog).
type flakyStore struct {
	balance.SampleStore
	down, hung atomic.Bool
	reads      atomic.Int64
}

func (f *flakyStore) ReadSamples(ctx context.Context, q balance.SampleQuery) ([]balance.Sample, error) {
	f.reads.Add(1)
	if f.hung.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.down.Load() {
		return nil, balance.Errorf(balance.EUNAVAILABLE, "store down")
	}
	return f.SampleStore.ReadSamples(ctx, q)
}

// TestFailedCatchUpIsRetriedUntilAnalysed: after a restart, the samples
// since the saved watermark (holding falls) are read back when the device's
// next batch arrives. With the store down that read fails; the stream goes
// on, the interval is kept as a hole, the saved watermark stays before it,
// and after a restart with the store back the hole is analysed: each fall
// alerts, once. Before, the batch was analysed past the gap and the falls
// were never looked for.
func TestFailedCatchUpIsRetriedUntilAnalysed(t *testing.T) {
	h, flaky, last, falls, startWM := afterRestartWithStoreDown(t)
	if h.mon.Stats().Holes.Load() == 0 {
		t.Fatal("the failed catch-up left no hole")
	}
	// Meanwhile the watermark that a restart would start from stays before the hole.
	h.mon.Close()
	wm, err := h.state.Watermarks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if wm[testDevice] > startWM {
		t.Errorf("saved watermark %d is past the unanalysed interval starting at %d", wm[testDevice], startWM+1)
	}
	flaky.down.Store(false)
	h.open()
	h.mon.RefillEvery = 50 * time.Millisecond
	h.start()
	h.mon.OnBatch(last)
	h.fed++
	h.waitFalls(falls, "after a restart with the store back")
}

// TestHoleRefilledWithoutRestart: the same without a restart: the worker
// re-reads the hole every RefillEvery and analyses it once the store
// answers.
func TestHoleRefilledWithoutRestart(t *testing.T) {
	h, flaky, _, falls, _ := afterRestartWithStoreDown(t)
	flaky.down.Store(false)
	h.waitFalls(falls, "once the store answered again")
}

// afterRestartWithStoreDown sets up what both hole tests start from: the
// "falls" scenario stored in full, a previous run's watermark at its first
// sample, the store's reads failing, and the monitor started and handed
// the scenario's last batch (whose catch-up read fails). It returns the
// harness, the store, the last batch, the number of falls and the saved
// watermark it started from.
func afterRestartWithStoreDown(t *testing.T) (*harness, *flakyStore, *balance.Batch, int, int64) {
	t.Helper()
	h := newHarness(t, monitor.DefaultConfig())
	flaky := &flakyStore{SampleStore: h.store}
	h.store = flaky
	h.open()
	h.mon.RefillEvery = 50 * time.Millisecond
	ctx := context.Background()
	ss, _, segs := scenario(t, named("falls"), time.Now().Add(-time.Hour).Truncate(time.Second))
	if err := h.store.WriteBatches(ctx, []*balance.Batch{{DeviceID: testDevice, PatientID: testPatient, RateHz: 100, Samples: ss}}); err != nil {
		t.Fatal(err)
	}
	if err := h.state.SaveWatermarks(ctx, map[string]int64{testDevice: ss[0].TimeNS}); err != nil {
		t.Fatal(err)
	}
	flaky.down.Store(true)
	h.start()
	last := &balance.Batch{DeviceID: testDevice, PatientID: testPatient, RateHz: 100, Samples: ss[len(ss)-100:]}
	h.mon.OnBatch(last)
	h.fed++
	h.waitIdle()
	if n := len(h.sink.kind(balance.AlertFall)); n != 0 {
		t.Fatalf("%d fall alerts while the store could not be read, want 0 (the falls are in the gap)", n)
	}
	return h, flaky, last, countFallsInTruth(segs), ss[0].TimeNS
}

// waitFalls waits until the sink holds want fall alerts and checks it
// holds exactly that many.
func (h *harness) waitFalls(want int, what string) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(h.sink.kind(balance.AlertFall)) < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(h.sink.kind(balance.AlertFall)); n != want {
		h.t.Fatalf("%d fall alerts %s, want the %d falls of the scenario", n, what, want)
	}
}

// TestCloseIsBounded: with reads stalled (a store under a backlog) and a
// queue full of batches whose catch-up reads would each wait, Close gives
// up after StopGrace, abandons the stalled reads, saves the watermarks and
// returns; the work left is counted. (A container's stop grace is 10 s.)
func TestCloseIsBounded(t *testing.T) {
	cfg := monitor.DefaultConfig()
	cfg.Workers = 1
	h := newHarness(t, cfg)
	flaky := &flakyStore{SampleStore: h.store}
	h.store = flaky
	h.open()
	h.mon.StopGrace = 300 * time.Millisecond
	ctx := context.Background()
	ss, _, _ := scenario(t, named("sway"), time.Now().Add(-time.Hour).Truncate(time.Second))
	if err := h.state.SaveWatermarks(ctx, map[string]int64{testDevice: ss[0].TimeNS}); err != nil {
		t.Fatal(err)
	}
	flaky.hung.Store(true)
	h.start()
	// Batches with gaps between them: each asks for a catch-up read, which hangs.
	for i := 100; i+10 <= len(ss); i += 200 {
		h.mon.OnBatch(&balance.Batch{DeviceID: testDevice, PatientID: testPatient, RateHz: 100, Samples: ss[i : i+10]})
	}
	for flaky.reads.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	begun := time.Now()
	done := make(chan error, 1)
	go func() { done <- h.mon.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waiting 10 s after it was called, with StopGrace 300 ms")
	}
	t.Logf("Close returned after %v with %d jobs left", time.Since(begun).Round(time.Millisecond), h.mon.Stats().LeftAtStop.Load())
	if h.mon.Stats().LeftAtStop.Load() == 0 {
		t.Error("no work counted as left, though the queue was full of stalled batches")
	}
	wm, err := h.state.Watermarks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if wm[testDevice] > ss[100].TimeNS {
		t.Errorf("saved watermark %d is past samples never analysed (from %d on)", wm[testDevice], ss[0].TimeNS)
	}
}
