package dashboard

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestPictogram: each stance of the ladder gets a well-formed SVG with a
// text alternative naming what it shows (stance, support, eyes, foam);
// lifted feet are dashed; a level without a stance gets none.
func TestPictogram(t *testing.T) {
	for _, tc := range []struct {
		attrs map[string]string
		alt   []string
		feet  int // solid feet
	}{
		{map[string]string{"stance": "feet_apart", "support": "two_hands", "vision": "open", "surface": "firm"}, []string{"feet hip-width apart", "both hands on a counter"}, 2},
		{map[string]string{"stance": "feet_together", "support": "one_hand"}, []string{"feet together", "one hand on a counter"}, 2},
		{map[string]string{"stance": "semi_tandem", "support": "fingertip"}, []string{"half a step ahead", "a fingertip"}, 2},
		{map[string]string{"stance": "tandem", "support": "none", "vision": "closed"}, []string{"heel touching toes", "no hands, a counter within reach", "eyes closed"}, 2},
		{map[string]string{"stance": "single_leg", "surface": "foam"}, []string{"one leg", "on a foam cushion"}, 1},
	} {
		svg := string(Pictogram(tc.attrs))
		if err := xml.Unmarshal([]byte(svg), new(any)); err != nil {
			t.Errorf("%v: not well-formed: %v", tc.attrs, err)
		}
		for _, w := range tc.alt {
			if !strings.Contains(svg, `aria-label="`) || !strings.Contains(svg, w) {
				t.Errorf("%v: the text alternative lacks %q", tc.attrs, w)
			}
		}
		if n := strings.Count(svg, `fill="#000"/>`) - strings.Count(svg, "<circle"); n != tc.feet {
			t.Errorf("%v: %d solid feet, want %d", tc.attrs, n, tc.feet)
		}
	}
	if Pictogram(map[string]string{"otago": "A"}) != "" {
		t.Error("a dynamic level got a stance pictogram")
	}
}

// TestCategoryPictogram: each catalog category has a well-formed picture
// with a text alternative; an unknown one has none.
func TestCategoryPictogram(t *testing.T) {
	for cat, want := range map[string]string{"balance": "balance", "otago": "balance", "strength": "strength", "flexibility": "stretching", "aerobic": "walking"} {
		svg := string(CategoryPictogram(cat))
		if err := xml.Unmarshal([]byte(svg), new(any)); err != nil {
			t.Errorf("%s: not well-formed: %v", cat, err)
		}
		if !strings.Contains(svg, `role="img" aria-label="`) || !strings.Contains(svg, want) {
			t.Errorf("%s: the text alternative lacks %q", cat, want)
		}
	}
	if CategoryPictogram("juggling") != "" {
		t.Error("an unknown category got a picture")
	}
}
