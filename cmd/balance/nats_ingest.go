package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/natsauth"
	"github.com/balance-pt/balance/natsingest"
)

// natsIngest is the NATS side of ingest when nats.servers is set: one
// connection and one partitioned consumer (natsingest.Consumer) feeding the
// pipeline's Handle, in each device's order, and with nats.device_auth:
// callout the service answering devices' log-ins (natsauth.Service).
type natsIngest struct {
	conn     *nats.Conn
	consumer *natsingest.Consumer
	auth     *natsauth.Service // nil unless nats.device_auth is callout
	cancel   context.CancelFunc
	done     chan struct{}
}

// startNATS connects to the cluster, with cfg.DeviceAuth "callout" starts
// answering devices' log-ins from devices (natsauth, in the queue group of
// all instances), makes sure the stream, the partition consumers and the
// lease bucket exist (natsingest.Setup, idempotent), and runs the consumer
// with h as its handler until stop. Its counters are registered on reg.
// onAcquire, if not nil, is called with each partition taken
// (natsingest.Consumer.OnAcquire).
func startNATS(ctx context.Context, cfg natsingest.Config, h natsingest.Handler, onAcquire func(partition int), devices natsauth.Registry, reg prometheus.Registerer, log *slog.Logger) (*natsIngest, error) {
	nc, err := natsingest.Connect(cfg, log)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	// Log-ins first: devices may be waiting for them while Setup retries.
	auth, err := startNATSAuth(nc, cfg, devices, reg, log)
	if err != nil {
		nc.Close()
		return nil, err
	}
	fail := func(err error) (*natsIngest, error) {
		if auth != nil {
			auth.Stop()
		}
		nc.Close()
		return nil, err
	}
	c, err := natsingest.New(ctx, nc, cfg, h, log)
	if err != nil {
		return fail(fmt.Errorf("nats: %w", err))
	}
	c.OnAcquire = onAcquire
	n := &natsIngest{conn: nc, consumer: c, auth: auth, done: make(chan struct{})}
	if err := registerNATSMetrics(reg, c); err != nil {
		return fail(err)
	}
	// The consumer's own context: it ends in stop, before the pipeline
	// drains, not with ctx.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	go func() {
		defer close(n.done)
		_ = c.Run(rctx)
	}()
	log.Info("ingest from NATS JetStream", "servers", cfg.Servers, "partitions", cfg.WithDefaults().Partitions, "instance", cfg.WithDefaults().Instance)
	return n, nil
}

// stop ends consumption: every partition stops and its lease is released
// (another instance takes it within a renewal round). Messages handed to
// the pipeline and not yet acknowledged are acknowledged while the
// connection stays open (close); the ones that are not come again to the
// next owner.
func (n *natsIngest) stop() {
	if n == nil {
		return
	}
	n.cancel()
	<-n.done
}

// close closes the connection after the pipeline drained, once its last
// acks have reached the server (at most 2 s; an ack lost here means a
// redelivery to the next owner, which the store absorbs).
func (n *natsIngest) close() {
	if n == nil {
		return
	}
	if n.auth != nil {
		n.auth.Stop() // the other instances answer log-ins
	}
	_ = n.conn.FlushTimeout(2 * time.Second)
	n.conn.Close()
}

// connected reports whether the connection is up.
func (n *natsIngest) connected() bool { return n != nil && n.conn.IsConnected() }

// owned returns how many partitions this instance consumes now.
func (n *natsIngest) owned() int {
	if n == nil {
		return 0
	}
	return len(n.consumer.Owned())
}

// registerNATSMetrics exposes the consumer's counters:
// balance_nats_partitions_owned (gauge), balance_nats_partition_takeovers_total
// (leases taken), balance_nats_partition_losses_total (leases lost),
// balance_nats_messages_handled_total and
// balance_nats_messages_redelivered_total (deliveries of messages already
// handed over, not handed again).
func registerNATSMetrics(reg prometheus.Registerer, c *natsingest.Consumer) error {
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "balance_nats_partitions_owned", Help: "Partitions this instance consumes now."},
			func() float64 { return float64(len(c.Owned())) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "balance_nats_partition_takeovers_total", Help: "Partition leases taken by this instance."},
			func() float64 { return float64(c.Stats().Acquired) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "balance_nats_partition_losses_total", Help: "Partition leases lost (not renewed in time)."},
			func() float64 { return float64(c.Stats().Lost) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "balance_nats_messages_handled_total", Help: "Device messages handed to the ingest pipeline from NATS."},
			func() float64 { return float64(c.Stats().Handled) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "balance_nats_messages_redelivered_total", Help: "Redeliveries of messages already handed to the pipeline (not handed again)."},
			func() float64 { return float64(c.Stats().Redelivered) }),
	}
	for _, col := range cs {
		if err := reg.Register(col); err != nil {
			return fmt.Errorf("nats metrics: %w", err)
		}
	}
	return nil
}

// startNATSAuth starts the device log-in service on nc when
// cfg.DeviceAuth is "callout" (nil otherwise), with the issuer seed from
// cfg.AuthIssuerSeedFile and the subject and partitions of the consumer,
// and registers balance_nats_auth_total{result="ok|refused|error"} on reg:
// log-ins let in, refused (unknown device, wrong or revoked secret, not a
// device's user name or client id, not MQTT) and not decided (registry
// error, unreadable request; the device is refused and retries).
func startNATSAuth(nc *nats.Conn, cfg natsingest.Config, devices natsauth.Registry, reg prometheus.Registerer, log *slog.Logger) (*natsauth.Service, error) {
	if cfg.DeviceAuth != natsDeviceAuthCallout {
		return nil, nil
	}
	cfg = cfg.WithDefaults()
	seed, err := natsauth.ReadSeedFile(cfg.AuthIssuerSeedFile)
	if err != nil {
		return nil, fmt.Errorf("nats.auth_issuer_seed_file: %w", err)
	}
	s, err := natsauth.New(natsauth.Config{
		IssuerSeed: seed, Subject: cfg.Subject, Partitions: cfg.Partitions, SessionMax: cfg.AuthSessionMax,
	}, devices, log.With("component", "nats-auth"))
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	const help = "NATS device log-ins answered by this instance: ok, refused (unknown device, wrong or revoked secret, bad user name or client id, not MQTT), error (registry failure or unreadable request: refused)."
	for _, c := range []struct {
		result string
		n      func(natsauth.Stats) uint64
	}{
		{"ok", func(st natsauth.Stats) uint64 { return st.OK }},
		{"refused", func(st natsauth.Stats) uint64 { return st.Refused }},
		{"error", func(st natsauth.Stats) uint64 { return st.Errors }},
	} {
		col := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "balance_nats_auth_total", Help: help, ConstLabels: prometheus.Labels{"result": c.result}},
			func() float64 { return float64(c.n(s.Stats())) })
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("nats auth metrics: %w", err)
		}
	}
	if err := s.Start(nc); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	return s, nil
}

// deviceLister lists the registered devices (the state store).
type deviceLister interface {
	Devices(ctx context.Context) ([]balance.Device, error)
}

// warnDottedDeviceIDs logs once, at start on NATS, the registered devices
// whose id holds a '.': they cannot reach balance on this shape, since
// nats-server refuses an MQTT client id with a '.' and a '.' in the topic
// adds a token to the subject the partition mapping matches. It returns
// those ids.
func warnDottedDeviceIDs(ctx context.Context, devices deviceLister, log *slog.Logger) []string {
	ds, err := devices.Devices(ctx)
	if err != nil {
		log.Warn("could not list the devices to check their ids for NATS", "err", err)
		return nil
	}
	var dotted []string
	for _, d := range ds {
		if strings.Contains(d.ID, ".") {
			dotted = append(dotted, d.ID)
		}
	}
	if len(dotted) > 0 {
		log.Warn("devices whose id holds a '.' cannot connect through NATS (nats-server refuses such MQTT client ids); register them under ids without dots",
			"devices", dotted)
	}
	return dotted
}
