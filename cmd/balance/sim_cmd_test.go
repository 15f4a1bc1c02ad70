package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/recording"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/wire"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

func TestSimFileMode(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "falls.csv")
	var stdout, stderr bytes.Buffer
	err := runSim(context.Background(), []string{"file", "--scenario", "falls", "--out", out, "--rate", "50", "--seed", "3", "--height", "1.6"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rec, err := recording.ReadFile(out, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Source != recording.FormatGeneric || rec.RateHz != 50 || !rec.HasGyro || rec.Meta["height_m"] != "1.60" {
		t.Errorf("recording: source %q, rate %v, gyro %v, meta %v", rec.Source, rec.RateHz, rec.HasGyro, rec.Meta)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "falls.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth sim.Truth
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	if truth.Samples != len(rec.Samples) || truth.RateHz != 50 || truth.Seed != 3 {
		t.Errorf("truth: %d samples at %v Hz, seed %d; recording has %d", truth.Samples, truth.RateHz, truth.Seed, len(rec.Samples))
	}
	falls := 0
	for _, s := range truth.Segments {
		if s.Fall {
			falls++
		}
	}
	if falls != 5 {
		t.Errorf("%d falls in the truth, want 5", falls)
	}
	// The same seed writes the same file.
	out2 := filepath.Join(dir, "again.csv")
	if err := runSim(context.Background(), []string{"file", "--scenario", "falls", "--out", out2, "--rate", "50", "--seed", "3", "--height", "1.6"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different files")
	}
}

func TestSimBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"fly"},
		{"--encoding", "xml"},
		{"file", "--scenario", "nope", "--out", filepath.Join(t.TempDir(), "x.csv")},
		{"replay"},
		{"fleet", "--devices", "0", "--broker", "tcp://127.0.0.1:1"},
		{"fleet", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if err := runSim(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func startBroker(t *testing.T) string {
	t.Helper()
	srv := mochi.New(&mochi.Options{InlineClient: true})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := srv.AddListener(l); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return "tcp://" + l.Address()
}

// subscribe counts decoded IMU samples per device.
func subscribe(t *testing.T, broker string) (func() map[string]int, func() int) {
	t.Helper()
	var mu sync.Mutex
	got := map[string]int{}
	bad := 0
	dec := wire.NewDecoder(wire.DefaultLimits())
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("sub").SetOrderMatters(true))
	if tk := cl.Connect(); !tk.WaitTimeout(5*time.Second) || tk.Error() != nil {
		t.Fatal(tk.Error())
	}
	tk := cl.Subscribe(wire.SubscribeFilter, 1, func(_ mqtt.Client, m mqtt.Message) {
		dev, kind, err := wire.ParseTopic(m.Topic())
		if err != nil || kind != wire.KindIMU {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		var b balance.Batch
		if _, err := dec.DecodeIMU(dev, m.Payload(), time.Now(), &b); err != nil {
			bad++
			return
		}
		got[dev] += len(b.Samples)
	})
	if !tk.WaitTimeout(5*time.Second) || tk.Error() != nil {
		t.Fatal(tk.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return func() map[string]int {
			mu.Lock()
			defer mu.Unlock()
			c := map[string]int{}
			for k, v := range got {
				c[k] = v
			}
			return c
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return bad
		}
}

func TestSimFleetAndReplayModes(t *testing.T) {
	broker := startBroker(t)
	counts, bad := subscribe(t, broker)
	var stdout, stderr bytes.Buffer
	err := runSim(context.Background(), []string{"--broker", broker, "--devices", "2", "--speed", "10", "--duration", "2s", "--prefix", "cmdt-", "--report", "500ms"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "total:") || !strings.Contains(stdout.String(), "samples/s") {
		t.Errorf("no report:\n%s", stdout.String())
	}
	// Replay a short generated recording at 20× speed.
	dir := t.TempDir()
	out := filepath.Join(dir, "sway.csv")
	if err := runSim(context.Background(), []string{"file", "--scenario", "sway", "--out", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if err := runSim(context.Background(), []string{"replay", "--broker", broker, "--file", out, "--speed", "20", "--device", "replayed-1", "--encoding", "binary"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	time.Sleep(300 * time.Millisecond)
	c := counts()
	// The sway scenario: 5 s idle + 30 s test + 5 s idle at 100 Hz; batches
	// of 100 samples, so all 4000 arrive.
	if c["replayed-1"] != 4000 {
		t.Errorf("replayed %d samples, want 4000", c["replayed-1"])
	}
	// Fleet at 10×: 2 s of wall time carry ~20 s of data per device.
	for _, id := range []string{"cmdt-0001", "cmdt-0002"} {
		if c[id] < 1000 {
			t.Errorf("%s: %d samples", id, c[id])
		}
	}
	if bad() != 0 {
		t.Errorf("%d payloads failed to decode", bad())
	}
	// Load mode: 10 devices for 1.5 s, one batch each per second.
	stdout.Reset()
	if err := runSim(context.Background(), []string{"load", "--broker", broker, "--devices", "10", "--duration", "1500ms", "--prefix", "cmdl-", "--encoding", "lp"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), " 0 errors") || strings.Contains(stdout.String(), "total: 0 messages") {
		t.Errorf("load report:\n%s", stdout.String())
	}
	time.Sleep(300 * time.Millisecond)
	if c := counts(); c["cmdl-00001"] < 100 || c["cmdl-00010"] < 100 {
		t.Errorf("load devices sent %d and %d samples", c["cmdl-00001"], c["cmdl-00010"])
	}
	if err := runSim(context.Background(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Errorf("-h: %v", err)
	}
}
