package influx

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sim"
)

// costVariant is one way of writing the same samples to InfluxDB.
type costVariant struct {
	name      string
	perReq    int           // samples per HTTP request
	oneField  bool          // one field per line (six lines a sample) instead of six
	ints      bool          // integer fields: acc in mm/s², gyro in mrad/s (lossy)
	digits    int           // significant digits of floats (-1: shortest exact)
	noPatient bool          // tag set device only (no patient tag)
	precision time.Duration // timestamp precision (ns, µs, ms)
	gzip      bool          // gzip request bodies
	noCopy    bool          // hand the buffer to the client without string(buf)
	store     bool          // write through Store.WriteBatches (the production path)
}

// costVariants: the current schema first (and again last, to see the drift
// of the machine over the run), then one change at a time.
var costVariants = []costVariant{
	{name: "current: 6 float fields, device+patient, µs, 20k/req, copy", perReq: 20000, digits: -1, precision: time.Microsecond},
	{name: "1k samples/request", perReq: 1000, digits: -1, precision: time.Microsecond},
	{name: "5k samples/request", perReq: 5000, digits: -1, precision: time.Microsecond},
	{name: "one field per line", perReq: 20000, oneField: true, digits: -1, precision: time.Microsecond},
	{name: "integer fields (mm/s², mrad/s) LOSSY", perReq: 20000, ints: true, precision: time.Microsecond},
	{name: "7 significant digits LOSSY", perReq: 20000, digits: 7, precision: time.Microsecond},
	{name: "tag device only (breaks patient reads)", perReq: 20000, digits: -1, noPatient: true, precision: time.Microsecond},
	{name: "precision ms LOSSY", perReq: 20000, digits: -1, precision: time.Millisecond},
	{name: "precision ns", perReq: 20000, digits: -1, precision: time.Nanosecond},
	{name: "gzip on", perReq: 20000, digits: -1, precision: time.Microsecond, gzip: true},
	{name: "no body copy (unsafe.String)", perReq: 20000, digits: -1, precision: time.Microsecond, noCopy: true},
	{name: "Store.WriteBatches (production)", perReq: 20000, digits: -1, precision: time.Microsecond, store: true},
	{name: "current again (drift check)", perReq: 20000, digits: -1, precision: time.Microsecond},
}

// costData returns devices × seconds of 100 Hz walking from the simulator
// (sim.TypicalSensor: 16-bit readings, ±8 g and ±2000 °/s), as one-second
// batches ordered as ingest sees them: second by second, every device.
// Each device reads one of four walks (different noise seeds) from its own
// offset, so neighbouring devices do not send identical values.
func costData(tb testing.TB, devices, seconds int, t0 time.Time) []*balance.Batch {
	tb.Helper()
	var loops [][]balance.Sample
	for seed := uint64(1); seed <= 4; seed++ {
		s := sim.NewScenario(sim.DefaultBody(), 100, seed)
		s.Walk(sim.NormalWalk(sim.DefaultBody(), 12))
		if s.Err() != nil {
			tb.Fatal(s.Err())
		}
		loops = append(loops, s.Samples(sim.TypicalSensor(), 0))
	}
	out := make([]*balance.Batch, 0, devices*seconds)
	for sec := 0; sec < seconds; sec++ {
		for d := 0; d < devices; d++ {
			loop := loops[d%len(loops)]
			b := &balance.Batch{
				DeviceID:  fmt.Sprintf("dev-%04d", d),
				PatientID: fmt.Sprintf("pat-%04d", d),
				Samples:   make([]balance.Sample, 100),
			}
			for i := range b.Samples {
				k := sec*100 + i
				b.Samples[i] = loop[(d*37+k)%len(loop)]
				// Devices are not in step: each has its own phase within 10 ms.
				b.Samples[i].TimeNS = t0.UnixNano() + int64(k)*10_000_000 + int64(d)*19_937
			}
			out = append(out, b)
		}
	}
	return out
}

// appendCostLines is AppendSampleLines with the variant's encoding.
func appendCostLines(dst []byte, b *balance.Batch, v costVariant) []byte {
	prefix := append([]byte("imu,device="), b.DeviceID...)
	if !v.noPatient {
		prefix = append(prefix, ",patient="...)
		prefix = append(prefix, b.PatientID...)
	}
	names := [6]string{"ax", "ay", "az", "gx", "gy", "gz"}
	for i := range b.Samples {
		s := &b.Samples[i]
		vals := [6]float64{s.Acc[0], s.Acc[1], s.Acc[2], s.Gyro[0], s.Gyro[1], s.Gyro[2]}
		var ts int64
		switch v.precision {
		case time.Nanosecond:
			ts = s.TimeNS
		case time.Millisecond:
			ts = (s.TimeNS + 500_000) / 1_000_000
		default:
			ts = balance.StorageMicros(s.TimeNS)
		}
		for f := 0; f < 6; f++ {
			if f == 0 || v.oneField {
				dst = append(dst, prefix...)
				dst = append(dst, ' ')
			} else {
				dst = append(dst, ',')
			}
			dst = append(dst, names[f]...)
			dst = append(dst, '=')
			if v.ints {
				dst = strconv.AppendInt(dst, int64(math.Round(vals[f]*1000)), 10)
				dst = append(dst, 'i')
			} else {
				dst = strconv.AppendFloat(dst, vals[f], 'g', v.digits, 64)
			}
			if v.oneField || f == 5 {
				dst = append(dst, ' ')
				dst = strconv.AppendInt(dst, ts, 10)
				dst = append(dst, '\n')
			}
		}
	}
	return dst
}

// costResult is what one variant cost.
type costResult struct {
	serverCPU, clientCPU float64 // CPU-seconds per million samples
	diskBytes            float64 // bytes per sample (WAL + TSM)
	bodyBytes            float64 // request body bytes per sample before gzip
	wall                 time.Duration
}

// settleCPU waits at least min and then until influxd has stopped working
// (less than 20 ms of CPU in 500 ms, at most 30 s more: the cold snapshot
// and the compactions run after the writes), and returns its CPU time.
func settleCPU(tb testing.TB, in *testenv.Influx, min time.Duration) time.Duration {
	tb.Helper()
	time.Sleep(min)
	last, err := testenv.ProcessCPU(in.Pid())
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < 60; i++ {
		time.Sleep(500 * time.Millisecond)
		now, err := testenv.ProcessCPU(in.Pid())
		if err != nil {
			tb.Fatal(err)
		}
		if now-last < 20*time.Millisecond {
			return now
		}
		last = now
	}
	return last
}

// runCostVariant writes batches to a database of its own under v.
func runCostVariant(tb testing.TB, in *testenv.Influx, db string, v costVariant, batches []*balance.Batch) costResult {
	tb.Helper()
	ctx := context.Background()
	if err := in.Exec("CREATE DATABASE " + db); err != nil {
		tb.Fatal(err)
	}
	bucket := db + "/autogen"
	st, err := New(Config{URL: in.URL, RawBucket: bucket, DerivedBucket: bucket, Timeout: 60 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	opts := influxdb2.DefaultOptions().SetPrecision(v.precision).SetUseGZip(v.gzip).SetHTTPRequestTimeout(60)
	client := influxdb2.NewClientWithOptions(in.URL, "", opts)
	defer client.Close()
	w := client.WriteAPIBlocking("", bucket)

	// Group the batches into requests of v.perReq samples.
	var reqs [][]*balance.Batch
	var cur []*balance.Batch
	n, samples := 0, 0
	for _, b := range batches {
		cur = append(cur, b)
		n += len(b.Samples)
		samples += len(b.Samples)
		if n >= v.perReq {
			reqs, cur, n = append(reqs, cur), nil, 0
		}
	}
	if len(cur) > 0 {
		reqs = append(reqs, cur)
	}

	server0 := settleCPU(tb, in, 0)
	client0 := testenv.SelfCPU()
	start := time.Now()
	var body int
	for _, r := range reqs {
		if v.store {
			if err := st.WriteBatches(ctx, r); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		var buf []byte
		if v.noCopy {
			buf = make([]byte, 0, v.perReq*(sampleLineBytes+16))
		} else {
			buf = costBuf[:0]
		}
		for _, b := range r {
			buf = appendCostLines(buf, b, v)
		}
		body += len(buf)
		var line string
		if v.noCopy {
			line = unsafe.String(&buf[0], len(buf)-1)
		} else {
			line = string(buf[:len(buf)-1])
			costBuf = buf
		}
		if err := w.WriteRecord(ctx, line); err != nil {
			tb.Fatalf("%s: %v", v.name, err)
		}
	}
	wall := time.Since(start)
	client1 := testenv.SelfCPU()
	if v.store { // the body the production path built, counted after the measurement
		for _, b := range batches {
			body += len(AppendSampleLines(costBuf[:0], b))
		}
	}
	server1 := settleCPU(tb, in, 8*time.Second)
	disk, err := in.DiskBytes(db)
	if err != nil {
		tb.Fatal(err)
	}
	// One device's samples must all be readable (CountSamples counts ax).
	got, err := st.CountSamples(ctx, balance.SampleQuery{DeviceID: "dev-0000", From: time.Unix(0, 0), To: time.Now().Add(time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	if want := int64(samples / len(devicesOf(batches))); got != want {
		tb.Errorf("%s: dev-0000 has %d samples stored, want %d", v.name, got, want)
	}
	if v.gzip { // what gzip (the client's default level) makes of one request
		var lines []byte
		for _, b := range reqs[0] {
			lines = appendCostLines(lines, b, v)
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(lines)
		zw.Close()
		tb.Logf("%s: a request of %d B gzips to %d B (%.1f×)", v.name, len(lines), z.Len(), float64(len(lines))/float64(z.Len()))
	}
	perM := 1e6 / float64(samples)
	return costResult{
		serverCPU: (server1 - server0).Seconds() * perM,
		clientCPU: (client1 - client0).Seconds() * perM,
		diskBytes: float64(disk) / float64(samples),
		bodyBytes: float64(body) / float64(samples),
		wall:      wall,
	}
}

// costBuf is the reused buffer of the copying variants (as the former pool).
var costBuf = make([]byte, 0, 8<<20)

// devicesOf returns the distinct device ids of batches.
func devicesOf(batches []*balance.Batch) map[string]bool {
	m := map[string]bool{}
	for _, b := range batches {
		m[b.DeviceID] = true
	}
	return m
}

// BenchmarkInfluxCost measures what influxd spends per sample under each
// write variant: CPU-seconds per million samples of influxd (from
// /proc/<pid>/stat) and of this process (the client: encoding and HTTP),
// request body bytes and on-disk bytes (TSM after the cold snapshot and full
// compaction, plus any WAL left) per sample. Every variant writes the same samples (500 devices × 20 s at
// 100 Hz = 1 M by default; BALANCE_COST_SECONDS shortens it) into a fresh
// database of one dedicated influxd 1.8.
//
//	go test -run XXX -bench InfluxCost -benchtime=1x ./influx/
func BenchmarkInfluxCost(b *testing.B) {
	devices, seconds := 500, 20
	if s := os.Getenv("BALANCE_COST_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("BALANCE_COST_SECONDS=%q: want a positive integer", s)
		}
		seconds = n
	}
	// Snapshot the cache to TSM and fully compact a shard a few seconds
	// after its last write (defaults 10 min and 4 h), so that the CPU of
	// both, which every sample costs sooner or later, falls within the
	// variant's measurement and the disk bytes are those of compacted TSM
	// (influxd 1.8 reads INFLUXDB_<SECTION>_<KEY> overrides of its config).
	b.Setenv("INFLUXDB_DATA_CACHE_SNAPSHOT_WRITE_COLD_DURATION", "2s")
	b.Setenv("INFLUXDB_DATA_COMPACT_FULL_WRITE_COLD_DURATION", "4s")
	in := testenv.StartInflux(b)
	batches := costData(b, devices, seconds, time.Now().Add(-time.Hour).Truncate(time.Second))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var base costResult
		for k, v := range costVariants {
			r := runCostVariant(b, in, fmt.Sprintf("cost_%d_%d", i, k), v, batches)
			if k == 0 {
				base = r
			}
			b.Logf("%-58s influxd %5.2f CPU-s/M (%.2f×)  client %5.2f CPU-s/M (%.2f×)  body %5.1f B  disk %5.1f B/sample  wall %v",
				v.name, r.serverCPU, r.serverCPU/base.serverCPU, r.clientCPU, r.clientCPU/base.clientCPU,
				r.bodyBytes, r.diskBytes, r.wall.Round(time.Millisecond))
		}
	}
}

// BenchmarkWriteBody compares, on the client alone, the former write path
// (body built in a pooled buffer, then copied by string(buf) for
// WriteRecord) with WriteBatches (a fresh buffer per request, handed over
// without a copy), against a local server that discards the body: 20,000
// samples (200 one-second batches of 100 Hz walking) per request.
//
//	go test -run XXX -bench WriteBody -benchmem ./influx/
func BenchmarkWriteBody(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	st, err := New(Config{URL: srv.URL, RawBucket: "balance/raw", DerivedBucket: "balance/autogen"})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	batches := costData(b, 200, 1, time.Now().Truncate(time.Second))
	ctx := context.Background()
	pool := sync.Pool{New: func() any { p := make([]byte, 0, 1<<20); return &p }}
	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"pooled+copy", func() error {
			bp := pool.Get().(*[]byte)
			buf := (*bp)[:0]
			for _, bt := range batches {
				buf = AppendSampleLines(buf, bt)
			}
			err := st.raw.WriteRecord(ctx, string(buf[:len(buf)-1]))
			*bp = buf
			pool.Put(bp)
			return err
		}},
		{"fresh+nocopy", func() error { return st.WriteBatches(ctx, batches) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.write(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
