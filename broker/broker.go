// Package broker embeds an MQTT broker (mochi-mqtt) in the process, for the
// embedded default and for tests that need a broker without installing one.
package broker

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Broker is a running in-process MQTT broker with one TCP listener.
type Broker struct {
	server  *mqtt.Server
	addr    string
	tlsAddr string
}

// Config configures the embedded broker.
type Config struct {
	// Addr is the TCP listen address, e.g. "127.0.0.1:1884"; port 0 picks a free one.
	Addr string
	// MaxPacketBytes limits one MQTT packet (0 = 2 MiB).
	MaxPacketBytes uint32
	Logger         *slog.Logger
	// TLSAddr, when set with TLS, is a second listener speaking MQTT over
	// TLS (for devices beyond this host); port 0 picks a free one.
	TLSAddr string
	TLS     *tls.Config
	// Access, when set, requires credentials and applies the topic rules
	// of package mqttauth. Nil lets every client in (tests on loopback
	// only).
	Access *Access
}

// Start starts a broker and returns once it accepts connections. With
// cfg.Access it admits only devices with their credentials and the ingest
// client; without, every client (for tests on loopback).
func Start(cfg Config) (*Broker, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.MaxPacketBytes == 0 {
		cfg.MaxPacketBytes = 2 << 20
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = cfg.MaxPacketBytes
	s := mqtt.New(&mqtt.Options{Capabilities: caps, Logger: logger, InlineClient: true})
	var hook mqtt.Hook = new(auth.AllowHook)
	if cfg.Access != nil {
		if cfg.Access.CheckDevice == nil {
			return nil, fmt.Errorf("broker: Access without CheckDevice")
		}
		hook = &accessHook{access: *cfg.Access, log: logger}
	}
	if err := s.AddHook(hook, nil); err != nil {
		return nil, fmt.Errorf("broker: add auth hook: %w", err)
	}
	// Resolve port 0 ourselves so that Addr reports the real port.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", cfg.Addr, err)
	}
	addr := ln.Addr().String()
	ln.Close()
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := s.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	var tlsAddr string
	if cfg.TLS != nil && cfg.TLSAddr != "" {
		ln, err := net.Listen("tcp", cfg.TLSAddr)
		if err != nil {
			return nil, fmt.Errorf("broker: listen on %s: %w", cfg.TLSAddr, err)
		}
		tlsAddr = ln.Addr().String()
		ln.Close()
		if err := s.AddListener(listeners.NewTCP(listeners.Config{ID: "tls", Address: tlsAddr, TLSConfig: cfg.TLS})); err != nil {
			return nil, fmt.Errorf("broker: listen on %s: %w", tlsAddr, err)
		}
	}
	if err := s.Serve(); err != nil {
		return nil, fmt.Errorf("broker: serve: %w", err)
	}
	return &Broker{server: s, addr: addr, tlsAddr: tlsAddr}, nil
}

// Addr returns the host:port the broker listens on.
func (b *Broker) Addr() string { return b.addr }

// URL returns the broker address as a paho URL, tcp://host:port.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// TLSURL returns the TLS listener's URL, ssl://host:port ("" if none).
func (b *Broker) TLSURL() string {
	if b.tlsAddr == "" {
		return ""
	}
	return "ssl://" + b.tlsAddr
}

// Clients returns the number of connected clients.
func (b *Broker) Clients() int { return b.server.Clients.Len() }

// Close stops the broker and disconnects every client.
func (b *Broker) Close() error { return b.server.Close() }
