package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/internal/statetest"
	"github.com/balance-pt/balance/sqlite"
)

var _ statetest.Store = (*sqlite.StateDB)(nil)

// backend runs the state contract suite on SQLite: a new file per test.
var backend = statetest.Backend{
	NewDatabase: func(t *testing.T) string { return filepath.Join(t.TempDir(), "state.db") },
	Open: func(ctx context.Context, path string, o statetest.Options) (statetest.Store, alerts.Store, error) {
		db, err := sqlite.OpenState(ctx, path)
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
		return s.(*sqlite.StateDB).DB().QueryRowContext(ctx, query, args...)
	},
}

// TestStateContract runs the contract suite every state store passes.
func TestStateContract(t *testing.T) {
	statetest.Run(t, backend)
}
