package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

func testPlansAndChanges(t *testing.T, bk Backend) {
	ctx := context.Background()
	path := bk.NewDatabase(t)
	db := bk.open(t, path, Options{})
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

	if _, err := db.Plan(ctx, "p1"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Fatalf("Plan of a patient without one: %v, want not_found", err)
	}
	p := balance.Plan{PatientID: "p1", LevelID: "feet-apart", SessionsPerWeek: 3, Mode: balance.PlanSuggest,
		Exercises: []string{"walking"}, CatalogVersion: 1, AssignedAt: t0, LevelSince: t0, UpdatedAt: t0, UpdatedBy: "dr-a"}
	assign := balance.PlanChange{ID: "c1", PatientID: "p1", Time: t0, Kind: balance.ChangeAssign, ToLevel: "feet-apart",
		Reasons: []balance.PlanReason{{Code: "assigned", Text: "set"}}, Status: balance.ChangeApplied, By: "dr-a"}
	added, err := db.AddPlanChange(ctx, &p, assign)
	if err != nil || !added {
		t.Fatalf("AddPlanChange = %v, %v", added, err)
	}
	got, err := db.Plan(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("plan round trip (-want +got):\n%s", diff)
	}

	// The same change again is a no-op and does not save the plan passed.
	p2 := p
	p2.LevelID = "feet-together"
	if added, err := db.AddPlanChange(ctx, &p2, assign); err != nil || added {
		t.Fatalf("second AddPlanChange = %v, %v; want not added", added, err)
	}
	if got, _ := db.Plan(ctx, "p1"); got.LevelID != "feet-apart" {
		t.Errorf("a duplicate change saved the plan: level %s", got.LevelID)
	}

	// A pending suggestion, approved once; a second decision conflicts.
	sug := balance.PlanChange{ID: "c2", PatientID: "p1", Time: t0.Add(time.Hour), Kind: balance.ChangeProgress, FromLevel: "feet-apart",
		ToLevel: "feet-together", Dimension: "stance", Reasons: []balance.PlanReason{{Code: "target_met", Text: "met"}},
		SessionIDs: []string{"s1", "s2", "s3"}, Status: balance.ChangePending, By: "system"}
	if _, err := db.AddPlanChange(ctx, nil, sug); err != nil {
		t.Fatal(err)
	}
	dec := sug
	dec.Status, dec.DecidedBy, dec.DecidedAt, dec.Note = balance.ChangeApplied, "dr-a", t0.Add(2*time.Hour), "ok"
	if err := db.DecidePlanChange(ctx, &p2, dec); err != nil {
		t.Fatal(err)
	}
	if err := db.DecidePlanChange(ctx, nil, dec); balance.ErrorCode(err) != balance.ECONFLICT {
		t.Errorf("deciding twice: %v, want conflict", err)
	}
	if err := db.DecidePlanChange(ctx, nil, balance.PlanChange{ID: "nope", PatientID: "p1"}); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("deciding a missing change: %v, want not_found", err)
	}
	if got, _ := db.Plan(ctx, "p1"); got.LevelID != "feet-together" {
		t.Errorf("approval did not save the plan: level %s", got.LevelID)
	}
	one, err := db.PlanChange(ctx, "p1", "c2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dec, one); diff != "" {
		t.Errorf("decided change (-want +got):\n%s", diff)
	}
	if _, err := db.PlanChange(ctx, "p2", "c2"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("another patient's change: %v, want not_found", err)
	}

	all, err := db.PlanChanges(ctx, "p1", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != "c2" || all[1].ID != "c1" {
		t.Errorf("PlanChanges newest first = %v", all)
	}
	recent, _ := db.PlanChanges(ctx, "p1", t0.Add(time.Minute))
	if len(recent) != 1 || recent[0].ID != "c2" {
		t.Errorf("PlanChanges since = %v", recent)
	}
	ids, err := db.PlanPatients(ctx)
	if err != nil || !cmp.Equal(ids, []string{"p1"}) {
		t.Errorf("PlanPatients = %v, %v", ids, err)
	}

	// Everything survives a reopen.
	db.Close()
	db2 := bk.open(t, path, Options{})
	if got, err := db2.Plan(ctx, "p1"); err != nil || got.LevelID != "feet-together" {
		t.Errorf("after reopen: %+v, %v", got, err)
	}
}
