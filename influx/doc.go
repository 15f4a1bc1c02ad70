// Package influx implements balance.SampleStore on InfluxDB through
// github.com/influxdata/influxdb-client-go/v2: the v2 write API for samples
// and measurements, and InfluxQL through the v1 query API for reading them
// back, the read path InfluxDB 1.8 (bucket "database/retention-policy"), 2.x
// (through a DBRP mapping: Config.RawDBRP, DerivedDBRP) and 3.x all serve.
//
// Schema (also in docs/storage.md):
//
//	raw bucket (default "balance/raw", short retention):
//	  measurement imu, tags device, patient; fields ax ay az (m/s²), gx gy gz (rad/s)
//	derived bucket (default "balance/autogen", kept):
//	  one measurement per result kind (sway, gait_bout, fall, risk, ...),
//	  tag patient plus the result's own tags; float fields
//
// Timestamps are the device's, written at microsecond precision, so a
// redelivered or resent sample lands on the same point and overwrites itself.
package influx
