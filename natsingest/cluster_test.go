package natsingest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestClusterFailover runs a 3-node nats-server cluster (JetStream and MQTT
// on every node), 3 consumer instances in this process and MQTT devices
// spread over the nodes; under load it crashes one instance, then kill -9s
// one node. Every message the broker acknowledged must be stored exactly
// once (count and checksum per device) and reach the handler in each
// device's order (replays of already handled messages aside).
func TestClusterFailover(t *testing.T) {
	const (
		partitions = 8
		devices    = 16
		every      = 20 * time.Millisecond // 50 messages/s per device
		leaseTTL   = 3 * time.Second
	)
	cl := startNATSCluster(t, 3, partitions)
	urls := cl.ClientURLs()
	waitJetStream(t, urls)
	s := newSink()
	cfg := Config{Partitions: partitions, Replicas: 3, LeaseTTL: leaseTTL, AckWait: 10 * time.Second,
		MaxAckPending: 512, FetchBatch: 128, FetchWait: 500 * time.Millisecond}
	var ins []*instance
	for i := range 3 {
		cfg.Servers = rotate(urls, i)
		ins = append(ins, startInstance(t, fmt.Sprintf("inst-%d", i), cfg, s))
	}
	// Shared out: every partition consumed, by exactly one instance.
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Equal(union(ins...), seq(partitions)) {
		if time.Now().After(deadline) {
			t.Fatalf("partitions not shared out: %v %v %v", ins[0].c.Owned(), ins[1].c.Owned(), ins[2].c.Owned())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("shared out: inst-0 %v, inst-1 %v, inst-2 %v", ins[0].c.Owned(), ins[1].c.Owned(), ins[2].c.Owned())

	mqttURLs := cl.MQTTURLs()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	devs := make([]*device, devices)
	for i := range devs {
		id := fmt.Sprintf("dev-%02d", i)
		if i%4 == 3 {
			id = fmt.Sprintf("dev.%02d", i) // an MQTT '.' is "//" in the subject
		}
		devs[i] = &device{id: id}
		wg.Add(1)
		go devs[i].run(t, rotate(mqttURLs, i), every, stop, &wg)
	}

	time.Sleep(3 * time.Second)
	victim := ins[0]
	lost := victim.c.Owned()
	killedAt := time.Now()
	victim.crash()
	survivors := ins[1:]
	for !slices.Equal(union(survivors...), seq(partitions)) {
		if time.Since(killedAt) > 4*leaseTTL {
			t.Fatalf("partitions %v of the crashed instance not taken over in %v", lost, 4*leaseTTL)
		}
		time.Sleep(10 * time.Millisecond)
	}
	takeover := time.Since(killedAt)
	t.Logf("instance crash: its partitions %v served again after %v (lease TTL %v)", lost, takeover.Round(time.Millisecond), leaseTTL)

	time.Sleep(2 * time.Second)
	s.mu.Lock()
	s.pauseFrom = time.Now()
	s.mu.Unlock()
	cl.Kill(cl.Nodes[1])
	t.Logf("kill -9 %s", cl.Nodes[1].Name)
	time.Sleep(5 * time.Second)
	close(stop)
	wg.Wait()
	stoppedAt := time.Now()

	// Everything acknowledged to a device is stored once.
	var want, resends int
	var maxWait time.Duration
	for _, d := range devs {
		want += d.sent
		resends += d.resends
		maxWait = max(maxWait, d.maxWait)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		done := true
		for _, d := range devs {
			if n, _ := s.totals(d.id); n < d.sent {
				done = false
			}
		}
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	drain := time.Since(stoppedAt)
	for _, d := range devs {
		n, sum := s.totals(d.id)
		if n != d.sent || sum != d.sum {
			t.Errorf("device %s: stored %d samples (checksum %08x), published %d (checksum %08x)", d.id, n, sum, d.sent, d.sum)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.orderErrs) > 0 {
		t.Errorf("per-device order broken %d times, first: %v", len(s.orderErrs), s.orderErrs[:min(5, len(s.orderErrs))])
		for _, e := range s.orderErrs {
			dev, _, _ := strings.Cut(e, ":")
			var sq int
			fmt.Sscanf(strings.TrimSpace(strings.SplitN(e, ":", 2)[1]), "%d", &sq)
			for _, h := range s.hist[dev] {
				var x int
				fmt.Sscanf(h[strings.LastIndex(h, "seq=")+4:], "%d", &x)
				if x >= sq-3 && x <= sq+3 {
					t.Log(h)
				}
			}
		}
	}
	t.Logf("published %d messages from %d devices (%d resends, longest wait for a PUBACK %v); stored each once; "+
		"%d replays at the handler, %d idempotent rewrites; drained %v after the devices stopped",
		want, devices, resends, maxWait.Round(time.Millisecond), s.dups, s.rewrites, drain.Round(time.Millisecond))
	t.Logf("node kill: longest pause between handler calls after it %v", s.maxPause.Round(time.Millisecond))
	for _, in := range ins {
		t.Logf("%s: %+v, now owns %v", in.name, in.c.Stats(), in.c.Owned())
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
