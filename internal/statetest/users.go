package statetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

func testUsersAndAssignments(t *testing.T, bk Backend) {
	ctx := t.Context()
	db := bk.fresh(t, Options{})
	for _, id := range []string{"p1", "p2"} {
		if err := db.CreatePatient(ctx, balance.Patient{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := db.CreateUser(ctx, balance.User{Username: "ann", Role: balance.RoleTherapist, PasswordHash: "h"})
	if err != nil || u.ID == 0 {
		t.Fatalf("CreateUser = %+v, %v", u, err)
	}
	for _, tc := range []struct {
		u    balance.User
		code string
	}{
		{balance.User{Username: "ann", Role: balance.RoleTherapist, PasswordHash: "h"}, balance.ECONFLICT},
		{balance.User{Username: "bob", Role: "visitor", PasswordHash: "h"}, balance.EINVALID},
		{balance.User{Username: " ", Role: balance.RoleAdmin, PasswordHash: "h"}, balance.EINVALID},
		{balance.User{Username: "bob", Role: balance.RoleAdmin}, balance.EINVALID},
	} {
		if _, err := db.CreateUser(ctx, tc.u); balance.ErrorCode(err) != tc.code {
			t.Errorf("CreateUser(%+v) = %v, want %s", tc.u, err, tc.code)
		}
	}
	if err := db.AssignPatient(ctx, u.ID, "p2"); err != nil {
		t.Fatal(err)
	}
	if err := db.AssignPatient(ctx, u.ID, "p2"); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := db.AssignPatient(ctx, u.ID, "p1"); err != nil {
		t.Fatal(err)
	}
	if err := db.AssignPatient(ctx, u.ID, "nobody"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("assign unknown patient: %v, want not_found", err)
	}
	if err := db.AssignPatient(ctx, 999, "p1"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("assign to unknown user: %v, want not_found", err)
	}
	got, err := db.AssignedPatients(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"p1", "p2"}, got); diff != "" {
		t.Errorf("assigned (-want +got):\n%s", diff)
	}
	if err := db.UnassignPatient(ctx, u.ID, "p1"); err != nil {
		t.Fatal(err)
	}
	got, _ = db.AssignedPatients(ctx, u.ID)
	if diff := cmp.Diff([]string{"p2"}, got); diff != "" {
		t.Errorf("after unassign (-want +got):\n%s", diff)
	}
}

func testUserSessions(t *testing.T, bk Backend) {
	ctx := t.Context()
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	db := bk.fresh(t, Options{Now: func() time.Time { return now }})
	u, err := db.CreateUser(ctx, balance.User{Username: "ann", Role: balance.RoleAdmin, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUserSession(ctx, "hash1", u.ID, "csrf1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, csrf, err := db.UserSession(ctx, "hash1", now.Add(59*time.Minute))
	if err != nil || got.Username != "ann" || csrf != "csrf1" {
		t.Errorf("UserSession = %+v %q %v", got, csrf, err)
	}
	for _, tc := range []struct {
		name, hash string
		at         time.Time
	}{{"expired", "hash1", now.Add(time.Hour)}, {"unknown", "hash2", now}} {
		if _, _, err := db.UserSession(ctx, tc.hash, tc.at); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
			t.Errorf("%s session: %v, want unauthorized", tc.name, err)
		}
	}
	// A new password ends every session of the user.
	if err := db.SetUserPassword(ctx, u.ID, "h2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.UserSession(ctx, "hash1", now); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
		t.Errorf("session after password change: %v, want unauthorized", err)
	}
}

func testReviewLog(t *testing.T, bk Backend) {
	ctx := t.Context()
	db := bk.fresh(t, Options{})
	u, err := db.CreateUser(ctx, balance.User{Username: "ann", Role: balance.RoleTherapist, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, sec := range []float64{30, 60, 45} {
		if err := db.LogReview(ctx, balance.ReviewEntry{UserID: u.ID, PatientID: "p1", Start: t0.Add(time.Duration(i) * 24 * time.Hour), Seconds: sec, Activity: "page"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.LogReview(ctx, balance.ReviewEntry{UserID: u.ID, PatientID: "p1", Start: t0, Seconds: -1}); balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("negative seconds: %v, want invalid", err)
	}
	// [t0, t0+2d) holds the first two entries.
	got, err := db.ReviewLog(ctx, "p1", t0, t0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []balance.ReviewEntry{
		{UserID: u.ID, Username: "ann", PatientID: "p1", Start: t0, Seconds: 30, Activity: "page"},
		{UserID: u.ID, Username: "ann", PatientID: "p1", Start: t0.Add(24 * time.Hour), Seconds: 60, Activity: "page"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("review log (-want +got):\n%s", diff)
	}
}

func testDisabledUserHasNoSessionsOrTokens(t *testing.T, bk Backend) {
	ctx := t.Context()
	db := bk.fresh(t, Options{})
	u, err := db.CreateUser(ctx, balance.User{Username: "ann", Role: balance.RoleTherapist, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now() // the store's clock: Options.Now unset
	if err := db.CreateUserSession(ctx, "s1", u.ID, "c", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAPIToken(ctx, u.ID, "script", "t1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.UserSession(ctx, "s1", now); err != nil {
		t.Fatalf("session before disabling: %v", err)
	}
	if err := db.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, err := db.User(ctx, u.ID); err != nil || !got.Disabled {
		t.Errorf("User after disabling: disabled %v, %v", got.Disabled, err)
	}
	if _, _, err := db.UserSession(ctx, "s1", now); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
		t.Errorf("session of a disabled user: %v, want unauthorized", err)
	}
	if _, err := db.APITokenUser(ctx, "t1"); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
		t.Errorf("token of a disabled user: %v, want unauthorized", err)
	}
	// Enabled again: the token works; the ended session stays ended.
	if err := db.SetUserDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.APITokenUser(ctx, "t1"); err != nil {
		t.Errorf("token after enabling: %v", err)
	}
	if _, _, err := db.UserSession(ctx, "s1", now); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
		t.Errorf("session ended by disabling came back: %v", err)
	}
	if err := db.SetUserDisabled(ctx, 999, true); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("disable unknown user: %v, want not_found", err)
	}
}
