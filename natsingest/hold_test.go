package natsingest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestHeldPastAckWaitHandedOnce: a handler that keeps every message
// unacknowledged for several AckWaits (as ingest does while the store is
// down and the broker is the buffer) gets each message exactly once,
// although JetStream delivers the held ones again every AckWait and,
// midway, the partitions' consumers are rewound to their ack floor (a reset
// made by the test, seen by the consumer as a delivery gap and answered
// with its own rewind, as after a failed pull). Once the handler
// acknowledges them, nothing is left pending or unacknowledged.
func TestHeldPastAckWaitHandedOnce(t *testing.T) {
	const (
		partitions = 2
		msgs       = 40
		ackWait    = time.Second
	)
	cl := startNATSCluster(t, 1, partitions)
	urls := cl.ClientURLs()
	waitJetStream(t, urls)
	cfg := Config{Servers: urls, Partitions: partitions, Instance: "hold", AckWait: ackWait, LeaseTTL: 3 * time.Second,
		FetchBatch: 16, FetchWait: 200 * time.Millisecond}.WithDefaults()
	log := slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	nc, err := Connect(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	var mu sync.Mutex
	handed := map[string]int{}
	var held []func()
	holding := true
	h := func(topic string, payload []byte, ack func()) {
		mu.Lock()
		defer mu.Unlock()
		handed[string(payload)]++
		if holding {
			held = append(held, ack)
			return
		}
		ack()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(ctx, nc, cfg, h, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitUntil(t, 10*time.Second, "both partitions owned", func() bool { return slices.Equal(c.Owned(), []int{0, 1}) })

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range msgs {
		dev := fmt.Sprintf("dev-%02d", i%8)
		subj := fmt.Sprintf("%s.%d.%s.imu", cfg.Subject, PartitionOf(dev, partitions), dev)
		if _, err := js.Publish(ctx, subj, fmt.Appendf(nil, "%s,%d", dev, i)); err != nil {
			t.Fatal(err)
		}
	}
	count := func() (n, most int) {
		mu.Lock()
		defer mu.Unlock()
		for _, k := range handed {
			n += k
			most = max(most, k)
		}
		return n, most
	}
	waitUntil(t, 10*time.Second, "every message handed", func() bool { n, _ := count(); return n >= msgs })

	// Held past AckWait: delivered again, skipped.
	time.Sleep(3 * ackWait)
	// A rewind of both consumers to their ack floor (nothing acknowledged
	// yet: every message comes again).
	for p := range partitions {
		if _, err := js.ResetConsumer(ctx, cfg.Stream, consumerName(cfg.ConsumerPrefix, p)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * ackWait)
	st := c.Stats()
	if n, most := count(); n != msgs || most != 1 {
		t.Errorf("while held: %d hand-overs of %d messages, one of them %d times; want each once", n, msgs, most)
	}
	if st.Redelivered < msgs {
		t.Errorf("Redelivered = %d, want at least %d (every held message delivered again after AckWait %v)", st.Redelivered, msgs, ackWait)
	}
	if st.Restarts == 0 {
		t.Error("Restarts = 0: the test's reset did not make the consumer rewind; the case is not covered")
	}

	// The handler acknowledges what it held, and from now on at once.
	mu.Lock()
	holding = false
	for _, ack := range held {
		ack()
	}
	mu.Unlock()
	waitUntil(t, 10*time.Second, "nothing pending or unacknowledged", func() bool {
		for p := range partitions {
			cons, err := js.Consumer(ctx, cfg.Stream, consumerName(cfg.ConsumerPrefix, p))
			if err != nil {
				return false
			}
			info, err := cons.Info(ctx)
			if err != nil || info.NumAckPending != 0 || info.NumPending != 0 {
				return false
			}
		}
		return true
	})
	if n, most := count(); n != msgs || most != 1 {
		t.Errorf("at the end: %d hand-overs of %d messages, one of them %d times; want each once", n, msgs, most)
	}
	t.Logf("held for %v with AckWait %v: %d messages handed once each; %d deliveries skipped, %d rewinds", 6*ackWait, ackWait, msgs, c.Stats().Redelivered, c.Stats().Restarts)
}

// waitUntil polls cond every 20 ms for up to d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
