// Package alerts delivers the alerts that monitoring raises: it implements
// balance.AlertSink on top of a persistent outbox, routes every alert to the
// configured recipients (therapist, caregiver, on-call), groups non-urgent
// alerts, repeats and escalates unacknowledged ones, and delivers through
// notifiers (subpackages email and webhook) with retries, exponential backoff
// with full jitter and a deadline. Every attempt is recorded in a delivery log.
//
// The design follows Prometheus Alertmanager's notify pipeline: a notifier is
// a small type whose Notify reports whether a failure is worth retrying, and
// deduplication, grouping, retry, escalation and logging are stages around it.
// Unlike Alertmanager, alerts are persisted before Raise returns (the outbox
// is the store's transaction), so nothing is lost when the process dies: a
// delivery interrupted by a crash is retried after restart under the same
// delivery ID, which webhook receivers see as the webhook-id header.
//
// Storage is behind the Store interface (implemented by package sqlite).
package alerts
