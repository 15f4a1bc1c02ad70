-- Silences: no notifications for a patient's (or one device's) alerts for a
-- while (device charging, hospital stay). Alerts are still stored and shown.
CREATE TABLE alert_silences (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	patient_id TEXT NOT NULL,
	device_id  TEXT NOT NULL DEFAULT '',
	kinds      TEXT NOT NULL DEFAULT '', -- comma-separated; '' = every kind but falls
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE INDEX alert_silences_patient ON alert_silences(patient_id, ends_at);
