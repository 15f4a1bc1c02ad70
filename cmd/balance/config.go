package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/ingest"
	"github.com/balance-pt/balance/internal/tlsconf"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/natsingest"
)

// Config is the whole configuration of `balance serve` and the embedded
// default. Sources, later ones winning: DefaultConfig, the YAML file given by
// --config, BALANCE_* environment variables, flags. deploy/balance.sample.yaml
// documents every key.
type Config struct {
	// DataDir holds the state database (SQLite), the embedded store, the
	// spool and the acknowledgement-link key.
	DataDir string `yaml:"data_dir"`
	// State selects the state database: SQLite in data_dir (default) or
	// PostgreSQL, shared by several instances.
	State StateConfig `yaml:"state"`
	// AckLinkKey signs the one-click acknowledgement links in alert
	// notices (at least 32 characters; the key is its SHA-256). Empty: a
	// random key kept in data_dir/ack-links.key. Several instances must
	// share one (a link sent by one is opened on any), so set it from a
	// secret: BALANCE_ACK_LINK_KEY or BALANCE_ACK_LINK_KEY_FILE.
	AckLinkKey string `yaml:"ack_link_key"`
	HTTP       struct {
		Addr string `yaml:"addr"`
		// TLS: cert_file and key_file serve HTTPS (or terminate TLS in a
		// reverse proxy and set dashboard.secure_cookies).
		TLS tlsconf.Files `yaml:"tls"`
	} `yaml:"http"`
	MQTT ingest.MQTTConfig `yaml:"mqtt"`
	// NATS, when nats.servers is set, takes the devices' messages from a
	// NATS JetStream cluster shared by several instances (natsingest.Config,
	// docs/scale-out.md) instead of subscribing to mqtt.broker.
	NATS natsingest.Config `yaml:"nats"`
	// EmbeddedBroker runs an in-process MQTT broker (embedded mode).
	EmbeddedBroker struct {
		Enabled bool   `yaml:"enabled"`
		Addr    string `yaml:"addr"`
		// TLSAddr and TLS add an MQTT-over-TLS listener (cert_file,
		// key_file; ca_file to require client certificates).
		TLSAddr string        `yaml:"tls_addr"`
		TLS     tlsconf.Files `yaml:"tls"`
	} `yaml:"embedded_broker"`
	Storage struct {
		// Kind is "influx" or "embedded" (SQLite, pure Go).
		Kind   string        `yaml:"kind"`
		Influx influx.Config `yaml:"influx"`
	} `yaml:"storage"`
	Ingest ingest.Config `yaml:"ingest"`
	Spool  struct {
		MaxBytes int64 `yaml:"max_bytes"`
	} `yaml:"spool"`
	// Sim runs simulated wearables in-process against the broker.
	Sim struct {
		Devices  int     `yaml:"devices"`
		RateHz   float64 `yaml:"rate_hz"`
		Encoding string  `yaml:"encoding"`
		Seed     uint64  `yaml:"seed"`
		// HistoryDays of demo history are generated for the simulated
		// patients at the first start (package demo); 0: none.
		HistoryDays int `yaml:"history_days"`
	} `yaml:"sim"`
	Log struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"`
	} `yaml:"log"`
	// ProgressEvery prints a progress line this often (0: never).
	ProgressEvery time.Duration     `yaml:"progress_every"`
	Patients      []balance.Patient `yaml:"patients"`
	// Alerts is alert delivery (alerts.Config, docs/alerts.md). Without
	// recipients, alerts are stored and shown but sent to nobody.
	Alerts alerts.Config `yaml:"alerts"`
	// Monitoring, Progression and Dashboard are those parts' sections.
	Monitoring  MonitoringConfig  `yaml:"monitoring"`
	Progression ProgressionConfig `yaml:"progression"`
	Dashboard   DashboardConfig   `yaml:"dashboard"`
	Devices     []struct {
		ID        string `yaml:"id"`
		PatientID string `yaml:"patient_id"`
	} `yaml:"devices"`
}

// DefaultConfig returns the configuration of `balance serve` with nothing set.
func DefaultConfig() Config {
	var c Config
	c.DataDir = "balance-data"
	c.State.Driver = StateSQLite
	c.HTTP.Addr = "127.0.0.1:8080"
	c.MQTT.Broker = "tcp://127.0.0.1:1883"
	c.MQTT.ClientID = "balance-ingest"
	c.EmbeddedBroker.Addr = "127.0.0.1:1884"
	c.Storage.Kind = "influx"
	c.Storage.Influx = influx.Config{URL: "http://127.0.0.1:8086", RawBucket: "balance/raw", DerivedBucket: "balance/autogen", Timeout: 10 * time.Second}
	c.Spool.MaxBytes = 1 << 30
	c.Sim.RateHz = 100
	c.Sim.Encoding = "mixed"
	c.Sim.Seed = 1
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.ProgressEvery = 0
	c.Monitoring.Clinic = monitor.DefaultConfig().Clinic
	return c
}

// EmbeddedConfig returns the configuration of the embedded default: an
// in-process broker, the embedded store, self-registering simulated devices.
func EmbeddedConfig() Config {
	c := DefaultConfig()
	c.EmbeddedBroker.Enabled = true
	c.Storage.Kind = "embedded"
	c.Ingest.SelfRegister = true
	c.Sim.Devices = 3
	c.Sim.HistoryDays = 70
	c.ProgressEvery = 5 * time.Second
	return c
}

// loadFile merges a YAML file into c; unknown keys are errors.
func (c *Config) loadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := decodeConfig(b, c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// decodeConfig is the one decoder of configuration files: strict (an
// unknown key is an error naming the key and its line), onto c's current
// values, so omitted keys keep them. Per-patient monitoring rules are then
// laid over the clinic's: a patient's entry changes only the keys it names.
func decodeConfig(b []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	var overrides struct {
		Monitoring struct {
			Patients map[string]yaml.Node `yaml:"patients"`
		} `yaml:"monitoring"`
	}
	if err := yaml.Unmarshal(b, &overrides); err != nil {
		return err
	}
	for id, node := range overrides.Monitoring.Patients {
		r := c.Monitoring.Clinic
		if err := node.Decode(&r); err != nil {
			return fmt.Errorf("monitoring.patients.%s: %w", id, err)
		}
		c.Monitoring.Patients[id] = r
	}
	return nil
}

// envVars maps BALANCE_* environment variables to settings.
var envVars = []struct {
	name, help string
	set        func(c *Config, v string) error
}{
	{"BALANCE_DATA_DIR", "data directory", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"BALANCE_STATE_DRIVER", "state database: sqlite or postgres", func(c *Config, v string) error { c.State.Driver = v; return nil }},
	{"BALANCE_STATE_DSN", "PostgreSQL connection string (state.driver postgres)", func(c *Config, v string) error { c.State.DSN = v; return nil }},
	{"BALANCE_ACK_LINK_KEY", "key signing alert acknowledgement links (>= 32 characters)", func(c *Config, v string) error { c.AckLinkKey = v; return nil }},
	{"BALANCE_HTTP_ADDR", "HTTP listen address", func(c *Config, v string) error { c.HTTP.Addr = v; return nil }},
	{"BALANCE_MQTT_BROKER", "MQTT broker URL", func(c *Config, v string) error { c.MQTT.Broker = v; return nil }},
	{"BALANCE_MQTT_CLIENT_ID", "MQTT client id", func(c *Config, v string) error { c.MQTT.ClientID = v; return nil }},
	{"BALANCE_MQTT_USERNAME", "MQTT user name", func(c *Config, v string) error { c.MQTT.Username = v; return nil }},
	{"BALANCE_MQTT_PASSWORD", "MQTT password", func(c *Config, v string) error { c.MQTT.Password = v; return nil }},
	{"BALANCE_NATS_SERVERS", "NATS URLs, comma-separated: ingest from NATS JetStream instead of MQTT", func(c *Config, v string) error {
		c.NATS.Servers = nil
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u != "" {
				c.NATS.Servers = append(c.NATS.Servers, u)
			}
		}
		return nil
	}},
	{"BALANCE_NATS_USERNAME", "NATS user name", func(c *Config, v string) error { c.NATS.Username = v; return nil }},
	{"BALANCE_NATS_PASSWORD", "NATS password", func(c *Config, v string) error { c.NATS.Password = v; return nil }},
	{"BALANCE_NATS_CREDS_FILE", "NATS .creds file", func(c *Config, v string) error { c.NATS.CredsFile = v; return nil }},
	{"BALANCE_NATS_INSTANCE", "this instance's name in the NATS partition leases (unique per instance)", func(c *Config, v string) error { c.NATS.Instance = v; return nil }},
	{"BALANCE_STORAGE", "influx or embedded", func(c *Config, v string) error { c.Storage.Kind = v; return nil }},
	{"BALANCE_INFLUX_URL", "InfluxDB URL", func(c *Config, v string) error { c.Storage.Influx.URL = v; return nil }},
	{"BALANCE_INFLUX_TOKEN", "InfluxDB token", func(c *Config, v string) error { c.Storage.Influx.Token = v; return nil }},
	{"BALANCE_INFLUX_ORG", "InfluxDB organisation", func(c *Config, v string) error { c.Storage.Influx.Org = v; return nil }},
	{"BALANCE_INFLUX_RAW_BUCKET", "raw-sample bucket", func(c *Config, v string) error { c.Storage.Influx.RawBucket = v; return nil }},
	{"BALANCE_INFLUX_DERIVED_BUCKET", "derived-measurement bucket", func(c *Config, v string) error { c.Storage.Influx.DerivedBucket = v; return nil }},
	{"BALANCE_SPOOL_MAX_BYTES", "spool disk budget in bytes", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		c.Spool.MaxBytes = n
		return err
	}},
	{"BALANCE_SIM_DEVICES", "simulated devices to run in-process", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.Sim.Devices = n
		return err
	}},
	{"BALANCE_LOG_LEVEL", "debug, info, warn or error", func(c *Config, v string) error { c.Log.Level = v; return nil }},
}

func (c *Config) loadEnv(getenv func(string) string) error {
	for _, e := range envVars {
		v := getenv(e.name)
		if f := getenv(e.name + "_FILE"); v == "" && f != "" {
			// Docker and Kubernetes secrets: the value in a file.
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("%s_FILE: %w", e.name, err)
			}
			v = strings.TrimRight(string(b), "\r\n")
		}
		if v != "" {
			if err := e.set(c, v); err != nil {
				return fmt.Errorf("%s: %w", e.name, err) // the value may be a secret: not shown
			}
		}
	}
	return nil
}

// Validate reports every unusable setting at once, each with its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.DataDir == "" {
		bad("data_dir is required")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr %q: %v", c.HTTP.Addr, err)
	}
	if c.HTTP.TLS.Set() {
		if _, err := c.HTTP.TLS.Server(); err != nil {
			bad("http.%v", err)
		}
	}
	if c.EmbeddedBroker.Enabled {
		if _, _, err := net.SplitHostPort(c.EmbeddedBroker.Addr); err != nil {
			bad("embedded_broker.addr %q: %v", c.EmbeddedBroker.Addr, err)
		}
		if c.EmbeddedBroker.TLSAddr != "" {
			if _, err := c.EmbeddedBroker.TLS.Server(); err != nil {
				bad("embedded_broker.%v", err)
			}
		}
	} else if len(c.NATS.Servers) == 0 { // with NATS, mqtt.broker is not used (may be empty)
		if err := c.MQTT.Validate(); err != nil {
			bad("%v", err)
		}
	}
	switch c.Storage.Kind {
	case "influx":
		if err := c.Storage.Influx.Validate(); err != nil {
			bad("storage.%v", err)
		}
	case "embedded":
	default:
		bad("storage.kind %q must be influx or embedded", c.Storage.Kind)
	}
	if c.Spool.MaxBytes < 1<<20 {
		bad("spool.max_bytes %d is below 1 MiB", c.Spool.MaxBytes)
	}
	if c.Sim.Devices < 0 || c.Sim.Devices > 10000 {
		bad("sim.devices %d must be 0..10000", c.Sim.Devices)
	}
	if c.Sim.Devices > 0 && len(c.NATS.Servers) > 0 && c.MQTT.Broker == "" && !c.EmbeddedBroker.Enabled {
		bad("sim.devices %d with nats.servers: set mqtt.broker to a NATS node's MQTT listener (e.g. tcp://n1:1883) for the simulated devices to publish to", c.Sim.Devices)
	}
	if c.Sim.HistoryDays < 0 || c.Sim.HistoryDays > 120 || c.Sim.HistoryDays > 0 && c.Sim.HistoryDays < 14 {
		bad("sim.history_days %d must be 0 (none) or 14..120", c.Sim.HistoryDays)
	}
	if c.Sim.RateHz < balance.MinRateHz || c.Sim.RateHz > balance.MaxRateHz {
		bad("sim.rate_hz %v must be %v..%v", c.Sim.RateHz, balance.MinRateHz, balance.MaxRateHz)
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level %q must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format %q must be text or json", c.Log.Format)
	}
	patients := map[string]bool{}
	for i, p := range c.Patients {
		if err := balance.ValidateDeviceID(p.ID); err != nil {
			bad("patients[%d].id %q: letters, digits, '_', '-', '.' only, 1 to 64", i, p.ID)
		}
		patients[p.ID] = true
	}
	for i, d := range c.Devices {
		if err := balance.ValidateDeviceID(d.ID); err != nil {
			bad("devices[%d].id: %v", i, err)
		}
		if d.PatientID != "" && !patients[d.PatientID] {
			bad("devices[%d] (%s) is bound to patient %q, which the patients list lacks", i, d.ID, d.PatientID)
		}
	}
	errs = append(errs, c.validateSections())
	return errors.Join(errs...)
}
