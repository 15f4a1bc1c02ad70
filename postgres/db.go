package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the key of the session-level advisory lock
// (pg_advisory_lock) held while migrations run, so that instances starting
// at once apply each migration once, one after the other.
const migrationLock int64 = 0x62616c616e6365 // "balance"

// migrate applies, in order and each in its own transaction, the embedded
// migrations named state_NNNN_<what>.sql that schema_migrations does not
// record yet (every missing one, as package sqlite does), holding
// migrationLock on one connection throughout.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // the lock also ends with the session
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: migrations table: %w", err)
	}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("postgres: read schema versions: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("postgres: read schema versions: %w", err)
	}
	applied := map[int]bool{}
	for _, v := range versions {
		applied[v] = true
	}
	names, err := fs.Glob(migrationFS, "migrations/state_*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/state_")
		num, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("postgres: migration %s: name must be state_NNNN_what.sql", name)
		}
		if applied[num] {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// Simple protocol: a migration is several statements.
			if _, err := tx.Exec(ctx, string(body), pgx.QueryExecModeSimpleProtocol); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, num, base)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
	}
	return nil
}

// rebind turns the ? placeholders of a query into PostgreSQL's $1, $2, …
// (the queries of this package contain no other question mark).
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// result is what an Exec reports, shaped as database/sql's.
type result struct{ tag pgconn.CommandTag }

// RowsAffected returns how many rows the statement changed.
func (r result) RowsAffected() (int64, error) { return r.tag.RowsAffected(), nil }

// pgq is what a pool and a transaction both offer.
type pgq interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// handle runs queries written with ? placeholders on a pool or in a
// transaction.
type handle struct{ q pgq }

// ExecContext runs a statement.
func (h handle) ExecContext(ctx context.Context, q string, args ...any) (result, error) {
	tag, err := h.q.Exec(ctx, rebind(q), args...)
	return result{tag}, err
}

// QueryContext runs a query; the caller closes the rows.
func (h handle) QueryContext(ctx context.Context, q string, args ...any) (pgx.Rows, error) {
	return h.q.Query(ctx, rebind(q), args...)
}

// QueryRowContext runs a query of at most one row.
func (h handle) QueryRowContext(ctx context.Context, q string, args ...any) pgx.Row {
	return h.q.QueryRow(ctx, rebind(q), args...)
}

// db is the pool with the helpers above.
type db struct {
	handle
	pool *pgxpool.Pool
}

// txn is a transaction with the helpers above.
type txn struct {
	handle
	tx  pgx.Tx
	ctx context.Context
}

// BeginTx starts a transaction (opts is unused: read committed).
func (d *db) BeginTx(ctx context.Context, _ any) (*txn, error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &txn{handle: handle{tx}, tx: tx, ctx: ctx}, nil
}

// Commit commits the transaction.
func (t *txn) Commit() error { return t.tx.Commit(t.ctx) }

// Rollback rolls the transaction back; after Commit it does nothing.
func (t *txn) Rollback() error { return t.tx.Rollback(context.WithoutCancel(t.ctx)) }
