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
// interval a failed read left), and what the analysis reads by design
// (an exercise session, an activity span's gait).
const (
	readCatchUp readReason = iota
	readLate
	readResume
	readRefill
	readSession
	readGait
	readReasons
)

// readReasonNames are the metric label of each readReason.
var readReasonNames = [readReasons]string{"catch_up", "late", "resume", "refill", "session", "gait"}

// readCounts counts the samples read back, by reason.
type readCounts [readReasons]atomic.Int64

// read reads samples back from the store, counting them by reason.
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

// ReadByDesign returns the samples read back for analyses that work on
// stored data (exercise sessions, activity spans' gait).
func (s *Stats) ReadByDesign() int64 {
	return s.Read[readSession].Load() + s.Read[readGait].Load()
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
	}
	vec := prometheus.NewDesc("balance_monitor_read_samples_total", "Samples the monitor read back from the store, by reason: missed (catch_up, late, resume, refill) or by design (session, gait).", []string{"reason"}, nil)
	cs = append(cs, readCollector{desc: vec, counts: &m.stats.Read})
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
