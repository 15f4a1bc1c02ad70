-- A patient's date of birth, YYYY-MM-DD ('' = unknown): it identifies the
-- patient on printed reports (the monthly remote-monitoring report).
ALTER TABLE patients ADD COLUMN date_of_birth TEXT NOT NULL DEFAULT '';
