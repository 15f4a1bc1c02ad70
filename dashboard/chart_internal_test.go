package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
)

// TestDateTicks: a time axis gets at most maxDateTicks labels, each
// distinct, at UTC midnights (day steps) or whole hours (spans under two
// days), inside the range. The old gonum TimeTicks labelled every tick of
// a 2-day span by its day and repeated "Dec 4".
func TestDateTicks(t *testing.T) {
	end := time.Now().UTC()
	for _, span := range []time.Duration{3 * time.Hour, 20 * time.Hour, 36 * time.Hour, 50 * time.Hour, 10 * 24 * time.Hour,
		30 * 24 * time.Hour, 90 * 24 * time.Hour, 365 * 24 * time.Hour} {
		from := end.Add(-span)
		ts := dateTicks{}.Ticks(float64(from.Unix()), float64(end.Unix()))
		if len(ts) == 0 || len(ts) > maxDateTicks {
			t.Errorf("span %v: %d ticks, want 1..%d", span, len(ts), maxDateTicks)
			continue
		}
		seen := map[string]bool{}
		for _, tk := range ts {
			at := time.Unix(int64(tk.Value), 0).UTC()
			if at.Before(from.Truncate(time.Second)) || at.After(end) {
				t.Errorf("span %v: tick %v outside the range", span, at)
			}
			if seen[tk.Label] {
				t.Errorf("span %v: label %q repeated", span, tk.Label)
			}
			seen[tk.Label] = true
			if span >= 48*time.Hour && (at.Hour() != 0 || at.Minute() != 0) {
				t.Errorf("span %v: day tick at %v, not midnight", span, at)
			}
			if span < 48*time.Hour && at.Minute() != 0 {
				t.Errorf("span %v: hour tick at %v", span, at)
			}
		}
	}
}

// TestChartAxes: a non-negative quantity's y axis starts at 0 or above
// even when the padding would take it below (the sway chart ran to −0.02
// m/s²), and the x axis reaches past both ends of a fixed range so a point
// at "now" is drawn whole.
func TestChartAxes(t *testing.T) {
	now := float64(time.Now().Unix())
	from := now - 90*86400
	c := Chart{TimeAxis: true, Points: true, NonNegative: true, XMin: from, XMax: now,
		Series: []Series{{Name: "rms", X: []float64{from + 86400, now}, Y: []float64{0.01, 0.3}}}}
	p, err := c.plot()
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min != 0 {
		t.Errorf("y min %v, want 0 (the padding went below zero)", p.Y.Min)
	}
	if !(p.X.Max > now) || !(p.X.Min < from) {
		t.Errorf("x range [%v, %v] does not extend past [%v, %v]", p.X.Min, p.X.Max, from, now)
	}
	// Data well above zero keep their padding (the axis is not forced to 0).
	c.Series[0].Y = []float64{10, 12}
	if p, err = c.plot(); err != nil {
		t.Fatal(err)
	}
	if !(p.Y.Min > 9) {
		t.Errorf("y min %v for data 10..12: axis should follow the data", p.Y.Min)
	}
}

// TestChartMarkers: falls and sessions of the range are drawn and named in
// the legend once each; markers outside the range are not.
func TestChartMarkers(t *testing.T) {
	now := time.Now()
	v := PatientView{From: now.AddDate(0, 0, -30), To: now, Days: 30,
		Alerts: []balance.Alert{{Kind: balance.AlertFall, OccurredAt: now.Add(-48 * time.Hour)}, {Kind: balance.AlertFall, OccurredAt: now.Add(-24 * time.Hour)},
			{Kind: balance.AlertDeviceOffline, OccurredAt: now.Add(-time.Hour)}},
		Sessions: []balance.ExerciseSession{{Start: now.Add(-3 * time.Hour)}, {Start: now.AddDate(0, 0, -40)}}}
	c, ok := patientChart("tug", v, balance.StandardThresholds())
	if !ok {
		t.Fatal("no tug chart")
	}
	want := []Marker{{X: float64(now.Add(-48 * time.Hour).Unix()), Fall: true}, {X: float64(now.Add(-24 * time.Hour).Unix()), Fall: true},
		{X: float64(now.Add(-3 * time.Hour).Unix())}, {X: float64(now.AddDate(0, 0, -40).Unix())}}
	if diff := cmp.Diff(want, c.Markers); diff != "" {
		t.Errorf("markers (-want +got):\n%s", diff)
	}
	b, err := c.SVG(chartW, chartH)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(b)
	if strings.Count(svg, ">fall<") != 1 || strings.Count(svg, ">exercise session<") != 1 {
		t.Errorf("legend: %d × fall, %d × exercise session; want one each", strings.Count(svg, ">fall<"), strings.Count(svg, ">exercise session<"))
	}
	if !c.NonNegative {
		t.Error("trend charts are of non-negative quantities")
	}
}

// TestDescribeSession: results in words and units, quality flags in
// words, unknown keys still shown.
func TestDescribeSession(t *testing.T) {
	for _, tc := range []struct {
		es        balance.ExerciseSession
		what, res string
		notes     []string
	}{
		{balance.ExerciseSession{Kind: balance.SessionExercise, ExerciseID: "tandem_eyes_open", LossesOfBalance: 1,
			Result: map[string]float64{"held_s": 12.34, "target_s": 30, "passed": 0, "loss_at_s": 12.34}, Quality: []string{"loss_step"}},
			"Exercise (tandem eyes open)", "Held 12.3 s of 30 s: not passed, lost balance after 12.3 s.", []string{"lost balance: took a step"}},
		{balance.ExerciseSession{Kind: balance.SessionFourStage, Result: map[string]float64{"held_s": 10, "target_s": 10, "passed": 1, "loss_at_s": 0}},
			"Four-stage balance test", "Held 10.0 s of 10 s: passed.", nil},
		{balance.ExerciseSession{Kind: balance.SessionTUG, Result: map[string]float64{"tug_s": 13.26, "turn_deg": 181}},
			"Timed Up and Go", "Took 13.3 s (turned 181°).", nil},
		{balance.ExerciseSession{Kind: balance.SessionSitToStand, Result: map[string]float64{"sts5_s": 14.04, "stands": 4}, Quality: []string{"incomplete_test"}},
			"Five-times sit-to-stand", "4 stands in 14.0 s.", []string{"fewer than five stands"}},
		{balance.ExerciseSession{Kind: balance.SessionWalk, Result: map[string]float64{"gait_speed_mps": 0.92, "cadence_spm": 101.6, "stride_time_cv_pct": 3.14, "bouts": 2}},
			"Walk", "Walked at 0.92 m/s, 102 steps/min, stride-time variability 3.1 % (2 walking bouts).", nil},
		{balance.ExerciseSession{Kind: balance.SessionSway, ExerciseID: "feet_together", HoldS: 28, Sway: map[string]float64{"rms": 0.1234, "ellipse95": 0.0456}, Quality: []string{"stepping", "new_flag"}},
			"Sway test (feet together)", "Stood 28.0 s; sway 0.123 m/s² (RMS), 95 % ellipse 0.0456 m²/s⁴.", []string{"the patient stepped during the test", "new flag"}},
		{balance.ExerciseSession{Kind: "balance_game", Result: map[string]float64{"score_pts": 7}},
			"balance game", "score pts 7.00", nil},
	} {
		got := describeSession(tc.es)
		if got.What != tc.what || got.Result != tc.res || !cmp.Equal(got.Notes, tc.notes) {
			t.Errorf("%s: got (%q, %q, %q), want (%q, %q, %q)", tc.es.Kind, got.What, got.Result, got.Notes, tc.what, tc.res, tc.notes)
		}
	}
}
