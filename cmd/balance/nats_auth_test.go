package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/nats-io/nkeys"
	dto "github.com/prometheus/client_model/go"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/natstest"
	"github.com/balance-pt/balance/mqttauth"
	"github.com/balance-pt/balance/natsingest"
)

// writeAccountSeed writes a new account nkey seed to a file and returns
// the file and the public key.
func writeAccountSeed(t *testing.T) (path, pub string) {
	t.Helper()
	kp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ = kp.PublicKey()
	path = filepath.Join(t.TempDir(), "issuer.nk")
	if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, pub
}

// TestNATSDeviceAuthCallout runs one `balance serve` instance (state on
// SQLite) with nats.device_auth: callout against a real nats-server whose
// MQTT listener sends devices to the callout: a device registered in the
// state with an issued secret logs in and its publication reaches the
// instance's pipeline; a registered device without a secret, and the first
// device's secret once a new one is issued, are refused; the counters
// balance_nats_auth_total{result} follow.
func TestNATSDeviceAuthCallout(t *testing.T) {
	const partitions = 16
	seedFile, pub := writeAccountSeed(t)
	user, pw := "balance", mqttauth.NewSecret()
	src, dst := natsingest.Mapping(partitions)
	cl := natstest.StartClusterWith(t, 1, src, dst, natstest.Options{
		AuthCallout: &natstest.AuthCallout{Issuer: pub, Users: map[string]string{user: pw}},
	})
	natstest.WaitJetStream(t, cl.ClientURLsAs(user, pw))

	path := filepath.Join(t.TempDir(), "balance.yaml")
	conf := fmt.Sprintf(`data_dir: %s
http: {addr: "127.0.0.1:0"}
mqtt: {broker: ""}
storage: {kind: embedded}
dashboard: {admin_password: %s}
progression: {enabled: false}
nats:
  servers: [%s]
  username: %s
  password: %q
  partitions: %d
  device_auth: callout
  auth_issuer_seed_file: %s
`, t.TempDir(), testAdminPassword, cl.ClientURLs()[0], user, pw, partitions, seedFile)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	a := openInstance(t, "auth", path)
	if a.nats == nil || a.nats.auth == nil {
		t.Fatal("no NATS consumer or no device log-in service")
	}

	ctx := context.Background()
	if err := a.State.CreatePatient(ctx, balance.Patient{ID: "p1"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"d1", "d2"} {
		if err := a.State.RegisterDevice(ctx, balance.Device{ID: id, PatientID: "p1"}); err != nil {
			t.Fatal(err)
		}
	}
	secret, err := a.State.IssueDeviceSecret(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	connect := func(id, secret string) (paho.Client, error) {
		o := paho.NewClientOptions().AddBroker(cl.MQTTURLs()[0]).SetClientID(id).SetUsername(id).SetPassword(secret).
			SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second)
		c := paho.NewClient(o)
		tk := c.Connect()
		if !tk.WaitTimeout(15 * time.Second) {
			t.Fatalf("CONNECT of %s: no answer", id)
		}
		return c, tk.Error()
	}

	c, err := connect("d1", secret)
	if err != nil {
		t.Fatalf("d1 with its secret: %v", err)
	}
	// Any payload: the pipeline takes it (and rejects or stores it); what
	// matters here is that it got through the NATS permissions.
	tk := c.Publish("balance/v1/d1/status", 1, false, `{}`)
	if !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
		t.Fatalf("publish: %v", tk.Error())
	}
	deadline := time.Now().Add(30 * time.Second)
	for a.nats.consumer.Stats().Handled == 0 {
		if time.Now().After(deadline) {
			t.Fatal("d1's message never reached the pipeline")
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Disconnect(100)

	if _, err := connect("d2", secret); !errors.Is(err, packets.ErrorRefusedNotAuthorised) {
		t.Errorf("d2 (no secret issued) with d1's secret: %v, want %v", err, packets.ErrorRefusedNotAuthorised)
	}
	if _, err := a.State.IssueDeviceSecret(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	if _, err := connect("d1", secret); !errors.Is(err, packets.ErrorRefusedNotAuthorised) {
		t.Errorf("d1 with its revoked secret: %v, want %v", err, packets.ErrorRefusedNotAuthorised)
	}

	got := map[string]float64{}
	mfs, err := a.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "balance_nats_auth_total" {
			continue
		}
		for _, m := range mf.Metric {
			got[label(m, "result")] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"ok": 1, "refused": 2, "error": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("balance_nats_auth_total = %v, want %v", got, want)
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestNATSDeviceAuthConfig: nats.device_auth's mistakes are refused at
// load with the key named.
func TestNATSDeviceAuthConfig(t *testing.T) {
	seedFile, _ := writeAccountSeed(t)
	user, _ := nkeys.CreateUser()
	userSeed, _ := user.Seed()
	userSeedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(userSeedFile, userSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, nats, want string }{
		{"ok", "{servers: [nats://n1:4222], device_auth: callout, auth_issuer_seed_file: " + seedFile + "}", ""},
		{"unknown mode", "{servers: [nats://n1:4222], device_auth: passwords}", `nats.device_auth "passwords"`},
		{"no seed file", "{servers: [nats://n1:4222], device_auth: callout}", "needs nats.auth_issuer_seed_file"},
		{"missing seed file", "{servers: [nats://n1:4222], device_auth: callout, auth_issuer_seed_file: /nonexistent/issuer.nk}", "nats.auth_issuer_seed_file"},
		{"user seed", "{servers: [nats://n1:4222], device_auth: callout, auth_issuer_seed_file: " + userSeedFile + "}", "not an account seed"},
		{"subject", "{servers: [nats://n1:4222], device_auth: callout, auth_issuer_seed_file: " + seedFile + ", subject: balance.p}", "nats.subject"},
		{"seed without callout", "{servers: [nats://n1:4222], auth_issuer_seed_file: " + seedFile + "}", "need nats.device_auth: callout"},
		{"without servers", "{device_auth: callout}", "without nats.servers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte("mqtt: {broker: \"\"}\nnats: "+tc.nats+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadConfig([]string{"--config", path}, io.Discard, false, env(nil))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("loadConfig: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("loadConfig: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
