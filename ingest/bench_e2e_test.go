package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/ingest"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/spool"
	"github.com/balance-pt/balance/sqlite"
	"github.com/balance-pt/balance/wire"
)

// benchPublisherEnv makes the test binary act as the device fleet of
// BenchmarkEndToEnd in a separate process, so that the benchmark's CPU
// figures cover the ingest side alone.
const benchPublisherEnv = "BALANCE_BENCH_PUBLISHER"

// runBenchPublisher publishes "broker,prefix,devices,batches,start_unix_s,rate"
// batches of 100 binary-encoded samples, round-robin over the devices, at
// QoS 1, then waits for every PUBACK. rate is batches per second (0: as fast
// as the broker takes them).
func runBenchPublisher(spec string) int {
	f := strings.Split(spec, ",")
	if len(f) != 6 {
		fmt.Fprintln(os.Stderr, "bad publisher spec", spec)
		return 2
	}
	devices, _ := strconv.Atoi(f[2])
	batches, _ := strconv.Atoi(f[3])
	startS, _ := strconv.ParseInt(f[4], 10, 64)
	rate, _ := strconv.ParseFloat(f[5], 64)
	began := time.Now()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(f[0]).SetClientID(f[1] + "-pub").SetCleanSession(true).SetWriteTimeout(30 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		fmt.Fprintln(os.Stderr, "connect:", tok.Error())
		return 1
	}
	defer c.Disconnect(250)
	b := &balance.Batch{RateHz: 100, Samples: make([]balance.Sample, 100)}
	var buf []byte
	toks := make([]mqtt.Token, 0, 4096)
	for i := 0; i < batches; i++ {
		if rate > 0 {
			if wait := time.Until(began.Add(time.Duration(float64(i) / rate * 1e9))); wait > 0 {
				time.Sleep(wait)
			}
		}
		d, k := i%devices, i/devices
		b.DeviceID = fmt.Sprintf("%s-%04d", f[1], d)
		t0 := startS*1e9 + int64(k)*1e9
		for j := range b.Samples {
			ph := float64(k*100+j) * 2 * math.Pi / 100
			b.Samples[j] = balance.Sample{TimeNS: t0 + int64(j)*1e7,
				Acc:  [3]float64{0.5 * math.Sin(ph), 0.3 * math.Cos(ph), 9.81 + math.Sin(2*ph)},
				Gyro: [3]float64{0.1 * math.Sin(ph), 0.05, -0.02}}
		}
		buf = wire.AppendBinary(buf[:0], b, 9.80665/2048, math.Pi/180/16.4)
		toks = append(toks, c.Publish(wire.Topic(b.DeviceID, wire.KindIMU), 1, false, append([]byte(nil), buf...)))
		if len(toks) == cap(toks) {
			for _, t := range toks {
				t.Wait()
			}
			toks = toks[:0]
		}
	}
	for _, t := range toks {
		if t.Wait(); t.Error() != nil {
			fmt.Fprintln(os.Stderr, "publish:", t.Error())
			return 1
		}
	}
	return 0
}

// BenchmarkEndToEnd measures ingest through a real Mosquitto (configured as
// deploy/mosquitto.conf) into a real InfluxDB 1.8: 500 devices publish
// 100-sample binary batches from a separate process; the clock stops when
// the last sample is stored. One op is one batch of 100 samples. Reported:
// samples/s, CPU of this process (ingest) and of influxd per sample, their
// ratio, and the fraction of samples that went through the spool.
//
//   - flood: as fast as the broker takes them (capacity);
//   - paced: 500 batches/s = 500 patients at 100 Hz, the load the system
//     must sustain with nothing lost (use -benchtime 10000x for 20 s).
func BenchmarkEndToEnd(b *testing.B) {
	b.Run("flood", func(b *testing.B) { benchEndToEnd(b, 0) })
	b.Run("paced", func(b *testing.B) { benchEndToEnd(b, 500) })
}

func benchEndToEnd(b *testing.B, rate float64) {
	brokerURL := testenv.StartMosquitto(b)
	in := testenv.SharedInflux(b)
	store := newInfluxStoreTB(b, in)
	state, sp := openBenchState(b)
	ctx := context.Background()
	const devices = 500
	prefix := fmt.Sprintf("bench%d", time.Now().UnixNano()%1e9)
	state.CreatePatient(ctx, balance.Patient{ID: "bench"})
	for d := 0; d < devices; d++ {
		state.RegisterDevice(ctx, balance.Device{ID: fmt.Sprintf("%s-%04d", prefix, d), PatientID: "bench"})
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := ingest.New(ingest.Config{}, ingest.Deps{Store: store, Registry: state, Quarantine: state, Spool: sp, Metrics: prometheus.NewRegistry(), Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	p.Start()
	defer p.Stop()
	sub, err := ingest.NewSubscriber(ingest.MQTTConfig{Broker: brokerURL, ClientID: prefix + "-ingest"}, p.Handle, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := sub.Start(ctx, 10*time.Second); err != nil {
		b.Fatal(err)
	}
	defer sub.Stop()
	time.Sleep(200 * time.Millisecond) // subscription in place

	batches := b.N
	start := time.Now().Add(-time.Hour).Unix()
	pub := exec.Command(os.Args[0], "-test.run=^$")
	pub.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s,%d,%d,%d,%g", benchPublisherEnv, brokerURL, prefix, devices, batches, start, rate))
	pub.Stderr = os.Stderr

	influxCPU0, _ := testenv.ProcessCPU(in.Pid())
	selfCPU0 := testenv.SelfCPU()
	stored0 := p.Stats().SamplesStored.Load()
	b.ResetTimer()
	t0 := time.Now()
	if err := pub.Start(); err != nil {
		b.Fatal(err)
	}
	want := stored0 + int64(batches)*100
	var stalled atomic.Bool
	deadline := time.Now().Add(10 * time.Minute)
	for p.Stats().SamplesStored.Load() < want {
		if time.Now().After(deadline) {
			stalled.Store(true)
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	if err := pub.Wait(); err != nil {
		b.Fatalf("publisher: %v", err)
	}
	if stalled.Load() {
		b.Fatalf("stored %d of %d samples in 10 minutes", p.Stats().SamplesStored.Load()-stored0, want-stored0)
	}
	if r := p.Stats().Rejected.Load(); r != 0 {
		b.Fatalf("%d batches rejected", r)
	}
	influxCPU1, _ := testenv.ProcessCPU(in.Pid())
	selfCPU := testenv.SelfCPU() - selfCPU0
	influxCPU := influxCPU1 - influxCPU0
	n := float64(batches) * 100
	b.ReportMetric(n/elapsed.Seconds(), "samples/s")
	b.ReportMetric(float64(p.Stats().SamplesSpooled.Load())/n, "spooled-fraction")
	b.ReportMetric(float64(selfCPU.Nanoseconds())/n, "ingest-cpu-ns/sample")
	b.ReportMetric(float64(influxCPU.Nanoseconds())/n, "influxd-cpu-ns/sample")
	if influxCPU > 0 {
		b.ReportMetric(float64(selfCPU)/float64(influxCPU), "ingest/influxd-cpu")
	}
}

// openBenchState opens a SQLite state database and a spool in a temporary
// directory for a benchmark, closed when it ends.
func openBenchState(tb testing.TB) (*sqlite.StateDB, *spool.Spool) {
	tb.Helper()
	dir := tb.TempDir()
	state, err := sqlite.OpenState(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { state.Close() })
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sp.Close() })
	return state, sp
}

func newInfluxStoreTB(tb testing.TB, in *testenv.Influx) balance.SampleStore {
	tb.Helper()
	s, err := influxNew(in)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
