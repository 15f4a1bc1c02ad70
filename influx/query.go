package influx

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// Every read is one InfluxQL statement through the v1 query API (see
// influxQL): InfluxDB 1.8, 2.x (DBRP mapping) and 3.x all accept these; no
// read needs Flux.

// sampleWhere is the WHERE clause of a sample query: the device and/or the
// patient and the half-open interval [From, To) in integer nanoseconds.
func sampleWhere(q balance.SampleQuery) (string, error) {
	to := q.To
	if to.IsZero() {
		to = time.Now().Add(24 * time.Hour)
	}
	var sel []string
	if q.DeviceID != "" {
		sel = append(sel, "device = "+qlString(q.DeviceID))
	}
	if q.PatientID != "" {
		sel = append(sel, "patient = "+qlString(q.PatientID))
	}
	if len(sel) == 0 {
		return "", balance.Errorf(balance.EINVALID, "sample query needs a device or a patient")
	}
	return fmt.Sprintf(" WHERE %s AND time >= %d AND time < %d", strings.Join(sel, " AND "), q.From.UnixNano(), to.UnixNano()), nil
}

// sampleCols are the sample fields in the order sampleOf reads them.
const sampleCols = "ax, ay, az, gx, gy, gz"

// sampleOf reads a row [time, ax, ay, az, gx, gy, gz].
func sampleOf(row []interface{}) (balance.Sample, error) {
	var smp balance.Sample
	if len(row) != 7 {
		return smp, fmt.Errorf("influx: sample row of %d columns, want 7", len(row))
	}
	t, err := qlInt(row[0])
	if err != nil {
		return smp, err
	}
	smp.TimeNS = t
	for i := 0; i < 6; i++ {
		v, ok := qlFloat(row[i+1])
		if !ok {
			return smp, fmt.Errorf("influx: sample at %s has no float field %s", time.Unix(0, t).UTC(), strings.Split(sampleCols, ", ")[i])
		}
		if i < 3 {
			smp.Acc[i] = v
		} else {
			smp.Gyro[i-3] = v
		}
	}
	return smp, nil
}

// ReadSamples implements balance.SampleReader.
func (s *Store) ReadSamples(ctx context.Context, q balance.SampleQuery) ([]balance.Sample, error) {
	where, err := sampleWhere(q)
	if err != nil {
		return nil, err
	}
	series, err := s.influxQL(ctx, s.cfg.rawDBRP(), "SELECT "+sampleCols+" FROM imu"+where+" ORDER BY time")
	if err != nil {
		return nil, err
	}
	var out []balance.Sample
	for _, sr := range series {
		for _, row := range sr.Values {
			smp, err := sampleOf(row)
			if err != nil {
				return out, err
			}
			out = append(out, smp)
		}
	}
	return out, nil
}

// CountSamples implements balance.SampleReader.
func (s *Store) CountSamples(ctx context.Context, q balance.SampleQuery) (int64, error) {
	where, err := sampleWhere(q)
	if err != nil {
		return 0, err
	}
	series, err := s.influxQL(ctx, s.cfg.rawDBRP(), "SELECT COUNT(ax) FROM imu"+where)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, sr := range series {
		for _, row := range sr.Values {
			if len(row) != 2 {
				return 0, fmt.Errorf("influx: count row of %d columns, want 2", len(row))
			}
			c, err := qlInt(row[1])
			if err != nil {
				return 0, fmt.Errorf("influx: count: %w", err)
			}
			n += c
		}
	}
	return n, nil
}

// LatestSample implements balance.SampleReader; it looks back 30 days.
func (s *Store) LatestSample(ctx context.Context, deviceID, patientID string) (balance.Sample, error) {
	sel := "device = " + qlString(deviceID)
	if patientID != "" {
		sel += " AND patient = " + qlString(patientID)
	}
	series, err := s.influxQL(ctx, s.cfg.rawDBRP(),
		"SELECT "+sampleCols+" FROM imu WHERE "+sel+" AND time >= now() - 30d AND time < now() + 1d ORDER BY time DESC LIMIT 1")
	if err != nil {
		return balance.Sample{}, err
	}
	for _, sr := range series {
		for _, row := range sr.Values {
			return sampleOf(row)
		}
	}
	return balance.Sample{}, balance.Errorf(balance.ENOTFOUND, "no samples of device %q in the last 30 days", deviceID)
}

// ReadMeasurements implements balance.MeasurementStore: SELECT * gives the
// tags (strings) and the fields (numbers) of each point; the patient tag is
// the query's.
func (s *Store) ReadMeasurements(ctx context.Context, q balance.MeasurementQuery) ([]balance.Measurement, error) {
	to := q.To
	if to.IsZero() {
		to = time.Now().Add(24 * time.Hour)
	}
	stmt := fmt.Sprintf("SELECT * FROM %s WHERE patient = %s AND time >= %d AND time < %d ORDER BY time",
		qlIdent(q.Name), qlString(q.PatientID), q.From.UnixNano(), to.UnixNano())
	series, err := s.influxQL(ctx, s.cfg.derivedDBRP(), stmt)
	if err != nil {
		return nil, err
	}
	var out []balance.Measurement
	for _, sr := range series {
		for _, row := range sr.Values {
			if len(row) != len(sr.Columns) || len(row) == 0 {
				return out, fmt.Errorf("influx: measurement row of %d columns, want %d", len(row), len(sr.Columns))
			}
			t, err := qlInt(row[0])
			if err != nil {
				return out, err
			}
			m := balance.Measurement{Name: q.Name, PatientID: q.PatientID, Time: time.Unix(0, t).UTC(), Fields: map[string]float64{}}
			for i, col := range sr.Columns[1:] {
				switch v := row[i+1].(type) {
				case nil:
				case string:
					if col == "patient" {
						continue
					}
					if m.Tags == nil {
						m.Tags = map[string]string{}
					}
					m.Tags[col] = v
				default:
					if f, ok := qlFloat(v); ok {
						m.Fields[col] = f
					}
				}
			}
			out = append(out, m)
		}
	}
	// Within one timestamp order by the canonical tag set, like the embedded store.
	sortMeasurements(out)
	return out, nil
}

func sortMeasurements(ms []balance.Measurement) {
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].Time.Equal(ms[j].Time) {
			return ms[i].Time.Before(ms[j].Time)
		}
		return ms[i].TagsKey() < ms[j].TagsKey()
	})
}

// rawDBRP and derivedDBRP name the buckets for InfluxQL: RawDBRP /
// DerivedDBRP when set, else the bucket names (1.8's "db/rp"; 3.x's
// database).
func (c Config) rawDBRP() string     { return firstNonEmpty(c.RawDBRP, c.RawBucket) }
func (c Config) derivedDBRP() string { return firstNonEmpty(c.DerivedDBRP, c.DerivedBucket) }

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
