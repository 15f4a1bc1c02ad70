package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/wire"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// startMochi runs an in-process broker on a free port and returns its URL.
func startMochi(t *testing.T) string {
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

// mosquitto returns the URL of the Mosquitto broker the integration tests
// use; a missing broker fails the test (the README's test command starts one).
func mosquitto(t *testing.T) string {
	t.Helper()
	return testenv.MQTTURL(t)
}

// collector subscribes to every balance topic and keeps the messages of
// devices whose id starts with prefix.
type collector struct {
	mu   sync.Mutex
	msgs map[string][]mqtt.Message // by topic
}

func collect(t *testing.T, broker, prefix string) *collector {
	t.Helper()
	c := &collector{msgs: map[string][]mqtt.Message{}}
	o := mqtt.NewClientOptions().AddBroker(broker).SetClientID(prefix + "sub").SetOrderMatters(true)
	cl := mqtt.NewClient(o)
	if tk := cl.Connect(); !tk.WaitTimeout(5*time.Second) || tk.Error() != nil {
		t.Fatalf("subscriber connect: %v", tk.Error())
	}
	tk := cl.Subscribe(wire.SubscribeFilter, 1, func(_ mqtt.Client, m mqtt.Message) {
		dev, _, err := wire.ParseTopic(m.Topic())
		if err != nil || !strings.HasPrefix(dev, prefix) {
			return
		}
		c.mu.Lock()
		c.msgs[m.Topic()] = append(c.msgs[m.Topic()], m)
		c.mu.Unlock()
	})
	if !tk.WaitTimeout(5*time.Second) || tk.Error() != nil {
		t.Fatalf("subscribe: %v", tk.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return c
}

func (c *collector) get(topic string) []mqtt.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]mqtt.Message(nil), c.msgs[topic]...)
}

func testFleet(t *testing.T, broker string) {
	prefix := fmt.Sprintf("t%d-", time.Now().UnixNano()%1_000_000_000)
	col := collect(t, broker, prefix)
	stats := new(FleetStats)
	truthDir := t.TempDir()
	cfg := FleetConfig{Broker: broker, Devices: 3, Speed: 20, Duration: 3 * time.Second, Encoding: EncodingMixed, Seed: 5, DevicePrefix: prefix, Stats: stats, TruthDir: truthDir}
	if _, err := RunFleet(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // let the last deliveries arrive
	snap := stats.Snapshot()
	if snap.Errors != 0 || snap.Connects != 3 || snap.Online != 0 {
		t.Errorf("stats %+v: want 0 errors, 3 connects, 0 online at the end", snap)
	}
	dec := wire.NewDecoder(wire.DefaultLimits())
	encodings := map[wire.Encoding]bool{}
	var samples int64
	for _, sd := range Population(3, prefix, 100, EncodingMixed, 5, false) {
		id := sd.Config.ID
		imu := col.get(wire.Topic(id, wire.KindIMU))
		if len(imu) < 20 {
			t.Errorf("%s: %d IMU messages in 60 s of simulated time", id, len(imu))
			continue
		}
		next := uint64(1)
		for _, m := range imu {
			var b balance.Batch
			enc, err := dec.DecodeIMU(id, m.Payload(), time.Now(), &b)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			encodings[enc] = true
			if b.Seq < next {
				continue // a QoS 1 redelivery
			}
			if b.Seq != next {
				t.Errorf("%s: seq %d, want %d", id, b.Seq, next)
			}
			next = b.Seq + 1
			samples += int64(len(b.Samples))
		}
		// The ground truth beside it: a header, then segments covering the
		// simulated minute.
		raw, err := os.ReadFile(filepath.Join(truthDir, id+".truth.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		var seg struct {
			Segment
			Day int `json:"day"`
		}
		if len(lines) < 2 || json.Unmarshal([]byte(lines[len(lines)-1]), &seg) != nil || seg.EndS < 55 {
			t.Errorf("%s: truth has %d lines, last %q", id, len(lines), lines[len(lines)-1])
		}
		st := col.get(wire.Topic(id, wire.KindStatus))
		if len(st) < 2 {
			t.Fatalf("%s: %d status messages", id, len(st))
		}
		first, _ := wire.DecodeStatus(id, st[0].Payload(), time.Now())
		last, _ := wire.DecodeStatus(id, st[len(st)-1].Payload(), time.Now())
		if !first.Online || last.Online {
			t.Errorf("%s: first status online=%v, last online=%v", id, first.Online, last.Online)
		}
	}
	if len(encodings) != 3 {
		t.Errorf("encodings received: %v, want all three", encodings)
	}
	if samples != snap.Samples {
		t.Errorf("subscriber decoded %d samples, fleet counted %d acknowledged", samples, snap.Samples)
	}
}

func TestFleetEmbeddedBroker(t *testing.T) { testFleet(t, startMochi(t)) }

func TestFleetMosquitto(t *testing.T) { testFleet(t, mosquitto(t)) }

// A link lost without DISCONNECT makes the broker publish the retained
// offline will; reconnecting works.
func TestLinkDropPublishesWill(t *testing.T) {
	broker := startMochi(t)
	prefix := fmt.Sprintf("w%d-", time.Now().UnixNano()%1_000_000_000)
	col := collect(t, broker, prefix)
	id := prefix + "0001"
	stats := new(FleetStats)
	l := newLink(FleetConfig{Broker: broker}, id, stats, nil)
	if !l.ensure(context.Background()) {
		t.Fatal("no connection")
	}
	l.publish(Message{Kind: wire.KindStatus, Topic: wire.Topic(id, wire.KindStatus), Payload: wire.EncodeStatus(balance.DeviceStatus{Online: true}), Retained: true})
	l.drop()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		// QoS 1 may deliver a message twice: look for any offline status
		// after the online one.
		st := col.get(wire.Topic(id, wire.KindStatus))
		offline := false
		for i, m := range st {
			s, err := wire.DecodeStatus(id, m.Payload(), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && !s.Online {
				t.Fatal("first status is offline")
			}
			offline = offline || !s.Online
		}
		if offline {
			if !l.ensure(context.Background()) {
				t.Fatal("no reconnection")
			}
			l.close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no will within 3 s: %d status messages, stats %+v", len(col.get(wire.Topic(id, wire.KindStatus))), stats.Snapshot())
}

// A device that loses its link: the broker publishes its offline will,
// and after reconnecting it sends the batches buffered meanwhile, so the
// subscriber sees every sequence number once, in order.
func TestFleetDeviceOfflineResends(t *testing.T) {
	broker := startMochi(t)
	sd := Population(1, fmt.Sprintf("o%d-", time.Now().UnixNano()%1_000_000_000), 100, EncodingBinary, 1, false)[0]
	col := collect(t, broker, sd.Config.ID)
	sd.Config.OfflineProb, sd.Config.OfflineMeanS = 1, 40
	cfg := FleetConfig{Broker: broker, Devices: 1, Speed: 60}
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	stats := new(FleetStats)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	clock := newSimClock(time.Now, 60, 4*time.Second)
	if err := runDevice(ctx, cfg, sd, clock, stats, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	snap := stats.Snapshot()
	if snap.Connects < 2 || snap.Errors != 0 {
		t.Errorf("stats %+v: want reconnects and no errors", snap)
	}
	var online []bool
	for _, m := range col.get(wire.Topic(sd.Config.ID, wire.KindStatus)) {
		s, err := wire.DecodeStatus(sd.Config.ID, m.Payload(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		online = append(online, s.Online)
	}
	sawWill := false
	for i := 1; i < len(online); i++ {
		if !online[i] && i+1 < len(online) && online[i+1] {
			sawWill = true
		}
	}
	if !sawWill {
		t.Errorf("status sequence %v: no offline will followed by a reconnect", online)
	}
	dec := wire.NewDecoder(wire.DefaultLimits())
	next := uint64(1)
	for _, m := range col.get(wire.Topic(sd.Config.ID, wire.KindIMU)) {
		var b balance.Batch
		if _, err := dec.DecodeIMU(sd.Config.ID, m.Payload(), time.Now(), &b); err != nil {
			t.Fatal(err)
		}
		if b.Seq < next {
			continue // QoS 1 redelivery
		}
		if b.Seq != next {
			t.Fatalf("seq %d after %d: buffered batches lost", b.Seq, next-1)
		}
		next++
	}
	if next < 100 {
		t.Errorf("only %d batches arrived", next-1)
	}
}
