package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/dashboard"
	"github.com/balance-pt/balance/demo"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/postgres"
	"github.com/balance-pt/balance/progression"
	"github.com/balance-pt/balance/reminders"
	"github.com/balance-pt/balance/sqlite"
)

// stateStore is the state database as the App wires it: the union of what
// its parts need (each part declares its own small interface). It lives
// here, with the wiring, not at the module root: several of those
// interfaces name types of alerts, reminders or dashboard, which import
// the root, so a root interface would make an import cycle. Both stores
// implement it, which the compiler checks below; their alert outboxes
// (AlertStore) differ in type and are opened next to it by openState.
type stateStore interface {
	balance.Registry
	balance.Quarantine
	balance.DeviceCredentials
	balance.CutoffStore
	monitor.State
	demo.State
	reminders.Store
	reminders.Sessions
	progression.PlanStore
	dashboard.UserStore
	dashboard.Summaries
	dashboard.AppAccessStore
	dashboard.FeedbackSource
	// Ping answers /readyz's state check.
	Ping(ctx context.Context) error
	Close() error
}

var (
	_ stateStore = (*sqlite.StateDB)(nil)
	_ stateStore = (*postgres.StateDB)(nil)
)

// openState opens the state database state.driver names and its alert
// outbox: SQLite in data_dir/state.db (one process per data directory) or
// PostgreSQL at state.dsn (any number of instances; docs/operations.md).
func openState(ctx context.Context, c Config) (stateStore, alerts.Store, error) {
	switch c.State.Driver {
	case StatePostgres:
		db, err := postgres.OpenState(ctx, c.State.DSN)
		if err != nil {
			return nil, nil, fmt.Errorf("state (postgres): %w", err)
		}
		return db, db.AlertStore(), nil
	default:
		db, err := sqlite.OpenState(ctx, filepath.Join(c.DataDir, "state.db"))
		if err != nil {
			return nil, nil, fmt.Errorf("state (sqlite): %w", err)
		}
		return db, db.AlertStore(), nil
	}
}
