// Package httpapi serves the system's small JSON API (patients, devices,
// their status and latest data, quarantined payloads, ingest statistics),
// the health checks /healthz and /readyz, and Prometheus /metrics.
// docs/api.md documents every route.
package httpapi
