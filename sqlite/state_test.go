package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/balance-pt/balance"
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

func TestMigrationsAreIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openState(t, path)
	ctx := context.Background()
	if err := db.CreatePatient(ctx, balance.Patient{ID: "p1", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2 := openState(t, path) // re-running migrations must keep the data
	p, err := db2.Patient(ctx, "p1")
	if err != nil || p.Name != "Ada" {
		t.Fatalf("Patient after reopen = %+v, %v", p, err)
	}
}

func TestDeviceBinding(t *testing.T) {
	ctx := context.Background()
	db := openState(t, filepath.Join(t.TempDir(), "state.db"))
	if err := db.RegisterDevice(ctx, balance.Device{ID: "d1", PatientID: "ghost"}); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Fatalf("RegisterDevice bound to a missing patient: err = %v, want %s", err, balance.ENOTFOUND)
	}
	if err := db.RegisterDevice(ctx, balance.Device{ID: "bad/id"}); balance.ErrorCode(err) != balance.EDEVICEID {
		t.Fatalf("RegisterDevice(bad/id): err = %v, want %s", err, balance.EDEVICEID)
	}
	if err := db.CreatePatient(ctx, balance.Patient{ID: "p1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RegisterDevice(ctx, balance.Device{ID: "d1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RegisterDevice(ctx, balance.Device{ID: "d1"}); err != nil {
		t.Fatalf("second RegisterDevice must be a no-op, got %v", err)
	}
	if err := db.BindDevice(ctx, "d1", "p1"); err != nil {
		t.Fatal(err)
	}
	d, err := db.Device(ctx, "d1")
	if err != nil || d.PatientID != "p1" {
		t.Fatalf("Device(d1) = %+v, %v; want bound to p1", d, err)
	}
	if err := db.BindDevice(ctx, "d1", ""); err != nil {
		t.Fatal(err)
	}
	if d, _ := db.Device(ctx, "d1"); d.PatientID != "" {
		t.Fatalf("after unbind PatientID = %q", d.PatientID)
	}
	if err := db.BindDevice(ctx, "nope", "p1"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Fatalf("BindDevice(unknown) err = %v", err)
	}
}

func TestStatusMergesPartialUpdates(t *testing.T) {
	ctx := context.Background()
	db := openState(t, filepath.Join(t.TempDir(), "state.db"))
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	if err := db.SaveStatus(ctx, balance.DeviceStatus{DeviceID: "d1", Online: true, BatteryPct: 80, Firmware: "1.2", ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	// The last will carries only online=false: battery and firmware stay known.
	if err := db.SaveStatus(ctx, balance.DeviceStatus{DeviceID: "d1", Online: false, ReceivedAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	st, err := db.Statuses(ctx)
	if err != nil || len(st) != 1 {
		t.Fatalf("Statuses = %v, %v", st, err)
	}
	if st[0].Online || st[0].BatteryPct != 80 || st[0].Firmware != "1.2" || !st[0].ReceivedAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("merged status = %+v", st[0])
	}
}

func TestEventsDeduplicated(t *testing.T) {
	ctx := context.Background()
	db := openState(t, filepath.Join(t.TempDir(), "state.db"))
	e := balance.DeviceEvent{DeviceID: "d1", Action: "start", Kind: balance.SessionSway, Time: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	for i := 0; i < 3; i++ {
		if err := db.SaveEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	stop := e
	stop.Action = "stop"
	stop.Time = e.Time.Add(30 * time.Second)
	db.SaveEvent(ctx, stop)
	got, err := db.Events(ctx, "d1", e.Time)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "start" || got[1].Action != "stop" {
		t.Fatalf("Events = %+v, want start then stop once each", got)
	}
}

func TestQuarantineKeepsNewestWithinLimit(t *testing.T) {
	ctx := context.Background()
	db := openState(t, filepath.Join(t.TempDir(), "state.db"))
	db.QuarantineLimit = 3
	for i := 0; i < 5; i++ {
		evicted, err := db.Quarantine(ctx, balance.QuarantinedPayload{DeviceID: "stranger", Topic: "balance/v1/stranger/imu", Reason: balance.EUNKNOWNDEV, Payload: []byte{byte(i)}, ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if want := max(0, i-2) - max(0, i-3); evicted != want {
			t.Errorf("payload %d: %d evicted, want %d", i, evicted, want)
		}
	}
	got, err := db.Quarantined(ctx, "stranger", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Payload[0] != 2 || got[2].Payload[0] != 4 {
		t.Fatalf("Quarantined kept %d payloads %v, want the newest 3 (2,3,4)", len(got), got)
	}
	counts, _ := db.QuarantineCounts(ctx)
	if counts["stranger"] != 3 {
		t.Fatalf("QuarantineCounts = %v", counts)
	}
}

// TestQuarantineBudgets: payloads of unknown devices are kept within a byte
// budget and a number of device ids, the oldest evicted first, and counted;
// a flood of strangers never evicts a batch the store refused (a patient's
// data). The budget holds across a reopen (the byte count is recounted).
func TestQuarantineBudgets(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db := openState(t, path)
	db.QuarantineMaxBytes, db.QuarantineMaxDevices = 10_000, 5
	put := func(db *sqlite.StateDB, device, reason string, size int) int {
		t.Helper()
		n, err := db.Quarantine(ctx, balance.QuarantinedPayload{DeviceID: device, Topic: "balance/v1/" + device + "/imu", Reason: reason,
			Payload: make([]byte, size), ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	put(db, "patient-dev", "store_refused", 4000) // a patient's batch
	evicted := 0
	for i := range 40 { // 40 strangers of 1,000 bytes: 40,000 bytes, 40 ids
		evicted += put(db, fmt.Sprintf("stranger-%02d", i), balance.EUNKNOWNDEV, 1000)
	}
	all, err := db.Quarantined(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var strangers, strangerBytes int
	ids := map[string]bool{}
	refused := false
	for _, q := range all {
		if q.Reason == "store_refused" {
			refused = true
			continue
		}
		strangers++
		strangerBytes += len(q.Payload)
		ids[q.DeviceID] = true
	}
	if !refused {
		t.Error("the store-refused batch was evicted by strangers")
	}
	if strangerBytes > 10_000 || len(ids) > 5 {
		t.Errorf("strangers keep %d bytes from %d devices, want at most 10,000 bytes and 5 devices", strangerBytes, len(ids))
	}
	if !ids["stranger-39"] || ids["stranger-00"] {
		t.Errorf("kept devices %v, want the newest (stranger-39 in, stranger-00 out)", ids)
	}
	if evicted != 40-strangers {
		t.Errorf("%d evictions reported, but %d of 40 payloads are gone", evicted, 40-strangers)
	}
	// Reopened, the byte budget still holds.
	db.Close()
	db2 := openState(t, path)
	db2.QuarantineMaxBytes, db2.QuarantineMaxDevices = 10_000, 1000
	for i := range 20 {
		put(db2, "stranger-big", balance.EUNKNOWNDEV, 900+i)
	}
	counts, err := db2.QuarantineCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err = db2.Quarantined(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, q := range all {
		if q.Reason != "store_refused" {
			total += len(q.Payload)
		}
	}
	if total > 10_000 || counts["patient-dev"] != 1 {
		t.Errorf("after reopen: %d stranger bytes (want <= 10,000), counts %v", total, counts)
	}
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
