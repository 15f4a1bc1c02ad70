package postgres

import (
	"context"
	"sync"
	"testing"

	"github.com/balance-pt/balance"
)

// TestInstancesMigrateAtOnce: instances opening one new database at the
// same moment apply the migrations once (the advisory lock), all succeed,
// and the schema records each migration once.
func TestInstancesMigrateAtOnce(t *testing.T) {
	ctx := context.Background()
	dsn := newDatabase(t)
	const n = 6
	dbs := make([]*StateDB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = OpenState(ctx, dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	names, err := migrationFS.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var rows, distinct int
	if err := dbs[0].db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(names) || distinct != len(names) {
		t.Errorf("schema_migrations has %d rows (%d versions), want one per migration (%d)", rows, distinct, len(names))
	}
	if err := dbs[n-1].CreatePatient(ctx, balance.Patient{ID: "p1"}); err != nil {
		t.Errorf("after concurrent migrations: %v", err)
	}
}
