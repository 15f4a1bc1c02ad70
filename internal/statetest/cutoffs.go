package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// testPatientCutoffs: a patient's own cut-offs round-trip with author and
// time (also after reopening), are validated (EINVALID, nothing stored),
// belong to a known patient (ENOTFOUND), and nil goes back to the clinic's.
func testPatientCutoffs(t *testing.T, bk Backend) {
	ctx := context.Background()
	path := bk.NewDatabase(t)
	st := bk.open(t, path, Options{})
	if err := st.CreatePatient(ctx, balance.Patient{ID: "p1", Name: "P"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.PatientCutoffs(ctx, "p1"); ok || err != nil {
		t.Fatalf("before any: ok %v, %v; want the clinic's", ok, err)
	}
	want := balance.NeuropathyThresholds().Cutoffs()
	want.TUGHigh, want.By, want.UpdatedAt = 14.5, "dr-a", time.Now().UTC().Truncate(time.Microsecond)
	if err := st.SetPatientCutoffs(ctx, "p1", &want); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = bk.open(t, path, Options{})
	got, ok, err := st.PatientCutoffs(ctx, "p1")
	if err != nil || !ok {
		t.Fatalf("after reopening: ok %v, %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cut-offs (-want +got):\n%s", diff)
	}
	// Invalid: high TUG below moderate (higher is worse); nothing changes.
	bad := want
	bad.TUGHigh = 5
	if err := st.SetPatientCutoffs(ctx, "p1", &bad); balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("invalid cut-offs: %v, want EINVALID", err)
	}
	if got, _, _ := st.PatientCutoffs(ctx, "p1"); got.TUGHigh != 14.5 {
		t.Errorf("after a refused change TUG high = %v, want 14.5", got.TUGHigh)
	}
	if err := st.SetPatientCutoffs(ctx, "nobody", &want); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("unknown patient: %v, want ENOTFOUND", err)
	}
	if err := st.SetPatientCutoffs(ctx, "p1", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.PatientCutoffs(ctx, "p1"); ok {
		t.Error("cleared cut-offs still stored")
	}
}
