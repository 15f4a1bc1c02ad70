package progression

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
)

func mustDefault(t testing.TB) *Catalog {
	t.Helper()
	c, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDefaultCatalog checks the embedded catalog holds what the issue lists:
// the seed's exercises with the caution on long walks, the full static
// ladder and the four Otago levels.
func TestDefaultCatalog(t *testing.T) {
	c := mustDefault(t)
	for _, id := range []string{"side-leg-raise", "hip-flexion", "toe-balance", "seated-hamstring-stretch", "calf-stretch",
		"plantar-fascia-stretch", "calf-raise", "chair-squat", "resistance-band", "walking", "cycling", "swimming"} {
		if c.Exercise(id) == nil {
			t.Errorf("exercise %s missing", id)
		}
	}
	walk := c.Exercise("walking")
	if !slices.ContainsFunc(walk.Cautions, func(ct Caution) bool {
		return ct.When == CautionNeuropathy && strings.Contains(ct.Text, "weight-bearing walks")
	}) {
		t.Errorf("walking lacks the seed's caution on long weight-bearing walks: %+v", walk.Cautions)
	}
	// 5 stances × 2 vision × 2 surfaces × 4 supports, from the ladder's definition.
	static := 0
	for _, l := range c.Levels {
		if l.Kind == "static" {
			static++
		}
	}
	if static != 5*2*2*4 {
		t.Errorf("static levels = %d, want 80", static)
	}
	for _, id := range []string{"otago-a", "otago-b", "otago-c", "otago-d"} {
		if l := c.Level(id); l == nil || l.Kind != "dynamic" {
			t.Errorf("Otago level %s missing", id)
		}
	}
	// Every level except the two tops of their tracks has a way up and
	// every level except the start has a way down.
	for _, l := range c.Levels {
		if len(l.Next) == 0 && l.ID != "single-leg-eyes-closed-foam" && l.ID != "otago-d" {
			t.Errorf("%s has no next level", l.ID)
		}
		if len(l.Previous) == 0 && l.ID != c.StartLevel {
			t.Errorf("%s has no previous level", l.ID)
		}
	}
	// The ids of unsupported static levels match the simulator's exercise ids.
	for _, id := range []string{"feet-apart", "tandem-eyes-closed", "tandem-eyes-closed-foam", "single-leg"} {
		if c.Level(id) == nil {
			t.Errorf("level %s missing", id)
		}
	}
}

// TestCatalogRefused edits the default catalog into broken variants and
// checks each is refused with a message naming the problem.
func TestCatalogRefused(t *testing.T) {
	base := string(DefaultCatalogYAML())
	tests := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"unknown exercise", func(s string) string {
			return strings.Replace(s, "exercises: [otago-knee-bends,", "exercises: [otago-kneebends,", 1)
		}, `unknown exercise "otago-kneebends"`},
		{"unknown level in an edge", func(s string) string {
			return strings.Replace(s, "{dimension: stance, to: single-leg}", "{dimension: stance, to: one-leg}", 1)
		}, `unknown level "one-leg"`},
		{"cycle", func(s string) string {
			// otago-d -> otago-a closes A -> B -> C -> D -> A.
			return strings.Replace(s, "    previous:\n      - {dimension: otago, to: otago-c}", "    next:\n      - {dimension: otago, to: otago-a}\n    previous:\n      - {dimension: otago, to: otago-c}", 1)
		}, "next edges form a cycle: otago-a -> otago-b -> otago-c -> otago-d -> otago-a"},
		{"missing field", func(s string) string {
			return strings.Replace(s, `    dose: "10 each side, 1-2 sets"`+"\n", "", 1)
		}, "exercises[0] (side-leg-raise): dose missing"},
		{"missing target hold", func(s string) string {
			return strings.Replace(s, "    target_hold_s: 30\n", "", 1)
		}, "target_hold_s missing"},
		{"duplicate id", func(s string) string {
			return strings.Replace(s, "  - id: hip-flexion\n", "  - id: side-leg-raise\n", 1)
		}, "exercises[1] (side-leg-raise): duplicate exercise id"},
		{"two dimensions at once", func(s string) string {
			return strings.Replace(s, "{dimension: stance, to: single-leg}", "{dimension: stance, to: single-leg-eyes-closed}", 1)
		}, "changes vision as well as stance"},
		{"edge in the wrong direction", func(s string) string {
			return strings.Replace(s, "{dimension: stance, to: single-leg}", "{dimension: support, to: tandem-fingertip}", 1)
		}, "support goes none -> fingertip, not one step harder"},
		{"unknown key", func(s string) string {
			return strings.Replace(s, "name: balance-default", "name: balance-default\ncolour: blue", 1)
		}, "field colour not found"},
		{"unknown start level", func(s string) string {
			return strings.Replace(s, "start_level: feet-apart-two-hands", "start_level: nowhere", 1)
		}, `start_level: unknown level "nowhere"`},
		{"no version", func(s string) string {
			return strings.Replace(s, "version: 1\n", "", 1)
		}, "version: missing"},
		{"bad caution audience", func(s string) string {
			return strings.Replace(s, "{when: neuropathy, text: \"Limit long", "{when: sometimes, text: \"Limit long", 1)
		}, `when "sometimes" is not always or neuropathy`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			edited := tc.edit(base)
			if edited == base {
				t.Fatal("the edit did not apply; the default catalog changed")
			}
			_, err := ParseCatalog([]byte(edited), "clinic.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			if balance.ErrorCode(err) != balance.EINVALID {
				t.Errorf("code %q, want invalid", balance.ErrorCode(err))
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "clinic.yaml") {
				t.Errorf("error does not say %q:\n%v", tc.want, err)
			}
		})
	}
}

func TestLoadCatalogFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "clinic.yaml")
	edited := strings.Replace(string(DefaultCatalogYAML()), "version: 1\n", "version: 7\n", 1)
	if err := os.WriteFile(p, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCatalog(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 7 {
		t.Errorf("version %d, want 7 from the file", c.Version)
	}
	if _, err := LoadCatalog(filepath.Join(dir, "missing.yaml")); balance.ErrorCode(err) != balance.EINVALID {
		t.Errorf("missing file: %v", err)
	}
}
