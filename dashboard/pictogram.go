package dashboard

import (
	"fmt"
	"html/template"
	"strings"
)

// Pictograms for the patient app: the stance's foot placement seen from
// above, with the support (a counter and the hands on it), eyes closed and
// a foam pad drawn when the level asks for them. Plain shapes in black on
// white (contrast 21:1), with a text alternative, for patients with poor
// eyesight; no fine detail.

// footPath is a right foot, toes up, 40×100 units, at the origin.
const footPath = "M20 0 C34 0 40 14 40 30 C40 52 34 70 32 88 C31 96 26 100 20 100 C14 100 9 96 8 88 C6 70 0 52 0 30 C0 14 6 0 20 0 Z"

// foot places a foot at (x, y), mirrored for the left one, dashed when
// lifted.
func foot(x, y float64, left, lifted bool) string {
	tr := fmt.Sprintf("translate(%g %g)", x, y)
	if left {
		tr = fmt.Sprintf("translate(%g %g) scale(-1 1)", x+40, y)
	}
	style := `fill="#000"`
	if lifted {
		style = `fill="none" stroke="#000" stroke-width="4" stroke-dasharray="8 6"`
	}
	return fmt.Sprintf(`<path d="%s" transform="%s" %s/>`, footPath, tr, style)
}

// stanceFeet draws the feet of a stance in a 200×240 box.
func stanceFeet(stance string) (string, string) {
	switch stance {
	case "feet_apart":
		return foot(40, 90, true, false) + foot(120, 90, false, false), "feet hip-width apart"
	case "feet_together":
		return foot(58, 90, true, false) + foot(102, 90, false, false), "feet together, touching"
	case "semi_tandem":
		return foot(60, 130, true, false) + foot(100, 70, false, false), "one foot half a step ahead, its heel beside the other's big toe"
	case "tandem":
		return foot(80, 130, true, false) + foot(80, 26, false, false), "one foot right in front of the other, heel touching toes"
	case "single_leg":
		return foot(58, 90, true, false) + foot(102, 70, false, true), "standing on one leg, the other foot lifted"
	}
	return foot(40, 90, true, false) + foot(120, 90, false, false), "standing"
}

// Pictogram returns the inline SVG of a level from its attributes
// (progression.Level.Attributes: stance, support, vision, surface), with
// its text alternative as the SVG's title, or "" for a level without a
// stance (a walking or strength exercise).
func Pictogram(attrs map[string]string) template.HTML {
	stance, ok := attrs["stance"]
	if !ok {
		return ""
	}
	feet, words := stanceFeet(stance)
	var b strings.Builder
	parts := []string{words}
	var body strings.Builder
	if attrs["surface"] == "foam" {
		body.WriteString(`<rect x="20" y="14" width="180" height="236" rx="18" fill="#fff" stroke="#000" stroke-width="4" stroke-dasharray="14 8"/>`)
		parts = append(parts, "on a foam cushion")
	}
	body.WriteString(feet)
	switch attrs["support"] {
	case "two_hands", "one_hand", "fingertip":
		// The counter on the right, the hands on it.
		body.WriteString(`<rect x="228" y="20" width="52" height="220" rx="6" fill="#fff" stroke="#000" stroke-width="6"/>`)
		hand := func(y float64, r float64) string {
			return fmt.Sprintf(`<circle cx="254" cy="%g" r="%g" fill="#000"/>`, y, r)
		}
		switch attrs["support"] {
		case "two_hands":
			body.WriteString(hand(90, 16) + hand(170, 16))
			parts = append(parts, "both hands on a counter")
		case "one_hand":
			body.WriteString(hand(130, 16))
			parts = append(parts, "one hand on a counter")
		case "fingertip":
			body.WriteString(hand(130, 7))
			parts = append(parts, "a fingertip on a counter")
		}
	case "none":
		parts = append(parts, "no hands, a counter within reach")
	}
	if attrs["vision"] == "closed" {
		// Closed eyes: two downward arcs at the top right.
		body.WriteString(`<path d="M214 232 q12 12 24 0 M248 232 q12 12 24 0" fill="none" stroke="#000" stroke-width="6" stroke-linecap="round"/>`)
		parts = append(parts, "eyes closed")
	}
	alt := template.HTMLEscapeString(strings.Join(parts, ", "))
	fmt.Fprintf(&b, `<svg class="pictogram" viewBox="0 0 300 260" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg"><title>%s</title>%s</svg>`, alt, alt, body.String())
	return template.HTML(b.String())
}

// CategoryPictogram returns a simple picture for an exercise of a catalog
// category (the "Also today" exercises), with its text alternative, or ""
// for an unknown category.
func CategoryPictogram(category string) template.HTML {
	var body, alt string
	switch category {
	case "balance", "otago":
		feet, _ := stanceFeet("single_leg")
		body = feet + `<rect x="228" y="20" width="52" height="220" rx="6" fill="#fff" stroke="#000" stroke-width="6"/><circle cx="254" cy="130" r="16" fill="#000"/>`
		alt = "a balance exercise, holding a counter"
	case "strength":
		// A chair seen from the side and an arrow up: stand up from it.
		body = `<path d="M60 40 V220 M60 140 H170 V220 M170 140 V220" fill="none" stroke="#000" stroke-width="12" stroke-linecap="round"/>` +
			`<path d="M230 210 V60 M200 95 L230 60 L260 95" fill="none" stroke="#000" stroke-width="12" stroke-linecap="round" stroke-linejoin="round"/>`
		alt = "a strength exercise, such as standing up from a chair"
	case "flexibility":
		// A long curved arrow: a gentle stretch.
		body = `<path d="M50 200 Q150 20 250 200" fill="none" stroke="#000" stroke-width="12" stroke-linecap="round"/>` +
			`<path d="M215 185 L250 200 L258 162" fill="none" stroke="#000" stroke-width="12" stroke-linecap="round" stroke-linejoin="round"/>`
		alt = "a stretching exercise"
	case "aerobic":
		// Footprints walking up the picture.
		body = foot(70, 150, true, false) + foot(140, 80, false, false) + foot(70, 10, true, false)
		alt = "walking, or another exercise that makes you a little out of breath"
	default:
		return ""
	}
	return template.HTML(fmt.Sprintf(`<svg class="pictogram small" viewBox="0 0 300 260" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg"><title>%s</title>%s</svg>`, alt, alt, body))
}
