-- Alerts and their delivery outbox. An alert is stored with its deliveries
-- in one transaction (Raise returns only once both are durable); the
-- dispatcher claims due deliveries, and every attempt is a row of the log.
CREATE TABLE alerts (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	severity    TEXT NOT NULL,
	patient_id  TEXT NOT NULL,
	device_id   TEXT NOT NULL DEFAULT '',
	summary     TEXT NOT NULL DEFAULT '',
	details     TEXT NOT NULL DEFAULT '{}', -- JSON object
	evidence    TEXT NOT NULL DEFAULT '[]', -- JSON array
	group_key   TEXT NOT NULL DEFAULT '',
	occurred_at INTEGER NOT NULL,           -- Unix ns
	created_at  INTEGER NOT NULL,
	status      TEXT NOT NULL,
	acked_by    TEXT NOT NULL DEFAULT '',
	acked_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_patient ON alerts(patient_id, created_at);
CREATE INDEX alerts_status ON alerts(status, created_at);

-- One notification to one recipient; id is the webhook-id, stable across
-- retries and restarts.
CREATE TABLE alert_deliveries (
	id           TEXT PRIMARY KEY,
	recipient    TEXT NOT NULL,
	channel      TEXT NOT NULL,
	target       TEXT NOT NULL,
	reason       TEXT NOT NULL,
	level        INTEGER NOT NULL DEFAULT 0,
	group_key    TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      INTEGER NOT NULL,
	deadline     INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	delivered_at INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	last_status  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_deliveries_due ON alert_deliveries(state, next_at);
CREATE INDEX alert_deliveries_group ON alert_deliveries(recipient, group_key, reason, next_at);

CREATE TABLE alert_delivery_alerts (
	delivery_id TEXT NOT NULL REFERENCES alert_deliveries(id),
	alert_id    TEXT NOT NULL REFERENCES alerts(id),
	PRIMARY KEY (delivery_id, alert_id)
) WITHOUT ROWID;
CREATE INDEX alert_delivery_alerts_alert ON alert_delivery_alerts(alert_id);

-- The delivery log: every attempt, including those a crash interrupted.
CREATE TABLE alert_delivery_attempts (
	delivery_id TEXT NOT NULL REFERENCES alert_deliveries(id),
	n           INTEGER NOT NULL,
	started_at  INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (delivery_id, n)
) WITHOUT ROWID;
