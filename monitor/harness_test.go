package monitor_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/sqlite"
)

// fakeSink records raised alerts; Raise is idempotent on ID like the real
// one, and counts every call.
type fakeSink struct {
	mu     sync.Mutex
	alerts map[string]balance.Alert
	order  []string
	calls  int
	byKind map[string]int // Raise calls per kind
	fail   bool
}

func newSink() *fakeSink {
	return &fakeSink{alerts: map[string]balance.Alert{}, byKind: map[string]int{}}
}

func (s *fakeSink) Raise(_ context.Context, a balance.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.byKind[a.Kind]++
	if s.fail {
		return balance.Errorf(balance.EUNAVAILABLE, "sink down")
	}
	if _, ok := s.alerts[a.ID]; !ok {
		s.order = append(s.order, a.ID)
	}
	s.alerts[a.ID] = a
	return nil
}

// Resolve marks a stored alert resolved, like the real sink.
func (s *fakeSink) Resolve(_ context.Context, id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return balance.Errorf(balance.EUNAVAILABLE, "sink down")
	}
	if a, ok := s.alerts[id]; ok && a.Status != balance.AlertResolved {
		a.Status, a.ResolvedReason = balance.AlertResolved, reason
		s.alerts[id] = a
	}
	return nil
}

func (s *fakeSink) kind(k string) []balance.Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []balance.Alert
	for _, id := range s.order {
		if a := s.alerts[id]; a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

func (s *fakeSink) callCount() int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls }

func (s *fakeSink) kindCalls(k string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.byKind[k] }

// harness is a monitor over a real state database and embedded store in a
// temporary directory, fed the way ingest feeds it: store first, then hook.
type harness struct {
	t     *testing.T
	dir   string
	state *sqlite.StateDB
	store balance.SampleStore
	sink  *fakeSink
	// patient and device fed by feed and read by measurements.
	patient, device string
	mon             *monitor.Monitor
	cfg             monitor.Config
	fed             int64
}

const (
	testPatient = "p1"
	testDevice  = "d1"
)

func newHarness(t *testing.T, cfg monitor.Config) *harness {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.OpenSamples(context.Background(), filepath.Join(dir, "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newHarnessStore(t, cfg, store, testPatient, testDevice)
}

// newHarnessStore is newHarness on a given time-series store.
func newHarnessStore(t *testing.T, cfg monitor.Config, store balance.SampleStore, patient, device string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), sink: newSink(), cfg: cfg, store: store, patient: patient, device: device}
	ctx := context.Background()
	var err error
	if h.state, err = sqlite.OpenState(ctx, filepath.Join(h.dir, "state.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.state.Close() })
	if err := h.state.CreatePatient(ctx, balance.Patient{ID: patient, HeightM: 1.70}); err != nil {
		t.Fatal(err)
	}
	if err := h.state.RegisterDevice(ctx, balance.Device{ID: device, PatientID: patient}); err != nil {
		t.Fatal(err)
	}
	h.open()
	return h
}

// open (re)creates the monitor on the same databases, as a restart does.
func (h *harness) open() {
	h.t.Helper()
	var err error
	h.mon, err = monitor.New(h.cfg, monitor.Deps{Store: h.store, State: h.state, Sink: h.sink, CheckEvery: 20 * time.Millisecond})
	if err != nil {
		h.t.Fatal(err)
	}
	h.fed = 0
}

func (h *harness) start() {
	h.t.Helper()
	if err := h.mon.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { h.mon.Close() })
}

// feed stores ss in 1 s batches and hands each to the monitor, each event
// before the batch that holds its time (as devices send them).
func (h *harness) feed(ss []balance.Sample, fs float64, events []balance.DeviceEvent) {
	h.t.Helper()
	ctx := context.Background()
	per := int(fs)
	ei := 0
	for i := 0; i < len(ss); i += per {
		b := &balance.Batch{DeviceID: h.device, PatientID: h.patient, RateHz: fs, Samples: ss[i:min(i+per, len(ss))]}
		end := b.Samples[len(b.Samples)-1].TimeNS
		for ei < len(events) && events[ei].Time.UnixNano() <= end {
			e := events[ei]
			e.DeviceID, e.PatientID = h.device, h.patient
			if err := h.state.SaveEvent(ctx, e); err != nil {
				h.t.Fatal(err)
			}
			h.mon.OnEvent(e)
			ei++
		}
		if err := h.store.WriteBatches(ctx, []*balance.Batch{b}); err != nil {
			h.t.Fatal(err)
		}
		h.mon.OnBatch(b)
		h.fed++
	}
}

// waitIdle waits until the monitor has handled every batch fed and the
// periodic checks have run a few times.
func (h *harness) waitIdle() {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	st := h.mon.Stats()
	for st.Batches.Load()+st.Dropped.Load() < h.fed || st.SlowPending.Load() > 0 {
		if time.Now().After(deadline) {
			h.t.Fatalf("monitor handled %d of %d batches in 60 s (%d analyses pending)", st.Batches.Load(), h.fed, st.SlowPending.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	for st.SlowPending.Load() > 0 && time.Now().Before(deadline) { // started by ticks meanwhile
		time.Sleep(5 * time.Millisecond)
	}
}

// scenario builds a named or custom scenario and returns its samples (from
// base), session events and truth segments.
func scenario(t *testing.T, build func(s *sim.Scenario), base time.Time) ([]balance.Sample, []balance.DeviceEvent, []sim.Segment) {
	t.Helper()
	const fs = 100
	s := sim.NewScenario(sim.DefaultBody(), fs, 7)
	build(s)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	ss := s.Samples(sim.TypicalSensor(), base.UnixNano())
	var evs []balance.DeviceEvent
	for i, seg := range s.Segments() {
		if seg.Session == "" {
			continue
		}
		id := "s" + string(rune('a'+i%26)) + time.Duration(i).String()
		at := func(sec float64) time.Time {
			k := min(len(ss)-1, max(0, int(sec*fs)))
			return time.Unix(0, ss[k].TimeNS).UTC()
		}
		ex := ""
		if seg.Stance != nil && seg.Session == balance.SessionExercise {
			ex = seg.Stance.ExerciseID()
		}
		evs = append(evs,
			balance.DeviceEvent{Action: "start", Kind: seg.Session, SessionID: id, ExerciseID: ex, Time: at(seg.StartS)},
			balance.DeviceEvent{Action: "stop", Kind: seg.Session, SessionID: id, ExerciseID: ex, Time: at(seg.EndS - 1.0/fs)})
	}
	sortEvents(evs)
	return ss, evs, s.Segments()
}

func sortEvents(e []balance.DeviceEvent) {
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].Time.Before(e[j-1].Time); j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}

func named(name string) func(s *sim.Scenario) {
	return func(s *sim.Scenario) {
		n, err := sim.NamedScenario(name, sim.DefaultBody(), 100, 7)
		if err != nil {
			panic(err)
		}
		*s = *n
	}
}
