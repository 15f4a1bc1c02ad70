-- Embedded time-series store: raw IMU samples and derived measurements.
-- The primary keys make writes idempotent: a resent sample replaces itself.
CREATE TABLE samples (
	device_id  TEXT NOT NULL,
	t_us       INTEGER NOT NULL,
	patient_id TEXT NOT NULL,
	ax REAL NOT NULL, ay REAL NOT NULL, az REAL NOT NULL,
	gx REAL NOT NULL, gy REAL NOT NULL, gz REAL NOT NULL,
	PRIMARY KEY (device_id, t_us)
) WITHOUT ROWID;
CREATE INDEX samples_patient ON samples(patient_id, t_us);

CREATE TABLE measurements (
	name       TEXT NOT NULL,
	patient_id TEXT NOT NULL,
	tags_key   TEXT NOT NULL,
	t_ns       INTEGER NOT NULL,
	tags       TEXT NOT NULL,
	fields     TEXT NOT NULL,
	PRIMARY KEY (name, patient_id, tags_key, t_ns)
) WITHOUT ROWID;
