-- The alert inbox: who follows an alert up, clinicians' notes on its
-- timeline (and the history of its assignees), and disabled users.
ALTER TABLE alerts ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN assigned_by TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN assigned_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX alerts_created ON alerts(created_at);

-- kind 'note': text is the note; kind 'assigned': text is the new
-- assignee's username ('' = unassigned).
CREATE TABLE alert_notes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	alert_id   TEXT NOT NULL REFERENCES alerts(id),
	kind       TEXT NOT NULL CHECK (kind IN ('note', 'assigned')),
	author     TEXT NOT NULL,
	text       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX alert_notes_alert ON alert_notes(alert_id, created_at);

-- A disabled user cannot log in; their sessions and tokens stop working.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
