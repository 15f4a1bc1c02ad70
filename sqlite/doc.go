// Package sqlite implements the system's SQLite storage through the pure-Go
// driver modernc.org/sqlite (no cgo): the state database (patients, devices,
// their bindings and status, device events, quarantined payloads) with
// versioned migrations, and SampleStore, the embedded time-series store that
// stands in for InfluxDB behind the same balance.SampleStore interface. The
// state database's methods are package internal/sqlstate's, shared with
// package postgres; this package adds SQLite's dialect, schema and file.
package sqlite
