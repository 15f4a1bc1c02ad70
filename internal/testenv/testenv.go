// Package testenv starts and finds the real services that integration tests
// run against: InfluxDB 1.8 (influxd, started per test binary in a temporary
// directory with Flux enabled) and an MQTT broker (Mosquitto on loopback).
// A missing service fails the test with instructions; it never skips.
package testenv

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Database and the buckets created in every test InfluxDB.
const (
	Database      = "balance"
	RawBucket     = "balance/raw"
	DerivedBucket = "balance/autogen"
)

// RawRetention is the retention of the raw bucket in every test InfluxDB:
// influxd refuses (HTTP 400, "points beyond retention policy") samples older
// than this before its clock's now, so fixtures must be placed by the clock.
const RawRetention = 30 * 24 * time.Hour

// influxdPath finds influxd: $BALANCE_INFLUXD, then PATH, then GOPATH/bin.
func influxdPath() (string, error) {
	return findTool("influxd", "BALANCE_INFLUXD", "go install github.com/influxdata/influxdb/cmd/influxd@v1.8.10")
}

// findTool finds a service binary a test needs: the environment variable
// env, then PATH, then each GOPATH's bin (where `go install` puts it).
func findTool(name, env, install string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (set %s, or run the README's test command, which installs it with `%s`)", name, env, install)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Influx is an influxd process owned by a test.
type Influx struct {
	URL  string
	dir  string
	port int
	bin  string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   sync.Mutex
}

// StartInflux starts a dedicated influxd in its own directory, creates the
// database and the raw retention policy, and stops it when the test ends.
func StartInflux(t testing.TB) *Influx {
	t.Helper()
	bin, err := influxdPath()
	if err != nil {
		t.Fatal(err)
	}
	in := &Influx{dir: t.TempDir(), port: FreePort(t), bin: bin}
	in.URL = fmt.Sprintf("http://127.0.0.1:%d", in.port)
	cfg := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
  wal-fsync-delay = "0s"
[http]
  bind-address = "127.0.0.1:%d"
  flux-enabled = false
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
`, FreePort(t), filepath.Join(in.dir, "meta"), filepath.Join(in.dir, "data"), filepath.Join(in.dir, "wal"), in.port)
	if err := os.WriteFile(filepath.Join(in.dir, "influxdb.conf"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Stop() })
	for _, q := range []string{
		"CREATE DATABASE " + Database,
		fmt.Sprintf("CREATE RETENTION POLICY raw ON %s DURATION %dh REPLICATION 1", Database, int(RawRetention.Hours())),
	} {
		if err := in.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

// Start (re)starts the process on the same directory and port and waits
// until it answers /ping.
func (in *Influx) Start() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd != nil {
		return nil
	}
	in.log = new(bytes.Buffer)
	cmd := exec.Command(in.bin, "run", "-config", filepath.Join(in.dir, "influxdb.conf"))
	cmd.Stdout, cmd.Stderr = in.log, in.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start influxd: %w", err)
	}
	in.cmd = cmd
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(in.URL + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("influxd did not answer /ping within 60 s; its log:\n%s", in.log.String())
}

// Stop terminates the process (SIGTERM, then SIGKILL after 10 s).
func (in *Influx) Stop() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { in.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		in.cmd.Process.Kill()
		<-done
	}
	in.cmd = nil
}

// Kill ends the process with SIGKILL (no chance to flush anything); Start
// runs it again on the same directory.
func (in *Influx) Kill() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return
	}
	in.cmd.Process.Kill()
	in.cmd.Wait()
	in.cmd = nil
}

var (
	sharedOnce sync.Once
	shared     *Influx
	sharedErr  error
)

// SharedInflux returns one influxd per test binary, started on first use and
// stopped by StopShared (call it from TestMain) or when the binary exits.
func SharedInflux(t testing.TB) *Influx {
	t.Helper()
	sharedOnce.Do(func() {
		st := &stubTB{TB: t}
		func() {
			defer func() { recover() }()
			shared = StartInflux(st)
		}()
		if st.failed != "" {
			sharedErr = fmt.Errorf("%s", st.failed)
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// StopShared stops the shared influxd, if one was started.
func StopShared() {
	if shared != nil {
		shared.Stop()
		os.RemoveAll(shared.dir)
	}
}

// stubTB lets SharedInflux use StartInflux outside one test's lifetime:
// cleanup and temporary directories are not tied to the first test.
type stubTB struct {
	testing.TB
	failed string
}

func (s *stubTB) Helper()        {}
func (s *stubTB) Cleanup(func()) {}
func (s *stubTB) TempDir() string {
	d, err := os.MkdirTemp("", "balance-influx-")
	if err != nil {
		s.Fatal(err)
	}
	return d
}
func (s *stubTB) Fatal(args ...any) {
	s.failed = fmt.Sprint(args...)
	panic(s.failed)
}
func (s *stubTB) Fatalf(format string, args ...any) {
	s.failed = fmt.Sprintf(format, args...)
	panic(s.failed)
}

// MQTTURL returns the broker the integration tests use: $BALANCE_TEST_MQTT or
// tcp://127.0.0.1:1883, after checking that it accepts connections.
func MQTTURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("BALANCE_TEST_MQTT")
	if u == "" {
		u = "tcp://127.0.0.1:1883"
	}
	addr := strings.TrimPrefix(u, "tcp://")
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatalf("no MQTT broker at %s (%v): start Mosquitto (`mosquitto -d`) or run the README's test command", u, err)
	}
	c.Close()
	return u
}
