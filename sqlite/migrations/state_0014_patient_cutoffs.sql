-- A patient's own fall-risk cut-offs, set by a clinician instead of the
-- clinic's (balance.Cutoffs as JSON); no row: the clinic's apply.
CREATE TABLE patient_cutoffs (
    patient_id TEXT PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
    cutoffs_json TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);
