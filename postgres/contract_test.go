package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/internal/statetest"
)

// defaultTestDSN is the machine's PostgreSQL (trust authentication for
// user postgres on loopback); BALANCE_TEST_POSTGRES overrides it.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func adminDSN() string {
	if v := os.Getenv("BALANCE_TEST_POSTGRES"); v != "" {
		return v
	}
	return defaultTestDSN
}

// withDatabase returns dsn naming database name instead of its own.
func withDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("BALANCE_TEST_POSTGRES: %v", err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

// newDatabase creates a uniquely named, empty database on the test
// server, dropped when the test ends, and returns its DSN. The test fails
// (never skips) when the server does not answer.
func newDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminDSN())
	if err != nil {
		t.Fatalf("PostgreSQL needed for this test (set BALANCE_TEST_POSTGRES, default %s): %v", defaultTestDSN, err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 8)
	rand.Read(b)
	name := "balance_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, adminDSN())
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(t, adminDSN(), name)
}

var _ statetest.Store = (*StateDB)(nil)

// backend runs the state contract suite on PostgreSQL: a new database
// per test.
var backend = statetest.Backend{
	NewDatabase: newDatabase,
	Open: func(ctx context.Context, dsn string, o statetest.Options) (statetest.Store, alerts.Store, error) {
		db, err := OpenState(ctx, dsn)
		if err != nil {
			return nil, nil, err
		}
		if o.Now != nil {
			db.Now = o.Now
		}
		if o.QuarantineLimit != 0 {
			db.QuarantineLimit = o.QuarantineLimit
		}
		if o.QuarantineMaxBytes != 0 {
			db.QuarantineMaxBytes = o.QuarantineMaxBytes
		}
		if o.QuarantineMaxDevices != 0 {
			db.QuarantineMaxDevices = o.QuarantineMaxDevices
		}
		return db, db.AlertStore(), nil
	},
	QueryRow: func(ctx context.Context, s statetest.Store, query string, args ...any) statetest.Row {
		return s.(*StateDB).db.QueryRowContext(ctx, query, args...)
	},
}

// TestStateContract runs the contract suite every state store passes.
func TestStateContract(t *testing.T) {
	statetest.Run(t, backend)
}
