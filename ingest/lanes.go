package ingest

import (
	"hash/maphash"
	"strings"
	"sync"
)

// lanes hands MQTT messages to a fixed set of handler goroutines. A device's
// messages always take the same lane, so they are handled in the order the
// broker sent them (the monitor sees each device's batches in order, and
// never has to read back a batch that merely overtook another), while
// different devices proceed in parallel.
//
// Each lane holds at most depth messages; dispatch blocks while the
// device's lane is full. Called from paho's router (OrderMatters), that
// block stops the client reading from the socket, so the broker keeps the
// rest behind its in-flight window: ingest never holds more than
// lanes × (depth + 1) messages, whatever the broker sends.
type lanes struct {
	seed   maphash.Seed
	queues []chan laneMessage
	handle func(topic string, payload []byte, ack func())
	quit   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

// laneMessage is one message waiting in a lane.
type laneMessage struct {
	topic   string
	payload []byte
	ack     func()
}

// newLanes starts n lanes of depth messages each, feeding handle.
func newLanes(n, depth int, handle func(topic string, payload []byte, ack func())) *lanes {
	l := &lanes{seed: maphash.MakeSeed(), handle: handle, quit: make(chan struct{})}
	for range n {
		q := make(chan laneMessage, depth)
		l.queues = append(l.queues, q)
		l.wg.Add(1)
		go l.run(q)
	}
	return l
}

// run handles one lane's messages in order until stop.
func (l *lanes) run(q chan laneMessage) {
	defer l.wg.Done()
	for {
		select {
		case <-l.quit:
			return
		case m := <-q:
			l.handle(m.topic, m.payload, m.ack)
		}
	}
}

// dispatch queues a message on its device's lane, waiting for room. It
// reports false when the lanes stopped first (the message stays
// unacknowledged; the broker delivers it again).
func (l *lanes) dispatch(topic string, payload []byte, ack func()) bool {
	q := l.queues[maphash.String(l.seed, deviceKey(topic))%uint64(len(l.queues))]
	select {
	case q <- laneMessage{topic: topic, payload: payload, ack: ack}:
		return true
	case <-l.quit:
		return false
	}
}

// queued returns the messages waiting in the lanes.
func (l *lanes) queued() int {
	n := 0
	for _, q := range l.queues {
		n += len(q)
	}
	return n
}

// stop ends the lanes: messages still queued are left unacknowledged (the
// broker redelivers them); a handler running now finishes on its own.
func (l *lanes) stop() { l.once.Do(func() { close(l.quit) }) }

// deviceKey is the part of a topic that names the device
// (balance/v1/<device>/<kind> → balance/v1/<device>), so that a device's
// samples, events and status share a lane.
func deviceKey(topic string) string {
	if i := strings.LastIndexByte(topic, '/'); i > 0 {
		return topic[:i]
	}
	return topic
}
