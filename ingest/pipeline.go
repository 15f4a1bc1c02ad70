package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/ratelog"
	"github.com/balance-pt/balance/spool"
	"github.com/balance-pt/balance/wire"
)

// Config tunes the pipeline. Zero fields take the defaults in brackets.
type Config struct {
	// QueueBatches bounds the in-memory queue between the MQTT handler and the
	// writer [4096 batches]. Size it above the broker's in-flight window.
	QueueBatches int `yaml:"queue_batches"`
	// MaxWriteSamples caps the samples of one store write [20000].
	MaxWriteSamples int `yaml:"max_write_samples"`
	// Linger is how long the writer waits for more batches when it holds
	// fewer than MinWriteSamples [10ms, 500 samples].
	Linger          time.Duration `yaml:"linger"`
	MinWriteSamples int           `yaml:"min_write_samples"`
	// WriteTimeout bounds one store write [10s].
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// RetryMin and RetryMax bound the replayer's exponential backoff with
	// full jitter while the store is down [250ms, 15s].
	RetryMin time.Duration `yaml:"retry_min"`
	RetryMax time.Duration `yaml:"retry_max"`
	// Limits bound what the decoder accepts (payload size, clock window).
	Limits wire.Limits `yaml:"-"`
	// SelfRegister lets unknown devices register themselves, each with a
	// patient of its own (the embedded demo only; never in a clinic).
	SelfRegister bool `yaml:"self_register"`
	// DeviceCacheTTL is how long a device's binding is cached [5s].
	DeviceCacheTTL time.Duration `yaml:"device_cache_ttl"`
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.QueueBatches, 4096)
	def(&c.MaxWriteSamples, 20000)
	def(&c.MinWriteSamples, 500)
	defd(&c.Linger, 10*time.Millisecond)
	defd(&c.WriteTimeout, 10*time.Second)
	defd(&c.RetryMin, 250*time.Millisecond)
	defd(&c.RetryMax, 15*time.Second)
	defd(&c.DeviceCacheTTL, 5*time.Second)
	return c
}

// Deps are what the pipeline writes to.
type Deps struct {
	Store      balance.SampleWriter
	Registry   balance.Registry
	Quarantine balance.Quarantine
	Spool      *spool.Spool
	Logger     *slog.Logger
	// Metrics registers the pipeline's Prometheus metrics (nil: none).
	Metrics prometheus.Registerer
	// Now is the clock for the decoder's time checks (nil: time.Now).
	Now func() time.Time
	// OnBatch, if set, sees every accepted batch once, as soon as it is
	// durable anywhere: in the store, or in the spool while the store is
	// down or behind. Monitoring hooks in here, so that a fall alerts
	// whatever the store does. It must not block for long.
	OnBatch func(*balance.Batch)
	// OnStored, if set, sees each batch OnBatch saw from the spool once the
	// replay has written it to the store: its samples can now be read back
	// (monitoring re-analyses sessions it analysed without them). Batches
	// spooled by an earlier run, which this run's OnBatch never saw, go to
	// OnBatch instead.
	OnStored func(*balance.Batch)
	// OnEvent, if set, sees every device event after it is stored.
	OnEvent func(balance.DeviceEvent)
	// HoldInBroker makes the pipeline never spool: while the store fails,
	// the writer holds the batches it has unacknowledged and retries the
	// store (every RetryMin doubling to 1 s); the queue fills, Handle waits
	// for room (admission control), the subscriber stops taking messages,
	// and the broker keeps them. At Stop, what the store does not take
	// stays unacknowledged (the broker delivers it again) instead of being
	// spooled. Set it when the broker is a better buffer than this
	// instance's disk: a replicated NATS JetStream stream (R3, bounded by
	// nats.retain and the stream's limits) outlives the instance and its
	// volume, and a partition that moves to another instance takes its
	// messages along; a spool would leave acknowledged data on one disk.
	// A spool left by an earlier run without it is still replayed.
	HoldInBroker bool
}

// item is a decoded batch waiting in the queue with the acks of its message.
type item struct {
	batch *balance.Batch
	ack   func()
	at    time.Time // when it was queued (ingest lag)
}

// Pipeline is the ingest path from MQTT messages to durable storage.
type Pipeline struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	rlog  *ratelog.Logger
	m     *metrics
	queue chan item
	spool *spool.Spool
	seqs  *seqGaps // batches lost before they reached balance
	// earlier counts the spool records left from an earlier run: OnBatch
	// has not seen them (replay hands them to OnBatch, not OnStored).
	earlier atomic.Int64
	devices *deviceCache
	now     func() time.Time

	decoders sync.Pool

	stats Stats

	// storeUp is false from a retryable write failure until the next
	// successful write (usually the replayer's): while it is false, the
	// writer sends every batch to the spool instead of the store (with
	// Deps.HoldInBroker it holds them and retries the store instead).
	storeUp atomic.Bool

	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
	closing  atomic.Bool
}

// Stats are running totals, readable at any time.
type Stats struct {
	Messages       atomic.Int64
	SamplesIn      atomic.Int64
	SamplesStored  atomic.Int64
	SamplesSpooled atomic.Int64
	Rejected       atomic.Int64
	Dropped        atomic.Int64 // samples dropped from accepted batches
	Quarantined    atomic.Int64
	WriteErrors    atomic.Int64
}

// New validates the configuration and returns a pipeline; Start runs it.
func New(cfg Config, deps Deps) (*Pipeline, error) {
	if deps.Store == nil || deps.Registry == nil || deps.Spool == nil || deps.Quarantine == nil {
		return nil, errors.New("ingest: Store, Registry, Quarantine and Spool are required")
	}
	cfg = cfg.withDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	p := &Pipeline{
		cfg:   cfg,
		deps:  deps,
		log:   deps.Logger,
		rlog:  ratelog.New(deps.Logger, 10*time.Second),
		queue: make(chan item, cfg.QueueBatches),
		spool: deps.Spool,
		seqs:  newSeqGaps(),
		now:   deps.Now,
		stop:  make(chan struct{}),
	}
	p.devices = newDeviceCache(deps.Registry, cfg.DeviceCacheTTL, cfg.SelfRegister, deps.Now)
	p.decoders.New = func() any { return wire.NewDecoder(cfg.Limits) }
	p.m = newMetrics(deps.Metrics, p)
	p.storeUp.Store(true)
	p.earlier.Store(deps.Spool.Pending())
	return p, nil
}

// Stats returns the running totals.
func (p *Pipeline) Stats() *Stats { return &p.stats }

// HoldsInBroker reports whether the pipeline holds messages in the broker
// instead of spooling them while the store fails (Deps.HoldInBroker).
func (p *Pipeline) HoldsInBroker() bool { return p.deps.HoldInBroker }

// QueueDepth returns the batches waiting in memory.
func (p *Pipeline) QueueDepth() int { return len(p.queue) }

// InvalidateDevice drops a cached device binding (call after bind/unbind).
func (p *Pipeline) InvalidateDevice(id string) { p.devices.invalidate(id) }

// Start runs the writer and the spool replayer until Stop.
func (p *Pipeline) Start() {
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.writeLoop() }()
	go func() { defer p.wg.Done(); p.replayLoop() }()
}

// Stop drains the queue (writing or spooling what it holds, so that the acks
// go out; with Deps.HoldInBroker writing it if the store answers, else
// leaving it unacknowledged for the broker to deliver again) and stops the
// goroutines. Stop the MQTT subscriber first.
func (p *Pipeline) Stop() {
	p.stopOnce.Do(func() {
		p.closing.Store(true)
		close(p.stop)
	})
	p.wg.Wait()
}

// reject counts and logs bad input; the message is acknowledged, because a
// redelivery would be just as bad.
func (p *Pipeline) reject(deviceID, topic string, err error, ack func()) {
	reason := balance.ErrorCode(err)
	if reason == balance.EINTERNAL {
		reason = "other"
	}
	p.m.rejected.WithLabelValues(reason).Inc()
	p.stats.Rejected.Add(1)
	p.rlog.Warn(p.now(), reason+"|"+deviceID, "rejected message", "reason", reason, "device", deviceID, "topic", topic, "err", err)
	p.ack(ack)
}

func (p *Pipeline) ack(ack func()) {
	if ack != nil {
		ack()
	}
	p.m.acked.Inc()
}

// Handle processes one MQTT message. The batch is queued; when the queue is
// full (the store behind, or failing while the spool's budget is exhausted
// or Deps.HoldInBroker is set) it waits for room (backpressure: the broker
// holds the rest, unacknowledged). ack is called once the message's data is
// durable or the message has been rejected.
func (p *Pipeline) Handle(topic string, payload []byte, ack func()) {
	p.stats.Messages.Add(1)
	deviceID, kind, err := wire.ParseTopic(topic)
	if err != nil {
		p.m.messages.WithLabelValues("unknown").Inc()
		p.reject(deviceID, topic, err, ack)
		return
	}
	p.m.messages.WithLabelValues(kind.String()).Inc()
	now := p.now()

	var dev balance.Device
	if !p.retryTransient(now, "registry", deviceID, func(ctx context.Context) error {
		dev, err = p.devices.lookup(ctx, deviceID)
		if balance.ErrorCode(err) == balance.ENOTFOUND {
			return nil
		}
		return err
	}) {
		return
	}
	switch {
	case err != nil:
		p.quarantine(deviceID, topic, balance.EUNKNOWNDEV, payload, now, ack)
		return
	case dev.PatientID == "" && kind != wire.KindStatus:
		p.quarantine(deviceID, topic, "unbound_device", payload, now, ack)
		return
	}

	switch kind {
	case wire.KindStatus:
		st, err := wire.DecodeStatus(deviceID, payload, now)
		if err != nil {
			p.reject(deviceID, topic, err, ack)
			return
		}
		if !p.retryTransient(now, "status", deviceID, func(ctx context.Context) error { return p.deps.Registry.SaveStatus(ctx, st) }) {
			return
		}
		p.ack(ack)
	case wire.KindEvent:
		ev, err := wire.DecodeEvent(deviceID, payload, now)
		if err != nil {
			p.reject(deviceID, topic, err, ack)
			return
		}
		ev.PatientID = dev.PatientID
		if !p.retryTransient(now, "event", deviceID, func(ctx context.Context) error { return p.deps.Registry.SaveEvent(ctx, ev) }) {
			return
		}
		p.ack(ack)
		if p.deps.OnEvent != nil {
			p.deps.OnEvent(ev)
		}
	case wire.KindIMU:
		b := &balance.Batch{}
		dec := p.decoders.Get().(*wire.Decoder)
		_, err := dec.DecodeIMU(deviceID, payload, now, b)
		st := dec.Stats()
		p.decoders.Put(dec)
		if err != nil {
			p.reject(deviceID, topic, err, ack)
			return
		}
		if st.Dropped() > 0 {
			p.m.dropped.WithLabelValues(balance.ENONFINITE).Add(float64(st.DroppedNonFinite))
			p.m.dropped.WithLabelValues(balance.ERANGE).Add(float64(st.DroppedOutOfRange))
			p.stats.Dropped.Add(int64(st.Dropped()))
			p.rlog.Warn(now, "dropped|"+deviceID, "dropped invalid samples, kept the rest of the batch", "device", deviceID,
				"non_finite", st.DroppedNonFinite, "out_of_range", st.DroppedOutOfRange, "kept", len(b.Samples))
		}
		b.PatientID = dev.PatientID
		p.noteSeq(deviceID, b.Seq, now)
		p.enqueue(item{batch: b, ack: ack})
	}
}

func (p *Pipeline) quarantine(deviceID, topic, reason string, payload []byte, now time.Time, ack func()) {
	// The size check comes first: no one fills the disk through the
	// quarantine with payloads the decoder would refuse anyway.
	if max := p.cfg.Limits.WithDefaults().MaxPayloadBytes; len(payload) > max {
		p.reject(deviceID, topic, balance.Errorf(balance.ETOOLARGE, "payload of %d bytes from an unknown or unbound device exceeds the limit of %d bytes", len(payload), max), ack)
		return
	}
	var evicted int
	if !p.retryTransient(now, "quarantine", deviceID, func(ctx context.Context) (err error) {
		evicted, err = p.deps.Quarantine.Quarantine(ctx, balance.QuarantinedPayload{DeviceID: deviceID, Topic: topic, Reason: reason, Payload: payload, ReceivedAt: now})
		return err
	}) {
		return
	}
	p.m.quarantined.WithLabelValues(reason).Inc()
	p.stats.Quarantined.Add(1)
	p.evicted(now, evicted)
	p.rlog.Warn(now, "quarantine|"+deviceID, "message quarantined", "reason", reason, "device", deviceID, "topic", topic)
	p.ack(ack)
}

// noteSeq follows the device's batch counter: skipped numbers are counted
// and logged (data lost before it reached balance is never silent).
func (p *Pipeline) noteSeq(deviceID string, seq uint64, now time.Time) {
	r := p.seqs.observe(deviceID, seq, now)
	if r.missing > 0 {
		p.m.seqMissing.Add(float64(r.missing))
	}
	if r.recovered > 0 {
		p.m.seqRecovered.Add(float64(r.recovered))
	}
	if r.lost > 0 {
		p.m.seqLost.Add(float64(r.lost))
	}
	if r.missing+r.lost > 0 {
		p.rlog.Warn(now, "seq-gap|"+deviceID, "batches missing from a device (its counter skipped): lost before they reached balance unless they arrive late",
			"device", deviceID, "missing", r.missing+r.lost, "seq", seq)
	}
	if r.restarted {
		p.rlog.Warn(now, "seq-restart|"+deviceID, "device's batch counter started over (device restarted)", "device", deviceID, "seq", seq)
	}
}

// evicted counts and logs quarantined payloads removed to stay in budget.
func (p *Pipeline) evicted(now time.Time, n int) {
	if n <= 0 {
		return
	}
	p.m.qEvicted.Add(float64(n))
	p.rlog.Warn(now, "quarantine-evicted", "quarantine over budget: oldest payloads removed", "evicted", n)
}

// retryTransient runs f until it succeeds, backing off from 50 ms to 5 s
// between tries, and reports true; it reports false only when the pipeline
// stops first. A message whose state write failed must not simply stay
// unacknowledged: an MQTT 3.1.1 broker redelivers it only after a
// reconnect, and meanwhile it holds one of the few in-flight slots.
func (p *Pipeline) retryTransient(now time.Time, what, deviceID string, f func(ctx context.Context) error) bool {
	wait := 50 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.WriteTimeout)
		err := f(ctx)
		cancel()
		if err == nil {
			return true
		}
		p.rlog.Warn(now, what, "state database write failed; retrying", "what", what, "device", deviceID, "err", err)
		select {
		case <-time.After(wait):
		case <-p.stop:
			return false
		}
		if wait *= 2; wait > 5*time.Second {
			wait = 5 * time.Second
		}
	}
}

// enqueue hands a decoded batch to the writer. When the queue is full the
// store is slower than the stream: Handle waits for room (admission
// control). Its lane fills, the subscriber stops reading, and the broker
// keeps the rest behind its in-flight window, so memory stays bounded and
// every batch reaches the store and the monitor in its device's order; the
// pipeline lags instead of collapsing. (Spilling the overflow to the spool,
// as ingest once did, handed batches to monitoring out of order and made it
// read them back from the store, doubling the store's work when it could
// least afford it.) The spool is for a store that fails, not a slow one.
func (p *Pipeline) enqueue(it item) {
	n := int64(len(it.batch.Samples))
	p.stats.SamplesIn.Add(n)
	p.m.samplesIn.Add(float64(n))
	it.at = time.Now()
	select {
	case p.queue <- it:
		return
	default:
	}
	p.m.queueFull.Inc()
	p.rlog.Warn(p.now(), "queue-full", "ingest queue full: the store is behind the stream; taking messages at its pace (the broker keeps the rest)", "queue", cap(p.queue))
	select {
	case p.queue <- it:
	case <-p.stop:
		// Shutting down: leave it unacknowledged; the broker redelivers it.
	}
	p.m.admissionWait.Add(time.Since(it.at).Seconds())
}

func (p *Pipeline) spooled(n int64) {
	p.stats.SamplesSpooled.Add(n)
	p.m.samplesSpooled.Add(float64(n))
}

// writeLoop is the single writer: it gathers queued batches into writes.
func (p *Pipeline) writeLoop() {
	var items []item
	for {
		items = items[:0]
		select {
		case it := <-p.queue:
			items = append(items, it)
		case <-p.stop:
			p.drainOnStop()
			return
		}
		samples := len(items[0].batch.Samples)
		linger := time.NewTimer(p.cfg.Linger)
	gather:
		for samples < p.cfg.MaxWriteSamples {
			select {
			case it := <-p.queue:
				items = append(items, it)
				samples += len(it.batch.Samples)
			default:
				if samples >= p.cfg.MinWriteSamples {
					break gather
				}
				select {
				case it := <-p.queue:
					items = append(items, it)
					samples += len(it.batch.Samples)
				case <-linger.C:
					break gather
				case <-p.stop:
					break gather
				}
			}
		}
		linger.Stop()
		p.flush(items)
	}
}

func (p *Pipeline) drainOnStop() {
	var items []item
	for {
		select {
		case it := <-p.queue:
			items = append(items, it)
		default:
			switch {
			case len(items) == 0:
			case p.deps.HoldInBroker:
				p.writeAtStop(items)
			default:
				p.spoolAtStop(items)
			}
			return
		}
	}
}

// writeAtStop writes what is still queued at a stop to the store, in writes
// of at most MaxWriteSamples, if the store answers (Deps.HoldInBroker: no
// spool). What it does not take stays unacknowledged: the broker delivers it
// again, to this instance after a restart or to the next owner.
func (p *Pipeline) writeAtStop(items []item) {
	for len(items) > 0 {
		k, n := 0, 0
		for k < len(items) && (k == 0 || n+len(items[k].batch.Samples) <= p.cfg.MaxWriteSamples) {
			n += len(items[k].batch.Samples)
			k++
		}
		bs, _ := batchesOf(items[:k])
		if !p.storeUp.Load() || p.write(bs) != nil {
			p.log.Warn("store unavailable at stop: leaving the queued messages unacknowledged; the broker delivers them again", "batches", len(items))
			return
		}
		p.stored("direct", n)
		p.ackAll(items[:k], bs)
		items = items[k:]
	}
}

// spoolAtStop makes what is still queued at a stop durable in the spool
// (local disk: fast whatever the store does, so that a stop stays bounded);
// the next start replays it. If the spool refuses, the messages stay
// unacknowledged and the broker redelivers them.
func (p *Pipeline) spoolAtStop(items []item) {
	bs, n := batchesOf(items)
	recs := make([][]byte, len(bs))
	for i, b := range bs {
		recs[i] = appendRecord(nil, b)
	}
	if err := p.spool.Append(recs...); err != nil {
		p.log.Warn("could not spool the queue at stop; the broker redelivers it", "batches", len(bs), "err", err)
		return
	}
	p.spooled(int64(n))
	p.ackAll(items, bs)
}

func batchesOf(items []item) ([]*balance.Batch, int) {
	bs := make([]*balance.Batch, len(items))
	n := 0
	for i, it := range items {
		bs[i] = it.batch
		n += len(it.batch.Samples)
	}
	return bs, n
}

// write writes batches to the store, timing and counting the outcome.
func (p *Pipeline) write(bs []*balance.Batch) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.WriteTimeout)
	defer cancel()
	start := time.Now()
	err := p.deps.Store.WriteBatches(ctx, bs)
	outcome := "ok"
	if err != nil {
		outcome = "error"
		p.stats.WriteErrors.Add(1)
		p.m.writeErrors.WithLabelValues(fmt.Sprint(retryable(err))).Inc()
	}
	p.m.writeSeconds.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	return err
}

func retryable(err error) bool {
	var we *balance.WriteError
	if errors.As(err, &we) {
		return we.Retryable
	}
	return true
}

func (p *Pipeline) stored(path string, n int) {
	p.stats.SamplesStored.Add(int64(n))
	p.m.samplesStored.WithLabelValues(path).Add(float64(n))
}

// flush makes items durable, then acknowledges them: directly in the store
// while it answers, else in the spool (with Deps.HoldInBroker: else it holds
// them, unacknowledged, until the store takes them; see hold). A backlog in
// the spool (from an outage) is drained by the replayer in its own order
// meanwhile; the order of writes does not matter to the stores, which key
// points by device time.
func (p *Pipeline) flush(items []item) {
	defer p.noteLag(items[0].at)
	bs, n := batchesOf(items)
	if p.storeUp.Load() {
		err := p.write(bs)
		if err == nil {
			p.m.spoolFull.Set(0) // nothing is held for want of spool room
			p.stored("direct", n)
			p.ackAll(items, bs)
			return
		}
		if !retryable(err) {
			if items = p.refused(items, bs, err); len(items) == 0 {
				return
			}
			bs, n = batchesOf(items)
		}
		p.storeUp.Store(false)
		if p.deps.HoldInBroker {
			p.rlog.Warn(p.now(), "store-down", "store write failed; holding messages unacknowledged in the broker until it recovers (nothing spooled)", "samples", n, "err", err)
		} else {
			p.rlog.Warn(p.now(), "store-down", "store write failed; spooling to disk until it recovers", "samples", n, "err", err)
		}
	}
	if p.deps.HoldInBroker {
		p.hold(items)
		return
	}
	recs := make([][]byte, len(bs))
	for i, b := range bs {
		recs[i] = appendRecord(nil, b)
	}
	for {
		err := p.spool.Append(recs...)
		if err == nil {
			p.m.spoolFull.Set(0)
			p.spooled(int64(n))
			p.ackAll(items, bs) // durable in the spool: monitoring need not wait for the store
			return
		}
		if errors.Is(err, spool.ErrFull) {
			p.m.spoolFull.Set(1)
			p.rlog.Warn(p.now(), "spool-full", "spool disk budget exhausted: holding messages unacknowledged until the store recovers", "spool_bytes", p.spool.Bytes(), "budget_bytes", p.spool.MaxBytes())
		} else {
			p.rlog.Warn(p.now(), "spool", "spool append failed; retrying", "err", err)
		}
		// Meanwhile try the store directly: it may be back.
		select {
		case <-time.After(time.Second):
		case <-p.stop:
			if p.closing.Load() {
				// Leave unacknowledged; the broker redelivers after restart.
				return
			}
		}
		if err := p.write(bs); err == nil {
			p.storeUp.Store(true)
			p.m.spoolFull.Set(0)
			p.stored("direct", n)
			p.ackAll(items, bs)
			return
		}
	}
}

// refused handles a write of items (batches bs) the store refused
// permanently (see deadLetter): it acknowledges the items kept (in the
// store or the quarantine) and returns those that could not be kept, to be
// retried.
func (p *Pipeline) refused(items []item, bs []*balance.Batch, err error) []item {
	_, failed := p.deadLetter(bs, err, "direct")
	if len(failed) == 0 {
		p.ackAll(items, nil)
		return nil
	}
	held := map[*balance.Batch]bool{}
	for _, b := range failed {
		held[b] = true
	}
	var rest []item
	for _, it := range items {
		if held[it.batch] {
			rest = append(rest, it)
		} else {
			p.ack(it.ack)
		}
	}
	return rest
}

// holdMaxWait caps the wait between the held write's retries: the store is
// tried again at most this long after it is back.
const holdMaxWait = time.Second

// hold is flush's path with Deps.HoldInBroker while the store fails: it
// keeps items unacknowledged and retries their write (after RetryMin,
// doubling to holdMaxWait) until the store takes them, then acknowledges
// them. Meanwhile the queue fills and Handle waits, so the subscriber stops
// taking messages and the broker keeps the rest; the order of batches is
// kept. balance_ingest_store_down is 1 meanwhile. At Stop it returns with
// items unacknowledged: the broker delivers them again.
func (p *Pipeline) hold(items []item) {
	bs, n := batchesOf(items)
	since := time.Now()
	wait := p.cfg.RetryMin
	for {
		select {
		case <-time.After(wait):
		case <-p.stop:
			p.log.Warn("stopping while the store is down: held messages left unacknowledged; the broker delivers them again", "batches", len(items)+len(p.queue))
			return
		}
		err := p.write(bs)
		if err == nil {
			p.storeUp.Store(true)
			p.stored("direct", n)
			p.ackAll(items, bs)
			p.log.Info("store answers again; held messages stored and acknowledged", "held_for", time.Since(since).Round(time.Millisecond), "batches", len(items))
			return
		}
		if !retryable(err) {
			if items = p.refused(items, bs, err); len(items) == 0 {
				p.storeUp.Store(true) // it answered
				return
			}
			bs, n = batchesOf(items)
		}
		p.rlog.Warn(p.now(), "store-held", "store still unavailable; messages held unacknowledged in the broker", "held_batches", len(items)+len(p.queue), "held_for", time.Since(since).Round(time.Second), "err", err)
		wait = min(2*wait, holdMaxWait)
	}
}

// noteLag records how long the oldest batch of a write waited between
// arrival and durability.
func (p *Pipeline) noteLag(at time.Time) {
	if !at.IsZero() {
		p.m.lag.Set(time.Since(at).Seconds())
	}
}

// ackAll acknowledges items and hands the batches made durable (in the
// store or the spool) to OnBatch.
func (p *Pipeline) ackAll(items []item, durable []*balance.Batch) {
	for _, it := range items {
		p.ack(it.ack)
	}
	p.handOver(durable)
}

// handOver gives durable batches to OnBatch, each once.
func (p *Pipeline) handOver(bs []*balance.Batch) {
	if p.deps.OnBatch == nil {
		return
	}
	for _, b := range bs {
		p.deps.OnBatch(b)
	}
}

// replayed tells the hooks that spooled batches are now in the store:
// those spooled by an earlier run go to OnBatch (never seen), the others
// to OnStored.
func (p *Pipeline) replayed(bs []*balance.Batch, records int) {
	fromEarlier := int(min(p.earlier.Load(), int64(records)))
	if fromEarlier > 0 {
		p.earlier.Add(-int64(fromEarlier))
	}
	fromEarlier = min(fromEarlier, len(bs))
	p.handOver(bs[:fromEarlier])
	if p.deps.OnStored != nil {
		for _, b := range bs[fromEarlier:] {
			p.deps.OnStored(b)
		}
	}
}

// deadLetter handles a write the store refused permanently: each batch is
// retried alone so that one bad batch does not take others with it, and the
// ones still refused are kept in the quarantine with their reason. It
// returns the batches it could not make durable anywhere (store, spool or
// quarantine): their messages must not be acknowledged.
func (p *Pipeline) deadLetter(bs []*balance.Batch, err error, path string) (kept []*balance.Batch, failed []*balance.Batch) {
	if len(bs) > 1 {
		for _, b := range bs {
			e := p.write([]*balance.Batch{b})
			switch {
			case e == nil:
				p.stored(path, len(b.Samples))
				kept = append(kept, b)
			case retryable(e):
				// Transient after all: spool it (with HoldInBroker, hold it).
				if !p.deps.HoldInBroker && p.spool.Append(appendRecord(nil, b)) == nil {
					p.spooled(int64(len(b.Samples)))
					kept = append(kept, b)
				} else {
					failed = append(failed, b)
				}
			default:
				k, f := p.deadLetter([]*balance.Batch{b}, e, path)
				kept, failed = append(kept, k...), append(failed, f...)
			}
		}
		return kept, failed
	}
	b := bs[0]
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.WriteTimeout)
	defer cancel()
	evicted, qerr := p.deps.Quarantine.Quarantine(ctx, balance.QuarantinedPayload{
		DeviceID: b.DeviceID, Topic: "spool-record", Reason: "store_refused", Payload: appendRecord(nil, b), ReceivedAt: p.now(),
	})
	p.evicted(p.now(), evicted)
	if qerr != nil {
		p.log.Error("store refused a batch and the quarantine failed; holding it", "device", b.DeviceID, "samples", len(b.Samples), "err", err, "quarantine_err", qerr)
		return nil, bs
	}
	p.m.deadLettered.Inc()
	p.log.Error("store refused a batch permanently; kept in quarantine", "device", b.DeviceID, "samples", len(b.Samples), "err", err)
	return bs, nil
}

// replayLoop writes the spool back to the store, oldest first, with
// exponential backoff and full jitter while the store is down.
func (p *Pipeline) replayLoop() {
	backoff := p.cfg.RetryMin
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-p.spool.NotEmpty():
		case <-tick.C:
			if lost := p.seqs.expire(p.now()); lost > 0 {
				p.m.seqLost.Add(float64(lost))
				p.log.Warn("batches missing for 10 minutes counted as lost", "batches", lost)
			}
		}
		for p.spool.Pending() > 0 {
			chunk, err := p.spool.Peek(256, 8<<20)
			if errors.Is(err, spool.ErrCorrupt) {
				// One damaged record must not stop the replay of the rest.
				n, serr := p.spool.SkipCorrupt()
				p.m.corruptSegments.Inc()
				p.log.Error("spool segment with a damaged record set aside (*.corrupt); replay goes on with the next", "err", err, "bytes", n, "skip_err", serr)
				if serr != nil {
					break
				}
				continue
			}
			if err != nil {
				p.log.Error("spool read failed", "err", err)
				break
			}
			if len(chunk.Records) == 0 {
				break
			}
			bs := make([]*balance.Batch, 0, len(chunk.Records))
			n := 0
			for _, r := range chunk.Records {
				b, err := decodeRecord(r)
				if err != nil {
					p.log.Error("dropping malformed spool record", "err", err)
					continue
				}
				bs = append(bs, b)
				n += len(b.Samples)
			}
			err = nil
			if len(bs) > 0 {
				err = p.write(bs)
			}
			switch {
			case err == nil:
				if !p.storeUp.Swap(true) {
					p.log.Info("store answers again; writing directly while the spool drains", "pending_batches", p.spool.Pending())
				}
				backoff = p.cfg.RetryMin
				if e := p.spool.Commit(chunk); e != nil {
					p.log.Error("spool commit failed", "err", e)
				}
				p.stored("replay", n)
				p.replayed(bs, len(chunk.Records))
				if p.spool.Pending() == 0 {
					p.log.Info("spool drained; writing directly to the store again")
				}
				continue
			case !retryable(err):
				if _, failed := p.deadLetter(bs, err, "replay"); len(failed) == 0 {
					p.spool.Commit(chunk)
					p.replayed(nil, len(chunk.Records)) // none of them is readable from the store as a whole
					continue
				}
				// Something could not be kept anywhere: leave the chunk in
				// the spool (what was stored meanwhile is idempotent) and
				// back off.
			}
			// Store still down: back off with full jitter.
			wait := time.Duration(rand.Int64N(int64(backoff))) + p.cfg.RetryMin
			p.rlog.Warn(p.now(), "replay", "store still unavailable; replay waits", "pending_batches", p.spool.Pending(), "wait", wait.Round(time.Millisecond), "err", err)
			if backoff *= 2; backoff > p.cfg.RetryMax {
				backoff = p.cfg.RetryMax
			}
			select {
			case <-time.After(wait):
			case <-p.stop:
				return
			}
		}
	}
}
