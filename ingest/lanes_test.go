package ingest

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestLanesKeepEachDevicesOrder dispatches 40 devices' messages interleaved
// from one goroutine (as paho's router does) into 4 lanes whose handlers
// yield at random points: every device's messages must be handled in the
// order they were dispatched, each exactly once.
func TestLanesKeepEachDevicesOrder(t *testing.T) {
	const devices, perDevice = 40, 200
	var mu sync.Mutex
	got := map[string][]int{}
	var wg sync.WaitGroup
	wg.Add(devices * perDevice)
	l := newLanes(4, 2, func(topic string, payload []byte, ack func()) {
		if payload[0]%3 == 0 {
			runtime.Gosched()
		}
		mu.Lock()
		got[deviceKey(topic)] = append(got[deviceKey(topic)], int(payload[0])|int(payload[1])<<8)
		mu.Unlock()
		wg.Done()
	})
	defer l.stop()
	for i := range perDevice {
		for d := range devices {
			topic := fmt.Sprintf("balance/v1/dev-%02d/imu", d)
			if d%2 == 0 {
				topic = fmt.Sprintf("balance/v1/dev-%02d/event", d) // a device's kinds share its lane
			}
			if !l.dispatch(topic, []byte{byte(i), byte(i >> 8)}, nil) {
				t.Fatal("dispatch refused before stop")
			}
		}
	}
	wg.Wait()
	if len(got) != devices {
		t.Fatalf("%d devices handled, want %d", len(got), devices)
	}
	for dev, seq := range got {
		if len(seq) != perDevice {
			t.Fatalf("%s: %d messages handled, want %d", dev, len(seq), perDevice)
		}
		for i, v := range seq {
			if v != i {
				t.Fatalf("%s: message %d handled in position %d (order lost)", dev, v, i)
			}
		}
	}
}

// TestFullLaneBlocksUntilStop: with the only lane's handler busy and its
// one slot taken, dispatch waits (so paho stops reading and the broker
// keeps the rest); stopping the lanes releases it, reporting the message
// not taken.
func TestFullLaneBlocksUntilStop(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	l := newLanes(1, 1, func(string, []byte, func()) {
		started <- struct{}{}
		<-release
	})
	defer close(release)
	l.dispatch("balance/v1/a/imu", []byte{1}, nil)
	<-started // the handler holds message 1
	l.dispatch("balance/v1/a/imu", []byte{2}, nil)
	if got := l.queued(); got != 1 {
		t.Fatalf("queued = %d, want 1", got)
	}
	done := make(chan bool)
	go func() { done <- l.dispatch("balance/v1/b/imu", []byte{3}, nil) }()
	select {
	case <-done:
		t.Fatal("dispatch into a full lane returned before there was room")
	case <-time.After(200 * time.Millisecond):
	}
	l.stop()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("dispatch reported the message taken after stop")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not release a waiting dispatch")
	}
}
