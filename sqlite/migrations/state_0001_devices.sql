-- Patients, devices and their binding; device status and events; quarantine.
CREATE TABLE patients (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL DEFAULT '',
	height_m        REAL NOT NULL DEFAULT 0,
	sensor_height_m REAL NOT NULL DEFAULT 0,
	neuropathy      INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL
);

CREATE TABLE devices (
	id              TEXT PRIMARY KEY,
	patient_id      TEXT REFERENCES patients(id) ON DELETE SET NULL,
	self_registered INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL
);
CREATE INDEX devices_patient ON devices(patient_id);

CREATE TABLE device_status (
	device_id   TEXT PRIMARY KEY,
	online      INTEGER NOT NULL,
	battery_pct REAL NOT NULL DEFAULT -1,
	firmware    TEXT NOT NULL DEFAULT '',
	device_time INTEGER NOT NULL DEFAULT 0,
	received_at INTEGER NOT NULL
);

CREATE TABLE device_events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	device_id   TEXT NOT NULL,
	patient_id  TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	kind        TEXT NOT NULL,
	exercise_id TEXT NOT NULL DEFAULT '',
	session_id  TEXT NOT NULL DEFAULT '',
	time        INTEGER NOT NULL,
	UNIQUE (device_id, time, action, kind)
);
CREATE INDEX device_events_time ON device_events(device_id, time);

-- Payloads from devices that are unknown or not bound to a patient, kept
-- aside (never mixed into a patient's data) so they can be inspected or
-- replayed once the device is bound.
CREATE TABLE quarantine (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	device_id   TEXT NOT NULL,
	topic       TEXT NOT NULL,
	reason      TEXT NOT NULL,
	payload     BLOB NOT NULL,
	received_at INTEGER NOT NULL
);
CREATE INDEX quarantine_device ON quarantine(device_id, id);
