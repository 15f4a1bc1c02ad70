// Package webhooktest is a test webhook receiver that checks Standard Webhooks
// signatures with a verifier written from the specification's text
// (standardwebhooks.com v1.0.0, "Verifying webhook authenticity"), not
// with the sender's code, and records every request in arrival order.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balance-pt/balance/alerts/webhook"
)

// Verify checks a request as a receiver following the specification would:
// the timestamp is within 5 minutes of now; the signed content is
// "{webhook-id}.{webhook-timestamp}.{raw body}"; the key is the base64
// decoding of the secret after "whsec_"; the webhook-signature header is a
// space-separated list of "<version>,<base64 signature>", and one "v1"
// entry must equal HMAC-SHA256(key, content) under a constant-time
// comparison.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s is %s from now", ts, d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	expected := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, expected) {
			return nil
		}
	}
	return errors.New("no signature matches")
}

// Request is one request the receiver got.
type Request struct {
	ID        string // webhook-id
	Header    http.Header
	Body      []byte
	Payload   webhook.Payload
	VerifyErr error // nil when every configured secret verifies
	At        time.Time
}

// Receiver is a webhook endpoint on a real HTTP server.
type Receiver struct {
	URL     string
	Secrets []string
	// Respond answers the nth request (from 0); nil answers 204.
	Respond func(n int, req *Request, w http.ResponseWriter)

	mu      sync.Mutex
	reqs    []Request
	changed chan struct{}
}

// NewReceiver starts a receiver that checks signatures with every secret.
func NewReceiver(t testing.TB, secrets []string, respond func(n int, req *Request, w http.ResponseWriter)) *Receiver {
	r := &Receiver{Secrets: secrets, Respond: respond, changed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hook"
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, hr *http.Request) {
	body, _ := io.ReadAll(hr.Body)
	req := Request{ID: hr.Header.Get("webhook-id"), Header: hr.Header.Clone(), Body: body, At: time.Now()}
	for i, s := range r.Secrets {
		if err := Verify(s, hr.Header, body, time.Now()); err != nil {
			req.VerifyErr = fmt.Errorf("secret %d: %w", i, err)
		}
	}
	if err := json.Unmarshal(body, &req.Payload); err != nil && req.VerifyErr == nil {
		req.VerifyErr = fmt.Errorf("payload: %w", err)
	}
	r.mu.Lock()
	n := len(r.reqs)
	r.reqs = append(r.reqs, req)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if r.Respond != nil {
		r.Respond(n, &req, w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Requests returns the requests so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Wait waits until cond holds for the requests so far, or fails the test
// after timeout.
func (r *Receiver) Wait(t testing.TB, timeout time.Duration, what string, cond func([]Request) bool) []Request {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		reqs, ch := append([]Request(nil), r.reqs...), r.changed
		r.mu.Unlock()
		if cond(reqs) {
			return reqs
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("receiver: %s not seen within %s (%d requests)", what, timeout, len(reqs))
		}
	}
}

// Count returns a condition that holds once n requests arrived.
func Count(n int) func([]Request) bool {
	return func(rs []Request) bool { return len(rs) >= n }
}
