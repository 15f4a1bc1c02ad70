-- MQTT credentials of devices. Only hashes are kept: SHA-256 of the secret
-- (checked by the embedded broker) and Mosquitto's PBKDF2 form (exported to
-- its password file).
CREATE TABLE device_credentials (
	device_id      TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
	secret_sha256  TEXT NOT NULL,
	mosquitto_hash TEXT NOT NULL,
	created_at     INTEGER NOT NULL
);
