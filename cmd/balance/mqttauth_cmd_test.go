package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/mqttauth"
	"github.com/balance-pt/balance/sqlite"
)

// securedMosquitto starts a real Mosquitto configured as
// deploy/mosquitto.conf (no anonymous access, password and ACL files from
// `balance mqtt-auth`, client id = user name) on a registry without devices.
func securedMosquitto(t *testing.T, ingestPassword string) string {
	url, _ := securedMosquittoOn(t, t.TempDir(), ingestPassword)
	return url
}

// securedMosquittoOn is securedMosquitto on the registry in dataDir; it
// also returns what mqtt-auth printed.
func securedMosquittoOn(t *testing.T, dataDir, ingestPassword string) (string, string) {
	t.Helper()
	// Mosquitto started as root drops to its own user: the files must be
	// readable by it (t.TempDir's parents are not).
	authDir, err := os.MkdirTemp("", "balance-mqtt-auth-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(authDir) })
	os.Chmod(authDir, 0o755)
	cfgPath := filepath.Join(t.TempDir(), "balance.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("data_dir: %s\nmqtt:\n  username: %s\n  password: %s\n", dataDir, mqttauth.IngestUsername, ingestPassword)), 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"mqtt-auth", "--config", cfgPath, "--out", authDir}, &out, &out); err != nil {
		t.Fatalf("mqtt-auth: %v (%s)", err, out.String())
	}
	url := testenv.StartMosquittoWith(t, fmt.Sprintf("allow_anonymous false\npassword_file %s\nacl_file %s\nuse_username_as_clientid true\n",
		filepath.Join(authDir, "passwd"), filepath.Join(authDir, "acl")))
	return url, out.String()
}

// TestMosquittoAppliesTheDeviceRules: `balance mqtt-auth` writes the
// password and ACL files from the registry, and a real Mosquitto started on
// them (allow_anonymous false, use_username_as_clientid true, as
// deploy/mosquitto.conf) refuses anonymous clients and wrong secrets, lets
// a device publish only under its own topics and read nothing, and keeps
// the ingest client's session when a device connects with its client id.
func TestMosquittoAppliesTheDeviceRules(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	state, err := sqlite.OpenState(ctx, filepath.Join(dataDir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := testenv.DevicesWithSecrets(t, state, state, "d1", "d2")
	state.Close()
	ingestPassword := mqttauth.NewSecret()
	url, out := securedMosquittoOn(t, dataDir, ingestPassword)

	for _, tc := range []struct{ name, user, pass string }{
		{"anonymous", "", ""},
		{"wrong secret", "d1", "guess"},
		{"another device's secret", "d1", secrets["d2"]},
		{"unknown device", "d9", secrets["d1"]},
		{"ingest user, wrong password", mqttauth.IngestUsername, secrets["d1"]},
	} {
		if c, err := testenv.MQTTConnect(url, "x-"+tc.user, tc.user, tc.pass); err == nil {
			c.Disconnect(0)
			t.Errorf("%s: connected to Mosquitto, want refused", tc.name)
		}
	}

	ingest, err := testenv.MQTTConnect(url, "balance-ingest", mqttauth.IngestUsername, ingestPassword)
	if err != nil {
		t.Fatalf("ingest client refused: %v", err)
	}
	defer ingest.Disconnect(0)
	var mu sync.Mutex
	got := map[string]int{}
	count := func(m map[string]int, topic string) int { mu.Lock(); defer mu.Unlock(); return m[topic] }
	if tk := ingest.Subscribe("balance/v1/#", 1, func(_ paho.Client, m paho.Message) { mu.Lock(); got[m.Topic()]++; mu.Unlock() }); !tk.WaitTimeout(5*time.Second) || tk.Error() != nil {
		t.Fatalf("ingest subscribe: %v", tk.Error())
	}

	d1, err := testenv.MQTTConnect(url, "d1", "d1", secrets["d1"])
	if err != nil {
		t.Fatalf("d1 with its secret refused: %v", err)
	}
	defer d1.Disconnect(0)
	eaves := map[string]int{}
	d1.Subscribe("balance/v1/#", 1, func(_ paho.Client, m paho.Message) { mu.Lock(); eaves[m.Topic()]++; mu.Unlock() }).WaitTimeout(5 * time.Second)
	d2, err := testenv.MQTTConnect(url, "d2", "d2", secrets["d2"])
	if err != nil {
		t.Fatalf("d2 with its secret refused: %v", err)
	}
	defer d2.Disconnect(0)
	for _, p := range []struct {
		c     paho.Client
		topic string
	}{{d1, "balance/v1/d1/imu"}, {d1, "balance/v1/d2/imu"}, {d2, "balance/v1/d2/imu"}} {
		p.c.Publish(p.topic, 1, false, []byte("x")).WaitTimeout(5 * time.Second)
	}
	time.Sleep(500 * time.Millisecond)
	if n := count(got, "balance/v1/d1/imu"); n != 1 {
		t.Errorf("ingest got d1's own publication %d times, want 1", n)
	}
	if n := count(got, "balance/v1/d2/imu"); n != 1 {
		t.Errorf("ingest got %d publications on d2's topic, want only d2's own (1): d1 forged d2's data", n)
	}
	if n := count(eaves, "balance/v1/d2/imu"); n != 0 {
		t.Errorf("d1 read %d of d2's messages, want none", n)
	}

	// A device using the ingest client id gets its own user name as client
	// id (use_username_as_clientid): the ingest session stays.
	thief, err := testenv.MQTTConnect(url, "balance-ingest", "d2", secrets["d2"])
	if err == nil {
		defer thief.Disconnect(0)
	}
	time.Sleep(300 * time.Millisecond)
	if !ingest.IsConnectionOpen() {
		t.Fatal("the ingest client was disconnected by a device using its client id")
	}
	d1.Publish("balance/v1/d1/status", 1, false, []byte("y")).WaitTimeout(5 * time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := count(got, "balance/v1/d1/status"); n != 1 {
		t.Errorf("ingest got %d messages after the takeover attempt, want 1", n)
	}
	if !strings.Contains(out, "2 devices") {
		t.Errorf("mqtt-auth said %q, want it to count 2 devices", out)
	}
}
