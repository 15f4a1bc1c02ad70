package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// testWatermarksNeverGoBack: a lower watermark saved later keeps the higher.
func testWatermarksNeverGoBack(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{})
	if err := db.SaveWatermarks(ctx, map[string]int64{"d1": 200, "d2": 5}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveWatermarks(ctx, map[string]int64{"d1": 100, "d2": 7}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Watermarks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int64{"d1": 200, "d2": 7}, got); diff != "" {
		t.Errorf("watermarks (-want +got):\n%s", diff)
	}
	for id, want := range map[string]int64{"d1": 200, "d2": 7, "d3": 0} {
		if got, err := db.Watermark(ctx, id); err != nil || got != want {
			t.Errorf("Watermark(%s) = %d, %v; want %d", id, got, err, want)
		}
	}
}

// testUprightAxesNeverGoBack: a device's upright axis comes back as saved;
// one learned from an older walk (smaller LearnedNS) saved later does not
// replace it; forgetting (zero Up) later does, and a device without one is
// absent.
func testUprightAxesNeverGoBack(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{})
	up := balance.UprightAxis{Up: [3]float64{0.1, -0.99, 0.05}, LearnedNS: 2000}
	for _, step := range []struct {
		device string
		a      balance.UprightAxis
	}{
		{"d1", up},
		{"d1", balance.UprightAxis{Up: [3]float64{1, 0, 0}, LearnedNS: 1000}}, // older walk, analysed late
		{"d2", balance.UprightAxis{Up: [3]float64{0, 0, 1}, LearnedNS: 500}},
		{"d2", balance.UprightAxis{LearnedNS: 900}}, // forgotten (taken off)
	} {
		if err := db.SaveUprightAxis(ctx, step.device, step.a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.UprightAxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]balance.UprightAxis{"d1": up, "d2": {LearnedNS: 900}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("upright axes (-want +got):\n%s", diff)
	}
	for id, a := range map[string]balance.UprightAxis{"d1": up, "d2": {LearnedNS: 900}, "d3": {}} {
		if got, err := db.UprightAxis(ctx, id); err != nil || got != a {
			t.Errorf("UprightAxis(%s) = %+v, %v; want %+v", id, got, err, a)
		}
	}
	if err := db.SaveUprightAxis(ctx, "", up); balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("no device id: err %v, want %s", err, balance.EINVALID)
	}
}

// testExerciseSessionsRoundTrip: sessions come back as saved, oldest first,
// from `since` on; saving the same ID again replaces it.
func testExerciseSessionsRoundTrip(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{})
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	a := balance.ExerciseSession{ID: "d1:a", PatientID: "p1", DeviceID: "d1", Kind: balance.SessionExercise, ExerciseID: "tandem",
		Start: t0, End: t0.Add(30 * time.Second), HoldS: 12.5, LossesOfBalance: 1,
		Sway: map[string]float64{"rms": 0.16}, Result: map[string]float64{"held_s": 12.5}, Quality: []string{"loss_step"}}
	b := balance.ExerciseSession{ID: "d1:b", PatientID: "p1", DeviceID: "d1", Kind: balance.SessionSway, Start: t0.Add(time.Hour), End: t0.Add(time.Hour + 30*time.Second)}
	for _, s := range []balance.ExerciseSession{b, a, a} {
		if err := db.SaveExerciseSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.ExerciseSessions(ctx, "p1", t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]balance.ExerciseSession{a, b}, got); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}
	if got, _ := db.ExerciseSessions(ctx, "p1", t0.Add(time.Minute)); len(got) != 1 || got[0].ID != "d1:b" {
		t.Errorf("since: %+v", got)
	}
	if _, err := db.ExerciseSession(ctx, "nope"); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("missing session: %v, want ENOTFOUND", err)
	}
	if err := db.SaveExerciseSession(ctx, balance.ExerciseSession{ID: "x"}); balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("session without patient: %v, want EINVALID", err)
	}
}

// testRiskHistory: newest first, limited, reasons kept.
func testRiskHistory(t *testing.T, bk Backend) {
	ctx := context.Background()
	db := bk.fresh(t, Options{})
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var want []balance.RiskAssessment
	for i, lvl := range []string{balance.RiskLow, balance.RiskModerate, balance.RiskHigh} {
		r := balance.RiskAssessment{PatientID: "p1", Time: t0.Add(time.Duration(i) * time.Hour), Level: lvl, Reasons: []balance.RiskReason{}}
		if i > 0 {
			r.Reasons = []balance.RiskReason{{Code: "tug_at_least_12", Text: "TUG", Value: 12.4, Threshold: 12, Unit: "s", Level: lvl}}
		}
		if err := db.SaveRiskAssessment(ctx, r); err != nil {
			t.Fatal(err)
		}
		want = append([]balance.RiskAssessment{r}, want...)
	}
	got, err := db.RiskAssessments(ctx, "p1", time.Time{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:2], got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}
