-- A patient's answer to "Are you OK?" after a fall goes on the alert's
-- timeline as a note of kind 'patient_answer' (text: "I'm OK (...)" or
-- "I need help (...)"). SQLite cannot change a CHECK constraint in place,
-- so the table is rebuilt with its rows and ids.
CREATE TABLE alert_notes_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	alert_id   TEXT NOT NULL REFERENCES alerts(id),
	kind       TEXT NOT NULL CHECK (kind IN ('note', 'assigned', 'patient_answer')),
	author     TEXT NOT NULL,
	text       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
INSERT INTO alert_notes_new (id, alert_id, kind, author, text, created_at)
	SELECT id, alert_id, kind, author, text, created_at FROM alert_notes;
DROP TABLE alert_notes;
ALTER TABLE alert_notes_new RENAME TO alert_notes;
CREATE INDEX alert_notes_alert ON alert_notes(alert_id, created_at);
