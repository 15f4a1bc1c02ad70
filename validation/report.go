package validation

import (
	"fmt"
	"io"
	"strings"
)

// Section is one data set's part of the validation report.
type Section struct {
	// Title names the data set and what is judged ("Falls: SisFall").
	Title string
	// Notes say what was run, how subjects were split and where the
	// reference comes from, one paragraph each.
	Notes []string
	// Tables hold the figures: per subject, per trial kind, pooled.
	Tables []Table
	// Floors are the acceptance limits the figures must meet.
	Floors []Floor
}

// Table is a captioned table of preformatted cells.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// Floor is one acceptance limit: Value must be at least Limit (AtLeast) or
// at most Limit (otherwise).
type Floor struct {
	Name    string
	Value   float64
	Limit   float64
	AtLeast bool
}

// Pass reports whether the floor is met; NaN never passes.
func (f Floor) Pass() bool {
	if f.AtLeast {
		return f.Value >= f.Limit
	}
	return f.Value <= f.Limit
}

// String renders the floor as "name: value ≥ limit (pass)".
func (f Floor) String() string {
	op := "≤"
	if f.AtLeast {
		op = "≥"
	}
	verdict := "pass"
	if !f.Pass() {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: %.4g %s %.4g (%s)", f.Name, f.Value, op, f.Limit, verdict)
}

// Failed returns the floors of s that are not met.
func (s Section) Failed() []Floor {
	var out []Floor
	for _, f := range s.Floors {
		if !f.Pass() {
			out = append(out, f)
		}
	}
	return out
}

// WriteMarkdown writes s as a Markdown section (## title, notes, tables,
// floors).
func (s Section) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", s.Title)
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "%s\n\n", n)
	}
	for _, t := range s.Tables {
		if t.Caption != "" {
			fmt.Fprintf(&b, "**%s**\n\n", t.Caption)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(t.Header, " | "))
		fmt.Fprintf(&b, "|%s\n", strings.Repeat("---|", len(t.Header)))
		for _, r := range t.Rows {
			fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
		}
		b.WriteString("\n")
	}
	if len(s.Floors) > 0 {
		b.WriteString("**Floors**\n\n")
		for _, f := range s.Floors {
			fmt.Fprintf(&b, "- %s\n", f)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
