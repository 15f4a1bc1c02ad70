package ingest_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/ingest"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/wire"
)

// loadPublisherEnv makes the test binary act as the device fleet of
// BenchmarkLoad in a separate process (see runLoadPublisher).
const loadPublisherEnv = "BALANCE_BENCH_LOAD_PUBLISHER"

// loadPublisherConns is the number of MQTT connections the publisher
// spreads the devices over (one connection cannot reach flood rates).
const loadPublisherConns = 8

// telegrafVersion is the Telegraf release the peers script builds.
const telegrafVersion = "1.37.2"

// telegrafDB is the InfluxDB database the Telegraf columns write to.
const telegrafDB = "telegraf"

// loadDrainDeadline bounds the wait for the last sample after the
// publisher has finished.
const loadDrainDeadline = 3 * time.Minute

// loadSpec is what the publisher child publishes.
type loadSpec struct {
	broker, prefix, encoding string
	stream                   string // sine or sim (see BenchmarkLoad)
	devices, perDevice       int
	startS                   int64
	rate                     float64 // batches per second over all devices; 0: flood
}

// String encodes s for the publisher's environment variable.
func (s loadSpec) String() string {
	return fmt.Sprintf("%s,%s,%s,%s,%d,%d,%d,%g", s.broker, s.prefix, s.encoding, s.stream, s.devices, s.perDevice, s.startS, s.rate)
}

// parseLoadSpec decodes loadSpec.String.
func parseLoadSpec(v string) (loadSpec, error) {
	f := strings.Split(v, ",")
	if len(f) != 8 {
		return loadSpec{}, fmt.Errorf("bad load publisher spec %q", v)
	}
	s := loadSpec{broker: f[0], prefix: f[1], encoding: f[2], stream: f[3]}
	var errs [4]error
	s.devices, errs[0] = strconv.Atoi(f[4])
	s.perDevice, errs[1] = strconv.Atoi(f[5])
	s.startS, errs[2] = strconv.ParseInt(f[6], 10, 64)
	s.rate, errs[3] = strconv.ParseFloat(f[7], 64)
	for _, err := range errs {
		if err != nil {
			return loadSpec{}, fmt.Errorf("load publisher spec %q: %w", v, err)
		}
	}
	return s, nil
}

// loadDeviceID is the id of device d of a run.
func loadDeviceID(prefix string, d int) string { return fmt.Sprintf("%s-%05d", prefix, d) }

// The sim stream (BALANCE_BENCH_STREAM=sim): loadSimScenarios distinct
// scenarios, device d playing scenario d mod loadSimScenarios; the fleet
// walks loadSimWalkFraction of the time in single walks of at least
// loadSimMinWalkS (the monitor analyses no activity span shorter than 5 s),
// each starting at least loadSimLeadS into the run and followed by at
// least loadSimTailS of standing (3 s of stillness end the span, and its
// read-back reaches 2 s past it).
const (
	loadSimScenarios    = 16
	loadSimWalkFraction = 0.10
	loadSimMinWalkS     = 8.0
	loadSimLeadS        = 2.0
	loadSimTailS        = 6.0
)

// loadSimStreams returns the samples of the sim stream's scenarios for a
// run of seconds seconds: 100 Hz, seconds×100 samples each, timed from 0.
// A walk lasts max(10 % of the run, loadSimMinWalkS); when that is more
// than 10 %, only as many scenarios walk as keep the fleet's walking time
// near 10 % (at least one). The walks start at offsets spread over the
// run; the others, and the rest of the walkers' time, is quiet standing.
func loadSimStreams(seconds int) ([][]balance.Sample, error) {
	walkS := max(loadSimWalkFraction*float64(seconds), loadSimMinWalkS)
	// Room for the walk's own variability (step-time CV) past walkS.
	room := float64(seconds) - loadSimLeadS - loadSimTailS - walkS - 1
	if room < 0 {
		return nil, fmt.Errorf("sim stream: %d s is too short for a %g s walk with %g s before and %g s after it", seconds, walkS, loadSimLeadS, loadSimTailS)
	}
	walkers := min(loadSimScenarios, max(1, int(math.Round(loadSimScenarios*loadSimWalkFraction*float64(seconds)/walkS))))
	body := sim.DefaultBody()
	n := seconds * 100
	out := make([][]balance.Sample, loadSimScenarios)
	for i := range out {
		sc := sim.NewScenario(body, 100, uint64(i+1))
		if i < walkers {
			// Spread the walkers' starts evenly over the room.
			sc.Idle(loadSimLeadS + room*float64(i)/float64(max(1, walkers-1)))
			w := sim.NormalWalk(body, 1)
			w.Steps = max(2, int(math.Round(walkS*w.CadenceSPM/60)))
			sc.Walk(w)
			if end := sc.DurationS(); end > float64(seconds)-loadSimTailS {
				return nil, fmt.Errorf("sim stream: scenario %d walks until %.2f s of %d", i, end, seconds)
			}
		}
		sc.Idle(float64(seconds) - sc.DurationS() + 1)
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("sim stream: scenario %d: %w", i, err)
		}
		ss := sc.Samples(sim.TypicalSensor(), 0)
		if len(ss) < n {
			return nil, fmt.Errorf("sim stream: scenario %d has %d samples, want %d", i, len(ss), n)
		}
		out[i] = ss[:n:n]
	}
	return out, nil
}

// runLoadPublisher publishes perDevice batches of 100 samples for each of
// the spec's devices at QoS 1 over loadPublisherConns connections (device d
// always on connection d mod conns, so each device's batches stay in
// order), batch k of every device before batch k+1 of any, paced at rate
// batches per second (0: as fast as the broker takes them), and waits for
// every PUBACK. Batch k of a device starts at startS+k seconds, 10 ms per
// sample, with deterministic values: a sinusoid, or with the sim stream
// the samples k×100… of the device's scenario (loadSimStreams, rendered
// once here).
func runLoadPublisher(v string) int {
	s, err := parseLoadSpec(v)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var streams [][]balance.Sample
	if s.stream == "sim" {
		if streams, err = loadSimStreams(s.perDevice); err != nil {
			fmt.Fprintln(os.Stderr, "load publisher:", err)
			return 2
		}
	}
	began := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Bool
	for g := 0; g < loadPublisherConns && g < s.devices; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := publishLoadShare(s, streams, g, began); err != nil {
				fmt.Fprintln(os.Stderr, "load publisher:", err)
				failed.Store(true)
			}
		}()
	}
	wg.Wait()
	if failed.Load() {
		return 1
	}
	return 0
}

// publishLoadShare publishes the batches of the devices of connection g
// (see runLoadPublisher); streams is nil for the sine stream, else the sim
// stream's scenarios.
func publishLoadShare(s loadSpec, streams [][]balance.Sample, g int, began time.Time) error {
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(s.broker).SetClientID(fmt.Sprintf("%s-pub%d", s.prefix, g)).
		SetCleanSession(true).SetWriteTimeout(60 * time.Second).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("connect: %w", tok.Error())
	}
	defer c.Disconnect(250)
	b := &balance.Batch{RateHz: 100, Samples: make([]balance.Sample, 100)}
	var buf []byte
	toks := make([]mqtt.Token, 0, 2048)
	wait := func() error {
		for _, t := range toks {
			if t.Wait(); t.Error() != nil {
				return fmt.Errorf("publish: %w", t.Error())
			}
		}
		toks = toks[:0]
		return nil
	}
	for k := 0; k < s.perDevice; k++ {
		for d := g; d < s.devices; d += loadPublisherConns {
			if s.rate > 0 {
				i := k*s.devices + d
				if w := time.Until(began.Add(time.Duration(float64(i) / s.rate * 1e9))); w > 0 {
					time.Sleep(w)
				}
			}
			b.DeviceID, b.Seq = loadDeviceID(s.prefix, d), uint64(k+1)
			t0 := s.startS*1e9 + int64(k)*1e9
			if streams != nil {
				// Scenario samples are timed from 0: shift to the run's base.
				copy(b.Samples, streams[d%len(streams)][k*100:(k+1)*100])
				for j := range b.Samples {
					b.Samples[j].TimeNS += s.startS * 1e9
				}
			} else {
				for j := range b.Samples {
					ph := float64(k*100+j)*2*math.Pi/100 + float64(d)
					b.Samples[j] = balance.Sample{TimeNS: t0 + int64(j)*1e7,
						Acc:  [3]float64{0.5 * math.Sin(ph), 0.3 * math.Cos(ph), 9.81 + math.Sin(2*ph)},
						Gyro: [3]float64{0.1 * math.Sin(ph), 0.05, -0.02}}
				}
			}
			if s.encoding == "binary" {
				buf = wire.AppendBinary(buf[:0], b, 9.80665/2048, math.Pi/180/16.4)
			} else {
				buf = wire.AppendLineProtocol(buf[:0], b)
			}
			toks = append(toks, c.Publish(wire.Topic(b.DeviceID, wire.KindIMU), 1, false, append([]byte(nil), buf...)))
			if len(toks) == cap(toks) {
				if err := wait(); err != nil {
					return err
				}
			}
		}
	}
	return wait()
}

// BenchmarkLoad runs the paced, flood and backlog cases side by side
// against a real Mosquitto (a fresh one per case) and the shared influxd:
// balance's ingest (pipeline, subscriber and a monitor wired as `balance
// serve` does) and, as the reference on the same stream and the same
// influxd, Telegraf writing with identity and with gzip content encoding.
// Sub-benchmarks are <column>/<mode>/devices=<N>; each does its work once
// whatever b.N, so run it with -benchtime=1x. Each device sends one 100-sample batch per second
// of its clock (100 Hz): paced publishes N batches/s for
// BALANCE_BENCH_SECONDS (default 20) seconds, flood the same batches as fast
// as the broker takes them, from a child process (8 connections, QoS 1).
// backlog (balance column only; the Telegraf columns skip it) is issue 17's
// outage: ingest connects once with its persistent session and subscribes,
// is stopped, the publisher floods the whole stream into the broker's queue
// for that session and exits, and only then a new subscriber with the same
// client id starts on the same pipeline; everything is measured from that
// restart, drain-s included (restart → last sample stored). A 3 M-sample
// backlog (30,000 batches; the test Mosquitto queues up to 1,000,000 per
// session) is BALANCE_BENCH_DEVICES=1500 BALANCE_BENCH_SECONDS=20.
//
// Environment: BALANCE_BENCH_DEVICES (comma list, default "500"),
// BALANCE_BENCH_SECONDS, BALANCE_BENCH_ENCODING (line, the default and the
// only one Telegraf reads, or binary: balance only), BALANCE_BENCH_STREAM,
// BALANCE_TELEGRAF (the telegraf binary; default: built once by
// shared/tools/peers/build-telegraf.sh into the user cache directory).
//
// BALANCE_BENCH_STREAM is what the devices send: sine (the default), a
// synthetic sinusoid that the monitor sees as one activity never ending, so
// nothing is read back by design; or sim, the simulator's body model
// (package sim): quiet standing with walks making up about 10 % of the
// fleet's time, each followed by at least 6 s of standing, so that the
// monitor's activity spans end within the run and are read back from
// influxd for gait analysis (design-read-samples), as in free living. A
// walk lasts 10 % of the run but at least 8 s (shorter spans are not
// analysed), so in runs under 80 s only some devices walk; sim needs
// BALANCE_BENCH_SECONDS ≥ 17. Sixteen scenarios are rendered once in the
// publisher, device d playing scenario d mod 16 (see loadSimStreams).
//
// Reported per case: samples/s stored (over the time from the publisher's
// start, for backlog from the restart, to the last sample stored), lost
// (published − counted in influxd), ingest-cpu-s/Msample (this process, or
// Telegraf's; CPU from /proc over the same window, per million samples
// counted in influxd), influxd-cpu-s/Msample, drain-s (publisher done, for
// backlog the restart, → last sample stored), peak-rss-MB and, for
// balance, spooled-fraction, readback-samples and monitor-dropped.
//
// The table of issue 17:
//
//	BALANCE_BENCH_DEVICES=500,1000,1500,2000,2500 BALANCE_BENCH_SECONDS=20 \
//	  go test -run '^$' -bench 'Load' -benchtime=1x -timeout 3h ./ingest/
func BenchmarkLoad(b *testing.B) {
	seconds := 20
	if v := os.Getenv("BALANCE_BENCH_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("BALANCE_BENCH_SECONDS=%q: want a positive whole number of seconds", v)
		}
		seconds = n
	}
	var devices []int
	for _, f := range strings.Split(cmp.Or(os.Getenv("BALANCE_BENCH_DEVICES"), "500"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("BALANCE_BENCH_DEVICES=%q: want a comma list of device counts", os.Getenv("BALANCE_BENCH_DEVICES"))
		}
		devices = append(devices, n)
	}
	encoding := cmp.Or(os.Getenv("BALANCE_BENCH_ENCODING"), "line")
	if encoding != "line" && encoding != "binary" {
		b.Fatalf("BALANCE_BENCH_ENCODING=%q: want line or binary", encoding)
	}
	stream := cmp.Or(os.Getenv("BALANCE_BENCH_STREAM"), "sine")
	switch stream {
	case "sine":
	case "sim":
		// Fail here, not in the publisher child, on a run too short.
		if _, err := loadSimStreams(seconds); err != nil {
			b.Fatalf("BALANCE_BENCH_STREAM=sim: %v", err)
		}
	default:
		b.Fatalf("BALANCE_BENCH_STREAM=%q: want sine or sim", stream)
	}
	for _, column := range []string{"balance", "telegraf-identity", "telegraf-gzip"} {
		for _, mode := range []string{"paced", "flood", "backlog"} {
			for _, n := range devices {
				b.Run(fmt.Sprintf("%s/%s/devices=%d", column, mode, n), func(b *testing.B) {
					rate := float64(n)
					if mode != "paced" {
						rate = 0 // flood, and backlog publishes the same way
					}
					if column == "balance" {
						benchLoadBalance(b, n, seconds, rate, encoding, stream, mode == "backlog")
						return
					}
					if mode == "backlog" {
						b.Skip("backlog: balance column only")
					}
					if encoding == "binary" {
						b.Skip("Telegraf cannot parse balance's binary encoding")
					}
					benchLoadTelegraf(b, n, seconds, rate, stream, strings.TrimPrefix(column, "telegraf-"))
				})
			}
		}
	}
}

// loadRun is one case's publisher and the measurements around it.
type loadRun struct {
	spec      loadSpec
	in        *testenv.Influx
	pub       *exec.Cmd
	published int64
	// Set by measure.
	elapsed, drain       time.Duration
	stored               int64
	ingestCPU, influxCPU time.Duration
}

// newLoadRun prepares a publisher of devices × seconds batches of stream
// (sine or sim) on broker with a fresh device-id prefix.
func newLoadRun(in *testenv.Influx, broker, encoding, stream string, devices, seconds int, rate float64) *loadRun {
	s := loadSpec{broker: broker, prefix: "load" + strconv.FormatInt(time.Now().UnixNano()%1e12, 36), encoding: encoding, stream: stream,
		devices: devices, perDevice: seconds, startS: time.Now().Add(-time.Hour).Unix(), rate: rate}
	pub := exec.Command(os.Args[0], "-test.run=^$")
	pub.Env = append(os.Environ(), loadPublisherEnv+"="+s.String())
	pub.Stderr = os.Stderr
	return &loadRun{spec: s, in: in, pub: pub, published: int64(devices) * int64(seconds) * 100}
}

// measure starts the publisher and polls stored (samples stored so far)
// every poll until it reaches the published count or loadDrainDeadline
// after the publisher has finished; cpu returns the ingest process's CPU
// time. It records the wall time to the last stored sample, the drain time
// and the CPU of ingest and influxd over that time. With restart (backlog
// mode; nil otherwise) the publisher runs to its end first, unmeasured,
// and the measurement starts with the call to restart, which brings ingest
// back: wall time and drain time are then both restart → last sample.
func (r *loadRun) measure(b *testing.B, poll time.Duration, stored func() (int64, error), cpu func() (time.Duration, error), restart func() error) {
	b.Helper()
	if restart != nil {
		if err := r.pub.Run(); err != nil {
			b.Fatalf("publisher: %v", err)
		}
		if n, err := stored(); err != nil || n != 0 {
			b.Fatalf("ingest stored %d samples during the outage (%v)", n, err)
		}
	}
	influx0, err := testenv.ProcessCPU(r.in.Pid())
	if err != nil {
		b.Fatal(err)
	}
	cpu0, err := cpu()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	t0 := time.Now()
	pubDone := make(chan error, 1)
	var pubEnd time.Time
	if restart != nil {
		if err := restart(); err != nil {
			b.Fatalf("restart ingest: %v", err)
		}
		pubEnd = t0
	} else {
		if err := r.pub.Start(); err != nil {
			b.Fatalf("start publisher: %v", err)
		}
		go func() { pubDone <- r.pub.Wait() }()
	}
	last := t0
	for {
		n, err := stored()
		if err != nil {
			b.Fatal(err)
		}
		if n > r.stored {
			r.stored, last = n, time.Now()
		}
		if r.stored >= r.published {
			break
		}
		if pubEnd.IsZero() {
			select {
			case err := <-pubDone:
				if err != nil {
					b.Fatalf("publisher: %v", err)
				}
				pubEnd = time.Now()
			default:
			}
		} else if time.Since(pubEnd) > loadDrainDeadline {
			b.Errorf("stored %d of %d samples %v after the publisher finished", r.stored, r.published, loadDrainDeadline)
			break
		}
		time.Sleep(poll)
	}
	b.StopTimer()
	influx1, err := testenv.ProcessCPU(r.in.Pid())
	if err != nil {
		b.Fatal(err)
	}
	cpu1, err := cpu()
	if err != nil {
		b.Fatal(err)
	}
	if pubEnd.IsZero() { // everything stored before the last PUBACK arrived
		if err := <-pubDone; err != nil {
			b.Fatalf("publisher: %v", err)
		}
		pubEnd = time.Now()
	}
	r.elapsed, r.drain = last.Sub(t0), max(0, last.Sub(pubEnd))
	r.ingestCPU, r.influxCPU = cpu1-cpu0, influx1-influx0
}

// report checks the count in influxd (db.rp) and reports the metrics
// common to both columns.
func (r *loadRun) report(b *testing.B, db, rp string, peakRSS int64) {
	b.Helper()
	counted, err := loadCount(r.in, db, rp, r.spec.prefix)
	if err != nil {
		b.Fatal(err)
	}
	lost := r.published - counted
	if lost != 0 {
		b.Errorf("published %d samples, influxd holds %d", r.published, counted)
	}
	msamples := float64(max(counted, 1)) / 1e6
	b.ReportMetric(float64(r.stored)/r.elapsed.Seconds(), "samples/s")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(r.ingestCPU.Seconds()/msamples, "ingest-cpu-s/Msample")
	b.ReportMetric(r.influxCPU.Seconds()/msamples, "influxd-cpu-s/Msample")
	b.ReportMetric(r.drain.Seconds(), "drain-s")
	b.ReportMetric(float64(peakRSS)/(1<<20), "peak-rss-MB")
}

// benchLoadBalance runs one case through balance's ingest with monitoring
// wired as `balance serve` wires it (cmd/balance/app.go startIngest). With
// backlog, ingest's subscriber is stopped after its first subscription and
// a new one with the same client id is started once the whole stream waits
// at the broker (see BenchmarkLoad).
func benchLoadBalance(b *testing.B, devices, seconds int, rate float64, encoding, stream string, backlog bool) {
	brokerURL := testenv.StartMosquitto(b)
	in := testenv.SharedInflux(b)
	store := newInfluxStoreTB(b, in)
	state, sp := openBenchState(b)
	ctx := context.Background()
	r := newLoadRun(in, brokerURL, encoding, stream, devices, seconds, rate)
	for d := 0; d < devices; d++ { // one patient per device, as in a clinic
		id := loadDeviceID(r.spec.prefix, d)
		if err := state.CreatePatient(ctx, balance.Patient{ID: "p-" + id}); err != nil {
			b.Fatal(err)
		}
		if err := state.RegisterDevice(ctx, balance.Device{ID: id, PatientID: "p-" + id}); err != nil {
			b.Fatal(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mon, err := monitor.New(monitor.DefaultConfig(), monitor.Deps{Store: store, State: state, Sink: discardSink{}, Log: logger.With("component", "monitor")})
	if err != nil {
		b.Fatal(err)
	}
	if err := mon.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer mon.Close()
	p, err := ingest.New(ingest.Config{}, ingest.Deps{Store: store, Registry: state, Quarantine: state, Spool: sp,
		Metrics: prometheus.NewRegistry(), Logger: logger.With("component", "ingest"),
		OnBatch: mon.OnBatch, OnStored: mon.OnStored, OnEvent: mon.OnEvent})
	if err != nil {
		b.Fatal(err)
	}
	p.Start()
	defer p.Stop()
	mqttCfg := ingest.MQTTConfig{Broker: brokerURL, ClientID: r.spec.prefix + "-ingest"}
	sub, err := ingest.NewSubscriber(mqttCfg, p.Handle, logger.With("component", "mqtt"), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := sub.Start(ctx, 10*time.Second); err != nil {
		b.Fatal(err)
	}
	defer func() { sub.Stop() }()      // the current one: backlog replaces it
	time.Sleep(200 * time.Millisecond) // subscription in place
	var restart func() error
	if backlog {
		// The outage: the broker keeps the persistent session (clean
		// session false) and queues the stream for it until a subscriber
		// with the same client id comes back.
		sub.Stop()
		restart = func() error {
			s, err := ingest.NewSubscriber(mqttCfg, p.Handle, logger.With("component", "mqtt"), nil)
			if err != nil {
				return fmt.Errorf("new subscriber: %w", err)
			}
			sub = s
			if err := s.Start(ctx, 10*time.Second); err != nil {
				return fmt.Errorf("start subscriber: %w", err)
			}
			return nil
		}
	}

	// Peak RSS: this process's VmRSS from /proc/self/status sampled every
	// 100 ms during the run (its VmHWM includes the earlier cases), after
	// handing the previous cases' free memory back to the OS.
	debug.FreeOSMemory()
	rss := startRSSSampler(os.Getpid())
	stored0 := p.Stats().SamplesStored.Load()
	r.measure(b, 10*time.Millisecond,
		func() (int64, error) { return p.Stats().SamplesStored.Load() - stored0, nil },
		func() (time.Duration, error) { return testenv.SelfCPU(), nil }, restart)
	peak := rss()
	if n := p.Stats().Rejected.Load(); n != 0 {
		b.Errorf("%d batches rejected", n)
	}
	if n := p.Stats().Quarantined.Load(); n != 0 {
		b.Errorf("%d batches quarantined", n)
	}
	r.report(b, testenv.Database, "raw", peak)
	ms := mon.Stats()
	waitMonitor(b, ms, int64(devices)*int64(seconds))
	b.ReportMetric(float64(p.Stats().SamplesSpooled.Load())/float64(r.published), "spooled-fraction")
	b.ReportMetric(float64(ms.ReadBack()), "readback-samples")
	b.ReportMetric(float64(ms.ReadByDesign()), "design-read-samples")
	b.ReportMetric(float64(ms.GaitWindows.Load()), "gait-windows")
	b.ReportMetric(float64(ms.Waits.Load()), "monitor-waits")
	b.ReportMetric(float64(ms.Dropped.Load()), "monitor-dropped")
	b.ReportMetric(float64(ms.LateBatches.Load()), "monitor-late-batches")
}

// loadMonitorWait bounds waitMonitor.
const loadMonitorWait = 30 * time.Second

// waitMonitor waits (up to loadMonitorWait) until the monitor has handled
// all batches (analysed or dropped) and its slow lane (session and gait
// analyses, with their read-backs) is empty, so that the read counts
// reported are complete; reads done in this wait are after the measured
// window.
func waitMonitor(b *testing.B, ms *monitor.Stats, batches int64) {
	b.Helper()
	deadline := time.Now().Add(loadMonitorWait)
	for ms.Batches.Load()+ms.Dropped.Load() < batches || ms.SlowPending.Load() > 0 {
		if time.Now().After(deadline) {
			b.Logf("monitor still busy after %v: %d+%d of %d batches handled, %d slow analyses pending",
				loadMonitorWait, ms.Batches.Load(), ms.Dropped.Load(), batches, ms.SlowPending.Load())
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// discardSink takes every alert and forgets it: the benchmark measures
// ingest and monitoring, not alert delivery.
type discardSink struct{}

// Raise forgets a.
func (discardSink) Raise(context.Context, balance.Alert) error { return nil }

// Resolve does nothing.
func (discardSink) Resolve(context.Context, string, string) error { return nil }

// benchLoadTelegraf runs one case of stream (sine or sim) through Telegraf
// writing to the shared influxd with content_encoding enc (identity or
// gzip).
func benchLoadTelegraf(b *testing.B, devices, seconds int, rate float64, stream, enc string) {
	bin := telegrafBinary(b)
	brokerURL := testenv.StartMosquitto(b)
	in := testenv.SharedInflux(b)
	if err := in.Exec("CREATE DATABASE " + telegrafDB); err != nil {
		b.Fatal(err)
	}
	r := newLoadRun(in, brokerURL, "line", stream, devices, seconds, rate)
	tg := startTelegraf(b, bin, brokerURL, in.URL, enc, r.spec.prefix+"-telegraf")
	defer tg.stop()

	base, err := telegrafPointsWritten(in)
	if err != nil {
		b.Fatal(err)
	}
	// Stored so far: the points influxd's shards of the telegraf database
	// accepted (SHOW STATS, cheap; a write Telegraf retried would count
	// twice), polled every 250 ms, so drain-s is to 0.25 s; the exact count
	// (a count() query, heavy on millions of points) is taken once at the
	// end by report.
	r.measure(b, 250*time.Millisecond,
		func() (int64, error) {
			n, err := telegrafPointsWritten(in)
			return n - base, err
		},
		func() (time.Duration, error) { return testenv.ProcessCPU(tg.cmd.Process.Pid) }, nil)
	peak, err := procStatusKB(tg.cmd.Process.Pid, "VmHWM")
	if err != nil {
		b.Fatal(err)
	}
	r.report(b, telegrafDB, "autogen", peak)
}

var (
	telegrafOnce sync.Once
	telegrafPath string
	telegrafErr  error
)

// telegrafBinary returns $BALANCE_TELEGRAF or a Telegraf built once by
// shared/tools/peers/build-telegraf.sh into the user cache directory.
func telegrafBinary(b *testing.B) string {
	b.Helper()
	if p := os.Getenv("BALANCE_TELEGRAF"); p != "" {
		return p
	}
	telegrafOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			telegrafErr = fmt.Errorf("user cache dir: %w", err)
			return
		}
		out := filepath.Join(cache, "balance-test", "telegraf-"+telegrafVersion)
		telegrafPath = filepath.Join(out, "telegraf")
		if _, err := os.Stat(telegrafPath); err == nil {
			return
		}
		if peersDir() == "" {
			telegrafErr = fmt.Errorf("shared/tools/peers not found above the test directory: set BALANCE_TELEGRAF to a telegraf %s binary", telegrafVersion)
			return
		}
		script := filepath.Join(peersDir(), "build-telegraf.sh")
		slog.Info("building Telegraf for BenchmarkLoad (once)", "out", out)
		cmd := exec.Command("bash", script, out)
		if o, err := cmd.CombinedOutput(); err != nil {
			telegrafErr = fmt.Errorf("building Telegraf with `bash %s %s`: %w\n%s", script, out, err, o)
		}
	})
	if telegrafErr != nil {
		b.Fatal(telegrafErr)
	}
	return telegrafPath
}

// peersDir returns shared/tools/peers ("" when shared/ is not found).
func peersDir() string {
	d := testenv.SharedDataDir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, "..", "tools", "peers")
}

// telegrafProc is a running Telegraf and its log.
type telegrafProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

// Write keeps Telegraf's output.
func (t *telegrafProc) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.log.Write(p)
}

// logText returns Telegraf's output so far.
func (t *telegrafProc) logText() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.log.String()
}

// startTelegraf writes Telegraf's configuration from the peers' template
// and starts it; it returns once Telegraf has connected to the broker.
func startTelegraf(b *testing.B, bin, brokerURL, influxURL, enc, clientID string) *telegrafProc {
	b.Helper()
	tmpl, err := os.ReadFile(filepath.Join(peersDir(), "telegraf-balance.conf"))
	if err != nil {
		b.Fatalf("telegraf configuration template: %v", err)
	}
	conf := strings.NewReplacer(
		"tcp://BROKER", "tcp://"+strings.TrimPrefix(brokerURL, "tcp://"),
		"http://INFLUX", "http://"+strings.TrimPrefix(influxURL, "http://"),
		`client_id = "telegraf-peer"`, fmt.Sprintf("client_id = %q", clientID),
		`content_encoding = "identity"`, fmt.Sprintf("content_encoding = %q", enc),
		`database = "telegraf"`, fmt.Sprintf("database = %q", telegrafDB),
	).Replace(string(tmpl))
	if !strings.Contains(conf, clientID) || !strings.Contains(conf, fmt.Sprintf("content_encoding = %q", enc)) {
		b.Fatal("telegraf-balance.conf no longer has the client_id and content_encoding lines this benchmark replaces")
	}
	path := filepath.Join(b.TempDir(), "telegraf.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		b.Fatal(err)
	}
	t := &telegrafProc{done: make(chan struct{})}
	t.cmd = exec.Command(bin, "--config", path)
	t.cmd.Stdout, t.cmd.Stderr = t, t
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := t.cmd.Start(); err != nil {
		b.Fatalf("start telegraf: %v", err)
	}
	go func() { t.cmd.Wait(); close(t.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(t.logText(), "Connected") {
		select {
		case <-t.done:
			b.Fatalf("telegraf exited: %s", t.logText())
		default:
		}
		if time.Now().After(deadline) {
			t.stop()
			b.Fatalf("telegraf did not connect to %s in 30 s: %s", brokerURL, t.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // subscription in place
	return t
}

// stop ends Telegraf (SIGTERM, then SIGKILL after 10 s).
func (t *telegrafProc) stop() {
	t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.done:
	case <-time.After(10 * time.Second):
		t.cmd.Process.Kill()
		<-t.done
	}
}

// loadCount returns the samples of the run's devices (prefix) that db.rp's
// imu measurement holds.
func loadCount(in *testenv.Influx, db, rp, prefix string) (int64, error) {
	ss, err := in.Query(db, fmt.Sprintf(`SELECT count(ax) FROM %q.%q."imu" WHERE device =~ /^%s-/`, db, rp, prefix))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range ss {
		n += s.Int(0, "count")
	}
	return n, nil
}

// telegrafPointsWritten returns the points influxd's shards of telegrafDB
// have accepted since influxd started (SHOW STATS: in memory, cheap).
func telegrafPointsWritten(in *testenv.Influx) (int64, error) {
	ss, err := in.Query("", "SHOW STATS FOR 'shard'")
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range ss {
		if s.Tags["database"] == telegrafDB {
			n += s.Int(0, "writePointsOk")
		}
	}
	return n, nil
}

// procStatusKB returns field (e.g. "VmRSS", "VmHWM") of /proc/PID/status in
// bytes.
func procStatusKB(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status %s: %w", pid, field, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// startRSSSampler samples process pid's VmRSS every 100 ms; the returned
// function stops sampling and returns the largest value seen, in bytes.
func startRSSSampler(pid int) func() int64 {
	var peak atomic.Int64
	sample := func() {
		if v, err := procStatusKB(pid, "VmRSS"); err == nil && v > peak.Load() {
			peak.Store(v)
		}
	}
	sample()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		sample()
		return peak.Load()
	}
}

// TestLoadSimStreams checks the sim stream of BenchmarkLoad against the
// monitor's view of it (1 s blocks moving when the SD of |acc| exceeds
// 0.05 g or the mean |gyro| 0.35 rad/s, as monitor/worker.go): every
// scenario has the run's samples, 10 ms apart from 0; a walker moves for
// at least 6 s in one span that starts after the first second and is
// followed by at least 5 s of stillness; the others never move; and the
// fleet moves about 10 % of the time.
func TestLoadSimStreams(t *testing.T) {
	for _, seconds := range []int{17, 20, 30, 120} {
		streams, err := loadSimStreams(seconds)
		if err != nil {
			t.Fatalf("%d s: %v", seconds, err)
		}
		if len(streams) != loadSimScenarios {
			t.Fatalf("%d s: %d scenarios, want %d", seconds, len(streams), loadSimScenarios)
		}
		movingAll := 0
		for i, ss := range streams {
			if len(ss) != seconds*100 {
				t.Fatalf("%d s, scenario %d: %d samples", seconds, i, len(ss))
			}
			first, last := -1, -1
			for k := 0; k < seconds; k++ {
				var sum, sq, gyr float64
				for j, s := range ss[k*100 : (k+1)*100] {
					if s.TimeNS != int64(k*100+j)*1e7 {
						t.Fatalf("%d s, scenario %d: sample %d at %d ns", seconds, i, k*100+j, s.TimeNS)
					}
					a := math.Sqrt(s.Acc[0]*s.Acc[0] + s.Acc[1]*s.Acc[1] + s.Acc[2]*s.Acc[2])
					sum, sq = sum+a, sq+a*a
					gyr += math.Sqrt(s.Gyro[0]*s.Gyro[0] + s.Gyro[1]*s.Gyro[1] + s.Gyro[2]*s.Gyro[2])
				}
				sd := math.Sqrt(max(0, sq/100-(sum/100)*(sum/100)))
				if sd > 0.05*balance.StandardGravity || gyr/100 > 0.35 {
					movingAll++
					if first < 0 {
						first = k
					}
					last = k
				}
			}
			if first < 0 {
				continue
			}
			if span := last - first + 1; first < 1 || span < 6 || seconds-1-last < 5 {
				t.Errorf("%d s, scenario %d: moves in blocks %d..%d of %d", seconds, i, first, last, seconds)
			}
		}
		if f := float64(movingAll) / float64(seconds*loadSimScenarios); f < 0.06 || f > 0.16 {
			t.Errorf("%d s: the fleet moves %.1f %% of the time, want about 10 %%", seconds, 100*f)
		}
	}
	if _, err := loadSimStreams(16); err == nil {
		t.Error("a 16 s sim stream: no error")
	}
}
