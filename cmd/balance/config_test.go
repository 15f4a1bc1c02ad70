package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/balance-pt/balance/natsingest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSampleConfigsLoadAndValidate(t *testing.T) {
	for _, f := range []string{"balance.sample.yaml", "balance.compose.yaml"} {
		t.Run(f, func(t *testing.T) {
			cfg, err := loadConfig([]string{"--config", filepath.Join("..", "..", "deploy", f)}, io.Discard, false, env(nil))
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if f == "balance.sample.yaml" {
				// The sample documents the defaults: loading it changes nothing.
				want := DefaultConfig()
				if cfg.HTTP.Addr != want.HTTP.Addr || cfg.MQTT.Broker != want.MQTT.Broker || cfg.Storage.Influx != want.Storage.Influx || cfg.Spool.MaxBytes != want.Spool.MaxBytes {
					t.Errorf("sample differs from DefaultConfig: %+v", cfg)
				}
			}
		})
	}
}

func TestPrecedenceFileEnvFlags(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte("http:\n  addr: 127.0.0.1:9001\nmqtt:\n  broker: tcp://file:1883\nstorage:\n  influx:\n    url: http://file:8086\n"), 0o644)
	cfg, err := loadConfig([]string{"--config", path, "--influx-url", "http://flag:8086"}, io.Discard, false,
		env(map[string]string{"BALANCE_MQTT_BROKER": "tcp://env:1883", "BALANCE_INFLUX_URL": "http://env:8086"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:9001" {
		t.Errorf("http.addr = %q, want the file's", cfg.HTTP.Addr)
	}
	if cfg.MQTT.Broker != "tcp://env:1883" {
		t.Errorf("mqtt.broker = %q, want the environment's", cfg.MQTT.Broker)
	}
	if cfg.Storage.Influx.URL != "http://flag:8086" {
		t.Errorf("influx url = %q, want the flag's", cfg.Storage.Influx.URL)
	}
}

func TestBadConfigsAreRefusedWithClearMessages(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "htp:\n  addr: x\n", []string{"line 1: field htp not found"}},
		{"wrong type", "spool:\n  max_bytes: lots\n", []string{"line 2", "lots"}},
		{"many errors at once", "storage:\n  kind: cassandra\nmqtt:\n  broker: mqtt.example.org\nlog:\n  level: loud\n",
			[]string{`storage.kind "cassandra"`, `log.level "loud"`}},
		{"bad broker url", "mqtt:\n  broker: mqtt.example.org:1883\n", []string{"must start with tcp://"}},
		{"missing certificate", "http:\n  tls: {cert_file: /nonexistent/server.crt, key_file: /nonexistent/server.key}\n", []string{"http.tls: server certificate", "nonexistent"}},
		{"missing mqtt CA", "mqtt:\n  broker: ssl://mqtt.example.org:8883\n  tls: {ca_file: /nonexistent/ca.crt}\n", []string{"mqtt.tls: ca_file"}},
		{"device bound to unknown patient", "devices:\n  - id: w1\n    patient_id: ghost\n", []string{`devices[0] (w1) is bound to patient "ghost"`}},
		{"tiny spool", "spool:\n  max_bytes: 10\n", []string{"spool.max_bytes 10 is below 1 MiB"}},
		{"unknown state driver", "state:\n  driver: mysql\n", []string{`state.driver "mysql" must be sqlite or postgres`}},
		{"postgres without dsn", "state:\n  driver: postgres\n", []string{"state.dsn (or BALANCE_STATE_DSN, BALANCE_STATE_DSN_FILE) is required"}},
		{"dsn with sqlite", "state:\n  dsn: postgres://u:pw@db/balance\n", []string{"state.dsn is set but state.driver is sqlite"}},
		{"unknown state key", "state:\n  driver: postgres\n  url: x\n", []string{"line 3: field url not found"}},
		{"nats url scheme", "nats:\n  servers: [127.0.0.1:4222]\n", []string{`nats.servers: "127.0.0.1:4222" must start with nats://`}},
		{"nats with embedded broker", "embedded_broker: {enabled: true}\nnats:\n  servers: [nats://n1:4222]\n", []string{"nats.servers is set with embedded_broker.enabled"}},
		{"nats bad instance", "nats:\n  servers: [nats://n1:4222]\n  instance: \"a b\"\n", []string{`nats.instance "a b"`}},
		{"nats with simulated devices and no broker", "nats:\n  servers: [nats://n1:4222]\nmqtt:\n  broker: \"\"\nsim:\n  devices: 5\n", []string{"sim.devices 5 with nats.servers: set mqtt.broker"}},
		{"nats both credentials", "nats:\n  servers: [nats://n1:4222]\n  username: u\n  password: p\n  creds_file: /x.creds\n", []string{"nats: set username/password or creds_file, not both"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(path, []byte(c.yaml), 0o644)
			_, err := loadConfig([]string{"--config", path}, io.Discard, false, env(nil))
			if err == nil {
				t.Fatal("accepted a bad configuration")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := loadConfig(nil, io.Discard, false, env(map[string]string{"BALANCE_SPOOL_MAX_BYTES": "many"})); err == nil || !strings.Contains(err.Error(), "BALANCE_SPOOL_MAX_BYTES") {
		t.Errorf("bad environment value: err = %v", err)
	}
}

// TestComposeFileIsValid checks the compose file's structure (no Docker
// engine runs here): its services, and that every file it mounts exists.
func TestComposeFileIsValid(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image   string   `yaml:"image"`
			Volumes []string `yaml:"volumes"`
			Build   *struct {
				Context    string `yaml:"context"`
				Dockerfile string `yaml:"dockerfile"`
			} `yaml:"build"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, s := range []string{"mosquitto", "influxdb", "balance"} {
		if _, ok := doc.Services[s]; !ok {
			t.Errorf("service %s missing", s)
		}
	}
	for name, s := range doc.Services {
		if s.Image == "" && s.Build == nil {
			t.Errorf("service %s has neither image nor build", name)
		}
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join("..", "..", s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("service %s: %v", name, err)
			}
		}
		for _, v := range s.Volumes {
			src := strings.SplitN(v, ":", 2)[0]
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join("..", "..", src)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := doc.Volumes[src]; !ok {
				t.Errorf("service %s uses volume %s, which is not declared", name, src)
			}
		}
	}
}

func TestPatientsAndDevicesFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("patients:\n  - id: p-001\n    name: Jane Doe\n    height_m: 1.68\n    sensor_height_m: 0.95\n    neuropathy: true\ndevices:\n  - id: w-001\n    patient_id: p-001\n"), 0o644)
	cfg, err := loadConfig([]string{"--config", path}, io.Discard, false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Patients) != 1 || cfg.Patients[0].HeightM != 1.68 || cfg.Patients[0].SensorHeightM != 0.95 || !cfg.Patients[0].Neuropathy {
		t.Fatalf("patients = %+v", cfg.Patients)
	}
	if len(cfg.Devices) != 1 || cfg.Devices[0].PatientID != "p-001" {
		t.Fatalf("devices = %+v", cfg.Devices)
	}
}

// TestVersionAndHelp: `balance version` names the build; `-h` of a command
// is flag.ErrHelp, which main treats as success (exit 0), not an error.
func TestVersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "balance ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("version: %q, %v", out.String(), err)
	}
	for _, args := range [][]string{{"serve", "-h"}, {"embedded", "-h"}, {"mqtt-auth", "-h"}, {"healthcheck", "-h"}} {
		var help bytes.Buffer
		if err := run(context.Background(), args, io.Discard, &help); !errors.Is(err, flag.ErrHelp) || help.Len() == 0 {
			t.Errorf("%v: err %v, %d bytes of help; want flag.ErrHelp and the help text", args, err, help.Len())
		}
	}
}

// TestSecretsFromFiles: NAME_FILE gives a setting from a file (Docker and
// Kubernetes secrets), trailing newline trimmed; NAME itself wins; a
// missing file is an error naming the variable, not showing a value.
func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("s3cret-token\n"), 0o600)
	cfg, err := loadConfig(nil, io.Discard, false, env(map[string]string{"BALANCE_INFLUX_TOKEN_FILE": token, "BALANCE_MQTT_PASSWORD_FILE": token,
		"BALANCE_MQTT_USERNAME": "balance$ingest"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.Influx.Token != "s3cret-token" || cfg.MQTT.Password != "s3cret-token" {
		t.Errorf("token %q, password %q: want both from the file", cfg.Storage.Influx.Token, cfg.MQTT.Password)
	}
	cfg, err = loadConfig(nil, io.Discard, false, env(map[string]string{"BALANCE_INFLUX_TOKEN_FILE": token, "BALANCE_INFLUX_TOKEN": "direct"}))
	if err != nil || cfg.Storage.Influx.Token != "direct" {
		t.Errorf("NAME and NAME_FILE: token %q (%v), want NAME's", cfg.Storage.Influx.Token, err)
	}
	_, err = loadConfig(nil, io.Discard, false, env(map[string]string{"BALANCE_INFLUX_TOKEN_FILE": filepath.Join(dir, "missing")}))
	if err == nil || !strings.Contains(err.Error(), "BALANCE_INFLUX_TOKEN_FILE") {
		t.Errorf("missing file: %v, want an error naming BALANCE_INFLUX_TOKEN_FILE", err)
	}
}

// TestStateConfig: SQLite in data_dir is the default of serve and of the
// embedded default; state.driver and state.dsn select PostgreSQL, from the
// file or the environment, the DSN also from a secret file
// (BALANCE_STATE_DSN_FILE); a refused DSN is never shown.
func TestStateConfig(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "dsn")
	os.WriteFile(secret, []byte("postgres://balance:from-file@db:5432/balance\n"), 0o600)
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("state:\n  driver: postgres\n  dsn: postgres://balance:from-yaml@db:5432/balance\n"), 0o600)
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		embedded bool
		want     StateConfig
	}{
		{"serve default", nil, nil, false, StateConfig{Driver: StateSQLite}},
		{"embedded default", nil, nil, true, StateConfig{Driver: StateSQLite}},
		{"file", []string{"--config", file}, nil, false, StateConfig{StatePostgres, "postgres://balance:from-yaml@db:5432/balance"}},
		{"environment", nil, map[string]string{"BALANCE_STATE_DRIVER": "postgres", "BALANCE_STATE_DSN": "host=db user=balance"}, false,
			StateConfig{StatePostgres, "host=db user=balance"}},
		{"secret file", nil, map[string]string{"BALANCE_STATE_DRIVER": "postgres", "BALANCE_STATE_DSN_FILE": secret}, false,
			StateConfig{StatePostgres, "postgres://balance:from-file@db:5432/balance"}},
		{"environment over file", []string{"--config", file}, map[string]string{"BALANCE_STATE_DSN": "host=env"}, false, StateConfig{StatePostgres, "host=env"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(tt.args, io.Discard, tt.embedded, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cfg.State); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
	_, err := loadConfig(nil, io.Discard, false, env(map[string]string{"BALANCE_STATE_DSN": "postgres://u:hunter2@db/x"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a DSN with driver sqlite: %v, want a refusal that does not show the DSN", err)
	}
}

// TestAckLinkKeyShared: with ack_link_key (here from
// BALANCE_ACK_LINK_KEY_FILE, a mounted secret) two instances with different
// data directories sign links with the same key, and without it each keeps
// its own random key; a short key is refused.
func TestAckLinkKeyShared(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "ack-key")
	if err := os.WriteFile(secret, []byte("a-shared-secret-of-forty-characters-long\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFor := func(vars map[string]string) []byte {
		t.Helper()
		var c Config
		c.DataDir = t.TempDir()
		if err := c.loadEnv(env(vars)); err != nil {
			t.Fatal(err)
		}
		k, err := ackLinkKey(c, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	shared := map[string]string{"BALANCE_ACK_LINK_KEY_FILE": secret}
	if a, b := keyFor(shared), keyFor(shared); !bytes.Equal(a, b) || len(a) != 32 {
		t.Errorf("instances with one ack_link_key sign with %x and %x, want one 32-byte key", a, b)
	}
	if a, b := keyFor(nil), keyFor(nil); bytes.Equal(a, b) {
		t.Errorf("instances without ack_link_key share key %x, want each its own random key", a)
	}
	var c Config
	c.AckLinkKey = "too short"
	if _, err := ackLinkKey(c, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "ack_link_key") {
		t.Errorf("a 9-character key: err %v, want one naming ack_link_key", err)
	}
}

// TestNATSConfig: nats.servers (from the file, or comma-separated from
// BALANCE_NATS_SERVERS) turns NATS ingest on, takes natsingest's defaults
// and no longer needs mqtt.broker; the password may come from a secret
// file; without servers the section stays empty.
func TestNATSConfig(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "nats-pw")
	os.WriteFile(pw, []byte("from-file\n"), 0o600)
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("mqtt: {broker: \"\"}\nnats:\n  servers: [nats://n1:4222]\n  partitions: 64\n  replicas: 3\n  lease_ttl: 6s\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want natsingest.Config
	}{
		{"off by default", nil, nil, natsingest.Config{}},
		{"file, mqtt.broker empty", []string{"--config", file}, map[string]string{"BALANCE_NATS_INSTANCE": "b1"},
			natsingest.Config{Servers: []string{"nats://n1:4222"}, Partitions: 64, Replicas: 3, LeaseTTL: 6 * time.Second, Instance: "b1"}.WithDefaults()},
		{"environment", nil, map[string]string{"BALANCE_NATS_SERVERS": "nats://n1:4222, nats://n2:4222,", "BALANCE_NATS_INSTANCE": "b2",
			"BALANCE_NATS_USERNAME": "balance", "BALANCE_NATS_PASSWORD_FILE": pw},
			natsingest.Config{Servers: []string{"nats://n1:4222", "nats://n2:4222"}, Instance: "b2", Username: "balance", Password: "from-file"}.WithDefaults()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(tt.args, io.Discard, false, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cfg.NATS); diff != "" {
				t.Errorf("nats (-want +got):\n%s", diff)
			}
		})
	}
}
