package statetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/balance-pt/balance"
)

// appAccessDB is a state database with patients p1 and p2 and a clock the
// test moves.
func appAccessDB(t *testing.T, bk Backend) (Store, *time.Time) {
	t.Helper()
	now := time.Date(2026, 12, 4, 10, 2, 0, 0, time.UTC)
	db := bk.fresh(t, Options{Now: func() time.Time { return now }})
	for _, id := range []string{"p1", "p2"} {
		if err := db.CreatePatient(t.Context(), balance.Patient{ID: id, Name: "Patient " + id}); err != nil {
			t.Fatal(err)
		}
	}
	return db, &now
}

func newInvite(t *testing.T, db Store, now time.Time, patient, token, code string, ttl time.Duration) balance.AppInvite {
	t.Helper()
	inv, err := db.CreateAppInvite(t.Context(), balance.AppInvite{PatientID: patient, CreatedBy: "ann", ExpiresAt: now.Add(ttl)}, token, code)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func session(csrf string, expires time.Time) balance.AppSession {
	return balance.AppSession{Label: "Phone added 4 Dec 10:02", CSRF: csrf, ExpiresAt: expires}
}

// testAppInviteOnce: an invitation is redeemed once, by its link or by its
// code (not both), and then names its patient's new session; a second use,
// an expired one and an unknown one are refused in words.
func testAppInviteOnce(t *testing.T, bk Backend) {
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		key  balance.InviteKey
		// other names the same invitation the other way.
		other balance.InviteKey
	}{
		{"by link", balance.InviteKey{TokenHash: "tok1"}, balance.InviteKey{CodeHash: "code1"}},
		{"by code", balance.InviteKey{CodeHash: "code1"}, balance.InviteKey{TokenHash: "tok1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, now := appAccessDB(t, bk)
			inv := newInvite(t, db, *now, "p1", "tok1", "code1", 24*time.Hour)
			if inv.ID == 0 || !inv.CreatedAt.Equal(*now) {
				t.Errorf("created invite %+v", inv)
			}
			peek, err := db.AppInvite(ctx, tc.key, *now)
			if err != nil || peek.PatientID != "p1" || peek.CreatedBy != "ann" {
				t.Fatalf("AppInvite = %+v, %v", peek, err)
			}
			got, err := db.RedeemAppInvite(ctx, tc.key, "sess1", session("csrf1", now.Add(180*24*time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			want := balance.AppSession{PatientID: "p1", Label: "Phone added 4 Dec 10:02", CSRF: "csrf1", CreatedAt: *now, LastSeenAt: *now, ExpiresAt: now.Add(180 * 24 * time.Hour)}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(balance.AppSession{}, "ID")); diff != "" || got.ID == 0 {
				t.Errorf("redeemed session (-want +got):\n%s (id %d)", diff, got.ID)
			}
			for _, k := range []balance.InviteKey{tc.key, tc.other} {
				if _, err := db.RedeemAppInvite(ctx, k, "sess2", session("csrf2", now.Add(time.Hour))); balance.ErrorCode(err) != balance.EUNAUTHORIZED ||
					!strings.Contains(balance.ErrorMessage(err), "already been used") {
					t.Errorf("second redemption %+v: %v, want unauthorized, already used", k, err)
				}
			}
			if _, err := db.AppSession(ctx, "sess2", *now); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
				t.Errorf("refused redemption left a session: %v", err)
			}
		})
	}
}

// testAppInviteRefusals: expiry (at the instant), unknown token and code,
// a malformed key.
func testAppInviteRefusals(t *testing.T, bk Backend) {
	ctx := t.Context()
	db, now := appAccessDB(t, bk)
	newInvite(t, db, *now, "p1", "tok1", "code1", 24*time.Hour)
	if _, err := db.CreateAppInvite(ctx, balance.AppInvite{PatientID: "nobody", ExpiresAt: now.Add(time.Hour)}, "t", "c"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("invite for an unknown patient: %v, want not_found", err)
	}
	*now = now.Add(24 * time.Hour)
	for _, tc := range []struct {
		name string
		key  balance.InviteKey
		code string
		says string
	}{
		{"expired link", balance.InviteKey{TokenHash: "tok1"}, balance.EUNAUTHORIZED, "link has expired"},
		{"expired code", balance.InviteKey{CodeHash: "code1"}, balance.EUNAUTHORIZED, "code has expired"},
		{"unknown link", balance.InviteKey{TokenHash: "nope"}, balance.EUNAUTHORIZED, "link is not right"},
		{"unknown code", balance.InviteKey{CodeHash: "nope"}, balance.EUNAUTHORIZED, "code is not right"},
		{"no key", balance.InviteKey{}, balance.EINVALID, "token or its code"},
		{"both keys", balance.InviteKey{TokenHash: "tok1", CodeHash: "code1"}, balance.EINVALID, "token or its code"},
	} {
		_, err := db.RedeemAppInvite(ctx, tc.key, "s-"+tc.name, session("c", now.Add(time.Hour)))
		if balance.ErrorCode(err) != tc.code || !strings.Contains(balance.ErrorMessage(err), tc.says) {
			t.Errorf("%s: %v, want %s saying %q", tc.name, err, tc.code, tc.says)
		}
		if _, err := db.AppInvite(ctx, tc.key, *now); balance.ErrorCode(err) != tc.code {
			t.Errorf("%s: AppInvite %v, want %s", tc.name, err, tc.code)
		}
	}
}

// testAppInviteConcurrentRedemption: of many phones redeeming one code at
// once, exactly one gets a session.
func testAppInviteConcurrentRedemption(t *testing.T, bk Backend) {
	db, now := appAccessDB(t, bk)
	newInvite(t, db, *now, "p1", "tok1", "code1", time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Go(func() {
			_, err := db.RedeemAppInvite(t.Context(), balance.InviteKey{CodeHash: "code1"}, "sess"+string(rune('a'+i)), session("c", now.Add(time.Hour)))
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d redemptions succeeded, want 1", won)
	}
}

// testAppSessionsRevokeAndExpire: a session works until it is revoked (at
// once, by the patient's therapist, recorded) or expires; the list shows
// only working sessions, of that patient; another patient's session id
// cannot be revoked through this patient.
func testAppSessionsRevokeAndExpire(t *testing.T, bk Backend) {
	ctx := t.Context()
	db, now := appAccessDB(t, bk)
	newInvite(t, db, *now, "p1", "tok1", "code1", time.Hour)
	newInvite(t, db, *now, "p1", "tok2", "code2", time.Hour)
	newInvite(t, db, *now, "p2", "tok3", "code3", time.Hour)
	a, err := db.RedeemAppInvite(ctx, balance.InviteKey{TokenHash: "tok1"}, "sessA", session("cA", now.Add(48*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.RedeemAppInvite(ctx, balance.InviteKey{CodeHash: "code2"}, "sessB", session("cB", now.Add(2*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.RedeemAppInvite(ctx, balance.InviteKey{TokenHash: "tok3"}, "sessC", session("cC", now.Add(48*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(patient string) []int64 {
		t.Helper()
		ss, err := db.AppSessions(ctx, patient, *now)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	if diff := cmp.Diff([]int64{b.ID, a.ID}, ids("p1")); diff != "" {
		t.Errorf("p1's sessions (-want +got):\n%s", diff)
	}
	*now = now.Add(5 * time.Minute)
	got, err := db.AppSession(ctx, "sessA", *now)
	if err != nil || got.ID != a.ID || got.PatientID != "p1" || got.CSRF != "cA" || !got.LastSeenAt.Equal(*now) {
		t.Errorf("AppSession(sessA) = %+v, %v", got, err)
	}
	if err := db.RevokeAppSession(ctx, "p1", c.ID, "ann"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("revoke p2's session through p1: %v, want not_found", err)
	}
	if _, err := db.AppSession(ctx, "sessC", *now); err != nil {
		t.Errorf("p2's session after a refused revocation: %v", err)
	}
	if err := db.RevokeAppSession(ctx, "p1", a.ID, "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppSession(ctx, "sessA", *now); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
		t.Errorf("revoked session: %v, want unauthorized", err)
	}
	*now = now.Add(time.Minute)
	if err := db.RevokeAppSession(ctx, "p1", a.ID, "bob"); err != nil { // twice: no error, first kept
		t.Errorf("second revocation: %v", err)
	}
	var by string
	var at int64
	if err := bk.QueryRow(ctx, db, `SELECT revoked_by, revoked_at FROM app_sessions WHERE id = ?`, a.ID).Scan(&by, &at); err != nil || by != "ann" || at != now.Add(-time.Minute).UnixNano() {
		t.Errorf("revocation recorded as %q at %d, %v; want ann at the first", by, at, err)
	}
	if diff := cmp.Diff([]int64{b.ID}, ids("p1")); diff != "" {
		t.Errorf("p1's sessions after revoking (-want +got):\n%s", diff)
	}
	*now = b.ExpiresAt
	if _, err := db.AppSession(ctx, "sessB", *now); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
		t.Errorf("expired session: %v, want unauthorized", err)
	}
	if got := ids("p1"); len(got) != 0 {
		t.Errorf("p1's sessions after expiry: %v, want none", got)
	}
	if err := db.EndAppSession(ctx, "sessC", "patient p2"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppSession(ctx, "sessC", *now); balance.ErrorCode(err) != balance.EUNAUTHORIZED {
		t.Errorf("ended session: %v, want unauthorized", err)
	}
}
