package monitor

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
)

// readReason says why the monitor reads samples back from the store.
type readReason int

// Why samples are read back: what was truly missed (catch-up after dropped
// batches or a restart, a late batch's surroundings, a resumed device, an
// interval a failed read left), and what the analyses read when the worker
// could not keep their samples from the stream: an exercise session (with
// its walk; sessionbuf.go: the stream missed some, its start came too
// late or before a restart, it passed Config.GaitBufferMB, it is analysed
// early or again) and an activity span's gait (spanbuf.go: the stream
// missed some, or the span passed the budget). On a clean stream within
// the budget, sessions and gait read nothing. Stance sessions (sway, the
// four-stage test, exercises) also read the 10 min before them, or after,
// for walking that gives the wearer's forward axis (SessionHeading): reason
// sway_heading, by design.
const (
	readCatchUp readReason = iota
	readLate
	readResume
	readRefill
	readSession
	readGait
	readHeading
	readReasons
)

// readReasonNames are the metric label of each readReason.
var readReasonNames = [readReasons]string{"catch_up", "late", "resume", "refill", "session", "gait", "sway_heading"}

// readCounts counts the samples read back, by reason.
type readCounts [readReasons]atomic.Int64

// read reads samples back from the store, counting them by reason. The
// reads of missed samples (readCatchUp, readLate, readRefill) are first
// allowed by the read-back limit (worker.allowRead); readResume,
// readSession and readGait are not limited (readLimiter).
func (m *Monitor) read(ctx context.Context, why readReason, q balance.SampleQuery) ([]balance.Sample, error) {
	ss, err := m.deps.Store.ReadSamples(ctx, q)
	m.stats.Read[why].Add(int64(len(ss)))
	return ss, err
}

// ReadBack returns the samples read back because they were missed (catch-up,
// late batches, resumed devices, re-read holes); reads by design (sessions,
// gait) are left out.
func (s *Stats) ReadBack() int64 {
	return s.Read[readCatchUp].Load() + s.Read[readLate].Load() + s.Read[readResume].Load() + s.Read[readRefill].Load()
}

// ReadByDesign returns the samples read back for the analyses of exercise
// sessions and activity spans whose samples could not be kept from the
// stream (0 on a clean stream within Config.GaitBufferMB;
// Stats.SessionsReadBack and Stats.GaitReadBack count those sessions and
// spans), and around stance sessions for the forward axis (sway_heading).
func (s *Stats) ReadByDesign() int64 {
	return s.Read[readSession].Load() + s.Read[readGait].Load() + s.Read[readHeading].Load()
}

// Collectors returns the monitor's Prometheus metrics, read from Stats.
func (m *Monitor) Collectors() []prometheus.Collector {
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	cs := []prometheus.Collector{
		counter("balance_monitor_batches_total", "Batches the monitor analysed as they arrived.", &m.stats.Batches),
		counter("balance_monitor_samples_total", "Samples the monitor's stream analysis took (as they arrived or read back).", &m.stats.Samples),
		counter("balance_monitor_batch_waits_total", "Batches ingest waited to hand over because the monitor's queue was full (monitoring slowing ingest instead of dropping).", &m.stats.Waits),
		counter("balance_monitor_batches_dropped_total", "Batches dropped after waiting monitor.BatchWait for queue room; their samples are read back from the store.", &m.stats.Dropped),
		counter("balance_monitor_late_batches_total", "Batches that arrived behind their device's stream (read back with their surroundings).", &m.stats.LateBatches),
		counter("balance_monitor_read_holes_total", "Read-backs that failed and are retried until analysed.", &m.stats.Holes),
		counter("balance_monitor_read_backs_deferred_total", "Reads of missed samples (catch_up, late, refill) the read-back limit (monitoring.read_back_samples_per_s) did not allow when due: their intervals are re-read when it allows.", &m.stats.ReadBacksDeferred),
	}
	vec := prometheus.NewDesc("balance_monitor_read_samples_total", "Samples the monitor read back from the store, by reason: missed (catch_up, late, resume, refill) or for analyses whose samples the stream could not keep (session: exercise sessions; gait: activity spans; both 0 on a clean stream within the sample buffer budget) or by design (sway_heading: walking around stance sessions, for the forward axis).", []string{"reason"}, nil)
	cs = append(cs, readCollector{desc: vec, counts: &m.stats.Read})
	spans := prometheus.NewDesc("balance_monitor_gait_spans_total", "Activity spans analysed for free-living gait, by where their samples came from: stream (kept as they arrived) or read_back (the stream missed some of them, or the span passed the gait buffer budget).", []string{"source"}, nil)
	cs = append(cs, spanCollector{desc: spans, stream: &m.stats.GaitFromStream, readBack: &m.stats.GaitReadBack},
		counter("balance_monitor_gait_spans_over_budget_total", "Activity spans read back because keeping their samples would have passed the sample buffer budget (monitoring.gait_buffer_mb).", &m.stats.GaitOverBudget),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "balance_monitor_gait_buffer_bytes", Help: "Memory of the samples the monitor keeps from the stream now for free-living gait spans and exercise sessions (bytes, capacity reserved; at most monitoring.gait_buffer_mb)."},
			func() float64 { return float64(m.stats.GaitBufferBytes.Load()) }))
	sessions := prometheus.NewDesc("balance_monitor_sessions_total", "Exercise session analyses, by where their samples came from: stream (kept as they arrived) or read_back (the stream missed some, the start came too late or before a restart, the session passed the sample buffer budget, or it was analysed early or again).", []string{"source"}, nil)
	cs = append(cs, spanCollector{desc: sessions, stream: &m.stats.SessionsFromStream, readBack: &m.stats.SessionsReadBack},
		counter("balance_monitor_sessions_over_budget_total", "Exercise sessions read back because keeping their samples would have passed the sample buffer budget (monitoring.gait_buffer_mb) or 30 min.", &m.stats.SessionsOverBudget))
	return cs
}

// readCollector exports readCounts as one counter vector.
type readCollector struct {
	desc   *prometheus.Desc
	counts *readCounts
}

// Describe implements prometheus.Collector.
func (c readCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c readCollector) Collect(ch chan<- prometheus.Metric) {
	for i, name := range readReasonNames {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(c.counts[i].Load()), name)
	}
}

// spanCollector exports counts of analyses by the source of their samples
// (gait spans, sessions) as one counter vector.
type spanCollector struct {
	desc             *prometheus.Desc
	stream, readBack *atomic.Int64
}

// Describe implements prometheus.Collector.
func (c spanCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c spanCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(c.stream.Load()), "stream")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(c.readBack.Load()), "read_back")
}

// reasonReader is the monitor's store as a balance.SampleReader whose
// ReadSamples are counted under one reason.
type reasonReader struct {
	balance.SampleReader
	m   *Monitor
	why readReason
}

// ReadSamples implements balance.SampleReader.
func (r reasonReader) ReadSamples(ctx context.Context, q balance.SampleQuery) ([]balance.Sample, error) {
	return r.m.read(ctx, r.why, q)
}
