-- Alerts resolve (the patient got up, the device came back): when and why.
ALTER TABLE alerts ADD COLUMN resolved_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN resolved_reason TEXT NOT NULL DEFAULT '';
