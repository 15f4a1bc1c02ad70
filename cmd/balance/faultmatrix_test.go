//go:build faultmatrix

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/wire"
)

// The fault matrix runs `balance serve` as its own process between a real
// Mosquitto (persistence on, saved on every change) and a real influxd,
// with simulated devices publishing at QoS 1 and counting the broker's
// acknowledgements, and under load: kills InfluxDB (SIGKILL) for 30 s
// with a 1 MiB spool (full after about 17 s: acknowledgements stop and the
// broker keeps the rest), stops balance with SIGTERM while its spool is
// full (it must exit within 10 s), kills balance, kills Mosquitto. Every sample the
// broker acknowledged must be stored, once. Run by ./scripts/test.sh
// (go test -tags faultmatrix -run FaultMatrix ./cmd/balance/).

// balanceProcess is a `balance serve` child process.
type balanceProcess struct {
	bin, config string
	cmd         *exec.Cmd
	log         bytes.Buffer
	httpAddr    string
}

func (p *balanceProcess) start(t *testing.T) {
	t.Helper()
	p.log.Reset()
	p.cmd = exec.Command(p.bin, "serve", "--config", p.config)
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + p.httpAddr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("balance serve did not answer /healthz in 30 s:\n%s", p.log.String())
}

func (p *balanceProcess) kill() {
	if p.cmd != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		p.cmd = nil
	}
}

// stop sends SIGTERM and returns how long the process took to exit.
func (p *balanceProcess) stop(t *testing.T) time.Duration {
	t.Helper()
	begun := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
		t.Errorf("balance did not exit within 30 s of SIGTERM")
	}
	p.cmd = nil
	return time.Since(begun)
}

// ackedLog records, per device, the batches the broker acknowledged.
type ackedLog struct {
	mu      sync.Mutex
	samples map[string]map[int64]bool // device -> sample times acknowledged
	tried   map[string]int            // device -> samples published (acked or not)
}

// publishDevice publishes batches of 10 samples at 10 Hz (100 samples/s)
// until ctx ends, recording which the broker acknowledged.
func publishDevice(ctx context.Context, brokerURL, id string, start time.Time, log *ackedLog) {
	o := paho.NewClientOptions().AddBroker(brokerURL).SetClientID(id).SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).SetMaxReconnectInterval(time.Second)
	c := paho.NewClient(o)
	c.Connect().WaitTimeout(10 * time.Second)
	defer c.Disconnect(100)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for seq := uint64(1); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		b := &balance.Batch{DeviceID: id, Seq: seq, RateHz: 100}
		for i := range 10 {
			b.Samples = append(b.Samples, balance.Sample{TimeNS: start.UnixNano() + int64(seq)*100_000_000 + int64(i)*10_000_000,
				Acc: [3]float64{0.1 * float64(i), 0, 9.81}})
		}
		log.mu.Lock()
		log.tried[id] += len(b.Samples)
		log.mu.Unlock()
		tk := c.Publish(wire.Topic(id, wire.KindIMU), 1, false, wire.AppendJSON(nil, b, wire.JSONOptions{}))
		go func() {
			if tk.WaitTimeout(30*time.Second) && tk.Error() == nil {
				log.mu.Lock()
				for _, s := range b.Samples {
					log.samples[id][s.TimeNS] = true
				}
				log.mu.Unlock()
			}
		}()
	}
}

func TestFaultMatrix(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "balance")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in := testenv.StartInflux(t)
	// Mosquitto started as root drops to its own user: its persistence
	// directory must be writable by it (t.TempDir's are not), or it keeps
	// nothing across a kill.
	mqttDir, err := os.MkdirTemp("", "balance-fm-mosquitto-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(mqttDir) })
	os.Chmod(mqttDir, 0o777)
	mq := testenv.StartMosquittoProcess(t, fmt.Sprintf("allow_anonymous true\npersistence true\npersistence_location %s/\nautosave_interval 1\nautosave_on_changes true\n", mqttDir))
	const devices = 10
	dataDir := t.TempDir()
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	var cfg bytes.Buffer
	fmt.Fprintf(&cfg, "data_dir: %s\nhttp: {addr: %s}\nmqtt: {broker: %q, client_id: balance-fault-matrix}\n", dataDir, httpAddr, mq.URL)
	fmt.Fprintf(&cfg, "storage:\n  kind: influx\n  influx: {url: %q, raw_bucket: %q, derived_bucket: %q, timeout: 3s}\n", in.URL, testenv.RawBucket, testenv.DerivedBucket)
	// A 1 MiB spool (the least allowed) fills in about 17 s of the outage:
	// then acknowledgements stop and Mosquitto keeps the rest.
	fmt.Fprintf(&cfg, "ingest: {retry_max: 1s}\nspool: {max_bytes: 1048576}\ndashboard: {admin_password: %s}\npatients:\n", testAdminPassword)
	ids := make([]string, devices)
	for i := range devices {
		ids[i] = fmt.Sprintf("fm-%02d", i)
		fmt.Fprintf(&cfg, "  - {id: p-%s}\n", ids[i])
	}
	cfg.WriteString("devices:\n")
	for _, id := range ids {
		fmt.Fprintf(&cfg, "  - {id: %s, patient_id: p-%s}\n", id, id)
	}
	cfgPath := filepath.Join(t.TempDir(), "balance.yaml")
	if err := os.WriteFile(cfgPath, cfg.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	bp := &balanceProcess{bin: bin, config: cfgPath, httpAddr: httpAddr}
	bp.start(t)
	t.Cleanup(bp.kill)

	acked := &ackedLog{samples: map[string]map[int64]bool{}, tried: map[string]int{}}
	for _, id := range ids {
		acked.samples[id] = map[int64]bool{}
	}
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() { defer wg.Done(); publishDevice(ctx, mq.URL, id, start, acked) }()
	}
	phase := func(name string, d time.Duration) {
		t.Logf("%s (%v)", name, d)
		time.Sleep(d)
	}
	phase("steady", 5*time.Second)
	in.Kill()
	phase("InfluxDB killed (SIGKILL); the 1 MiB spool fills", 30*time.Second)
	// A SIGTERM with a backlog in the spool (InfluxDB still down): out
	// within a container's 10 s grace; the restart replays it.
	if d := bp.stop(t); d > 10*time.Second {
		t.Errorf("balance took %v to exit after SIGTERM with a backlog, want at most 10 s", d)
	} else {
		t.Logf("balance exited %v after SIGTERM, with InfluxDB down and a backlog in its spool", d.Round(time.Millisecond))
	}
	bp.start(t)
	phase("balance restarted, InfluxDB still down", 3*time.Second)
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	phase("InfluxDB back", 5*time.Second)
	bp.kill()
	phase("balance killed (SIGKILL)", 5*time.Second)
	bp.start(t)
	phase("balance back", 5*time.Second)
	mq.Kill()
	phase("Mosquitto killed (SIGKILL)", 3*time.Second)
	if err := mq.Start(); err != nil {
		t.Fatal(err)
	}
	phase("Mosquitto back", 10*time.Second)
	cancel()
	wg.Wait()
	time.Sleep(2 * time.Second) // the last acknowledgements

	store, err := influx.New(influx.Config{URL: in.URL, RawBucket: testenv.RawBucket, DerivedBucket: testenv.DerivedBucket, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	q := func(id string) balance.SampleQuery {
		return balance.SampleQuery{DeviceID: id, From: start.Add(-time.Second), To: time.Now().Add(time.Hour)}
	}
	// Everything acknowledged by the broker reaches InfluxDB.
	deadline := time.Now().Add(3 * time.Minute)
	for _, id := range ids {
		acked.mu.Lock()
		want := len(acked.samples[id])
		acked.mu.Unlock()
		for {
			n, err := store.CountSamples(context.Background(), q(id))
			if err == nil && n >= int64(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d samples stored of %d acknowledged by the broker (%v); balance's log:\n%s", id, n, want, err, tail(bp.log.String(), 3000))
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	total, totalTried := 0, 0
	for _, id := range ids {
		got, err := store.ReadSamples(context.Background(), q(id))
		if err != nil {
			t.Fatal(err)
		}
		acked.mu.Lock()
		want, tried := acked.samples[id], acked.tried[id]
		acked.mu.Unlock()
		times := map[int64]bool{}
		for _, s := range got {
			times[s.TimeNS] = true
		}
		if len(times) != len(got) {
			t.Errorf("%s: %d samples stored, %d distinct times: duplicates", id, len(got), len(times))
		}
		var missing []int64
		for ts := range want {
			if !times[ts] {
				missing = append(missing, ts)
			}
		}
		sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
		if len(missing) > 0 {
			t.Errorf("%s: %d acknowledged samples not stored (first at %v)", id, len(missing), time.Unix(0, missing[0]).UTC())
		}
		if len(got) > tried {
			t.Errorf("%s: %d stored, more than the %d published", id, len(got), tried)
		}
		total += len(want)
		totalTried += tried
	}
	t.Logf("%d devices: %d samples acknowledged by the broker (of %d published) across InfluxDB, balance and Mosquitto SIGKILLs; all stored, once", devices, total, totalTried)

	// A SIGTERM exits within a container's 10 s grace.
	if d := bp.stop(t); d > 10*time.Second {
		t.Errorf("balance took %v to exit after SIGTERM, want at most 10 s", d)
	} else {
		t.Logf("balance exited %v after SIGTERM", d.Round(time.Millisecond))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
