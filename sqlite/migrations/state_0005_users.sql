-- Dashboard users, their patients, log-in sessions and the review-time log.
CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	username      TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL CHECK (role IN ('admin', 'therapist')),
	created_at    INTEGER NOT NULL
);

-- A therapist sees only the patients assigned to them.
CREATE TABLE user_patients (
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	patient_id TEXT NOT NULL,
	PRIMARY KEY (user_id, patient_id)
);
CREATE INDEX user_patients_patient ON user_patients(patient_id);

-- Log-in sessions: only the SHA-256 of the cookie's token is kept.
CREATE TABLE user_sessions (
	token_hash TEXT PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX user_sessions_expiry ON user_sessions(expires_at);

-- Time a user spent on a patient's record (remote therapeutic monitoring).
CREATE TABLE review_log (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL,
	patient_id TEXT NOT NULL,
	start      INTEGER NOT NULL,
	seconds    REAL NOT NULL,
	activity   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX review_log_patient ON review_log(patient_id, start);
