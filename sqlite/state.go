package sqlite

import (
	"context"
	"database/sql"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/sqlstate"
)

// dialect is SQLite's: ? placeholders, MAX/MIN as scalar functions, rowid,
// and no locks (one writer at a time).
var dialect = sqlstate.Dialect{
	Name:       "sqlite",
	Greatest:   "MAX",
	Least:      "MIN",
	Seq:        "rowid",
	Position:   "instr",
	ByteLength: "length",
	JSONArray:  "SELECT value FROM json_each(?)",
}

// StateDB is the state database: everything that is not a time series.
// It implements balance.Registry. Its methods are package sqlstate's,
// shared with package postgres.
type StateDB struct {
	*sqlstate.Store
	db *sql.DB
}

// AlertStore is the alerts' outbox and delivery log in the state database
// (package sqlstate's, which implements alerts.Store).
type AlertStore = sqlstate.AlertStore

var (
	_ balance.Registry   = (*StateDB)(nil)
	_ balance.Quarantine = (*StateDB)(nil)
)

// OpenState opens (creating and migrating as needed) the state database at path.
func OpenState(ctx context.Context, path string) (*StateDB, error) {
	db, err := open(path)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, "state"); err != nil {
		db.Close()
		return nil, err
	}
	return &StateDB{Store: sqlstate.New(db, dialect, nil), db: db}, nil
}

// DB exposes the handle for packages that add their own tables through the
// same migrations (alerts, plans).
func (s *StateDB) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *StateDB) Close() error { return s.db.Close() }

func notFound(what, id string) error {
	return balance.Errorf(balance.ENOTFOUND, "%s %q not found", what, id)
}
