-- The wearer's upright axis per device, learned by monitoring from walking,
-- so that a restart keeps it (the fall detector does not alarm on impacts
-- while lying when it knows it). up_* all 0: forgotten. Mirrors SQLite's
-- state_0020.
CREATE TABLE IF NOT EXISTS device_upright_axes (
    device_id  TEXT PRIMARY KEY,
    up_x       DOUBLE PRECISION NOT NULL,
    up_y       DOUBLE PRECISION NOT NULL,
    up_z       DOUBLE PRECISION NOT NULL,
    learned_ns BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
