package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/broker"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/ingest"
	"github.com/balance-pt/balance/internal/storetest"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/spool"
	"github.com/balance-pt/balance/sqlite"
	"github.com/balance-pt/balance/wire"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(benchPublisherEnv); spec != "" {
		os.Exit(runBenchPublisher(spec))
	}
	if spec := os.Getenv(loadPublisherEnv); spec != "" {
		os.Exit(runLoadPublisher(spec))
	}
	code := m.Run()
	testenv.StopShared()
	os.Exit(code)
}

// rig is a complete ingest path: a subscriber on a real broker, the
// pipeline, a real store, a SQLite state database and a disk spool.
type rig struct {
	dir      string
	state    *sqlite.StateDB
	store    balance.SampleStore
	spool    *spool.Spool
	pipeline *ingest.Pipeline
	sub      *ingest.Subscriber
	hooks    hookLog
	reg      *prometheus.Registry
}

// hookLog records what the pipeline handed to OnBatch and OnStored: how
// often each batch (device, first sample time) came, and the samples.
type hookLog struct {
	mu             sync.Mutex
	batches        map[string]int
	stored         map[string]int
	samples, saved int64
}

func (h *hookLog) onBatch(b *balance.Batch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.batches[fmt.Sprint(b.DeviceID, "@", b.Samples[0].TimeNS)]++
	h.samples += int64(len(b.Samples))
}

func (h *hookLog) onStored(b *balance.Batch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stored[fmt.Sprint(b.DeviceID, "@", b.Samples[0].TimeNS)]++
	h.saved += int64(len(b.Samples))
}

// counts returns the samples handed to OnBatch and OnStored, and how many
// batches came more than once to either.
func (h *hookLog) counts() (samples, saved int64, repeated int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range []map[string]int{h.batches, h.stored} {
		for _, n := range m {
			if n > 1 {
				repeated++
			}
		}
	}
	return h.samples, h.saved, repeated
}

func newRig(t *testing.T, brokerURL, clientID string, store balance.SampleStore, cfg ingest.Config) *rig {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	state, err := sqlite.OpenState(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{dir: dir, state: state, store: store, spool: sp, hooks: hookLog{batches: map[string]int{}, stored: map[string]int{}}, reg: prometheus.NewRegistry()}
	p, err := ingest.New(cfg, ingest.Deps{Store: store, Registry: state, Quarantine: state, Spool: sp, Metrics: r.reg,
		OnBatch: r.hooks.onBatch, OnStored: r.hooks.onStored})
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	sub, err := ingest.NewSubscriber(ingest.MQTTConfig{Broker: brokerURL, ClientID: clientID}, p.Handle, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	r.pipeline, r.sub = p, sub
	t.Cleanup(func() {
		sub.Stop()
		p.Stop()
		sp.Close()
		state.Close()
	})
	return r
}

func (r *rig) bind(t *testing.T, patient string, devices ...string) {
	t.Helper()
	ctx := context.Background()
	if err := r.state.CreatePatient(ctx, balance.Patient{ID: patient}); err != nil {
		t.Fatal(err)
	}
	for _, d := range devices {
		if err := r.state.RegisterDevice(ctx, balance.Device{ID: d, PatientID: patient}); err != nil {
			t.Fatal(err)
		}
	}
}

// influxNew returns an InfluxDB store on a test instance, with a generous
// timeout: reading back 100,000 samples through Flux on a loaded 2-core
// machine takes seconds.
func influxNew(in *testenv.Influx) (*influx.Store, error) {
	return influx.New(influx.Config{URL: in.URL, RawBucket: testenv.RawBucket, DerivedBucket: testenv.DerivedBucket, Timeout: 60 * time.Second})
}

func newInfluxStore(t *testing.T, in *testenv.Influx) *influx.Store {
	t.Helper()
	s, err := influxNew(in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// publisher is a QoS 1 device-side client with a persistent session.
func publisher(t testing.TB, brokerURL, id string) mqtt.Client {
	t.Helper()
	opts := mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(id).SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetMaxReconnectInterval(time.Second)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fakePub is a mosquitto_pub stand-in placed first on PATH: it saves the
// payload it is given (-m, -s or -f) into $CAPTURE_DIR, then runs the real
// mosquitto_pub with the same arguments, so that a documented command is run
// exactly as written and its payload is known.
const fakePub = `#!/bin/bash
set -e
out="$CAPTURE_DIR/$(date +%s%N).payload"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -m) printf '%s' "$2" > "$out"; args+=(-f "$out"); shift 2 ;;
    -s) cat > "$out"; args+=(-f "$out"); shift ;;
    -f) cp "$2" "$out"; args+=(-f "$out"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
exec "$REAL_MOSQUITTO_PUB" "${args[@]}"
`

// TestDocExamplesLandInInflux runs every mosquitto_pub example of
// docs/wire-format.md, exactly as written, against real Mosquitto, and reads
// each back from real InfluxDB through Flux: the stored samples must equal
// what the wire decoder makes of the published payload, value for value.
func TestDocExamplesLandInInflux(t *testing.T) {
	brokerURL := testenv.MQTTURL(t)
	real, err := exec.LookPath("mosquitto_pub")
	if err != nil {
		t.Fatal("mosquitto_pub not found: install the Debian package mosquitto-clients (the README's test command does)")
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "wire-format.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples, err := wire.DocExamples(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) < 5 {
		t.Fatalf("docs/wire-format.md has %d examples; expected every encoding, status and events", len(examples))
	}
	store := newInfluxStore(t, testenv.SharedInflux(t))
	r := newRig(t, brokerURL, fmt.Sprintf("balance-test-doc-%d", time.Now().UnixNano()), store, ingest.Config{})
	devices := map[string]bool{}
	for _, ex := range examples {
		d, _, err := wire.ParseTopic(ex.Topic)
		if err != nil {
			t.Fatalf("example %s: topic %q: %v", ex.Name, ex.Topic, err)
		}
		devices[d] = true
	}
	var ids []string
	for d := range devices {
		ids = append(ids, d)
	}
	r.bind(t, "doc-patient", ids...)

	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "mosquitto_pub"), []byte(fakePub), 0o755); err != nil {
		t.Fatal(err)
	}
	host, port := "127.0.0.1", 1883
	fmt.Sscanf(strings.TrimPrefix(brokerURL, "tcp://"), "127.0.0.1:%d", &port)
	imuCount := 0
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			capture := t.TempDir()
			cmd := exec.Command("bash", "-c", ex.CommandFor(host, port))
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CAPTURE_DIR="+capture, "REAL_MOSQUITTO_PUB="+real)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("example failed: %v\n%s\ncommand:\n%s", err, out, ex.Command)
			}
			payloads, _ := filepath.Glob(filepath.Join(capture, "*.payload"))
			if len(payloads) != 1 {
				t.Fatalf("example published %d payloads, want 1", len(payloads))
			}
			payload, _ := os.ReadFile(payloads[0])
			device, kind, _ := wire.ParseTopic(ex.Topic)
			ctx := context.Background()
			switch kind {
			case wire.KindIMU:
				imuCount++
				var want balance.Batch
				if _, err := wire.NewDecoder(wire.Limits{}).DecodeIMU(device, payload, time.Now(), &want); err != nil {
					t.Fatalf("the documented payload does not decode: %v", err)
				}
				for i := range want.Samples { // storage keeps microseconds
					want.Samples[i].TimeNS = balance.StorageMicros(want.Samples[i].TimeNS) * 1000
				}
				first := time.Unix(0, want.Samples[0].TimeNS)
				last := time.Unix(0, want.Samples[len(want.Samples)-1].TimeNS)
				q := balance.SampleQuery{DeviceID: device, From: first, To: last.Add(time.Microsecond)}
				var got []balance.Sample
				waitUntil(t, 10*time.Second, "the example's samples in InfluxDB", func() bool {
					got, err = store.ReadSamples(ctx, q)
					return err == nil && len(got) >= len(want.Samples)
				})
				if diff := cmp.Diff(want.Samples, got); diff != "" {
					t.Fatalf("InfluxDB holds other values than published (-want +got):\n%s", diff)
				}
			case wire.KindStatus:
				want, err := wire.DecodeStatus(device, payload, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				waitUntil(t, 10*time.Second, "the status", func() bool {
					sts, _ := r.state.Statuses(ctx)
					for _, s := range sts {
						if s.DeviceID == device && s.Online == want.Online {
							return true
						}
					}
					return false
				})
			case wire.KindEvent:
				want, err := wire.DecodeEvent(device, payload, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				waitUntil(t, 10*time.Second, "the event", func() bool {
					evs, _ := r.state.Events(ctx, device, want.Time.Add(-time.Millisecond))
					for _, e := range evs {
						if e.Action == want.Action && e.Kind == want.Kind && e.Time.Equal(want.Time) {
							return true
						}
					}
					return false
				})
			}
			time.Sleep(100 * time.Millisecond) // keep examples' time ranges apart
		})
	}
	if imuCount < 3 {
		t.Errorf("only %d IMU examples; the document must show JSON, binary and line protocol", imuCount)
	}
	if got := r.pipeline.Stats().Rejected.Load(); got != 0 {
		t.Errorf("%d documented examples were rejected", got)
	}
}

// stream publishes batches of 100 samples for each device at a steady pace,
// device time advancing 1 s per batch, and records what it published.
type stream struct {
	mu        sync.Mutex
	published map[string][]balance.Sample
	batches   atomic.Int64
}

func (s *stream) run(ctx context.Context, t *testing.T, c mqtt.Client, devices []string, start time.Time, every time.Duration, encodings []string) {
	s.published = map[string][]balance.Sample{}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for di, d := range devices {
			b := storetest.MakeBatch(d, "", start.Add(time.Duration(seq)*time.Second), 100, 100, seq*1000+uint64(di))
			var payload []byte
			switch encodings[int(seq+uint64(di))%len(encodings)] {
			case "json":
				payload = wire.AppendJSON(nil, b, wire.JSONOptions{})
			case "lp":
				payload = wire.AppendLineProtocol(nil, b)
			}
			tok := c.Publish(wire.Topic(d, wire.KindIMU), 1, false, payload)
			go tok.Wait()
			s.mu.Lock()
			s.published[d] = append(s.published[d], b.Samples...)
			s.mu.Unlock()
			s.batches.Add(1)
		}
		seq++
	}
}

// TestInfluxOutageLosesNothing streams samples through Mosquitto while
// InfluxDB is stopped for a minute and started again: afterwards every
// published sample is in InfluxDB exactly once, with the same values
// (count and checksum per device).
func TestInfluxOutageLosesNothing(t *testing.T) {
	brokerURL := testenv.MQTTURL(t)
	in := testenv.StartInflux(t) // our own instance: this test stops it
	store := newInfluxStore(t, in)
	run := time.Now().UnixNano()
	devices := []string{fmt.Sprintf("out-%d-a", run), fmt.Sprintf("out-%d-b", run), fmt.Sprintf("out-%d-c", run)}
	r := newRig(t, brokerURL, fmt.Sprintf("balance-test-outage-%d", run), store, ingest.Config{RetryMax: 2 * time.Second})
	r.bind(t, "outage-patient", devices...)
	pub := publisher(t, brokerURL, fmt.Sprintf("balance-test-outage-pub-%d", run))

	// JSON and line-protocol only: they carry float64 values exactly, so the
	// checksum can demand bit equality.
	ctx, cancel := context.WithCancel(context.Background())
	var s stream
	done := make(chan struct{})
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	go func() { s.run(ctx, t, pub, devices, start, 100*time.Millisecond, []string{"json", "lp"}); close(done) }()

	time.Sleep(5 * time.Second)
	in.Stop()
	t.Log("InfluxDB stopped")
	outage := time.Now()
	handedBefore, _, _ := r.hooks.counts()
	time.Sleep(60 * time.Second)
	if r.spool.Pending() == 0 {
		t.Fatal("nothing was spooled during the outage")
	}
	// Monitoring does not wait for the store: batches kept in the spool
	// were handed over during the outage.
	if handedDuring, _, _ := r.hooks.counts(); handedDuring-handedBefore < 1000 {
		t.Errorf("%d samples handed to OnBatch during the 60 s outage, want the spooled ones (thousands)", handedDuring-handedBefore)
	}
	spooledAtPeak := r.spool.Bytes()
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("InfluxDB back after %s; spool held %d bytes", time.Since(outage).Round(time.Second), spooledAtPeak)
	time.Sleep(5 * time.Second)
	cancel()
	<-done
	time.Sleep(time.Second) // let the last publishes reach the broker

	total := 0
	for _, d := range devices {
		total += len(s.published[d])
	}
	waitUntil(t, 120*time.Second, "every sample stored and the spool drained", func() bool {
		return r.pipeline.Stats().SamplesIn.Load() >= int64(total) && r.spool.Pending() == 0 && r.pipeline.QueueDepth() == 0
	})
	ctxq := context.Background()
	for _, d := range devices {
		want := s.published[d]
		q := balance.SampleQuery{DeviceID: d, From: start.Add(-time.Second), To: time.Now().Add(time.Hour)}
		var n int64
		var err error
		waitUntil(t, 30*time.Second, "count of "+d, func() bool {
			n, err = store.CountSamples(ctxq, q)
			return err == nil && n >= int64(len(want))
		})
		got, err := store.ReadSamples(ctxq, q)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(want)) || len(got) != len(want) {
			t.Errorf("%s: InfluxDB holds %d samples (count %d), published %d", d, len(got), n, len(want))
		}
		if storetest.Checksum(got) != storetest.Checksum(want) {
			t.Errorf("%s: checksum of stored samples %x differs from published %x", d, storetest.Checksum(got), storetest.Checksum(want))
		}
		sort.Slice(got, func(i, j int) bool { return got[i].TimeNS < got[j].TimeNS })
		for i := 1; i < len(got); i++ {
			if got[i].TimeNS == got[i-1].TimeNS {
				t.Fatalf("%s: duplicate point at %d", d, got[i].TimeNS)
			}
		}
	}
	// Every batch went to OnBatch exactly once, and the spooled ones to
	// OnStored once, after the replay.
	handed, saved, repeated := r.hooks.counts()
	if handed != int64(total) || repeated != 0 {
		t.Errorf("OnBatch saw %d samples (%d batches more than once), want the %d published, each once", handed, repeated, total)
	}
	if spooled := r.pipeline.Stats().SamplesSpooled.Load(); saved != spooled || saved == 0 {
		t.Errorf("OnStored saw %d samples, want the %d spooled", saved, spooled)
	}
	t.Logf("published %d samples in %d batches across the outage; all stored exactly once; %d handed over from the spool during the outage", total, s.batches.Load(), saved)
}

// TestEmbeddedBrokerToEmbeddedStore is the embedded default's path: the
// in-process mochi broker and the SQLite store, same pipeline.
func TestEmbeddedBrokerToEmbeddedStore(t *testing.T) {
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	store, err := sqlite.OpenSamples(context.Background(), filepath.Join(t.TempDir(), "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r := newRig(t, b.URL(), "balance-ingest", store, ingest.Config{})
	r.bind(t, "p", "emb-a", "emb-b")
	pub := publisher(t, b.URL(), "emb-pub")
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	var want []balance.Sample
	for i := 0; i < 20; i++ {
		d := []string{"emb-a", "emb-b"}[i%2]
		batch := storetest.MakeBatch(d, "", start.Add(time.Duration(i)*time.Second), 100, 100, uint64(i))
		var payload []byte
		switch i % 3 {
		case 0:
			payload = wire.AppendJSON(nil, batch, wire.JSONOptions{})
		case 1:
			payload = wire.AppendLineProtocol(nil, batch)
		case 2:
			payload = wire.AppendBinary(nil, batch, 9.80665/4096, 0.001)
		}
		if tok := pub.Publish(wire.Topic(d, wire.KindIMU), 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
		if d == "emb-a" {
			want = append(want, batch.Samples...)
		}
	}
	waitUntil(t, 10*time.Second, "2000 samples in the embedded store", func() bool {
		n, _ := store.TotalSamples(context.Background())
		return n == 2000
	})
	if got := r.pipeline.Stats().Rejected.Load(); got != 0 {
		t.Fatalf("%d batches rejected", got)
	}
	// Each device's samples are stored under it: emb-a's count is what it sent.
	n, err := store.CountSamples(context.Background(), balance.SampleQuery{DeviceID: "emb-a", From: time.Unix(0, want[0].TimeNS), To: time.Unix(0, want[len(want)-1].TimeNS+1)})
	if err != nil || n != int64(len(want)) {
		t.Fatalf("emb-a: %d samples stored (%v), want the %d it sent", n, err, len(want))
	}
}

// TestBrokerOverflowIsCounted: while ingest is away, a real Mosquitto
// whose queue for it holds 20 messages drops the rest of 200 published
// batches. When ingest is back and the device's next batch arrives, its
// counter shows what never came: the missing metric equals the number of
// batches published and not received, and the open-gap gauge says so until
// they count as lost (loss is never silent).
func TestBrokerOverflowIsCounted(t *testing.T) {
	brokerURL := testenv.StartMosquittoWith(t, "allow_anonymous true\nmax_queued_messages 20\n")
	dir := t.TempDir()
	store, err := sqlite.OpenSamples(context.Background(), filepath.Join(dir, "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	const clientID = "balance-test-overflow"
	r := newRig(t, brokerURL, clientID, store, ingest.Config{})
	r.bind(t, "ov-patient", "ov-dev")
	pub := publisher(t, brokerURL, "ov-dev-pub")
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	send := func(seq uint64) {
		b := &balance.Batch{DeviceID: "ov-dev", Seq: seq, RateHz: 100}
		for i := range 10 {
			b.Samples = append(b.Samples, balance.Sample{TimeNS: t0.Add(time.Duration(seq)*100*time.Millisecond).UnixNano() + int64(i)*10_000_000, Acc: [3]float64{0, 0, 9.81}})
		}
		if tk := pub.Publish(wire.Topic("ov-dev", wire.KindIMU), 1, false, wire.AppendJSON(nil, b, wire.JSONOptions{})); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
			t.Fatalf("publish %d: %v", seq, tk.Error())
		}
	}
	send(1)
	waitUntil(t, 10*time.Second, "the first batch", func() bool { return r.pipeline.Stats().Messages.Load() == 1 })
	r.sub.Stop() // ingest away; its persistent session queues at most 20
	const published = 200
	for seq := uint64(2); seq <= published; seq++ {
		send(seq)
	}
	sub, err := ingest.NewSubscriber(ingest.MQTTConfig{Broker: brokerURL, ClientID: clientID}, r.pipeline.Handle, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Stop)
	var received int64
	for stable := 0; stable < 10; time.Sleep(100 * time.Millisecond) { // until the queue is delivered
		n := r.pipeline.Stats().Messages.Load()
		if n == received {
			stable++
		} else {
			received, stable = n, 0
		}
	}
	send(published + 1) // the device's next batch shows the gap
	waitUntil(t, 10*time.Second, "the next batch", func() bool { return r.pipeline.Stats().Messages.Load() == received+1 })
	// Distinct batches that arrived (a message in flight when ingest left is
	// delivered again: it counts once).
	distinct := -1
	for stable := 0; stable < 5; time.Sleep(100 * time.Millisecond) { // until every arrival is handed over
		r.hooks.mu.Lock()
		n := len(r.hooks.batches)
		r.hooks.mu.Unlock()
		if n == distinct && r.pipeline.QueueDepth() == 0 {
			stable++
		} else {
			distinct, stable = n, 0
		}
	}
	dropped := float64(published + 1 - distinct)
	if dropped <= 0 {
		t.Fatalf("the broker delivered all %d batches: its queue limit did not drop any", published)
	}
	missing := testenv.MetricValue(t, r.reg, "balance_ingest_batches_missing_total")
	recovered := testenv.MetricValue(t, r.reg, "balance_ingest_batches_recovered_total")
	if missing-recovered != dropped {
		t.Errorf("missing %v - recovered %v = %v batches, want the %v published and never received", missing, recovered, missing-recovered, dropped)
	}
	if got := testenv.MetricValue(t, r.reg, "balance_ingest_batches_missing_open"); got != dropped {
		t.Errorf("open-gap gauge %v, want %v", got, dropped)
	}
	t.Logf("published %d batches; %d distinct arrived (%d messages); %v counted missing (%v found missing, %v arrived late after all)", published+1, distinct, received+1, dropped, missing, recovered)
}

// TestUnknownDeviceFloodStaysWithinBudget: anyone who can publish sends 20
// messages of 10 MB as unknown devices, and many small ones, through a real
// Mosquitto. The large ones are refused before they are kept (counted as
// too large), the small ones kept within the quarantine's byte budget, and
// the state database stays small.
func TestUnknownDeviceFloodStaysWithinBudget(t *testing.T) {
	brokerURL := testenv.StartMosquitto(t)
	dir := t.TempDir()
	store, err := sqlite.OpenSamples(context.Background(), filepath.Join(dir, "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r := newRig(t, brokerURL, "balance-test-flood", store, ingest.Config{})
	r.state.QuarantineMaxBytes = 256 << 10
	pub := publisher(t, brokerURL, "flood-pub")
	big := bytes.Repeat([]byte("x"), 10<<20)
	for i := range 20 {
		if tk := pub.Publish(fmt.Sprintf("balance/v1/stranger-%d/imu", i), 1, false, big); !tk.WaitTimeout(30*time.Second) || tk.Error() != nil {
			t.Fatalf("publish: %v", tk.Error())
		}
	}
	small := bytes.Repeat([]byte("y"), 4000)
	for i := range 500 {
		pub.Publish(fmt.Sprintf("balance/v1/stranger-s%d/imu", i), 1, false, small).WaitTimeout(10 * time.Second)
	}
	waitUntil(t, 60*time.Second, "every message handled", func() bool { return r.pipeline.Stats().Messages.Load() == 520 })
	if got := testenv.MetricValue(t, r.reg, "balance_ingest_rejected_total", "reason", "too_large"); got != 20 {
		t.Errorf("too-large rejections %v, want 20", got)
	}
	all, err := r.state.Quarantined(context.Background(), "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, q := range all {
		kept += len(q.Payload)
	}
	if kept > 256<<10 {
		t.Errorf("quarantine keeps %d bytes, over its %d-byte budget", kept, 256<<10)
	}
	var size int64
	for _, f := range []string{"state.db", "state.db-wal"} {
		if st, err := os.Stat(filepath.Join(r.dir, f)); err == nil {
			size += st.Size()
		}
	}
	if size > 8<<20 {
		t.Errorf("the state database grew to %d bytes under a 200 MB flood, want a few MB at most", size)
	}
	t.Logf("flood of 200 MB: quarantine keeps %d payloads, %d bytes; state database %d bytes", len(all), kept, size)
}
