package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/recording"
	"github.com/balance-pt/balance/sim"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// longRecording writes hours of simulated free living (balance sim's
// body model and typical sensor, 100 Hz) as a generic CSV file: standing
// and sitting with walks of 40-120 steps every few minutes, a fall of each
// kind, a fall without getting up, hard sit-downs, stumbles, jumps, jogs,
// lying in bed and rolling over; a 2 s gap (split) after the first hour
// and a 0.3 s gap (bridged) after the second. It returns the path.
func longRecording(t testing.TB, dir string, hours float64) string {
	t.Helper()
	body := sim.DefaultBody()
	sc := sim.NewScenario(body, 100, 7)
	kinds := []sim.FallKind{sim.FallForward, sim.FallBackward, sim.FallLeft, sim.FallRight, sim.FallCollapse}
	for i := 0; sc.DurationS() < hours*3600; i++ {
		sc.Idle(float64(120 + 37*(i%5)))
		sc.Walk(sim.NormalWalk(body, 40+20*(i%5)))
		switch i % 8 {
		case 1:
			sc.Fall(sim.FallSpec{Kind: kinds[(i/8)%len(kinds)], LieS: 20, GetUp: true})
		case 2:
			sc.SitDownHard()
			sc.Sit(60)
			sc.StandUp()
		case 3:
			sc.Stumble()
			sc.Idle(5)
			sc.Jump()
		case 4:
			sc.Jog(40)
		case 5:
			sc.SitDown()
			sc.LieDown()
			sc.Lie(30)
			sc.RollInBed(10)
			sc.Lie(5)
			sc.GetUp()
		case 6:
			sc.Walk(sim.SlowWalk(body, 60))
		}
	}
	sc.Idle(10)
	sc.Walk(sim.NormalWalk(body, 20))
	sc.Fall(sim.FallSpec{Kind: sim.FallForward, LieS: 60})
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	s := sc.Samples(sim.TypicalSensor(), start)
	const h = 360_000
	for i := h; i < len(s); i++ {
		s[i].TimeNS += 2e9
	}
	if len(s) > 2*h+30 {
		s = append(s[:2*h], s[2*h+30:]...)
	}
	rec := recording.Recording{Samples: s, RateHz: 100, HasGyro: true, Meta: map[string]string{"height_m": "1.70", "source": "balance-sim"}}
	path := filepath.Join(dir, "long.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := recording.WriteGeneric(f, rec); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// withStreaming runs f with the head and gait chunk forcing the streaming
// path (10 min, 2 min chunks).
func withStreaming(t *testing.T, f func()) {
	t.Helper()
	head, chunk := analyzeHeadS, analyzeGaitChunkS
	analyzeHeadS, analyzeGaitChunkS = 600, 120
	defer func() { analyzeHeadS, analyzeGaitChunkS = head, chunk }()
	f()
}

// withWhole runs f with a head long enough for the whole path.
func withWhole(t *testing.T, f func()) {
	t.Helper()
	head := analyzeHeadS
	analyzeHeadS = 1e9
	defer func() { analyzeHeadS = head }()
	f()
}

// TestAnalyzeStreamMatchesWhole: a 3-hour recording analysed by the
// streaming path (forced with a 10-min head and 2-min gait chunks) gives
// the document the whole-recording path gives: the same bouts (all their
// measures), sequences, quality, daily aggregates, falls and up axis; for
// the up axis learned from walking and for none (--sensor-up cannot be
// tested against "none": walking wins), and within a --from/--to window.
func TestAnalyzeStreamMatchesWhole(t *testing.T) {
	path := longRecording(t, t.TempDir(), 3)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"walking-up", nil},
		{"window", []string{"--from", "1500", "--to", "1700", "--test", "sway"}},
		{"long-window", []string{"--from", "600", "--to", "9000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), path)
			var whole, stream analyzeDoc
			withWhole(t, func() { whole = analyzeJSON(t, args...) })
			withStreaming(t, func() { stream = analyzeJSON(t, args...) })
			if whole.Gait == nil || len(whole.Gait.Bouts) == 0 {
				t.Fatalf("whole path: gait %v", whole.Gait)
			}
			if tc.name == "walking-up" && (len(whole.Falls) < 3 || whole.FallsUp.Source != "walking") {
				t.Fatalf("whole path: %d falls, up %+v: the data should hold falls and walking", len(whole.Falls), whole.FallsUp)
			}
			t.Logf("%s: %d bouts, %d falls, up %s, quality %v", tc.name, len(whole.Gait.Bouts), len(whole.Falls), whole.FallsUp.Source, whole.Gait.Quality)
			var notes []string
			for _, n := range stream.Notes {
				if !strings.Contains(n, "not run") {
					notes = append(notes, n)
				}
			}
			stream.Notes = notes
			if diff := cmp.Diff(whole, stream, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("streaming differs from whole (-whole +stream):\n%s", diff)
			}
		})
	}
}

// TestFallWindowsExact: over simulated falls, near-falls, lying in bed
// and walking, the falls DetectFallsIn finds in the stretches FallWindows
// keeps are those DetectFalls finds over all the samples, for no axis, the
// sensor's true upright (+x: balance sim's typical sensor) and axes that
// make every posture "lying" (+y, -z), so that the out-of-bed rule and the
// watch after each fall are exercised.
func TestFallWindowsExact(t *testing.T) {
	body := sim.DefaultBody()
	sc := sim.NewScenario(body, 100, 3)
	kinds := []sim.FallKind{sim.FallForward, sim.FallBackward, sim.FallLeft, sim.FallRight, sim.FallCollapse}
	for i := 0; i < 30; i++ {
		sc.Idle(float64(5 + 20*(i%3)))
		sc.Walk(sim.NormalWalk(body, 10))
		sc.Fall(sim.FallSpec{Kind: kinds[i%len(kinds)], LieS: float64(5 + 10*(i%4)), GetUp: true})
		if i%2 == 0 {
			sc.SitDownHard()
			sc.Sit(5)
			sc.StandUp()
			sc.Jump()
		}
		if i%3 == 0 {
			sc.SitDown()
			sc.LieDown()
			sc.RollInBed(5)
			sc.GetUp()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	s := sc.Samples(sim.TypicalSensor(), 1e18)
	for _, up := range [][3]float64{{}, {1, 0, 0}, {0, 1, 0}, {0, 0, -1}} {
		cfg := analysis.FallConfig{Up: up}
		want := analysis.DetectFalls(s, 100, cfg)
		w := analysis.NewFallWindows(100, analysis.FallConfig{})
		for i := 0; i < len(s); i += 1000 {
			w.PushAll(s[i:min(len(s), i+1000)])
		}
		wins, kept := w.Windows()
		got := analysis.DetectFallsIn(wins, 100, cfg)
		t.Logf("up %v: %d falls; %d windows keep %d of %d samples", up, len(want), len(wins), kept, len(s))
		if len(want) < 10 && up == ([3]float64{1, 0, 0}) {
			t.Errorf("only %d falls with the true axis", len(want))
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("up %v: falls differ (-DetectFalls +DetectFallsIn):\n%s", up, diff)
		}
	}
}

// TestAnalyzeStreamNotes: a test asked for on a long recording without a
// window is not run, and a note says so.
func TestAnalyzeStreamNotes(t *testing.T) {
	body := sim.DefaultBody()
	sc := sim.NewScenario(body, 100, 1)
	sc.Idle(60)
	sc.Walk(sim.NormalWalk(body, 30))
	sc.Idle(60)
	rec := recording.Recording{Samples: sc.Samples(sim.TypicalSensor(), 1e18), RateHz: 100, HasGyro: true}
	path := filepath.Join(t.TempDir(), "short.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := recording.WriteGeneric(f, rec); err != nil {
		t.Fatal(err)
	}
	f.Close()
	head := analyzeHeadS
	analyzeHeadS = 60
	defer func() { analyzeHeadS = head }()
	d := analyzeJSON(t, "--test", "tug", path)
	if d.Tests.TUG != nil || len(d.Notes) == 0 || !strings.Contains(strings.Join(d.Notes, "\n"), "tug: not run") {
		t.Errorf("tests %+v notes %q: want no TUG and a note", d.Tests, d.Notes)
	}
	if d.Gait == nil || len(d.Gait.Bouts) != 1 || d.Samples != len(rec.Samples) {
		t.Errorf("gait %+v, %d samples: want the walk of %d samples", d.Gait, d.Samples, len(rec.Samples))
	}
	var out strings.Builder
	if err := runAnalyze(context.Background(), []string{"--from", "1000", path}, &out, &out); err == nil || balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("a window past the end: err %v, want EINVALID", err)
	}
}
