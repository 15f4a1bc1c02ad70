// Package wire is the versioned contract between wearable IMUs and the
// balance system: MQTT topic names, and the payloads published on them.
//
// Topics live under TopicRoot ("balance/v1/{device}/imu|status|event"). IMU
// batches come in three encodings on the same imu topic, told apart by Sniff:
// a JSON batch, a compact little-endian binary frame with a CRC-32C, and
// InfluxDB line protocol so that gateways which already speak it can publish
// unchanged. A Decoder turns any of them into a balance.Batch in SI units
// (m/s², rad/s, Unix nanoseconds) and rejects bad input with a
// *balance.Error whose code names the reason (balance.EMALFORMED, ECRC, ...).
// The Append* and Encode* functions are the exact inverses, used by the
// simulator and the tests.
//
// The human-readable contract for device makers is docs/wire-format.md; its
// mosquitto_pub examples are checked by this package's tests, and DocExamples
// hands them to integration tests that publish them to a real broker.
package wire
