-- Balance-exercise plans and the history of their changes (with reasons);
-- suggestions are changes with status 'pending'.
CREATE TABLE plans (
	patient_id        TEXT PRIMARY KEY,
	level_id          TEXT NOT NULL,
	sessions_per_week INTEGER NOT NULL,
	mode              TEXT NOT NULL,
	exercises         TEXT NOT NULL DEFAULT '[]',
	catalog_version   INTEGER NOT NULL DEFAULT 0,
	assigned_at       INTEGER NOT NULL,
	level_since       INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	updated_by        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE plan_changes (
	id          TEXT PRIMARY KEY,
	patient_id  TEXT NOT NULL,
	time        INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	from_level  TEXT NOT NULL DEFAULT '',
	to_level    TEXT NOT NULL,
	dimension   TEXT NOT NULL DEFAULT '',
	reasons     TEXT NOT NULL DEFAULT '[]',
	session_ids TEXT NOT NULL DEFAULT '[]',
	status      TEXT NOT NULL,
	made_by     TEXT NOT NULL DEFAULT '',
	decided_by  TEXT NOT NULL DEFAULT '',
	decided_at  INTEGER NOT NULL DEFAULT 0,
	note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX plan_changes_patient ON plan_changes(patient_id, time);
