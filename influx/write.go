package influx

import (
	"context"
	"errors"
	"math"
	"sort"
	"strconv"
	"time"
	"unsafe"

	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/balance-pt/balance"
)

// AppendSampleLines appends the line protocol of a batch's samples to dst:
//
//	imu,device=<id>,patient=<id> ax=..,ay=..,az=..,gx=..,gy=..,gz=.. <unix µs>
//
// Floats are written in the shortest form that parses back to the same bits.
func AppendSampleLines(dst []byte, b *balance.Batch) []byte {
	var prefix []byte
	prefix = append(prefix, "imu,device="...)
	prefix = appendTag(prefix, b.DeviceID)
	if b.PatientID != "" {
		prefix = append(prefix, ",patient="...)
		prefix = appendTag(prefix, b.PatientID)
	}
	for i := range b.Samples {
		s := &b.Samples[i]
		dst = append(dst, prefix...)
		dst = append(dst, " ax="...)
		dst = strconv.AppendFloat(dst, s.Acc[0], 'g', -1, 64)
		dst = append(dst, ",ay="...)
		dst = strconv.AppendFloat(dst, s.Acc[1], 'g', -1, 64)
		dst = append(dst, ",az="...)
		dst = strconv.AppendFloat(dst, s.Acc[2], 'g', -1, 64)
		dst = append(dst, ",gx="...)
		dst = strconv.AppendFloat(dst, s.Gyro[0], 'g', -1, 64)
		dst = append(dst, ",gy="...)
		dst = strconv.AppendFloat(dst, s.Gyro[1], 'g', -1, 64)
		dst = append(dst, ",gz="...)
		dst = strconv.AppendFloat(dst, s.Gyro[2], 'g', -1, 64)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, balance.StorageMicros(s.TimeNS), 10)
		dst = append(dst, '\n')
	}
	return dst
}

// appendTag escapes a tag key or value or a measurement name for line
// protocol: commas, spaces and equals signs get a backslash. A backslash is
// written as it is (InfluxDB does not unescape it), and a trailing one is
// dropped (it would escape the separator after it); ids are restricted to
// [A-Za-z0-9_.-] anyway.
func appendTag(dst []byte, s string) []byte {
	for len(s) > 0 && s[len(s)-1] == '\\' {
		s = s[:len(s)-1]
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ',', ' ', '=':
			dst = append(dst, '\\', c)
		case '\n', '\r':
			dst = append(dst, '\\', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// WriteBatches implements balance.SampleWriter with one HTTP request.
//
// The body is built in a buffer of its own, sized from the samples, and
// handed to the client as a string over the same memory (unsafe.String):
// no copy. The buffer is never written again nor reused, because net/http
// may still read a request body after RoundTrip has returned (see
// http.RoundTripper), so a pooled buffer would need the copy back.
// docs/storage.md ("What a sample costs InfluxDB") measures the difference.
func (s *Store) WriteBatches(ctx context.Context, batches []*balance.Batch) error {
	size := 0
	for _, b := range batches {
		size += len(b.Samples) * (sampleLineBytes + len(b.DeviceID) + len(b.PatientID))
	}
	if size == 0 {
		return nil
	}
	buf := make([]byte, 0, size)
	for _, b := range batches {
		buf = AppendSampleLines(buf, b)
	}
	if len(buf) == 0 {
		return nil
	}
	return classify(s.raw.WriteRecord(ctx, unsafe.String(&buf[0], len(buf)-1)))
}

// sampleLineBytes bounds the bytes of a sample's line besides its ids:
// "imu,device=,patient=" (20), six " ax=" separators (24) and six shortest
// float64 texts of at most 24 bytes ("-2.2250738585072014e-308"), a space
// and 16 digits of unix µs and the newline (18): 206.
const sampleLineBytes = 20 + 6*4 + 6*24 + 18

// retryableStatus says whether a write refused with this HTTP status can
// succeed later. Only 400, 413 and 422 judge the data itself (bad line
// protocol, too large, unprocessable); 401, 403, 404 and the like are
// configuration (a rotated token, a missing bucket) that an operator fixes,
// so the data waits in the spool meanwhile instead of being dead-lettered.
func retryableStatus(code int) bool {
	switch code {
	case 400, 413, 422:
		return false
	}
	return code >= 400
}

// classify turns a client error into a *balance.WriteError: connection
// errors, timeouts, 5xx, 429 and configuration 4xx can succeed later.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var he *influxhttp.Error
	if errors.As(err, &he) && he.StatusCode != 0 {
		return &balance.WriteError{
			StatusCode: he.StatusCode,
			Retryable:  retryableStatus(he.StatusCode),
			RetryAfter: time.Duration(he.RetryAfter) * time.Second,
			Err:        err,
		}
	}
	return &balance.WriteError{Retryable: true, Err: err}
}

// WriteMeasurements implements balance.MeasurementStore.
func (s *Store) WriteMeasurements(ctx context.Context, ms []balance.Measurement) error {
	var buf []byte
	for _, m := range ms {
		if m.Name == "" || m.PatientID == "" || len(m.Fields) == 0 {
			return &balance.WriteError{Err: balance.Errorf(balance.EINVALID, "measurement needs a name, a patient and fields")}
		}
		buf = appendTag(buf, m.Name)
		buf = append(buf, ",patient="...)
		buf = appendTag(buf, m.PatientID)
		keys := make([]string, 0, len(m.Tags))
		for k := range m.Tags {
			if k == "patient" {
				return &balance.WriteError{Err: balance.Errorf(balance.EINVALID, "measurement %s: tag name patient is reserved", m.Name)}
			}
			if m.Tags[k] != "" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			buf = append(buf, ',')
			buf = appendTag(buf, k)
			buf = append(buf, '=')
			buf = appendTag(buf, m.Tags[k])
		}
		fields := make([]string, 0, len(m.Fields))
		for k := range m.Fields {
			if _, clash := m.Tags[k]; clash {
				return &balance.WriteError{Err: balance.Errorf(balance.EINVALID, "measurement %s: %q is both a tag and a field", m.Name, k)}
			}
			fields = append(fields, k)
		}
		sort.Strings(fields)
		for i, k := range fields {
			v := m.Fields[k]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return &balance.WriteError{Err: balance.Errorf(balance.ENONFINITE, "measurement %s field %s is %v", m.Name, k, v)}
			}
			if i == 0 {
				buf = append(buf, ' ')
			} else {
				buf = append(buf, ',')
			}
			buf = appendTag(buf, k)
			buf = append(buf, '=')
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, balance.StorageMicros(m.Time.UnixNano()), 10)
		buf = append(buf, '\n')
	}
	if len(buf) == 0 {
		return nil
	}
	return classify(s.derived.WriteRecord(ctx, string(buf[:len(buf)-1])))
}
