package monitor_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
)

// influxHarness is a harness on the shared InfluxDB 1.8 (the database is
// shared by the tests) with a patient and device of its own, "p-"+id and
// "d-"+id, id made of the clock and suffix.
func influxHarness(t *testing.T, cfg monitor.Config, suffix string) (*harness, string) {
	t.Helper()
	in := testenv.SharedInflux(t)
	s, err := influx.New(influx.Config{URL: in.URL, RawBucket: testenv.RawBucket, DerivedBucket: testenv.DerivedBucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	id := fmt.Sprint(time.Now().UnixNano(), suffix)
	return newHarnessStore(t, cfg, s, "p-"+id, "d-"+id), id
}

func (h *harness) sessionStats() sessionStats {
	h.t.Helper()
	st := h.mon.Stats()
	return h.keptStats("sessions", "session", &st.SessionsFromStream, &st.SessionsReadBack, &st.SessionsOverBudget)
}

// stored is what a run stored: its sessions and the measurements of every
// kind, without what names the patient and the device (each harness on the
// shared store has its own), in time order.
type stored struct {
	Sessions     []balance.ExerciseSession
	Measurements map[string][]balance.Measurement
}

func (h *harness) stored() stored {
	h.t.Helper()
	ss, err := h.state.ExerciseSessions(context.Background(), h.patient, time.Time{})
	if err != nil {
		h.t.Fatal(err)
	}
	for i := range ss {
		ss[i].ID, ss[i].PatientID, ss[i].DeviceID = "", "", ""
	}
	out := stored{Sessions: ss, Measurements: map[string][]balance.Measurement{}}
	for _, name := range monitor.MeasurementNames {
		if name == monitor.MeasRisk {
			continue // assessed on the wall clock
		}
		ms := h.measurements(name)
		for i := range ms {
			ms[i].PatientID = ""
			delete(ms[i].Tags, "device")
		}
		if len(ms) > 0 {
			out.Measurements[name] = ms
		}
	}
	return out
}

// allSessions is a day's protocol with every kind of session the monitor
// analyses: a sway test, a walk, a TUG, five sit-to-stands, a four-stage
// stance (tandem, 10 s) and a 30-s exercise (semi-tandem), between idle
// standing (each start and stop event comes before the batch holding its
// time, as devices send them). A free-living walk comes first, so that the
// stance sessions take their forward axis from the walking before them
// (SessionHeading; the walking after a session is in the store only if it
// is analysed late, which would make the two runs' axes differ by timing).
func allSessions(s *sim.Scenario) {
	s.Idle(3)
	s.Walk(sim.NormalWalk(sim.DefaultBody(), 40))
	s.Idle(5)
	s.Stand(30, sim.StanceCondition{Stance: sim.FeetTogether}, sim.SwayOptions{Session: balance.SessionSway, LossAtS: -1})
	s.Idle(5)
	w := sim.NormalWalk(sim.DefaultBody(), 30)
	w.Session = balance.SessionWalk
	s.Walk(w)
	s.Idle(5)
	s.SitDown()
	s.Sit(5)
	s.TUG()
	s.Sit(5)
	s.SitToStand5()
	s.Idle(5)
	s.Stand(10, sim.StanceCondition{Stance: sim.Tandem}, sim.SwayOptions{Session: balance.SessionFourStage, LossAtS: -1})
	s.Idle(3)
	s.Stand(30, sim.StanceCondition{Stance: sim.SemiTandem}, sim.SwayOptions{Session: balance.SessionExercise, LossAtS: -1})
	s.Idle(5)
}

// TestSessionsFromStream: exercise sessions of every kind are analysed on
// the samples the monitor kept from the stream, reading no session sample
// back from InfluxDB, and store the same sessions and measurements, field
// for field, as the read-back path, which a budget too small for any
// buffer (tinyGaitBuffer) forces on the same data. A session open holds
// buffer memory within the budget; none is held once all are analysed.
func TestSessionsFromStream(t *testing.T) {
	ss, evs, _ := scenario(t, allSessions, time.Now().Add(-time.Hour).Truncate(time.Second))
	n := int64(len(evs) / 2)
	if n != 6 {
		t.Fatalf("%d sessions in the scenario, want 6 (one of each kind)", n)
	}
	kept, _ := influxHarness(t, monitor.DefaultConfig(), "kept")
	kept.start()
	// Up to the middle of the sway test (after 3 s idle, a 40-step walk
	// of about 22 s and 5 s idle; 30 s long): open.
	var mid int
	for i, s := range ss {
		if s.Time().After(evs[0].Time.Add(15 * time.Second)) {
			mid = i / 100 * 100
			break
		}
	}
	kept.feed(ss[:mid], 100, evs)
	kept.waitIdle()
	open := kept.sessionStats()
	budget := int64(monitor.DefaultGaitBufferMB * (1 << 20))
	// 15 s of samples at 56 bytes, at least.
	if open.BufferBytes < 15*100*56 || open.BufferBytes > budget {
		t.Errorf("%d bytes buffered with the sway test open for 15 s, want at least %d, within the budget of %d", open.BufferBytes, 15*100*56, budget)
	}
	kept.feed(ss[mid:], 100, evs)
	kept.waitIdle()

	cfg := monitor.DefaultConfig()
	cfg.GaitBufferMB = tinyGaitBuffer
	read, _ := influxHarness(t, cfg, "read")
	read.start()
	read.feed(ss, 100, evs)
	read.waitIdle()

	if got, want := kept.sessionStats(), (sessionStats{FromStream: n}); got != want {
		t.Errorf("kept from the stream: %+v, want %+v (no session read back, the buffer empty)", got, want)
	}
	got := read.sessionStats()
	if got.FromStream != 0 || got.ReadBack != n || got.OverBudget != n || got.Read == 0 || got.BufferBytes != 0 {
		t.Errorf("with a tiny budget: %+v, want all %d sessions read back for the budget, and the buffer empty", got, n)
	}
	t.Logf("%d sessions from the stream (%d bytes buffered with the sway test open 15 s); read back: %d samples", n, open.BufferBytes, got.Read)
	want := read.stored()
	if len(want.Sessions) != int(n) {
		t.Fatalf("%d sessions stored by the read-back run, want %d", len(want.Sessions), n)
	}
	for _, name := range []string{monitor.MeasSway, monitor.MeasTUG, monitor.MeasSTS5, monitor.MeasFourStage, monitor.MeasExercise, monitor.MeasGaitBout} {
		if len(want.Measurements[name]) == 0 {
			t.Errorf("no %s measurement stored by the read-back run: the comparison would not cover it", name)
		}
	}
	if diff := cmp.Diff(want, kept.stored()); diff != "" {
		t.Errorf("what the stream's sessions stored differs from the read-back's (-read +stream):\n%s", diff)
	}
}

// feedStartLate is harness.feed with the start events handed over late:
// before the first batch ending more than delay after the start's time
// (1 s batches: delay 1 s hands it over when the stream holds about 1 s of
// the session's samples).
func (h *harness) feedStartLate(ss []balance.Sample, evs []balance.DeviceEvent, delay time.Duration) {
	h.t.Helper()
	ctx := context.Background()
	var pend []balance.DeviceEvent
	for _, e := range evs {
		e.DeviceID, e.PatientID = h.device, h.patient
		pend = append(pend, e)
	}
	due := func(e balance.DeviceEvent) time.Time {
		if e.Action == "start" {
			return e.Time.Add(delay)
		}
		return e.Time
	}
	for i := 0; i < len(ss); i += 100 {
		b := &balance.Batch{DeviceID: h.device, PatientID: h.patient, RateHz: 100, Samples: ss[i:min(i+100, len(ss))]}
		end := b.Samples[len(b.Samples)-1].TimeNS
		for len(pend) > 0 && due(pend[0]).UnixNano() <= end {
			// Stored when it arrives, as ingest does.
			if err := h.state.SaveEvent(ctx, pend[0]); err != nil {
				h.t.Fatal(err)
			}
			h.mon.OnEvent(pend[0])
			pend = pend[1:]
		}
		if err := h.store.WriteBatches(ctx, []*balance.Batch{b}); err != nil {
			h.t.Fatal(err)
		}
		h.mon.OnBatch(b)
		h.fed++
	}
}

// TestSessionStartLate: a sway test's start event arriving 1 s after the
// session's first samples (events and samples come on different topics)
// still finds them in the device's 3-s ring and is analysed from the
// stream; one arriving 10 s late is older than the ring and reads back.
// Both store what the clean stream stores.
func TestSessionStartLate(t *testing.T) {
	ss, evs, _ := scenario(t, named("sway"), time.Now().Add(-time.Hour).Truncate(time.Second))
	clean, _ := influxHarness(t, monitor.DefaultConfig(), "clean")
	clean.start()
	clean.feed(ss, 100, evs)
	clean.waitIdle()
	if g := clean.sessionStats(); g.FromStream != 1 || g.ReadBack != 0 {
		t.Fatalf("clean stream: %+v, want the sway test from the stream", g)
	}
	want := clean.stored()
	if len(want.Sessions) != 1 || len(want.Measurements[monitor.MeasSway]) != 1 {
		t.Fatalf("clean stream stored %+v, want one sway test and its measurement", want)
	}
	for _, c := range []struct {
		delay                time.Duration
		fromStream, readBack int64
	}{
		{time.Second, 1, 0},
		{10 * time.Second, 0, 1},
	} {
		t.Run(c.delay.String(), func(t *testing.T) {
			h, _ := influxHarness(t, monitor.DefaultConfig(), "late"+c.delay.String())
			h.start()
			h.feedStartLate(ss, evs, c.delay)
			h.waitIdle()
			g := h.sessionStats()
			if g.FromStream != c.fromStream || g.ReadBack != c.readBack || g.OverBudget != 0 || g.BufferBytes != 0 || (g.Read == 0) != (c.readBack == 0) {
				t.Errorf("start %v late: %+v, want %d from the stream, %d read back (samples read iff read back), the buffer empty", c.delay, g, c.fromStream, c.readBack)
			}
			if diff := cmp.Diff(want, h.stored()); diff != "" {
				t.Errorf("start %v late stored differently from the clean stream (-clean +late):\n%s", c.delay, diff)
			}
		})
	}
}

// gatedState is the state database with a gate on Events: while it is
// closed, a worker looking up stored events (a stop without a start) waits,
// so that the batches handed over meanwhile find its queue full.
type gatedState struct {
	monitor.State
	mu      sync.Mutex
	closed  chan struct{} // nil: open
	waiting atomic.Int32  // callers waiting at the gate
}

func (g *gatedState) Events(ctx context.Context, deviceID string, since time.Time) ([]balance.DeviceEvent, error) {
	g.mu.Lock()
	c := g.closed
	g.mu.Unlock()
	if c != nil {
		g.waiting.Add(1)
		<-c
		g.waiting.Add(-1)
	}
	return g.State.Events(ctx, deviceID, since)
}

func (g *gatedState) close() { g.mu.Lock(); g.closed = make(chan struct{}); g.mu.Unlock() }

func (g *gatedState) open() {
	g.mu.Lock()
	if g.closed != nil {
		close(g.closed)
		g.closed = nil
	}
	g.mu.Unlock()
}

// TestSessionDroppedBatchesReadBack: batches dropped in the middle of an
// open sway test (the worker busy, its queue full) are caught up from the
// store, so the session's buffer misses them: it is read back and stores
// what the clean stream stores.
func TestSessionDroppedBatchesReadBack(t *testing.T) {
	ss, evs, _ := scenario(t, named("sway"), time.Now().Add(-time.Hour).Truncate(time.Second))
	clean, _ := influxHarness(t, monitor.DefaultConfig(), "clean")
	clean.start()
	clean.feed(ss, 100, evs)
	clean.waitIdle()
	want := clean.stored()

	cfg := monitor.DefaultConfig()
	cfg.QueueLen, cfg.Workers = 2, 1
	h, _ := influxHarness(t, cfg, "dropped")
	gate := &gatedState{State: h.state}
	var err error
	if h.mon, err = monitor.New(cfg, monitor.Deps{Store: h.store, State: gate, Sink: h.sink, CheckEvery: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	h.mon.BatchWait = time.Millisecond
	h.start()
	// 5 s idle, then the sway test from 5 s to 35 s: its first 10 s.
	mid := 15 * 100
	h.feed(ss[:mid], 100, evs[:1])
	h.waitIdle()
	// A stop without a start sends the worker to the stored events, where
	// it waits; two batches queue, the next eight are dropped.
	gate.close()
	h.mon.OnEvent(balance.DeviceEvent{DeviceID: h.device, PatientID: h.patient, Action: "stop", Kind: balance.SessionTUG, Time: time.Unix(0, ss[mid].TimeNS)})
	for deadline := time.Now().Add(10 * time.Second); gate.waiting.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not look up the stored events for a stop without a start")
		}
	}
	h.feed(ss[mid:mid+1000], 100, nil)
	gate.open()
	if d := h.mon.Stats().Dropped.Load(); d != 8 {
		t.Fatalf("%d batches dropped, want 8 (two queued behind the waiting worker)", d)
	}
	h.feed(ss[mid+1000:], 100, evs[1:])
	h.waitIdle()
	if g := h.sessionStats(); g.FromStream != 0 || g.ReadBack != 1 || g.Read == 0 || g.BufferBytes != 0 {
		t.Errorf("%+v, want the sway test read back, the buffer empty", g)
	}
	if h.mon.Stats().CatchUpSamples.Load() == 0 {
		t.Error("nothing caught up from the store: the drop was not seen")
	}
	if diff := cmp.Diff(want, h.stored()); diff != "" {
		t.Errorf("stored differently from the clean stream (-clean +dropped):\n%s", diff)
	}
}

// TestSessionBufferReleased: the buffer of an open sway test is released
// when its device's state is dropped (Forget: another instance may have
// analysed it meanwhile) and when the monitor closes. After Forget the
// stop comes without a start this state saw: the session is found in the
// stored events and read back.
func TestSessionBufferReleased(t *testing.T) {
	ss, evs, _ := scenario(t, named("sway"), time.Now().Add(-time.Hour).Truncate(time.Second))
	mid := 20 * 100 // 5 s idle, then the sway test from 5 s to 35 s: open
	t.Run("forget", func(t *testing.T) {
		h := newHarness(t, monitor.DefaultConfig())
		h.start()
		h.feed(ss[:mid], 100, evs)
		h.waitIdle()
		if b := h.mon.Stats().GaitBufferBytes.Load(); b <= 0 {
			t.Fatalf("%d bytes buffered with the sway test open, want some", b)
		}
		h.mon.Forget(func(string) bool { return true })
		for deadline := time.Now().Add(10 * time.Second); h.mon.Stats().GaitBufferBytes.Load() != 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d bytes still buffered after Forget, want 0", h.mon.Stats().GaitBufferBytes.Load())
			}
		}
		h.feed(ss[mid:], 100, evs)
		h.waitIdle()
		if g := h.sessionStats(); g.FromStream != 0 || g.ReadBack != 1 || g.BufferBytes != 0 {
			t.Errorf("%+v, want the sway test read back (its start found in the stored events), the buffer empty", g)
		}
	})
	t.Run("close", func(t *testing.T) {
		h := newHarness(t, monitor.DefaultConfig())
		h.start()
		h.feed(ss[:mid], 100, evs)
		h.waitIdle()
		if b := h.mon.Stats().GaitBufferBytes.Load(); b <= 0 {
			t.Fatalf("%d bytes buffered with the sway test open, want some", b)
		}
		if err := h.mon.Close(); err != nil {
			t.Fatal(err)
		}
		if b := h.mon.Stats().GaitBufferBytes.Load(); b != 0 {
			t.Errorf("%d bytes buffered after Close, want 0", b)
		}
	})
}
