package natsingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// errGap reports a delivery lost on the way (the consumer sequence jumped):
// the partition rewinds to the ack floor so that order holds.
var errGap = errors.New("delivery sequence gap")

// handed is what one ownership of a partition handed to the handler: it
// outlives the consumer restarts (rewinds to the ack floor) within the
// ownership, so that a message the handler still holds, or acknowledged in
// a way the server lost in a rewind, is never handed again by this
// instance, however long the handler holds it (ingest holds messages
// unacknowledged for as long as the store is down, past AckWait: JetStream
// delivers them again, each AckWait, and they are skipped).
type handed struct {
	last    uint64    // highest stream sequence handed to the handler
	pend    *pending  // handed and not yet acknowledged by the handler
	created time.Time // creation time of the durable consumer they came from
}

// runPartition consumes partition p until ctx ends, rewinding to the ack
// floor after any delivery trouble.
func (c *Consumer) runPartition(ctx context.Context, p int) {
	backoff := 100 * time.Millisecond
	h := &handed{pend: &pending{m: map[uint64]struct{}{}}}
	for ctx.Err() == nil {
		cons, err := c.takeOver(ctx, p)
		if err == nil {
			backoff = 100 * time.Millisecond
			if created := cons.CachedInfo().Created; !created.Equal(h.created) {
				// A consumer (re)created meanwhile, the stream perhaps too:
				// its sequences say nothing about what was handed before.
				if !h.created.IsZero() {
					c.log.Warn("nats: partition consumer was recreated; handing its messages from its start", "partition", p)
				}
				h = &handed{pend: &pending{m: map[uint64]struct{}{}}, created: created}
			}
			err = c.consume(ctx, p, cons, h)
		}
		if ctx.Err() != nil {
			return
		}
		c.stats.restarts.Add(1)
		c.log.Warn("nats partition restarts", "partition", p, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// takeOver rewinds partition p's durable consumer to just after its ack
// floor (JetStream consumer reset, nats-server 2.14+): what an earlier
// owner was delivered and did not acknowledge comes again, first and in
// stream order, instead of after AckWait behind newer messages.
func (c *Consumer) takeOver(ctx context.Context, p int) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	name := consumerName(c.cfg.ConsumerPrefix, p)
	cons, err := c.js.Consumer(ctx, c.cfg.Stream, name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		cons, err = c.js.CreateOrUpdateConsumer(ctx, c.cfg.Stream, consumerConfig(c.cfg, p))
	}
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", name, err)
	}
	r, err := c.js.ResetConsumer(ctx, c.cfg.Stream, name)
	if err != nil {
		return nil, fmt.Errorf("reset consumer %s: %w", name, err)
	}
	c.log.Info("nats partition taken", "partition", p, "consumer", name, "from_seq", r.ResetSeq)
	return cons, nil
}

// consume pulls partition p's messages in order and hands each to the
// handler, in this goroutine (never in the NATS client's), unless h says it
// was handed already. It returns when ctx ends or a pull fails.
func (c *Consumer) consume(ctx context.Context, p int, cons jetstream.Consumer, h *handed) error {
	var expect uint64 // next consumer (delivery) sequence; 0: take the first
	pend := h.pend
	for ctx.Err() == nil {
		// The pull ends with ctx, so that a stopping partition does not wait
		// for FetchWait before its lease can be released.
		fctx, cancel := context.WithTimeout(ctx, c.cfg.FetchWait)
		batch, err := cons.Fetch(c.cfg.FetchBatch, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			return fmt.Errorf("fetch: %w", err)
		}
		gap := false
		for msg := range batch.Messages() {
			if gap || ctx.Err() != nil {
				continue // drained, not acknowledged: delivered again later
			}
			md, err := msg.Metadata()
			if err != nil || expect != 0 && md.Sequence.Consumer != expect {
				gap = true
				continue
			}
			expect = md.Sequence.Consumer + 1
			if c.trace != nil {
				c.trace(p, md, msg)
			}
			seq := md.Sequence.Stream
			if seq <= h.last {
				// Redelivered after AckWait while the handler holds it (its
				// ack will do), or after an ack the server did not get or
				// dropped (an ack that reaches the server after a rewind and
				// before the redelivery is ignored): ack it again.
				c.stats.redelivered.Add(1)
				if !pend.has(seq) {
					_ = msg.Ack()
				}
				continue
			}
			h.last = seq
			topic, q, ok := Topic(c.cfg.Subject, msg.Subject())
			if !ok || q != p {
				c.log.Warn("nats: message on an unexpected subject, dropped", "subject", msg.Subject(), "partition", p)
				_ = msg.Term()
				continue
			}
			pend.add(seq)
			c.stats.handled.Add(1)
			c.handler(topic, msg.Data(), pend.ackOnce(msg, seq))
		}
		cancel()
		if gap {
			return errGap
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("fetch: %w", err)
		}
	}
	return ctx.Err()
}

// pending is the set of stream sequences handed to the handler and not yet
// acknowledged by it.
type pending struct {
	mu sync.Mutex
	m  map[uint64]struct{}
}

func (s *pending) add(seq uint64) {
	s.mu.Lock()
	s.m[seq] = struct{}{}
	s.mu.Unlock()
}

func (s *pending) has(seq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[seq]
	return ok
}

// ackOnce returns the handler's ack for msg: the first call acknowledges
// it to JetStream, later calls do nothing. It is safe from any goroutine and
// never blocks for long (an ack is one publish).
func (s *pending) ackOnce(msg jetstream.Msg, seq uint64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			// Out of the set first: a redelivery seen from now on is acked
			// again by the consumer (harmless twice), never left to this
			// ack, which the server ignores if it comes between a rewind
			// and the redelivery.
			s.mu.Lock()
			delete(s.m, seq)
			s.mu.Unlock()
			_ = msg.Ack() // a lost ack means one more (idempotent) delivery
		})
	}
}
