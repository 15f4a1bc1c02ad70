package balance

import (
	"fmt"
	"math"
	"time"
)

// StandardGravity is g₀ in m/s² (CGPM 1901), used to convert accelerations
// declared in g to SI.
const StandardGravity = 9.80665

// Sample is one IMU reading in SI units, in the sensor's own axis frame.
// Acc is specific force in m/s² (reads about +9.81 on the up axis at rest);
// Gyro is angular rate in rad/s. TimeNS is the device's time of the reading
// in Unix nanoseconds.
type Sample struct {
	TimeNS int64
	Acc    [3]float64
	Gyro   [3]float64
}

// Time returns the sample's device time.
func (s Sample) Time() time.Time { return time.Unix(0, s.TimeNS).UTC() }

// Physical limits beyond which a value cannot come from a body-worn IMU:
// ±32 g and ±4000 deg/s are twice the widest ranges of common MEMS parts
// (ADXL345 ±16 g, ITG3200 ±2000 deg/s), so a reading past them is a unit or
// encoding error, not a hard fall.
const (
	MaxAccMS2    = 32 * StandardGravity
	MaxGyroRadS  = 4000 * math.Pi / 180
	MinRateHz    = 10.0
	MaxRateHz    = 1000.0
	MaxBatchSize = 10000
)

// Validate reports the first non-finite or physically impossible value of s.
func (s Sample) Validate() error {
	for i, v := range s.Acc {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Errorf(ENONFINITE, "acc[%d] is %v", i, v)
		}
		if math.Abs(v) > MaxAccMS2 {
			return Errorf(ERANGE, "acc[%d] = %.4g m/s² is beyond ±%.0f m/s²", i, v, MaxAccMS2)
		}
	}
	for i, v := range s.Gyro {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Errorf(ENONFINITE, "gyro[%d] is %v", i, v)
		}
		if math.Abs(v) > MaxGyroRadS {
			return Errorf(ERANGE, "gyro[%d] = %.4g rad/s is beyond ±%.1f rad/s", i, v, MaxGyroRadS)
		}
	}
	return nil
}

// Batch is one message's worth of samples from one device, normalised to SI.
type Batch struct {
	DeviceID string
	// PatientID is filled in by ingest from the device binding; empty until then.
	PatientID string
	// Seq is the device's per-device sequence number of the batch (0 when the
	// encoding carries none, as with line protocol).
	Seq uint64
	// RateHz is the declared sample rate (0 when samples carry explicit times).
	RateHz  float64
	Samples []Sample
}

// Validate checks the batch's shape and every sample.
func (b *Batch) Validate() error {
	if err := ValidateDeviceID(b.DeviceID); err != nil {
		return err
	}
	if len(b.Samples) == 0 {
		return Errorf(ECOUNT, "batch has no samples")
	}
	if len(b.Samples) > MaxBatchSize {
		return Errorf(ECOUNT, "batch has %d samples, more than %d", len(b.Samples), MaxBatchSize)
	}
	if b.RateHz != 0 && (b.RateHz < MinRateHz || b.RateHz > MaxRateHz || math.IsNaN(b.RateHz)) {
		return Errorf(ERATE, "sample rate %v Hz is outside %v..%v Hz", b.RateHz, MinRateHz, MaxRateHz)
	}
	for i := range b.Samples {
		if err := b.Samples[i].Validate(); err != nil {
			return fmt.Errorf("sample %d: %w", i, err)
		}
	}
	return nil
}

// CheckClock reports ECLOCK when the batch's first or last sample lies more than
// maxFuture after now or more than maxPast before it.
func (b *Batch) CheckClock(now time.Time, maxPast, maxFuture time.Duration) error {
	if len(b.Samples) == 0 {
		return nil
	}
	lo, hi := b.Samples[0].TimeNS, b.Samples[len(b.Samples)-1].TimeNS
	if hi < lo {
		lo, hi = hi, lo
	}
	n := now.UnixNano()
	if hi > n+int64(maxFuture) {
		return Errorf(ECLOCK, "sample time %s is %s in the future", time.Unix(0, hi).UTC().Format(time.RFC3339Nano), time.Duration(hi-n).Round(time.Millisecond))
	}
	if lo < n-int64(maxPast) {
		return Errorf(ECLOCK, "sample time %s is %s in the past", time.Unix(0, lo).UTC().Format(time.RFC3339Nano), time.Duration(n-lo).Round(time.Second))
	}
	return nil
}

// ValidateDeviceID accepts 1 to 64 characters of [A-Za-z0-9_.-]: safe as an
// MQTT topic level, an InfluxDB tag value and a file name.
func ValidateDeviceID(id string) error {
	if id == "" || len(id) > 64 {
		return Errorf(EDEVICEID, "device id %q must have 1 to 64 characters", id)
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			return Errorf(EDEVICEID, "device id %q may hold only letters, digits, '_', '-' and '.'", id)
		}
	}
	return nil
}

// StorageMicros rounds a nanosecond time to the microsecond precision the
// stores keep (to the nearest microsecond, halves away from zero), in
// microseconds. Anything keyed by a sample time (alert ids, measurement
// keys) uses it, so that a sample read back from storage keys the same as
// the one that arrived.
func StorageMicros(ns int64) int64 {
	if ns >= 0 {
		return (ns + 500) / 1000
	}
	return (ns - 500) / 1000
}
