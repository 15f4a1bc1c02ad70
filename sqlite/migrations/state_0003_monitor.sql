-- Monitoring: how far each device's stream has been analysed (so that a
-- restart resumes without double counting), the measured exercise and
-- clinical-test sessions, and the history of fall-risk assessments.
CREATE TABLE monitor_watermarks (
	device_id  TEXT PRIMARY KEY,
	t_ns       INTEGER NOT NULL, -- device time of the last analysed sample
	updated_at INTEGER NOT NULL
);

CREATE TABLE exercise_sessions (
	id          TEXT PRIMARY KEY,
	patient_id  TEXT NOT NULL,
	device_id   TEXT NOT NULL,
	kind        TEXT NOT NULL,
	exercise_id TEXT NOT NULL DEFAULT '',
	start_ns    INTEGER NOT NULL,
	end_ns      INTEGER NOT NULL,
	hold_s      REAL NOT NULL DEFAULT 0,
	losses      INTEGER NOT NULL DEFAULT 0,
	sway        TEXT NOT NULL DEFAULT '{}', -- JSON object of numbers
	result      TEXT NOT NULL DEFAULT '{}', -- JSON object of numbers
	quality     TEXT NOT NULL DEFAULT '[]'  -- JSON array of strings
);
CREATE INDEX exercise_sessions_patient ON exercise_sessions(patient_id, start_ns);

CREATE TABLE risk_assessments (
	patient_id TEXT NOT NULL,
	t_ns       INTEGER NOT NULL,
	level      TEXT NOT NULL,
	reasons    TEXT NOT NULL, -- JSON array of balance.RiskReason
	PRIMARY KEY (patient_id, t_ns)
) WITHOUT ROWID;
