package balance

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SampleWriter stores batches of raw samples. Writing the same sample again
// (same device and device time) must not create a second point, so that
// redelivered and resent batches are harmless.
//
// Errors: a *WriteError says whether a retry can succeed.
type SampleWriter interface {
	WriteBatches(ctx context.Context, batches []*Batch) error
}

// SampleQuery selects raw samples in the half-open interval [From, To) of
// one device, one patient, or (both set) one device while it was bound to
// that patient — so that a device passed on to another patient does not
// show its earlier wearer's data.
type SampleQuery struct {
	DeviceID  string
	PatientID string
	From, To  time.Time
}

// SampleReader reads raw samples back.
type SampleReader interface {
	// ReadSamples returns the samples in time order.
	ReadSamples(ctx context.Context, q SampleQuery) ([]Sample, error)
	// CountSamples returns how many samples match q.
	CountSamples(ctx context.Context, q SampleQuery) (int64, error)
	// LatestSample returns the newest sample of a device (recorded while it
	// was bound to patientID, unless that is ""), or ENOTFOUND.
	LatestSample(ctx context.Context, deviceID, patientID string) (Sample, error)
}

// Measurement is a derived, timestamped result of analysis (a sway test, a
// walking bout, a fall, a risk assessment) with numeric fields and string tags.
type Measurement struct {
	Name      string             `json:"name"`
	PatientID string             `json:"patient_id"`
	Time      time.Time          `json:"time"`
	Tags      map[string]string  `json:"tags,omitempty"`
	Fields    map[string]float64 `json:"fields"`
}

// TagsKey returns the canonical form of the tag set: sorted k=v pairs joined
// by commas ("" for no tags). Two measurements with equal Name, PatientID,
// TagsKey and Time are the same point.
func (m Measurement) TagsKey() string {
	if len(m.Tags) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m.Tags))
	for k := range m.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m.Tags[k])
	}
	return b.String()
}

// MeasurementQuery selects derived measurements of one patient.
type MeasurementQuery struct {
	Name      string
	PatientID string
	From, To  time.Time
}

// MeasurementStore writes and reads derived measurements. Writing the same
// (Name, PatientID, Tags, Time) again replaces the fields.
type MeasurementStore interface {
	WriteMeasurements(ctx context.Context, ms []Measurement) error
	ReadMeasurements(ctx context.Context, q MeasurementQuery) ([]Measurement, error)
}

// SampleStore is what a time-series adapter provides: raw samples in and out,
// derived measurements, and a health check.
type SampleStore interface {
	SampleWriter
	SampleReader
	MeasurementStore
	// Ping reports whether the store is reachable now.
	Ping(ctx context.Context) error
	Close() error
}

// WriteError is returned by a SampleWriter when a write fails.
// Retryable is true for connection errors, timeouts, 429 and 5xx.
type WriteError struct {
	StatusCode int
	Retryable  bool
	RetryAfter time.Duration
	Err        error
}

// Error implements error.
func (e *WriteError) Error() string {
	if e.StatusCode != 0 {
		return "write failed with status " + strconv.Itoa(e.StatusCode) + ": " + e.Err.Error()
	}
	return "write failed: " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *WriteError) Unwrap() error { return e.Err }
