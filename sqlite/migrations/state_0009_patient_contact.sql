-- How to reach a patient, for the people an alert goes to.
ALTER TABLE patients ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN contact TEXT NOT NULL DEFAULT '';
