package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/sqlstate"
)

// dialect is PostgreSQL's: $n placeholders, GREATEST/LEAST, a seq column
// for insertion order, FOR UPDATE, and transaction-level advisory locks
// (on hashtextextended of the key, seeded with the key space) where
// instances sharing the database must take turns.
var dialect = sqlstate.Dialect{
	Name:       "postgres",
	Rebind:     sqlstate.Dollar,
	Greatest:   "GREATEST",
	Least:      "LEAST",
	Seq:        "seq",
	ForUpdate:  " FOR UPDATE",
	Lock:       "SELECT pg_advisory_xact_lock(hashtextextended(CAST(? AS TEXT), ?))",
	Position:   "strpos",
	ByteLength: "octet_length",
	JSONArray:  "SELECT jsonb_array_elements_text(CAST(? AS JSONB))",
	SkipLocked: " FOR UPDATE SKIP LOCKED",
}

// StateDB is the state database on PostgreSQL: everything that is not a
// time series. It offers the methods of *sqlite.StateDB, with the same
// meaning (most are package sqlstate's, shared with package sqlite), and
// implements balance.Registry.
type StateDB struct {
	*sqlstate.Store
	db    *db     // the pool, for this package's own queries
	sqlDB *sql.DB // the pool through database/sql, under Store
	inst  *instance
}

// AlertStore is the alerts' outbox and delivery log in the state database:
// package sqlstate's, which implements alerts.Store, with the pool for
// this package's own queries. Several instances may claim from one outbox
// (Claim locks the rows it takes with FOR UPDATE SKIP LOCKED).
type AlertStore struct {
	*sqlstate.AlertStore
	db *db
}

// AlertStore returns the alert outbox kept in this database.
func (s *StateDB) AlertStore() *AlertStore {
	return &AlertStore{AlertStore: s.Store.AlertStore(), db: s.db}
}

var (
	_ balance.Registry   = (*StateDB)(nil)
	_ balance.Quarantine = (*StateDB)(nil)
)

// OpenState connects to the PostgreSQL database dsn (a URL
// "postgres://user:password@host:5432/dbname?sslmode=verify-full&pool_max_conns=10"
// or key=value pairs, as pgxpool.ParseConfig reads them) and applies the
// missing migrations, under an advisory lock so that instances starting at
// once do not race.
func OpenState(ctx context.Context, dsn string) (*StateDB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	inst, err := register(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	return &StateDB{Store: sqlstate.New(sqlDB, dialect, &sqlstate.Instance{ID: inst.id, Live: liveInstances}), db: &db{pool: pool}, sqlDB: sqlDB, inst: inst}, nil
}

// Pool exposes the connection pool (for checks and tools; the tables are
// this package's).
func (s *StateDB) Pool() *pgxpool.Pool { return s.db.pool }

// Close closes the pool's connections.
func (s *StateDB) Close() error {
	s.inst.release()
	s.sqlDB.Close()
	s.db.pool.Close()
	return nil
}
