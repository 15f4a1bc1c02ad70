package email_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/email"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sqlite"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths; the certificate is its own CA.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "balance test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func notification(to string) *alerts.Notification {
	occurred := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	return &alerts.Notification{
		ID: "msg_0123456789abcdef", Reason: alerts.ReasonInitial,
		Recipient: alerts.Recipient{Name: "dr", Role: alerts.RoleTherapist, Email: to},
		Alerts: []balance.Alert{
			{ID: "fall-1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1", DeviceID: "imu-7",
				Summary: "Fall detected <hard impact>", Details: map[string]string{"peak_acc_g": "3.9"}, OccurredAt: occurred,
				Evidence: []balance.Evidence{{Label: "Samples around the fall", URL: "/api/v1/patients/p1/samples?from=a&to=b"}}},
			{ID: "nomove-1", Kind: balance.AlertNoMovement, Severity: balance.SeverityUrgent, PatientID: "p1",
				Summary: "No movement after the fall", OccurredAt: occurred.Add(time.Minute)},
		},
		CreatedAt: occurred.Add(2 * time.Minute), BaseURL: "https://balance.example.org",
	}
}

func smtpConfig(mp *testenv.Mailpit, starttls string) alerts.SMTPConfig {
	c := alerts.SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, StartTLS: starttls, From: "Balance alerts <alerts@balance.example.org>", Timeout: 10 * time.Second}
	return c
}

func TestSendPlainTextAndHTML(t *testing.T) {
	mp := testenv.StartMailpit(t, testenv.MailpitOptions{})
	e, err := email.New(smtpConfig(mp, alerts.StartTLSNone))
	if err != nil {
		t.Fatal(err)
	}
	n := notification("therapist@clinic.example")
	if retry, err := e.Notify(context.Background(), n); err != nil {
		t.Fatalf("Notify: %v (retry %v)", err, retry)
	}
	ms := mp.WaitMessages(t, 1, 10*time.Second)
	if len(ms) != 1 {
		t.Fatalf("%d messages, want 1", len(ms))
	}
	m := mp.Message(t, ms[0].ID)
	if m.Subject != "[URGENT] Fall detected <hard impact> (+1 more)" {
		t.Errorf("subject %q", m.Subject)
	}
	if m.MessageID != n.ID+"@balance.alerts" {
		t.Errorf("Message-ID %q, want one derived from the delivery ID", m.MessageID)
	}
	if len(m.To) != 1 || m.To[0].Address != "therapist@clinic.example" || m.From.Address != "alerts@balance.example.org" {
		t.Errorf("from %+v to %+v", m.From, m.To)
	}
	for _, want := range []string{"[URGENT] Fall detected <hard impact>", "Patient: p1", "Device: imu-7", "peak_acc_g: 3.9",
		"https://balance.example.org/api/v1/patients/p1/samples?from=a&to=b", "https://balance.example.org/api/v1/alerts/fall-1",
		"No movement after the fall", "2026-11-28 03:00:00 UTC"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, m.Text)
		}
	}
	for _, want := range []string{"<h2>[URGENT] Fall detected &lt;hard impact&gt;</h2>", `<a href="https://balance.example.org/api/v1/alerts/fall-1">`} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, m.HTML)
		}
	}
}

func TestSendSTARTTLSWithAuth(t *testing.T) {
	cert, key := selfSigned(t)
	mp := testenv.StartMailpit(t, testenv.MailpitOptions{TLSCert: cert, TLSKey: key, RequireSTARTTLS: true, Users: map[string]string{"alice": "s3cret"}})
	cfg := smtpConfig(mp, alerts.StartTLSMandatory)
	cfg.CAFile, cfg.Username, cfg.Password = cert, "alice", "s3cret"
	e, err := email.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := e.Notify(context.Background(), notification("oncall@clinic.example")); err != nil {
		t.Fatalf("Notify over STARTTLS with auth: %v (retry %v)", err, retry)
	}
	if ms := mp.WaitMessages(t, 1, 10*time.Second); len(ms) != 1 {
		t.Fatalf("%d messages, want 1", len(ms))
	}

	t.Run("wrong password is refused, not retried", func(t *testing.T) {
		bad := cfg
		bad.Password = "wrong"
		e, _ := email.New(bad)
		retry, err := e.Notify(context.Background(), notification("oncall@clinic.example"))
		if err == nil || retry {
			t.Fatalf("wrong password: err %v retry %v; want a refusal", err, retry)
		}
		if !strings.Contains(err.Error(), "535") && !strings.Contains(strings.ToLower(err.Error()), "auth") {
			t.Errorf("error %q does not say authentication failed", err)
		}
	})
	t.Run("untrusted certificate is an error", func(t *testing.T) {
		noCA := cfg
		noCA.CAFile = ""
		e, _ := email.New(noCA)
		_, err := e.Notify(context.Background(), notification("oncall@clinic.example"))
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err %v; want a certificate error", err)
		}
	})
}

func TestOpportunisticSTARTTLS(t *testing.T) {
	cert, key := selfSigned(t)
	for name, o := range map[string]testenv.MailpitOptions{
		"plain server": {},
		"TLS server":   {TLSCert: cert, TLSKey: key, RequireSTARTTLS: true},
	} {
		t.Run(name, func(t *testing.T) {
			mp := testenv.StartMailpit(t, o)
			cfg := smtpConfig(mp, alerts.StartTLSOpportunistic)
			cfg.CAFile = cert
			e, err := email.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Notify(context.Background(), notification("x@clinic.example")); err != nil {
				t.Fatalf("opportunistic STARTTLS: %v", err)
			}
			if ms := mp.WaitMessages(t, 1, 10*time.Second); len(ms) != 1 {
				t.Fatalf("%d messages, want 1", len(ms))
			}
		})
	}
}

func TestImplicitTLS(t *testing.T) {
	cert, key := selfSigned(t)
	mp := testenv.StartMailpit(t, testenv.MailpitOptions{TLSCert: cert, TLSKey: key, RequireTLS: true})
	cfg := smtpConfig(mp, alerts.StartTLSMandatory)
	cfg.ImplicitTLS, cfg.CAFile = true, cert
	e, err := email.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Notify(context.Background(), notification("x@clinic.example")); err != nil {
		t.Fatalf("implicit TLS: %v", err)
	}
	if ms := mp.WaitMessages(t, 1, 10*time.Second); len(ms) != 1 {
		t.Fatalf("%d messages, want 1", len(ms))
	}
}

func TestMandatorySTARTTLSAgainstPlainServer(t *testing.T) {
	mp := testenv.StartMailpit(t, testenv.MailpitOptions{})
	e, err := email.New(smtpConfig(mp, alerts.StartTLSMandatory))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Notify(context.Background(), notification("x@clinic.example"))
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "starttls") {
		t.Fatalf("err %v; want an error about STARTTLS", err)
	}
	if ms := mp.Messages(t); len(ms) != 0 {
		t.Errorf("%d messages sent in clear text despite starttls: mandatory", len(ms))
	}
}

func TestUnreachableSMTPIsRetried(t *testing.T) {
	port := testenv.FreePort(t)
	e, err := email.New(alerts.SMTPConfig{Host: "127.0.0.1", Port: port, StartTLS: alerts.StartTLSNone, From: "a@b.example", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := e.Notify(context.Background(), notification("x@clinic.example"))
	if err == nil || !retry {
		t.Fatalf("unreachable server: err %v retry %v; want a retryable error", err, retry)
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q does not say the connection was refused", err)
	}
}

func TestBadCAFileRefusedAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(path, []byte("not a certificate"), 0o600)
	for _, f := range []string{path, filepath.Join(t.TempDir(), "missing.pem")} {
		if _, err := email.New(alerts.SMTPConfig{Host: "h", Port: 587, StartTLS: alerts.StartTLSMandatory, From: "a@b.example", Timeout: time.Second, CAFile: f}); err == nil {
			t.Errorf("ca_file %s accepted", f)
		}
	}
}

// TestServiceRetriesUntilSMTPComesUp: an alert raised while the SMTP
// server is down is retried, and delivered once the server is up.
func TestServiceRetriesUntilSMTPComesUp(t *testing.T) {
	ctx := context.Background()
	port := testenv.FreePort(t)
	cfg := alerts.Config{
		SMTP:       alerts.SMTPConfig{Host: "127.0.0.1", Port: port, StartTLS: alerts.StartTLSNone, From: "alerts@balance.example.org", Timeout: 2 * time.Second},
		Retry:      alerts.RetryConfig{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, GiveUpAfter: time.Minute},
		Recipients: []alerts.Recipient{{Name: "dr", Role: alerts.RoleTherapist, Email: "dr@clinic.example"}},
	}
	cfg.SetDefaults()
	e, err := email.New(cfg.SMTP)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.OpenState(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store := st.AlertStore()
	svc, err := alerts.New(cfg, store, alerts.Options{Notifiers: map[string]alerts.Notifier{alerts.ChannelEmail: e},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if err := svc.Raise(ctx, balance.Alert{ID: "f1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1", Summary: "Fall detected"}); err != nil {
		t.Fatal(err)
	}
	waitLog := func(cond func(alerts.Delivery) bool) alerts.Delivery {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			ds, err := store.Deliveries(ctx, "f1")
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) == 1 && cond(ds[0]) {
				return ds[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("deliveries %+v", ds)
			}
		}
	}
	d := waitLog(func(d alerts.Delivery) bool { return len(d.Log) >= 2 && d.Log[1].Outcome != alerts.OutcomeInProgress })
	if d.Log[0].Outcome != alerts.OutcomeRetry || !strings.Contains(d.Log[0].Error, "refused") {
		t.Errorf("first attempt %+v: want a retry saying the connection was refused", d.Log[0])
	}
	mp := testenv.StartMailpit(t, testenv.MailpitOptions{SMTPPort: port})
	ms := mp.WaitMessages(t, 1, 20*time.Second)
	if len(ms) != 1 || ms[0].Subject != "[URGENT] Fall detected" {
		t.Fatalf("messages %+v", ms)
	}
	d = waitLog(func(d alerts.Delivery) bool { return d.State == alerts.StateDelivered })
	if last := d.Log[len(d.Log)-1]; last.Outcome != alerts.OutcomeDelivered {
		t.Errorf("last attempt %+v", last)
	}
}
