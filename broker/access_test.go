package broker_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/broker"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/mqttauth"
	"github.com/balance-pt/balance/sqlite"
)

// securedBroker starts the embedded broker with device credentials kept in
// a real state database: devices d1 and d2 are registered with secrets.
func securedBroker(t *testing.T) (b *broker.Broker, secrets map[string]string, ingestPassword string) {
	t.Helper()
	ctx := context.Background()
	state, err := sqlite.OpenState(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	secrets = testenv.DevicesWithSecrets(t, state, state, "d1", "d2")
	ingestPassword = mqttauth.NewSecret()
	b, err = broker.Start(broker.Config{Addr: "127.0.0.1:0", Access: &broker.Access{
		CheckDevice: state.CheckDeviceSecret, IngestPassword: ingestPassword, IngestClientID: "balance-ingest"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, secrets, ingestPassword
}

// TestEmbeddedBrokerRefusesWhomItShould: anonymous clients, wrong secrets,
// revoked secrets and client-id takeovers are refused; a device publishes
// only under its own topics and reads nothing; the ingest client reads all.
func TestEmbeddedBrokerRefusesWhomItShould(t *testing.T) {
	b, secrets, ingestPassword := securedBroker(t)
	for _, tc := range []struct{ name, clientID, user, pass string }{
		{"anonymous", "d1", "", ""},
		{"wrong secret", "d1", "d1", "guess"},
		{"another device's secret", "d1", "d1", secrets["d2"]},
		{"unknown device", "d9", "d9", secrets["d1"]},
		{"device taking the ingest client id", "balance-ingest", "d1", secrets["d1"]},
		{"device taking another device's client id", "d2", "d1", secrets["d1"]},
		{"ingest user, wrong password", "balance-ingest", mqttauth.IngestUsername, secrets["d1"]},
	} {
		if c, err := testenv.MQTTConnect(b.URL(), tc.clientID, tc.user, tc.pass); err == nil {
			c.Disconnect(0)
			t.Errorf("%s: connected, want refused", tc.name)
		}
	}

	ingest, err := testenv.MQTTConnect(b.URL(), "balance-ingest", mqttauth.IngestUsername, ingestPassword)
	if err != nil {
		t.Fatalf("ingest client refused: %v", err)
	}
	defer ingest.Disconnect(0)
	var mu sync.Mutex
	got := map[string]int{}
	sub := ingest.Subscribe("balance/v1/#", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		got[m.Topic()]++
		mu.Unlock()
	})
	if !sub.WaitTimeout(5*time.Second) || sub.Error() != nil || sub.(*paho.SubscribeToken).Result()["balance/v1/#"] == 0x80 {
		t.Fatalf("ingest subscription refused: %v %v", sub.Error(), sub.(*paho.SubscribeToken).Result())
	}

	d1, err := testenv.MQTTConnect(b.URL(), "d1", "d1", secrets["d1"])
	if err != nil {
		t.Fatalf("d1 with its secret refused: %v", err)
	}
	defer d1.Disconnect(0)
	// A device may not read: its subscriptions are refused (SUBACK 0x80).
	for _, filter := range []string{"balance/v1/#", "balance/v1/d2/imu", "#"} {
		tk := d1.Subscribe(filter, 1, func(paho.Client, paho.Message) {})
		tk.WaitTimeout(5 * time.Second)
		if code := tk.(*paho.SubscribeToken).Result()[filter]; code != 0x80 {
			t.Errorf("d1 subscribing to %s: SUBACK %#x, want 0x80 (refused)", filter, code)
		}
	}
	// Its own topic reaches ingest; another device's does not.
	for _, topic := range []string{"balance/v1/d1/imu", "balance/v1/d2/imu", "balance/v1/d1x/imu", "other/topic"} {
		d1.Publish(topic, 1, false, []byte("x")).WaitTimeout(5 * time.Second)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if got["balance/v1/d1/imu"] != 1 {
		t.Errorf("ingest got d1's own publication %d times, want 1", got["balance/v1/d1/imu"])
	}
	for _, forged := range []string{"balance/v1/d2/imu", "balance/v1/d1x/imu"} {
		if got[forged] != 0 {
			t.Errorf("ingest got d1's publication to %s: a device forged another's data", forged)
		}
	}
}

// TestRevokedSecretStopsWorking: a new secret replaces the old one at once.
func TestRevokedSecretStopsWorking(t *testing.T) {
	ctx := context.Background()
	state, err := sqlite.OpenState(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer state.Close()
	if err := state.RegisterDevice(ctx, balance.Device{ID: "d1"}); err != nil {
		t.Fatal(err)
	}
	old, _ := state.IssueDeviceSecret(ctx, "d1")
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Access: &broker.Access{CheckDevice: state.CheckDeviceSecret, IngestClientID: "balance-ingest"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := testenv.MQTTConnect(b.URL(), "d1", "d1", old)
	if err != nil {
		t.Fatalf("first secret refused: %v", err)
	}
	c.Disconnect(0)
	fresh, err := state.IssueDeviceSecret(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := testenv.MQTTConnect(b.URL(), "d1", "d1", old); err == nil {
		c.Disconnect(0)
		t.Error("revoked secret still accepted")
	}
	c, err = testenv.MQTTConnect(b.URL(), "d1", "d1", fresh)
	if err != nil {
		t.Fatalf("new secret refused: %v", err)
	}
	c.Disconnect(0)
}
