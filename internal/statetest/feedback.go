package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// testSessionFeedback: an answer round-trips (with and without a pain
// score); a second answer within 24 h of the first replaces it, one at or
// after 24 h is refused (and the stored answer stays), one naming another
// patient is refused; an invalid one is refused; a patient's answers are
// listed oldest first from a time on.
func testSessionFeedback(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{})
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	three := 3
	first := balance.SessionFeedback{SessionID: "s1", PatientID: "p1", Time: t0, Difficulty: 8, Pain: true, PainScore: &three,
		Dizziness: false, Confidence: balance.ConcernSome, Note: "toes tingled"}
	other := balance.SessionFeedback{SessionID: "s2", PatientID: "p1", Time: t0.Add(48 * time.Hour), Difficulty: 2, Confidence: balance.ConcernNone}
	if _, err := db.SessionFeedback(ctx, "s1"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Fatalf("feedback before any answer: %v, want not_found", err)
	}
	for _, f := range []balance.SessionFeedback{first, other} {
		if replaced, err := db.SaveSessionFeedback(ctx, f); err != nil || replaced {
			t.Fatalf("first answer on %s: replaced %v, %v", f.SessionID, replaced, err)
		}
	}
	got, err := db.SessionFeedback(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	second := first
	second.Time, second.Difficulty, second.PainScore, second.Note = t0.Add(23*time.Hour), 9, nil, ""
	tests := []struct {
		name     string
		f        balance.SessionFeedback
		code     string // "" = accepted
		replaced bool
		stored   balance.SessionFeedback // what s1 holds afterwards
	}{
		{name: "a second answer within 24 h replaces the first", f: second, replaced: true, stored: second},
		{name: "an answer 24 h after the first is refused", f: func() balance.SessionFeedback {
			f := second
			f.Time = t0.Add(24 * time.Hour)
			f.Difficulty = 1
			return f
		}(),
			code: balance.ECONFLICT, stored: second},
		{name: "another patient cannot answer for the session", f: func() balance.SessionFeedback { f := second; f.PatientID = "p2"; return f }(),
			code: balance.ECONFLICT, stored: second},
		{name: "an invalid answer is refused", f: func() balance.SessionFeedback { f := second; f.Confidence = 0; return f }(),
			code: balance.EINVALID, stored: second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			replaced, err := db.SaveSessionFeedback(ctx, tc.f)
			if balance.ErrorCode(err) != tc.code || replaced != tc.replaced {
				t.Fatalf("SaveSessionFeedback = %v, %v; want replaced %v, code %q", replaced, err, tc.replaced, tc.code)
			}
			got, err := db.SessionFeedback(ctx, "s1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.stored, got); diff != "" {
				t.Errorf("stored answer (-want +got):\n%s", diff)
			}
		})
	}

	all, err := db.PatientFeedback(ctx, "p1", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]balance.SessionFeedback{second, other}, all); diff != "" {
		t.Errorf("PatientFeedback (-want +got):\n%s", diff)
	}
	later, err := db.PatientFeedback(ctx, "p1", t0.Add(24*time.Hour))
	if err != nil || len(later) != 1 || later[0].SessionID != "s2" {
		t.Errorf("PatientFeedback since a day later = %+v, %v; want s2 only", later, err)
	}
	if none, err := db.PatientFeedback(ctx, "p2", time.Time{}); err != nil || len(none) != 0 {
		t.Errorf("another patient's feedback = %+v, %v; want none", none, err)
	}
}
