package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartMosquitto starts a private Mosquitto on a free loopback port with the
// settings of deploy/mosquitto.conf that matter for throughput (in-flight
// window 1000, large queues; no persistence) and returns its URL.
func StartMosquitto(t testing.TB) string {
	t.Helper()
	return StartMosquittoWith(t, "allow_anonymous true\n")
}

// StartMosquittoWith starts a private Mosquitto like StartMosquitto, with
// conf (e.g. password and ACL files) instead of anonymous access.
func StartMosquittoWith(t testing.TB, conf string) string {
	t.Helper()
	return StartMosquittoProcess(t, conf).URL
}

// Mosquitto is a Mosquitto process owned by a test, which it may kill and
// start again on the same port and configuration.
type Mosquitto struct {
	URL  string
	addr string
	bin  string
	path string
	log  bytes.Buffer
	cmd  *exec.Cmd
}

// StartMosquittoProcess starts a private Mosquitto with conf added to the
// base settings and returns it; it is killed when the test ends.
func StartMosquittoProcess(t testing.TB, conf string) *Mosquitto {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
			if _, e := os.Stat(p); e == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		t.Fatal("mosquitto not found: install the Debian package mosquitto (the README's test command does)")
	}
	port := FreePort(t)
	dir := t.TempDir()
	base := fmt.Sprintf("listener %d 127.0.0.1\n", port)
	for _, def := range []string{"max_inflight_messages 1000", "max_queued_messages 1000000", "persistence false"} {
		if !strings.Contains(conf, strings.Fields(def)[0]+" ") { // conf may set its own
			base += def + "\n"
		}
	}
	m := &Mosquitto{bin: bin, path: filepath.Join(dir, "mosquitto.conf"), addr: fmt.Sprintf("127.0.0.1:%d", port)}
	m.URL = "tcp://" + m.addr
	if err := os.WriteFile(m.path, []byte(base+conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Kill)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	return m
}

// Start (re)starts the process and waits until it listens.
func (m *Mosquitto) Start() error {
	m.log.Reset()
	m.cmd = exec.Command(m.bin, "-c", m.path)
	m.cmd.Stdout, m.cmd.Stderr = &m.log, &m.log
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start mosquitto: %w", err)
	}
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", m.addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("mosquitto did not listen on %s: %s", m.addr, m.log.String())
}

// Kill ends the process with SIGKILL (no chance to save anything).
func (m *Mosquitto) Kill() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
		m.cmd = nil
	}
}

// Pid returns the influxd process id (0 when stopped).
func (in *Influx) Pid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return 0
	}
	return in.cmd.Process.Pid
}

// ProcessCPU returns the user+system CPU time a process has used, from
// /proc/PID/stat (Linux).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	var state byte
	var ppid, pgrp, session, tty, tpgid int
	var flags, minflt, cminflt, majflt, cmajflt, utime, stime uint64
	_, err = fmt.Sscanf(string(b[i+2:]), "%c %d %d %d %d %d %d %d %d %d %d %d %d",
		&state, &ppid, &pgrp, &session, &tty, &tpgid, &flags, &minflt, &cminflt, &majflt, &cmajflt, &utime, &stime)
	if err != nil {
		return 0, err
	}
	const clkTck = 100 // sysconf(_SC_CLK_TCK) on Linux
	return time.Duration(utime+stime) * time.Second / clkTck, nil
}

// SelfCPU returns the CPU time (user+system) this process has used.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
