-- Patient access to the app without a password (issue 13). A therapist
-- makes a one-time invitation (a link and a short code); redeeming it logs
-- one phone in as the patient with a long-lived, revocable session. Only
-- SHA-256 hashes of the link's token, the code and the session's cookie
-- token are kept. Times are Unix nanoseconds; 0 = not yet.
CREATE TABLE app_invites (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	patient_id TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	code_hash  TEXT NOT NULL UNIQUE,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX app_invites_patient ON app_invites(patient_id);

CREATE TABLE app_sessions (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	token_hash   TEXT NOT NULL UNIQUE,
	patient_id   TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	invite_id    INTEGER NOT NULL DEFAULT 0,
	label        TEXT NOT NULL,
	csrf         TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL DEFAULT 0,
	expires_at   INTEGER NOT NULL,
	revoked_at   INTEGER NOT NULL DEFAULT 0,
	revoked_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX app_sessions_patient ON app_sessions(patient_id);
