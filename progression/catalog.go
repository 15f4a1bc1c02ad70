package progression

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/balance-pt/balance"
)

//go:embed catalog.yaml
var defaultCatalog []byte

// DefaultCatalogYAML returns the embedded default catalog, the starting
// point for a clinic's own file.
func DefaultCatalogYAML() []byte { return bytes.Clone(defaultCatalog) }

// Catalog is the validated exercise catalog: exercises, the dimensions of
// difficulty and the ladder of levels.
type Catalog struct {
	// Version is the catalog's version, recorded with every plan.
	Version int    `yaml:"version" json:"version"`
	Name    string `yaml:"name" json:"name"`
	// Source says where the content comes from.
	Source string `yaml:"source" json:"source,omitempty"`
	// StartLevel is the level a new plan starts at when none is given.
	StartLevel string `yaml:"start_level" json:"start_level"`
	// Dimensions are the axes of difficulty, each with its values easiest
	// first. Their order is the order in which progression tries them.
	Dimensions []Dimension `yaml:"dimensions" json:"dimensions"`
	Exercises  []Exercise  `yaml:"exercises" json:"exercises"`
	Levels     []Level     `yaml:"levels" json:"levels"`

	exercises map[string]*Exercise
	levels    map[string]*Level
	dims      map[string]*Dimension
}

// Dimension is one axis of difficulty.
type Dimension struct {
	ID string `yaml:"id" json:"id"`
	// Values, easiest first.
	Values []string `yaml:"values" json:"values"`
	// SensoryHeavy marks the dimensions that lean on vision or the
	// vestibular system to make up for lost plantar sensation (eyes closed,
	// foam): for a patient with neuropathy they are progressed last.
	SensoryHeavy bool `yaml:"sensory_heavy" json:"sensory_heavy,omitempty"`
}

// Caution is a warning shown with an exercise.
type Caution struct {
	Text string `yaml:"text" json:"text"`
	// When is "always" or "neuropathy" (shown only to patients with it).
	When string `yaml:"when" json:"when"`
}

// Exercise is one exercise of the catalog.
type Exercise struct {
	ID string `yaml:"id" json:"id"`
	// Category is balance, flexibility, strength, aerobic or otago.
	Category string `yaml:"category" json:"category"`
	Name     string `yaml:"name" json:"name"`
	// Instructions are plain-language steps for the patient.
	Instructions string    `yaml:"instructions" json:"instructions"`
	Dose         string    `yaml:"dose" json:"dose"`
	Cautions     []Caution `yaml:"cautions" json:"cautions,omitempty"`
}

// Level is one rung of the ladder.
type Level struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
	// Kind is "static" (a held stance) or "dynamic" (an Otago level).
	Kind string `yaml:"kind" json:"kind"`
	// Attributes give the level's value in every dimension that applies to
	// its kind (static: program, stance, vision, surface, support;
	// dynamic: program, otago).
	Attributes map[string]string `yaml:"attributes" json:"attributes"`
	// Instructions tell the patient what to do, in plain words.
	Instructions string `yaml:"instructions" json:"instructions"`
	// TargetHoldS is the hold to reach before progressing (static levels);
	// Sets is how many holds make a session.
	TargetHoldS float64 `yaml:"target_hold_s" json:"target_hold_s,omitempty"`
	Sets        int     `yaml:"sets" json:"sets,omitempty"`
	// Exercises are the catalog exercises a dynamic level is made of.
	Exercises []string  `yaml:"exercises" json:"exercises,omitempty"`
	Cautions  []Caution `yaml:"cautions" json:"cautions,omitempty"`
	// Next and Previous are the one-step edges, harder and easier.
	Next     []Edge `yaml:"next" json:"next,omitempty"`
	Previous []Edge `yaml:"previous" json:"previous,omitempty"`
}

// Edge is a one-dimension step from a level to another.
type Edge struct {
	Dimension string `yaml:"dimension" json:"dimension"`
	To        string `yaml:"to" json:"to"`
}

// Level returns the level with the id, or nil.
func (c *Catalog) Level(id string) *Level { return c.levels[id] }

// Exercise returns the exercise with the id, or nil.
func (c *Catalog) Exercise(id string) *Exercise { return c.exercises[id] }

// Dimension returns the dimension with the id, or nil.
func (c *Catalog) Dimension(id string) *Dimension { return c.dims[id] }

// DefaultCatalog parses and validates the embedded catalog.
func DefaultCatalog() (*Catalog, error) { return ParseCatalog(defaultCatalog, "default catalog") }

// LoadCatalog reads and validates the catalog at path; an empty path
// gives the embedded default.
func LoadCatalog(path string) (*Catalog, error) {
	if path == "" {
		return DefaultCatalog()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, balance.Errorf(balance.EINVALID, "catalog %s: %v", path, err)
	}
	return ParseCatalog(b, path)
}

// ParseCatalog decodes a catalog (unknown keys refused) and validates it.
// name labels the messages. The error is EINVALID and lists every problem.
func ParseCatalog(b []byte, name string) (*Catalog, error) {
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, balance.Errorf(balance.EINVALID, "catalog %s: %v", name, err)
	}
	if probs := c.validate(); len(probs) > 0 {
		var msg bytes.Buffer
		fmt.Fprintf(&msg, "catalog %s has %d problem(s):", name, len(probs))
		for _, p := range probs {
			msg.WriteString("\n  - " + p)
		}
		return nil, balance.Errorf(balance.EINVALID, "%s", msg.String())
	}
	return &c, nil
}
