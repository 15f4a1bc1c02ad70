-- The wearer's upright axis per device, learned by monitoring from walking,
-- so that a restart keeps it (the fall detector does not alarm on impacts
-- while lying when it knows it). up_* all 0: forgotten.
CREATE TABLE IF NOT EXISTS device_upright_axes (
    device_id  TEXT PRIMARY KEY,
    up_x       REAL NOT NULL,
    up_y       REAL NOT NULL,
    up_z       REAL NOT NULL,
    learned_ns INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
