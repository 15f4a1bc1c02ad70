// Package postgres keeps the system's state (patients, devices and their
// credentials, users and API tokens, plans, the alert outbox with its
// silences, notes and follow-ups, monitoring watermarks, cut-offs, app
// access, feedback and reminders) in PostgreSQL through
// github.com/jackc/pgx/v5 (pgxpool). It offers the methods of
// *sqlite.StateDB with the same meaning, and both pass the contract suite
// of internal/statetest: both are package internal/sqlstate's one
// implementation, here on the pool through pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib) with PostgreSQL's dialect.
//
// Use it when more than one balance instance serves one clinic (issue 16):
// SQLite stays the embedded default, one process per data directory. Here
// the alert outbox is claimed with SELECT … FOR UPDATE SKIP LOCKED, so
// several dispatchers deliver each due delivery once; migrations run under
// an advisory lock, so instances may start at once; Quarantine's budgets
// are shared through an advisory transaction lock.
//
// The DSN is a libpq URL or key=value string, as pgxpool.ParseConfig reads
// it, e.g. "postgres://balance:secret@db.example:5432/balance?sslmode=verify-full&pool_max_conns=20".
// Times are stored as in SQLite, Unix nanoseconds in BIGINT columns (0:
// not set), and JSON as TEXT, so both stores hold the same values.
//
// Each open StateDB is an instance: a random id whose advisory lock one
// connection of its pool holds for as long as it is open (so the pool
// keeps one connection fewer for queries; size it with pool_max_conns).
// Claim records the instance in the delivery, and Recover (alerts.Store)
// takes back only deliveries of instances whose lock is gone (the process
// stopped or died, and PostgreSQL ended its session) or of its own: an
// instance (re)starting next to running ones sends nothing they are
// sending. Should a running instance lose that connection, its deliveries
// in flight may be sent again by another (same webhook-id, which
// receivers use to drop the repeat).
package postgres
