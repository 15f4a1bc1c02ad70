package balance

import (
	"context"
	"errors"
	"time"
)

// Patient is a person whose wearable data the system monitors.
type Patient struct {
	ID   string `json:"id" yaml:"id"`
	Name string `json:"name" yaml:"name"`
	// HeightM and SensorHeightM (height of the lower-back sensor above the
	// floor, for the inverted-pendulum step-length model) in metres; 0 = unknown.
	HeightM       float64 `json:"height_m,omitempty" yaml:"height_m"`
	SensorHeightM float64 `json:"sensor_height_m,omitempty" yaml:"sensor_height_m"`
	Neuropathy    bool    `json:"neuropathy" yaml:"neuropathy"`
	// Phone, Address and Contact (another person to call, with their
	// number) are how the people an alert goes to reach the patient.
	Phone   string `json:"phone,omitempty" yaml:"phone"`
	Address string `json:"address,omitempty" yaml:"address"`
	Contact string `json:"contact,omitempty" yaml:"contact"`
	// DateOfBirth identifies the patient on printed reports (the monthly
	// remote-monitoring report a clinic bills from); the zero Date is
	// unknown, and JSON leaves it out.
	DateOfBirth Date      `json:"date_of_birth,omitzero" yaml:"date_of_birth"`
	CreatedAt   time.Time `json:"created_at" yaml:"-"`
}

// Date is a calendar date with no time of day and no time zone (a date of
// birth). JSON, YAML and the state database write it as YYYY-MM-DD; the
// zero Date means unknown and is written as "".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateLayout is the layout of a Date (ISO 8601 calendar date, YYYY-MM-DD).
const DateLayout = "2006-01-02"

// ParseDate reads a YYYY-MM-DD date; "" gives the zero (unknown) Date. A
// date that does not exist (2023-02-29, 2024-13-01) is an EINVALID error.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, Errorf(EINVALID, "date %q is not a real date written YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf is the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d == Date{} }

// String is YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format(DateLayout)
}

// Time is the start of the date in UTC (the zero time for the zero Date).
func (d Date) Time() time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// MarshalText writes YYYY-MM-DD ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD ("" is the zero Date).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return errors.New(ErrorMessage(err))
	}
	*d = v
	return nil
}

// CheckBirthDate refuses (EINVALID) a date of birth that is not a real
// date (the fields of a Date built in code may be out of range), lies
// after the UTC date of now, or before 1900; the zero Date (unknown) passes.
func CheckBirthDate(d Date, now time.Time) error {
	if d.IsZero() {
		return nil
	}
	if d.Month < time.January || d.Month > time.December || d.Day < 1 || d.Day > 31 || DateOf(d.Time()) != d {
		return Errorf(EINVALID, "date of birth %04d-%02d-%02d is not a real date", d.Year, int(d.Month), d.Day)
	}
	if d.Year < 1900 {
		return Errorf(EINVALID, "date of birth %s is before 1900", d)
	}
	if today := DateOf(now.UTC()); d.Time().After(today.Time()) {
		return Errorf(EINVALID, "date of birth %s is in the future (today is %s)", d, today)
	}
	return nil
}

// Device is a wearable IMU, optionally bound to a patient.
type Device struct {
	ID        string    `json:"id"`
	PatientID string    `json:"patient_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// SelfRegistered marks devices that announced themselves (embedded demo only).
	SelfRegistered bool `json:"self_registered,omitempty"`
}

// DeviceStatus is the last status a device reported.
type DeviceStatus struct {
	DeviceID   string    `json:"device_id"`
	Online     bool      `json:"online"`
	BatteryPct float64   `json:"battery_pct"`
	Firmware   string    `json:"firmware,omitempty"`
	DeviceTime time.Time `json:"device_time,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// Event kinds a device or the patient's app marks with start and stop.
const (
	SessionSway       = "sway_test"
	SessionFourStage  = "four_stage_balance"
	SessionTUG        = "tug"
	SessionSitToStand = "sit_to_stand_5x"
	SessionWalk       = "walk"
	SessionExercise   = "exercise"
)

// DeviceEvent is the start or stop of a session, sent by the device.
type DeviceEvent struct {
	DeviceID   string    `json:"device_id"`
	PatientID  string    `json:"patient_id,omitempty"`
	Action     string    `json:"action"` // "start" or "stop"
	Kind       string    `json:"kind"`   // one of the Session* constants
	ExerciseID string    `json:"exercise_id,omitempty"`
	SessionID  string    `json:"session_id,omitempty"`
	Time       time.Time `json:"time"`
}

// Registry keeps patients, devices and their bindings.
type Registry interface {
	// Device returns the device, or an ENOTFOUND error.
	Device(ctx context.Context, id string) (Device, error)
	Devices(ctx context.Context) ([]Device, error)
	// RegisterDevice creates the device if it does not exist (idempotent).
	RegisterDevice(ctx context.Context, d Device) error
	// BindDevice binds a device to a patient; an empty patientID unbinds.
	BindDevice(ctx context.Context, deviceID, patientID string) error
	Patient(ctx context.Context, id string) (Patient, error)
	Patients(ctx context.Context) ([]Patient, error)
	// CreatePatient creates or updates a patient.
	CreatePatient(ctx context.Context, p Patient) error
	// SaveStatus stores the latest status of a device.
	SaveStatus(ctx context.Context, s DeviceStatus) error
	Statuses(ctx context.Context) ([]DeviceStatus, error)
	// SaveEvent records a device event.
	SaveEvent(ctx context.Context, e DeviceEvent) error
	Events(ctx context.Context, deviceID string, since time.Time) ([]DeviceEvent, error)
}

// QuarantinedPayload is a message kept aside because its device is unknown or
// not bound to a patient: never mixed into a patient's data, kept to be
// inspected or replayed once the device is bound.
type QuarantinedPayload struct {
	ID         int64     `json:"id"`
	DeviceID   string    `json:"device_id"`
	Topic      string    `json:"topic"`
	Reason     string    `json:"reason"`
	Payload    []byte    `json:"payload"`
	ReceivedAt time.Time `json:"received_at"`
}

// Quarantine keeps payloads from unknown or unbound devices, and batches
// the store refused.
type Quarantine interface {
	// Quarantine keeps q. To stay within its budget it may evict older
	// payloads (those of unknown or unbound devices first: a flood of
	// strangers never evicts batches the store refused, which are
	// patients' data); it returns how many it evicted.
	Quarantine(ctx context.Context, q QuarantinedPayload) (evicted int, err error)
	Quarantined(ctx context.Context, deviceID string, limit int) ([]QuarantinedPayload, error)
	QuarantineCounts(ctx context.Context) (map[string]int64, error)
}

// DeviceCredentials issues and checks devices' MQTT secrets (a device logs
// in with its id as user name and its secret as password). Only hashes are
// kept: a secret is shown once, when it is issued.
type DeviceCredentials interface {
	// IssueDeviceSecret gives a registered device a new random secret,
	// replacing (and revoking) the old one, and returns it.
	IssueDeviceSecret(ctx context.Context, deviceID string) (string, error)
	// CheckDeviceSecret reports whether secret is the device's current one.
	CheckDeviceSecret(ctx context.Context, deviceID, secret string) (bool, error)
	// MosquittoHashes returns, by device id, each secret's hash in
	// Mosquitto's password-file format.
	MosquittoHashes(ctx context.Context) (map[string]string, error)
}

// UprightAxis is a wearer's upright axis in a device's sensor coordinates
// (unit vector, the direction of gravity's reaction while upright), learned
// by monitoring from the wearer's walking. LearnedNS is the device time
// (Unix ns) of the walking it came from, or of when it was forgotten; a
// zero Up means forgotten (the device was taken off or silent for long).
type UprightAxis struct {
	Up        [3]float64
	LearnedNS int64
}
