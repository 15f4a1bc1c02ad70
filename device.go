package balance

import (
	"context"
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
	Phone     string    `json:"phone,omitempty" yaml:"phone"`
	Address   string    `json:"address,omitempty" yaml:"address"`
	Contact   string    `json:"contact,omitempty" yaml:"contact"`
	CreatedAt time.Time `json:"created_at" yaml:"-"`
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
