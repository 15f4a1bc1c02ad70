package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/ingest"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/internal/tlsconf"
	"github.com/balance-pt/balance/mqttauth"
	"github.com/balance-pt/balance/wire"
)

// TestTLSWithATestCA: the running system serves HTTPS with a certificate
// of a test CA, and its embedded broker a TLS listener that requires a
// client certificate of that CA: a device with the CA, its certificate and
// its secret publishes, and its data is stored; a client without a
// certificate, or trusting another CA, is refused; plain HTTP on the HTTPS
// port gets no answer.
func TestTLSWithATestCA(t *testing.T) {
	ca := testenv.NewCA(t)
	serverCert, serverKey := ca.Issue(t, "balance.test")
	cfg := testConfig(t, fmt.Sprintf(`http:
  tls: {cert_file: %s, key_file: %s}
embedded_broker:
  tls_addr: 127.0.0.1:0
  tls: {cert_file: %s, key_file: %s, ca_file: %s}
`, serverCert, serverKey, serverCert, serverKey, ca.CertFile))
	a := openApp(t, cfg)
	if !strings.HasPrefix(a.BaseURL(), "https://") || a.Broker.TLSURL() == "" {
		t.Fatalf("base %s, MQTT TLS %q: want https and a TLS listener", a.BaseURL(), a.Broker.TLSURL())
	}

	// HTTPS with the CA works; plain HTTP and an unknown CA do not.
	https := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientTLS(t, "", "")}, Timeout: 10 * time.Second}
	resp, err := https.Get(a.BaseURL() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HTTPS /healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	other := testenv.NewCA(t)
	if _, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: other.ClientTLS(t, "", "")}, Timeout: 5 * time.Second}).Get(a.BaseURL() + "/healthz"); err == nil {
		t.Error("a client trusting another CA accepted the server's certificate")
	}
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + a.HTTPAddr() + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP answered 200 on the HTTPS port")
	}

	// A device over MQTT/TLS with a client certificate and its secret.
	ctx := context.Background()
	if err := a.State.CreatePatient(ctx, balance.Patient{ID: "tls-p"}); err != nil {
		t.Fatal(err)
	}
	if err := a.State.RegisterDevice(ctx, balance.Device{ID: "tls-d", PatientID: "tls-p"}); err != nil {
		t.Fatal(err)
	}
	secret, err := a.State.IssueDeviceSecret(ctx, "tls-d")
	if err != nil {
		t.Fatal(err)
	}
	devCert, devKey := ca.Issue(t, "tls-d")
	connect := func(tc *tlsconf.Files) error {
		o := paho.NewClientOptions().AddBroker(a.Broker.TLSURL()).SetClientID("tls-d").SetUsername("tls-d").SetPassword(secret).
			SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
		c, err := tc.Client()
		if err != nil {
			return err
		}
		o.SetTLSConfig(c)
		cl := paho.NewClient(o)
		tk := cl.Connect()
		if !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
			return fmt.Errorf("connect: %v", tk.Error())
		}
		defer cl.Disconnect(100)
		b := &balance.Batch{DeviceID: "tls-d", RateHz: 100, Seq: 1}
		for i := range 50 {
			b.Samples = append(b.Samples, balance.Sample{TimeNS: time.Now().Add(-time.Second).UnixNano() + int64(i)*10_000_000, Acc: [3]float64{0, 0, 9.81}})
		}
		if tk := cl.Publish(wire.Topic("tls-d", wire.KindIMU), 1, false, wire.AppendJSON(nil, b, wire.JSONOptions{})); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
			return fmt.Errorf("publish: %v", tk.Error())
		}
		return nil
	}
	if err := connect(&tlsconf.Files{CAFile: ca.CertFile}); err == nil {
		t.Error("a device without a client certificate connected to the TLS listener")
	}
	if err := connect(&tlsconf.Files{CAFile: ca.CertFile, CertFile: devCert, KeyFile: devKey}); err != nil {
		t.Fatalf("device with the CA, its certificate and secret: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := a.Store.CountSamples(ctx, balance.SampleQuery{DeviceID: "tls-d", From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
		if err == nil && n == 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the device's 50 samples over TLS were not stored (%d, %v)", n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIngestOverTLSToMosquitto: ingest's subscriber connects to a real
// Mosquitto TLS listener that requires client certificates, with the CA,
// its certificate and the ingest password, and receives a device's data.
func TestIngestOverTLSToMosquitto(t *testing.T) {
	ca := testenv.NewCA(t)
	serverCert, serverKey := ca.Issue(t, "mosquitto.test")
	url := testenv.StartMosquittoWith(t, fmt.Sprintf("allow_anonymous true\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\n", ca.CertFile, serverCert, serverKey))
	url = "ssl://" + strings.TrimPrefix(url, "tcp://")
	ingestCert, ingestKey := ca.Issue(t, "balance-ingest")
	var got atomic.Int64
	sub, err := ingest.NewSubscriber(ingest.MQTTConfig{Broker: url, ClientID: "balance-ingest-tls", Username: mqttauth.IngestUsername,
		TLS: tlsconf.Files{CAFile: ca.CertFile, CertFile: ingestCert, KeyFile: ingestKey}},
		func(topic string, payload []byte, ack func()) { got.Add(1); ack() }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(context.Background(), 10*time.Second); err != nil {
		t.Fatalf("ingest over TLS: %v", err)
	}
	defer sub.Stop()
	devCert, devKey := ca.Issue(t, "d1")
	tc, err := (&tlsconf.Files{CAFile: ca.CertFile, CertFile: devCert, KeyFile: devKey}).Client()
	if err != nil {
		t.Fatal(err)
	}
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("d1").SetTLSConfig(tc).SetConnectTimeout(5 * time.Second))
	if tk := pub.Connect(); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
		t.Fatalf("device over TLS: %v", tk.Error())
	}
	defer pub.Disconnect(100)
	time.Sleep(300 * time.Millisecond) // the subscription is made on connect
	pub.Publish("balance/v1/d1/imu", 1, false, []byte("x")).WaitTimeout(5 * time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for got.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got.Load() != 1 {
		t.Fatalf("ingest received %d messages over TLS, want 1", got.Load())
	}
	// Without a client certificate Mosquitto refuses the handshake.
	noCert, _ := (&tlsconf.Files{CAFile: ca.CertFile}).Client()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("d2").SetTLSConfig(noCert).SetConnectTimeout(5 * time.Second).SetAutoReconnect(false))
	if tk := c.Connect(); tk.WaitTimeout(10*time.Second) && tk.Error() == nil {
		c.Disconnect(0)
		t.Error("a client without a certificate connected to Mosquitto's TLS listener")
	}
}
