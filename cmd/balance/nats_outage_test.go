package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sim"
)

// TestNATSStoreOutageHeldInStream runs two instances on a 3-node NATS
// cluster (R3) with ack_wait 3 s and a small ingest queue (64 batches),
// while 20 devices publish 100 Hz for 30 s; 5 s in, influxd is stopped for
// 12 s (four times ack_wait), then started again on the same directory and
// port. With nats.servers set the pipeline holds in the broker: the
// instances' spools stay empty the whole time (checked every 50 ms), the
// messages wait in the stream (held ones delivered again after ack_wait
// are not handed to the pipeline twice), and every sample the broker
// acknowledged is stored exactly once (count and checksum per device). It
// logs how long after influxd's return everything published until then
// was stored.
func TestNATSStoreOutageHeldInStream(t *testing.T) {
	const (
		partitions = 4
		nDevices   = 20
		runS       = 30.0
		ackWait    = 3 * time.Second
		downAfter  = 5 * time.Second
		downFor    = 12 * time.Second
	)
	r, cl := startNATSEnv(t, partitions, 3*time.Second)
	_, hookURL := newHookReceiver(t)
	r.hookURL = hookURL
	devs := make([]*simDevice, nDevices)
	for i := range devs {
		d := &simDevice{id: fmt.Sprintf("od-%02d", i)}
		d.sc = sim.NewScenario(sim.DefaultBody(), 100, uint64(i+1))
		d.sc.Idle(runS)
		if err := d.sc.Err(); err != nil {
			t.Fatal(err)
		}
		devs[i] = d
		r.devices = append(r.devices, d.id)
	}
	// The shared NATS setting with ack_wait 3 s and a 64-batch queue.
	start := func(name string, rot int) *App {
		path := r.config(t, name, rot, "127.0.0.1:0")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "ack_wait: 10s", "ack_wait: "+ackWait.String(), 1)
		if s == string(b) {
			t.Fatal("natsRun.config no longer sets ack_wait: 10s; update this test")
		}
		s += "ingest: {queue_batches: 64}\n"
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		app := openInstance(t, name, path)
		if app.nats == nil || !app.Pipeline.HoldsInBroker() {
			t.Fatalf("instance %s: NATS consumer %v, holds in broker %v; want both", name, app.nats, app.Pipeline.HoldsInBroker())
		}
		return app
	}
	apps := []*App{start("a", 0), start("b", 1)}
	waitFor(t, 20*time.Second, "the partitions shared out between a and b", func() bool {
		na, nb := apps[0].nats.owned(), apps[1].nats.owned()
		return na+nb == partitions && na > 0 && nb > 0
	})

	// The spools, watched from now on.
	var spoolSeen atomic.Int64 // most bytes or batches seen in either spool
	var storeDownSeen atomic.Bool
	watchDone := make(chan struct{})
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		for {
			for _, a := range apps {
				st := a.Pipeline.Stats()
				spoolSeen.Store(max(spoolSeen.Load(), a.Spool.Bytes(), a.Spool.Pending(), st.SamplesSpooled.Load()))
				if testenv.MetricValue(t, a.Registry, "balance_ingest_store_down") == 1 {
					storeDownSeen.Store(true)
				}
			}
			select {
			case <-watchDone:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	clients := connectDevices(t, devs, cl.MQTTURLs())
	t0, tStart, wg := startDevices(devs, clients)
	time.Sleep(time.Until(t0.Add(downAfter)))
	r.influx.Stop()
	downAt := time.Now()
	t.Logf("influxd stopped %v into the run", downAt.Sub(t0).Round(time.Millisecond))
	time.Sleep(downFor)
	if err := r.influx.Start(); err != nil {
		t.Fatal(err)
	}
	upAt := time.Now()
	t.Logf("influxd back after %v down", upAt.Sub(downAt).Round(time.Millisecond))

	// Everything published until influxd's return (device time up to
	// tStart + (upAt - t0): samples are published 2 s after their time)
	// must be stored soon after it.
	ctx := t.Context()
	until := tStart.Add(upAt.Sub(t0)).Add(-100 * time.Millisecond)
	want := map[string]int64{}
	for _, d := range devs {
		for _, s := range d.samples {
			if s.TimeNS <= until.UnixNano() {
				want[d.id]++
			}
		}
	}
	caughtUp := func() bool {
		for _, d := range devs {
			n, err := apps[0].Store.CountSamples(ctx, balance.SampleQuery{DeviceID: d.id, From: tStart.Add(-time.Second), To: until})
			if err != nil || n < want[d.id] {
				return false
			}
		}
		return true
	}
	waitFor(t, 60*time.Second, "the backlog of the outage stored", caughtUp)
	t.Logf("every sample published until influxd's return stored %v after it", time.Since(upAt).Round(time.Millisecond))

	wg.Wait()
	published, batches := 0, 0
	for _, d := range devs {
		if d.err != nil {
			t.Errorf("device %s: %v", d.id, d.err)
		}
		published += d.acked
		batches += (d.acked+9)/10 + d.resends
	}
	q := func(id string) balance.SampleQuery {
		return balance.SampleQuery{DeviceID: id, From: tStart.Add(-time.Second), To: time.Now().Add(time.Hour)}
	}
	waitFor(t, 60*time.Second, "every acknowledged sample in influxd", func() bool {
		for _, d := range devs {
			if n, err := apps[0].Store.CountSamples(ctx, q(d.id)); err != nil || n < int64(d.acked) {
				return false
			}
		}
		return true
	})
	close(watchDone)
	watch.Wait()
	for _, d := range devs {
		n, err := apps[0].Store.CountSamples(ctx, q(d.id))
		if err != nil || n != int64(d.acked) || d.acked != len(d.samples) {
			t.Errorf("%s: %d samples stored (%v), %d acknowledged, %d in the scenario; want all, once", d.id, n, err, d.acked, len(d.samples))
		}
		ss, err := apps[0].Store.ReadSamples(ctx, q(d.id))
		if err != nil {
			t.Fatalf("%s: reading back: %v", d.id, err)
		}
		if got, want := sampleChecksum(ss), sampleChecksum(d.samples); got != want {
			t.Errorf("%s: stored samples' checksum %016x, published %016x", d.id, got, want)
		}
	}
	if n := spoolSeen.Load(); n != 0 {
		t.Errorf("a spool held %d (bytes, batches or samples spooled) during the outage; want it empty the whole time", n)
	}
	for _, a := range apps {
		entries, err := os.ReadDir(filepath.Join(a.Config.DataDir, "spool"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && fi.Size() > 0 && !e.IsDir() {
				t.Errorf("spool file %s of %d bytes", e.Name(), fi.Size())
			}
		}
	}
	if !storeDownSeen.Load() {
		t.Error("balance_ingest_store_down never 1 during the outage")
	}
	var handled, redelivered int64
	for _, a := range apps {
		st := a.nats.consumer.Stats()
		handled += st.Handled
		redelivered += st.Redelivered
	}
	// Each message (a device batch of 10 samples, or a resend) handed to a
	// pipeline once: no lease moved during the run.
	if handled != int64(batches) {
		t.Errorf("the pipelines were handed %d messages, the devices published %d batches; want each once", handled, batches)
	}
	t.Logf("published %d samples (%d batches) from %d devices; stored once each; %d deliveries after ack_wait %v skipped, none handed twice",
		published, batches, nDevices, redelivered, ackWait)
}
