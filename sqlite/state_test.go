package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance/sqlite"
)

func openState(t *testing.T, path string) *sqlite.StateDB {
	t.Helper()
	db, err := sqlite.OpenState(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenState: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMissingMigrationAppliedOnExistingDatabase: a database that recorded a
// higher-numbered migration but not a lower one (merged later) gets the
// missing one at the next open.
func TestMissingMigrationAppliedOnExistingDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openState(t, path)
	ctx := context.Background()
	// Pretend migration 2 had never run: drop its record and one of its tables.
	if _, err := db.DB().ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	tables := []string{}
	// The tables migration 2 made (alert_silences and alert_notes come from
	// later ones).
	rows, _ := raw.Query(`SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'alert%' AND name NOT IN ('alert_silences', 'alert_notes')`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) == 0 {
		t.Fatal("migration 2 created no alert tables; this test needs another migration to remove")
	}
	raw.Exec(`PRAGMA foreign_keys = OFF`)
	for _, n := range tables {
		if _, err := raw.Exec(`DROP TABLE ` + n); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db2 := openState(t, path)
	var n int
	if err := db2.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name LIKE 'alert%' AND name NOT IN ('alert_silences', 'alert_notes')`).Scan(&n); err != nil || n != len(tables) {
		t.Fatalf("after reopen %d alert tables (err %v), want %d re-created by the missing migration", n, err, len(tables))
	}
}
