// Package webhook delivers alert notifications as HTTP POST requests signed
// per the Standard Webhooks specification (standardwebhooks.com, v1.0.0):
// headers webhook-id (the delivery's ID, the same on every retry),
// webhook-timestamp (Unix seconds of the attempt) and webhook-signature, a
// space-separated list of "v1,<base64 HMAC-SHA256>" over
// "<id>.<timestamp>.<body>", one per configured secret so that secrets can
// be rotated without downtime. The JSON body is Payload, documented in
// docs/alerts.md.
package webhook
