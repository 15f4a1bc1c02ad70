package statetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

func testMigrationsAreIdempotent(t *testing.T, bk Backend) {
	path := bk.NewDatabase(t)
	db := bk.open(t, path, Options{})
	ctx := context.Background()
	if err := db.CreatePatient(ctx, balance.Patient{ID: "p1", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2 := bk.open(t, path, Options{}) // re-running migrations must keep the data
	p, err := db2.Patient(ctx, "p1")
	if err != nil || p.Name != "Ada" {
		t.Fatalf("Patient after reopen = %+v, %v", p, err)
	}
}

func testDeviceBinding(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{})
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

func testStatusMergesPartialUpdates(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{})
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

func testEventsDeduplicated(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{})
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

func testQuarantineKeepsNewestWithinLimit(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{QuarantineLimit: 3})
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

// testQuarantineBudgets: payloads of unknown devices are kept within a byte
// budget and a number of device ids, the oldest evicted first, and counted;
// a flood of strangers never evicts a batch the store refused (a patient's
// data). The budget holds across a reopen (the byte count is recounted).
func testQuarantineBudgets(t *testing.T, bk Backend) {
	ctx := context.Background()
	path := bk.NewDatabase(t)
	db := bk.open(t, path, Options{QuarantineMaxBytes: 10_000, QuarantineMaxDevices: 5})
	put := func(db Store, device, reason string, size int) int {
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
	db2 := bk.open(t, path, Options{QuarantineMaxBytes: 10_000, QuarantineMaxDevices: 1000})
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
