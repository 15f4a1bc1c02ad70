// Package sqlstate is the one implementation of the state store's methods
// (patients, devices, users and tokens, plans, the alert outbox, notes,
// monitoring watermarks, cut-offs, app access, feedback, reminders) shared
// by the SQLite (package sqlite) and PostgreSQL (package postgres) engines.
//
// It runs on database/sql: package sqlite opens modernc.org/sqlite, package
// postgres wraps its pgxpool.Pool with github.com/jackc/pgx/v5/stdlib. The
// queries are written once with ? placeholders; a Dialect names what the
// engines spell differently (placeholder style, scalar GREATEST/LEAST vs
// MAX/MIN, the row order column, FOR UPDATE, advisory locks) and carries
// the hooks for the engine-specific transactions. Each engine keeps its
// own schema and migrations.
package sqlstate
