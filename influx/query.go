package influx

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/query"

	"github.com/balance-pt/balance"
)

// fluxString quotes s as a Flux string literal.
func fluxString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}

func fluxTime(t time.Time) string {
	return "time(v: " + fluxString(t.UTC().Format(time.RFC3339Nano)) + ")"
}

func (s *Store) sampleFilter(q balance.SampleQuery) (string, error) {
	to := q.To
	if to.IsZero() {
		to = time.Now().Add(24 * time.Hour)
	}
	var sel string
	switch {
	case q.DeviceID != "" && q.PatientID != "":
		sel = "r.device == " + fluxString(q.DeviceID) + " and r.patient == " + fluxString(q.PatientID)
	case q.DeviceID != "":
		sel = "r.device == " + fluxString(q.DeviceID)
	case q.PatientID != "":
		sel = "r.patient == " + fluxString(q.PatientID)
	default:
		return "", balance.Errorf(balance.EINVALID, "sample query needs a device or a patient")
	}
	// The stop of range() is inclusive on InfluxDB 1.8's Flux; the extra
	// filter on _time keeps the interval half-open on every version.
	return fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == "imu" and %s and r._time < %s)`, fluxString(s.cfg.RawBucket), fluxTime(q.From), fluxTime(to), sel, fluxTime(to)), nil
}

func (s *Store) run(ctx context.Context, flux string, each func(rec *query.FluxRecord) error) error {
	res, err := s.query.Query(ctx, flux)
	if err != nil {
		return fmt.Errorf("influx: query: %w", err)
	}
	defer res.Close()
	for res.Next() {
		if err := each(res.Record()); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("influx: query: %w", err)
	}
	return nil
}

func sampleOf(rec *query.FluxRecord) (balance.Sample, error) {
	var smp balance.Sample
	smp.TimeNS = rec.Time().UnixNano()
	vals := rec.Values()
	for i, k := range [...]string{"ax", "ay", "az", "gx", "gy", "gz"} {
		v, ok := vals[k].(float64)
		if !ok {
			return smp, fmt.Errorf("influx: sample at %s has no float field %s", rec.Time(), k)
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
	flux, err := s.sampleFilter(q)
	if err != nil {
		return nil, err
	}
	flux += `
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`
	var out []balance.Sample
	err = s.run(ctx, flux, func(rec *query.FluxRecord) error {
		smp, err := sampleOf(rec)
		if err != nil {
			return err
		}
		out = append(out, smp)
		return nil
	})
	return out, err
}

// CountSamples implements balance.SampleReader.
func (s *Store) CountSamples(ctx context.Context, q balance.SampleQuery) (int64, error) {
	flux, err := s.sampleFilter(q)
	if err != nil {
		return 0, err
	}
	flux += `
  |> filter(fn: (r) => r._field == "ax")
  |> group()
  |> count()`
	var n int64
	err = s.run(ctx, flux, func(rec *query.FluxRecord) error {
		switch v := rec.Value().(type) {
		case int64:
			n += v
		case uint64:
			n += int64(v)
		default:
			return fmt.Errorf("influx: count returned %T", v)
		}
		return nil
	})
	return n, err
}

// LatestSample implements balance.SampleReader; it looks back 30 days.
func (s *Store) LatestSample(ctx context.Context, deviceID, patientID string) (balance.Sample, error) {
	sel := "r.device == " + fluxString(deviceID)
	if patientID != "" {
		sel += " and r.patient == " + fluxString(patientID)
	}
	flux := fmt.Sprintf(`from(bucket: %s)
  |> range(start: -30d, stop: 1d)
  |> filter(fn: (r) => r._measurement == "imu" and %s)
  |> last()
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"], desc: true)
  |> limit(n: 1)`, fluxString(s.cfg.RawBucket), sel)
	var out balance.Sample
	found := false
	err := s.run(ctx, flux, func(rec *query.FluxRecord) error {
		smp, err := sampleOf(rec)
		if err != nil {
			return err
		}
		out, found = smp, true
		return nil
	})
	if err != nil {
		return out, err
	}
	if !found {
		return out, balance.Errorf(balance.ENOTFOUND, "no samples of device %q in the last 30 days", deviceID)
	}
	return out, nil
}

// reserved columns of a pivoted Flux record that are neither tags nor fields.
var reserved = map[string]bool{"result": true, "table": true, "_start": true, "_stop": true, "_time": true, "_measurement": true, "patient": true}

// ReadMeasurements implements balance.MeasurementStore: string columns of the
// pivoted record are tags, float columns fields.
func (s *Store) ReadMeasurements(ctx context.Context, q balance.MeasurementQuery) ([]balance.Measurement, error) {
	to := q.To
	if to.IsZero() {
		to = time.Now().Add(24 * time.Hour)
	}
	flux := fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == %s and r.patient == %s and r._time < %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`, fluxString(s.cfg.DerivedBucket), fluxTime(q.From), fluxTime(to), fluxString(q.Name), fluxString(q.PatientID), fluxTime(to))
	var out []balance.Measurement
	err := s.run(ctx, flux, func(rec *query.FluxRecord) error {
		m := balance.Measurement{Name: q.Name, PatientID: q.PatientID, Time: rec.Time().UTC(), Fields: map[string]float64{}}
		for k, v := range rec.Values() {
			if reserved[k] || v == nil {
				continue
			}
			switch x := v.(type) {
			case string:
				if m.Tags == nil {
					m.Tags = map[string]string{}
				}
				m.Tags[k] = x
			case float64:
				m.Fields[k] = x
			case int64:
				m.Fields[k] = float64(x)
			}
		}
		out = append(out, m)
		return nil
	})
	// Within one timestamp order by the canonical tag set, like the embedded store.
	sortMeasurements(out)
	return out, err
}

func sortMeasurements(ms []balance.Measurement) {
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].Time.Equal(ms[j].Time) {
			return ms[i].Time.Before(ms[j].Time)
		}
		return ms[i].TagsKey() < ms[j].TagsKey()
	})
}
