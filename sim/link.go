package sim

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/balance-pt/balance/wire"
	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// link is one device's MQTT connection. Dropping it closes the socket
// without a DISCONNECT, so the broker publishes the device's last will.
type link struct {
	cfg    FleetConfig
	id     string
	stats  *FleetStats
	log    *slog.Logger
	client mqtt.Client
	mu     sync.Mutex
	conn   net.Conn
	up     bool
	retry  time.Time
}

func newLink(cfg FleetConfig, id string, stats *FleetStats, log *slog.Logger) *link {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &link{cfg: cfg, id: id, stats: stats, log: log}
}

func (l *link) options() *mqtt.ClientOptions {
	o := mqtt.NewClientOptions().AddBroker(l.cfg.Broker).SetClientID(l.id).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(5*time.Second).
		SetKeepAlive(30*time.Second).SetWriteTimeout(10*time.Second).SetOrderMatters(false).
		SetBinaryWill(wire.Topic(l.id, wire.KindStatus), wire.OfflineWill(), 1, true)
	switch {
	case l.cfg.Secret != nil:
		o.SetUsername(l.id).SetPassword(l.cfg.Secret(l.id))
	case l.cfg.Username != "":
		o.SetUsername(l.cfg.Username).SetPassword(l.cfg.Password)
	}
	o.SetCustomOpenConnectionFn(func(uri *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
		c, err := net.DialTimeout("tcp", uri.Host, 5*time.Second)
		if err == nil {
			l.mu.Lock()
			l.conn = c
			l.mu.Unlock()
		}
		return c, err
	})
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		if l.markDown() {
			l.log.Debug("connection lost", "device", l.id, "err", err)
		}
	})
	return o
}

// ensure connects if needed; it reports whether the link is up.
func (l *link) ensure(ctx context.Context) bool {
	l.mu.Lock()
	up := l.up
	l.mu.Unlock()
	if up {
		return true
	}
	if time.Now().Before(l.retry) || ctx.Err() != nil {
		return false
	}
	// A fresh client for every connection: a paho client whose socket was
	// closed under it may still be winding down.
	if l.client != nil {
		l.client.Disconnect(0)
	}
	l.client = mqtt.NewClient(l.options())
	t := l.client.Connect()
	if !t.WaitTimeout(6*time.Second) || t.Error() != nil {
		l.stats.Errors.Add(1)
		l.retry = time.Now().Add(2 * time.Second)
		l.log.Debug("connect failed", "device", l.id, "err", t.Error())
		return false
	}
	l.stats.Connects.Add(1)
	l.mu.Lock()
	l.up = true
	l.mu.Unlock()
	l.stats.Online.Add(1)
	return true
}

// markDown records the link as down; it reports whether it was up.
func (l *link) markDown() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.up {
		return false
	}
	l.up = false
	l.stats.Online.Add(-1)
	return true
}

// drop closes the socket abruptly (a lost link), so that the broker
// publishes the will. The next ensure connects with a new client.
func (l *link) drop() {
	l.mu.Lock()
	c := l.conn
	l.mu.Unlock()
	if !l.markDown() || c == nil {
		return
	}
	c.Close()
}

// publish sends m with QoS 1 and waits for the acknowledgement. On failure
// it counts an error, takes the link down (the next ensure reconnects) and
// returns false.
func (l *link) publish(m Message) bool {
	t := l.client.Publish(m.Topic, 1, m.Retained, m.Payload)
	if !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		l.stats.Errors.Add(1)
		l.log.Debug("publish failed", "device", l.id, "err", t.Error())
		if l.markDown() {
			l.client.Disconnect(0)
		}
		l.retry = time.Now().Add(time.Second)
		return false
	}
	l.stats.Messages.Add(1)
	l.stats.Samples.Add(int64(m.Samples))
	l.stats.Bytes.Add(int64(len(m.Payload)))
	return true
}

// close disconnects cleanly after publishing the offline status (a clean
// DISCONNECT suppresses the will, so the device says it itself).
func (l *link) close() {
	if l.client == nil {
		return
	}
	l.mu.Lock()
	up := l.up
	l.mu.Unlock()
	if up {
		t := l.client.Publish(wire.Topic(l.id, wire.KindStatus), 1, true, wire.OfflineWill())
		t.WaitTimeout(2 * time.Second)
		l.markDown()
		l.client.Disconnect(250)
	}
}
