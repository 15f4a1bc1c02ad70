package ingest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/spool"
)

// holdHarness is a pipeline over a fakeStore, with or without
// Deps.HoldInBroker, that records the order of acks and of OnBatch per
// batch sequence number.
type holdHarness struct {
	p     *Pipeline
	store *fakeStore
	spool *spool.Spool
	reg   *prometheus.Registry
	now   time.Time

	mu      sync.Mutex
	acked   []uint64 // seq of each ack, in order
	handed  []uint64 // seq of each batch given to OnBatch, in order
	stored  int      // samples given to OnStored
	returns int      // Handle calls that returned
}

// newHoldHarness starts a pipeline on a fake store, with a real spool
// (holding earlier, left by an earlier run) and SQLite state
// (openStateAndSpool).
func newHoldHarness(t *testing.T, hold bool, cfg Config, earlier []*balance.Batch) *holdHarness {
	t.Helper()
	state, sp := openStateAndSpool(t, 64<<20, earlier)
	h := &holdHarness{store: newFakeStore(), spool: sp, reg: prometheus.NewRegistry(), now: time.Now()}
	cfg.RetryMin, cfg.RetryMax = 5*time.Millisecond, 20*time.Millisecond
	p, err := New(cfg, Deps{Store: h.store, Registry: state, Quarantine: state, Spool: sp, Metrics: h.reg,
		Now: func() time.Time { return h.now }, HoldInBroker: hold,
		OnBatch: func(b *balance.Batch) {
			h.mu.Lock()
			h.handed = append(h.handed, b.Seq)
			h.mu.Unlock()
		},
		OnStored: func(b *balance.Batch) {
			h.mu.Lock()
			h.stored += len(b.Samples)
			h.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	p.Start()
	t.Cleanup(p.Stop)
	return h
}

// publish hands batches 0..n-1 of dev-a (100 samples each, 1 s apart from
// t0) to Handle one after the other, as one NATS partition does, in a
// goroutine; the returned channel closes when the last Handle returned.
func (h *holdHarness) publish(t0 time.Time, n int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			seq := uint64(i)
			h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", seq, t0.Add(time.Duration(i)*time.Second), 100), func() {
				h.mu.Lock()
				h.acked = append(h.acked, seq)
				h.mu.Unlock()
			})
			h.mu.Lock()
			h.returns++
			h.mu.Unlock()
		}
	}()
	return done
}

func (h *holdHarness) snapshot() (acked, handed []uint64, returns int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.acked), slices.Clone(h.handed), h.returns
}

func seqs(n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(i)
	}
	return s
}

// TestStoreOutageHoldInBroker: with a store that fails, then recovers,
// a pipeline with HoldInBroker spools nothing and acknowledges nothing
// while it fails: its queue (4 batches) fills and Handle waits, so a NATS
// partition stops pulling and the stream keeps the rest. Once the store is
// back, everything is stored and each message acknowledged once, in the
// order it came, and monitoring sees the batches in that order. Without
// the option the pipeline spools and acknowledges during the outage, as
// before.
func TestStoreOutageHoldInBroker(t *testing.T) {
	const batches = 20
	for _, tc := range []struct {
		hold bool
		// During the outage: acks and spooled samples.
		wantAcks, wantSpooled int
	}{
		{hold: true, wantAcks: 0, wantSpooled: 0},
		{hold: false, wantAcks: batches, wantSpooled: batches * 100},
	} {
		t.Run(map[bool]string{true: "hold", false: "spool"}[tc.hold], func(t *testing.T) {
			// Writes of at most 5 batches: the writer gathers whatever is
			// queued up to MaxWriteSamples, so with the default (20,000) a
			// quick publisher could hand it all 20 batches.
			h := newHoldHarness(t, tc.hold, Config{QueueBatches: 4, MaxWriteSamples: 500}, nil)
			t0 := h.now.Add(-10 * time.Minute)
			h.store.setDown(true)
			done := h.publish(t0, batches)
			if tc.hold {
				// Several retries of the held write (RetryMin 5 ms to 1 s).
				time.Sleep(1500 * time.Millisecond)
			} else {
				<-done
				waitFor(t, "acks of the spooled batches", func() bool { a, _, _ := h.snapshot(); return len(a) == batches })
			}
			acked, _, returns := h.snapshot()
			if len(acked) != tc.wantAcks {
				t.Errorf("%d acks during the outage, want %d", len(acked), tc.wantAcks)
			}
			if got := h.p.Stats().SamplesSpooled.Load(); got != int64(tc.wantSpooled) {
				t.Errorf("%d samples spooled during the outage, want %d", got, tc.wantSpooled)
			}
			if got := testutil.ToFloat64(h.p.m.spoolFull); got != 0 {
				t.Errorf("balance_ingest_spool_full = %v during the outage, want 0 (the spool is not full)", got)
			}
			if got := gaugeValue(t, h.reg, "balance_ingest_store_down"); got != 1 {
				t.Errorf("balance_ingest_store_down = %v during the outage, want 1", got)
			}
			if tc.hold {
				if h.spool.Pending() != 0 {
					t.Errorf("spool holds %d batches, want none", h.spool.Pending())
				}
				// The writer holds one write's batches (at most 5:
				// MaxWriteSamples 500) and the queue 4 more: the 10th
				// Handle call waits for room at the latest.
				if returns > 9 {
					t.Errorf("%d of %d Handle calls returned during the outage; want the rest waiting for queue room", returns, batches)
				}
				if got := testutil.ToFloat64(h.p.m.queueFull); got == 0 {
					t.Error("balance_ingest_queue_full_total = 0: Handle never waited")
				}
			}
			if h.store.count() != 0 {
				t.Fatal("the store took writes while down")
			}

			h.store.setDown(false)
			<-done
			waitFor(t, "everything stored", func() bool { return h.store.count() == batches*100 })
			waitFor(t, "every ack", func() bool { a, _, _ := h.snapshot(); return len(a) == batches })
			waitFor(t, "spool drained", func() bool { return h.spool.Pending() == 0 })
			time.Sleep(50 * time.Millisecond) // a second ack would come meanwhile
			acked, handed, _ := h.snapshot()
			if !slices.Equal(acked, seqs(batches)) {
				t.Errorf("acks by batch: %v, want each once, in order %v", acked, seqs(batches))
			}
			if !slices.Equal(handed, seqs(batches)) {
				t.Errorf("OnBatch by batch: %v, want each once, in order", handed)
			}
			if got := testutil.ToFloat64(h.p.m.spoolFull); got != 0 {
				t.Errorf("balance_ingest_spool_full = %v after recovery", got)
			}
			if got := gaugeValue(t, h.reg, "balance_ingest_store_down"); got != 0 {
				t.Errorf("balance_ingest_store_down = %v after recovery, want 0", got)
			}
			if tc.hold && h.p.Stats().SamplesSpooled.Load() != 0 {
				t.Errorf("%d samples spooled, want 0", h.p.Stats().SamplesSpooled.Load())
			}
		})
	}
}

// TestHoldInBrokerStopLeavesHeldUnacknowledged: stopping while the store is
// down returns promptly and leaves every held message unacknowledged (the
// broker delivers them again) and nothing in the spool; the Handle waiting
// for queue room returns too.
func TestHoldInBrokerStopLeavesHeldUnacknowledged(t *testing.T) {
	h := newHoldHarness(t, true, Config{QueueBatches: 4}, nil)
	h.store.setDown(true)
	done := h.publish(h.now.Add(-10*time.Minute), 10)
	time.Sleep(300 * time.Millisecond)
	stopped := time.Now()
	h.p.Stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Handle still waiting 5 s after Stop")
	}
	if d := time.Since(stopped); d > 3*time.Second {
		t.Errorf("Stop took %v while holding; want it prompt", d)
	}
	acked, handed, _ := h.snapshot()
	if len(acked) != 0 || len(handed) != 0 {
		t.Errorf("after Stop with the store down: %d acks, %d batches to OnBatch; want none (the broker has them)", len(acked), len(handed))
	}
	if h.spool.Pending() != 0 || h.p.Stats().SamplesSpooled.Load() != 0 {
		t.Errorf("spool holds %d batches (%d samples spooled), want none", h.spool.Pending(), h.p.Stats().SamplesSpooled.Load())
	}
}

// TestHoldInBrokerStopWritesQueueWhenStoreUp: at Stop with the store up,
// what is still queued is written and acknowledged, not spooled.
func TestHoldInBrokerStopWritesQueueWhenStoreUp(t *testing.T) {
	// A long linger keeps the batches queued or gathered until Stop.
	h := newHoldHarness(t, true, Config{QueueBatches: 64, Linger: time.Hour, MinWriteSamples: 1 << 20}, nil)
	<-h.publish(h.now.Add(-10*time.Minute), 10)
	h.p.Stop()
	acked, handed, _ := h.snapshot()
	if !slices.Equal(acked, seqs(10)) || !slices.Equal(handed, seqs(10)) {
		t.Errorf("at Stop: acks %v, OnBatch %v; want 0..9 each once, in order", acked, handed)
	}
	if h.store.count() != 1000 || h.p.Stats().SamplesSpooled.Load() != 0 {
		t.Errorf("%d samples stored, %d spooled; want 1000 and 0", h.store.count(), h.p.Stats().SamplesSpooled.Load())
	}
}

// TestHoldInBrokerReplaysAnEarlierSpool: a spool left by an earlier run
// without the option is still replayed (to OnBatch, which never saw it),
// and new batches are held, not spooled, while the store is down.
func TestHoldInBrokerReplaysAnEarlierSpool(t *testing.T) {
	t0 := time.Now().Add(-20 * time.Minute).Truncate(time.Second)
	var earlier []*balance.Batch
	for i := range 3 {
		b := &balance.Batch{DeviceID: "dev-a", PatientID: "p1", Seq: uint64(100 + i), RateHz: 100}
		for k := range 50 {
			b.Samples = append(b.Samples, balance.Sample{TimeNS: t0.Add(time.Duration(i)*time.Second).UnixNano() + int64(k)*10_000_000, Acc: [3]float64{0, 0, 9.81}})
		}
		earlier = append(earlier, b)
	}
	h := newHoldHarness(t, true, Config{}, earlier)
	waitFor(t, "replay of the earlier run's spool", func() bool { return h.spool.Pending() == 0 && h.store.count() == 150 })
	_, handed, _ := h.snapshot()
	if !slices.Equal(handed, []uint64{100, 101, 102}) {
		t.Errorf("OnBatch saw %v of the earlier run, want [100 101 102]", handed)
	}
	h.store.setDown(true)
	done := h.publish(h.now.Add(-10*time.Minute), 3)
	<-done
	time.Sleep(200 * time.Millisecond)
	if acked, _, _ := h.snapshot(); len(acked) != 0 || h.spool.Pending() != 0 {
		t.Errorf("store down: %d acks, %d batches spooled; want none", len(acked), h.spool.Pending())
	}
	h.store.setDown(false)
	waitFor(t, "the held batches stored", func() bool { a, _, _ := h.snapshot(); return len(a) == 3 && h.store.count() == 450 })
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stored != 0 {
		t.Errorf("OnStored saw %d samples; want 0 (nothing of this run was spooled)", h.stored)
	}
}

// gaugeValue reads the gauge name from reg.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("gauge %s not registered", name)
	return 0
}

// TestHoldInBrokerPermanentRefusal: a batch the store refuses for good
// (400) is still isolated and kept in the quarantine with HoldInBroker, and
// the good batch written with it is stored; both are acknowledged and
// nothing is spooled.
func TestHoldInBrokerPermanentRefusal(t *testing.T) {
	h := newHoldHarness(t, true, Config{Linger: 50 * time.Millisecond, MinWriteSamples: 1000}, nil)
	h.store.refuse = "dev-b"
	t0 := h.now.Add(-10 * time.Minute)
	acks := make(chan string, 2)
	h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 1, t0, 100), func() { acks <- "dev-a" })
	h.p.Handle("balance/v1/dev-b/imu", jsonBatch("dev-b", 1, t0, 100), func() { acks <- "dev-b" })
	for range 2 {
		select {
		case <-acks:
		case <-time.After(10 * time.Second):
			t.Fatal("both messages not acknowledged within 10 s")
		}
	}
	if h.store.count() != 100 {
		t.Errorf("%d samples stored, want dev-a's 100", h.store.count())
	}
	if got := testutil.ToFloat64(h.p.m.deadLettered); got != 1 {
		t.Errorf("dead-lettered batches = %v, want 1 (dev-b's)", got)
	}
	if h.spool.Pending() != 0 || h.p.Stats().SamplesSpooled.Load() != 0 {
		t.Errorf("spooled: %d batches, want none", h.spool.Pending())
	}
}
