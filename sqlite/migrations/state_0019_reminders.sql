-- Exercise reminders (issue 13): a patient chooses in the app when to be
-- reminded (a time of day in their clinic's time zone, some days of the
-- week) and at which e-mail address. days is a bit set of weekdays
-- (bit 0 = Sunday … bit 6 = Saturday; 127 = every day). Times are Unix
-- nanoseconds.
CREATE TABLE reminder_settings (
	patient_id  TEXT PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
	email       TEXT NOT NULL,
	time_of_day TEXT NOT NULL,
	days        INTEGER NOT NULL DEFAULT 127 CHECK (days BETWEEN 0 AND 127),
	enabled     INTEGER NOT NULL DEFAULT 1,
	updated_at  INTEGER NOT NULL
);

-- One row per reminder handed to the outbox: the primary key makes each
-- day's reminder go once, whichever instance (or restart) gets there
-- first. local_date is YYYY-MM-DD in the patient's clinic time zone.
CREATE TABLE reminders_sent (
	patient_id  TEXT NOT NULL,
	local_date  TEXT NOT NULL,
	delivery_id TEXT NOT NULL,
	sent_at     INTEGER NOT NULL,
	PRIMARY KEY (patient_id, local_date)
);

-- A delivery that is not about alerts (a reminder) carries its own
-- message: JSON {"subject": …, "text": …}; '' for alert notifications.
ALTER TABLE alert_deliveries ADD COLUMN message TEXT NOT NULL DEFAULT '';
