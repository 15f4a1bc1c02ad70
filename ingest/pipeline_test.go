package ingest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/spool"
	"github.com/balance-pt/balance/sqlite"
	"github.com/balance-pt/balance/wire"
)

// fakeStore is an in-memory SampleWriter for unit tests of the pipeline's
// logic; the integration tests use real InfluxDB and SQLite.
type fakeStore struct {
	mu      sync.Mutex
	down    bool   // retryable failure
	refuse  string // device whose batches get a permanent 400
	points  map[string]balance.Sample
	writes  int
	writeCh chan struct{}
	delay   time.Duration // each write takes this long (a slow store)
}

func newFakeStore() *fakeStore {
	return &fakeStore{points: map[string]balance.Sample{}, writeCh: make(chan struct{}, 1000)}
}

func (f *fakeStore) WriteBatches(_ context.Context, bs []*balance.Batch) error {
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return &balance.WriteError{Retryable: true, Err: errors.New("connection refused")}
	}
	for _, b := range bs {
		if b.DeviceID == f.refuse {
			return &balance.WriteError{StatusCode: 400, Err: errors.New("field type conflict")}
		}
	}
	for _, b := range bs {
		for _, s := range b.Samples {
			f.points[fmt.Sprintf("%s/%d", b.DeviceID, s.TimeNS)] = s
		}
	}
	f.writes++
	select {
	case f.writeCh <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeStore) setDown(v bool) { f.mu.Lock(); f.down = v; f.mu.Unlock() }
func (f *fakeStore) count() int     { f.mu.Lock(); defer f.mu.Unlock(); return len(f.points) }

type harness struct {
	p     *Pipeline
	store *fakeStore
	state *sqlite.StateDB
	spool *spool.Spool
	reg   *prometheus.Registry
	acks  atomic.Int64
	now   time.Time
	// handed and stored count the samples given to OnBatch and OnStored.
	handed, stored atomic.Int64
}

func newHarness(t *testing.T, spoolBudget int64, cfg Config) *harness {
	t.Helper()
	return newHarnessAfter(t, spoolBudget, cfg, nil)
}

// newHarnessAfter is newHarness with earlier, if any, already in the spool
// (left by an earlier run).
func newHarnessAfter(t *testing.T, spoolBudget int64, cfg Config, earlier []*balance.Batch) *harness {
	t.Helper()
	state, sp := openStateAndSpool(t, spoolBudget, earlier)
	h := &harness{store: newFakeStore(), state: state, spool: sp, reg: prometheus.NewRegistry(), now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	cfg.RetryMin, cfg.RetryMax = 5*time.Millisecond, 20*time.Millisecond
	p, err := New(cfg, Deps{Store: h.store, Registry: state, Quarantine: state, Spool: sp, Metrics: h.reg, Now: func() time.Time { return h.now },
		OnBatch:  func(b *balance.Batch) { h.handed.Add(int64(len(b.Samples))) },
		OnStored: func(b *balance.Batch) { h.stored.Add(int64(len(b.Samples))) }})
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	p.Start()
	t.Cleanup(p.Stop)
	return h
}

// openStateAndSpool opens SQLite state (patient p1, devices dev-a and
// dev-b bound to it, dev-unbound registered without a patient) and a spool
// of spoolBudget bytes holding earlier, if any (left by an earlier run),
// both closed when the test ends.
func openStateAndSpool(t *testing.T, spoolBudget int64, earlier []*balance.Batch) (*sqlite.StateDB, *spool.Spool) {
	t.Helper()
	dir := t.TempDir()
	state, err := sqlite.OpenState(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{MaxBytes: spoolBudget, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	for _, b := range earlier {
		if err := sp.Append(appendRecord(nil, b)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := state.CreatePatient(ctx, balance.Patient{ID: "p1"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []balance.Device{{ID: "dev-a", PatientID: "p1"}, {ID: "dev-b", PatientID: "p1"}, {ID: "dev-unbound"}} {
		if err := state.RegisterDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	return state, sp
}

func (h *harness) ackFn() func() { return func() { h.acks.Add(1) } }

// jsonBatch returns a valid JSON IMU payload of n samples at 100 Hz starting
// at start, made with the wire package's own encoder.
func jsonBatch(device string, seq uint64, start time.Time, n int) []byte {
	b := &balance.Batch{DeviceID: device, Seq: seq, RateHz: 100}
	for i := 0; i < n; i++ {
		b.Samples = append(b.Samples, balance.Sample{
			TimeNS: start.UnixNano() + int64(i)*10_000_000,
			Acc:    [3]float64{0.1 * float64(i%7), 9.81, -0.2},
			Gyro:   [3]float64{0.01, -0.02, 0.03 * float64(i%5)},
		})
	}
	return wire.AppendJSON(nil, b, wire.JSONOptions{})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBadInputIsRejectedAndGoodDataAroundItKept(t *testing.T) {
	h := newHarness(t, 1<<20, Config{})
	t0 := h.now.Add(-time.Minute)
	good := jsonBatch("dev-a", 1, t0, 100)
	cases := []struct {
		name, topic string
		payload     []byte
		reason      string
	}{
		{"malformed json", "balance/v1/dev-a/imu", []byte(`{"v":1,"samples":[[1,2,`), balance.EMALFORMED},
		{"nan only", "balance/v1/dev-a/imu", []byte(fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"units":{"acc":"m/s2","gyro":"rad/s"},"samples":[[NaN,0,9.8,0,0,0]]}`, t0.UnixMilli())), balance.ENONFINITE},
		{"out of range", "balance/v1/dev-a/imu", []byte(fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"units":{"acc":"m/s2","gyro":"rad/s"},"samples":[[1e6,0,9.8,0,0,0]]}`, t0.UnixMilli())), balance.ERANGE},
		{"no units", "balance/v1/dev-a/imu", []byte(fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"samples":[[0,0,9.8,0,0,0]]}`, t0.UnixMilli())), balance.EUNITS},
		{"future clock", "balance/v1/dev-a/imu", jsonBatch("dev-a", 2, h.now.Add(time.Hour), 10), balance.ECLOCK},
		{"ancient clock", "balance/v1/dev-a/imu", jsonBatch("dev-a", 3, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), 10), balance.ECLOCK},
		{"bad crc", "balance/v1/dev-a/imu", corruptCRC(t0), balance.ECRC},
		{"oversized", "balance/v1/dev-a/imu", make([]byte, wire.DefaultMaxPayloadBytes+1), balance.ETOOLARGE},
		{"unknown topic", "balance/v1/dev-a/other", good, balance.EUNKNOWNTOPIC},
		{"foreign topic", "weather/today", good, balance.EUNKNOWNTOPIC},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := testutil.ToFloat64(h.p.m.rejected.WithLabelValues(c.reason))
			acksBefore := h.acks.Load()
			h.p.Handle(c.topic, c.payload, h.ackFn())
			if got := testutil.ToFloat64(h.p.m.rejected.WithLabelValues(c.reason)) - before; got != 1 {
				t.Errorf("rejected{reason=%q} rose by %v, want 1", c.reason, got)
			}
			if h.acks.Load() != acksBefore+1 {
				t.Errorf("a rejected message must be acknowledged once")
			}
			// A good batch right after the bad one is stored; its ack comes
			// from the writer, so wait for it before the next case counts.
			h.p.Handle("balance/v1/dev-b/imu", jsonBatch("dev-b", uint64(10+i), t0.Add(time.Duration(i)*time.Second), 100), h.ackFn())
			waitFor(t, "the good batch's ack", func() bool { return h.acks.Load() == acksBefore+2 })
		})
	}
	waitFor(t, "good batches stored", func() bool { return h.store.count() == 100*len(cases) })
}

func corruptCRC(t0 time.Time) []byte {
	b := &balance.Batch{DeviceID: "dev-a", RateHz: 100}
	for i := 0; i < 10; i++ {
		b.Samples = append(b.Samples, balance.Sample{TimeNS: t0.UnixNano() + int64(i)*1e7, Acc: [3]float64{0, 0, 9.8}})
	}
	f := wire.AppendBinary(nil, b, 9.80665/2048, math.Pi/180/16.4)
	f[len(f)-1] ^= 0xff
	return f
}

func TestInvalidSamplesDroppedRestOfBatchStored(t *testing.T) {
	h := newHarness(t, 1<<20, Config{})
	t0 := h.now.Add(-time.Minute)
	payload := fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"units":{"acc":"m/s2","gyro":"rad/s"},"samples":[[0,0,9.8,0,0,0],[NaN,0,9.8,0,0,0],[0,0,9.8,0,99,0],[0,0,9.7,0,0,0]]}`, t0.UnixMilli())
	h.p.Handle("balance/v1/dev-a/imu", []byte(payload), h.ackFn())
	waitFor(t, "the two valid samples", func() bool { return h.store.count() == 2 })
	if got := testutil.ToFloat64(h.p.m.dropped.WithLabelValues(balance.ENONFINITE)); got != 1 {
		t.Errorf("dropped{non_finite} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(h.p.m.dropped.WithLabelValues(balance.ERANGE)); got != 1 {
		t.Errorf("dropped{out_of_range} = %v, want 1", got)
	}
	if h.p.Stats().Rejected.Load() != 0 {
		t.Error("a batch with valid samples was rejected")
	}
}

func TestUnknownAndUnboundDevicesAreQuarantined(t *testing.T) {
	h := newHarness(t, 1<<20, Config{})
	t0 := h.now.Add(-time.Minute)
	h.p.Handle("balance/v1/stranger/imu", jsonBatch("stranger", 1, t0, 50), h.ackFn())
	h.p.Handle("balance/v1/dev-unbound/imu", jsonBatch("dev-unbound", 1, t0, 50), h.ackFn())
	if got := testutil.ToFloat64(h.p.m.quarantined.WithLabelValues(balance.EUNKNOWNDEV)); got != 1 {
		t.Errorf("quarantined{unknown_device} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(h.p.m.quarantined.WithLabelValues("unbound_device")); got != 1 {
		t.Errorf("quarantined{unbound_device} = %v, want 1", got)
	}
	counts, err := h.state.QuarantineCounts(context.Background())
	if err != nil || counts["stranger"] != 1 || counts["dev-unbound"] != 1 {
		t.Fatalf("QuarantineCounts = %v, %v", counts, err)
	}
	if h.acks.Load() != 2 {
		t.Errorf("acks = %d, want 2 (quarantine is durable)", h.acks.Load())
	}
	time.Sleep(50 * time.Millisecond)
	if n := h.store.count(); n != 0 {
		t.Fatalf("store holds %d samples from unknown devices, want none", n)
	}
}

// TestQuarantineCannotFillTheDisk: an oversized payload from an unknown
// device is refused before it is kept (no one fills the disk through the
// quarantine), and a flood of strangers stays within the quarantine's
// byte budget, the evictions counted.
func TestQuarantineCannotFillTheDisk(t *testing.T) {
	h := newHarness(t, 1<<20, Config{})
	h.state.QuarantineMaxBytes = 20_000
	big := make([]byte, wire.DefaultMaxPayloadBytes+1)
	h.p.Handle("balance/v1/stranger/imu", big, h.ackFn())
	if got := testutil.ToFloat64(h.p.m.rejected.WithLabelValues(balance.ETOOLARGE)); got != 1 {
		t.Errorf("rejected{too_large} = %v, want 1", got)
	}
	if counts, _ := h.state.QuarantineCounts(context.Background()); counts["stranger"] != 0 {
		t.Fatalf("an oversized payload was quarantined: %v", counts)
	}
	t0 := h.now.Add(-time.Minute)
	payload := jsonBatch("stranger", 1, t0, 50)
	for i := range 100 {
		h.p.Handle(fmt.Sprintf("balance/v1/stranger-%d/imu", i), payload, h.ackFn())
	}
	all, err := h.state.Quarantined(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, q := range all {
		total += len(q.Payload)
	}
	if total > 20_000 {
		t.Errorf("quarantine holds %d bytes, over its 20,000-byte budget", total)
	}
	if got := testutil.ToFloat64(h.p.m.qEvicted); int(got) != 100-len(all) || got == 0 {
		t.Errorf("evicted metric %v, want the %d payloads no longer kept", got, 100-len(all))
	}
	if h.acks.Load() != 101 {
		t.Errorf("acks = %d, want 101 (refused and quarantined messages are acknowledged)", h.acks.Load())
	}
}

func TestSelfRegisterCreatesPatient(t *testing.T) {
	h := newHarness(t, 1<<20, Config{SelfRegister: true})
	h.p.Handle("balance/v1/sim-007/imu", jsonBatch("sim-007", 1, h.now.Add(-time.Minute), 20), h.ackFn())
	waitFor(t, "self-registered device's data", func() bool { return h.store.count() == 20 })
	d, err := h.state.Device(context.Background(), "sim-007")
	if err != nil || d.PatientID != "p-sim-007" || !d.SelfRegistered {
		t.Fatalf("Device(sim-007) = %+v, %v", d, err)
	}
}

func TestStoreOutageSpoolsThenReplaysExactlyOnce(t *testing.T) {
	h := newHarness(t, 64<<20, Config{})
	t0 := h.now.Add(-10 * time.Minute)
	h.store.setDown(true)
	const batches = 50
	for i := 0; i < batches; i++ {
		h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", uint64(i), t0.Add(time.Duration(i)*time.Second), 100), h.ackFn())
	}
	// Every message is acknowledged once durable in the spool, while the store is down.
	waitFor(t, "acks of spooled batches", func() bool { return h.acks.Load() == batches })
	if h.store.count() != 0 {
		t.Fatal("store took writes while down")
	}
	if h.spool.Pending() == 0 {
		t.Fatal("spool is empty during the outage")
	}
	// A redelivery of batch 0 (the broker resends) is harmless.
	h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 0, t0, 100), h.ackFn())
	waitFor(t, "ack of the redelivery (spooled)", func() bool { return h.acks.Load() == batches+1 })
	h.store.setDown(false)
	waitFor(t, "replay", func() bool { return h.store.count() == batches*100 && h.spool.Pending() == 0 })
	if got := h.p.Stats().SamplesStored.Load(); got < batches*100 {
		t.Errorf("SamplesStored = %d, want >= %d", got, batches*100)
	}
	// Monitoring saw every batch as it was spooled (the redelivered one
	// again: the monitor skips what it has seen), and each once more as
	// stored after the replay.
	waitFor(t, "OnStored of the replayed batches", func() bool { return h.stored.Load() == (batches+1)*100 })
	if got := h.handed.Load(); got != (batches+1)*100 {
		t.Errorf("OnBatch saw %d samples, want %d (each spooled batch once, as it was spooled)", got, (batches+1)*100)
	}
	// Direct writes resume after the drain.
	h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 99, t0.Add(5*time.Minute), 100), h.ackFn())
	waitFor(t, "direct write after replay", func() bool { return h.store.count() == batches*100+100 })
	waitFor(t, "OnBatch of the direct write", func() bool { return h.handed.Load() == (batches+2)*100 })
}

// TestSpoolOfAnEarlierRunGoesToOnBatch: batches a previous run left in the
// spool were never handed to this run's monitoring, so the replay gives
// them to OnBatch (not OnStored); batches spooled in this run go to
// OnBatch when spooled and to OnStored when replayed.
func TestSpoolOfAnEarlierRunGoesToOnBatch(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 11, 50, 0, 0, time.UTC)
	var earlier []*balance.Batch
	for i := range 3 {
		b := &balance.Batch{DeviceID: "dev-a", PatientID: "p1", Seq: uint64(i), RateHz: 100}
		for k := range 50 {
			b.Samples = append(b.Samples, balance.Sample{TimeNS: t0.Add(time.Duration(i)*time.Second).UnixNano() + int64(k)*10_000_000, Acc: [3]float64{0, 0, 9.81}})
		}
		earlier = append(earlier, b)
	}
	h := newHarnessAfter(t, 64<<20, Config{}, earlier)
	waitFor(t, "replay of the earlier run's spool", func() bool { return h.spool.Pending() == 0 && h.store.count() == 150 })
	waitFor(t, "OnBatch of the earlier run's batches", func() bool { return h.handed.Load() == 150 })
	if got := h.stored.Load(); got != 0 {
		t.Errorf("OnStored saw %d samples of the earlier run, want 0 (OnBatch never saw them)", got)
	}
	h.store.setDown(true)
	h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 7, t0.Add(time.Minute), 100), h.ackFn())
	waitFor(t, "OnBatch while the store is down", func() bool { return h.handed.Load() == 250 })
	h.store.setDown(false)
	waitFor(t, "OnStored after the replay", func() bool { return h.stored.Load() == 100 })
	if got := h.handed.Load(); got != 250 {
		t.Errorf("OnBatch saw %d samples, want 250 (the replay does not hand a batch over twice)", got)
	}
}

func TestSpoolFullHoldsAcksUntilStoreReturns(t *testing.T) {
	// A 40 KiB spool holds about 6 batches of 100 samples (5.6 KiB each).
	h := newHarness(t, 40<<10, Config{QueueBatches: 2})
	t0 := h.now.Add(-10 * time.Minute)
	h.store.setDown(true)
	const batches = 20
	var wg sync.WaitGroup
	for i := 0; i < batches; i++ {
		wg.Add(1)
		go func(i int) { // paho runs each handler in its own goroutine
			defer wg.Done()
			h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", uint64(i), t0.Add(time.Duration(i)*time.Second), 100), h.ackFn())
		}(i)
	}
	time.Sleep(300 * time.Millisecond)
	if got := h.acks.Load(); got >= batches {
		t.Fatalf("acks = %d with a full spool and the store down; some must be held back", got)
	}
	if testutil.ToFloat64(h.p.m.spoolFull) != 1 {
		t.Error("spool_full alarm not raised")
	}
	h.store.setDown(false)
	wg.Wait()
	waitFor(t, "everything stored", func() bool { return h.store.count() == batches*100 })
	waitFor(t, "every ack", func() bool { return h.acks.Load() == batches })
	// The alarm clears once nothing is held for want of spool room (it
	// used to stay 1 after recovery).
	h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 99, t0.Add(time.Hour), 100), h.ackFn())
	waitFor(t, "spool_full cleared", func() bool { return testutil.ToFloat64(h.p.m.spoolFull) == 0 })
}

// TestFullQueueWaitsInsteadOfSpooling: a store that takes 20 ms per write
// behind a 2-batch queue, and two devices' 60 batches handled as the
// subscriber's lanes do (each device's in order, the devices in parallel).
// The handlers wait for queue room (admission control): nothing goes to
// the spool, every sample is stored, and OnBatch sees each device's
// batches in the order they arrived, so monitoring has nothing to read
// back. The wait is counted.
func TestFullQueueWaitsInsteadOfSpooling(t *testing.T) {
	h := newHarness(t, 1<<20, Config{QueueBatches: 2, MinWriteSamples: 1})
	h.store.delay = 20 * time.Millisecond
	var mu sync.Mutex
	seen := map[string][]uint64{}
	h.p.deps.OnBatch = func(b *balance.Batch) {
		mu.Lock()
		seen[b.DeviceID] = append(seen[b.DeviceID], b.Seq)
		mu.Unlock()
	}
	t0 := h.now.Add(-10 * time.Minute)
	const perDevice = 30
	var wg sync.WaitGroup
	for _, dev := range []string{"dev-a", "dev-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perDevice {
				h.p.Handle("balance/v1/"+dev+"/imu", jsonBatch(dev, uint64(i), t0.Add(time.Duration(i)*time.Second), 100), h.ackFn())
			}
		}()
	}
	wg.Wait()
	waitFor(t, "everything stored", func() bool { return h.store.count() == 2*perDevice*100 })
	waitFor(t, "every ack", func() bool { return h.acks.Load() == 2*perDevice })
	if n := h.p.Stats().SamplesSpooled.Load(); n != 0 {
		t.Errorf("%d samples spooled for want of queue room; a slow store must slow ingest, not spill it", n)
	}
	if got := testutil.ToFloat64(h.p.m.queueFull); got == 0 {
		t.Error("balance_ingest_queue_full_total = 0 behind a 2-batch queue and a 20 ms store")
	}
	if got := testutil.ToFloat64(h.p.m.admissionWait); got <= 0 {
		t.Errorf("admission wait = %v s, want > 0", got)
	}
	mu.Lock()
	defer mu.Unlock()
	for dev, seqs := range seen {
		if len(seqs) != perDevice {
			t.Fatalf("%s: OnBatch saw %d batches, want %d", dev, len(seqs), perDevice)
		}
		for i, s := range seqs {
			if s != uint64(i) {
				t.Fatalf("%s: OnBatch saw batch %d in position %d: order lost", dev, s, i)
			}
		}
	}
}

func TestPermanentStoreRefusalIsolatesTheBadBatch(t *testing.T) {
	h := newHarness(t, 1<<20, Config{Linger: 50 * time.Millisecond, MinWriteSamples: 1000})
	h.store.refuse = "dev-b"
	t0 := h.now.Add(-time.Minute)
	h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 1, t0, 100), h.ackFn())
	h.p.Handle("balance/v1/dev-b/imu", jsonBatch("dev-b", 1, t0, 100), h.ackFn())
	h.p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 2, t0.Add(time.Second), 100), h.ackFn())
	waitFor(t, "dev-a stored", func() bool { return h.store.count() == 200 })
	waitFor(t, "dead letter", func() bool { return testutil.ToFloat64(h.p.m.deadLettered) == 1 })
	waitFor(t, "acks", func() bool { return h.acks.Load() == 3 })
	q, _ := h.state.Quarantined(context.Background(), "dev-b", 10)
	if len(q) != 1 || q[0].Reason != "store_refused" {
		t.Fatalf("dead-lettered batch not kept in quarantine: %+v", q)
	}
}

func TestStatusAndEventsAreStored(t *testing.T) {
	h := newHarness(t, 1<<20, Config{})
	var seen []balance.DeviceEvent
	h.p.deps.OnEvent = func(e balance.DeviceEvent) { seen = append(seen, e) }
	h.p.Handle("balance/v1/dev-a/status", wire.EncodeStatus(balance.DeviceStatus{Online: true, BatteryPct: 64, Firmware: "2.1"}), h.ackFn())
	ev := balance.DeviceEvent{Action: "start", Kind: balance.SessionSway, Time: h.now.Add(-time.Second)}
	h.p.Handle("balance/v1/dev-a/event", wire.EncodeEvent(ev), h.ackFn())
	st, err := h.state.Statuses(context.Background())
	if err != nil || len(st) != 1 || !st[0].Online || st[0].BatteryPct != 64 || st[0].Firmware != "2.1" {
		t.Fatalf("Statuses = %+v, %v", st, err)
	}
	evs, err := h.state.Events(context.Background(), "dev-a", time.Time{})
	if err != nil || len(evs) != 1 || evs[0].PatientID != "p1" || evs[0].Kind != balance.SessionSway {
		t.Fatalf("Events = %+v, %v", evs, err)
	}
	if len(seen) != 1 {
		t.Fatalf("OnEvent saw %d events, want 1", len(seen))
	}
	if h.acks.Load() != 2 {
		t.Fatalf("acks = %d, want 2", h.acks.Load())
	}
}

func TestRecordRoundTrip(t *testing.T) {
	b := &balance.Batch{DeviceID: "d", PatientID: "p", Seq: 7, RateHz: 104.5, Samples: []balance.Sample{
		{TimeNS: 1, Acc: [3]float64{math.Pi, -0, 1e-300}, Gyro: [3]float64{math.MaxFloat64, 2, 3}},
		{TimeNS: -5, Acc: [3]float64{1, 2, 3}},
	}}
	got, err := decodeRecord(appendRecord(nil, b))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", b) {
		t.Fatalf("record round trip: got %+v, want %+v", got, b)
	}
	for _, bad := range [][]byte{nil, {2}, appendRecord(nil, b)[:30]} {
		if _, err := decodeRecord(bad); err == nil {
			t.Errorf("decodeRecord(%x) accepted a malformed record", bad)
		}
	}
}

// failingQuarantine is the state DB whose quarantine writes fail.
type failingQuarantine struct{ *sqlite.StateDB }

func (failingQuarantine) Quarantine(context.Context, balance.QuarantinedPayload) (int, error) {
	return 0, errors.New("database is locked")
}

// TestDeadLetterThatCannotBeKeptIsNotAcked: when the store refuses a batch
// permanently and the quarantine cannot take it either, the batch is not
// acknowledged as dead-lettered: it goes to the spool (durable) and the
// replayer keeps it there, retrying, instead of committing it away.
func TestDeadLetterThatCannotBeKeptIsNotAcked(t *testing.T) {
	h := newHarness(t, 1<<20, Config{})
	h.p.Stop()
	p, err := New(Config{RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond}, Deps{Store: h.store, Registry: h.state, Quarantine: failingQuarantine{h.state}, Spool: h.spool, Now: func() time.Time { return h.now }})
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	defer p.Stop()
	h.store.refuse = "dev-b"
	t0 := h.now.Add(-time.Minute)
	p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 1, t0, 100), h.ackFn())
	p.Handle("balance/v1/dev-b/imu", jsonBatch("dev-b", 1, t0, 100), h.ackFn())
	waitFor(t, "dev-a stored", func() bool { return h.store.count() == 100 })
	time.Sleep(300 * time.Millisecond) // several replay rounds
	if h.acks.Load() == 2 && h.spool.Pending() == 0 {
		t.Fatal("the refused batch was acknowledged and is neither in the quarantine nor in the spool: lost")
	}
	if h.spool.Pending() != 1 {
		t.Errorf("spool holds %d batches, want the refused one kept", h.spool.Pending())
	}
}

// TestTransientRegistryFailureIsRetried: a state-database failure is
// retried in the handler until it succeeds, not left unacknowledged.
func TestTransientRegistryFailureIsRetried(t *testing.T) {
	h := newHarness(t, 1<<20, Config{})
	h.p.Stop()
	reg := &flakyRegistry{StateDB: h.state, failures: 3}
	p, err := New(Config{}, Deps{Store: h.store, Registry: reg, Quarantine: h.state, Spool: h.spool, Now: func() time.Time { return h.now }})
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	defer p.Stop()
	p.Handle("balance/v1/dev-a/imu", jsonBatch("dev-a", 1, h.now.Add(-time.Minute), 100), h.ackFn())
	waitFor(t, "stored after retries", func() bool { return h.store.count() == 100 })
	waitFor(t, "acked", func() bool { return h.acks.Load() == 1 })
	if reg.calls.Load() != 4 {
		t.Errorf("registry called %d times, want 3 failures + 1 success", reg.calls.Load())
	}
}

type flakyRegistry struct {
	*sqlite.StateDB
	failures int64
	calls    atomic.Int64
}

func (f *flakyRegistry) Device(ctx context.Context, id string) (balance.Device, error) {
	if f.calls.Add(1) <= f.failures {
		return balance.Device{}, errors.New("database is locked")
	}
	return f.StateDB.Device(ctx, id)
}
