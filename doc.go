// Package balance holds the domain types and the few shared interfaces of the
// balance system: wearable IMU samples and their batches, devices and
// patients, derived measurements, and the storage ports that adapters
// (InfluxDB, the embedded SQLite store) implement.
//
// The root package imports no third-party code. Adapters live in their own
// packages, named after what they wrap, and talk to each other only in these
// types; cmd/balance wires them together.
package balance
