package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// SampleStore is the embedded time-series store: raw samples and derived
// measurements in their own SQLite file. Times are kept to the microsecond,
// like the InfluxDB adapter, and writes are idempotent on (device, time) and
// on (measurement, patient, tags, time).
type SampleStore struct {
	db *sql.DB
}

var _ balance.SampleStore = (*SampleStore)(nil)

// OpenSamples opens (creating and migrating as needed) the sample store at path.
func OpenSamples(ctx context.Context, path string) (*SampleStore, error) {
	db, err := open(path)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, "samples"); err != nil {
		db.Close()
		return nil, err
	}
	return &SampleStore{db: db}, nil
}

// rowsPerInsert is how many samples one INSERT statement carries (9 values
// each, well under SQLite's 32766-parameter limit).
const rowsPerInsert = 200

var insertFull = "INSERT OR REPLACE INTO samples (device_id, t_us, patient_id, ax, ay, az, gx, gy, gz) VALUES " +
	strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?),", rowsPerInsert), ",")

// WriteBatches implements balance.SampleWriter in one transaction.
func (s *SampleStore) WriteBatches(ctx context.Context, batches []*balance.Batch) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &balance.WriteError{Retryable: true, Err: err}
	}
	defer tx.Rollback()
	full, err := tx.PrepareContext(ctx, insertFull)
	if err != nil {
		return &balance.WriteError{Retryable: true, Err: err}
	}
	defer full.Close()
	args := make([]any, 0, 9*rowsPerInsert)
	flush := func(stmt *sql.Stmt) error {
		if stmt == nil {
			n := len(args) / 9
			q := "INSERT OR REPLACE INTO samples (device_id, t_us, patient_id, ax, ay, az, gx, gy, gz) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?),", n), ",")
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		}
		_, err := stmt.ExecContext(ctx, args...)
		return err
	}
	for _, b := range batches {
		for _, smp := range b.Samples {
			args = append(args, b.DeviceID, balance.StorageMicros(smp.TimeNS), b.PatientID,
				smp.Acc[0], smp.Acc[1], smp.Acc[2], smp.Gyro[0], smp.Gyro[1], smp.Gyro[2])
			if len(args) == cap(args) {
				if err := flush(full); err != nil {
					return &balance.WriteError{Retryable: true, Err: err}
				}
				args = args[:0]
			}
		}
	}
	if len(args) > 0 {
		if err := flush(nil); err != nil {
			return &balance.WriteError{Retryable: true, Err: err}
		}
	}
	if err := tx.Commit(); err != nil {
		return &balance.WriteError{Retryable: true, Err: err}
	}
	return nil
}

// ceilMicros rounds a time up to the microsecond: with writes rounded to the
// nearest microsecond, [ceil(from), ceil(to)) in µs selects exactly the
// points InfluxDB's nanosecond comparison selects.
func ceilMicros(t time.Time) int64 {
	us := t.UnixMicro() // defined for every time, unlike UnixNano
	if t.Nanosecond()%1000 > 0 {
		us++
	}
	return us
}

func (s *SampleStore) where(q balance.SampleQuery) (string, []any, error) {
	from, to := ceilMicros(q.From), ceilMicros(q.To)
	if q.To.IsZero() {
		to = 1<<62 - 1
	}
	switch {
	case q.DeviceID != "" && q.PatientID != "":
		return "device_id = ? AND patient_id = ? AND t_us >= ? AND t_us < ?", []any{q.DeviceID, q.PatientID, from, to}, nil
	case q.DeviceID != "":
		return "device_id = ? AND t_us >= ? AND t_us < ?", []any{q.DeviceID, from, to}, nil
	case q.PatientID != "":
		return "patient_id = ? AND t_us >= ? AND t_us < ?", []any{q.PatientID, from, to}, nil
	}
	return "", nil, balance.Errorf(balance.EINVALID, "sample query needs a device or a patient")
}

// ReadSamples implements balance.SampleReader.
func (s *SampleStore) ReadSamples(ctx context.Context, q balance.SampleQuery) ([]balance.Sample, error) {
	w, args, err := s.where(q)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT t_us, ax, ay, az, gx, gy, gz FROM samples WHERE "+w+" ORDER BY t_us", args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read samples: %w", err)
	}
	defer rows.Close()
	var out []balance.Sample
	for rows.Next() {
		var smp balance.Sample
		var us int64
		if err := rows.Scan(&us, &smp.Acc[0], &smp.Acc[1], &smp.Acc[2], &smp.Gyro[0], &smp.Gyro[1], &smp.Gyro[2]); err != nil {
			return nil, err
		}
		smp.TimeNS = us * 1000
		out = append(out, smp)
	}
	return out, rows.Err()
}

// CountSamples implements balance.SampleReader.
func (s *SampleStore) CountSamples(ctx context.Context, q balance.SampleQuery) (int64, error) {
	w, args, err := s.where(q)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM samples WHERE "+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count samples: %w", err)
	}
	return n, nil
}

// TotalSamples returns how many samples the store holds.
func (s *SampleStore) TotalSamples(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM samples").Scan(&n)
	return n, err
}

// LatestSample implements balance.SampleReader.
func (s *SampleStore) LatestSample(ctx context.Context, deviceID, patientID string) (balance.Sample, error) {
	var smp balance.Sample
	var us int64
	err := s.db.QueryRowContext(ctx, "SELECT t_us, ax, ay, az, gx, gy, gz FROM samples WHERE device_id = ? AND (? = '' OR patient_id = ?) ORDER BY t_us DESC LIMIT 1", deviceID, patientID, patientID).
		Scan(&us, &smp.Acc[0], &smp.Acc[1], &smp.Acc[2], &smp.Gyro[0], &smp.Gyro[1], &smp.Gyro[2])
	if errors.Is(err, sql.ErrNoRows) {
		return smp, notFound("samples of device", deviceID)
	}
	if err != nil {
		return smp, fmt.Errorf("sqlite: latest sample: %w", err)
	}
	smp.TimeNS = us * 1000
	return smp, nil
}

// WriteMeasurements implements balance.MeasurementStore.
func (s *SampleStore) WriteMeasurements(ctx context.Context, ms []balance.Measurement) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &balance.WriteError{Retryable: true, Err: err}
	}
	defer tx.Rollback()
	for _, m := range ms {
		if m.Name == "" || m.PatientID == "" || len(m.Fields) == 0 {
			return &balance.WriteError{Err: balance.Errorf(balance.EINVALID, "measurement needs a name, a patient and fields")}
		}
		tags, _ := json.Marshal(m.Tags)
		fields, err := json.Marshal(m.Fields)
		if err != nil {
			return &balance.WriteError{Err: balance.Errorf(balance.EINVALID, "measurement %s: %v", m.Name, err)}
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO measurements (name, patient_id, tags_key, t_ns, tags, fields) VALUES (?, ?, ?, ?, ?, ?)`,
			m.Name, m.PatientID, m.TagsKey(), balance.StorageMicros(m.Time.UnixNano())*1000, string(tags), string(fields)); err != nil {
			return &balance.WriteError{Retryable: true, Err: err}
		}
	}
	if err := tx.Commit(); err != nil {
		return &balance.WriteError{Retryable: true, Err: err}
	}
	return nil
}

// ReadMeasurements implements balance.MeasurementStore, oldest first.
func (s *SampleStore) ReadMeasurements(ctx context.Context, q balance.MeasurementQuery) ([]balance.Measurement, error) {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		from = ceilMicros(q.From) * 1000
	}
	if !q.To.IsZero() {
		to = ceilMicros(q.To) * 1000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, patient_id, t_ns, tags, fields FROM measurements
		WHERE name = ? AND patient_id = ? AND t_ns >= ? AND t_ns < ? ORDER BY t_ns, tags_key`, q.Name, q.PatientID, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read measurements: %w", err)
	}
	defer rows.Close()
	var out []balance.Measurement
	for rows.Next() {
		var m balance.Measurement
		var t int64
		var tags, fields string
		if err := rows.Scan(&m.Name, &m.PatientID, &t, &tags, &fields); err != nil {
			return nil, err
		}
		m.Time = time.Unix(0, t).UTC()
		if err := json.Unmarshal([]byte(tags), &m.Tags); err != nil {
			return nil, fmt.Errorf("sqlite: measurement tags: %w", err)
		}
		if err := json.Unmarshal([]byte(fields), &m.Fields); err != nil {
			return nil, fmt.Errorf("sqlite: measurement fields: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Ping implements balance.SampleStore.
func (s *SampleStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close implements balance.SampleStore.
func (s *SampleStore) Close() error { return s.db.Close() }
