package webhook_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/webhook"
	"github.com/balance-pt/balance/alerts/webhook/webhooktest"
)

// Two secrets, as during a rotation: 24 bytes 0..23 and 32 bytes 100..131
// (python3 -c "import base64; print(base64.b64encode(bytes(range(100,132))).decode())").
const (
	oldSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
	newSecret = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
)

func notification(url string, secrets ...string) *alerts.Notification {
	return &alerts.Notification{
		ID: "msg_test1", Reason: alerts.ReasonInitial,
		Recipient: alerts.Recipient{Name: "family", Role: alerts.RoleCaregiver, Webhook: &alerts.WebhookTarget{URL: url, Secrets: secrets}},
		Alerts: []balance.Alert{{ID: "fall-1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1",
			Summary: "Fall detected", Evidence: []balance.Evidence{{Label: "samples", URL: "/api/v1/patients/p1/samples?from=1&to=2"}},
			OccurredAt: time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), Status: balance.AlertOpen}},
		CreatedAt: time.Date(2026, 11, 28, 3, 0, 1, 0, time.UTC),
		BaseURL:   "https://balance.example.org/",
	}
}

func TestNotifySignedPayload(t *testing.T) {
	type got struct {
		h    http.Header
		body []byte
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{r.Header.Clone(), b}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	n := notification(srv.URL+"/hook", oldSecret, newSecret)
	retry, err := webhook.New(5*time.Second).Notify(context.Background(), n)
	if err != nil {
		t.Fatalf("Notify: %v (retry %v)", err, retry)
	}
	g := <-ch
	if id := g.h.Get("webhook-id"); id != n.ID {
		t.Errorf("webhook-id %q, want the delivery ID %q", id, n.ID)
	}
	for _, s := range []string{oldSecret, newSecret} {
		if err := webhooktest.Verify(s, g.h, g.body, time.Now()); err != nil {
			t.Errorf("secret %s…: %v", s[:12], err)
		}
	}
	if err := webhooktest.Verify("whsec_"+base64.StdEncoding.EncodeToString(make([]byte, 24)), g.h, g.body, time.Now()); err == nil {
		t.Error("a secret that was not configured verifies; the verifier is broken")
	}
	tampered := append([]byte{}, g.body...)
	tampered[len(tampered)-2] ^= 1
	if err := webhooktest.Verify(oldSecret, g.h, tampered, time.Now()); err == nil {
		t.Error("a tampered body verifies")
	}
	var p webhook.Payload
	if err := json.Unmarshal(g.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "alert.notified" || p.Data.DeliveryID != n.ID || len(p.Data.Alerts) != 1 || p.Data.Recipient.Role != alerts.RoleCaregiver {
		t.Errorf("payload %+v", p)
	}
	a := p.Data.Alerts[0]
	if a.ID != "fall-1" || a.URL != "https://balance.example.org/api/v1/alerts/fall-1" || a.AckURL != a.URL+"/ack" {
		t.Errorf("alert %+v: wrong id or links", a)
	}
	if a.Evidence[0].URL != "https://balance.example.org/api/v1/patients/p1/samples?from=1&to=2" {
		t.Errorf("evidence link %q not made absolute", a.Evidence[0].URL)
	}
	if !p.Timestamp.Equal(n.CreatedAt) {
		t.Errorf("payload timestamp %s, want the notification's creation %s", p.Timestamp, n.CreatedAt)
	}
}

func TestNotifyStatusClassification(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		wantErr    bool
		wantRetry  bool
		wantAfter  time.Duration
	}{
		{200, "", false, false, 0},
		{204, "", false, false, 0},
		{500, "", true, true, 0},
		{502, "", true, true, 0},
		{503, "7", true, true, 7 * time.Second},
		{429, "2", true, true, 2 * time.Second},
		{408, "", true, true, 0},
		{400, "", true, false, 0},
		{401, "", true, false, 0},
		{404, "", true, false, 0},
		{410, "", true, false, 0},
		{302, "", true, false, 0},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, "body text")
			}))
			defer srv.Close()
			retry, err := webhook.New(5*time.Second).Notify(context.Background(), notification(srv.URL, oldSecret))
			if (err != nil) != tt.wantErr || retry != tt.wantRetry {
				t.Fatalf("status %d: err %v retry %v; want error %v retry %v", tt.status, err, retry, tt.wantErr, tt.wantRetry)
			}
			if err == nil {
				return
			}
			var de *alerts.DeliveryError
			if !errors.As(err, &de) || de.StatusCode != tt.status || de.RetryAfter != tt.wantAfter {
				t.Errorf("error %#v: want a DeliveryError with status %d and Retry-After %s", err, tt.status, tt.wantAfter)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tt.status)) {
				t.Errorf("error %q does not name the status", err)
			}
		})
	}
}

func TestNotifyHangingReceiverTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	retry, err := webhook.New(200*time.Millisecond).Notify(context.Background(), notification(srv.URL, oldSecret))
	if err == nil || !retry {
		t.Fatalf("hanging receiver: err %v retry %v; want a retryable timeout", err, retry)
	}
	if !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("error %q does not say it timed out", err)
	}
}

func TestNotifyGarbageAnswerIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "\x00\x01 this is not HTTP at all\r\n\r\n")
			}()
		}
	}()
	retry, err := webhook.New(2*time.Second).Notify(context.Background(), notification("http://"+ln.Addr().String()+"/hook", oldSecret))
	if err == nil || !retry {
		t.Fatalf("garbage answer: err %v retry %v; want a retryable error", err, retry)
	}
	if !strings.Contains(err.Error(), "malformed HTTP") {
		t.Errorf("error %q does not say the answer was not HTTP", err)
	}
}

func TestNotifyRefusedConnectionIsRetried(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	retry, err := webhook.New(2*time.Second).Notify(context.Background(), notification("http://"+addr+"/hook?token=SECRET", oldSecret))
	if err == nil || !retry {
		t.Fatalf("refused: err %v retry %v; want a retryable error", err, retry)
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q does not say the connection was refused", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %q leaks the URL's query", err)
	}
}
