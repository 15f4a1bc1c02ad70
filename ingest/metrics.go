package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the pipeline's Prometheus metrics.
type metrics struct {
	messages        *prometheus.CounterVec // by kind
	samplesIn       prometheus.Counter
	samplesStored   *prometheus.CounterVec // by path: direct, replay
	samplesSpooled  prometheus.Counter
	rejected        *prometheus.CounterVec // by reason
	dropped         *prometheus.CounterVec // samples, by reason
	quarantined     *prometheus.CounterVec // by reason
	deadLettered    prometheus.Counter
	qEvicted        prometheus.Counter
	seqMissing      prometheus.Counter
	seqRecovered    prometheus.Counter
	seqLost         prometheus.Counter
	writeSeconds    *prometheus.HistogramVec // by outcome
	writeErrors     *prometheus.CounterVec   // by retryable
	spoolFull       prometheus.Gauge
	corruptSegments prometheus.Counter
	acked           prometheus.Counter
	queueFull       prometheus.Counter
	admissionWait   prometheus.Counter
	lag             prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, p *Pipeline) *metrics {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_ingest_messages_total", Help: "MQTT messages received, by topic kind.",
		}, []string{"kind"}),
		samplesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_samples_received_total", Help: "IMU samples decoded and accepted.",
		}),
		samplesStored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_ingest_samples_stored_total", Help: "IMU samples written to the store, directly or replayed from the spool.",
		}, []string{"path"}),
		samplesSpooled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_samples_spooled_total", Help: "IMU samples appended to the disk spool.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_ingest_rejected_total", Help: "Messages rejected as bad input, by reason.",
		}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_ingest_samples_dropped_total", Help: "Samples dropped from otherwise valid batches (NaN, infinite, beyond physical range), by reason.",
		}, []string{"reason"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_ingest_quarantined_total", Help: "Messages kept aside because their device is unknown or unbound, by reason.",
		}, []string{"reason"}),
		seqMissing: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_batches_missing_total", Help: "Batches a device's counter (seq) shows were skipped, found as they were (some arrive late).",
		}),
		seqRecovered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_batches_recovered_total", Help: "Missing batches that arrived late after all.",
		}),
		seqLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_batches_lost_total", Help: "Batches lost before they reached balance (broker queue overflow, device buffer): missing for 10 minutes.",
		}),
		qEvicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_quarantine_evicted_total", Help: "Quarantined payloads removed to keep the quarantine within its byte, device and per-device budgets (oldest first).",
		}),
		deadLettered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_dead_lettered_batches_total", Help: "Batches the store refused permanently (4xx), kept in quarantine.",
		}),
		writeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "balance_ingest_write_seconds", Help: "Latency of store writes.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"outcome"}),
		writeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_ingest_write_errors_total", Help: "Failed store writes, by whether they can be retried.",
		}, []string{"retryable"}),
		corruptSegments: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_spool_corrupt_segments_total", Help: "Spool segments set aside during replay because a record in them was damaged.",
		}),
		spoolFull: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "balance_ingest_spool_full", Help: "1 while the spool's disk budget is exhausted and messages are held unacknowledged.",
		}),
		acked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_acked_total", Help: "Messages acknowledged to the broker.",
		}),
		queueFull: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_queue_full_total", Help: "Batches that found the in-memory queue full and waited for room (the store behind the stream; the broker keeps the rest).",
		}),
		admissionWait: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "balance_ingest_admission_wait_seconds_total", Help: "Seconds message handlers spent waiting for queue room: ingest taking messages at the store's pace.",
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "balance_ingest_lag_seconds", Help: "How long the oldest batch of the latest write waited between decoding and being durable (store or spool).",
		}),
	}
	queueDepth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "balance_ingest_queue_depth", Help: "Batches waiting in the in-memory queue.",
	}, func() float64 { return float64(len(p.queue)) })
	spoolBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "balance_ingest_spool_bytes", Help: "Bytes in the disk spool.",
	}, func() float64 { return float64(p.spool.Bytes()) })
	spoolRecords := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "balance_ingest_spool_batches", Help: "Batches in the disk spool waiting for the store.",
	}, func() float64 { return float64(p.spool.Pending()) })
	spoolBudget := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "balance_ingest_spool_budget_bytes", Help: "Disk budget of the spool.",
	}, func() float64 { return float64(p.spool.MaxBytes()) })
	storeDown := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "balance_ingest_store_down", Help: "1 from a failed store write until the next successful one: batches go to the spool meanwhile, or (with the broker as the buffer, NATS) are held unacknowledged in the broker.",
	}, func() float64 {
		if p.storeUp.Load() {
			return 0
		}
		return 1
	})
	if reg != nil {
		seqOpen := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "balance_ingest_batches_missing_open", Help: "Missing batches that may still arrive (0 when nothing is missing: the alarm clears).",
		}, func() float64 { return float64(p.seqs.openGaps()) })
		reg.MustRegister(seqOpen, m.seqMissing, m.seqRecovered, m.seqLost)
		reg.MustRegister(m.messages, m.samplesIn, m.samplesStored, m.samplesSpooled, m.rejected, m.dropped, m.quarantined, m.qEvicted,
			m.deadLettered, m.writeSeconds, m.writeErrors, m.spoolFull, m.corruptSegments, m.acked, m.queueFull, m.admissionWait, m.lag, queueDepth, spoolBytes, spoolRecords, spoolBudget, storeDown)
	}
	return m
}
