package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/balance-pt/balance/alerts"
)

// Notifier posts notifications to the recipient's webhook URL.
type Notifier struct {
	client  *http.Client
	timeout time.Duration
	// Now returns the attempt's time (webhook-timestamp); tests may replace it.
	Now func() time.Time
}

var _ alerts.Notifier = (*Notifier)(nil)

// New returns a Notifier whose requests each take at most timeout.
// Redirects are not followed (Standard Webhooks: update the URL instead).
func New(timeout time.Duration) *Notifier {
	return &Notifier{
		timeout: timeout,
		Now:     time.Now,
		client: &http.Client{
			Transport: &http.Transport{
				Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
				TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Notify implements alerts.Notifier. 2xx is success; 408, 429, 5xx,
// timeouts and transport errors (refused connections, answers that are not
// HTTP) are worth a retry, with the Retry-After delay if given; any other
// status is a refusal.
func (w *Notifier) Notify(ctx context.Context, n *alerts.Notification) (bool, error) {
	target := n.Recipient.Webhook
	if target == nil {
		return false, errors.New("webhook: recipient has no webhook")
	}
	keys := make([][]byte, 0, len(target.Secrets))
	for _, s := range target.Secrets {
		k, err := alerts.DecodeSecret(s)
		if err != nil {
			return false, fmt.Errorf("webhook: %w", err)
		}
		keys = append(keys, k)
	}
	body, err := json.Marshal(NewPayload(n))
	if err != nil {
		return false, fmt.Errorf("webhook: encode payload: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook: %w", err)
	}
	ts := w.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "balance-alerts/1")
	req.Header.Set("webhook-id", n.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(keys, n.ID, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		// Timeouts, refused connections, resets, malformed answers.
		return true, &alerts.DeliveryError{Err: fmt.Errorf("webhook %s: %w", redact(target.URL), unwrapURLError(err, w.timeout))}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return false, nil
	}
	de := &alerts.DeliveryError{StatusCode: code, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), w.Now()),
		Err: fmt.Errorf("webhook %s answered %d %s: %.200q", redact(target.URL), code, http.StatusText(code), snippet)}
	retry := code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
	return retry, de
}

// unwrapURLError drops the method and URL that *url.Error repeats (the URL
// may hold a secret token) and names a timeout plainly.
func unwrapURLError(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("no answer within %s: %w", timeout, ue.Err)
		}
		return ue.Err
	}
	return err
}

// redact keeps scheme, host and path of a URL: no user info, no query.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	// Scheme and host only: hooks often carry their secret in the path.
	return u.Scheme + "://" + u.Host
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date
// (RFC 9110 §10.2.3). Unusable values give 0; delays are capped at a day.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}
