package sqlstate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/balance-pt/balance"
)

// Ping reports whether the database answers (readiness checks).
func (s *Store) Ping(ctx context.Context) error { return s.db.sql.PingContext(ctx) }

func notFound(what, id string) error {
	return balance.Errorf(balance.ENOTFOUND, "%s %q not found", what, id)
}

// Device implements balance.Registry.
func (s *Store) Device(ctx context.Context, id string) (balance.Device, error) {
	var d balance.Device
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, COALESCE(patient_id, ''), self_registered, created_at FROM devices WHERE id = ?`, id).
		Scan(&d.ID, &d.PatientID, &d.SelfRegistered, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound("device", id)
	}
	if err != nil {
		return d, s.errorf("device %s: %w", id, err)
	}
	d.CreatedAt = time.Unix(0, created).UTC()
	return d, nil
}

// Devices implements balance.Registry.
func (s *Store) Devices(ctx context.Context) ([]balance.Device, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(patient_id, ''), self_registered, created_at FROM devices ORDER BY id`)
	if err != nil {
		return nil, s.errorf("devices: %w", err)
	}
	defer rows.Close()
	var out []balance.Device
	for rows.Next() {
		var d balance.Device
		var created int64
		if err := rows.Scan(&d.ID, &d.PatientID, &d.SelfRegistered, &created); err != nil {
			return nil, err
		}
		d.CreatedAt = time.Unix(0, created).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// RegisterDevice implements balance.Registry.
func (s *Store) RegisterDevice(ctx context.Context, d balance.Device) error {
	if err := balance.ValidateDeviceID(d.ID); err != nil {
		return err
	}
	if d.PatientID != "" {
		if _, err := s.Patient(ctx, d.PatientID); err != nil {
			return err
		}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO devices (id, patient_id, self_registered, created_at) VALUES (?, NULLIF(?, ''), ?, ?) ON CONFLICT(id) DO NOTHING`,
		d.ID, d.PatientID, d.SelfRegistered, s.Now().UnixNano())
	if err != nil {
		return s.errorf("register device %s: %w", d.ID, err)
	}
	return nil
}

// BindDevice implements balance.Registry.
func (s *Store) BindDevice(ctx context.Context, deviceID, patientID string) error {
	if patientID != "" {
		if _, err := s.Patient(ctx, patientID); err != nil {
			return err
		}
	}
	res, err := s.db.ExecContext(ctx, `UPDATE devices SET patient_id = NULLIF(?, '') WHERE id = ?`, patientID, deviceID)
	if err != nil {
		return s.errorf("bind device %s: %w", deviceID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("device", deviceID)
	}
	return nil
}

// Patient implements balance.Registry.
func (s *Store) Patient(ctx context.Context, id string) (balance.Patient, error) {
	var p balance.Patient
	var created int64
	var dob string
	err := s.db.QueryRowContext(ctx, `SELECT id, name, height_m, sensor_height_m, neuropathy, phone, address, contact, date_of_birth, created_at FROM patients WHERE id = ?`, id).
		Scan(&p.ID, &p.Name, &p.HeightM, &p.SensorHeightM, &p.Neuropathy, &p.Phone, &p.Address, &p.Contact, &dob, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("patient", id)
	}
	if err != nil {
		return p, s.errorf("patient %s: %w", id, err)
	}
	if p.DateOfBirth, err = balance.ParseDate(dob); err != nil {
		return p, s.errorf("patient %s: stored date of birth: %w", id, err)
	}
	p.CreatedAt = time.Unix(0, created).UTC()
	return p, nil
}

// Patients implements balance.Registry.
func (s *Store) Patients(ctx context.Context) ([]balance.Patient, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, height_m, sensor_height_m, neuropathy, phone, address, contact, date_of_birth, created_at FROM patients ORDER BY id`)
	if err != nil {
		return nil, s.errorf("patients: %w", err)
	}
	defer rows.Close()
	var out []balance.Patient
	for rows.Next() {
		var p balance.Patient
		var created int64
		var dob string
		if err := rows.Scan(&p.ID, &p.Name, &p.HeightM, &p.SensorHeightM, &p.Neuropathy, &p.Phone, &p.Address, &p.Contact, &dob, &created); err != nil {
			return nil, err
		}
		if p.DateOfBirth, err = balance.ParseDate(dob); err != nil {
			return nil, s.errorf("patient %s: stored date of birth: %w", p.ID, err)
		}
		p.CreatedAt = time.Unix(0, created).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// CreatePatient implements balance.Registry.
func (s *Store) CreatePatient(ctx context.Context, p balance.Patient) error {
	if err := balance.ValidateDeviceID(p.ID); err != nil {
		return balance.Errorf(balance.EINVALID, "patient id %q must have 1 to 64 letters, digits, '_', '-' or '.'", p.ID)
	}
	if p.HeightM < 0 || p.HeightM > 2.6 || p.SensorHeightM < 0 || p.SensorHeightM > 1.6 {
		return balance.Errorf(balance.EINVALID, "patient %s: height %.2f m or sensor height %.2f m out of range", p.ID, p.HeightM, p.SensorHeightM)
	}
	if len(p.Name) > 200 || len(p.Phone) > 50 || len(p.Address) > 500 || len(p.Contact) > 200 {
		return balance.Errorf(balance.EINVALID, "patient %s: name, phone, address or contact too long", p.ID)
	}
	if err := balance.CheckBirthDate(p.DateOfBirth, s.Now()); err != nil {
		return fmt.Errorf("patient %s: %w", p.ID, err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO patients (id, name, height_m, sensor_height_m, neuropathy, phone, address, contact, date_of_birth, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name, height_m = excluded.height_m, sensor_height_m = excluded.sensor_height_m, neuropathy = excluded.neuropathy,
			phone = excluded.phone, address = excluded.address, contact = excluded.contact, date_of_birth = excluded.date_of_birth`,
		p.ID, p.Name, p.HeightM, p.SensorHeightM, p.Neuropathy, p.Phone, p.Address, p.Contact, p.DateOfBirth.String(), s.Now().UnixNano())
	if err != nil {
		return s.errorf("create patient %s: %w", p.ID, err)
	}
	return nil
}

// SaveStatus implements balance.Registry. A status that does not report the
// battery (0, as the wire format decodes an absent battery_pct), the firmware
// or the device time keeps the last known value: the last will says only
// "offline".
func (s *Store) SaveStatus(ctx context.Context, st balance.DeviceStatus) error {
	var devTime int64
	if !st.DeviceTime.IsZero() {
		devTime = st.DeviceTime.UnixNano()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO device_status (device_id, online, battery_pct, firmware, device_time, received_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(device_id) DO UPDATE SET online = excluded.online,
			battery_pct = CASE WHEN excluded.battery_pct > 0 THEN excluded.battery_pct ELSE device_status.battery_pct END,
			firmware = CASE WHEN excluded.firmware != '' THEN excluded.firmware ELSE device_status.firmware END,
			device_time = CASE WHEN excluded.device_time != 0 THEN excluded.device_time ELSE device_status.device_time END,
			received_at = excluded.received_at`,
		st.DeviceID, st.Online, st.BatteryPct, st.Firmware, devTime, st.ReceivedAt.UnixNano())
	if err != nil {
		return s.errorf("save status of %s: %w", st.DeviceID, err)
	}
	return nil
}

// Statuses implements balance.Registry.
func (s *Store) Statuses(ctx context.Context) ([]balance.DeviceStatus, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device_id, online, battery_pct, firmware, device_time, received_at FROM device_status ORDER BY device_id`)
	if err != nil {
		return nil, s.errorf("statuses: %w", err)
	}
	defer rows.Close()
	var out []balance.DeviceStatus
	for rows.Next() {
		var st balance.DeviceStatus
		var devTime, recv int64
		if err := rows.Scan(&st.DeviceID, &st.Online, &st.BatteryPct, &st.Firmware, &devTime, &recv); err != nil {
			return nil, err
		}
		if devTime != 0 {
			st.DeviceTime = time.Unix(0, devTime).UTC()
		}
		st.ReceivedAt = time.Unix(0, recv).UTC()
		out = append(out, st)
	}
	return out, rows.Err()
}

// SaveEvent implements balance.Registry. A repeated event (same device, time,
// action and kind) is stored once.
func (s *Store) SaveEvent(ctx context.Context, e balance.DeviceEvent) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO device_events (device_id, patient_id, action, kind, exercise_id, session_id, time) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		e.DeviceID, e.PatientID, e.Action, e.Kind, e.ExerciseID, e.SessionID, e.Time.UnixNano())
	if err != nil {
		return s.errorf("save event of %s: %w", e.DeviceID, err)
	}
	return nil
}

// Events implements balance.Registry.
func (s *Store) Events(ctx context.Context, deviceID string, since time.Time) ([]balance.DeviceEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device_id, patient_id, action, kind, exercise_id, session_id, time FROM device_events
		WHERE (? = '' OR device_id = ?) AND time >= ? ORDER BY time, id`, deviceID, deviceID, since.UnixNano())
	if err != nil {
		return nil, s.errorf("events: %w", err)
	}
	defer rows.Close()
	var out []balance.DeviceEvent
	for rows.Next() {
		var e balance.DeviceEvent
		var t int64
		if err := rows.Scan(&e.DeviceID, &e.PatientID, &e.Action, &e.Kind, &e.ExerciseID, &e.SessionID, &t); err != nil {
			return nil, err
		}
		e.Time = time.Unix(0, t).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// evictableReason is the SQL condition for rows a budget may evict: all but
// the batches the store refused.
const evictableReason = "reason <> 'store_refused'"

// Quarantine stores a payload aside, keeping at most QuarantineLimit per
// device, and evicts the oldest payloads of unknown and unbound devices
// beyond QuarantineMaxBytes and QuarantineMaxDevices. It returns how many
// it evicted.
func (s *Store) Quarantine(ctx context.Context, q balance.QuarantinedPayload) (int, error) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.errorf("quarantine: %w", err)
	}
	defer tx.Rollback()
	// Instances sharing the database share the budgets: one Quarantine at
	// a time across them (Dialect.Lock), and the byte count is read afresh
	// instead of kept in memory. A single-writer engine keeps it.
	if err := tx.lock(ctx, "quarantine", 2); err != nil {
		return 0, s.errorf("quarantine lock: %w", err)
	}
	bytes := s.qBytes
	if bytes < 0 || s.d.Lock != "" {
		if err := tx.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(`+s.d.ByteLength+`(payload)), 0) AS BIGINT) FROM quarantine WHERE `+evictableReason).Scan(&bytes); err != nil {
			return 0, s.errorf("quarantine size: %w", err)
		}
	}
	var newDevice bool
	if q.Reason != "store_refused" {
		err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM quarantine WHERE device_id = ? AND `+evictableReason+`)`, q.DeviceID).Scan(&newDevice)
		if err != nil {
			return 0, s.errorf("quarantine: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine (device_id, topic, reason, payload, received_at) VALUES (?, ?, ?, ?, ?)`,
		q.DeviceID, q.Topic, q.Reason, q.Payload, q.ReceivedAt.UnixNano()); err != nil {
		return 0, s.errorf("quarantine: %w", err)
	}
	if q.Reason != "store_refused" {
		bytes += int64(len(q.Payload))
	}
	evicted := 0
	// evict deletes the rows the query selects, keeping the byte count.
	evict := func(query string, args ...any) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM quarantine WHERE id IN (`+query+`) RETURNING `+s.d.ByteLength+`(payload), reason`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n int64
			var reason string
			if err := rows.Scan(&n, &reason); err != nil {
				return err
			}
			if reason != "store_refused" {
				bytes -= n
			}
			evicted++
		}
		return rows.Err()
	}
	if s.QuarantineLimit > 0 {
		// Per device, within its class: payloads of an unknown or unbound
		// device, or batches the store refused.
		class := evictableReason
		if q.Reason == "store_refused" {
			class = "reason = 'store_refused'"
		}
		err := evict(`SELECT id FROM quarantine WHERE device_id = ? AND `+class+` AND id <= (SELECT id FROM quarantine WHERE device_id = ? AND `+class+` ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			q.DeviceID, q.DeviceID, s.QuarantineLimit)
		if err != nil {
			return 0, s.errorf("quarantine trim: %w", err)
		}
	}
	if newDevice && s.QuarantineMaxDevices > 0 {
		var devices int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT device_id) FROM quarantine WHERE `+evictableReason).Scan(&devices); err != nil {
			return 0, s.errorf("quarantine devices: %w", err)
		}
		if devices > s.QuarantineMaxDevices {
			// The device heard from least recently goes.
			err := evict(`SELECT id FROM quarantine WHERE ` + evictableReason + ` AND device_id = (SELECT device_id FROM quarantine WHERE ` + evictableReason +
				` GROUP BY device_id ORDER BY MAX(id) LIMIT 1)`)
			if err != nil {
				return 0, s.errorf("quarantine devices: %w", err)
			}
		}
	}
	for s.QuarantineMaxBytes > 0 && bytes > s.QuarantineMaxBytes {
		before := evicted
		if err := evict(`SELECT id FROM quarantine WHERE ` + evictableReason + ` ORDER BY id LIMIT 16`); err != nil {
			return 0, s.errorf("quarantine budget: %w", err)
		}
		if evicted == before {
			break
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, s.errorf("quarantine: %w", err)
	}
	s.qBytes = bytes
	return evicted, nil
}

// Quarantined returns the payloads kept aside for a device ("" = all), oldest first.
func (s *Store) Quarantined(ctx context.Context, deviceID string, limit int) ([]balance.QuarantinedPayload, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, device_id, topic, reason, payload, received_at FROM quarantine WHERE (? = '' OR device_id = ?) ORDER BY id LIMIT ?`, deviceID, deviceID, limit)
	if err != nil {
		return nil, s.errorf("quarantined: %w", err)
	}
	defer rows.Close()
	var out []balance.QuarantinedPayload
	for rows.Next() {
		var q balance.QuarantinedPayload
		var t int64
		if err := rows.Scan(&q.ID, &q.DeviceID, &q.Topic, &q.Reason, &q.Payload, &t); err != nil {
			return nil, err
		}
		q.ReceivedAt = time.Unix(0, t).UTC()
		out = append(out, q)
	}
	return out, rows.Err()
}

// QuarantineCounts returns how many payloads are quarantined per device.
func (s *Store) QuarantineCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device_id, COUNT(*) FROM quarantine GROUP BY device_id`)
	if err != nil {
		return nil, s.errorf("quarantine counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
