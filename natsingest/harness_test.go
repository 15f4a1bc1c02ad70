package natsingest

// The test harness of TestClusterFailover: an idempotent sink that checks
// per-device order, consumer instances with a batching writer, and MQTT
// devices.

import (
	"context"
	"fmt"
	"hash/crc32"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/balance-pt/balance/wire"
)

// tlog writes a slog record per line to the test log.
type tlog struct{ t testing.TB }

func (w tlog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// sink is the test's store and order checker: the handler side of every
// instance reports each message here; stored is idempotent on
// (device, sequence), like balance's store on (device, time).
type sink struct {
	mu        sync.Mutex
	maxSeen   map[string]int
	orderErrs []string
	dups      int
	stored    map[string]map[int]uint32
	rewrites  int
	lastCall  time.Time
	maxPause  time.Duration // longest time between handler calls after pauseFrom
	pauseFrom time.Time
	hist      map[string][]string
}

func newSink() *sink {
	return &sink{hist: map[string][]string{}, maxSeen: map[string]int{}, stored: map[string]map[int]uint32{}}
}

// seen checks the per-device order at the handler: a sequence never seen
// before must be the next one (a duplicate of an earlier one is a replay).
func (s *sink) seen(dev string, seq int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if !s.pauseFrom.IsZero() && now.After(s.pauseFrom) {
		from := s.lastCall
		if s.pauseFrom.After(from) {
			from = s.pauseFrom
		}
		s.maxPause = max(s.maxPause, now.Sub(from))
	}
	s.lastCall = now
	switch m := s.maxSeen[dev]; {
	case seq == m+1:
		s.maxSeen[dev] = seq
	case seq <= m:
		s.dups++
	default:
		s.orderErrs = append(s.orderErrs, fmt.Sprintf("%s: %d after %d", dev, seq, m))
		s.maxSeen[dev] = seq
	}
}

func (s *sink) store(dev string, seq int, sum uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.stored[dev]
	if m == nil {
		m = map[int]uint32{}
		s.stored[dev] = m
	}
	if _, ok := m[seq]; ok {
		s.rewrites++
	}
	m[seq] = sum
}

// totals returns the distinct samples stored per device and their checksum
// (sum of the payloads' CRC-32).
func (s *sink) totals(dev string) (n int, sum uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.stored[dev] {
		n++
		sum += c
	}
	return n, sum
}

// instance is one balance instance of the test: a Consumer whose handler
// queues messages to a writer that stores them in batches and only then
// acks them, as ingest.Pipeline does.
type instance struct {
	name   string
	nc     *nats.Conn
	c      *Consumer
	cancel context.CancelFunc
	done   chan struct{}
	q      chan item
	dead   chan struct{}
	killed atomic.Bool
}

type item struct {
	dev string
	seq int
	sum uint32
	ack func()
}

func parsePayload(b []byte) (dev string, seq int, err error) {
	f := strings.SplitN(string(b), ",", 3)
	if len(f) != 3 {
		return "", 0, fmt.Errorf("payload %q", b)
	}
	seq, err = strconv.Atoi(f[1])
	return f[0], seq, err
}

func startInstance(t *testing.T, name string, cfg Config, s *sink) *instance {
	t.Helper()
	log := slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.Instance = name
	nc, err := Connect(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{name: name, nc: nc, done: make(chan struct{}), q: make(chan item, 4096), dead: make(chan struct{})}
	h := func(topic string, payload []byte, ack func()) {
		if in.killed.Load() {
			return
		}
		dev, seq, err := parsePayload(payload)
		if err != nil || topic != wire.Topic(dev, wire.KindIMU) {
			t.Errorf("%s: topic %q payload %q: %v", name, topic, payload, err)
			ack()
			return
		}
		s.seen(dev, seq)
		select {
		case in.q <- item{dev, seq, crc32.ChecksumIEEE(payload), ack}:
		case <-in.dead:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(ctx, nc, cfg, h, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	in.c, in.cancel = c, cancel
	c.trace = func(p int, md *jetstream.MsgMetadata, msg jetstream.Msg) {
		dev, seq, _ := parsePayload(msg.Data())
		if want := PartitionOf(dev, cfg.Partitions); want != p {
			t.Errorf("device %s on partition %d, PartitionOf says %d", dev, p, want)
		}
		s.mu.Lock()
		s.hist[dev] = append(s.hist[dev], fmt.Sprintf("%s %s p%d sseq=%d cseq=%d nd=%d seq=%d",
			time.Now().Format("05.000"), name, p, md.Sequence.Stream, md.Sequence.Consumer, md.NumDelivered, seq))
		s.mu.Unlock()
	}
	go func() {
		defer close(in.done)
		_ = c.Run(ctx)
	}()
	go in.writer(s)
	t.Cleanup(in.stop)
	return in
}

// writer stores what the handler queued every 10 ms, then acks it.
func (in *instance) writer(s *sink) {
	var batch []item
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-in.dead:
			return
		case it := <-in.q:
			batch = append(batch, it)
			continue
		case <-tick.C:
		}
		if in.killed.Load() {
			return
		}
		for _, it := range batch {
			s.store(it.dev, it.seq, it.sum)
		}
		for _, it := range batch {
			it.ack()
		}
		batch = batch[:0]
	}
}

// crash stops the instance as a crash would: its queued messages are
// neither stored nor acknowledged, its connection drops, its leases stay.
func (in *instance) crash() {
	if in.killed.Swap(true) {
		return
	}
	close(in.dead)
	in.nc.Close()
	in.cancel()
}

// stop ends the instance cleanly.
func (in *instance) stop() {
	in.cancel()
	<-in.done
	if !in.killed.Swap(true) {
		close(in.dead)
	}
	in.nc.Close()
}

// device publishes numbered messages over MQTT QoS 1 until stop closes,
// each resent until the broker acknowledges it (as a device with its own
// buffer does), and reports its total and checksum.
type device struct {
	id      string
	sent    int
	sum     uint32
	resends int
	maxWait time.Duration // longest time from first send to PUBACK
}

func (d *device) run(t *testing.T, brokers []string, every time.Duration, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	o := mqtt.NewClientOptions()
	for _, b := range brokers {
		o.AddBroker(b)
	}
	// No paho auto-reconnect: on resuming after a reconnect paho completes
	// the waiting publish token without error before the resent message is
	// acknowledged (messageIds.claimID in paho.mqtt.golang v1.5.1), so a
	// token would no longer mean PUBACK. On a lost connection this device
	// connects again itself and resends. nats-server refuses '.' in client ids.
	o.SetClientID("c-" + strings.ReplaceAll(d.id, ".", "_")).SetProtocolVersion(4).SetCleanSession(true).
		SetAutoReconnect(false).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).
		SetConnectTimeout(2 * time.Second).SetKeepAlive(2 * time.Second).SetPingTimeout(time.Second).
		SetWriteTimeout(2 * time.Second)
	connect := func() mqtt.Client {
		cl := mqtt.NewClient(o)
		if tok := cl.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
			t.Errorf("device %s: connect: %v", d.id, tok.Error())
			return nil
		}
		return cl
	}
	cl := connect()
	if cl == nil {
		return
	}
	defer func() { cl.Disconnect(100) }()
	topic := wire.Topic(d.id, wire.KindIMU)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for seq := 1; ; seq++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		payload := fmt.Appendf(nil, "%s,%d,%08x", d.id, seq, crc32.ChecksumIEEE([]byte(d.id+strconv.Itoa(seq))))
		start := time.Now()
		for {
			tok := cl.Publish(topic, 1, false, payload)
			if tok.WaitTimeout(2*time.Second) && tok.Error() == nil {
				break
			}
			d.resends++
			if time.Since(start) > 30*time.Second {
				t.Errorf("device %s: seq %d not acknowledged for 30 s", d.id, seq)
				return
			}
			if !cl.IsConnectionOpen() {
				cl.Disconnect(0)
				if cl = connect(); cl == nil {
					return
				}
			}
		}
		d.maxWait = max(d.maxWait, time.Since(start))
		d.sent = seq
		d.sum += crc32.ChecksumIEEE(payload)
	}
}

func rotate(s []string, k int) []string {
	k %= len(s)
	return append(slices.Clone(s[k:]), s[:k]...)
}

// union returns the partitions the instances consume now.
func union(ins ...*instance) []int {
	var ps []int
	for _, in := range ins {
		ps = append(ps, in.c.Owned()...)
	}
	slices.Sort(ps)
	return ps
}
