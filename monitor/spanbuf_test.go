package monitor_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
)

// tinyGaitBuffer is a gait buffer budget (MiB) below what one span's
// first reservation takes (the 3-s context and 10 s of samples at 100 Hz,
// 56 bytes each: 73 KB), so that every span is read back.
const tinyGaitBuffer = 0.01

// walks returns idle 5 s and a walk of steps steps, n times, then idle 6 s
// (more than gaitEndS = 3 s of stillness: each walk is a span that ends).
func walks(t *testing.T, n, steps int, base time.Time) []balance.Sample {
	t.Helper()
	ss, _, _ := scenario(t, func(s *sim.Scenario) {
		for range n {
			s.Idle(5)
			s.Walk(sim.NormalWalk(sim.DefaultBody(), steps))
		}
		s.Idle(6)
	}, base)
	return ss
}

// bouts returns the stored gait bouts without what names the patient and
// the device (harnesses on a shared store use their own), in time order.
func (h *harness) bouts() []balance.Measurement {
	h.t.Helper()
	ms := h.measurements(monitor.MeasGaitBout)
	for i := range ms {
		ms[i].PatientID = ""
		delete(ms[i].Tags, "device")
	}
	return ms
}

// metric reads one of the monitor's Prometheus series.
func (h *harness) metric(name string, labels ...string) float64 {
	h.t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.mon.Collectors()...)
	return testenv.MetricValue(h.t, reg, name, labels...)
}

// keptStats is what the counters of one kind of kept samples (gait spans
// or exercise sessions) say, each checked against its metric.
type keptStats struct {
	FromStream, ReadBack, OverBudget, BufferBytes, Read int64
}

// gaitStats and sessionStats are keptStats of gait spans and sessions.
type (
	gaitStats    = keptStats
	sessionStats = keptStats
)

// keptStats reads the counters of kind ("gait_spans" or "sessions", the
// metrics' balance_monitor_{kind}_total and _over_budget_total) and the
// samples read back for it (reason).
func (h *harness) keptStats(kind, reason string, fromStream, readBack, overBudget *atomic.Int64) keptStats {
	h.t.Helper()
	st := h.mon.Stats()
	g := keptStats{FromStream: fromStream.Load(), ReadBack: readBack.Load(), OverBudget: overBudget.Load(),
		BufferBytes: st.GaitBufferBytes.Load(), Read: int64(h.metric("balance_monitor_read_samples_total", "reason", reason))}
	for _, c := range []struct {
		metric string
		labels []string
		want   int64
	}{
		{"balance_monitor_" + kind + "_total", []string{"source", "stream"}, g.FromStream},
		{"balance_monitor_" + kind + "_total", []string{"source", "read_back"}, g.ReadBack},
		{"balance_monitor_" + kind + "_over_budget_total", nil, g.OverBudget},
		{"balance_monitor_gait_buffer_bytes", nil, g.BufferBytes},
	} {
		if m := h.metric(c.metric, c.labels...); int64(m) != c.want {
			h.t.Errorf("%s%v = %v, Stats %d", c.metric, c.labels, m, c.want)
		}
	}
	return g
}

func (h *harness) gaitStats() gaitStats {
	h.t.Helper()
	st := h.mon.Stats()
	return h.keptStats("gait_spans", "gait", &st.GaitFromStream, &st.GaitReadBack, &st.GaitOverBudget)
}

// TestGaitFromStream: free-living walks are analysed on the samples the
// monitor kept from the stream, reading nothing back, and give the same
// stored bouts, field for field, as the read-back path (analysis.Gait on
// the samples of each span's window read from the store), which a budget
// too small for any span forces on the same samples. The buffer holds
// memory while a span is open, within the budget, and none once the spans
// are analysed. A walk longer than gaitMaxS (10 min) is cut and its first
// part analysed after its 2-s after-pad has come, from the buffer too. On
// the embedded store and on InfluxDB 1.8.
func TestGaitFromStream(t *testing.T) {
	stores := []struct {
		name string
		new  func(t *testing.T, cfg monitor.Config, suffix string) *harness
	}{
		{"sqlite", func(t *testing.T, cfg monitor.Config, _ string) *harness { return newHarness(t, cfg) }},
		{"influx", func(t *testing.T, cfg monitor.Config, suffix string) *harness {
			h, _ := influxHarness(t, cfg, suffix)
			return h
		}},
	}
	walksOf := []struct {
		name     string
		n, steps int
		spans    int64 // activity spans: one a walk, two for the long one (cut at gaitMaxS)
	}{
		{"three walks", 3, 30, 3},
		{"a walk past gaitMaxS", 1, 1200, 2}, // 1200 steps at 109 spm: 660 s
	}
	for _, st := range stores {
		for _, wk := range walksOf {
			if st.name == "influx" && wk.steps > 100 {
				continue // the cut is the worker's: one store shows it
			}
			t.Run(st.name+"/"+wk.name, func(t *testing.T) {
				ss := walks(t, wk.n, wk.steps, time.Now().Add(-time.Hour).Truncate(time.Second))
				kept := st.new(t, monitor.DefaultConfig(), "kept")
				kept.start()
				// Up to the middle of the last walk: that span is open.
				mid := len(ss) - 6*100 - wk.steps*100/4
				kept.feed(ss[:mid], 100, nil)
				kept.waitIdle()
				open := kept.gaitStats()
				budget := int64(monitor.DefaultGaitBufferMB * (1 << 20))
				if open.BufferBytes <= 0 || open.BufferBytes > budget {
					t.Errorf("%d bytes buffered with a span open, want some, within the budget of %d", open.BufferBytes, budget)
				}
				kept.feed(ss[mid:], 100, nil)
				kept.waitIdle()

				cfg := monitor.DefaultConfig()
				cfg.GaitBufferMB = tinyGaitBuffer
				read := st.new(t, cfg, "read")
				read.start()
				read.feed(ss, 100, nil)
				read.waitIdle()

				if got, want := kept.gaitStats(), (gaitStats{FromStream: wk.spans}); got != want {
					t.Errorf("kept from the stream: %+v, want %+v (nothing read back, the buffer empty)", got, want)
				}
				got := read.gaitStats()
				if got.FromStream != 0 || got.ReadBack != wk.spans || got.OverBudget != wk.spans || got.Read == 0 || got.BufferBytes != 0 {
					t.Errorf("with a tiny budget: %+v, want all %d spans read back for the budget, and the buffer empty", got, wk.spans)
				}
				t.Logf("%d spans: from the stream, 0 samples read, %d bytes buffered with the last one open; read back: %d samples", wk.spans, open.BufferBytes, got.Read)
				want := read.bouts()
				if len(want) < wk.n {
					t.Fatalf("%d bouts read back, want at least one a walk (%d)", len(want), wk.n)
				}
				if diff := cmp.Diff(want, kept.bouts()); diff != "" {
					t.Errorf("bouts from the stream differ from those read back (-read +stream):\n%s", diff)
				}
			})
		}
	}
}

// TestGaitMissedSamplesReadBack: a span whose samples the stream missed in
// part (a late batch, batches dropped and caught up from the store, a
// restart in the middle of it) is read back from the store at its end, as
// before, and the spans the stream saw whole are not; a late batch or a
// drop gives the bouts a clean stream gives (the store has every sample by
// the span's end).
func TestGaitMissedSamplesReadBack(t *testing.T) {
	const steps = 30
	ss := walks(t, 3, steps, time.Now().Add(-time.Hour).Truncate(time.Second))
	clean := newHarness(t, monitor.DefaultConfig())
	clean.start()
	clean.feed(ss, 100, nil)
	clean.waitIdle()
	if g := clean.gaitStats(); g.FromStream != 3 || g.ReadBack != 0 {
		t.Fatalf("clean stream: %+v, want 3 spans from the stream", g)
	}
	want := clean.bouts()
	// The second walk is in the batches (1 s each) 5+w+5 .. 5+2w+5 for a
	// walk of w s; steps at 109 spm: w ≈ 16.5 s.
	inWalk2 := 5 + 17 + 5 + 8

	t.Run("late batch", func(t *testing.T) {
		h := newHarness(t, monitor.DefaultConfig())
		h.start()
		n := (len(ss) + 99) / 100
		var order []int
		for k := range n {
			switch k {
			case inWalk2:
				order = append(order, k+1, k) // k arrives after k+1: late
			case inWalk2 + 1:
			default:
				order = append(order, k)
			}
		}
		h.feedOrder(ss, order)
		h.waitIdle()
		if l := h.mon.Stats().LateBatches.Load(); l != 1 {
			t.Errorf("%d late batches, want 1", l)
		}
		if g := h.gaitStats(); g.FromStream != 2 || g.ReadBack != 1 || g.OverBudget != 0 || g.Read == 0 || g.BufferBytes != 0 {
			t.Errorf("%+v, want the second walk read back, the others from the stream, the buffer empty", g)
		}
		if diff := cmp.Diff(want, h.bouts()); diff != "" {
			t.Errorf("bouts differ from the clean stream's (-clean +late):\n%s", diff)
		}
	})

	t.Run("dropped batches", func(t *testing.T) {
		cfg := monitor.DefaultConfig()
		cfg.QueueLen, cfg.Workers = 1, 1
		h := newHarness(t, cfg)
		h.mon.BatchWait = time.Millisecond
		// Before the workers start: batch 0 is queued, the rest dropped
		// (stored: read back by the catch-up).
		h.feed(ss[:inWalk2*100], 100, nil)
		dropped := h.mon.Stats().Dropped.Load()
		h.start()
		for h.mon.Stats().Batches.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		h.feed(ss[inWalk2*100:], 100, nil)
		h.waitIdle()
		if dropped != int64(inWalk2-1) {
			t.Fatalf("%d batches dropped, want %d", dropped, inWalk2-1)
		}
		// The first two walks' spans reach into the caught-up gap.
		if g := h.gaitStats(); g.FromStream != 1 || g.ReadBack != 2 || g.Read == 0 || g.BufferBytes != 0 {
			t.Errorf("%+v, want the first two walks read back, the last from the stream, the buffer empty", g)
		}
		if diff := cmp.Diff(want, h.bouts()); diff != "" {
			t.Errorf("bouts differ from the clean stream's (-clean +dropped):\n%s", diff)
		}
	})

	t.Run("restart", func(t *testing.T) {
		h := newHarness(t, monitor.DefaultConfig())
		h.start()
		h.feed(ss[:inWalk2*100], 100, nil)
		h.waitIdle()
		if g := h.gaitStats(); g.FromStream != 1 || g.ReadBack != 0 {
			t.Fatalf("before the restart %+v, want the first walk from the stream", g)
		}
		if err := h.mon.Close(); err != nil {
			t.Fatal(err)
		}
		h.open()
		h.start()
		h.feed(ss[inWalk2*100:], 100, nil)
		h.waitIdle()
		// The rest of walk 2 opens a span whose context the new run did
		// not see: read back; walk 3 from the stream.
		if g := h.gaitStats(); g.FromStream != 1 || g.ReadBack != 1 || g.Read == 0 || g.BufferBytes != 0 {
			t.Errorf("after the restart %+v, want the rest of the second walk read back, the third from the stream", g)
		}
	})
}
