package natsingest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler takes one device message: the MQTT topic it was published on
// (balance/v1/{device}/{kind}), its payload, and ack, to call once the
// message is safely kept. ingest's (*Pipeline).Handle fits unchanged. It
// is called from one goroutine per partition, in the partition's order;
// it may block (that partition waits) and must be idempotent, since a
// message handled but not acknowledged before a failover comes again.
type Handler func(topic string, payload []byte, ack func())

// Stats counts what a Consumer did since it started.
type Stats struct {
	Handled     int64 // messages handed to the handler
	Redelivered int64 // deliveries of messages already handed, not handed again
	Restarts    int64 // partition consumers replaced after a failed pull or a delivery gap
	Acquired    int64 // partition leases taken
	Lost        int64 // partition leases lost (renewal failed)
	Released    int64 // partition leases given back to balance the instances
}

type stats struct {
	handled, redelivered, restarts, acquired, lost, released atomic.Int64
}

// Consumer reads the partitions it holds a lease on and hands their
// messages to a Handler.
type Consumer struct {
	cfg     Config
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	handler Handler
	log     *slog.Logger
	stats   stats

	mu    sync.Mutex
	owned map[int]*owned

	// OnAcquire, if set before Run, is called with each partition this
	// instance takes (at start or from an instance that died or left),
	// before the partition's first message reaches the handler: per-device
	// state the instance keeps for that partition's devices may be stale
	// (it had them before) or missing, and must be rebuilt from the store.
	OnAcquire func(partition int)

	// trace, if set (tests), sees every delivery in order before it is
	// handled or skipped.
	trace func(p int, md *jetstream.MsgMetadata, msg jetstream.Msg)
}

// owned is a partition this instance holds the lease of.
type owned struct {
	rev     uint64    // lease revision
	renewed time.Time // when the lease was last written
	cancel  context.CancelFunc
	done    chan struct{}
}

// New sets up the stream, consumers and lease bucket (see [Setup]) and
// returns a Consumer over nc; Run starts it. log may be nil.
func New(ctx context.Context, nc *nats.Conn, cfg Config, h Handler, log *slog.Logger) (*Consumer, error) {
	cfg = cfg.WithDefaults()
	if h == nil {
		return nil, errors.New("natsingest: nil handler")
	}
	if log == nil {
		log = slog.Default()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsingest: jetstream: %w", err)
	}
	kv, err := setupRetrying(ctx, js, cfg, log)
	if err != nil {
		return nil, err
	}
	return &Consumer{
		cfg: cfg, js: js, kv: kv, handler: h,
		log:   log.With("instance", cfg.Instance),
		owned: map[int]*owned{},
	}, nil
}

// Stats returns the counters so far.
func (c *Consumer) Stats() Stats {
	return Stats{
		Handled:     c.stats.handled.Load(),
		Redelivered: c.stats.redelivered.Load(),
		Restarts:    c.stats.restarts.Load(),
		Acquired:    c.stats.acquired.Load(),
		Lost:        c.stats.lost.Load(),
		Released:    c.stats.released.Load(),
	}
}

// Owned returns the partitions this instance consumes now, in order.
func (c *Consumer) Owned() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps := make([]int, 0, len(c.owned))
	for p := range c.owned {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// Run renews this instance's leases every LeaseTTL/3, takes free
// partitions up to its share ⌈partitions / live instances⌉ and gives back
// those above it, until ctx ends; then it stops its partitions and
// releases their leases. Live instances are those whose presence key
// (m.{instance}, renewed at the same pace) has not expired.
func (c *Consumer) Run(ctx context.Context) error {
	tick := time.NewTicker(c.cfg.LeaseTTL / 3)
	defer tick.Stop()
	defer c.stopAll()
	first := true
	for {
		c.step(ctx, first)
		first = false
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// step is one lease round. On the first round the instance only announces
// itself, so that instances starting together share from the start.
func (c *Consumer) step(ctx context.Context, announceOnly bool) {
	c.fence()
	rctx, cancel := context.WithTimeout(ctx, c.cfg.LeaseTTL/3)
	defer cancel()
	if _, err := c.kv.Put(rctx, "m."+c.cfg.Instance, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		c.log.Warn("nats: presence not renewed", "err", err)
	}
	for p, o := range c.snapshot() {
		c.renew(rctx, p, o)
	}
	c.fence()
	if announceOnly || ctx.Err() != nil {
		return
	}
	live, err := c.liveInstances(rctx)
	if err != nil {
		c.log.Warn("nats: live instances unknown", "err", err)
		return
	}
	share := (c.cfg.Partitions + live - 1) / live
	order := c.preference()
	have := len(c.Owned())
	// Give back the least preferred partitions above the share.
	for i := len(order) - 1; i >= 0 && have > share; i-- {
		if c.isOwned(order[i]) {
			c.stats.released.Add(1)
			c.stop(order[i], true)
			have--
		}
	}
	for _, p := range order {
		if have >= share {
			break
		}
		if c.isOwned(p) {
			continue
		}
		rev, err := c.kv.Create(rctx, leaseKey(p), []byte(c.cfg.Instance))
		if err != nil {
			if !errors.Is(err, jetstream.ErrKeyExists) {
				c.log.Warn("nats: lease not taken", "partition", p, "err", err)
			}
			continue
		}
		c.start(ctx, p, rev)
		have++
	}
}

// renew extends the lease on partition p. A revision conflict means the
// lease is someone else's (unless a renewal that timed out did land: the
// value is still this instance's); any other failure is retried at the next
// round, until two thirds of LeaseTTL have passed since the last renewal
// known to have landed: then the partition stops, a third of LeaseTTL
// before the lease can expire at the server and another instance take it.
func (c *Consumer) renew(ctx context.Context, p int, o *owned) {
	c.mu.Lock()
	rev := o.rev
	c.mu.Unlock()
	nrev, err := c.kv.Update(ctx, leaseKey(p), []byte(c.cfg.Instance), rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		if e, gerr := c.kv.Get(ctx, leaseKey(p)); gerr == nil && string(e.Value()) == c.cfg.Instance {
			nrev, err = c.kv.Update(ctx, leaseKey(p), []byte(c.cfg.Instance), e.Revision())
		}
	}
	if err == nil {
		c.mu.Lock()
		o.rev, o.renewed = nrev, time.Now()
		c.mu.Unlock()
		return
	}
	c.mu.Lock()
	since := time.Since(o.renewed)
	c.mu.Unlock()
	if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyNotFound) && since < 2*c.cfg.LeaseTTL/3 {
		c.log.Warn("nats: lease not renewed, retrying", "partition", p, "err", err)
		return
	}
	c.stats.lost.Add(1)
	c.log.Warn("nats: partition lease lost", "partition", p, "err", err)
	c.stop(p, false)
}

// fence stops every partition whose lease was last renewed two thirds of
// LeaseTTL ago or more, whatever the renewals are doing.
func (c *Consumer) fence() {
	for p, o := range c.snapshot() {
		c.mu.Lock()
		since := time.Since(o.renewed)
		c.mu.Unlock()
		if since >= 2*c.cfg.LeaseTTL/3 {
			c.stats.lost.Add(1)
			c.log.Warn("nats: partition stopped, lease not renewed in time", "partition", p, "since", since)
			c.stop(p, false)
		}
	}
}

func leaseKey(p int) string { return "p." + strconv.Itoa(p) }

// liveInstances counts the unexpired presence keys (at least 1: this one).
func (c *Consumer) liveInstances(ctx context.Context) (int, error) {
	keys, err := c.kv.ListKeysFiltered(ctx, "m.>")
	if err != nil {
		return 0, fmt.Errorf("list presence keys: %w", err)
	}
	n := 0
	for range keys.Keys() {
		n++
	}
	return max(n, 1), nil
}

// preference orders the partitions by rendezvous (highest random weight)
// hashing of (instance, partition) (Thaler & Ravishankar 1998, IEEE/ACM
// Trans. Networking 6(1)): each instance prefers a different, stable set,
// so that instances rarely compete for the same free lease.
func (c *Consumer) preference() []int {
	type pw struct {
		p int
		w uint64
	}
	ws := make([]pw, c.cfg.Partitions)
	for p := range ws {
		h := fnv.New64a()
		h.Write([]byte(c.cfg.Instance + "/" + strconv.Itoa(p)))
		ws[p] = pw{p, h.Sum64()}
	}
	slices.SortFunc(ws, func(a, b pw) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return 0
	})
	order := make([]int, len(ws))
	for i, x := range ws {
		order[i] = x.p
	}
	return order
}

func (c *Consumer) snapshot() map[int]*owned {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[int]*owned, len(c.owned))
	for p, o := range c.owned {
		m[p] = o
	}
	return m
}

func (c *Consumer) isOwned(p int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.owned[p]
	return ok
}

func (c *Consumer) start(ctx context.Context, p int, rev uint64) {
	pctx, cancel := context.WithCancel(ctx)
	o := &owned{rev: rev, renewed: time.Now(), cancel: cancel, done: make(chan struct{})}
	c.mu.Lock()
	c.owned[p] = o
	c.mu.Unlock()
	c.stats.acquired.Add(1)
	if c.OnAcquire != nil {
		c.OnAcquire(p)
	}
	go func() {
		defer close(o.done)
		c.runPartition(pctx, p)
	}()
}

// stop ends partition p's consumption. With release, the lease is deleted
// once the partition's goroutine has returned (so the next owner never
// overlaps it); without, it is left to expire.
func (c *Consumer) stop(p int, release bool) {
	c.mu.Lock()
	o, ok := c.owned[p]
	delete(c.owned, p)
	c.mu.Unlock()
	if !ok {
		return
	}
	o.cancel()
	if !release {
		return
	}
	go func() {
		<-o.done
		c.mu.Lock()
		rev := o.rev
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LeaseTTL/3)
		defer cancel()
		if err := c.kv.Delete(ctx, leaseKey(p), jetstream.LastRevision(rev)); err != nil {
			c.log.Warn("nats: lease not released (it expires)", "partition", p, "err", err)
		}
	}()
}

// stopAll stops every partition, waits for them, and releases the leases
// and the presence key.
func (c *Consumer) stopAll() {
	owned := c.snapshot()
	for p := range owned {
		c.stop(p, false)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LeaseTTL/3)
	defer cancel()
	for p, o := range owned {
		select {
		case <-o.done:
		case <-ctx.Done():
			continue
		}
		_ = c.kv.Delete(ctx, leaseKey(p), jetstream.LastRevision(o.rev))
	}
	_ = c.kv.Delete(ctx, "m."+c.cfg.Instance)
}
