-- "How did it go": the patient's answer about one exercise session
-- (balance.SessionFeedback). One answer per session: a new answer within
-- 24 h of the first replaces it, later ones are refused (the store checks
-- against first_ns). Times are Unix ns; pain_score NULL = not given.
CREATE TABLE session_feedback (
	session_id TEXT PRIMARY KEY,
	patient_id TEXT NOT NULL,
	time_ns    INTEGER NOT NULL,
	first_ns   INTEGER NOT NULL,
	difficulty INTEGER NOT NULL CHECK (difficulty BETWEEN 0 AND 10),
	pain       INTEGER NOT NULL DEFAULT 0,
	pain_score INTEGER CHECK (pain_score IS NULL OR pain_score BETWEEN 0 AND 10),
	dizziness  INTEGER NOT NULL DEFAULT 0,
	confidence INTEGER NOT NULL CHECK (confidence BETWEEN 1 AND 4),
	note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_feedback_patient ON session_feedback(patient_id, time_ns);
