package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/internal/natstest"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sim"
)

// scaleOutDevices is the default device count of BenchmarkScaleOut:
// 150 devices × 100 Hz = 15,000 samples/s in 1,500 MQTT messages/s
// (10-sample batches), which one instance keeps up with on the 2-core
// machine of docs/scale-out.md. BALANCE_SCALEOUT_DEVICES overrides it.
const scaleOutDevices = 150

// BenchmarkScaleOut runs 1, 2 and 3 `balance serve` instances, each a
// child process, on the same 3-node NATS JetStream cluster (R3, 12
// partitions), PostgreSQL database and influxd, with the same device
// stream: scaleOutDevices simulated devices (standing still) publishing
// 10-sample batches at 100 Hz over MQTT QoS 1, spread over the nodes, for
// 20 s (BALANCE_SCALEOUT_DEVICES and BALANCE_SCALEOUT_BATCH change the
// device count and the samples per message). For each N it reports the
// samples/s stored, CPU-seconds per million samples (instances, NATS
// nodes, influxd, the database's PostgreSQL backends, the simulated
// devices in this process), each instance's share of the messages, the
// machine's busy fraction, and the lag from the last PUBACK to the last
// sample stored (by the instances' balance_ingest_samples_stored_total,
// polled every 100 ms; checked against influxd afterwards).
//
// All processes share the machine's cores, so the N-instance figures show
// cost per sample and the balance of work, not throughput scaling.
//
//	go test -run XXX -bench ScaleOut -benchtime 1x ./cmd/balance/
func BenchmarkScaleOut(b *testing.B) {
	const (
		partitions = 12
		leaseTTL   = 3 * time.Second
	)
	nDevices := envInt(b, "BALANCE_SCALEOUT_DEVICES", scaleOutDevices)
	per := envInt(b, "BALANCE_SCALEOUT_BATCH", 10)
	bin := buildBalance(b)
	r, cl := startNATSEnv(b, partitions, leaseTTL)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	b.Cleanup(hook.Close)
	r.hookURL = hook.URL
	nc, err := nats.Connect(strings.Join(r.natsURLs, ","))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	store, err := influx.New(influx.Config{URL: r.influx.URL, RawBucket: testenv.RawBucket, DerivedBucket: testenv.DerivedBucket, Timeout: 60 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	env := &scaleOutEnv{bin: bin, run: r, cluster: cl, js: js, store: store, devices: nDevices, per: per, runS: 20}
	b.Logf("%d devices × 100 Hz = %d samples/s offered, in %d-sample messages (%.0f messages/s); %d partitions; %d cores",
		nDevices, nDevices*100, per, float64(nDevices*100)/float64(per), partitions, cpuCount())
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			for i := range b.N {
				res := env.measure(b, n, fmt.Sprintf("n%d-%d", n, i))
				res.report(b)
			}
		})
	}
}

// scaleOutEnv is what the runs of BenchmarkScaleOut share.
type scaleOutEnv struct {
	bin     string
	run     *natsRun
	cluster *natstest.Cluster
	js      jetstream.JetStream
	store   *influx.Store
	devices int
	per     int // samples per MQTT message
	runS    float64
}

// scaleOutResult is one run's measurement.
type scaleOutResult struct {
	instances          int
	published, stored  int64
	window, lag        time.Duration // first publish → all stored; last PUBACK → all stored
	instCPU            []time.Duration
	handled, redeliver []float64 // messages per instance (metrics deltas)
	owned              []float64 // partitions per instance
	natsCPU, influxCPU time.Duration
	pgCPU, devCPU      time.Duration
	busy               float64 // machine busy fraction over the window (all cores)
}

// perM returns CPU-seconds per million samples published.
func (s *scaleOutResult) perM(d time.Duration) float64 {
	return d.Seconds() / (float64(s.published) / 1e6)
}

func (s *scaleOutResult) report(b *testing.B) {
	var inst time.Duration
	var handled float64
	for i, c := range s.instCPU {
		inst += c
		handled += s.handled[i]
	}
	maxShare := 0.0
	for i, c := range s.instCPU {
		share := s.handled[i] / handled
		maxShare = max(maxShare, share)
		b.Logf("instance %d: %.0f partitions, %.0f messages (%.1f %%, %.0f redelivered), CPU %.2f s = %.2f s per million samples",
			i+1, s.owned[i], s.handled[i], 100*share, s.redeliver[i], c.Seconds(), s.perM(c))
	}
	b.Logf("%d samples published, %d stored (influxd count), window %v (%.0f samples/s), lag %v; machine busy %.0f %%",
		s.published, s.stored, s.window.Round(time.Millisecond), float64(s.stored)/s.window.Seconds(), s.lag.Round(time.Millisecond), 100*s.busy)
	b.Logf("CPU-s per million samples: instances %.2f, NATS (3 nodes) %.2f, influxd %.2f, PostgreSQL backends %.2f, devices (this process) %.2f",
		s.perM(inst), s.perM(s.natsCPU), s.perM(s.influxCPU), s.perM(s.pgCPU), s.perM(s.devCPU))
	b.ReportMetric(float64(s.stored)/s.window.Seconds(), "samples/s")
	b.ReportMetric(s.perM(inst), "inst-cpu-s/Msample")
	b.ReportMetric(s.perM(s.natsCPU), "nats-cpu-s/Msample")
	b.ReportMetric(s.perM(s.influxCPU), "influxd-cpu-s/Msample")
	b.ReportMetric(s.perM(s.pgCPU), "pg-cpu-s/Msample")
	b.ReportMetric(100*maxShare, "max-share-%")
	b.ReportMetric(s.lag.Seconds(), "lag-s")
	b.ReportMetric(100*s.busy, "busy-%")
}

// measure starts n instances named {name}-{k} (with devices of their own,
// {name}-d{i}), waits until they share the partitions equally, runs the
// device stream and stops the instances with SIGTERM.
func (e *scaleOutEnv) measure(b *testing.B, n int, name string) *scaleOutResult {
	b.Helper()
	ctx := context.Background()
	devs := make([]*simDevice, e.devices)
	e.run.devices = e.run.devices[:0]
	for i := range devs {
		sc := sim.NewScenario(sim.DefaultBody(), 100, uint64(i+1))
		sc.Idle(e.runS)
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
		devs[i] = &simDevice{id: fmt.Sprintf("%s-d%03d", name, i), sc: sc, per: e.per}
		e.run.devices = append(e.run.devices, devs[i].id)
	}
	procs := make([]*natsProcess, n)
	names := make([]string, n)
	for k := range procs {
		names[k] = fmt.Sprintf("%s-%d", name, k)
		procs[k] = e.run.startProcess(b, e.bin, names[k], k)
	}
	defer func() {
		for k, p := range procs {
			if err := p.stop(); err != nil {
				b.Errorf("instance %s: %v", names[k], err)
			}
		}
	}()
	kv, err := e.js.KeyValue(ctx, "balance_leases")
	if err != nil {
		b.Fatal(err)
	}
	equal := func() bool {
		count := map[string]int{}
		for _, o := range leaseOwners(ctx, kv, e.run.partitions) {
			count[o]++
		}
		for _, nm := range names {
			if count[nm] != e.run.partitions/n {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(30 * time.Second); !equal(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("partitions not shared out equally among %v in 30 s: %v", names, leaseOwners(ctx, kv, e.run.partitions))
		}
	}
	clients := connectDevices(b, devs, e.cluster.MQTTURLs())

	res := &scaleOutResult{instances: n}
	pids := make([]int, n)
	for k, p := range procs {
		pids[k] = p.cmd.Process.Pid
	}
	metrics := func() (handled, redeliver, stored, owned []float64) {
		for _, p := range procs {
			f, err := scrape("http://" + p.httpAddr + "/metrics")
			if err != nil {
				b.Fatal(err)
			}
			handled = append(handled, familySum(f["balance_nats_messages_handled_total"]))
			redeliver = append(redeliver, familySum(f["balance_nats_messages_redelivered_total"]))
			stored = append(stored, familySum(f["balance_ingest_samples_stored_total"]))
			owned = append(owned, familySum(f["balance_nats_partitions_owned"]))
		}
		return
	}
	natsPids := childPids("nats-server")
	pgPids := postgresBackends(b, e.run.dsn)
	cpu0 := cpuOf(b, pids)
	nats0, influx0, pg0 := sumCPU(natsPids), sumCPU([]int{e.run.influx.Pid()}), sumCPU(pgPids)
	dev0 := testenv.SelfCPU()
	busy0, total0 := machineCPU(b)
	h0, r0, s0, _ := metrics()

	t0, tStart, wg := startDevices(devs, clients)
	wg.Wait()
	tLast := time.Now()
	for _, d := range devs {
		if d.err != nil {
			b.Fatalf("device %s: %v", d.id, d.err)
		}
		res.published += int64(d.acked)
	}
	var stored float64
	for deadline := time.Now().Add(120 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, _, s, _ := metrics()
		stored = 0
		for k := range s {
			stored += s[k] - s0[k]
		}
		if stored >= float64(res.published) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%.0f of %d samples stored 120 s after the last publish", stored, res.published)
		}
	}
	tStored := time.Now()
	cpu1 := cpuOf(b, pids)
	res.natsCPU = sumCPU(natsPids) - nats0
	res.influxCPU = sumCPU([]int{e.run.influx.Pid()}) - influx0
	res.pgCPU = sumCPU(pgPids) - pg0
	res.devCPU = testenv.SelfCPU() - dev0
	busy1, total1 := machineCPU(b)
	res.busy = (busy1 - busy0) / (total1 - total0)
	h1, r1, _, owned := metrics()
	for k := range procs {
		res.instCPU = append(res.instCPU, cpu1[k]-cpu0[k])
		res.handled = append(res.handled, h1[k]-h0[k])
		res.redeliver = append(res.redeliver, r1[k]-r0[k])
	}
	res.owned = owned
	res.window, res.lag = tStored.Sub(t0), tStored.Sub(tLast)

	// The instances' counters against influxd: every sample once.
	for _, d := range devs {
		c, err := e.store.CountSamples(ctx, balance.SampleQuery{DeviceID: d.id, From: tStart.Add(-time.Second), To: time.Now().Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
		if c != int64(d.acked) {
			b.Errorf("%s: %d samples in influxd, %d acknowledged", d.id, c, d.acked)
		}
		res.stored += c
	}
	return res
}

// envInt reads a positive integer from the environment variable name, or
// returns def when it is unset.
func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// familySum adds up every series of a metric family (0 when absent).
func familySum(f *dto.MetricFamily) float64 {
	if f == nil {
		return 0
	}
	var s float64
	for _, m := range f.GetMetric() {
		switch {
		case m.GetCounter() != nil:
			s += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			s += m.GetGauge().GetValue()
		case m.GetUntyped() != nil:
			s += m.GetUntyped().GetValue()
		}
	}
	return s
}

// cpuOf reads each process's CPU time (user + system, /proc/PID/stat).
func cpuOf(b *testing.B, pids []int) []time.Duration {
	b.Helper()
	out := make([]time.Duration, len(pids))
	for i, pid := range pids {
		c, err := testenv.ProcessCPU(pid)
		if err != nil {
			b.Fatalf("CPU of process %d: %v", pid, err)
		}
		out[i] = c
	}
	return out
}

// sumCPU adds up the CPU time of the processes still running (one that
// has exited counts 0).
func sumCPU(pids []int) time.Duration {
	var s time.Duration
	for _, pid := range pids {
		if c, err := testenv.ProcessCPU(pid); err == nil {
			s += c
		}
	}
	return s
}

// childPids returns the ids of this process's children whose command name
// (/proc/PID/comm) is comm.
func childPids(comm string) []int {
	ents, _ := os.ReadDir("/proc")
	self := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		c, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(c)) != comm {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(st, ')')
		if f := strings.Fields(string(st[i+1:])); len(f) > 1 {
			if ppid, _ := strconv.Atoi(f[1]); ppid == self {
				out = append(out, pid)
			}
		}
	}
	slices.Sort(out)
	return out
}

// postgresBackends returns the PostgreSQL server processes connected to
// dsn's database (the instances' pools), whose CPU is then readable from
// /proc when the server runs on this machine.
func postgresBackends(b *testing.B, dsn string) []int {
	b.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	out := make([]int, len(pids))
	for i, p := range pids {
		out[i] = int(p)
	}
	return out
}

// machineCPU reads /proc/stat's first line: busy (all but idle and
// iowait) and total clock ticks, over all cores.
func machineCPU(b *testing.B) (busy, total float64) {
	b.Helper()
	st, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(st), "\n")
	f := strings.Fields(line)
	for i, s := range f[1:] {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			b.Fatalf("/proc/stat: %v", err)
		}
		if i == 8 || i == 9 { // guest, guest_nice: already in user and nice
			continue
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// cpuCount is the number of cores /proc/stat lists.
func cpuCount() int {
	st, _ := os.ReadFile("/proc/stat")
	n := 0
	for l := range strings.SplitSeq(string(st), "\n") {
		if strings.HasPrefix(l, "cpu") && !strings.HasPrefix(l, "cpu ") {
			n++
		}
	}
	return n
}
