package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance/internal/tlsconf"
	"github.com/balance-pt/balance/wire"
)

// MQTTConfig configures the subscriber. Zero fields take the defaults in brackets.
type MQTTConfig struct {
	// Broker is the broker URL, tcp://host:port or ssl://host:port.
	Broker string `yaml:"broker"`
	// ClientID must be stable and unique: with a persistent session the
	// broker keeps unacknowledged messages for this id [balance-ingest].
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// TLS, for an ssl:// broker: the CA its certificate chains to (default:
	// the system's), a client certificate if the broker asks for one, the
	// server name to expect.
	TLS tlsconf.Files `yaml:"tls"`
	// Topic is the subscription filter [balance/v1/+/+].
	Topic string `yaml:"topic"`
	// KeepAlive [30s]; MaxReconnectInterval caps paho's reconnect backoff [10s].
	KeepAlive            time.Duration `yaml:"keep_alive"`
	MaxReconnectInterval time.Duration `yaml:"max_reconnect_interval"`
	// MaxHeldBytes bounds the payload bytes of messages inside the handler
	// at once (waiting for room in a full queue and spool): beyond it the
	// subscriber disconnects, so that the broker keeps what comes next
	// (the persistent session queues it), and reconnects when half has been
	// handled. Ingest's memory stays bounded whatever the broker sends
	// [64 MiB].
	MaxHeldBytes int64 `yaml:"max_held_bytes"`
	// Lanes is the number of goroutines handling messages, each device's
	// always on the same one, in order [2 × GOMAXPROCS, at least 4].
	// LaneDepth is the messages each lane holds waiting [16]: when a
	// device's lane is full, ingest stops reading from the broker, which
	// keeps the rest (at most Lanes × (LaneDepth + 1) messages are held).
	Lanes     int `yaml:"lanes"`
	LaneDepth int `yaml:"lane_depth"`
}

// Validate reports the first unusable setting.
func (c MQTTConfig) Validate() error {
	if c.Broker == "" {
		return errors.New("mqtt.broker is required (e.g. tcp://127.0.0.1:1883)")
	}
	if !strings.HasPrefix(c.Broker, "tcp://") && !strings.HasPrefix(c.Broker, "ssl://") && !strings.HasPrefix(c.Broker, "ws://") && !strings.HasPrefix(c.Broker, "wss://") {
		return fmt.Errorf("mqtt.broker %q must start with tcp://, ssl://, ws:// or wss://", c.Broker)
	}
	if c.TLS.Set() {
		if _, err := c.TLS.Client(); err != nil {
			return fmt.Errorf("mqtt.%w", err)
		}
	}
	return nil
}

// WithDefaults returns c with empty fields set to their defaults.
func (c MQTTConfig) WithDefaults() MQTTConfig {
	if c.ClientID == "" {
		c.ClientID = "balance-ingest"
	}
	if c.Topic == "" {
		c.Topic = wire.SubscribeFilter
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 30 * time.Second
	}
	if c.MaxReconnectInterval <= 0 {
		c.MaxReconnectInterval = 10 * time.Second
	}
	if c.MaxHeldBytes <= 0 {
		c.MaxHeldBytes = 64 << 20
	}
	if c.Lanes <= 0 {
		c.Lanes = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if c.LaneDepth <= 0 {
		c.LaneDepth = 16
	}
	return c
}

// Subscriber connects to the broker with a persistent session and feeds
// every message to a handler, acknowledging only when the handler says so.
type Subscriber struct {
	cfg       MQTTConfig
	handle    func(topic string, payload []byte, ack func())
	log       *slog.Logger
	client    mqtt.Client
	connected atomic.Bool
	lanes     *lanes

	// held is the payload bytes inside the handler now; maxHeld the most
	// seen. paused is set while the subscriber has let go of the broker
	// to bound them.
	held, maxHeld atomic.Int64
	paused        atomic.Bool
	stopped       atomic.Bool
	wake          chan struct{} // to control
	done          chan struct{} // closed by Stop

	reconnects prometheus.Counter
	pauses     prometheus.Counter
}

// NewSubscriber returns a subscriber that passes messages to handle (usually
// Pipeline.Handle). It does not connect; see Start.
func NewSubscriber(cfg MQTTConfig, handle func(topic string, payload []byte, ack func()), log *slog.Logger, reg prometheus.Registerer) (*Subscriber, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Subscriber{cfg: cfg.WithDefaults(), handle: handle, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.reconnects = prometheus.NewCounter(prometheus.CounterOpts{Name: "balance_mqtt_connects_total", Help: "Successful connections to the MQTT broker (first and reconnections)."})
	s.pauses = prometheus.NewCounter(prometheus.CounterOpts{Name: "balance_mqtt_pauses_total", Help: "Times ingest let go of the broker because the messages it held reached mqtt.max_held_bytes."})
	connected := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "balance_mqtt_connected", Help: "1 while connected to the MQTT broker."}, func() float64 {
		if s.connected.Load() {
			return 1
		}
		return 0
	})
	if reg != nil {
		reg.MustRegister(s.reconnects, s.pauses, connected)
	}
	return s, nil
}

// Connected reports whether the client is connected now.
func (s *Subscriber) Connected() bool { return s.connected.Load() }

// Start connects (retrying in the background until it succeeds) and
// subscribes on every connection. It waits up to wait for the first
// connection and returns an error if it did not come, while retries go on.
func (s *Subscriber) Start(ctx context.Context, wait time.Duration) error {
	c := s.cfg
	opts := mqtt.NewClientOptions().
		AddBroker(c.Broker).
		SetClientID(c.ClientID).
		SetUsername(c.Username).
		SetPassword(c.Password).
		SetCleanSession(false). // persistent session: the broker keeps what we have not acked
		// paho's router calls the handler in order and only hands a
		// message to a lane (see lanes): a full lane stalls the network
		// loop on purpose, so the broker holds what ingest cannot take yet.
		SetOrderMatters(true).
		SetAutoAckDisabled(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(c.MaxReconnectInterval).
		SetKeepAlive(c.KeepAlive).
		SetPingTimeout(10 * time.Second).
		SetResumeSubs(true)
	// The handler must be registered before connecting: a resumed session
	// delivers queued messages before Subscribe is called.
	if c.TLS.Set() || strings.HasPrefix(c.Broker, "ssl://") || strings.HasPrefix(c.Broker, "wss://") {
		tc, err := c.TLS.Client()
		if err != nil {
			return fmt.Errorf("mqtt.%w", err)
		}
		opts.SetTLSConfig(tc)
	}
	s.lanes = newLanes(c.Lanes, c.LaneDepth, func(topic string, payload []byte, ack func()) {
		s.handle(topic, payload, ack)
		if s.held.Add(-int64(len(payload))) <= c.MaxHeldBytes/2 && s.paused.Load() {
			s.resume()
		}
	})
	opts.SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
		n := int64(len(m.Payload()))
		if held := s.held.Add(n); held > c.MaxHeldBytes {
			s.pause(held)
		} else if held > s.maxHeld.Load() {
			s.maxHeld.Store(held)
		}
		if !s.lanes.dispatch(m.Topic(), m.Payload(), m.Ack) {
			s.held.Add(-n) // stopped: left to the broker
		}
	})
	opts.SetOnConnectHandler(func(cl mqtt.Client) {
		s.connected.Store(true)
		s.reconnects.Inc()
		tok := cl.Subscribe(c.Topic, 1, nil)
		go func() {
			if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
				s.log.Error("mqtt subscribe failed", "topic", c.Topic, "err", tok.Error())
				return
			}
			s.log.Info("mqtt subscribed", "broker", c.Broker, "topic", c.Topic, "client_id", c.ClientID)
		}()
	})
	opts.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		s.connected.Store(false)
		s.log.Warn("mqtt connection lost; reconnecting", "broker", c.Broker, "err", err)
	})
	opts.SetReconnectingHandler(func(mqtt.Client, *mqtt.ClientOptions) {
		s.log.Info("mqtt reconnecting", "broker", c.Broker)
	})
	s.client = mqtt.NewClient(opts)
	go s.control()
	tok := s.client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("mqtt connect to %s: %w", c.Broker, err)
		}
		return nil
	case <-time.After(wait):
		return fmt.Errorf("mqtt broker %s not reachable after %s; still retrying", c.Broker, wait)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pause lets go of the broker: messages held reached MaxHeldBytes (the
// queue and the spool are full). The persistent session keeps what comes
// meanwhile at the broker; messages held now are acknowledged in vain and
// delivered again after the resume (stored once: writes are idempotent).
func (s *Subscriber) pause(held int64) {
	if held > s.maxHeld.Load() {
		s.maxHeld.Store(held)
	}
	if s.stopped.Load() || s.paused.Swap(true) {
		return
	}
	s.pauses.Inc()
	s.log.Warn("ingest holds too many messages (queue and spool full): letting go of the broker until half are handled; it keeps the rest",
		"held_bytes", held, "max_held_bytes", s.cfg.MaxHeldBytes)
	s.poke()
}

// resume takes messages again once those held are down to half.
func (s *Subscriber) resume() {
	if s.stopped.Load() || !s.paused.Swap(false) {
		return
	}
	s.log.Info("ingest takes messages from the broker again", "held_bytes", s.held.Load())
	s.poke()
}

func (s *Subscriber) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// control connects and disconnects as pause and resume ask, one change
// at a time, off the handlers' goroutines.
func (s *Subscriber) control() {
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		switch paused := s.paused.Load(); {
		case paused && s.client.IsConnectionOpen():
			s.client.Disconnect(0)
			s.connected.Store(false)
		case !paused && !s.client.IsConnectionOpen():
			tok := s.client.Connect()
			if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
				s.log.Error("mqtt: reconnect after a pause failed; retrying", "err", tok.Error())
				time.Sleep(time.Second)
				s.poke()
			}
		}
	}
}

// MaxHeld returns the most payload bytes the handler held at once.
func (s *Subscriber) MaxHeld() int64 { return s.maxHeld.Load() }

// Paused reports whether the subscriber has let go of the broker to bound
// the messages it holds.
func (s *Subscriber) Paused() bool { return s.paused.Load() }

// Stop disconnects. Messages not yet acknowledged, among them those still
// waiting in the lanes, stay with the broker.
func (s *Subscriber) Stop() {
	if !s.stopped.Swap(true) {
		close(s.done)
	}
	if s.lanes != nil {
		s.lanes.stop()
	}
	if s.client != nil {
		s.client.Disconnect(500)
		s.connected.Store(false)
	}
}
