package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// runServe implements `balance serve` and, with embedded set, the embedded
// default that `balance` with no arguments starts.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, embedded bool) error {
	cfg, err := loadConfig(args, stderr, embedded, os.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	return NewApp(cfg, log, stdout).Run(ctx)
}

// loadConfig builds the configuration: defaults, then --config FILE, then
// environment, then flags; and validates it.
func loadConfig(args []string, stderr io.Writer, embedded bool, getenv func(string) string) (Config, error) {
	name := "serve"
	cfg := DefaultConfig()
	if embedded {
		name = "embedded"
		cfg = EmbeddedConfig()
	}
	fs := flag.NewFlagSet("balance "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration `file` (see deploy/balance.sample.yaml)")
	httpAddr := fs.String("http", "", "HTTP listen `address` for the API, /healthz and /metrics")
	dataDir := fs.String("data-dir", "", "`directory` for the state database, embedded store and spool")
	mqttURL := fs.String("mqtt", "", "MQTT broker `URL` (serve)")
	brokerAddr := fs.String("broker-addr", "", "listen `address` of the embedded MQTT broker (embedded)")
	influxURL := fs.String("influx-url", "", "InfluxDB `URL` (serve)")
	storage := fs.String("storage", "", "time-series storage: influx or embedded")
	simDevices := fs.Int("sim-devices", -1, "simulated wearables to run in-process (`n`)")
	logLevel := fs.String("log-level", "", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: balance %s [flags]\n\nEnvironment variables (override the file, overridden by flags):\n", name)
		for _, e := range envVars {
			fmt.Fprintf(stderr, "  %-30s %s\n", e.name, e.help)
		}
		fmt.Fprintf(stderr, "Each can be given as NAME_FILE instead: a file holding the value (for secrets).\n")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *configPath != "" {
		if err := cfg.loadFile(*configPath); err != nil {
			return cfg, err
		}
	}
	if err := cfg.loadEnv(getenv); err != nil {
		return cfg, err
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.HTTP.Addr, *httpAddr)
	set(&cfg.DataDir, *dataDir)
	set(&cfg.MQTT.Broker, *mqttURL)
	set(&cfg.EmbeddedBroker.Addr, *brokerAddr)
	set(&cfg.Storage.Influx.URL, *influxURL)
	set(&cfg.Storage.Kind, *storage)
	set(&cfg.Log.Level, *logLevel)
	if *simDevices >= 0 {
		cfg.Sim.Devices = *simDevices
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
