package dashboard

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/progression"
)

// TestResultLines: the hold against the level's goal, and the sway
// against the same exercise 7–14 days before (10 % either way is "about
// the same"; other exercises and other weeks do not count).
func TestResultLines(t *testing.T) {
	now := time.Now()
	lvl := &progression.Level{TargetHoldS: 30}
	past := func(days int, rms float64, ex string) balance.ExerciseSession {
		return balance.ExerciseSession{ID: "old" + ex, ExerciseID: ex, Start: now.AddDate(0, 0, -days), Sway: map[string]float64{"rms": rms}}
	}
	all := []balance.ExerciseSession{past(10, 0.10, "a"), past(9, 0.10, "a"), past(10, 0.01, "b"), past(3, 0.01, "a"), past(20, 0.01, "a")}
	for _, tc := range []struct {
		held, rms float64
		want      []string
	}{
		{30.2, 0.08, []string{"You held 30 seconds.", "That is the full 30 seconds. Well done!", "You were steadier than last week."}},
		{30, 0.105, []string{"You held 30 seconds.", "That is the full 30 seconds. Well done!", "You were about as steady as last week."}},
		{12.7, 0.12, []string{"You held 12 seconds.", "Your goal is 30 seconds. Keep practising.", "You were a little less steady than last week. That is normal on some days."}},
	} {
		es := balance.ExerciseSession{ID: "new", ExerciseID: "a", Start: now, HoldS: tc.held, Sway: map[string]float64{"rms": tc.rms}}
		if diff := cmp.Diff(tc.want, resultLines(es, all, lvl)); diff != "" {
			t.Errorf("held %v, rms %v (-want +got):\n%s", tc.held, tc.rms, diff)
		}
	}
	// No sessions of the exercise last week: no comparison.
	es := balance.ExerciseSession{ID: "new", ExerciseID: "c", Start: now, HoldS: 30, Sway: map[string]float64{"rms": 0.1}}
	if got := resultLines(es, all, lvl); len(got) != 2 {
		t.Errorf("without last week: %q, want the hold only", got)
	}
}

// TestSwayTrend: the last 14 days against the 14 before, at least 3
// sessions in each.
func TestSwayTrend(t *testing.T) {
	now := time.Now()
	mk := func(days ...int) func(rms float64) []balance.ExerciseSession {
		return func(rms float64) []balance.ExerciseSession {
			var out []balance.ExerciseSession
			for _, d := range days {
				out = append(out, balance.ExerciseSession{Start: now.AddDate(0, 0, -d), Sway: map[string]float64{"rms": rms}})
			}
			return out
		}
	}
	before := mk(20, 21, 22)(0.10)
	for _, tc := range []struct {
		recent []balance.ExerciseSession
		want   string
	}{
		{mk(1, 2, 3)(0.08), text("progress.sway_better")},
		{mk(1, 2, 3)(0.10), text("progress.sway_same")},
		{mk(1, 2, 3)(0.12), text("progress.sway_worse")},
		{mk(1, 2)(0.08), text("progress.sway_none")},
	} {
		if got := swayTrend(append(append([]balance.ExerciseSession{}, before...), tc.recent...), now); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// TestAppText: every sentence the templates and handlers use is in
// AppText (a missing one would show its key), and verbs are filled.
func TestAppText(t *testing.T) {
	if got := text("today.hello", "Ada"); got != "Hello Ada" {
		t.Errorf("today.hello = %q", got)
	}
	if got := text("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key gave %q, want the key itself", got)
	}
	for _, name := range []string{"app_home.html", "app_exercise.html", "app_how.html", "app_progress.html", "app_message.html", "app_reminders.html"} {
		b, err := templateFS.ReadFile("templates/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range strings.Split(string(b), `{{text "`)[1:] {
			key, _, _ := strings.Cut(part, `"`)
			if _, ok := AppText[key]; !ok {
				t.Errorf("%s uses %q, which AppText lacks", name, key)
			}
		}
	}
}

// TestAppManifest: the app's pages link a web app manifest that is served
// as JSON and starts the installed app at /app/, within /app/, with an
// icon that is served too.
func TestAppManifest(t *testing.T) {
	b, err := staticFS.ReadFile("static/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name     string `json:"name"`
		StartURL string `json:"start_url"`
		Scope    string `json:"scope"`
		Display  string `json:"display"`
		Icons    []struct {
			Src string `json:"src"`
		} `json:"icons"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.StartURL != "/app/" || m.Scope != "/app/" || m.Display != "standalone" || m.Name == "" || len(m.Icons) != 1 {
		t.Fatalf("manifest %s", b)
	}
	if _, err := staticFS.ReadFile("static" + strings.TrimPrefix(m.Icons[0].Src, "/static")); err != nil {
		t.Errorf("icon %s: %v", m.Icons[0].Src, err)
	}
	lay, err := templateFS.ReadFile("templates/app_layout.html")
	if err != nil || !strings.Contains(string(lay), `<link rel="manifest" href="/static/manifest.json">`) {
		t.Errorf("the app's layout does not link the manifest (%v)", err)
	}
}
