package alerts

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
)

// Metrics are the alerting subsystem's Prometheus metrics. A nil *Metrics
// records nothing.
type Metrics struct {
	raisedTotal   *prometheus.CounterVec
	unrouted      *prometheus.CounterVec
	grouped       *prometheus.CounterVec
	attempts      *prometheus.CounterVec
	attemptTime   *prometheus.HistogramVec
	failedTotal   *prometheus.CounterVec
	deliveryDelay *prometheus.HistogramVec
	answers       *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg. counts, if not nil, is read on
// every scrape for the deliveries-by-state gauge.
func NewMetrics(reg prometheus.Registerer, counts func(context.Context) (map[string]int, error)) *Metrics {
	m := &Metrics{
		raisedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_alerts_raised_total", Help: "Alerts raised, by kind and severity.",
		}, []string{"kind", "severity"}),
		unrouted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_alerts_unrouted_total", Help: "Alerts that matched no recipient (stored and listed, sent to nobody), by kind and severity.",
		}, []string{"kind", "severity"}),
		grouped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_alerts_grouped_total",
			Help: "Alerts that joined a pending delivery of their group instead of getting their own, by kind and reason (initial: folded into a group notice; escalation: joined the group's escalation).",
		}, []string{"kind", "reason"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_alert_delivery_attempts_total", Help: "Delivery attempts by channel and outcome (delivered, retry, failed, gave_up, interrupted, cancelled).",
		}, []string{"channel", "outcome"}),
		attemptTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "balance_alert_delivery_attempt_seconds", Help: "Duration of delivery attempts by channel.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}),
		failedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_alert_deliveries_failed_total", Help: "Deliveries abandoned, by channel and reason (permanent: refused; deadline: gave up). Alarm on any increase.",
		}, []string{"channel", "reason"}),
		deliveryDelay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "balance_alert_delivery_delay_seconds", Help: "Time from a delivery first being due to its success (retries included), by channel.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 5, 30, 60, 300, 3600},
		}, []string{"channel"}),
	}
	m.answers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "balance_alerts_patient_answers_total", Help: "Answers to \"Are you OK?\" after a fall recorded and acted on, by answer (ok, help).",
	}, []string{"answer"})
	reg.MustRegister(m.raisedTotal, m.unrouted, m.grouped, m.attempts, m.attemptTime, m.failedTotal, m.deliveryDelay, m.answers)
	if counts != nil {
		reg.MustRegister(&stateCollector{counts: counts, desc: prometheus.NewDesc("balance_alert_deliveries",
			"Deliveries in the outbox by state (pending and delivering are not yet done).", []string{"state"}, nil)})
	}
	return m
}

func (m *Metrics) raised(a *balance.Alert) {
	if m != nil {
		m.raisedTotal.WithLabelValues(a.Kind, a.Severity).Inc()
	}
}

func (m *Metrics) unroutedAlert(a *balance.Alert) {
	if m != nil {
		m.unrouted.WithLabelValues(a.Kind, a.Severity).Inc()
	}
}

func (m *Metrics) groupedAlert(a *balance.Alert, reason string) {
	if m != nil {
		m.grouped.WithLabelValues(a.Kind, reason).Inc()
	}
}

func (m *Metrics) patientAnswer(answer string) {
	if m != nil {
		m.answers.WithLabelValues(answer).Inc()
	}
}

func (m *Metrics) attempt(channel, outcome string, d time.Duration) {
	if m != nil {
		m.attempts.WithLabelValues(channel, outcome).Inc()
		if d > 0 {
			m.attemptTime.WithLabelValues(channel).Observe(d.Seconds())
		}
	}
}

func (m *Metrics) failed(channel, reason string) {
	if m != nil {
		m.failedTotal.WithLabelValues(channel, reason).Inc()
	}
}

func (m *Metrics) delivered(channel string, due, at time.Time) {
	if m != nil {
		m.deliveryDelay.WithLabelValues(channel).Observe(max(at.Sub(due), 0).Seconds())
	}
}

type stateCollector struct {
	counts func(context.Context) (map[string]int, error)
	desc   *prometheus.Desc
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, st := range []string{StatePending, StateDelivering, StateDelivered, StateFailed, StateCancelled} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), st)
	}
}
