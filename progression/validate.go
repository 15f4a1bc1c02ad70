package progression

import (
	"fmt"
	"slices"
	"strings"
)

// Exercise categories a catalog may use.
var categories = []string{"balance", "flexibility", "strength", "aerobic", "otago"}

// Caution audiences.
const (
	CautionAlways     = "always"
	CautionNeuropathy = "neuropathy"
)

// validate checks the decoded catalog, fills its indexes and returns every
// problem found, each naming where it is.
func (c *Catalog) validate() []string {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if c.Version <= 0 {
		add("version: missing (a positive integer, raised with every edit)")
	}
	if c.Name == "" {
		add("name: missing")
	}

	c.dims = map[string]*Dimension{}
	for i := range c.Dimensions {
		d := &c.Dimensions[i]
		where := fmt.Sprintf("dimensions[%d]", i)
		if d.ID == "" {
			add("%s: id missing", where)
			continue
		}
		if c.dims[d.ID] != nil {
			add("%s: duplicate dimension id %q", where, d.ID)
			continue
		}
		c.dims[d.ID] = d
		if len(d.Values) < 2 {
			add("%s (%s): values must list at least two values, easiest first", where, d.ID)
		}
		seen := map[string]bool{}
		for _, v := range d.Values {
			if v == "" || seen[v] {
				add("%s (%s): empty or duplicate value %q", where, d.ID, v)
			}
			seen[v] = true
		}
	}

	c.exercises = map[string]*Exercise{}
	for i := range c.Exercises {
		e := &c.Exercises[i]
		where := fmt.Sprintf("exercises[%d]", i)
		if e.ID == "" {
			add("%s: id missing", where)
			continue
		}
		where += " (" + e.ID + ")"
		if c.exercises[e.ID] != nil {
			add("%s: duplicate exercise id", where)
			continue
		}
		c.exercises[e.ID] = e
		if !slices.Contains(categories, e.Category) {
			add("%s: category %q is not one of %s", where, e.Category, strings.Join(categories, ", "))
		}
		for _, f := range []struct{ name, v string }{{"name", e.Name}, {"instructions", e.Instructions}, {"dose", e.Dose}} {
			if strings.TrimSpace(f.v) == "" {
				add("%s: %s missing", where, f.name)
			}
		}
		probs = append(probs, checkCautions(where, e.Cautions)...)
	}

	c.levels = map[string]*Level{}
	for i := range c.Levels {
		l := &c.Levels[i]
		where := fmt.Sprintf("levels[%d]", i)
		if l.ID == "" {
			add("%s: id missing", where)
			continue
		}
		if c.levels[l.ID] != nil {
			add("%s (%s): duplicate level id", where, l.ID)
			continue
		}
		c.levels[l.ID] = l
	}
	for i := range c.Levels {
		l := &c.Levels[i]
		if l.ID == "" {
			continue
		}
		where := fmt.Sprintf("levels[%d] (%s)", i, l.ID)
		if strings.TrimSpace(l.Name) == "" {
			add("%s: name missing", where)
		}
		if strings.TrimSpace(l.Instructions) == "" {
			add("%s: instructions missing", where)
		}
		switch l.Kind {
		case "static":
			if !(l.TargetHoldS > 0) {
				add("%s: target_hold_s missing (seconds, above 0)", where)
			}
			if l.Sets <= 0 {
				add("%s: sets missing (at least 1)", where)
			}
		case "dynamic":
			if len(l.Exercises) == 0 {
				add("%s: exercises missing (a dynamic level lists its exercises)", where)
			}
		case "":
			add("%s: kind missing (static or dynamic)", where)
		default:
			add("%s: kind %q is not static or dynamic", where, l.Kind)
		}
		for _, id := range l.Exercises {
			if c.exercises[id] == nil {
				add("%s: unknown exercise %q", where, id)
			}
		}
		if len(l.Attributes) == 0 {
			add("%s: attributes missing", where)
		}
		for _, k := range sortedKeys(l.Attributes) {
			d := c.dims[k]
			if d == nil {
				add("%s: attribute %q is not a declared dimension", where, k)
			} else if !slices.Contains(d.Values, l.Attributes[k]) {
				add("%s: %s %q is not one of %s", where, k, l.Attributes[k], strings.Join(d.Values, ", "))
			}
		}
		probs = append(probs, checkCautions(where, l.Cautions)...)
		probs = append(probs, c.checkEdges(where+": next", l, l.Next, +1)...)
		probs = append(probs, c.checkEdges(where+": previous", l, l.Previous, -1)...)
	}
	if c.StartLevel == "" {
		add("start_level: missing")
	} else if len(c.levels) > 0 && c.levels[c.StartLevel] == nil {
		add("start_level: unknown level %q", c.StartLevel)
	}
	if len(c.Levels) == 0 {
		add("levels: none")
	}
	{
		if cyc := c.findCycle(func(l *Level) []Edge { return l.Next }); cyc != nil {
			add("next edges form a cycle: %s (progression must only ever get harder)", strings.Join(cyc, " -> "))
		}
		if cyc := c.findCycle(func(l *Level) []Edge { return l.Previous }); cyc != nil {
			add("previous edges form a cycle: %s", strings.Join(cyc, " -> "))
		}
	}
	return probs
}

func checkCautions(where string, cs []Caution) []string {
	var probs []string
	for j, ct := range cs {
		if strings.TrimSpace(ct.Text) == "" {
			probs = append(probs, fmt.Sprintf("%s: cautions[%d]: text missing", where, j))
		}
		if ct.When != CautionAlways && ct.When != CautionNeuropathy {
			probs = append(probs, fmt.Sprintf("%s: cautions[%d]: when %q is not %s or %s", where, j, ct.When, CautionAlways, CautionNeuropathy))
		}
	}
	return probs
}

// checkEdges verifies that every edge leads to a known level and changes
// exactly its dimension by one step in direction dir (+1 harder, -1
// easier), every other shared attribute staying the same.
func (c *Catalog) checkEdges(where string, from *Level, edges []Edge, dir int) []string {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	for j, e := range edges {
		w := fmt.Sprintf("%s[%d]", where, j)
		if e.To == "" || e.Dimension == "" {
			add("%s: to and dimension are both required", w)
			continue
		}
		to := c.levels[e.To]
		if to == nil {
			add("%s: unknown level %q", w, e.To)
			continue
		}
		if seen[e.To] {
			add("%s: duplicate edge to %q", w, e.To)
		}
		seen[e.To] = true
		d := c.dims[e.Dimension]
		if d == nil {
			add("%s: unknown dimension %q", w, e.Dimension)
			continue
		}
		fv, fok := from.Attributes[d.ID]
		tv, tok := to.Attributes[d.ID]
		if !fok || !tok {
			add("%s: %s and %s must both have a %s attribute", w, from.ID, to.ID, d.ID)
			continue
		}
		if fi, ti := slices.Index(d.Values, fv), slices.Index(d.Values, tv); fi >= 0 && ti >= 0 && ti-fi != dir {
			step := "one step harder"
			if dir < 0 {
				step = "one step easier"
			}
			add("%s: %s goes %s -> %s, not %s", w, d.ID, fv, tv, step)
		}
		for _, k := range sortedKeys(from.Attributes) {
			if k == d.ID {
				continue
			}
			if v, ok := to.Attributes[k]; ok && v != from.Attributes[k] {
				add("%s: changes %s as well as %s (one dimension at a time)", w, k, d.ID)
			}
		}
	}
	return probs
}

// findCycle returns a cycle of the graph given by edges, as level ids with
// the first repeated at the end, or nil for a DAG.
func (c *Catalog) findCycle(edges func(*Level) []Edge) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(id string) bool
	visit = func(id string) bool {
		color[id] = grey
		stack = append(stack, id)
		for _, e := range edges(c.levels[id]) {
			if c.levels[e.To] == nil {
				continue
			}
			switch color[e.To] {
			case grey:
				i := slices.Index(stack, e.To)
				cycle = append(slices.Clone(stack[i:]), e.To)
				return true
			case white:
				if visit(e.To) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return false
	}
	for _, l := range c.Levels {
		if l.ID != "" && color[l.ID] == white && visit(l.ID) {
			return cycle
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
