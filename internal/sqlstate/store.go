package sqlstate

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Store is the state store on one database/sql handle: the methods both
// engines' StateDB offer (they embed a *Store).
type Store struct {
	db   handle
	d    *Dialect
	inst *Instance
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// QuarantineLimit caps the quarantined payloads kept per device (oldest go first).
	QuarantineLimit int
	// QuarantineMaxBytes bounds the payload bytes kept from unknown and
	// unbound devices, all devices together (oldest go first) [64 MiB].
	QuarantineMaxBytes int64
	// QuarantineMaxDevices bounds how many unknown or unbound device ids
	// have payloads kept (the one heard from least recently goes first)
	// [1000]. Batches the store refused (reason "store_refused") are
	// patients' data: neither bound evicts them (only QuarantineLimit, per
	// device).
	QuarantineMaxDevices int

	qmu    sync.Mutex // serialises this instance's Quarantine calls
	qBytes int64      // payload bytes of evictable rows; -1 until counted
}

// Instance is one process among several sharing the database: its id,
// recorded in the deliveries it claims, and Live, a subquery of the ids
// of the running instances (on PostgreSQL, those holding their advisory
// lock). Recover takes back only the deliveries of instances not in Live,
// or of this one.
type Instance struct {
	ID   int32
	Live string
}

// New returns the Store of the migrated database db, whose engine d
// describes, with the defaults: Now time.Now, QuarantineLimit 1000,
// QuarantineMaxBytes 64 MiB, QuarantineMaxDevices 1000. The caller keeps
// db (and closes it). inst is nil where one process owns the database
// (SQLite).
func New(db *sql.DB, d Dialect, inst *Instance) *Store {
	dd := &d
	return &Store{db: handle{q: db, d: dd, sql: db}, d: dd, inst: inst, Now: time.Now, QuarantineLimit: 1000, QuarantineMaxBytes: 64 << 20, QuarantineMaxDevices: 1000, qBytes: -1}
}

// errorf formats an error prefixed with the engine's name.
func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf(s.d.Name+": "+format, args...)
}

// querier is what a *sql.DB and a *sql.Tx both offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// handle runs queries written with ? placeholders, rebound for the
// engine, on the database or in a transaction.
type handle struct {
	q   querier
	d   *Dialect
	sql *sql.DB // nil in a transaction
}

// ExecContext runs a statement.
func (h handle) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return h.q.ExecContext(ctx, h.d.rebind(q), args...)
}

// QueryContext runs a query; the caller closes the rows.
func (h handle) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return h.q.QueryContext(ctx, h.d.rebind(q), args...)
}

// QueryRowContext runs a query of at most one row.
func (h handle) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return h.q.QueryRowContext(ctx, h.d.rebind(q), args...)
}

// BeginTx starts a transaction.
func (h handle) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := h.sql.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{handle: handle{q: tx, d: h.d}, tx: tx}, nil
}

// txn is a transaction with the helpers of handle.
type txn struct {
	handle
	tx *sql.Tx
}

// Commit commits the transaction.
func (t *txn) Commit() error { return t.tx.Commit() }

// Rollback rolls the transaction back; after Commit it does nothing
// (returns sql.ErrTxDone).
func (t *txn) Rollback() error { return t.tx.Rollback() }

// errorf formats an error prefixed with the engine's name.
func (h handle) errorf(format string, args ...any) error {
	return fmt.Errorf(h.d.Name+": "+format, args...)
}

// lock takes the engine's transaction-level lock on key in key space
// space (Dialect.Lock); nothing on a single-writer engine.
func (t *txn) lock(ctx context.Context, key string, space int64) error {
	if t.d.Lock == "" {
		return nil
	}
	_, err := t.ExecContext(ctx, t.d.Lock, key, space)
	return err
}

// scanStrings reads a one-column result of strings and closes rows.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
